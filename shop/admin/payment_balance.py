"""The order's payment transactions together: what is paid and open, Klarna's amount changed in its
portal, and the ways out when the order and Klarna no longer agree on what is left to capture.

- A shipment (and "Activate payment", in `service.activate`) is refused before any Klarna write while
  the shop's remaining total and Klarna's remaining authorized amount differ; the refusal names
  Klarna's amount. The guard runs once on what the shop knows (no Klarna call at all) and once more
  after the payment guard has read Klarna.
- Ways out: capture Klarna's remaining amount, or "Create new payment transaction" (manual, e.g. bank
  transfer) for the difference; a negative transaction records an overpayment paid back another way.
- A notice of an amount Klarna changed (merchant portal) stays until a merchant acknowledges it.

Every action is a form POST (flash + 303); htmx swaps the payment transactions (`#payments`).
"""
from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from shop.db import db
from shop.i18n import money
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order, Payment, PaymentMethod
from shop.orders import find_order_by_number
from shop.payments import balance
from shop.payments.gateway import current_gateway
from shop.payments.operations import NotAllowed, OperationInProgress
from shop.payments.portal_changes import acknowledge_amount_change, amount_notices
from shop.payments.sync import sync
from shop.web import done

from . import bp
from . import orders as order_pages
from .common import ORDER_EVENT_LABELS, render
from .forms import MoneyField
from .payment_panel import EVENT_LABELS
from .payments import klarna_problem

PAYMENTS_RESULT = "admin/payments/_payments_result.html"
DIRECTIONS = (SelectChoice("charge", _l("The customer pays")), SelectChoice("pay_back", _l("Paid back to the customer")))


class TransactionForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST app-wide

    method_id = SelectField(_l("Payment method"), coerce=int, validators=[InputRequired()])
    direction = RadioField(_l("Direction"), choices=DIRECTIONS, default="charge")


def transaction_form(order: Order, methods: list[PaymentMethod], **kwargs) -> TransactionForm:
    amount = type(f"MoneyField{order.currency}", (MoneyField,), {"currency": order.currency})
    form_class = type("NewTransactionForm", (TransactionForm,), {
        "amount": amount(_l("Amount"), validators=[InputRequired(_l("Enter the amount."))])})
    form = form_class(prefix="transaction", **kwargs)
    form.method_id.choices = [SelectChoice(method.id, method.name) for method in methods]
    return form


def _methods() -> list[PaymentMethod]:
    from sqlmodel import select

    return list(db().exec(select(PaymentMethod).where(PaymentMethod.provider != "klarna")
                          .order_by(PaymentMethod.position, PaymentMethod.id)))


def _suggestion(order: Order, found: balance.KlarnaBalance | None,
                totals: balance.OrderPayments) -> tuple[str, int]:
    """What a new transaction would most likely be for: the difference Klarna does not hold, what is
    open, or the overpayment to pay back."""
    if found is not None and found.difference > 0:
        return "charge", found.difference
    if totals.open < 0:
        return "pay_back", -totals.open
    return "charge", max(totals.open, 0)


def balance_page_context(order: Order) -> dict[str, Any]:
    session = db()
    found = balance.klarna_balance(session, order)
    totals = balance.order_payments(session, order)
    methods = _methods()
    direction, amount = _suggestion(order, found, totals)
    return {
        "klarna_balance": found, "order_payments": totals, "amount_notices": amount_notices(session, order),
        "transaction_methods": methods, "transaction_problem": None,
        # Offered when something is open or overpaid; made with another method than Klarna.
        "transaction_form": transaction_form(order, methods, formdata=None, direction=direction,
                                             amount=amount) if methods and amount > 0 else None,
    }


def _payments_answer(order: Order, status: int, **extra: Any):
    db().expire_all()
    context = order_pages.order_context(order)
    context.update(extra)
    return render(order_pages.DETAIL_PAGE, PAYMENTS_RESULT, status=status, **context)


def _done(order: Order, message: str):
    db().expire_all()
    return done(message, url_for("admin.order", number=order.number), PAYMENTS_RESULT,
                **order_pages.order_context(order))


def _order_and_payment(number: str, payment_id: int) -> tuple[Order, Payment]:
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    payment = session.get(Payment, payment_id)
    if payment is None or payment.order_id != order.id:
        abort(404)
    return order, payment


