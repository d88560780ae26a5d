"""What the shop keeps to act on bad news: payment links sent, captures on hold, alerts to staff."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from .base import utcnow

LINK_CHANNELS = ("page", "shop_email", "klarna_email", "klarna_sms")


class PaymentLink(SQLModel, table=True):
    """A hosted payment page link made for an order from the admin (a phone or e-mail order)."""

    __tablename__ = "payment_link"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    url: str = Field(max_length=2000)
    expires_at: datetime | None = None  # Klarna's HPP session expiry
    channel: str = Field(default="page", max_length=16)  # one of LINK_CHANNELS
    recipient: str = Field(default="", max_length=254)  # e-mail address or phone number
    created_by: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow)


class PaymentHold(SQLModel, table=True):
    """A capture Klarna refused for now (PAYMENT_METHOD_FAILED): retried by the sync on a backoff."""

    __tablename__ = "payment_hold"

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    request_event_id: int  # the refused capture_requested event; its body is what is retried
    reason: str = ""  # Klarna's words
    error_code: str | None = Field(default=None, max_length=64)
    correlation_id: str | None = Field(default=None, max_length=64)
    attempts: int = 1
    next_try_at: datetime = Field(default_factory=utcnow, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = Field(default=None, index=True)
    outcome: str = Field(default="", max_length=24)  # captured, nothing_left, not_capturable


class StaffAlert(SQLModel, table=True):
    """Something staff must know about an order; shown under Needs attention until dismissed."""

    __tablename__ = "staff_alert"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=48)
    order_id: int | None = Field(default=None, foreign_key="shop_order.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    message: str = ""  # a msgid, shown translated with data["message_args"]
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    dismissed_at: datetime | None = Field(default=None, index=True)
    dismissed_by: str = Field(default="", max_length=254)
