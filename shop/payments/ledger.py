"""Totals of a payment derived from its events (insert-only), never counters mutated in place."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlmodel import Session, select

from shop.models import Payment, PaymentEvent

# Event kinds that move money, and the direction.
CAPTURE_KINDS = {"captured", "captured_elsewhere"}
REFUND_KINDS = {"refunded", "refunded_elsewhere"}


@dataclass(frozen=True)
class Totals:
    authorized: int
    captured: int
    refunded: int

    @property
    def remaining(self) -> int:
        return max(self.authorized - self.captured, 0)

    @property
    def refundable(self) -> int:
        return max(self.captured - self.refunded, 0)


def totals_of(payment: Payment, events: Iterable[PaymentEvent]) -> Totals:
    captured = refunded = 0
    for event in events:
        if event.kind in CAPTURE_KINDS:
            captured += event.amount or 0
        elif event.kind in REFUND_KINDS:
            refunded += event.amount or 0
    return Totals(authorized=payment.amount, captured=captured, refunded=refunded)


def recompute(session: Session, payment: Payment) -> Totals:
    """Refresh the cached totals on the payment row from its events."""
    events = session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id)).all()
    totals = totals_of(payment, events)
    payment.captured_amount = totals.captured
    payment.refunded_amount = totals.refunded
    session.add(payment)
    return totals


def known_provider_ids(session: Session, payment: Payment, kinds: set[str]) -> set[str]:
    rows = session.exec(
        select(PaymentEvent.provider_id).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.kind.in_(kinds)  # type: ignore[attr-defined]
        )
    ).all()
    return {row for row in rows if row}
