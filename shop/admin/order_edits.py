"""Editing an order on its page: lines, a product from the catalogue, fees and the order discount.

One form (`admin/orders/_edit.html`) that works as a plain POST (flash + 303) and through htmx (the
edit card swaps itself, the items, totals, payments and history out of band). What the merchant typed
wrong is a 422 with the form as typed; an edit the order or Klarna refuses is a 409 with the reason
(Klarna's words and correlation id), and, when Klarna declined more money, the offer to save the edit
with a new payment transaction for the difference.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlmodel import or_, select

from shop.db import db
from shop.i18n import money
from shop.klarna_errors import KLARNA_ERRORS
from shop.models import Order, PaymentMethod, Product
from shop.orders import find_order_by_number
from shop.payments import edits
from shop.payments.balance import save_edit_paying_difference
from shop.payments.edit_lines import EditInvalid
from shop.payments.gateway import current_gateway
from shop.payments.operations import NotAllowed, OperationInProgress
from shop.web import done

from . import bp
from . import orders as order_pages
from .common import ORDER_EVENT_LABELS, render
from .order_queries import escape_like
from .order_edit_forms import OrderEditForm, edit_form
from .payment_panel import EVENT_LABELS, Problem
from .payment_shipping import as_provider_error
from .payments import klarna_problem

EDIT_PARTIAL = "admin/orders/_edit.html"
ADD_PRODUCT_PARTIAL = "admin/orders/_add_product.html"
PRODUCT_SEARCH_ARG = "product_q"
PRODUCT_MATCHES = 20  # the picker lists at most this many products found by the merchant's search
EDIT_RESULT = "admin/orders/_edit_result.html"
PREVIEW_PARTIAL = "admin/orders/_edit_preview.html"


@dataclass(frozen=True)
class EditOffer:
    """After Klarna declined an increase: save the edit, and ask for the difference with another method."""

    amount: int
    currency: str


@bp.post("/orders/<number>/edit")
def edit_order(number: str):
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    form = edit_form(order, _chosen_product(), _manual_methods())
    if not form.validate():
        return _edit_answer(order, 422, form)
    actor, gateway = current_user.email, current_gateway()
    try:
        if request.form.get("action") == "new_transaction":
            return _save_with_new_transaction(order, form, actor)
        result = edits.save_edit(session, order, form.request(), gateway, actor=actor)
    except EditInvalid as invalid:
        return _edit_answer(order, 422, _with_errors(form, invalid))
    except (edits.EditRefused, NotAllowed) as refusal:
        return _edit_answer(order, 409, form, Problem(str(refusal)))
    except OperationInProgress:
        return _edit_answer(order, 409, form, Problem(_(
            "Another change of this order's Klarna payment is in progress. Try again in a moment.")))
    except KLARNA_ERRORS as error:
        return _edit_answer(order, 409, form, _klarna_refusal(error), offer=_offer_after_refusal(order, form))
    return _saved(order, result)


@bp.post("/orders/<number>/edit/preview")
def edit_preview(number: str):
    """What the edit would make of the order, as the merchant types (htmx); nothing is stored or sent."""
    session = db()
    order = find_order_by_number(session, number) or abort(404)
    form = edit_form(order, _chosen_product(), _manual_methods())
    preview = None
    if form.validate():
        try:
            preview = edits.preview(session, order, form.request())
        except EditInvalid as invalid:
            form = _with_errors(form, invalid)
        except edits.EditRefused as refusal:
            form.edit_errors.append(str(refusal))
    session.rollback()
    return render_template(PREVIEW_PARTIAL, order=order, edit_preview=preview, preview_form=form)


def _save_with_new_transaction(order: Order, form: OrderEditForm, actor: str):
    session = db()
    method = session.get(PaymentMethod, form.transaction_method.data or 0)
    if method is None or method.provider == "klarna":
        form.transaction_method.errors = [_("Choose the payment method for the difference.")]
        return _edit_answer(order, 422, form, offer=_offer_after_refusal(order, form))
    result, payment = save_edit_paying_difference(session, order, form.request(), method, actor=actor)
    session.expire_all()
    message = _("Order saved: total %(old)s → %(new)s. New payment transaction created: %(method)s, %(amount)s "
                "awaiting payment.", old=money(result.old_total, order.currency),
                new=money(result.new_total, order.currency), method=method.name,
                amount=money(payment.amount, order.currency))
    return done(message, url_for("admin.order", number=order.number), EDIT_RESULT, **_page(order))


def _saved(order: Order, result: edits.EditResult):
    db().expire_all()  # the payment layer committed; show what is stored now
    url = url_for("admin.order", number=order.number)
    if not result.changed:
        return done(_("Nothing was changed, so nothing was saved or sent to Klarna."), url, EDIT_RESULT,
                    category="info", **_page(order))
    old, new = money(result.old_total, order.currency), money(result.new_total, order.currency)
    if result.klarna is not None:
        message = _("Order saved: total %(old)s → %(new)s. Klarna approved the new amount of %(amount)s.",
                    old=old, new=new, amount=money(result.klarna.amount, order.currency))
    else:
        message = _("Order saved: total %(old)s → %(new)s.", old=old, new=new)
    return done(message, url, EDIT_RESULT, **_page(order))


def _klarna_refusal(error: Exception) -> Problem:
    problem = klarna_problem(error)
    if problem.message == _("Klarna refused the action."):
        return Problem(_("Klarna did not approve the edit, so the order stays as it was."), detail=problem.detail,
                       correlation_id=problem.correlation_id)
    if as_provider_error(error).klarna_answered:
        return Problem(_("Klarna answered with an error, so the edit is not saved yet. The answer is checked "
                         "automatically; once Klarna approves, the edit is saved."), detail=problem.detail,
                       correlation_id=problem.correlation_id)
    return Problem(_("Klarna did not answer, so the edit is not saved yet. The answer is checked automatically; "
                     "once Klarna approves, the edit is saved."), detail=problem.detail,
                   correlation_id=problem.correlation_id)


def _offer_after_refusal(order: Order, form: OrderEditForm) -> EditOffer | None:
    """The difference Klarna declined to hold, when another payment method could carry it."""
    session = db()
    session.expire_all()
    order = session.get(Order, order.id)
    try:
        difference = edits.klarna_shortfall(session, order, form.request())
    except (EditInvalid, edits.EditRefused):
        return None
    if difference <= 0 or not _manual_methods():
        return None
    return EditOffer(difference, order.currency)


def _with_errors(form: OrderEditForm, invalid: EditInvalid) -> OrderEditForm:
    """The domain's refusals beside the inputs they concern: a field, a line (`line_<id>`), or the form."""
    for name, message in invalid.errors.items():
        target = form._fields.get(name)
        if target is not None:
            target.errors = [*target.errors, message]
        elif name.startswith("line_") and name[5:].isdigit():
            form.line_errors[int(name[5:])] = message
        else:
            form.edit_errors.append(message)
    return form


