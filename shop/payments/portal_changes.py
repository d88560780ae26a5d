"""Changes made to a Klarna order in Klarna's merchant portal, found by the sync (API.md §4.2).

An amount change there moves only Klarna's `order_amount`, never the shop's lines: the payment's
amounts follow, the order's history records old and new amount, and the order page shows a notice
until a merchant acknowledges it (after aligning the lines, or deciding they are right).

The cron sync also re-reads payments that are captured (or closed) but still refundable, since a
refund can be made in the portal at any time. Its cost is bounded: such a payment is read on every
run while it changed within RECENT_CHANGE (its last payment event), otherwise only when it was not
read for READ_EVERY and was created within SETTLED_WINDOW, at most SETTLED_PER_RUN of those per run,
the longest unread first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, select

from shop.i18n_markers import N_, money_arg
from shop.models import Order, Payment, PaymentEvent
from shop.orders import add_event

from . import states
from .common import add_payment_event

RECENT_CHANGE = timedelta(days=2)
READ_EVERY = timedelta(hours=24)
SETTLED_WINDOW = timedelta(days=90)
SETTLED_PER_RUN = 100
SETTLED_STATES = (states.CAPTURED, states.CLOSED)


def record_amount_change(session: Session, payment: Payment, new_amount: int, actor: str) -> PaymentEvent:
    old_amount = payment.amount
    event = add_payment_event(session, payment, "amount_changed", N_("Order amount changed at Klarna"),
                              amount=new_amount, actor=actor, data={"from": old_amount, "to": new_amount})
    payment.amount = new_amount
    payment.amount_notice_event_id = event.id
    order = session.get(Order, payment.order_id)
    add_event(session, order, "klarna_amount_changed",
              N_("Klarna's order amount changed from %(old)s to %(new)s outside the shop; the order lines did not"),
              actor=actor, payment_id=payment.id, message_args={
                  "old": money_arg(old_amount, payment.currency), "new": money_arg(new_amount, payment.currency)},
              **{"from": old_amount, "to": new_amount})
    return event


@dataclass(frozen=True)
class AmountNotice:
    payment: Payment
    event: PaymentEvent

    @property
    def old_amount(self) -> int:
        return self.event.data.get("from", 0)

    @property
    def new_amount(self) -> int:
        return self.event.data.get("to", 0)


def amount_notices(session: Session, order: Order) -> list[AmountNotice]:
    payments = session.exec(select(Payment).where(Payment.order_id == order.id,
                                                  Payment.amount_notice_event_id.is_not(None))  # type: ignore[union-attr]
                            .order_by(Payment.id)).all()
    notices = []
    for payment in payments:
        event = session.get(PaymentEvent, payment.amount_notice_event_id)
        if event is not None:
            notices.append(AmountNotice(payment, event))
    return notices


def acknowledge_amount_change(session: Session, payment: Payment, event_id: int, *, actor: str) -> bool:
    """Clears the notice of that change; False when it was already acknowledged (or a newer change came)."""
    cleared = session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id, Payment.amount_notice_event_id == event_id)
        .values(amount_notice_event_id=None)
    )
    if cleared.rowcount != 1:
        session.rollback()
        return False
    session.refresh(payment)
    add_payment_event(session, payment, "amount_change_acknowledged", N_("Klarna's amount change acknowledged"),
                      actor=actor, data={"event_id": event_id})
    session.commit()
    return True


def settled_candidates(session: Session, now: datetime) -> list[int]:
    """Captured or closed Klarna payments with something refundable whose Klarna order may have changed."""
    last_event = (select(PaymentEvent.payment_id, func.max(PaymentEvent.created_at).label("at"))
                  .group_by(PaymentEvent.payment_id).subquery())
    settled = (select(Payment.id, Payment.synced_at, last_event.c.at)
               .join(last_event, last_event.c.payment_id == Payment.id)
               .where(Payment.provider == "klarna", Payment.klarna_order_id.is_not(None),  # type: ignore[union-attr]
                      Payment.state.in_(SETTLED_STATES),  # type: ignore[attr-defined]
                      Payment.captured_amount > Payment.refunded_amount))
    recent = session.exec(settled.where(last_event.c.at >= now - RECENT_CHANGE)).all()
    stale = session.exec(
        settled.where(last_event.c.at < now - RECENT_CHANGE, Payment.created_at >= now - SETTLED_WINDOW,
                      or_(Payment.synced_at.is_(None), Payment.synced_at < now - READ_EVERY))  # type: ignore[union-attr]
        .order_by(Payment.synced_at.is_not(None), Payment.synced_at, Payment.id)  # type: ignore[union-attr]
        .limit(SETTLED_PER_RUN)).all()
    return [row[0] for row in recent] + [row[0] for row in stale]
