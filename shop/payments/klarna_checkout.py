"""Checkout through Klarna's hosted payment page (DESIGN.md §4).

Start: KP session with the order's lines, HPP session with merchant URLs, redirect.
Finalise (in `finalise.py`, re-exported here): never trust the browser; read Klarna and
authorize exactly once, whether the return, the status callback or the sync gets there first.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlmodel import Session, select

from shop.i18n_markers import KLARNA_ANSWERED, N_
from shop.klarna import KlarnaBadRequest, KlarnaClient, KlarnaError, KlarnaNotFound
from shop.models import Order, Payment, PaymentMethod
from shop.orders import add_event

from . import states
from .common import ProviderError, add_payment_event, klarna_order_payload, parse_time
from .finalise import CLAIMABLE, Finalisation, empty_cart, finalise
from .gateway import KlarnaGateway, correlation_id, correlation_ids

log = logging.getLogger(__name__)

UrlsFor = Callable[[Payment], dict[str, str]]
RETURN_KINDS = ("success", "cancel", "back", "failure", "error")
KP_URL_KINDS = ("notification", "authorization")
# What the order's history says when the shopper came back without paying.
RETURN_EVENT_MESSAGES = {
    "cancel": N_("The shopper cancelled the payment on Klarna's page"),
    "back": N_("The shopper came back from Klarna's page without paying"),
    "failure": N_("Klarna's page reported that the payment failed"),
    "error": N_("Klarna's page reported an error"),
}


class CheckoutFailed(Exception):
    def __init__(self, error: ProviderError, payment: Payment | None = None):
        super().__init__(error.message)
        self.error = error
        self.payment = payment


def start(session: Session, order: Order, method: PaymentMethod, gateway: KlarnaGateway,
          urls_for: UrlsFor) -> str:
    """Open a Klarna session for the order and return the hosted page URL to redirect to.

    Raises CheckoutFailed (with Klarna's message and correlation id) when Klarna refuses or
    cannot be reached; the payment is then failed and the order kept for another attempt.
    """
    payment = Payment(order_id=order.id, method_id=method.id, provider="klarna", currency=order.currency,
                      amount=order.total, state=states.STARTED)
    session.add(payment)
    session.flush()
    add_payment_event(session, payment, "session_requested", N_("Klarna session requested"))
    order.payment_method_id = method.id
    session.add(order)
    session.commit()
    try:
        client = gateway.client(method, order_id=order.id, payment_id=payment.id)
    except ProviderError as misconfigured:
        _fail_start(session, order, payment, misconfigured)
    urls = urls_for(payment)
    kp_urls = {kind: urls[kind] for kind in KP_URL_KINDS if urls.get(kind)}
    try:
        kp = client.create_session(klarna_order_payload(order, **({"merchant_urls": kp_urls} if kp_urls else {})))
        payment.kp_session_id = kp["session_id"]
        hpp = client.create_hpp_session(_hpp_request(client, kp["session_id"], method, urls))
    except KlarnaError as error:
        _fail_start(session, order, payment, ProviderError.from_klarna(error))
    payment.hpp_session_id = hpp["session_id"]
    payment.session_expires_at = parse_time(hpp.get("expires_at"))
    correlations = correlation_ids(client, 2)
    add_payment_event(session, payment, "session_created", N_("Klarna payment session created"),
                      correlation_id=correlation_id(client),
                      data={"kp_session_id": kp["session_id"], "hpp_session_id": hpp["session_id"],
                            "correlation_ids": correlations})
    add_payment_event(session, payment, "redirected", N_("Shopper sent to Klarna's payment page"))
    add_event(session, order, "klarna_redirected", N_("Shopper sent to Klarna's payment page"), payment_id=payment.id,
              correlation_ids=correlations)
    session.commit()
    return hpp["redirect_url"]


def _hpp_request(client: KlarnaClient, kp_session_id: str, method: PaymentMethod, urls: dict[str, str]) -> dict:
    options: dict = {"place_order_mode": method.settings.get("place_order_mode") or "NONE"}
    categories = method.settings.get("categories") or []
    if categories:
        options["payment_method_categories"] = [category.upper() for category in categories]
    merchant_urls = {key: urls[key] for key in (*RETURN_KINDS, "status_update") if urls.get(key)}
    return {"payment_session_url": client.payment_session_url(kp_session_id), "merchant_urls": merchant_urls,
            "options": options}


def _fail_start(session: Session, order: Order, payment: Payment, error: ProviderError):
    payment.state = states.FAILED
    add_payment_event(session, payment, "session_failed", error=error,
                      data={"kp_session_id": payment.kp_session_id})
    add_event(session, order, "klarna_session_failed", KLARNA_ANSWERED, payment_id=payment.id,
              correlation_id=error.correlation_id, message_args={"message": error.message})
    session.commit()
    raise CheckoutFailed(error, payment)


def record_return(session: Session, payment: Payment, kind: str, hpp_status: str | None) -> None:
    """The shopper came back without paying (cancel, back, failure, error)."""
    message = RETURN_EVENT_MESSAGES.get(kind, N_("Shopper returned from Klarna: %(kind)s"))
    add_payment_event(session, payment, f"returned_{kind}", message, message_args={"kind": kind},
                      data={"hpp_status": hpp_status})
    order = session.get(Order, payment.order_id)
    add_event(session, order, "klarna_returned", message, payment_id=payment.id, message_args={"kind": kind})
    session.commit()


def disable_open_sessions(session: Session, order: Order, gateway: KlarnaGateway) -> Payment | None:
    """Before a new attempt: close earlier open sessions so only one can ever be paid.

    Returns an earlier payment that turns out to be paid already (finalised, or being finalised).
    Raises KlarnaError when a session could not be closed.
    """
    confirming = session.exec(select(Payment).where(
        Payment.order_id == order.id, Payment.provider == "klarna", Payment.state == states.AUTHORIZING,
    )).first()
    if confirming is not None:  # Klarna may hold its order already; the finaliser or the sync settles it
        return confirming
    open_payments = session.exec(select(Payment).where(
        Payment.order_id == order.id, Payment.provider == "klarna",
        Payment.state.in_((states.STARTED, states.FAILED)),  # type: ignore[attr-defined]
        Payment.hpp_session_id.is_not(None),  # type: ignore[union-attr]
    )).all()
    for payment in open_payments:
        method = session.get(PaymentMethod, payment.method_id)
        client = gateway.client(method, order_id=order.id, payment_id=payment.id)
        session.commit()
        try:
            client.disable_hpp_session(payment.hpp_session_id)
        except KlarnaBadRequest:  # completed in the meantime: the shopper paid with it
            paid = _finalised_or_none(session, payment, gateway)
            if paid is not None:
                return paid
            continue  # completed but unusable (e.g. the amounts differed): nothing to disable
        except KlarnaNotFound:
            pass  # expired already
        # Any other failure propagates: the old session may still be paid, so no new one is opened.
        payment.state = states.FAILED
        add_payment_event(session, payment, "session_disabled", N_("Replaced by a new payment attempt"))
        session.commit()
    return None


def _finalised_or_none(session: Session, payment: Payment, gateway: KlarnaGateway) -> Payment | None:
    try:
        result = finalise(session, payment, gateway, source="retry")
    except ProviderError as error:
        log.warning("could not read the Klarna session of payment %s: %s", payment.id, error)
        return None
    return result.payment if result.done or result.in_progress else None


__all__ = [
    "CLAIMABLE", "CheckoutFailed", "Finalisation", "RETURN_KINDS", "disable_open_sessions", "empty_cart",
    "finalise", "parse_time", "record_return", "start",
]
