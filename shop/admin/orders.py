"""Orders: the list, the order page, and marking goods shipped.

Other parts of the shop plug in here without editing these views:
- ORDER_PAGE_CONTEXT: functions of the order whose dicts join the order page's template context.
- SHIPMENT_GUARDS: functions that may refuse a shipment (return the reason; the merchant sees it, 409).
- SHIPMENT_LISTENERS: called after a shipment is committed (a payment capture, say).
- SHIPMENT_CHARGES: functions that say what shipping some quantities will charge the customer; such a
  shipment needs `confirmed=yes` (a POST without it is answered 422 with the confirmation step shown).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session

from shop.db import db
from shop.models import ORDER_STATUSES, Order, Shipment
from shop.money import BASE_CURRENCY
from shop.orders import ShipmentError, checked_shipment, find_order_by_number, record_shipment
from shop.web import done, is_htmx

from . import bp
from .common import render
from .forms import quantity_field_name, shipment_form_class
from .order_queries import OrderSearch, order_for_update, order_page_data, search_orders

log = logging.getLogger(__name__)

OrderPageContext = Callable[[Order], dict[str, Any]]
ShipmentGuard = Callable[[Order], "str | None"]
ShipmentListener = Callable[[Session, Order, Shipment, str], None]


@dataclass(frozen=True)
class ShipmentCharge:
    """What a shipment will charge the customer: the merchant confirms it first."""
    amount: int
    currency: str
    explanation: str  # who charges what, in plain words


@dataclass(frozen=True)
class ShipmentConfirmation:
    charge: ShipmentCharge
    action: str  # the button the merchant chose: "all" or "selected"


ShipmentChargeOf = Callable[[Order, dict[int, int]], "ShipmentCharge | None"]

UNSHIPPABLE_STATUSES = {"cancelled", "abandoned"}


def refuse_closed_orders(order: Order) -> str | None:
    if order.status in UNSHIPPABLE_STATUSES:
        return _("This order is closed; nothing can be shipped.")
    return None


ORDER_PAGE_CONTEXT: list[OrderPageContext] = []
SHIPMENT_GUARDS: list[ShipmentGuard] = [refuse_closed_orders]
SHIPMENT_LISTENERS: list[ShipmentListener] = []
SHIPMENT_CHARGES: list[ShipmentChargeOf] = []

DETAIL_PAGE = "admin/orders/detail.html"
SHIPPING_PARTIAL = "admin/orders/_shipping.html"
AFTER_SHIPMENT_PARTIAL = "admin/orders/_after_shipment.html"


@bp.get("/orders")
def orders():
    search = OrderSearch.from_args(request.args)
    result = search_orders(db(), search, current_app.config["ORDERS_PER_PAGE"])
    return render("admin/orders/list.html", "admin/orders/_table.html",
                  search=search, result=result, statuses=ORDER_STATUSES)


@bp.get("/orders/<number>")
def order(number: str):
    found = find_order_by_number(db(), number) or abort(404)
    return render_template(DETAIL_PAGE, **order_context(found))


def order_context(order: Order, ship_form=None, **extra: Any) -> dict[str, Any]:
    """The order page's template context; `ship_form` carries what was typed when a shipment failed."""
    context = order_page_data(db(), order)
    ship_form = ship_form or shipment_form_class(order.goods_lines)(formdata=None)  # defaults: what is left
    context.update(base_currency=BASE_CURRENCY, ship_form=ship_form, quantity_field_name=quantity_field_name,
                   ship_all_charge=shipment_charge(order, _all_unshipped(order)), **extra)
    for add_context in ORDER_PAGE_CONTEXT:
        context.update(add_context(order))
    return context


