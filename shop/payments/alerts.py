"""Alerts to staff: a notice under Needs attention, and an e-mail to the shop's address.

An alert is written in the same transaction as the change that causes it; `ALERT_LISTENERS`
lets the mail outbox add its e-mail there too (shop/mail/triggers.py), so none is lost.
"""
from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session, select

from shop.models import Order, Payment, StaffAlert, utcnow

AlertListener = Callable[[Session, StaffAlert], None]
ALERT_LISTENERS: list[AlertListener] = []


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
