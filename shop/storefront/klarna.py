"""The shopper's side of Klarna's hosted payment page: start, returns, status callback, retry.

Nothing the browser brings is trusted: every handler finds the order by its unguessable
token and asks Klarna (through shop.payments) what really happened.
"""
from __future__ import annotations

import json
import logging
import time

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, select

from shop import csrf
from shop.db import db
from shop.i18n_markers import N_
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import KlarnaCall, Order, Payment, PaymentMethod
from shop.orders import add_event
from shop.payments import klarna_checkout, states
from shop.payments.callback_health import INBOUND_PATH
from shop.payments.common import ProviderError
from shop.payments.gateway import current_gateway
from shop.payments.options import option_label
from shop.web import is_htmx

from . import bp
from .carts import forget_cart
from .catalog import offered_payment_methods
from .checkout import PAYMENT_STARTERS
from .context import current_version
from .pending import forget_pending_order, remember_pending_order

log = logging.getLogger(__name__)
# Klarna's status callback often claims the payment a moment before the shopper is back; the return
# waits this long for that finaliser rather than show the waiting page for a payment confirmed in a moment.
OTHER_FINALISER_WAIT = 2.0
OTHER_FINALISER_POLL = 0.1
RETURN_MESSAGES = {
    "cancel": lambda: _("You cancelled the payment at Klarna. Your cart is still here: "
                        "try Klarna again or choose another payment method."),
    "back": lambda: _("You came back from Klarna before paying. Your cart is still here: "
                      "try Klarna again or choose another payment method."),
    "failure": lambda: _("Klarna could not approve the payment. Nothing was charged. "
                         "You can try again with another Klarna option or choose another payment method."),
    "error": lambda: _("Something went wrong at Klarna. Nothing was charged. Please try again."),
}


@bp.app_template_global("klarna_option")
def klarna_option(option_type: str | None, description: str | None = None) -> str:
    return option_label(option_type, description)


def merchant_urls(order: Order):
    """Absolute merchant URLs carrying the order's token, for one payment attempt."""
    base = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    code = current_version().code

    def urls_for(payment: Payment) -> dict[str, str]:
        def url(endpoint: str, **values) -> str:
            return base + url_for(endpoint, version_code=code, token=order.token, payment_id=payment.id, **values)

        urls = {kind: url("storefront.klarna_return", kind=kind) for kind in RETURN_MESSAGES}
        urls["success"] = url("storefront.klarna_return", kind="success")
        urls["status_update"] = url("storefront.klarna_status_update")
        urls["notification"] = url("storefront.klarna_notification")
        return urls

    return urls_for


def start_klarna_payment(session: Session, order: Order, method: PaymentMethod) -> str:
    """Placed order -> Klarna session -> the hosted page. A failure keeps the order and the cart."""
    session.commit()
    remember_pending_order(order)
    try:
        return klarna_checkout.start(session, order, method, current_gateway(), merchant_urls(order))
    except klarna_checkout.CheckoutFailed as failed:
        flash(_klarna_message(failed.error), "error")
        return url_for("storefront.cart_page")


PAYMENT_STARTERS["klarna"] = start_klarna_payment


def _klarna_message(error: ProviderError) -> str:
    text = _("Klarna could not start the payment right now. Your order is saved and nothing was charged; "
             "please try again in a moment or choose another payment method.")
    if error.correlation_id:
        text += " " + _("(Klarna reference: %(id)s)", id=error.correlation_id)
    return text


def _order_and_payment(token: str, payment_id: int) -> tuple[Order, Payment]:
    session = db()
    order = session.exec(select(Order).where(Order.token == token)).first()
    payment = session.get(Payment, payment_id)
    if order is None or payment is None or payment.order_id != order.id or order.version_id != current_version().id:
        abort(404)
    return order, payment


@bp.get("/<version_code>/klarna/<token>/<int:payment_id>/<any(success, cancel, back, failure, error):kind>")
def klarna_return(token: str, payment_id: int, kind: str):
    order, payment = _order_and_payment(token, payment_id)
    try:
        result = klarna_checkout.finalise(db(), payment, current_gateway(), source=f"return:{kind}")
    except KLARNA_ERRORS as error:
        log.warning("reading Klarna for payment %s failed: %s", payment.id, error)
        return _waiting(order, payment)
    if result.done or (result.in_progress and _other_finaliser_done(payment)):
        return _paid(order)
    if kind == "success" or result.in_progress or result.hpp_status == "COMPLETED":
        return _waiting(order, payment)
    klarna_checkout.record_return(db(), payment, kind, result.hpp_status)
    flash(RETURN_MESSAGES[kind](), "warning" if kind in ("cancel", "back") else "error")
    return redirect(url_for("storefront.cart_page"), code=303)


def _other_finaliser_done(payment: Payment) -> bool:
    """Wait briefly for the request that claimed the payment; no transaction stays open meanwhile."""
    session = db()
    deadline = time.monotonic() + OTHER_FINALISER_WAIT
    while time.monotonic() < deadline:
        time.sleep(OTHER_FINALISER_POLL)
        session.refresh(payment)
        session.commit()
        if payment.state != states.AUTHORIZING:
            return klarna_checkout.Finalisation(payment).done
    return False


def _paid(order: Order) -> Response:
    forget_cart(current_version())
    forget_pending_order()
    return redirect(url_for("storefront.confirmation", token=order.token), code=303)