def _page(order: Order, **extra: Any) -> dict[str, Any]:
    context = order_pages.order_context(order)
    context.update(extra)  # after the page hooks: what the merchant typed stays
    return context


def _edit_answer(order: Order, status: int, form: OrderEditForm, problem: Problem | None = None,
                 offer: EditOffer | None = None):
    db().expire_all()
    return render(order_pages.DETAIL_PAGE, EDIT_PARTIAL, status=status,
                  **_page(order, edit_form=form, edit_problem=problem, edit_offer=offer, edit_open=True))


def _chosen_product() -> list[Product]:
    """What a posted edit may add: the one active product it names, so the form validates its choice."""
    product_id = request.form.get("add_product", type=int)
    if not product_id:
        return []
    return list(db().exec(select(Product).where(Product.id == product_id, Product.active)))  # type: ignore[arg-type]


def product_search() -> str:
    return request.args.get(PRODUCT_SEARCH_ARG, "").strip()[:100]


def matching_products(typed: str) -> list[Product]:
    """The active products whose name or code contains what the merchant typed: one query, at most PRODUCT_MATCHES."""
    if not typed:
        return []
    pattern = "%" + escape_like(typed) + "%"
    contains = or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\"))  # type: ignore[attr-defined]
    return list(db().exec(select(Product).where(Product.active, contains)  # type: ignore[arg-type]
                          .order_by(Product.name, Product.id).limit(PRODUCT_MATCHES)))


@bp.get("/orders/<number>/edit/products")
def edit_products(number: str):
    """The product picker narrowed to the merchant's search (htmx, as they type)."""
    order = find_order_by_number(db(), number) or abort(404)
    typed = product_search()
    form = edit_form(order, matching_products(typed), [], formdata=None)
    return render_template(ADD_PRODUCT_PARTIAL, order=order, edit_form=form, product_search=typed)


def _manual_methods() -> list[PaymentMethod]:
    return list(db().exec(select(PaymentMethod).where(PaymentMethod.provider != "klarna")
                          .order_by(PaymentMethod.position, PaymentMethod.id)))


def edit_page_context(order: Order) -> dict[str, Any]:
    payment = edits.payment_to_update_or_none(db(), order)
    typed = product_search()
    return {
        "edit_form": edit_form(order, matching_products(typed), _manual_methods(), formdata=None),
        "product_search": typed,
        "edit_problem": None, "edit_offer": None, "edit_open": bool(typed),
        "edit_goes_to_klarna": payment is not None,
        "edit_closed": order.status not in edits.EDITABLE_ORDER_STATUSES,
    }


order_pages.ORDER_PAGE_CONTEXT.append(edit_page_context)
ORDER_EVENT_LABELS.setdefault("order_edited", _l("Order edited"))
EVENT_LABELS.setdefault("edit_approved", _l("Klarna approved the edited order"))
