from datetime import datetime

from sqlmodel import Field, Relationship, SQLModel

from .base import utcnow


class Return(SQLModel, table=True):
    """Goods (and perhaps the shipping cost) the customer sent back; its lines say what and how many."""

    __tablename__ = "order_return"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    restocked: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=254)

    lines: list["ReturnLine"] = Relationship(
        back_populates="order_return", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class ReturnLine(SQLModel, table=True):
    __tablename__ = "order_return_line"

    id: int | None = Field(default=None, primary_key=True)
    return_id: int = Field(foreign_key="order_return.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    quantity: int

    order_return: Return = Relationship(back_populates="lines")
