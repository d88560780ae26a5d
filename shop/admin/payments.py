"""Processing Klarna payments from the order page: the payment panel's tools, and the hooks
that let shipping capture and refuse.

Every tool is a plain form POST (flash + 303) that htmx upgrades (the panel `#payment-<id>`
swaps itself, the order history and the flashes out of band). A tool that changes money
or the reservation has a confirmation step: its form sits in a `<details>` that explains
what it will do, and a POST without `confirmed=yes` is answered 422 with that step open.
Before each action the payment is read from Klarna (a sync), so the merchant acts on
Klarna's state; if Klarna cannot be read, nothing is done.

Status codes: 422 for what the merchant typed (refund amount, missing confirmation);
409 for every action that could not be carried out: not possible in the payment's state,
another operation in progress, or Klarna refusing or not answering (its message and
correlation id inline).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import Session

from shop.db import db
from shop.i18n import date, money
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order, Payment, PaymentMethod
from shop.orders import find_order_by_number
from shop.payments import refunds, service
from shop.payments.bad_news import curable
from shop.payments.gateway import KlarnaGateway, current_gateway
from shop.payments.operations import NotAllowed, OperationInProgress
from shop.payments.sync import sync
from shop.web import done, is_htmx

from . import bp
from . import orders as order_pages
from .common import ORDER_EVENT_LABELS, render
from .payment_forms import new_payment_form, refund_form
from .payment_panel import (
    FRAUD_STATUS_LABELS, PaymentPanel, Problem, event_label, expiry_of, in_progress, klarna_panels, new_payment_offer,
    request_log,
)
from .refund_answers import AnsweredBefore, refund_outcome_problem
from .payment_shipping import (
    as_provider_error, capture_shipped_goods, create_manual_payment, klarna_shipment_charge,
    refuse_unapproved_klarna_payment,
)

PANEL_RESULT = "admin/payments/_result.html"
PAYMENTS_RESULT = "admin/payments/_payments_result.html"


@dataclass(frozen=True)
class Action:
    run: Callable[..., str]  # (session, payment, gateway, actor, form) -> the success message
    confirm: bool = True
    preflight: bool = True


def _activate(session, payment, gateway, actor, _form) -> str:
    event = service.activate(session, payment, gateway, actor=actor)
    return _("Payment activated: %(amount)s captured.", amount=money(event.amount, payment.currency))


def _extend(session, payment, gateway, actor, _form) -> str:
    event = service.extend(session, payment, gateway, actor=actor)
    if not (event.data or {}).get("expires_at"):  # extended, but Klarna's new date could not be read back
        return _("Expiry date extended. The new date is read from Klarna at the next status check.")
    return _("Expiry date extended to %(date)s.", date=date(payment.expires_at))


def _cancel(session, payment, gateway, actor, _form) -> str:
    remaining = payment.amount - payment.captured_amount
    event = service.cancel_reservation(session, payment, gateway, actor=actor)
    if event.kind == "released":
        return _("The remaining reservation of %(amount)s was released.", amount=money(remaining, payment.currency))
    return _("Reservation cancelled: the payment is unapproved and the customer is not charged.")


def _check(session, payment, gateway, actor, _form) -> str:
    changes = sync(session, payment, gateway, actor=actor)
    if not changes:
        return _("Payment status checked: no changes at Klarna.")
    return ngettext("Payment status checked: %(num)d change recorded.",
                    "Payment status checked: %(num)d changes recorded.", len(changes))


def _resend(session, payment, gateway, actor, _form) -> str:
    service.resend_instructions(session, payment, gateway, actor=actor)
    return _("Klarna sends the payment instructions to the customer again.")


def _refund(session, payment, gateway, actor, form) -> str:
    event = refunds.refund_payment(session, payment, gateway, form.amount.data, actor=actor,
                                   token=form.refund_token.data)
    problem = refund_outcome_problem(event)
    if problem:
        raise AnsweredBefore(problem)
    return _("%(amount)s refunded to the customer.", amount=money(event.amount, payment.currency))


# An extension reads the order back for Klarna's new date, and Klarna refuses one its state does not allow:
# that read stands in for the first one, so every action is its write plus at most one read.
ACTIONS = {
    "activate": Action(_activate), "extend": Action(_extend, preflight=False), "cancel": Action(_cancel),
    "check": Action(_check, confirm=False, preflight=False), "resend": Action(_resend), "refund": Action(_refund),
}


@bp.post("/orders/<number>/payments/<int:payment_id>/<action>")
def payment_action(number: str, payment_id: int, action: str):
    session = db()
    order, payment = _order_and_klarna_payment(session, number, payment_id)
    chosen = ACTIONS.get(action) or abort(404)
    if action == "refund":  # the same refund form again (a double click, a resubmitted page): its recorded outcome
        answered = refunds.recorded_refund(session, payment, request.form.get(f"refund-{payment.id}-refund_token"))
        if answered is not None:
            return _answered_refund(order, payment, answered)
    form = refund_form(payment, payment.captured_amount - payment.refunded_amount) if action == "refund" else None
    if chosen.confirm and request.form.get("confirmed") != "yes":
        return _panel_answer(order, payment, 422, open_tool=action,
                             problem=Problem(_("Confirm the action to carry it out.")))
    if form is not None and not form.validate():
        if form.refund_token.errors:
            form.fresh_token()
        return _panel_answer(order, payment, 422, open_tool=action, refund_form=form)
    gateway = current_gateway()
    actor = current_user.email
    problem = preflight(session, payment, gateway, actor, action) if chosen.preflight \
        else _not_offered(session, payment, action)
    if problem:
        return _panel_answer(order, payment, 409, problem=problem)
    try:
        message = chosen.run(session, payment, gateway, actor, form)
    except OperationInProgress:
        return _panel_answer(order, payment, 409, problem=in_progress())
    except AnsweredBefore as answered:
        return _panel_answer(order, payment, 409, problem=answered.problem)
    except NotAllowed as refusal:
        return _panel_answer(order, payment, 409, problem=Problem(str(refusal)))
    except KLARNA_ERRORS as error:
        return _panel_answer(order, payment, 409, problem=klarna_problem(error, capture=action == "activate"))
    session.expire_all()  # the payment layer committed; show what is stored now
    context = _panel_context(order, payment) if is_htmx() else {}
    return done(message, url_for("admin.order", number=number), PANEL_RESULT, **context)


def _answered_refund(order: Order, payment: Payment, event):
    problem = refund_outcome_problem(event)
    if problem:
        return _panel_answer(order, payment, 409, problem=problem)
    message = _("%(amount)s refunded to the customer.", amount=money(event.amount, payment.currency))
    context = _panel_context(order, payment) if is_htmx() else {}
    return done(message, url_for("admin.order", number=order.number), PANEL_RESULT, **context)


def _order_and_klarna_payment(session: Session, number: str, payment_id: int) -> tuple[Order, Payment]:
    order = find_order_by_number(session, number) or abort(404)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.order_id != order.id or payment.provider != "klarna":
        abort(404)
    return order, payment


def preflight(session: Session, payment: Payment, gateway: KlarnaGateway, actor: str, action: str) -> Problem | None:
    """Read Klarna first: act on Klarna's state, or not at all."""
    try:
        sync(session, payment, gateway, actor=actor)
    except KLARNA_ERRORS as error:
        session.rollback()
        found = as_provider_error(error)
        if found.klarna_answered:
            return Problem(_("Klarna answered with an error when the payment was checked first, so nothing was done."),
                           detail=found.message, correlation_id=found.correlation_id)
        return Problem(_("Klarna could not be reached to check the payment first, so nothing was done."),
                       detail=found.message, correlation_id=found.correlation_id)
    return _not_offered(session, payment, action)


