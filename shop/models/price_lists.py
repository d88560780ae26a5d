"""A shop version's own prices: set per product and shipping method in the version's currency.

Where none is set, the price is derived from the base price (shop.pricing).
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class VersionProductPrice(SQLModel, table=True):
    __tablename__ = "version_product_price"
    __table_args__ = (UniqueConstraint("version_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="shop_version.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    price: int  # minor units of the version's currency, VAT included


class VersionShippingPrice(SQLModel, table=True):
    __tablename__ = "version_shipping_price"
    __table_args__ = (UniqueConstraint("version_id", "shipping_method_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="shop_version.id", index=True)
    shipping_method_id: int = Field(foreign_key="shipping_method.id", index=True)
    price: int  # minor units of the version's currency, VAT included
