"""Finalising a hosted-page payment (DESIGN.md §4.2): exactly once, whoever gets there first.

Never trust the browser: read the HPP session and the OM order from Klarna, check amount
and currency against the order, and turn the payment into "authorized" once, whether the
shopper's return, the status callback or the sync arrives first. A conditional UPDATE of
the payment's state is the claim; a claim left behind by a crashed or cut-off worker is
taken over by the sync once it is STALE_CLAIM old.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from shop.i18n_markers import N_, label_arg, money_arg
from shop.klarna import KlarnaBadRequest, KlarnaClient, KlarnaError, KlarnaNotFound, KlarnaRateLimited
from shop.models import Cart, CartItem, Order, Payment, PaymentEvent, PaymentMethod, utcnow
from shop.orders import add_event

from . import states
from .common import (
    ProviderError, add_payment_event, klarna_order_payload, note_capture_on_order, outcome_unknown, parse_time,
    purpose_key,
)
from .gateway import KlarnaGateway, correlation_id
from .ledger import recompute

CLAIMABLE = (states.STARTED, states.FAILED, states.ABANDONED)
STALE_CLAIM = timedelta(minutes=2)  # an AUTHORIZING claim untouched this long is taken over by the sync
SESSION_GONE = "EXPIRED"  # our word for an HPP session Klarna answers 404 for: it expired
# A completed session whose order was refused can never be paid; it is not finalised again.
SETTLED_FAILURES = ("amount_mismatch", "authorization_failed")


@dataclass(frozen=True)
class Finalisation:
    payment: Payment
    hpp_status: str | None = None  # Klarna's session status when not (yet) completed; SESSION_GONE if expired
    in_progress: bool = False  # another request is finalising right now

    @property
    def done(self) -> bool:
        return self.payment.state not in (states.STARTED, states.AUTHORIZING, states.FAILED, states.ABANDONED)


def finalise(session: Session, payment: Payment, gateway: KlarnaGateway, *, source: str,
             takeover: bool = False) -> Finalisation:
    """Bring a started payment to its outcome by reading Klarna. Safe to call any number of times.

    `takeover` (the sync) may also claim a payment whose earlier finaliser stopped half-way.
    Raises ProviderError when Klarna cannot be read.
    """
    if payment.state not in (*CLAIMABLE, states.AUTHORIZING) or not payment.hpp_session_id \
            or _settled_failure(session, payment):
        return Finalisation(payment)
    if payment.state == states.AUTHORIZING and not takeover:
        return Finalisation(payment, in_progress=True)  # another request is finalising: its result, not Klarna
    client = _client(session, payment, gateway)
    hpp: dict = {}
    if not payment.klarna_order_id:
        hpp = _read_session(client, payment)
        if hpp.get("status") != "COMPLETED":
            return Finalisation(payment, hpp_status=hpp.get("status"))
    if not _claim(session, payment, takeover=takeover):
        session.refresh(payment)
        return Finalisation(payment, in_progress=payment.state == states.AUTHORIZING)
    add_payment_event(session, payment, "returned", N_("Klarna confirmed the payment (%(source)s)"),
                      message_args={"source": label_arg("finalise_source", source.partition(":")[0])},
                      data={"source": source})
    session.commit()
    try:
        klarna_order_id, created = _klarna_order(session, payment, client, hpp)
        if klarna_order_id is None:
            return _authorization_mismatch(session, payment, client, hpp["authorization_token"])
        # A Klarna order created just now from our own lines needs no second read: the sync fills in its
        # expiry and reference. One placed by the payment page, or found from before, is read.
        om_order = None if created is not None else client.get_order(klarna_order_id)
    except KlarnaError as error:
        return _unfinished(session, payment, client, error, hpp.get("authorization_token"))
    if created is not None:
        result = _authorized_at_creation(session, payment, client, created)
    else:
        result = _authorized(session, payment, client, om_order)
    from .bad_news import after_authorized

    after_authorized(session, payment, gateway)
    return result


def _client(session: Session, payment: Payment, gateway: KlarnaGateway) -> KlarnaClient:
    method = session.get(PaymentMethod, payment.method_id)
    client = gateway.client(method, order_id=payment.order_id, payment_id=payment.id)
    session.commit()  # no transaction stays open while Klarna is called
    return client


def _read_session(client: KlarnaClient, payment: Payment) -> dict:
    try:
        return client.read_hpp_session(payment.hpp_session_id)
    except KlarnaNotFound:
        return {"status": SESSION_GONE}
    except KlarnaError as error:
        raise ProviderError.from_klarna(error) from None


def _settled_failure(session: Session, payment: Payment) -> bool:
    if payment.state != states.FAILED:
        return False
    return session.exec(select(PaymentEvent.id).where(
        PaymentEvent.payment_id == payment.id, PaymentEvent.kind.in_(SETTLED_FAILURES),  # type: ignore[attr-defined]
    )).first() is not None


def _claim(session: Session, payment: Payment, *, takeover: bool) -> bool:
    claimable = Payment.state.in_(CLAIMABLE)  # type: ignore[attr-defined]
    if takeover:
        stale = and_(Payment.state == states.AUTHORIZING, Payment.updated_at < utcnow() - STALE_CLAIM)
        claimable = or_(claimable, stale)
    result = session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id, claimable)
        .values(state=states.AUTHORIZING, updated_at=utcnow())
    )
    session.commit()
    if result.rowcount == 1:
        session.refresh(payment)
        return True
    return False


def _klarna_order(session: Session, payment: Payment, client: KlarnaClient,
                  hpp: dict) -> tuple[str | None, dict | None]:
    """The Klarna order id: known already, placed by the hosted page, or created now (None: amounts differ),
    with Klarna's answer to the creation when it was created now."""
    if payment.klarna_order_id:
        return payment.klarna_order_id, None
    if hpp.get("order_id"):  # PLACE_ORDER / CAPTURE_ORDER: remember it before anything else can fail
        _remember_order(session, payment, hpp["order_id"], N_("Klarna order placed by the payment page"))
        return hpp["order_id"], None
    token = hpp.get("authorization_token")
    if not token:
        raise KlarnaBadRequest("Klarna's completed session carries no authorization token", status=None)
    order = session.get(Order, payment.order_id)
    if order.total != payment.amount or order.currency != payment.currency:
        return None, None  # the order changed after the shopper saw it at Klarna
    add_payment_event(session, payment, "order_requested", N_("Creating the Klarna order"))
    session.commit()
    created = client.create_order(token, klarna_order_payload(order))
    _remember_order(session, payment, created["order_id"], N_("Klarna order created"),
                    correlation_id=correlation_id(client), fraud_status=created.get("fraud_status"))
    return created["order_id"], created


