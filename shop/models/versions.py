
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

TAX_CLASSES = ("standard", "reduced", "low", "zero")


class ShopVersion(SQLModel, table=True):
    """One storefront variant: country, language, currency and VAT rates."""

    __tablename__ = "shop_version"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)  # URL prefix: fi, sv, en
    name: str = Field(max_length=80)
    country: str = Field(max_length=2)  # ISO 3166-1 alpha-2
    currency: str = Field(max_length=3)
    locale: str = Field(max_length=10)  # e.g. fi-FI
    exchange_rate: Decimal = Field(default=Decimal(1), sa_column=Column(Numeric(14, 6), nullable=False))
    # How prices without an explicit one in the version's price list are rounded (shop.money.ROUNDING_RULES).
    price_rounding: str = Field(default="none", max_length=16, sa_column_kwargs={"server_default": "none"})
    is_default: bool = False
    active: bool = True
    position: int = 0

    vat_rates: list["VatRate"] = Relationship(back_populates="version")

    @property
    def language(self) -> str:
        return self.locale.split("-")[0]

    def rate_for(self, tax_class: str) -> int:
        for rate in self.vat_rates:
            if rate.tax_class == tax_class:
                return rate.rate
        raise LookupError(f"shop version {self.code} has no VAT rate for {tax_class!r}")


class VatRate(SQLModel, table=True):
    __tablename__ = "vat_rate"
    __table_args__ = (UniqueConstraint("version_id", "tax_class"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="shop_version.id", index=True)
    tax_class: str = Field(max_length=16)
    rate: int  # hundredths of a percent: 25.5 % = 2550

    version: "ShopVersion" = Relationship(back_populates="vat_rates")
