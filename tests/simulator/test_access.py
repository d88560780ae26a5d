"""The portal and the switches are for staff: a simulator account (Basic auth) or whoever the
embedding app's guard lets in; cookie users need CSRF tokens. Shoppers' pages and Klarna's APIs stay open."""
from __future__ import annotations

import base64

import pytest
from flask import redirect

from shop.simulator import create_app

from .conftest import SECRET, USERNAME, Merchant
from .payloads import SE_ORDER


def basic(username: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}


@pytest.fixture
def locked(sim_config):
    """A simulator as the standalone command builds it: CSRF on, no guard."""
    config = {key: value for key, value in sim_config.items() if key not in ("SIMULATOR_STAFF_GUARD", "WTF_CSRF_ENABLED")}
    return create_app(config)


def test_without_a_guard_only_simulator_accounts_get_in(locked):
    client = locked.test_client()
    refused = client.get("/portal/")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/portal/", headers=basic(USERNAME, "wrong")).status_code == 401
    assert client.get("/portal/", headers=basic(USERNAME, SECRET)).status_code == 200
    assert client.post("/_simulator/clock", json={"hours": 2}).status_code == 401
    assert client.post("/_simulator/clock", json={"hours": 2}, headers=basic(USERNAME, SECRET)).status_code == 200


def test_a_guards_refusal_is_what_portal_visitors_get(sim_config):
    app = create_app({**sim_config, "SIMULATOR_STAFF_GUARD": lambda: redirect("/login-first")})
    client = app.test_client()
    assert client.get("/portal/faults").location == "/login-first"
    assert client.post("/_simulator/faults", json={"kind": "500"}).status_code == 401
    assert app.extensions["klarna_simulator"].faults.list() == []


def test_the_hosted_page_and_the_apis_stay_open(locked):
    merchant = Merchant(locked)
    hpp = merchant.hpp_session(merchant.kp_session(SE_ORDER))
    page = hpp["redirect_url"].split("/_klarna", 1)[1]
    client = locked.test_client()
    assert client.get(page).status_code == 200
    assert client.post(page, data={"action": "cancel"}).status_code in (302, 303)