def _remember_order(session: Session, payment: Payment, klarna_order_id: str, message: str, *,
                    correlation_id: str | None = None, **data) -> None:
    payment.klarna_order_id = klarna_order_id
    add_payment_event(session, payment, "order_created", message, provider_id=klarna_order_id,
                      correlation_id=correlation_id, data={"klarna_order_id": klarna_order_id, **data})
    session.commit()


def _unfinished(session: Session, payment: Payment, client: KlarnaClient, error: KlarnaError,
                token: str | None) -> Finalisation:
    """A failed step after the claim: unknown outcomes wait for the sync, a refusal fails."""
    session.rollback()
    problem = ProviderError.from_klarna(error)
    if payment.klarna_order_id or outcome_unknown(error):
        payment.state = states.AUTHORIZING  # Klarna may have the order; the sync takes the claim over
        kind = "authorization_unknown"
    elif isinstance(error, KlarnaRateLimited):
        payment.state = states.STARTED  # nothing happened; the next return, callback or sync retries
        kind = "authorization_postponed"
    else:
        payment.state = states.FAILED
        kind = "authorization_failed"
        _cancel_authorization(client, token)
    add_payment_event(session, payment, kind, error=problem)
    session.commit()
    return Finalisation(payment)


def _cancel_authorization(client: KlarnaClient, token: str | None) -> str | None:
    """Release the shopper's unused authorization; best effort (it lapses after 60 minutes anyway).

    Returns Klarna's words when it refused or could not be reached."""
    if not token:
        return None
    try:
        client.cancel_authorization(token)
    except KlarnaError as error:
        return ProviderError.from_klarna(error).message
    return None


def _authorized(session: Session, payment: Payment, client: KlarnaClient, om: dict) -> Finalisation:
    order = session.get(Order, payment.order_id)
    if om.get("order_amount") != order.total or str(om.get("purchase_currency", "")).upper() != order.currency:
        return _order_mismatch(session, payment, client, order, om)
    payment.klarna_order_id = om["order_id"]
    payment.klarna_reference = om.get("klarna_reference")
    payment.expires_at = parse_time(om.get("expires_at"))
    payment.fraud_status = om.get("fraud_status")
    method = om.get("initial_payment_method") or {}
    payment.payment_option = method.get("type")
    payment.payment_option_name = method.get("description")
    payment.state = states.from_klarna(om.get("status", "AUTHORIZED"), payment.fraud_status)
    add_payment_event(session, payment, "authorized", N_("Payment reserved by Klarna"), amount=om["order_amount"],
                      provider_id=om["order_id"], correlation_id=correlation_id(client),
                      data={"fraud_status": payment.fraud_status, "expires_at": om.get("expires_at"),
                            "payment_option": payment.payment_option, "klarna_status": om.get("status")})
    _record_auto_captures(session, payment, om)
    return _confirm_order(session, payment, client, order)


