"""HTTP face of Klarna Payments v1 (`/payments/v1/...`)."""
from __future__ import annotations

from flask import Blueprint

from .wire import empty_response, json_response, public_root, read_json, transact

bp = Blueprint("payments", __name__, url_prefix="/payments/v1")


@bp.post("/sessions")
def create_session():
    def create(sim, account):
        session = sim.payments.create_session(account, read_json())
        return {"session_id": session["session_id"], "client_token": session["client_token"],
                "payment_method_categories": [sim.payments.category_view(c) for c in session["categories"]]}

    return json_response(transact(create))


@bp.get("/sessions/<session_id>")
def read_session(session_id):
    return json_response(transact(
        lambda sim, account: sim.payments.session_view(sim.payments.load_session(account, session_id))))


@bp.post("/sessions/<session_id>")
def update_session(session_id):
    transact(lambda sim, account: sim.payments.update_session(account, session_id, read_json()))
    return empty_response(204)


@bp.post("/authorizations/<token>/order")
def create_order(token):
    return json_response(transact(
        lambda sim, account: sim.payments.create_order(account, token, read_json(), public_root())))


@bp.delete("/authorizations/<token>")
def cancel_authorization(token):
    transact(lambda sim, account: sim.payments.cancel_authorization(account, token))
    return empty_response(204)
