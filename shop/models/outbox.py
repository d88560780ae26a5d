"""The mail outbox: one row per e-mail, written in the transaction of the change that causes it."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from .base import utcnow

OUTBOX_STATUSES = (
    "pending",  # waiting to be delivered (or for its next try)
    "sent",  # the SMTP server accepted it
    "failed",  # given up: a permanent refusal, or too many tries
)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # which template: order_confirmation, shipment, refund, ...
    recipient: str = Field(max_length=254)
    language: str = Field(max_length=5)  # fi, sv, en
    order_id: int | None = Field(default=None, foreign_key="shop_order.id", index=True)
    # What the templates need, frozen when the cause happened (amounts in minor units, ids, names).
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=120, index=True)  # one e-mail per cause
    message_id: str = Field(max_length=200)  # the Message-ID header, the same on every try
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_until: datetime | None = None  # a sender's lease; a crashed sender's claim lapses
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Rendered when it is sent, so the admin shows exactly what went out.
    subject: str = Field(default="", max_length=300)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None