@bp.post("/orders/<number>/ship")
def ship(number: str):
    session = db()
    order = order_for_update(session, number) or abort(404)
    mark_all = request.form.get("action") == "all"
    form = shipment_form_class([] if mark_all else order.goods_lines)()
    # Everything the merchant typed is checked before the guards, which may ask Klarna and record its answer:
    # junk costs no Klarna call and writes nothing.
    if not form.validate_on_submit():
        session.rollback()
        return _shipping_problem(order, _("Check the quantities."), 422, form)
    try:
        checked_shipment(order, _quantities(order, form, mark_all))
    except ShipmentError as error:
        session.rollback()
        return _shipping_problem(order, str(error), 422, None if mark_all else form)
    unconfirmed = _unconfirmed_charge(order, form, mark_all)  # before the guards: it asks Klarna nothing
    if unconfirmed:
        return unconfirmed
    refusal = _first_refusal(order)
    if refusal:
        session.rollback()
        # The guards may have refreshed the payments (and offer a new one): those parts swap too.
        return _shipping_problem(order, refusal, 409, shipment_form_class(order.goods_lines)(),
                                 partial=AFTER_SHIPMENT_PARTIAL)
    unconfirmed = _unconfirmed_charge(order, form, mark_all)  # the guards read Klarna: is the charge the same?
    if unconfirmed:
        return unconfirmed
    actor = current_user.email
    try:
        shipment = record_shipment(session, order, _quantities(order, form, mark_all), actor=actor)
    except ShipmentError as error:
        session.rollback()
        return _shipping_problem(order, str(error), 422, None if mark_all else form)
    session.commit()
    _notify_listeners(session, order, shipment, actor)
    context = order_context(order) if is_htmx() else {}
    return done(_("Shipment recorded."), url_for("admin.order", number=number), AFTER_SHIPMENT_PARTIAL, **context)


def shipment_charge(order: Order, quantities: dict[int, int]) -> ShipmentCharge | None:
    if not any(quantities.values()):
        return None
    return next((charge for charge_of in SHIPMENT_CHARGES if (charge := charge_of(order, quantities))), None)


def _unconfirmed_charge(order: Order, form, mark_all: bool):
    """The confirmation step (422) for a charge not confirmed, or confirmed at another amount (a stale page)."""
    charge = shipment_charge(order, _quantities(order, form, mark_all))
    if charge is None:
        return None
    shown = request.form.get("charge_amount")
    confirmed = request.form.get("confirmed") == "yes"
    if confirmed and shown in (None, str(charge.amount)):
        return None
    db().rollback()
    message = _("The amount to charge has changed: check it and confirm again.") if confirmed else None
    confirmation = ShipmentConfirmation(charge, "all" if mark_all else "selected")
    return _shipping_problem(order, message, 422, None if mark_all else form, ship_confirmation=confirmation)


def _all_unshipped(order: Order) -> dict[int, int]:
    return {line.id: line.unshipped_quantity for line in order.goods_lines}


def _first_refusal(order: Order) -> str | None:
    for guard in SHIPMENT_GUARDS:
        reason = guard(order)
        if reason:
            return reason
    return None


def _quantities(order: Order, form, mark_all: bool) -> dict[int, int]:
    if mark_all:
        return _all_unshipped(order)
    return {line.id: form[quantity_field_name(line.id)].data or 0 for line in order.goods_lines}


def _shipping_problem(order: Order, message: str | None, status: int, form=None, partial: str = SHIPPING_PARTIAL,
                      **extra: Any):
    return render(DETAIL_PAGE, partial, status=status,
                  **order_context(order, ship_form=form, shipping_error=message, **extra))


def _notify_listeners(session: Session, order: Order, shipment: Shipment, actor: str) -> None:
    """The shipment is committed whatever a listener does; a failing listener is reported, not raised."""
    for listener in SHIPMENT_LISTENERS:
        try:
            listener(session, order, shipment, actor)
            session.commit()
        except Exception:  # the goods have left: the merchant must see the shipment, and the problem
            log.exception("shipment listener %r failed for order %s", listener, order.number)
            session.rollback()
            flash(_("The shipment was recorded, but a follow-up step failed. Check the payment below."), "warning")
    session.expire_all()  # listeners may have changed the order or its payments in sessions of their own
