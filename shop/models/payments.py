
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from .base import utcnow
from .texts import PaymentMethodText, Translatable

PROVIDERS = ("manual", "klarna")


class PaymentMethod(Translatable, SQLModel, table=True):
    """A payment method the merchant configured: a provider plus its settings."""

    __tablename__ = "payment_method"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    provider: str = Field(max_length=24)  # one of PROVIDERS
    position: int = 0
    # Provider settings (Klarna: merchant_id, environment, region, categories, place_order_mode, ...).
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The Klarna shared secret, encrypted (Fernet); never rendered back.
    secret_encrypted: str = Field(default="", max_length=1024)
    created_at: datetime = Field(default_factory=utcnow)

    versions: list["PaymentMethodVersion"] = Relationship(
        back_populates="method", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )

    texts: list[PaymentMethodText] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "passive_deletes": True}
    )

    def base_description(self) -> str:
        return self.settings.get("instructions", "") if self.provider == "manual" else ""

    @property
    def published_version_ids(self) -> set[int]:
        return {link.version_id for link in self.versions}


class PaymentMethodVersion(SQLModel, table=True):
    """A payment method is shown in the storefront of the shop versions linked here."""

    __tablename__ = "payment_method_version"
    __table_args__ = (UniqueConstraint("method_id", "version_id"),)

    id: int | None = Field(default=None, primary_key=True)
    method_id: int = Field(foreign_key="payment_method.id", index=True)
    version_id: int = Field(foreign_key="shop_version.id", index=True)

    method: PaymentMethod = Relationship(back_populates="versions")


class Payment(SQLModel, table=True):
    """One payment transaction of an order (an order may have several)."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    method_id: int = Field(foreign_key="payment_method.id")
    provider: str = Field(max_length=24)
    state: str = Field(default="started", max_length=24, index=True)
    currency: str = Field(max_length=3)
    amount: int  # the amount asked for / authorized, minor units
    # Cached ledger totals; recomputed from events, never incremented in place.
    captured_amount: int = 0
    refunded_amount: int = 0
    kp_session_id: str | None = Field(default=None, max_length=255, index=True)
    hpp_session_id: str | None = Field(default=None, max_length=255, unique=True)
    klarna_order_id: str | None = Field(default=None, max_length=255, unique=True)
    klarna_reference: str | None = Field(default=None, max_length=64)
    payment_option: str | None = Field(default=None, max_length=64)  # e.g. PAY_LATER
    payment_option_name: str | None = Field(default=None, max_length=120)
    fraud_status: str | None = Field(default=None, max_length=16)
    expires_at: datetime | None = Field(default=None, index=True)
    session_expires_at: datetime | None = None
    synced_at: datetime | None = None
    # The *_requested event of the Klarna write in flight; set and cleared by conditional
    # UPDATEs so that a second action on the same payment cannot start meanwhile.
    pending_event_id: int | None = None
    # A sync run holds the payment until then, so several cron machines never sync it twice at once;
    # after the read the run keeps it for a while, so runs started together read each payment once.
    lease_until: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=128)  # the run (host, process, thread)
    # The `amount_changed` event of an amount Klarna changed (merchant portal) that no merchant has acknowledged.
    amount_notice_event_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    events: list["PaymentEvent"] = Relationship(
        back_populates="payment", sa_relationship_kwargs={"order_by": "PaymentEvent.id"}
    )


class PaymentEvent(SQLModel, table=True):
    """Insert-only: what was asked of the provider and what it answered."""

    __tablename__ = "payment_event"

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=48)  # e.g. capture_requested, captured, capture_failed
    amount: int | None = None
    provider_id: str | None = Field(default=None, max_length=255)  # Klarna capture/refund id
    request_event_id: int | None = None  # the *_requested event an outcome answers
    idempotency_key: str | None = Field(default=None, max_length=64)
    correlation_id: str | None = Field(default=None, max_length=64)
    actor: str = Field(default="", max_length=254)
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

    payment: Payment = Relationship(back_populates="events")


class KlarnaCall(SQLModel, table=True):
    """The Klarna request log (redacted), shown per order in the admin."""

    __tablename__ = "klarna_call"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    order_id: int | None = Field(default=None, foreign_key="shop_order.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    status: int | None = None
    duration_ms: int = 0
    attempt: int = 1
    correlation_id: str | None = Field(default=None, max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=64)
    error: str | None = None
    request_body: Any = Field(default=None, sa_column=Column(JSON))
    response_body: Any = Field(default=None, sa_column=Column(JSON))
