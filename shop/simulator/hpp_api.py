"""HTTP face of the Hosted Payment Page API v1 (`/hpp/v1/...`)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, request

from .wire import api_root, empty_response, json_response, public_root, read_json, transact

bp = Blueprint("hpp", __name__, url_prefix="/hpp/v1")


def _own_hosts() -> set[str]:
    """Hosts a `payment_session_url` may name: this API host and the configured public host."""
    hosts = {request.host}
    if current_app.config.get("SIMULATOR_PUBLIC_URL"):
        hosts.add(urlsplit(current_app.config["SIMULATOR_PUBLIC_URL"]).netloc)
    return hosts


@bp.post("/sessions")
def create_hpp_session():
    def create(sim, account):
        session = sim.hpp.create(account, read_json(), _own_hosts())
        return sim.hpp.creation_view(session, api_root(), public_root())

    return json_response(transact(create), status=201)


@bp.get("/sessions/<session_id>")
def read_hpp_session(session_id):
    return json_response(transact(lambda sim, account: sim.hpp.view(sim.hpp.load(account, session_id))))


@bp.delete("/sessions/<session_id>")
def disable_hpp_session(session_id):
    transact(lambda sim, account: sim.hpp.disable(account, session_id))
    return empty_response(204)


@bp.post("/sessions/<session_id>/distribution")
def distribute_hpp_session(session_id):
    transact(lambda sim, account: sim.hpp.distribute(account, session_id, read_json()))
    return empty_response(201)
