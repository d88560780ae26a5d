"""Klarna Payments: authentication, validation (§6.1, §7), sessions and authorization tokens."""
from __future__ import annotations

import copy

import pytest
import requests

from shop.simulator.transport import SimulatorAdapter

from .conftest import BASE, SECRET, USERNAME, Merchant
from .payloads import FI_ORDER, SE_ORDER, order


def broken(**line_changes) -> dict:
    body = copy.deepcopy(FI_ORDER)
    body["order_lines"][0].update(line_changes)
    return body


@pytest.mark.parametrize("auth", [None, (USERNAME, "wrong"), ("PK_nobody", "x")])
def test_bad_credentials_get_401_with_a_klarna_error(sim_app, auth):
    merchant = Merchant(sim_app, auth=auth)
    for method, path in [("POST", "/payments/v1/sessions"), ("GET", "/hpp/v1/sessions/x"),
                         ("GET", "/ordermanagement/v1/orders/x")]:
        response = merchant.call(method, path, json=FI_ORDER if method == "POST" else None)
        assert response.status_code == 401
        assert response.json()["error_code"] == "UNAUTHORIZED"
        assert response.json()["correlation_id"] == response.headers["Klarna-Correlation-Id"]


def test_accounts_can_be_added_at_run_time(sim, sim_app):
    sim.accounts.add("PK_new_1", "fresh")
    assert Merchant(sim_app, auth=("PK_new_1", "fresh")).post("/payments/v1/sessions", json=FI_ORDER).status_code == 200


@pytest.mark.parametrize("body, messages", [
    (order(FI_ORDER, order_amount=16178), ["Bad value: order_amount"]),
    (order(FI_ORDER, order_tax_amount=3140), ["Bad value: order_tax_amount"]),
    (broken(total_amount=16183), ["Bad value: order_lines[0].total_amount", "Bad value: order_amount"]),
    (broken(total_tax_amount=3134), ["Bad value: order_lines[0].total_tax_amount"]),
    (broken(total_tax_amount=3136), ["Bad value: order_lines[0].total_tax_amount",
                                     "Bad value: order_tax_amount"]),
    (order(FI_ORDER, purchase_currency="SEK"), ["Bad value: purchase_currency"]),
    (order(FI_ORDER, locale="sv-SE"), ["Bad value: locale"]),
    (order(FI_ORDER, purchase_country="XX"), ["Bad value: purchase_country"]),
])
def test_create_session_validates_like_klarna(merchant, body, messages):
    response = merchant.post("/payments/v1/sessions", json=body)
    assert response.status_code == 400
    assert response.json()["error_code"] == "BAD_VALUE"
    assert response.json()["error_messages"] == messages


def test_tax_within_one_minor_unit_is_accepted(merchant):
    body = copy.deepcopy(FI_ORDER)
    body["order_lines"][1]["total_tax_amount"] = 95  # exact 95.81: one below the rounded value
    body["order_tax_amount"] = 3130
    assert merchant.post("/payments/v1/sessions", json=body).status_code == 200


@pytest.mark.parametrize("body", [
    {k: v for k, v in FI_ORDER.items() if k != "order_lines"},
    order(FI_ORDER, order_lines=[]),
    order(FI_ORDER, order_amount="16177"),
    order(FI_ORDER, order_lines=FI_ORDER["order_lines"] * 334),
    order(FI_ORDER, merchant_reference1="x" * 256),
    broken(name="n" * 256),
    broken(quantity_unit="kilograms"),
    order(FI_ORDER, billing_address={"postal_code": "12345678901"}),
])
def test_shape_violations(careless_merchant, body):
    response = careless_merchant.post("/payments/v1/sessions", json=body)
    assert response.status_code == 400 and response.json()["error_code"] == "BAD_VALUE"