def _authorized_at_creation(session: Session, payment: Payment, client: KlarnaClient, created: dict) -> Finalisation:
    """Klarna created the order from the lines and amount the shop sent (it refuses any other): authorized
    for the order's total. The creation's answer names the payment method; the expiry date comes with
    the next read of the order (the sync)."""
    order = session.get(Order, payment.order_id)
    payment.fraud_status = created.get("fraud_status")
    payment.payment_option = str((created.get("authorized_payment_method") or {}).get("type") or "").upper() or None
    payment.state = states.from_klarna("AUTHORIZED", payment.fraud_status)
    add_payment_event(session, payment, "authorized", N_("Payment reserved by Klarna"), amount=order.total,
                      provider_id=created["order_id"], correlation_id=correlation_id(client),
                      data={"fraud_status": payment.fraud_status, "payment_option": payment.payment_option,
                            "klarna_status": "AUTHORIZED"})
    recompute(session, payment)
    return _confirm_order(session, payment, client, order)


def _confirm_order(session: Session, payment: Payment, client: KlarnaClient, order: Order) -> Finalisation:
    if payment.state in states.CONFIRMED_STATES:
        order.status = "confirmed" if order.status == "awaiting_payment" else order.status
        add_event(session, order, "payment_authorized", N_("Klarna payment reserved"), payment_id=payment.id,
                  klarna_order_id=payment.klarna_order_id, correlation_id=correlation_id(client))
        empty_cart(session, order)
    session.commit()
    return Finalisation(payment)


def _record_auto_captures(session: Session, payment: Payment, om: dict) -> None:
    """CAPTURE_ORDER mode: Klarna captured at once; the ledger and the order's history record it."""
    for capture in om.get("captures") or []:
        add_payment_event(session, payment, "captured", N_("Captured by Klarna at checkout"),
                          amount=capture["captured_amount"], provider_id=capture["capture_id"])
        note_capture_on_order(session, payment, capture["captured_amount"], "klarna", N_("Paid at Klarna's checkout"))
    recompute(session, payment)


def _authorization_mismatch(session: Session, payment: Payment, client: KlarnaClient, token: str) -> Finalisation:
    order = session.get(Order, payment.order_id)
    args = {"total": money_arg(order.total, order.currency), "approved": money_arg(payment.amount, payment.currency)}
    session.commit()  # no transaction stays open while Klarna is called
    refusal = _cancel_authorization(client, token)
    if refusal is None:
        message = N_("The order total changed to %(total)s after the shopper was approved for %(approved)s; "
                     "no Klarna order was created and the authorization was released")
    else:
        message = N_("The order total changed to %(total)s after the shopper was approved for %(approved)s; "
                     "no Klarna order was created, and releasing the authorization failed: %(error)s")
        args["error"] = refusal
    return _failed_for_mismatch(session, payment, order, message, args, amount=payment.amount)


MISMATCH_UNDONE = {
    "refunded": N_("Klarna order amount %(klarna_amount)s does not match the order total %(total)s; "
                   "the Klarna order was refunded"),
    "cancelled": N_("Klarna order amount %(klarna_amount)s does not match the order total %(total)s; "
                    "the Klarna order was cancelled"),
}
MISMATCH_NOT_UNDONE = {
    "refunded": N_("Klarna order amount %(klarna_amount)s does not match the order total %(total)s; "
                   "refunding the Klarna order failed: %(error)s"),
    "cancelled": N_("Klarna order amount %(klarna_amount)s does not match the order total %(total)s; "
                    "cancelling the Klarna order failed: %(error)s"),
}


def _order_mismatch(session: Session, payment: Payment, client: KlarnaClient, order: Order,
                    om: dict) -> Finalisation:
    """The Klarna order does not match ours: undo it (cancel, or refund what was captured) and fail."""
    captured = om.get("captured_amount") or 0
    args = {"klarna_amount": money_arg(om.get("order_amount"), om.get("purchase_currency")),
            "total": money_arg(order.total, order.currency)}
    undo = "refunded" if captured else "cancelled"
    message = MISMATCH_UNDONE[undo]
    session.commit()  # no transaction stays open while Klarna is called
    try:
        if captured:
            client.create_refund(om["order_id"], {"refunded_amount": captured, "description": "Order changed"},
                                 idempotency_key=purpose_key(payment, "mismatch-refund"))
        else:
            client.cancel_order(om["order_id"], idempotency_key=purpose_key(payment, "mismatch-cancel"))
    except KlarnaError as error:
        message = MISMATCH_NOT_UNDONE[undo]
        args["error"] = ProviderError.from_klarna(error).message
    payment.klarna_order_id = None  # not this payment's order any more; the event keeps the id
    return _failed_for_mismatch(session, payment, order, message, args, amount=om.get("order_amount"),
                                provider_id=om.get("order_id"))


def _failed_for_mismatch(session: Session, payment: Payment, order: Order, message: str, message_args: dict,
                         **fields) -> Finalisation:
    payment.state = states.FAILED
    add_payment_event(session, payment, "amount_mismatch", message, message_args=message_args, **fields)
    add_event(session, order, "klarna_amount_mismatch", message, payment_id=payment.id, message_args=message_args)
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
