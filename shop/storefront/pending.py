"""The shopper's order that still waits for payment (after Klarna was cancelled or failed).

The cart stays as it was, so the shopper can pay the same order again, pay it another way,
or change the cart and check out anew (then the waiting order is cancelled and its stock
released).
"""
from __future__ import annotations

import logging

from flask import session as browser_session
from sqlmodel import Session, select

from shop.i18n_markers import N_
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order
from shop.orders import add_event, release_stock
from shop.payments import klarna_checkout
from shop.payments.gateway import current_gateway

from .context import current_version

log = logging.getLogger(__name__)
SESSION_KEY = "pending_orders"


def remember_pending_order(order: Order) -> None:
    browser_session[SESSION_KEY] = {**browser_session.get(SESSION_KEY, {}), current_version().code: order.token}


def forget_pending_order() -> None:
    tokens = dict(browser_session.get(SESSION_KEY, {}))
    tokens.pop(current_version().code, None)
    browser_session[SESSION_KEY] = tokens


def pending_order(session: Session) -> Order | None:
    token = browser_session.get(SESSION_KEY, {}).get(current_version().code)
    if not token:
        return None
    order = session.exec(select(Order).where(Order.token == token)).first()
    return order if order is not None and order.status == "awaiting_payment" else None


def cancel_replaced_order(session: Session) -> None:
    """A new checkout replaces the waiting order: close its Klarna sessions, free its stock."""
    order = pending_order(session)
    if order is None:
        return
    try:
        paid = klarna_checkout.disable_open_sessions(session, order, current_gateway())
    except KLARNA_ERRORS as error:
        log.warning("could not close Klarna sessions of order %s: %s", order.number, error)
        return  # leave it to the sync; never cancel an order that may have been paid
    forget_pending_order()
    if paid is not None:
        return
    order.status = "cancelled"
    release_stock(session, order)
    add_event(session, order, "cancelled", N_("Replaced by a new checkout of the same shopper; stock released"))
    session.commit()
