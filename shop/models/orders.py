
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from shop.money import divide_rounded, line_total, vat_of_gross

from .base import utcnow

ORDER_STATUSES = (
    "awaiting_payment",  # placed, waiting for the payment provider
    "confirmed",  # paid or payment reserved; to be shipped
    "partially_shipped",
    "shipped",
    "cancelled",
    "abandoned",  # the shopper never completed the payment; stock released
)

LINE_KINDS = ("physical", "digital", "shipping_fee", "surcharge", "discount", "gift_card", "store_credit")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def vat_breakdown(lines: Iterable[Any]) -> list[tuple[int, int, int]]:
    """(rate, gross, vat) per VAT rate, highest rate first, of lines with `tax_rate`, `total` and `tax`.

    VAT is summed line by line, so a cart priced before the order shows the order's sums.
    """
    by_rate: dict[int, list[int]] = {}
    for line in lines:
        gross_vat = by_rate.setdefault(line.tax_rate, [0, 0])
        gross_vat[0] += line.total
        gross_vat[1] += line.tax
    return [(rate, gross, vat) for rate, (gross, vat) in sorted(by_rate.items(), reverse=True)]


class Cart(SQLModel, table=True):
    __tablename__ = "cart"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(default_factory=new_token, max_length=64, unique=True, index=True)
    version_id: int = Field(foreign_key="shop_version.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    items: list["CartItem"] = Relationship(
        back_populates="cart", sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "CartItem.id"}
    )


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_item"
    __table_args__ = (UniqueConstraint("cart_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="cart.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    quantity: int

    cart: Cart = Relationship(back_populates="items")


class Order(SQLModel, table=True):
    __tablename__ = "shop_order"

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=20, unique=True, index=True)
    token: str = Field(default_factory=new_token, max_length=64, unique=True, index=True)
    version_id: int = Field(foreign_key="shop_version.id")
    status: str = Field(default="awaiting_payment", max_length=24, index=True)
    currency: str = Field(max_length=3)
    exchange_rate: Decimal = Field(sa_column=Column(Numeric(14, 6), nullable=False))  # frozen at placement
    locale: str = Field(max_length=10)
    country: str = Field(max_length=2)
    email: str = Field(max_length=254, index=True)
    given_name: str = Field(max_length=99)
    family_name: str = Field(max_length=99)
    street_address: str = Field(max_length=99)
    postal_code: str = Field(max_length=10)
    city: str = Field(max_length=99)
    phone: str = Field(default="", max_length=30)
    shipping_method_id: int | None = Field(default=None, foreign_key="shipping_method.id")
    payment_method_id: int | None = Field(default=None, foreign_key="payment_method.id")
    stock_reserved: bool = True
    cart_id: int | None = Field(default=None, foreign_key="cart.id")  # emptied once the payment succeeds
    # Counts stored edits of the order's lines: an edit made from an older page is refused.
    revision: int = 0
    # The newest payment transaction, set by the database when one is inserted (shop/models/latest_payment.py).
    latest_payment_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)

    lines: list["OrderLine"] = Relationship(
        back_populates="order", sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "OrderLine.id"}
    )
    events: list["OrderEvent"] = Relationship(
        back_populates="order", sa_relationship_kwargs={"order_by": "OrderEvent.id"}
    )

    @property
    def customer_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def tax_total(self) -> int:
        return sum(line.tax for line in self.lines)

    def vat_breakdown(self) -> list[tuple[int, int, int]]:
        """(rate, gross, vat) per VAT rate, highest rate first."""
        return vat_breakdown(self.lines)

    @property
    def goods_lines(self) -> list["OrderLine"]:
        return [line for line in self.lines if line.kind in ("physical", "digital")]

    @property
    def is_fully_shipped(self) -> bool:
        return all(line.shipped_quantity >= line.quantity for line in self.goods_lines)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    kind: str = Field(default="physical", max_length=16)  # one of LINE_KINDS (Klarna's line types)
    reference: str = Field(max_length=64)  # SKU, or e.g. "shipping"
    name: str = Field(max_length=200)
    quantity: int
    unit_price: int  # order currency minor units, VAT included
    tax_rate: int  # hundredths of a percent
    discount: int = 0  # total discount of the line, VAT included
    shipped_quantity: int = 0
    returned_quantity: int = 0

    order: Order = Relationship(back_populates="lines")

    @property
    def total(self) -> int:
        """What the customer keeps: returned units no longer count (the order total drops with a return)."""
        return self.ordered_total - self.returned_total

    @property
    def ordered_total(self) -> int:
        return line_total(self.quantity, self.unit_price, self.discount)

    @property
    def returned_total(self) -> int:
        """The first returned units' share, discount allocated as Klarna refund lines allocate it."""
        if not self.returned_quantity:
            return 0
        discount = divide_rounded(self.discount * self.returned_quantity, self.quantity)
        return line_total(self.returned_quantity, self.unit_price, discount)

    @property
    def tax(self) -> int:
        return vat_of_gross(self.total, self.tax_rate)

    @property
    def returnable_quantity(self) -> int:
        """Goods come back once shipped; a fee (shipping, say) can be given back once."""
        limit = self.shipped_quantity if self.kind in ("physical", "digital") else self.quantity
        return max(limit - self.returned_quantity, 0)

    @property
    def unshipped_quantity(self) -> int:
        return max(self.quantity - self.shipped_quantity, 0)


class Shipment(SQLModel, table=True):
    __tablename__ = "shipment"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=254)

    lines: list["ShipmentLine"] = Relationship(
        back_populates="shipment", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_line"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    quantity: int

    shipment: Shipment = Relationship(back_populates="lines")


class OrderEvent(SQLModel, table=True):
    """Append-only history of an order, shown on the admin order page."""

    __tablename__ = "order_event"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=48)
    message: str = ""
    actor: str = Field(default="", max_length=254)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

    order: Order = Relationship(back_populates="events")