def _not_offered(session: Session, payment: Payment, action: str) -> Problem | None:
    """The panel offers only what Klarna would accept; a stale page may still post the rest."""
    panel = _panel_of(session, payment)
    offered = panel.can_check if action == "check" else action in {tool.name for tool in panel.tools}
    if offered:
        return None
    return Problem(_("The payment has changed at Klarna and this action is no longer possible. "
                     "The panel shows the payment as it is now."))


def klarna_problem(error: Exception, *, capture: bool = False) -> Problem:
    """`capture`: the action was an activation, which a curable refusal puts on hold."""
    found = as_provider_error(error)
    if found.outcome_unknown and found.klarna_answered:
        return Problem(_("Klarna answered with an error; the result will be checked automatically."),
                       detail=found.message, correlation_id=found.correlation_id)
    if found.outcome_unknown:
        return Problem(_("Klarna did not answer; the result will be checked automatically."),
                       detail=found.message, correlation_id=found.correlation_id)
    if capture and curable(found):
        return Problem(_("The payment is on hold: Klarna refused the activation for now. The shop asks Klarna "
                         "again automatically."), detail=found.message, correlation_id=found.correlation_id)
    return Problem(_("Klarna refused the action."), detail=found.message, correlation_id=found.correlation_id)


def _panel_of(session: Session, payment: Payment) -> PaymentPanel:
    order = session.get(Order, payment.order_id)
    return next(panel for panel in klarna_panels(session, order) if panel.payment.id == payment.id)


