"""Which changes queue which e-mail: read off the order's and payments' history as it is written.

A session hook sees every new OrderEvent and PaymentEvent (and an order turning "cancelled")
when it is flushed, and queues the e-mail in the same transaction. So every path that
records the change — the shopper's return, Klarna's callback, the sync, the admin, a
command — sends the e-mail, and a rolled-back change sends none.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from shop.i18n_markers import N_

from shop.models import Order, OrderEvent, Payment, PaymentEvent, PaymentLink, Shipment, StaffAlert
from shop.payments.alerts import ALERT_LISTENERS, TITLES

from .links import admin_order_url
from .messages import (
    queue_cancellation, queue_order_confirmation, queue_payment_link, queue_refund, queue_shipment, queue_staff_alert,
)

log = logging.getLogger(__name__)

PENDING_KEY = "mail_trigger_rows"


def _confirmed(session: Session, order: Order, row: OrderEvent) -> None:
    payment = session.get(Payment, row.data["payment_id"]) if row.data.get("payment_id") else None
    queue_order_confirmation(session, order, payment)


def _awaiting_manual_payment(session: Session, order: Order, row: OrderEvent) -> None:
    """Bank transfer and the like: the order is taken; the e-mail says it ships once paid."""
    if row.data.get("provider") == "manual":
        queue_order_confirmation(session, order)


def _shipped(session: Session, order: Order, row: OrderEvent) -> None:
    shipment = session.get(Shipment, row.data["shipment_id"]) if row.data.get("shipment_id") else None
    if shipment is not None:
        queue_shipment(session, order, shipment)


def _cancelled(session: Session, order: Order, _row: OrderEvent | None) -> None:
    queue_cancellation(session, order)


ORDER_EVENT_TRIGGERS: dict[str, Callable[[Session, Order, OrderEvent], None]] = {
    "payment_authorized": _confirmed,
    "awaiting_payment": _awaiting_manual_payment,
    "shipped": _shipped,
    "partially_shipped": _shipped,
    "cancelled": _cancelled,
}
REFUND_EVENT_KINDS = ("refunded", "refunded_elsewhere")  # made in the shop, or seen by the sync at Klarna


def _refunded(session: Session, row: PaymentEvent) -> None:
    payment = session.get(Payment, row.payment_id)
    order = session.get(Order, payment.order_id) if payment is not None else None
    if order is not None and row.amount:
        queue_refund(session, order, payment, row.amount, cause=f"payment_event:{row.id}")


def _link_created(session: Session, link: PaymentLink) -> None:
    """The merchant chose "E-mail from the shop" for a new payment link."""
    order = session.get(Order, link.order_id)
    if order is not None:
        queue_payment_link(session, order, link.url, to=link.recipient, expires_at=link.expires_at,
                           cause=str(link.id))


def alert_by_email(session: Session, alert: StaffAlert) -> None:
    """Every staff alert is e-mailed to the shop's address too (ALERT_LISTENERS, same transaction)."""
    order = session.get(Order, alert.order_id) if alert.order_id else None
    queue_staff_alert(session, TITLES.get(alert.kind, STAFF_ALERT_TITLE), alert.message, order=order,
                      url=admin_order_url(order.number) if order is not None else "",
                      message_args=alert.data.get("message_args"), cause=f"alert:{alert.id}")


STAFF_ALERT_TITLE = N_("an order needs attention")


def _collect(session: OrmSession, _context) -> None:
    """after_flush: remember what this flush wrote (the lists still show it here)."""
    rows = session.info.setdefault(PENDING_KEY, [])
    for obj in session.new:
        if isinstance(obj, OrderEvent) and obj.kind in ORDER_EVENT_TRIGGERS:
            rows.append(obj)
        elif isinstance(obj, PaymentEvent) and obj.kind in REFUND_EVENT_KINDS:
            rows.append(obj)
        elif isinstance(obj, PaymentLink) and obj.channel == "shop_email":
            rows.append(obj)
    for obj in session.dirty:
        if isinstance(obj, Order) and "cancelled" in (inspect(obj).attrs.status.history.added or ()):
            rows.append(obj)


def _queue(session: OrmSession, _context) -> None:
    """after_flush_postexec: queue the e-mails; the next flush of this transaction writes them."""
    rows = session.info.pop(PENDING_KEY, [])
    for row in rows:
        try:
            with session.no_autoflush:
                _queue_for(session, row)
        except Exception:  # the business change must not fail for its e-mail; the log says what was lost
            log.exception("could not queue the e-mail for %r", row)


def _queue_for(session: Session, row) -> None:
    if isinstance(row, PaymentEvent):
        _refunded(session, row)
    elif isinstance(row, PaymentLink):
        _link_created(session, row)
    elif isinstance(row, Order):
        _cancelled(session, row, None)
    else:
        order = session.get(Order, row.order_id)
        if order is not None:
            ORDER_EVENT_TRIGGERS[row.kind](session, order, row)


def _forget(session: OrmSession, *_args) -> None:
    session.info.pop(PENDING_KEY, None)


_installed = False


def install() -> None:
    """Once per process: the hooks apply to every session of the shop."""
    global _installed
    if _installed:
        return
    event.listen(OrmSession, "after_flush", _collect)
    event.listen(OrmSession, "after_flush_postexec", _queue)
    event.listen(OrmSession, "after_soft_rollback", _forget)
    ALERT_LISTENERS.append(alert_by_email)
    _installed = True