def _waiting(order: Order, payment: Payment):
    return render_template("storefront/klarna/waiting.html", order=order, payment=payment), 202


@bp.get("/<version_code>/klarna/<token>/<int:payment_id>/wait")
def klarna_wait(token: str, payment_id: int):
    """Polled by the waiting page until Klarna has confirmed (htmx), or refreshed (no JS)."""
    order, payment = _order_and_payment(token, payment_id)
    try:
        result = klarna_checkout.finalise(db(), payment, current_gateway(), source="poll")
    except KLARNA_ERRORS:
        result = None
    if result is not None and result.done:
        target = url_for("storefront.confirmation", token=order.token)
        if is_htmx():
            return Response(status=204, headers={"HX-Redirect": target})
        return _paid(order)
    if result is not None and result.payment.state == states.FAILED:
        flash(RETURN_MESSAGES["failure"](), "error")
        target = url_for("storefront.cart_page")
        return Response(status=204, headers={"HX-Redirect": target}) if is_htmx() else redirect(target, code=303)
    if is_htmx():
        return render_template("storefront/klarna/_waiting.html", order=order, payment=payment)
    return _waiting(order, payment)


@bp.post("/<version_code>/klarna/<token>/<int:payment_id>/status")
@csrf.exempt
def klarna_status_update(token: str, payment_id: int):
    """Klarna's status callback: never trusted, only a reason to read the session from Klarna."""
    order, payment = _order_and_payment(token, payment_id)
    event_id = str(_hint().get("event_id", ""))[:64]

    def finalised() -> bool:
        before = payment.state
        result = klarna_checkout.finalise(db(), payment, current_gateway(), source="callback")
        return result.payment.state != before and not result.in_progress

    return _on_klarna_call(order, payment, "klarna_callback", N_("Klarna status callback received"), finalised,
                           event_id=event_id)


@bp.post("/<version_code>/klarna/<token>/<int:payment_id>/notification")
@csrf.exempt
def klarna_notification(token: str, payment_id: int):
    """Pending-order decisions: re-read the order from Klarna; the body is only a hint."""
    from shop.payments.sync import sync

    order, payment = _order_and_payment(token, payment_id)
    event_type = str(_hint().get("event_type", ""))[:40]
    return _on_klarna_call(order, payment, "klarna_notification", N_("Klarna notification: %(event_type)s"),
                           lambda: bool(sync(db(), payment, current_gateway(), actor="klarna-notification")),
                           message_args={"event_type": event_type})


def _hint() -> dict:
    """The body of Klarna's call: only a hint, and anything but a JSON object is no hint at all."""
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _on_klarna_call(order: Order, payment: Payment, kind: str, message: str, ask, **data) -> tuple[dict, int]:
    """Klarna called us: act on what Klarna says when asked (`ask` tells whether that changed anything).
    Only a call that changed something enters the order history, so forged calls leave no trace there;
    every call is in the log, and the reads it caused in the Klarna request log. A 503 makes Klarna call again."""
    log.info("Klarna %s for payment %s: %s", kind, payment.id, data)
    started = time.monotonic()
    try:
        changed = ask()
    except KLARNA_ERRORS as error:
        log.warning("Klarna's call for payment %s: Klarna not readable: %s", payment.id, error)
        db().rollback()
        add_event(db(), order, "klarna_callback_failed", N_("Klarna's call was answered with an error: %(error)s"),
                  payment_id=payment.id, message_args={"error": str(error)[:200]})
        changed, answer = False, ({"status": "retry later"}, 503)
    else:
        answer = ({"status": "ok"}, 200)
    session = db()
    if changed:
        add_event(session, order, kind, message, payment_id=payment.id, **{k: v for k, v in data.items() if v})
    session.add(KlarnaCall(  # the request log shows Klarna's calls beside the shop's (the path without the token)
        order_id=order.id, payment_id=payment.id, method=request.method, path=f"{INBOUND_PATH}/{kind}",
        status=answer[1], duration_ms=int((time.monotonic() - started) * 1000), request_body=data or None))
    session.commit()
    return answer


@bp.post("/<version_code>/order/<token>/retry")
def retry_payment(token: str):
    """Pay a waiting order again: a new Klarna session, or another payment method."""
    session = db()
    order = session.exec(select(Order).where(Order.token == token)).first()
    if order is None or order.version_id != current_version().id:
        abort(404)
    if order.status != "awaiting_payment":
        return redirect(url_for("storefront.confirmation", token=order.token), code=303)
    chosen = request.form.get("payment_method", type=int) or order.payment_method_id
    offered = offered_payment_methods(session, current_version(), include_hidden=current_user.is_authenticated)
    method = next((o.method for o in offered if o.method.id == chosen), None)  # only what checkout offers
    if method is None:
        abort(404)
    try:
        already = klarna_checkout.disable_open_sessions(session, order, current_gateway())
    except KLARNA_ERRORS as error:
        flash(_klarna_message(ProviderError.from_klarna(error)), "error")
        return redirect(url_for("storefront.cart_page"), code=303)
    if already is not None:
        return _paid(order)
    from .checkout import start_payment

    order.payment_method_id = method.id
    target = start_payment(session, order, method)
    if method.provider != "klarna":
        forget_pending_order()
    session.commit()
    return redirect(target, code=303) if isinstance(target, str) else target
