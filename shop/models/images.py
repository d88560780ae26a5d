"""Product images: the resized files of each upload, in the merchant's order, with alt texts per language."""
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from .base import utcnow

if TYPE_CHECKING:
    from .catalog import Product


class ProductImage(SQLModel, table=True):
    """One uploaded image. `variants` lists its stored sizes: {"size": "card-320", "width", "height", "name"}."""

    __tablename__ = "product_image"

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    position: int = 0  # the lowest is the main image
    width: int  # the decoded upload's, after its EXIF orientation
    height: int
    variants: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)

    product: "Product" = Relationship(back_populates="images")
    texts: list["ProductImageText"] = Relationship(
        back_populates="image", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )

    def alt(self, language: str) -> str:
        return next((text.alt for text in self.texts if text.language == language and text.alt), "")


class ProductImageText(SQLModel, table=True):
    __tablename__ = "product_image_text"
    __table_args__ = (UniqueConstraint("image_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    image_id: int = Field(foreign_key="product_image.id", index=True)
    language: str = Field(max_length=8)
    alt: str = Field(default="", max_length=300)

    image: ProductImage = Relationship(back_populates="texts")