@bp.post("/orders/<number>/transactions")
def new_transaction(number: str):
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    methods = _methods()
    form = transaction_form(order, methods)
    if not form.validate() or not form.amount.data:
        if form.amount.data == 0:
            form.amount.errors = [_("Enter an amount greater than zero.")]
        return _payments_answer(order, 422, transaction_form=form, transaction_open=True)
    method = session.get(PaymentMethod, form.method_id.data)
    amount = form.amount.data if form.direction.data == "charge" else -form.amount.data
    try:
        balance.create_transaction(session, order, method, amount, actor=current_user.email)
    except NotAllowed as refusal:
        return _payments_answer(order, 409, transaction_form=form, transaction_problem=str(refusal),
                                transaction_open=True)
    if amount > 0:
        message = _("New payment transaction created: %(method)s, %(amount)s awaiting payment.",
                    method=method.name, amount=money(amount, order.currency))
    else:
        message = _("New payment transaction created: %(method)s, %(amount)s to be paid back to the customer.",
                    method=method.name, amount=money(-amount, order.currency))
    return _done(order, message)


@bp.post("/orders/<number>/transactions/<int:payment_id>/settled")
def transaction_settled(number: str, payment_id: int):
    order, payment = _order_and_payment(number, payment_id)
    try:
        balance.mark_transaction_settled(db(), payment, actor=current_user.email)
    except NotAllowed as refusal:
        return _payments_answer(order, 409, transaction_problem=str(refusal))
    if payment.amount > 0:
        return _done(order, _("Payment of %(amount)s recorded as received.",
                              amount=money(payment.amount, order.currency)))
    return _done(order, _("%(amount)s recorded as paid back to the customer.",
                          amount=money(-payment.amount, order.currency)))


@bp.post("/orders/<number>/payments/<int:payment_id>/capture-klarna-remaining")
def capture_klarna_remaining(number: str, payment_id: int):
    """The first way out of a mismatch: capture what Klarna still holds, and no more."""
    order, payment = _order_and_payment(number, payment_id)
    session, gateway = db(), current_gateway()
    try:
        sync(session, payment, gateway, actor=current_user.email)  # act on Klarna's amount as it is now
        event = balance.capture_klarna_remaining(session, payment, gateway, actor=current_user.email)
    except OperationInProgress:
        return _payments_answer(order, 409, transaction_problem=_(
            "An operation is already in progress on this payment. Try again in a moment."))
    except NotAllowed as refusal:
        return _payments_answer(order, 409, transaction_problem=str(refusal))
    except KLARNA_ERRORS as error:
        problem = klarna_problem(error)
        text = " ".join(part for part in (problem.message, problem.detail or "", problem.correlation_id and _(
            "Klarna correlation id: %(id)s", id=problem.correlation_id) or "") if part)
        return _payments_answer(order, 409, transaction_problem=text)
    return _done(order, _("Klarna's remaining %(amount)s captured.", amount=money(event.amount, order.currency)))


@bp.post("/orders/<number>/payments/<int:payment_id>/acknowledge-amount")
def acknowledge_amount(number: str, payment_id: int):
    order, payment = _order_and_payment(number, payment_id)
    event_id = request.form.get("event_id", "")
    if not event_id.isdigit() or len(event_id) > 9:
        abort(400)
    if not acknowledge_amount_change(db(), payment, int(event_id), actor=current_user.email):
        return _payments_answer(order, 409, transaction_problem=_(
            "This amount change was already acknowledged, or Klarna changed the amount again: see the notice."))
    return _done(order, _("Klarna's amount change acknowledged."))


def refuse_mismatched_capture(order: Order) -> str | None:
    """SHIPMENT_GUARD: no shipment (and so no capture) while the order and Klarna disagree on what is left."""
    return balance.capture_refusal(db(), order)


# Before the payment guard reads Klarna (a refusal on what is known costs no Klarna call), and after it.
order_pages.SHIPMENT_GUARDS.insert(1, refuse_mismatched_capture)
order_pages.SHIPMENT_GUARDS.append(refuse_mismatched_capture)
order_pages.ORDER_PAGE_CONTEXT.append(balance_page_context)
for _kind, _label in {
    "klarna_amount_changed": _l("Klarna's amount changed"), "transaction_paid": _l("Payment received"),
    "transaction_paid_back": _l("Paid back to the customer"),
}.items():
    ORDER_EVENT_LABELS.setdefault(_kind, _label)
for _kind, _label in {
    "amount_change_acknowledged": _l("Amount change acknowledged"), "paid": _l("Payment received"),
    "paid_back": _l("Paid back to the customer"),
}.items():
    EVENT_LABELS.setdefault(_kind, _label)
