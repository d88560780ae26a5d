"""HTTP face of Order Management v1 (`/ordermanagement/v1/orders/...`).

The 204 writes are declared in one table; every write honours `Klarna-Idempotency-Key`.
The rules themselves live in `orders.py` and `state.py`. View names are the operation names
the fault switches use (`create_capture`, `get_order`, ...).
"""
from __future__ import annotations

from flask import Blueprint, url_for

from . import validation as v
from .idempotency import idempotent
from .wire import ApiError, empty_response, json_response, read_json, transact

bp = Blueprint("om", __name__, url_prefix="/ordermanagement/v1/orders/<order_id>")
DUE_DATE_OPTIONS = ({"number_of_days": 14, "amount": 195}, {"number_of_days": 28, "amount": 295})


def _body(rule) -> dict:
    """The JSON body checked against `rule`: size violations 422, anything else 400 (API.md §0.8)."""
    body = read_json(required=True)
    problems = v.check(body, rule)
    sizes = [p for p in problems if p.kind == "size"]
    if sizes:
        raise ApiError(422, "UNPROCESSABLE_ENTITY", *(
            f"The size of the {p.path.replace('.', '/')} value must be between {p.limit[0]} and {p.limit[1]}"
            for p in sizes))
    if problems:
        raise ApiError(400, "BAD_VALUE", *(f"Bad value: {p.path}" for p in problems))
    return body


def _extend_due_date(orders, order, body, capture_id):
    if body["number_of_days"] not in {option["number_of_days"] for option in DUE_DATE_OPTIONS}:
        raise ApiError(400, "BAD_VALUE", "Bad value: number_of_days")
    orders.capture_for_action(order, capture_id)


# operation -> (method, path, body rule or None, change(orders, order, body, capture_id)); all answer 204
WRITES = {
    "acknowledge_order": ("POST", "/acknowledge", None,
                          lambda orders, order, body, _: orders.simple(order, "acknowledge")),
    "update_authorization": ("PATCH", "/authorization", v.UPDATE_AUTHORIZATION,
                             lambda orders, order, body, _: orders.update_authorization(order, body)),
    "cancel_order": ("POST", "/cancel", None, lambda orders, order, body, _: orders.simple(order, "cancel")),
    "extend_authorization_time": ("POST", "/extend-authorization-time", None,
                                  lambda orders, order, body, _: orders.extend(order)),
    "release_remaining_authorization": ("POST", "/release-remaining-authorization", None,
                                        lambda orders, order, body, _: orders.simple(order, "release")),
    "update_merchant_references": ("PATCH", "/merchant-references", v.MERCHANT_REFERENCES,
                                   lambda orders, order, body, _: orders.update_merchant_references(order, body)),
    "update_customer_details": ("PATCH", "/customer-details", v.CUSTOMER_DETAILS,
                                lambda orders, order, body, _: orders.update_customer_details(order, body)),
    "add_shipping_info": ("POST", "/shipping-info", v.SHIPPING_INFO_UPDATE,
                          lambda orders, order, body, _: orders.add_shipping_info(order, body["shipping_info"])),
    "add_capture_shipping_info": ("POST", "/captures/<capture_id>/shipping-info", v.SHIPPING_INFO_UPDATE,
                                  lambda orders, order, body, capture_id: orders.add_shipping_info(
                                      order, body["shipping_info"], capture_id)),
    "trigger_send_out": ("POST", "/captures/<capture_id>/trigger-send-out", None,
                         lambda orders, order, body, capture_id: orders.capture_for_action(order, capture_id)),
    "extend_due_date": ("PATCH", "/captures/<capture_id>/extend-due-date", v.EXTEND_DUE_DATE, _extend_due_date),
}


def _write_view(rule, change):
    def view(order_id, capture_id=None):
        body = _body(rule) if rule else {}
        transact(lambda sim, account: change(sim.orders, sim.orders.load(account, order_id), body, capture_id))
        return empty_response(204)

    return view


for _name, (_method, _path, _rule, _change) in WRITES.items():
    bp.add_url_rule(_path, _name, idempotent(_write_view(_rule, _change)), methods=[_method])


def _read(order_id: str, pick) -> object:
    return json_response(transact(lambda sim, account: pick(sim.orders, sim.orders.load(account, order_id))))


@bp.get("")
def get_order(order_id):
    return _read(order_id, lambda orders, order: orders.view(order))


@bp.get("/captures")
def list_captures(order_id):
    return _read(order_id, lambda orders, order: order["captures"])


@bp.get("/captures/<capture_id>")
def get_capture(order_id, capture_id):
    return _read(order_id, lambda orders, order: orders.find_capture(order, capture_id))


@bp.get("/captures/<capture_id>/extend-due-date-options")
def get_extend_due_date_options(order_id, capture_id):
    return _read(order_id, lambda orders, order: orders.find_capture(order, capture_id) and {
        "currency": order["purchase_currency"], "options": list(DUE_DATE_OPTIONS)})


@bp.get("/refunds/<refund_id>")
def get_refund(order_id, refund_id):
    return _read(order_id, lambda orders, order: orders.find_refund(order, refund_id))


def _created(order_id: str, rule, make, view: str, id_header: str, id_key: str):
    """POST of a capture or refund: 201, empty body, the new id and its absolute Location."""
    body = _body(rule)
    created = transact(lambda sim, account: make(sim.orders, sim.orders.load(account, order_id), body))
    location = url_for(view, order_id=order_id, _external=True, **{id_key: created[id_key]})
    return empty_response(201, {id_header: created[id_key], "Location": location})


@bp.post("/captures")
@idempotent
def create_capture(order_id):
    return _created(order_id, v.CAPTURE, lambda orders, order, body: orders.capture(order, body),
                    ".get_capture", "Capture-Id", "capture_id")


@bp.post("/refunds")
@idempotent
def create_refund(order_id):
    return _created(order_id, v.REFUND, lambda orders, order, body: orders.refund(order, body),
                    ".get_refund", "Refund-Id", "refund_id")
