"""One function per customer e-mail: build its frozen context and queue it (the caller commits).

Triggers (triggers.py) call these when the order's events say so; other parts may call them
directly, e.g. `queue_payment_link` after a new payment link was created.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlmodel import Session, select

from shop.models import Order, OutboxMessage, Payment, Shipment

from .context import order_context, refund_context, shipment_context
from .outbox import enqueue, language_of


CLOSED_ORDER_STATUSES = ("cancelled", "abandoned")


def queue_order_confirmation(session: Session, order: Order, payment: Payment | None = None) -> OutboxMessage | None:
    """Once per order, whichever way it was confirmed (return, callback, sync, bank transfer).

    None for an order the shop gave up already: a late approval at Klarna is undone, not confirmed."""
    if order.status in CLOSED_ORDER_STATUSES:
        return None
    return enqueue(session, "order_confirmation", order.email, order=order, language=language_of(order),
                   context=order_context(session, order, payment), dedupe_key=f"order_confirmation:{order.id}")


def queue_shipment(session: Session, order: Order, shipment: Shipment) -> OutboxMessage:
    return enqueue(session, "shipment", order.email, order=order, language=language_of(order),
                   context=shipment_context(session, order, shipment), dedupe_key=f"shipment:{shipment.id}")


def queue_refund(session: Session, order: Order, payment: Payment, amount: int, *, cause: str) -> OutboxMessage:
    """`cause` names the refund once (e.g. its payment event): a replayed refund queues no second e-mail."""
    return enqueue(session, "refund", order.email, order=order, language=language_of(order),
                   context=refund_context(session, order, payment, amount), dedupe_key=f"refund:{cause}")


def queue_cancellation(session: Session, order: Order) -> OutboxMessage | None:
    """Only a customer who was told the order is confirmed hears that it is cancelled."""
    if not was_confirmed(session, order):
        return None
    return enqueue(session, "order_cancelled", order.email, order=order, language=language_of(order),
                   context=order_context(session, order), dedupe_key=f"order_cancelled:{order.id}")


def queue_payment_link(session: Session, order: Order, url: str, *, to: str = "",
                       expires_at: datetime | None = None, cause: str | None = None) -> OutboxMessage:
    """The hosted payment page's link for an order awaiting payment (a phone order, say), to `to` or the order's address.

    `cause` (e.g. the link's id) keeps a retried request from queueing the same link twice."""
    context = {**order_context(session, order), "url": url,
               "expires_at": expires_at.isoformat() if expires_at else None}
    return enqueue(session, "payment_link", to or order.email, order=order, language=language_of(order),
                   context=context, dedupe_key=f"payment_link:{cause}" if cause else None)


def queue_staff_alert(session: Session, title: str, message: str, *, order: Order | None = None,
                      url: str = "", message_args: dict[str, Any] | None = None,
                      cause: str | None = None) -> OutboxMessage:
    """An e-mail to the shop's own address (MERCHANT_EMAIL), in the admin's default language.

    `title` and `message` are msgids (marked with N_), translated when rendered, `message_args` filling them."""
    config = current_app.config if has_app_context() else {}
    context = {"title": title, "message": message, "message_args": dict(message_args or {}), "url": url,
               "order": {"number": order.number} if order is not None else None}
    return enqueue(session, "staff_alert", config.get("MERCHANT_EMAIL", ""), order=order,
                   language=config.get("ADMIN_DEFAULT_LOCALE", "en"), context=context,
                   dedupe_key=f"staff_alert:{cause}" if cause else None)


def was_confirmed(session: Session, order: Order) -> bool:
    for pending in session.new:
        if isinstance(pending, OutboxMessage) and pending.dedupe_key == f"order_confirmation:{order.id}":
            return True
    with session.no_autoflush:
        return session.exec(select(OutboxMessage.id).where(
            OutboxMessage.dedupe_key == f"order_confirmation:{order.id}")).first() is not None
