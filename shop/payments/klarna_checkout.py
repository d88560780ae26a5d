"""Checkout through Klarna's hosted payment page (DESIGN.md §4).

Start: KP session with the order's lines, HPP session with merchant URLs, redirect.
Finalise: never trust the browser; read the HPP session and the OM order from Klarna,
check amount and currency, and turn the payment into "authorized" exactly once, whether
the shopper's return, the status callback or the sync gets there first.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import update
from sqlmodel import Session, select

from shop.klarna import KlarnaBadRequest, KlarnaClient, KlarnaError, KlarnaNotFound
from shop.models import Cart, CartItem, Order, Payment, PaymentMethod, utcnow
from shop.orders import add_event

from . import states
from .common import ProviderError, add_payment_event, klarna_order_payload
from .gateway import KlarnaGateway

log = logging.getLogger(__name__)

UrlsFor = Callable[[Payment], dict[str, str]]
RETURN_KINDS = ("success", "cancel", "back", "failure", "error")
CLAIMABLE = (states.STARTED, states.FAILED, states.ABANDONED)


class CheckoutFailed(Exception):
    def __init__(self, error: ProviderError, payment: Payment | None = None):
        super().__init__(error.message)
        self.error = error
        self.payment = payment


@dataclass(frozen=True)
class Finalisation:
    payment: Payment
    hpp_status: str | None = None  # Klarna's session status when not (yet) completed
    in_progress: bool = False  # another request is finalising right now

    @property
    def done(self) -> bool:
        return self.payment.state not in (states.STARTED, states.AUTHORIZING, states.FAILED, states.ABANDONED)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def start(session: Session, order: Order, method: PaymentMethod, gateway: KlarnaGateway,
          urls_for: UrlsFor) -> str:
    """Open a Klarna session for the order and return the hosted page URL to redirect to."""
    payment = Payment(order_id=order.id, method_id=method.id, provider="klarna", currency=order.currency,
                      amount=order.total, state=states.STARTED)
    session.add(payment)
    session.flush()
    add_payment_event(session, payment, "session_requested", "Klarna session requested")
    order.payment_method_id = method.id
    session.add(order)
    session.commit()
    client = gateway.client(method, order_id=order.id, payment_id=payment.id)
    urls = urls_for(payment)
    try:
        kp = client.create_session(klarna_order_payload(order, merchant_urls={"notification": urls["notification"]}))
        hpp = client.create_hpp_session(_hpp_request(client, kp["session_id"], method, urls))
    except KlarnaError as error:
        _fail_start(session, order, payment, ProviderError.from_klarna(error))
    payment.kp_session_id = kp["session_id"]
    payment.hpp_session_id = hpp["session_id"]
    payment.session_expires_at = parse_time(hpp.get("expires_at"))
    add_payment_event(session, payment, "session_created", "Klarna payment session created",
                      data={"kp_session_id": kp["session_id"], "hpp_session_id": hpp["session_id"]})
    add_payment_event(session, payment, "redirected", "Shopper sent to Klarna's payment page")
    add_event(session, order, "klarna_redirected", "Shopper sent to Klarna's payment page", payment_id=payment.id)
    session.commit()
    return hpp["redirect_url"]


def _hpp_request(client: KlarnaClient, kp_session_id: str, method: PaymentMethod, urls: dict[str, str]) -> dict:
    options: dict = {"place_order_mode": method.settings.get("place_order_mode", "NONE")}
    categories = method.settings.get("categories") or []
    if categories:
        options["payment_method_categories"] = list(categories)
    merchant_urls = {key: urls[key] for key in (*RETURN_KINDS, "status_update") if key in urls}
    return {"payment_session_url": client.payment_session_url(kp_session_id), "merchant_urls": merchant_urls,
            "options": options}


def _fail_start(session: Session, order: Order, payment: Payment, error: ProviderError):
    session.rollback()
    payment.state = states.FAILED
    add_payment_event(session, payment, "session_failed", error=error)
    add_event(session, order, "klarna_session_failed", error.message, payment_id=payment.id,
              correlation_id=error.correlation_id)
    session.commit()
    raise CheckoutFailed(error, payment)


def finalise(session: Session, payment: Payment, gateway: KlarnaGateway, *, source: str) -> Finalisation:
    """Bring a started payment to its outcome by reading Klarna. Safe to call any number of times."""
    if payment.state not in (*CLAIMABLE, states.AUTHORIZING) or not payment.hpp_session_id:
        return Finalisation(payment)
    method = session.get(PaymentMethod, payment.method_id)
    client = gateway.client(method, order_id=payment.order_id, payment_id=payment.id)
    session.commit()  # no transaction stays open while Klarna is called
    hpp = client.read_hpp_session(payment.hpp_session_id)
    if hpp.get("status") != "COMPLETED":
        return Finalisation(payment, hpp_status=hpp.get("status"))
    if not _claim(session, payment):
        session.refresh(payment)
        return Finalisation(payment, in_progress=payment.state == states.AUTHORIZING)
    add_payment_event(session, payment, "returned", f"Klarna confirmed the payment ({source})",
                      data={"source": source})
    session.commit()
    try:
        klarna_order_id = hpp.get("order_id") or _create_order(session, payment, client, hpp)
        om_order = client.get_order(klarna_order_id)
    except KlarnaError as error:
        return _unfinished(session, payment, ProviderError.from_klarna(error))
    return _authorized(session, payment, client, om_order)


def _claim(session: Session, payment: Payment) -> bool:
    result = session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id, Payment.state.in_(CLAIMABLE))  # type: ignore[attr-defined]
        .values(state=states.AUTHORIZING, updated_at=utcnow())
    )
    session.commit()
    if result.rowcount == 1:
        payment.state = states.AUTHORIZING
        return True
    return False


def _create_order(session: Session, payment: Payment, client: KlarnaClient, hpp: dict) -> str:
    order = session.get(Order, payment.order_id)
    token = hpp.get("authorization_token")
    if not token:
        raise KlarnaBadRequest("Klarna's completed session carries no authorization token", status=None)
    add_payment_event(session, payment, "order_requested", "Creating the Klarna order")
    session.commit()
    created = client.create_order(token, klarna_order_payload(order))
    add_payment_event(session, payment, "order_created", "Klarna order created",
                      data={"klarna_order_id": created["order_id"], "fraud_status": created.get("fraud_status")})
    payment.klarna_order_id = created["order_id"]
    session.commit()
    return created["order_id"]


def _unfinished(session: Session, payment: Payment, error: ProviderError) -> Finalisation:
    """A failed step after the claim: an unknown outcome stays for the sync, a refusal fails."""
    session.rollback()
    if payment.klarna_order_id or error.outcome_unknown:
        payment.state = states.AUTHORIZING  # Klarna may have the order; the sync reads it later
        kind = "authorization_unknown"
    else:
        payment.state = states.FAILED
        kind = "authorization_failed"
    add_payment_event(session, payment, kind, error=error)
    session.commit()
    return Finalisation(payment)


def _authorized(session: Session, payment: Payment, client: KlarnaClient, om: dict) -> Finalisation:
    order = session.get(Order, payment.order_id)
    if om.get("order_amount") != order.total or str(om.get("purchase_currency", "")).upper() != order.currency:
        return _mismatch(session, payment, client, order, om)
    payment.klarna_order_id = om["order_id"]
    payment.klarna_reference = om.get("klarna_reference")
    payment.expires_at = parse_time(om.get("expires_at"))
    payment.fraud_status = om.get("fraud_status")
    method = om.get("initial_payment_method") or {}
    payment.payment_option = method.get("type")
    payment.payment_option_name = method.get("description")
    payment.state = states.from_klarna(om.get("status", "AUTHORIZED"), payment.fraud_status)
    add_payment_event(session, payment, "authorized", "Payment reserved by Klarna", amount=om["order_amount"],
                      provider_id=om["order_id"],
                      data={"fraud_status": payment.fraud_status, "expires_at": om.get("expires_at"),
                            "payment_option": payment.payment_option})
    _record_auto_captures(session, payment, om)
    order.status = "confirmed" if order.status == "awaiting_payment" else order.status
    add_event(session, order, "payment_authorized", "Klarna payment reserved", payment_id=payment.id,
              klarna_order_id=payment.klarna_order_id)
    empty_cart(session, order)
    session.commit()
    return Finalisation(payment)


def _record_auto_captures(session: Session, payment: Payment, om: dict) -> None:
    """CAPTURE_ORDER mode: Klarna captured at once; the ledger records it."""
    from .ledger import recompute

    for capture in om.get("captures") or []:
        add_payment_event(session, payment, "captured", "Captured by Klarna at checkout",
                          amount=capture["captured_amount"], provider_id=capture["capture_id"])
    recompute(session, payment)


def _mismatch(session: Session, payment: Payment, client: KlarnaClient, order: Order, om: dict) -> Finalisation:
    message = (f"Klarna order amount {om.get('order_amount')} {om.get('purchase_currency')} does not match "
               f"the order total {order.total} {order.currency}; the Klarna order was cancelled")
    try:
        client.cancel_order(om["order_id"], idempotency_key=f"mismatch-{payment.id}")
    except KlarnaError as error:
        message += f" (cancel failed: {ProviderError.from_klarna(error).message})"
    payment.state = states.FAILED
    add_payment_event(session, payment, "amount_mismatch", message, amount=om.get("order_amount"))
    add_event(session, order, "klarna_amount_mismatch", message, payment_id=payment.id)
    session.commit()
    return Finalisation(payment)


def empty_cart(session: Session, order: Order) -> None:
    if order.cart_id is None:
        return
    for item in session.exec(select(CartItem).where(CartItem.cart_id == order.cart_id)).all():
        session.delete(item)
    cart = session.get(Cart, order.cart_id)
    if cart is not None:
        cart.updated_at = utcnow()
        session.add(cart)


def record_return(session: Session, payment: Payment, kind: str, hpp_status: str | None) -> None:
    """The shopper came back without paying (cancel, back, failure, error)."""
    add_payment_event(session, payment, f"returned_{kind}", f"Shopper returned from Klarna: {kind}",
                      data={"hpp_status": hpp_status})
    order = session.get(Order, payment.order_id)
    add_event(session, order, "klarna_returned", f"Shopper returned from Klarna: {kind}", payment_id=payment.id)
    session.commit()


def disable_open_sessions(session: Session, order: Order, gateway: KlarnaGateway) -> Payment | None:
    """Before a new attempt: close earlier open sessions so only one can ever be paid.

    Returns an earlier payment that turns out to be completed already (the shopper paid).
    """
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
            result = finalise(session, payment, gateway, source="retry")
            if result.done:
                return result.payment
        except KlarnaNotFound:
            pass
        except KlarnaError as error:
            log.warning("could not disable Klarna session of payment %s: %s", payment.id, error)
            continue
        payment.state = states.FAILED
        add_payment_event(session, payment, "session_disabled", "Replaced by a new payment attempt")
        session.commit()
    return None
