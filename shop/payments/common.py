"""Pieces every payment flow uses: the order as Klarna lines, events, and Klarna error details."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from shop.klarna import KlarnaError, KlarnaTimeout
from shop.models import Order, OrderLine, Payment, PaymentEvent, utcnow

from .order_lines import LineItem, order_payload

IDEMPOTENCY_NAMESPACE = uuid.UUID("6d1f7a52-3c0e-4f55-9d4b-2f8f0e5a9c11")


@dataclass(frozen=True)
class ProviderError(Exception):
    """A payment provider's refusal or failure, with what the merchant needs to follow it up."""

    message: str
    correlation_id: str | None = None
    error_code: str | None = None
    outcome_unknown: bool = False

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_klarna(cls, error: KlarnaError) -> "ProviderError":
        messages = "; ".join(error.error_messages) or str(error.args[0] if error.args else error)
        text = f"{error.error_code}: {messages}" if error.error_code else messages
        return cls(text, error.correlation_id, error.error_code, isinstance(error, KlarnaTimeout))


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
                      **fields: Any) -> PaymentEvent:
    data = fields.pop("data", {})
    if error is not None:
        message = message or error.message
        fields.setdefault("correlation_id", error.correlation_id)
        data = {**data, "error_code": error.error_code, "outcome_unknown": error.outcome_unknown}
    event = PaymentEvent(payment_id=payment.id, kind=kind, message=message, amount=amount, actor=actor,
                         data=data, **fields)
    session.add(event)
    payment.updated_at = utcnow()
    session.add(payment)
    session.flush()
    return event


def idempotency_key(payment: Payment, event: PaymentEvent) -> str:
    """Minted once per business operation (its *_requested event) and reused on every retry."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"payment:{payment.id}:event:{event.id}"))
