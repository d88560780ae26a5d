"""Catalogue texts per language: product, category, shipping and payment method names and descriptions.

A record shows its text in the first of the asked languages that has one (the shopper's, then the
default shop version's), else its own base name and description.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

TEXT_NAME_LENGTH = 200
TEXT_LANGUAGE_LENGTH = 8


@dataclass(frozen=True)
class LocalText:
    name: str
    description: str


class CatalogText(SQLModel):
    language: str = Field(max_length=TEXT_LANGUAGE_LENGTH)
    name: str = Field(default="", max_length=TEXT_NAME_LENGTH)
    description: str = ""


class Translatable:
    """Mixed into a table with a `name` and a `texts` relationship to its CatalogText rows."""

    def base_description(self) -> str:
        return getattr(self, "description", "") or ""

    def text_for(self, language: str) -> CatalogText | None:
        return next((text for text in self.texts if text.language == language), None)

    def in_language(self, languages: Sequence[str]) -> LocalText:
        found = [text for text in map(self.text_for, languages) if text is not None]
        name = next((text.name for text in found if text.name), self.name)
        description = next((text.description for text in found if text.description), self.base_description())
        return LocalText(name, description)


class ProductText(CatalogText, table=True):
    __tablename__ = "product_text"
    __table_args__ = (UniqueConstraint("product_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")


class CategoryText(CatalogText, table=True):
    __tablename__ = "category_text"
    __table_args__ = (UniqueConstraint("category_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id", index=True, ondelete="CASCADE")


class ShippingMethodText(CatalogText, table=True):
    __tablename__ = "shipping_method_text"
    __table_args__ = (UniqueConstraint("shipping_method_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    shipping_method_id: int = Field(foreign_key="shipping_method.id", index=True, ondelete="CASCADE")


class PaymentMethodText(CatalogText, table=True):
    """`description`: the payment instructions shown to the shopper (manual methods)."""

    __tablename__ = "payment_method_text"
    __table_args__ = (UniqueConstraint("payment_method_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    payment_method_id: int = Field(foreign_key="payment_method.id", index=True, ondelete="CASCADE")
