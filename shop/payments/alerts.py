"""Alerts to staff: a notice under Needs attention, and an e-mail to the shop's address.

Both are written in the transaction of the change that causes them (the e-mail through the
mail outbox), so neither is lost and neither is sent for a change that was rolled back.
"""
from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session, select

from shop.i18n_markers import N_
from shop.models import Order, Payment, StaffAlert, utcnow

# The e-mail's subject per kind of alert.
TITLES = {
    "fraud_rejected": N_("Klarna rejected a payment"),
    "late_authorization": N_("A payment arrived for an order that was given up"),
    "late_authorization_failed": N_("A late payment could not be cancelled"),
    "payment_on_hold": N_("A payment is on hold"),
}

# Called with each new alert in its transaction: the e-mail to the shop's address (shop.mail) registers here.
ALERT_LISTENERS: list[Callable[[Session, StaffAlert], None]] = []


def alert_staff(session: Session, kind: str, message: str, *, order: Order | None = None,
                payment: Payment | None = None, message_args: dict[str, Any] | None = None,
                **data: Any) -> StaffAlert:
    """`message` is a msgid (N_), translated when shown; the caller commits."""
    if message_args:
        data["message_args"] = dict(message_args)
    alert = StaffAlert(kind=kind, message=message, data=data, order_id=order.id if order else None,
                       payment_id=payment.id if payment else None)
    session.add(alert)
    session.flush()
    for listener in ALERT_LISTENERS:
        listener(session, alert)
    return alert


def has_alert(session: Session, kind: str, payment: Payment) -> bool:
    return session.exec(select(StaffAlert.id).where(StaffAlert.kind == kind,
                                                    StaffAlert.payment_id == payment.id)).first() is not None


def dismiss(session: Session, alert: StaffAlert, *, actor: str) -> None:
    if alert.dismissed_at is None:
        alert.dismissed_at = utcnow()
        alert.dismissed_by = actor
        session.add(alert)
