from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship, SQLModel

from .texts import CategoryText, ProductText, ShippingMethodText, Translatable

if TYPE_CHECKING:
    from .images import ProductImage

TEXTS = {"cascade": "all, delete-orphan", "passive_deletes": True}


class Category(Translatable, SQLModel, table=True):
    __tablename__ = "category"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=120)
    position: int = 0

    products: list["Product"] = Relationship(back_populates="category")
    texts: list[CategoryText] = Relationship(sa_relationship_kwargs=TEXTS)


class Product(Translatable, SQLModel, table=True):
    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    slug: str = Field(max_length=120, unique=True, index=True)
    name: str = Field(max_length=200)
    description: str = ""
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    price: int  # EUR minor units, VAT included (the base price)
    tax_class: str = Field(default="standard", max_length=16)
    kind: str = Field(default="physical", max_length=16)  # physical | digital
    stock: int = 0
    active: bool = True

    category: Category | None = Relationship(back_populates="products")
    texts: list[ProductText] = Relationship(sa_relationship_kwargs=TEXTS)
    images: list["ProductImage"] = Relationship(back_populates="product", sa_relationship_kwargs={
        "order_by": "[ProductImage.position, ProductImage.id]", "cascade": "all, delete-orphan"})


class ShippingMethod(Translatable, SQLModel, table=True):
    __tablename__ = "shipping_method"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    price: int  # EUR minor units, VAT included
    tax_class: str = Field(default="standard", max_length=16)
    position: int = 0
    active: bool = True

    texts: list[ShippingMethodText] = Relationship(sa_relationship_kwargs=TEXTS)
