"""Fault switches: what the shop's client sees over the in-process adapter and over a socket."""
from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from .conftest import SECRET, USERNAME
from .payloads import SE_ORDER

KEY = {"Klarna-Idempotency-Key": "b7e3e0a2-2f53-4a38-9b1c-0d6a3cf1f1aa"}


def test_timeout_after_performs_the_capture_and_a_retry_with_the_key_replays(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    sim.faults.set("create_capture", "timeout_after", times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000}, headers=KEY)
    assert merchant.order(order_id)["captured_amount"] == 5000  # it happened
    retry = merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000}, headers=KEY)
    assert retry.status_code == 201
    placed = merchant.order(order_id)
    assert placed["captured_amount"] == 5000
    assert [c["capture_id"] for c in placed["captures"]] == [retry.headers["Capture-Id"]]


def test_timeout_before_does_nothing(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    sim.faults.set("create_capture", "timeout", times=1)
    with pytest.raises(requests.exceptions.Timeout):
        merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000}, headers=KEY)
    assert merchant.order(order_id)["captured_amount"] == 0
    assert merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000}, headers=KEY).status_code == 201


def test_reset_is_a_connection_error(merchant, sim):
    sim.faults.set("get_order", "reset", times=2)
    order_id = merchant.order_from(SE_ORDER)
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            merchant.get(f"/ordermanagement/v1/orders/{order_id}")
    assert merchant.order(order_id)["status"] == "AUTHORIZED"


@pytest.mark.parametrize("kind, status, code", [("500", 500, "INTERNAL_SERVER_ERROR"),
                                                ("503", 503, "TEMPORARILY_UNAVAILABLE"),
                                                ("429", 429, "TOO_MANY_REQUESTS")])
def test_server_errors_and_rate_limits(merchant, sim, kind, status, code):
    order_id = merchant.order_from(SE_ORDER)
    sim.faults.set("get_order", kind)  # always, until cleared
    for _ in range(2):
        response = merchant.get(f"/ordermanagement/v1/orders/{order_id}")
        assert (response.status_code, response.json()["error_code"]) == (status, code)
    sim.faults.clear()
    assert merchant.get(f"/ordermanagement/v1/orders/{order_id}").status_code == 200


def test_a_capture_refused_with_payment_method_failed_captures_nothing(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    sim.faults.set("create_capture", "403_payment_method_failed", times=1)
    refused = merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000}, headers=KEY)
    assert (refused.status_code, refused.json()["error_code"]) == (403, "PAYMENT_METHOD_FAILED")
    assert refused.json()["correlation_id"]
    assert merchant.order(order_id)["captured_amount"] == 0
    later = merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000},
                        headers={"Klarna-Idempotency-Key": "0f6c1d9e-7b1a-4c55-8d3e-3c1b2a9f4e21"})
    assert later.status_code == 201  # a later try passes


def test_kp_rate_limit_has_an_empty_body_like_the_gateway(merchant, sim):
    sim.faults.set("create_session", "429", times=1)
    limited = merchant.post("/payments/v1/sessions", json=SE_ORDER)
    assert limited.status_code == 429 and limited.content == b""
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert merchant.post("/payments/v1/sessions", json=SE_ORDER).status_code == 200


def test_star_matches_every_operation_and_a_named_one_wins(merchant, sim):
    sim.faults.set("*", "503", times=1)
    assert merchant.post("/payments/v1/sessions", json=SE_ORDER).status_code == 503
    sim.faults.set("*", "503")
    sim.faults.set("create_session", "500", times=1)
    assert merchant.post("/payments/v1/sessions", json=SE_ORDER).status_code == 500
    assert merchant.post("/payments/v1/sessions", json=SE_ORDER).status_code == 503


def test_faults_can_be_set_over_json_and_in_the_portal(browser, sim):
    response = browser.post("/_simulator/faults", json={"operation": "create_hpp_session", "kind": "timeout_after", "times": 2})
    assert response.status_code == 201
    assert sim.faults.list() == [{"operation": "create_hpp_session", "kind": "timeout_after", "times": 2}]
    assert browser.post("/_simulator/faults", json={"operation": "x", "kind": "explode"}).status_code == 400
    assert browser.delete("/_simulator/faults").status_code == 204 and sim.faults.list() == []
    page = browser.post("/portal/faults", data={"operation": "get_order", "kind": "500", "times": ""})
    assert page.status_code == 303 and sim.faults.list() == [{"operation": "get_order", "kind": "500", "times": None}]
    assert "get_order" in browser.get("/portal/faults").get_data(as_text=True)
    browser.post("/portal/faults", data={"action": "clear_all"})
    assert sim.faults.list() == []


def test_unknown_fault_kinds_are_refused(sim):
    with pytest.raises(ValueError):
        sim.faults.set("create_capture", "slow")


@pytest.fixture
def served(sim_app, monkeypatch):
    """The simulator on a real local socket, for the transport-level faults."""
    monkeypatch.setitem(sim_app.config, "SIMULATOR_FAULT_SLEEP_SECONDS", 0.5)
    server = make_server("127.0.0.1", 0, sim_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_over_a_socket_timeouts_sleep_and_resets_drop_the_connection(served, sim):
    auth = (USERNAME, SECRET)
    sim.faults.set("create_session", "timeout", times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{served}/payments/v1/sessions", json=SE_ORDER, auth=auth, timeout=0.2)
    sim.faults.set("create_session", "reset", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{served}/payments/v1/sessions", json=SE_ORDER, auth=auth, timeout=2)
    assert requests.post(f"{served}/payments/v1/sessions", json=SE_ORDER, auth=auth, timeout=2).status_code == 200