def test_not_json(careless_merchant):
    response = careless_merchant.post("/payments/v1/sessions", data="{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_read_and_update_session(merchant, sim):
    session_id = merchant.kp_session(SE_ORDER)
    read = merchant.get(f"/payments/v1/sessions/{session_id}").json()
    assert read["status"] == "incomplete"
    assert read["order_lines"] == SE_ORDER["order_lines"] and read["locale"] == "sv-SE"
    assert read["expires_at"].endswith("Z")
    update = merchant.post(f"/payments/v1/sessions/{session_id}", json={"merchant_reference1": "SE-77"})
    assert update.status_code == 204 and update.content == b""
    assert merchant.get(f"/payments/v1/sessions/{session_id}").json()["merchant_reference1"] == "SE-77"
    bad = merchant.post(f"/payments/v1/sessions/{session_id}", json={"order_amount": 1})
    assert bad.status_code == 400 and bad.json()["error_messages"] == ["Bad value: order_amount"]
    sim.clock.advance(hours=48)
    gone = merchant.get(f"/payments/v1/sessions/{session_id}")
    assert gone.status_code == 404 and gone.json()["error_code"] == "NOT_FOUND"


def test_other_merchants_cannot_see_a_session(merchant, other_merchant):
    session_id = merchant.kp_session()
    assert other_merchant.get(f"/payments/v1/sessions/{session_id}").status_code == 404


def authorized(merchant, sim, body=FI_ORDER, **kwargs) -> tuple[str, str]:
    kp_id = merchant.kp_session(body)
    hpp = merchant.hpp_session(kp_id)
    return kp_id, sim.complete_hpp_session(hpp["session_id"], **kwargs)["authorization_token"]


def test_token_is_single_use(merchant, sim):
    kp_id, token = authorized(merchant, sim)
    assert merchant.post(f"/payments/v1/authorizations/{token}/order", json=FI_ORDER).status_code == 200
    again = merchant.post(f"/payments/v1/authorizations/{token}/order", json=FI_ORDER)
    assert again.status_code == 403
    assert again.json()["error_code"] == "INVALID_OPERATION"
    assert again.json()["error_messages"] == ["Authorization token already consumed"]
    update = merchant.post(f"/payments/v1/sessions/{kp_id}", json={"merchant_reference2": "x"})
    assert update.status_code == 404 and update.json()["error_code"] == "SESSION_COMPLETED"


def test_unknown_and_expired_tokens(merchant, sim):
    unknown = merchant.post("/payments/v1/authorizations/no-such-token/order", json=FI_ORDER)
    assert unknown.status_code == 404 and unknown.json()["error_code"] == "NOT_FOUND"
    _, token = authorized(merchant, sim)
    sim.clock.advance(minutes=61)
    assert merchant.post(f"/payments/v1/authorizations/{token}/order", json=FI_ORDER).status_code == 404


def test_a_newer_authorization_replaces_the_token(merchant, sim, browser):
    kp_id = merchant.kp_session()
    first = sim.complete_hpp_session(merchant.hpp_session(kp_id)["session_id"])["authorization_token"]
    second = sim.complete_hpp_session(merchant.hpp_session(kp_id)["session_id"])["authorization_token"]
    assert merchant.post(f"/payments/v1/authorizations/{first}/order", json=FI_ORDER).status_code == 404
    assert merchant.post(f"/payments/v1/authorizations/{second}/order", json=FI_ORDER).status_code == 200


@pytest.mark.parametrize("changes", [
    {"order_amount": 16177 + 500, "order_tax_amount": 3131 + 97,
     "order_lines": FI_ORDER["order_lines"][:2]},
    {"billing_address": {**FI_ORDER["billing_address"], "city": "Espoo"}},
])
def test_order_must_match_the_authorized_data(merchant, sim, changes):
    _, token = authorized(merchant, sim)
    response = merchant.post(f"/payments/v1/authorizations/{token}/order", json=order(FI_ORDER, **changes))
    assert response.status_code == 409 and response.json()["error_code"] == "BAD_VALUE"


def test_create_order_with_confirmation_and_auto_capture(merchant, sim, browser):
    body = order(FI_ORDER, merchant_urls={"confirmation": "https://shop.test/thanks/{order.id}"})
    _, token = authorized(merchant, sim, body=body)
    created = merchant.post(f"/payments/v1/authorizations/{token}/order", json={**body, "auto_capture": True})
    assert created.status_code == 200
    order_id = created.json()["order_id"]
    assert merchant.order(order_id)["status"] == "CAPTURED"
    redirect = browser.get(created.json()["redirect_url"].replace("http://shop.test/_klarna", ""))
    assert redirect.status_code == 303 and redirect.headers["Location"] == f"https://shop.test/thanks/{order_id}"


def test_cancel_authorization(merchant, sim):
    _, token = authorized(merchant, sim)
    cancelled = merchant.delete(f"/payments/v1/authorizations/{token}")
    assert cancelled.status_code == 204 and cancelled.headers["Klarna-Correlation-Id"]
    assert merchant.post(f"/payments/v1/authorizations/{token}/order", json=FI_ORDER).status_code == 404
    assert merchant.delete(f"/payments/v1/authorizations/{token}").status_code == 404


def test_categories_are_configurable_per_country(sim_app, merchant, monkeypatch):
    monkeypatch.setitem(sim_app.config, "SIMULATOR_PAYMENT_CATEGORIES", {"SE": ["pay_later"], "*": ["pay_now"]})
    se = merchant.post("/payments/v1/sessions", json=SE_ORDER).json()["payment_method_categories"]
    fi = merchant.post("/payments/v1/sessions", json=FI_ORDER).json()["payment_method_categories"]
    assert [c["identifier"] for c in se] == ["pay_later"] and [c["identifier"] for c in fi] == ["pay_now"]


def unchecked_session(sim_app) -> requests.Session:
    """Plain requests through the adapter, for paths and bodies outside Klarna's operations."""
    http = requests.Session()
    http.mount(f"{BASE}/", SimulatorAdapter(sim_app))
    http.auth = (USERNAME, SECRET)
    return http


def test_unknown_api_path_is_a_klarna_404(sim_app):
    response = unchecked_session(sim_app).get(f"{BASE}/payments/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error_code"] == "NOT_FOUND"


def test_oversized_bodies_and_wrong_methods_get_klarna_errors(sim_app):
    http = unchecked_session(sim_app)
    big = http.post(f"{BASE}/payments/v1/sessions", data=b"{" + b" " * (1024 * 1024) + b"}",
                    headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["error_code"] == "REQUEST_TOO_LARGE"
    wrong = http.put(f"{BASE}/payments/v1/sessions")
    assert wrong.status_code == 405 and wrong.json()["correlation_id"] == wrong.headers["Klarna-Correlation-Id"]
    streamed = http.post(f"{BASE}/payments/v1/sessions", data=iter([b'{"purchase_country": "SE"}']),
                         headers={"Content-Type": "application/json"})
    assert streamed.status_code == 400 and streamed.json()["error_messages"] == [
        "Bad value: purchase_currency", "Bad value: order_amount", "Bad value: order_lines"]
