"""Exact wire for every operation: URL, method, headers, JSON body, and the parsed result."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable

import pytest
import requests

from shop.klarna import Created, KlarnaClient

from . import payloads as p
from .helpers import BASE_URL, IDEMPOTENCY_KEY as KEY, assert_wire

KP_SESSION = f"/payments/v1/sessions/{p.KP_SESSION_ID}"
AUTHORIZATION = f"/payments/v1/authorizations/{p.AUTHORIZATION_TOKEN}"
HPP_SESSION = f"/hpp/v1/sessions/{p.HPP_SESSION_ID}"
ORDER = f"/ordermanagement/v1/orders/{p.ORDER_ID}"
CAPTURE_LOCATION = f"{BASE_URL}{ORDER}/captures/{p.CAPTURE_ID}"
REFUND_LOCATION = f"{BASE_URL}{ORDER}/refunds/{p.REFUND_ID}"

SESSION_CREATED = {
    "session_id": p.KP_SESSION_ID,
    "client_token": "eyJhbGciOiJSUzI1NiJ9.eyJzZXNzaW9uX2lkIjoiMGIxZCJ9.c2ln",
    "payment_method_categories": [{"identifier": "klarna", "name": "Maksa Klarnalla"}],
}
ORDER_PLACED = {
    "order_id": p.ORDER_ID,
    "fraud_status": "ACCEPTED",
    "authorized_payment_method": {"type": "invoice"},
    "redirect_url": "https://payments.playground.klarna.com/redirect/1",
}
HPP_CREATED = {
    "session_id": p.HPP_SESSION_ID,
    "session_url": BASE_URL + HPP_SESSION,
    "redirect_url": "https://pay.playground.klarna.com/eu/hpp/payments/2OCkffK",
    "expires_at": "2038-01-19T03:14:07.000Z",
}
HPP_READ = {"session_id": p.HPP_SESSION_ID, "status": "COMPLETED", "authorization_token": p.AUTHORIZATION_TOKEN}
OM_ORDER = {"order_id": p.ORDER_ID, "status": "AUTHORIZED", "order_amount": p.ORDER_AMOUNT}
CAPTURE_READ = {"capture_id": p.CAPTURE_ID, "captured_amount": p.ORDER_AMOUNT, "klarna_reference": "K4MADNY-1"}
REFUND_READ = {"refund_id": p.REFUND_ID, "refunded_amount": 590}


@dataclass
class WireCase:
    invoke: Callable[[KlarnaClient], Any]
    method: str
    path: str
    sent: Any = None
    key: str | None = None
    status: int = 204
    answer: Any = None
    answer_headers: dict[str, str] = field(default_factory=dict)
    result: Any = None


CASES = {
    # Klarna Payments
    "create_session": WireCase(
        lambda c: c.create_session(p.session_create()), "POST", "/payments/v1/sessions",
        sent=p.session_create(), status=200, answer=SESSION_CREATED, result=SESSION_CREATED),
    "read_session": WireCase(
        lambda c: c.read_session(p.KP_SESSION_ID), "GET", KP_SESSION,
        status=200, answer={"status": "incomplete"}, result={"status": "incomplete"}),
    "update_session": WireCase(
        lambda c: c.update_session(p.KP_SESSION_ID, {"order_amount": 5070}), "POST", KP_SESSION,
        sent={"order_amount": 5070}),
    "create_order": WireCase(
        lambda c: c.create_order(p.AUTHORIZATION_TOKEN, p.create_order_request()),
        "POST", AUTHORIZATION + "/order",
        sent=p.create_order_request(), status=200, answer=ORDER_PLACED, result=ORDER_PLACED),
    "cancel_authorization": WireCase(
        lambda c: c.cancel_authorization(p.AUTHORIZATION_TOKEN), "DELETE", AUTHORIZATION),
    # Hosted Payment Page
    "create_hpp_session": WireCase(
        lambda c: c.create_hpp_session(p.hpp_session_create(BASE_URL + KP_SESSION)),
        "POST", "/hpp/v1/sessions", sent=p.hpp_session_create(BASE_URL + KP_SESSION),
        status=201, answer=HPP_CREATED, result=HPP_CREATED),
    "read_hpp_session": WireCase(
        lambda c: c.read_hpp_session(p.HPP_SESSION_ID), "GET", HPP_SESSION,
        status=200, answer=HPP_READ, result=HPP_READ),
    "disable_hpp_session": WireCase(
        lambda c: c.disable_hpp_session(p.HPP_SESSION_ID), "DELETE", HPP_SESSION),
    "distribute_hpp_session_sms": WireCase(
        lambda c: c.distribute_hpp_session(p.HPP_SESSION_ID, "sms", {"phone": "+358401234567", "phone_country": "FI"}),
        "POST", HPP_SESSION + "/distribution", status=201,
        sent={"method": "sms", "contact_information": {"phone": "+358401234567", "phone_country": "FI"}}),
    "distribute_hpp_session_email": WireCase(
        lambda c: c.distribute_hpp_session(p.HPP_SESSION_ID, "email", {"email": "customer@email.fi"}),
        "POST", HPP_SESSION + "/distribution", sent={"method": "email", "contact_information": {
            "email": "customer@email.fi"}}),
    # Order Management
    "get_order": WireCase(
        lambda c: c.get_order(p.ORDER_ID), "GET", ORDER, status=200, answer=OM_ORDER, result=OM_ORDER),
    "acknowledge_order": WireCase(
        lambda c: c.acknowledge_order(p.ORDER_ID, idempotency_key=KEY), "POST", ORDER + "/acknowledge",
        key=KEY),
    "update_authorization": WireCase(
        lambda c: c.update_authorization(
            p.ORDER_ID, order_amount=p.REDUCED_ORDER_AMOUNT, order_lines=p.reduced_order_lines(),
            description="Yksi pari palautettu ennen toimitusta", idempotency_key=KEY),
        "PATCH", ORDER + "/authorization", key=KEY,
        sent={"order_amount": p.REDUCED_ORDER_AMOUNT, "order_lines": p.reduced_order_lines(),
              "description": "Yksi pari palautettu ennen toimitusta"}),
    "update_authorization_amount_only": WireCase(
        lambda c: c.update_authorization(p.ORDER_ID, order_amount=0, idempotency_key=KEY),
        "PATCH", ORDER + "/authorization", key=KEY, sent={"order_amount": 0}),
    "cancel_order": WireCase(
        lambda c: c.cancel_order(p.ORDER_ID, idempotency_key=KEY), "POST", ORDER + "/cancel", key=KEY),
    "release_remaining_authorization": WireCase(
        lambda c: c.release_remaining_authorization(p.ORDER_ID, idempotency_key=KEY),
        "POST", ORDER + "/release-remaining-authorization", key=KEY),
    "extend_authorization_time": WireCase(
        lambda c: c.extend_authorization_time(p.ORDER_ID, idempotency_key=KEY),
        "POST", ORDER + "/extend-authorization-time", key=KEY),
    "create_capture": WireCase(
        lambda c: c.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY),
        "POST", ORDER + "/captures", sent=p.capture(), key=KEY, status=201,
        answer_headers={"Capture-Id": p.CAPTURE_ID, "Location": CAPTURE_LOCATION,
                        "Klarna-Correlation-Id": "c0ffee00-0000-4000-8000-000000000001"},
        result=Created(p.CAPTURE_ID, CAPTURE_LOCATION, "c0ffee00-0000-4000-8000-000000000001")),
    "list_captures": WireCase(
        lambda c: c.list_captures(p.ORDER_ID), "GET", ORDER + "/captures",
        status=200, answer=[CAPTURE_READ], result=[CAPTURE_READ]),
    "get_capture": WireCase(
        lambda c: c.get_capture(p.ORDER_ID, p.CAPTURE_ID), "GET", f"{ORDER}/captures/{p.CAPTURE_ID}",
        status=200, answer=CAPTURE_READ, result=CAPTURE_READ),
    "trigger_send_out": WireCase(
        lambda c: c.trigger_send_out(p.ORDER_ID, p.CAPTURE_ID, idempotency_key=KEY),
        "POST", f"{ORDER}/captures/{p.CAPTURE_ID}/trigger-send-out", key=KEY),
    "create_refund": WireCase(
        lambda c: c.create_refund(p.ORDER_ID, p.refund(), idempotency_key=KEY),
        "POST", ORDER + "/refunds", sent=p.refund(), key=KEY, status=201,
        answer_headers={"Refund-Id": p.REFUND_ID, "Location": REFUND_LOCATION},
        result=Created(p.REFUND_ID, REFUND_LOCATION, None)),
    "get_refund": WireCase(
        lambda c: c.get_refund(p.ORDER_ID, p.REFUND_ID), "GET", f"{ORDER}/refunds/{p.REFUND_ID}",
        status=200, answer=REFUND_READ, result=REFUND_READ),
    "update_merchant_references": WireCase(
        lambda c: c.update_merchant_references(
            p.ORDER_ID, merchant_reference1="NS-1001", merchant_reference2="", idempotency_key=KEY),
        "PATCH", ORDER + "/merchant-references", key=KEY,
        sent={"merchant_reference1": "NS-1001", "merchant_reference2": ""}),
    "update_merchant_reference2_only": WireCase(
        lambda c: c.update_merchant_references(p.ORDER_ID, merchant_reference2="ERP-77", idempotency_key=KEY),
        "PATCH", ORDER + "/merchant-references", key=KEY, sent={"merchant_reference2": "ERP-77"}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_operation_sends_exactly_what_klarna_expects(mocked, client, case):
    mocked.add(case.method, BASE_URL + case.path, status=case.status,
               json=case.answer, headers=case.answer_headers)

    result = case.invoke(client)

    assert result == case.result
    assert len(mocked.calls) == 1
    assert_wire(mocked.calls[0], case.method, case.path, body=case.sent, idempotency_key=case.key)


def test_request_goes_through_the_given_session_with_an_explicit_timeout(mocked, make_client):
    mocked.add("GET", BASE_URL + ORDER, json=OM_ORDER)

    make_client(timeout=(2, 7)).get_order(p.ORDER_ID)

    assert mocked.calls[0].request.req_kwargs["timeout"] == (2, 7)


def test_a_custom_transport_adapter_receives_the_calls(make_client):
    sent = []

    class Adapter(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            sent.append((request, kwargs))
            answer = requests.Response()
            answer.status_code, answer._content, answer.request = 200, b'{"order_id": "1"}', request
            return answer

        def close(self):
            pass

    session = requests.Session()
    session.mount("http://simulator.test/", Adapter())
    client = make_client(base_url="http://simulator.test/", session=session)

    assert client.get_order("1") == {"order_id": "1"}
    request, kwargs = sent[0]
    assert request.url == "http://simulator.test/ordermanagement/v1/orders/1"
    assert kwargs["timeout"] == (5, 30)


def test_user_agent_suffix_is_appended(mocked, make_client):
    mocked.add("GET", BASE_URL + ORDER, json=OM_ORDER)

    make_client(user_agent_suffix="Module/Admin_2").get_order(p.ORDER_ID)

    assert mocked.calls[0].request.headers["User-Agent"].endswith(" Platform/NordShop_" + _version() + " Module/Admin_2")


def _version() -> str:
    try:
        return metadata.version("nordshop")
    except metadata.PackageNotFoundError:
        return "0"


def test_payment_session_url_points_at_the_kp_session_on_the_same_host(client):
    assert client.payment_session_url(p.KP_SESSION_ID) == BASE_URL + KP_SESSION
    assert client.payment_session_url("a/b") == BASE_URL + "/payments/v1/sessions/a%2Fb"


def test_update_merchant_references_needs_at_least_one_reference(mocked, client):
    with pytest.raises(ValueError):
        client.update_merchant_references(p.ORDER_ID, idempotency_key=KEY)


@pytest.mark.parametrize("key", ["", "   ", None])
def test_order_management_writes_refuse_a_missing_idempotency_key(mocked, client, key):
    with pytest.raises(ValueError, match="idempotency_key"):
        client.cancel_order(p.ORDER_ID, idempotency_key=key)
