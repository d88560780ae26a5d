"""One retry rule: GETs and keyed OM writes, on no answer / 5xx / 429, with the same key."""
from __future__ import annotations

import pytest
import requests

from shop.klarna import (
    KlarnaConnectionError,
    KlarnaError,
    KlarnaForbidden,
    KlarnaNotFound,
    KlarnaRateLimited,
    KlarnaServerError,
    KlarnaTimeout,
)

from . import payloads as p
from .helpers import BASE_URL, IDEMPOTENCY_KEY as KEY, klarna_error_body

ORDER = f"{BASE_URL}/ordermanagement/v1/orders/{p.ORDER_ID}"
CAPTURE_ID_HEADERS = {"Capture-Id": p.CAPTURE_ID, "Location": f"{ORDER}/captures/{p.CAPTURE_ID}"}
UNAVAILABLE = klarna_error_body("TEMPORARILY_UNAVAILABLE", "Temporarily unavailable", correlation_id="c-1")


def keys_sent(mocked) -> list[str | None]:
    return [call.request.headers.get("Klarna-Idempotency-Key") for call in mocked.calls]


def test_get_is_retried_on_503_then_succeeds(mocked, client, sleeps, records):
    mocked.add("GET", ORDER, status=503, json=UNAVAILABLE)
    mocked.add("GET", ORDER, status=200, json={"order_id": p.ORDER_ID, "status": "AUTHORIZED"})

    assert client.get_order(p.ORDER_ID)["status"] == "AUTHORIZED"

    assert len(mocked.calls) == 2
    assert len(sleeps) == 1
    assert [(record.attempt, record.status) for record in records] == [(1, 503), (2, 200)]


def test_keyed_write_is_retried_after_timeout_and_reset_with_the_same_key(mocked, client, sleeps):
    path = ORDER + "/cancel"
    mocked.add("POST", path, body=requests.ReadTimeout("read timed out"))
    mocked.add("POST", path, body=requests.ConnectionError("Connection reset by peer"))
    mocked.add("POST", path, status=204)

    client.cancel_order(p.ORDER_ID, idempotency_key=KEY)

    assert keys_sent(mocked) == [KEY, KEY, KEY]
    assert len(sleeps) == 2


def test_capture_is_retried_on_500_with_the_same_key_and_body(mocked, client):
    path = ORDER + "/captures"
    mocked.add("POST", path, status=500, json=klarna_error_body(
        "INTERNAL_SERVER_ERROR", "Unexpected server error", correlation_id="c-500"))
    mocked.add("POST", path, status=201, headers=CAPTURE_ID_HEADERS)

    created = client.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY)

    assert created.id == p.CAPTURE_ID
    assert keys_sent(mocked) == [KEY, KEY]
    assert mocked.calls[0].request.body == mocked.calls[1].request.body


