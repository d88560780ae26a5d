"""Returns on the order page: register what came back, then refund the overpayment through Klarna.

Both are plain form POSTs (flash + 303) that htmx upgrades: the returns card `#order-returns`
swaps itself, the items, totals, payments and history out of band. 422 for what the merchant
typed; 409 for a refund that could not be made (Klarna's message and correlation id inline).
"""
from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlmodel import select

from shop.db import db
from shop.i18n import money
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order, Payment, Return
from shop.orders import find_order_by_number
from shop.payments import refunds
from shop.payments.refunds import new_form_token
from shop.payments.gateway import current_gateway
from shop.payments.operations import NotAllowed, OperationInProgress
from shop.returns import AlreadyRecorded, ReturnError, record_return, returnable_lines
from shop.web import done, is_htmx

from . import bp
from . import orders as order_pages
from .common import ORDER_EVENT_LABELS, render
from .order_queries import order_for_update
from .payment_panel import Problem, in_progress
from .payments import klarna_problem, preflight
from .refund_answers import refund_outcome_problem
from .return_forms import overpayment_refund_form, return_field_name, return_form_class

RETURNS_RESULT = "admin/orders/_returns_result.html"


def returns_page_context(order: Order) -> dict[str, Any]:
    """ORDER_PAGE_CONTEXT: the returns card, and the overpayment notice with its refund form."""
    session = db()
    lines = returnable_lines(order)
    offer = refunds.overpayment_offer(session, order)
    returns = session.exec(select(Return).where(Return.order_id == order.id).order_by(Return.id)
                           .options(selectinload(Return.lines))).all()
    return {
        "returnable_lines": lines, "return_field_name": return_field_name,
        "return_form": return_form_class(lines)(formdata=None), "order_returns": returns,
        "overpayment_offer": offer,
        "overpayment_form": overpayment_refund_form(offer, formdata=None) if offer and offer.payment else None,
    }


@bp.post("/orders/<number>/returns")
def register_return(number: str):
    session = db()
    order = order_for_update(session, number) or abort(404)
    lines = returnable_lines(order)
    form = return_form_class(lines)()
    if not form.validate_on_submit():
        session.rollback()
        if form.return_token.errors:
            form.return_token.data = new_form_token()
        return _returns_answer(order, 422, return_form=form, return_error=_("Check the quantities."))
    try:
        record_return(session, order, form.quantities(lines), restock=form.restock.data, actor=current_user.email,
                      token=form.return_token.data)
    except AlreadyRecorded:  # the same form again: it was saved once, and that is the answer
        session.rollback()
        return _done(order, _("Return registered."))
    except ReturnError as error:
        session.rollback()
        return _returns_answer(order, 422, return_form=form, return_error=str(error))
    session.commit()
    session.expire_all()
    offer = refunds.overpayment_offer(session, order)
    message = _("Return registered.")
    if offer:
        message += " " + _("The customer has paid %(amount)s more than the order total.",
                           amount=money(offer.amount, offer.currency))
    return _done(order, message)


@bp.post("/orders/<number>/payments/<int:payment_id>/overpayment-refund")
def refund_overpayment(number: str, payment_id: int):
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.order_id != order.id or payment.provider != "klarna":
        abort(404)
    answered = refunds.recorded_refund(session, payment, request.form.get("overpayment-refund_token"))
    if answered is not None:  # the same form again (a double click, a resubmitted page): its recorded outcome
        return _refund_answer(order, payment, answered)
    offer = refunds.overpayment_offer(session, order)
    if offer is None or offer.payment is None or offer.payment.id != payment.id:
        return _returns_answer(order, 409, refund_problem=Problem(_(
            "There is no overpayment to refund with this payment any more. The page shows the order as it is now.")))
    form = overpayment_refund_form(offer)
    if request.form.get("confirmed") != "yes" or not form.validate():
        if form.refund_token.errors:
            form.fresh_token()
        return _returns_answer(order, 422, overpayment_form=form, overpayment_open=True)
    actor = current_user.email
    problem = preflight(session, payment, current_gateway(), actor, "refund")
    if problem:
        return _returns_answer(order, 409, refund_problem=problem)
    try:
        event = refunds.refund_overpayment(session, order, payment, current_gateway(), form.amount.data,
                                           actor=actor, token=form.refund_token.data)
    except OperationInProgress:
        return _returns_answer(order, 409, refund_problem=in_progress())
    except NotAllowed as refusal:
        return _returns_answer(order, 409, refund_problem=Problem(str(refusal)))
    except KLARNA_ERRORS as error:
        return _returns_answer(order, 409, refund_problem=klarna_problem(error))
    return _refund_answer(order, payment, event)


def _refund_answer(order: Order, payment: Payment, event):
    problem = refund_outcome_problem(event)
    if problem:
        return _returns_answer(order, 409, refund_problem=problem)
    return _done(order, _("%(amount)s refunded to the customer.", amount=money(event.amount, payment.currency)))


def _done(order: Order, message: str):
    db().expire_all()  # the payment layer committed in sessions of its own: show what is stored now
    context = order_pages.order_context(order) if is_htmx() else {}
    return done(message, url_for("admin.order", number=order.number), RETURNS_RESULT, **context)


def _returns_answer(order: Order, status: int, **focus: Any):
    db().expire_all()
    context = order_pages.order_context(order)
    context.update(focus)  # after the page hooks: what the merchant typed stays
    if "return_form" in focus:
        context["return_open"] = True
    return render(order_pages.DETAIL_PAGE, RETURNS_RESULT, status=status, **context)


order_pages.ORDER_PAGE_CONTEXT.append(returns_page_context)
ORDER_EVENT_LABELS.setdefault("returned", _l("Return registered"))
ORDER_EVENT_LABELS.setdefault("overpayment_refunded", _l("Overpayment refunded"))
