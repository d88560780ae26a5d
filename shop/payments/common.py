"""Pieces every payment flow uses: the order as Klarna lines, events, and Klarna error details."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from shop.i18n_markers import KLARNA_ANSWERED, N_
from shop.klarna import KlarnaConnectionError, KlarnaError, KlarnaServerError
from shop.models import Order, OrderLine, Payment, PaymentEvent, utcnow
from shop.money import BASE_CURRENCY, convert_to_base
from shop.orders import add_event

from .order_lines import LineItem, order_payload

IDEMPOTENCY_NAMESPACE = uuid.UUID("6d1f7a52-3c0e-4f55-9d4b-2f8f0e5a9c11")
INSTALMENT_OPTIONS = {"INVOICE", "FIXED_AMOUNT", "ACCOUNT", "PAY_LATER_IN_PARTS", "PAY_IN_X", "BASE_ACCOUNT"}


class ProviderError(Exception):
    """A payment provider's refusal or failure, with what the merchant needs to follow it up.

    A plain exception (not a frozen dataclass): Python and test tools attach notes to
    exceptions in flight, which a frozen instance refuses.
    """

    def __init__(self, message: str, correlation_id: str | None = None, error_code: str | None = None,
                 outcome_unknown: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id
        self.error_code = error_code
        self.outcome_unknown = outcome_unknown
        self.status = status  # Klarna's HTTP status; None when no answer arrived

    @property
    def klarna_answered(self) -> bool:
        """Klarna answered (a 5xx too): "Klarna answered with an error", not "Klarna did not answer"."""
        return self.status is not None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (f"ProviderError({self.message!r}, correlation_id={self.correlation_id!r}, "
                f"error_code={self.error_code!r}, outcome_unknown={self.outcome_unknown!r})")

    @classmethod
    def from_klarna(cls, error: KlarnaError) -> "ProviderError":
        messages = "; ".join(error.error_messages) or error.message
        text = f"{error.error_code}: {messages}" if error.error_code else messages
        return cls(text, error.correlation_id, error.error_code, outcome_unknown=outcome_unknown(error),
                   status=error.status)


def outcome_unknown(error: KlarnaError) -> bool:
    """No answer, or Klarna failed (5xx): a write may or may not have happened."""
    return isinstance(error, (KlarnaConnectionError, KlarnaServerError))


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def as_utc(value: datetime | None) -> datetime | None:
    """Timestamps come back from SQLite without their zone; they are all UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def line_reference(line: OrderLine, seen: set[str]) -> str:
    reference = line.reference if line.reference not in seen else f"{line.reference}-{line.id}"
    seen.add(reference)
    return reference


def order_items(order: Order) -> list[LineItem]:
    seen: set[str] = set()
    return [
        LineItem(kind=line.kind, reference=line_reference(line, seen), name=line.name[:255],
                 quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate, discount=line.discount)
        for line in order.lines
    ]


def address(order: Order) -> dict[str, str]:
    fields = {
        "given_name": order.given_name, "family_name": order.family_name, "email": order.email,
        "street_address": order.street_address, "postal_code": order.postal_code, "city": order.city,
        "country": order.country, "phone": order.phone,
    }
    return {key: value for key, value in fields.items() if value}


def klarna_order_payload(order: Order, **extra: Any) -> dict[str, Any]:
    return order_payload(
        order_items(order), purchase_country=order.country, purchase_currency=order.currency,
        locale=order.locale, merchant_reference1=order.number, billing_address=address(order),
        shipping_address=address(order), **extra,
    )


def add_payment_event(session: Session, payment: Payment, kind: str, message: str = "", *,
                      amount: int | None = None, actor: str = "", error: ProviderError | None = None,
                      message_args: dict[str, Any] | None = None, **fields: Any) -> PaymentEvent:
    """`message` is a msgid (marked with N_), shown translated with `message_args` filling its placeholders;
    with an `error` and no message, Klarna's own words under a translated lead."""
    data = fields.pop("data", {})
    if error is not None:
        if not message:
            message, message_args = KLARNA_ANSWERED, {"message": error.message}
        fields.setdefault("correlation_id", error.correlation_id)
        data = {**data, "error_code": error.error_code, "outcome_unknown": error.outcome_unknown}
    if message_args:
        data = {**data, "message_args": dict(message_args)}
    now = utcnow()  # the payment layer's one clock, for the event and the payment alike
    event = PaymentEvent(payment_id=payment.id, kind=kind, message=message, amount=amount, actor=actor,
                         data=data, created_at=now, **fields)
    session.add(event)
    payment.updated_at = now
    session.add(payment)
    session.flush()
    return event


def idempotency_key(payment: Payment, event: PaymentEvent) -> str:
    """Minted once per business operation (its *_requested event) and reused on every retry."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"payment:{payment.id}:event:{event.id}"))


def purpose_key(payment: Payment, purpose: str) -> str:
    """A key for a write the shop makes at most once per payment (e.g. undoing a mismatched order)."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"payment:{payment.id}:{purpose}"))


def note_capture_on_order(session: Session, payment: Payment, amount: int, actor: str, message: str) -> None:
    """The order's history says when it was paid, and at which frozen exchange rate (DESIGN.md §1)."""
    order = session.get(Order, payment.order_id)
    data: dict[str, Any] = {"payment_id": payment.id, "amount": amount, "currency": payment.currency}
    if payment.currency != BASE_CURRENCY:
        data["exchange_rate"] = str(order.exchange_rate)
        data["eur_equivalent"] = convert_to_base(amount, order.exchange_rate, payment.currency)
    add_event(session, order, "payment_captured", message, actor=actor, **data)
    if (payment.payment_option or "").upper() in INSTALMENT_OPTIONS:
        add_event(session, order, "payment_instructions", N_("Klarna now sends the customer payment instructions"),
                  actor=actor, payment_id=payment.id)