@pytest.mark.parametrize("fault", [
    {"status": 500, "json": klarna_error_body("INTERNAL_SERVER_ERROR", "Unexpected server error", correlation_id="c")},
    {"body": requests.ReadTimeout("read timed out")},
    {"body": requests.ConnectionError("Connection refused")},
    {"status": 429, "body": ""},
], ids=["500", "timeout", "refused", "429"])
@pytest.mark.parametrize("method, path, invoke", [
    ("POST", "/payments/v1/sessions", lambda c: c.create_session(p.session_create())),
    ("POST", f"/payments/v1/authorizations/{p.AUTHORIZATION_TOKEN}/order",
     lambda c: c.create_order(p.AUTHORIZATION_TOKEN, p.create_order_request())),
    ("POST", f"/payments/v1/sessions/{p.KP_SESSION_ID}", lambda c: c.update_session(p.KP_SESSION_ID, {})),
    ("DELETE", f"/payments/v1/authorizations/{p.AUTHORIZATION_TOKEN}",
     lambda c: c.cancel_authorization(p.AUTHORIZATION_TOKEN)),
    ("POST", "/hpp/v1/sessions", lambda c: c.create_hpp_session(p.hpp_session_create("https://x"))),
    ("DELETE", f"/hpp/v1/sessions/{p.HPP_SESSION_ID}", lambda c: c.disable_hpp_session(p.HPP_SESSION_ID)),
], ids=["create_session", "create_order", "update_session", "cancel_authorization", "create_hpp", "disable_hpp"])
def test_unkeyed_writes_are_never_retried(mocked, client, sleeps, method, path, invoke, fault):
    mocked.add(method, BASE_URL + path, **fault)

    with pytest.raises(KlarnaError):
        invoke(client)

    assert len(mocked.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("status, code, error_class", [
    (403, "NOT_ALLOWED", KlarnaForbidden),
    (404, "NO_SUCH_ORDER", KlarnaNotFound),
    (409, "CONFLICT", KlarnaError),
])
def test_client_errors_are_not_retried(mocked, client, sleeps, status, code, error_class):
    mocked.add("POST", ORDER + "/extend-authorization-time", status=status,
               json=klarna_error_body(code, "refused", correlation_id="c"))
    mocked.add("GET", ORDER, status=status, json=klarna_error_body(code, "refused", correlation_id="c"))

    with pytest.raises(error_class):
        client.extend_authorization_time(p.ORDER_ID, idempotency_key=KEY)
    with pytest.raises(error_class):
        client.get_order(p.ORDER_ID)

    assert len(mocked.calls) == 2
    assert sleeps == []


def test_exhausted_retries_raise_the_last_error(mocked, client, records):
    for attempt in (1, 2, 3):
        mocked.add("GET", ORDER, status=503, json=klarna_error_body(
            "TEMPORARILY_UNAVAILABLE", "Temporarily unavailable", correlation_id=f"attempt-{attempt}"))

    with pytest.raises(KlarnaServerError) as caught:
        client.get_order(p.ORDER_ID)

    assert caught.value.correlation_id == "attempt-3"
    assert [record.attempt for record in records] == [1, 2, 3]


def test_repeated_timeouts_raise_klarna_timeout(mocked, make_client, sleeps):
    path = ORDER + "/release-remaining-authorization"
    mocked.add("POST", path, body=requests.ReadTimeout("read timed out"))
    mocked.add("POST", path, body=requests.ConnectTimeout("connect timed out"))

    with pytest.raises(KlarnaTimeout):
        make_client(max_retries=1).release_remaining_authorization(p.ORDER_ID, idempotency_key=KEY)

    assert keys_sent(mocked) == [KEY, KEY]
    assert len(sleeps) == 1


def test_no_retries_when_max_retries_is_zero(mocked, make_client, sleeps):
    mocked.add("GET", ORDER, body=requests.ConnectionError("Connection refused"))

    with pytest.raises(KlarnaConnectionError):
        make_client(max_retries=0).get_order(p.ORDER_ID)

    assert sleeps == []


def test_backoff_grows_exponentially_with_jitter(mocked, make_client, sleeps):
    for _ in range(4):
        mocked.add("GET", ORDER, status=502, body="Bad Gateway")

    with pytest.raises(KlarnaServerError):
        make_client(max_retries=3, backoff=0.5).get_order(p.ORDER_ID)

    ceilings = [0.5, 1.0, 2.0]
    assert len(sleeps) == 3
    assert all(ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(sleeps, ceilings))


@pytest.mark.parametrize("headers, expected_wait", [
    ({"Retry-After": "2"}, 2.0),
    ({"x-ratelimit-reset": "1"}, 1.0),
    ({"Retry-After": "120"}, 5.0),
], ids=["retry-after", "x-ratelimit-reset", "capped"])
def test_rate_limit_waits_as_long_as_klarna_asks(mocked, client, sleeps, headers, expected_wait):
    mocked.add("GET", ORDER, status=429, body="", headers=headers)
    mocked.add("GET", ORDER, status=200, json={"order_id": p.ORDER_ID})

    client.get_order(p.ORDER_ID)

    assert sleeps == [expected_wait]


def test_rate_limit_without_hint_uses_backoff_and_keeps_the_key(mocked, client, sleeps):
    path = ORDER + "/refunds"
    mocked.add("POST", path, status=429, json=klarna_error_body(
        "TOO_MANY_REQUESTS", "Too many requests", correlation_id="c-429"))
    mocked.add("POST", path, status=429, body="")
    mocked.add("POST", path, status=201, headers={"Refund-Id": p.REFUND_ID})

    assert client.create_refund(p.ORDER_ID, p.refund(), idempotency_key=KEY).id == p.REFUND_ID

    assert keys_sent(mocked) == [KEY, KEY, KEY]
    assert len(sleeps) == 2 and all(0 < delay <= 1.0 for delay in sleeps)


def test_rate_limited_after_all_retries_raises(mocked, client):
    for _ in range(3):
        mocked.add("GET", ORDER, status=429, body="", headers={"x-ratelimit-reset": "1"})

    with pytest.raises(KlarnaRateLimited):
        client.get_order(p.ORDER_ID)
