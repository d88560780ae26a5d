"""The merchant portal as Klarna staff would use it: browse orders and HPP sessions, change
orders behind the shop's back (nobody is notified), flip fault switches, move the clock."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .access import staff_only
from .faults import KINDS
from .hosted_page import format_amount
from .wire import ApiError

bp = Blueprint("portal", __name__, url_prefix="/portal")
staff_only(bp, answer_json=False)

ORDER_ACTIONS = {
    # form action -> (needs an amount, what it does)
    "amount": (True, lambda orders, order, x: orders.update_authorization(
        order, {"order_amount": x, "order_lines": order["order_lines"]}, assess_risk=False)),
    "capture": (True, lambda orders, order, x: orders.capture(order, {"captured_amount": x})),
    "refund": (True, lambda orders, order, x: orders.refund(order, {"refunded_amount": x})),
    "cancel": (False, lambda orders, order, x: orders.simple(order, "cancel")),
    "release": (False, lambda orders, order, x: orders.simple(order, "release")),
    "extend": (False, lambda orders, order, x: orders.extend(order)),
    "expire": (False, lambda orders, order, x: orders.expire_now(order)),
    "fraud_accept": (False, lambda orders, order, x: orders.decide_fraud(order, "FRAUD_RISK_ACCEPTED")),
    "fraud_reject": (False, lambda orders, order, x: orders.decide_fraud(order, "FRAUD_RISK_REJECTED")),
    "fraud_stop": (False, lambda orders, order, x: orders.decide_fraud(order, "FRAUD_RISK_STOPPED")),
    "reject_increases_on": (False, lambda orders, order, x: orders.set_reject_increases(order["order_id"], True)),
    "reject_increases_off": (False, lambda orders, order, x: orders.set_reject_increases(order["order_id"], False)),
}


def _sim():
    return current_app.extensions["klarna_simulator"]


@bp.app_template_filter("money")
def _money(amount, currency):
    return format_amount(amount, currency, "en")


@bp.get("/")
def index():
    sim = _sim()
    with sim.transaction():
        orders = [sim.orders.view(order) | {"account": order["account"]} for order in sim.orders.all()]
    return render_template("simulator/portal_index.html", orders=orders, hpp_sessions=sim.hpp.all(),
                           accounts=sim.accounts.all(), now=sim.clock.now())


@bp.post("/accounts/<username>")
def account(username):
    _sim().accounts.set_reject_increases(username, request.form.get("reject_increases") == "on")
    return redirect(url_for(".index"), 303)


@bp.get("/orders/<order_id>")
def order_page(order_id, error: str | None = None, status: int = 200):
    sim = _sim()
    try:
        with sim.transaction():
            order = sim.orders.load(None, order_id)
    except ApiError as exc:
        return render_template("simulator/portal_message.html", message=exc.messages[0]), 404
    return render_template("simulator/portal_order.html", order=order, view=sim.orders.view(order),
                           error=error, notice=request.args.get("notice"), now=sim.clock.now()), status


@bp.post("/orders/<order_id>")
def order_action(order_id):
    sim = _sim()
    action = request.form.get("action", "")
    if action not in ORDER_ACTIONS:
        return order_page(order_id, error=f"Unknown action {action!r}", status=400)
    needs_amount, change = ORDER_ACTIONS[action]
    amount = None
    if needs_amount:
        try:
            amount = int(request.form.get("amount", ""))
        except ValueError:
            return order_page(order_id, error="The amount must be a whole number of minor units", status=422)
    try:
        with sim.transaction():
            change(sim.orders, sim.orders.load(None, order_id), amount)
    except ApiError as exc:
        return order_page(order_id, error=f"{exc.code}: {' '.join(exc.messages)}", status=409)
    return redirect(url_for(".order_page", order_id=order_id, notice=f"{action} done"), 303)


@bp.route("/faults", methods=["GET", "POST"])
def faults():
    sim = _sim()
    error = None
    if request.method == "POST":
        operation = request.form.get("operation", "").strip()
        try:
            if request.form.get("action") == "clear_all":
                sim.faults.clear()
            elif request.form.get("action") == "clear":
                sim.faults.clear(operation)
            else:
                times = request.form.get("times", "").strip()
                sim.faults.set(operation or "*", request.form.get("kind", ""), int(times) if times else None)
        except ValueError as exc:
            error = str(exc)
        if error is None:
            return redirect(url_for(".faults"), 303)
    operations = sorted({rule.endpoint.rsplit(".", 1)[-1] for rule in current_app.url_map.iter_rules()
                         if rule.endpoint.split(".")[0] in ("payments", "hpp", "om")})
    return render_template("simulator/portal_faults.html", faults=sim.faults.list(), kinds=KINDS,
                           operations=operations, error=error), 422 if error else 200


@bp.route("/clock", methods=["GET", "POST"])
def clock():
    sim = _sim()
    if request.method == "POST":
        if request.form.get("action") == "reset":
            sim.clock.reset()
        else:
            try:
                sim.clock.advance(days=float(request.form.get("days") or 0),
                                  hours=float(request.form.get("hours") or 0))
            except ValueError as exc:
                return render_template("simulator/portal_clock.html", now=sim.clock.now(),
                                       offset=sim.clock.offset, error=str(exc)), 422
        return redirect(url_for(".clock"), 303)
    return render_template("simulator/portal_clock.html", now=sim.clock.now(), offset=sim.clock.offset,
                           error=None)