def _panel_context(order: Order, payment: Payment, **focus: Any) -> dict[str, Any]:
    """The order page's context, with the acted-on panel carrying its problem, open tool or typed form."""
    context = order_pages.order_context(order)
    panels = [replace(panel, **focus) if panel.payment.id == payment.id else panel
              for panel in context["klarna_panels"]]
    context.update(klarna_panels=panels, panel=next(p for p in panels if p.payment.id == payment.id))
    return context


def _panel_answer(order: Order, payment: Payment, status: int, **focus: Any):
    db().expire_all()
    return render(order_pages.DETAIL_PAGE, PANEL_RESULT, status=status, **_panel_context(order, payment, **focus))


# A new payment transaction with another method ------------------------------------------------

@bp.post("/orders/<number>/payments/new")
def new_payment(number: str):
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    offer = new_payment_offer(session, order)
    if offer is None:
        return _payments_answer(order, 409, new_payment_problem=_(
            "A new payment transaction is not needed: the order's payment can carry it."))
    form = new_payment_form(offer.methods)
    method = session.get(PaymentMethod, form.method_id.data) if form.validate() else None
    if method is None or method not in offer.methods:
        return _payments_answer(order, 422, new_payment_form=form)
    create_manual_payment(session, order, offer, method, actor=current_user.email)
    message = _("New payment transaction created: %(method)s, %(amount)s awaiting payment.",
                method=method.name, amount=money(offer.amount, offer.currency))
    context = order_pages.order_context(order) if is_htmx() else {}
    return done(message, url_for("admin.order", number=number), PAYMENTS_RESULT, **context)


def _payments_answer(order: Order, status: int, **extra: Any):
    context = order_pages.order_context(order)
    context.update(extra)  # after the page hooks: what the merchant chose stays
    return render(order_pages.DETAIL_PAGE, PAYMENTS_RESULT, status=status, **context)


# Hooks into the order pages -----------------------------------------------------------------

def payment_page_context(order: Order) -> dict[str, Any]:
    session = db()
    offer = new_payment_offer(session, order)
    return {
        "klarna_panels": klarna_panels(session, order),
        "klarna_calls": request_log(session, order),
        "new_payment_offer": offer,
        "new_payment_form": new_payment_form(offer.methods, formdata=None) if offer else None,
    }


@bp.context_processor
def payment_helpers() -> dict[str, Any]:
    return {"payment_expiry": expiry_of, "payment_event_label": event_label,
            "fraud_status_labels": FRAUD_STATUS_LABELS}


# The order history's words for what the payment layer writes there.
PAYMENT_ORDER_EVENT_LABELS = {
    "payment_authorized": _l("Payment reserved"), "payment_captured": _l("Payment activated"),
    "payment_cancelled": _l("Reservation cancelled"), "payment_status_changed": _l("Payment status changed"),
    "payment_instructions": _l("Payment instructions sent"), "klarna_redirected": _l("Customer sent to Klarna"),
    "klarna_returned": _l("Customer came back from Klarna"), "klarna_session_failed": _l("Klarna session failed"),
    "klarna_amount_mismatch": _l("Klarna amount did not match"),
    "payment_transaction_created": _l("New payment transaction"),
    "klarna_callback": _l("Klarna status callback"), "klarna_notification": _l("Klarna notification"),
}

order_pages.ORDER_PAGE_CONTEXT.append(payment_page_context)
order_pages.SHIPMENT_GUARDS.append(refuse_unapproved_klarna_payment)
order_pages.SHIPMENT_LISTENERS.append(capture_shipped_goods)
order_pages.SHIPMENT_CHARGES.append(klarna_shipment_charge)
for _kind, _label in PAYMENT_ORDER_EVENT_LABELS.items():
    ORDER_EVENT_LABELS.setdefault(_kind, _label)
