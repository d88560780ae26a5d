"""Typed errors built from Klarna's answers, carrying code, messages, correlation id and body."""
from __future__ import annotations

import pytest
import requests

from shop import klarna
from shop.klarna import (
    KlarnaAuthenticationError,
    KlarnaBadRequest,
    KlarnaConflict,
    KlarnaConnectionError,
    KlarnaError,
    KlarnaForbidden,
    KlarnaNotFound,
    KlarnaRateLimited,
    KlarnaServerError,
    KlarnaTimeout,
    KlarnaUnprocessable,
)

from . import payloads as p
from .helpers import BASE_URL, IDEMPOTENCY_KEY as KEY, klarna_error_body

CORRELATION = "d2593eaf-6548-42c2-b5aa-43395ff38306"
HEADER_CORRELATION = "7a4c9f7e-1111-4c2b-9d51-6f0c1a2b3c4d"
ORDER = f"{BASE_URL}/ordermanagement/v1/orders/{p.ORDER_ID}"
SESSIONS = f"{BASE_URL}/payments/v1/sessions"


def answer(code: str, message: str) -> dict:
    return klarna_error_body(code, message, correlation_id=CORRELATION)


ERROR_CASES = {
    "400 BAD_VALUE": (400, answer("BAD_VALUE", "Bad value: order_amount"), KlarnaBadRequest),
    "401 empty": (401, None, KlarnaAuthenticationError),
    "403 NOT_ALLOWED": (403, answer("NOT_ALLOWED", "Resulting authorization amount 7000 cannot be less than "
                                    "the captured amount 8000 for order. Order authorization cannot be updated"),
                        KlarnaForbidden),
    "403 CAPTURE_NOT_ALLOWED": (403, answer("CAPTURE_NOT_ALLOWED", "Capture not allowed"), KlarnaForbidden),
    "404 NO_SUCH_ORDER": (404, answer("NO_SUCH_ORDER", f"Order {p.ORDER_ID} cannot be found"), KlarnaNotFound),
    "409 BAD_VALUE": (409, answer("BAD_VALUE", "Not matching fields: [billing_address]"), KlarnaConflict),
    "413 REQUEST_TOO_LARGE": (413, answer("REQUEST_TOO_LARGE", "Request is too large"), KlarnaError),
    "422 UNPROCESSABLE_ENTITY": (422, answer("UNPROCESSABLE_ENTITY", "The size of the "
                                             "shipping_info/shipping_company value must be between 0 and 100"),
                                 KlarnaUnprocessable),
    "429 TOO_MANY_REQUESTS": (429, answer("TOO_MANY_REQUESTS", "Too many requests"), KlarnaRateLimited),
    "429 empty": (429, None, KlarnaRateLimited),
    "500 INTERNAL_SERVER_ERROR": (500, answer("INTERNAL_SERVER_ERROR", "Unexpected server error"), KlarnaServerError),
    "503 TEMPORARILY_UNAVAILABLE": (503, answer("TEMPORARILY_UNAVAILABLE", "Temporarily unavailable"),
                                    KlarnaServerError),
}


@pytest.mark.parametrize("status, body, error_class", ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_error_answers_become_typed_errors(mocked, client, status, body, error_class):
    mocked.add("POST", SESSIONS, status=status, json=body,
               headers={"Klarna-Correlation-Id": body["correlation_id"] if body else HEADER_CORRELATION})

    with pytest.raises(KlarnaError) as caught:
        client.create_session(p.session_create())

    error = caught.value
    assert type(error) is error_class
    assert error.status == status
    assert error.error_code == (body["error_code"] if body else None)
    assert error.error_messages == (tuple(body["error_messages"]) if body else ())
    assert error.correlation_id == (CORRELATION if body else HEADER_CORRELATION)
    assert error.body == body


def test_error_text_shows_code_messages_and_correlation_id(mocked, client):
    mocked.add("POST", ORDER + "/captures", status=403, json=klarna_error_body(
        "CAPTURE_NOT_ALLOWED", "Capture not allowed", "Order is cancelled", correlation_id=CORRELATION))

    with pytest.raises(KlarnaForbidden) as caught:
        client.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY)

    text = str(caught.value)
    assert "403" in text and f"/ordermanagement/v1/orders/{p.ORDER_ID}/captures" in text
    assert "CAPTURE_NOT_ALLOWED" in text
    assert "Capture not allowed; Order is cancelled" in text
    assert CORRELATION in text
    assert "CAPTURE_NOT_ALLOWED" in repr(caught.value)


def test_non_json_gateway_page_is_kept_as_text(mocked, make_client):
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    mocked.add("GET", ORDER, status=502, body=page, content_type="text/html")

    with pytest.raises(KlarnaServerError) as caught:
        make_client(max_retries=0).get_order(p.ORDER_ID)

    error = caught.value
    assert (error.status, error.error_code, error.error_messages, error.correlation_id) == (502, None, (), None)
    assert error.body == page


def test_singular_error_message_is_accepted(mocked, client):
    mocked.add("POST", SESSIONS, status=400, json={"error_code": "BAD_VALUE", "error_message": "Bad value: locale"})

    with pytest.raises(KlarnaBadRequest) as caught:
        client.create_session(p.session_create())

    assert caught.value.error_messages == ("Bad value: locale",)


def test_correlation_id_falls_back_to_the_header(mocked, client):
    mocked.add("POST", SESSIONS, status=400, json={"error_code": "BAD_VALUE", "error_messages": []},
               headers={"klarna-correlation-id": HEADER_CORRELATION})

    with pytest.raises(KlarnaBadRequest) as caught:
        client.create_session(p.session_create())

    assert caught.value.correlation_id == HEADER_CORRELATION


def test_rate_limited_error_carries_the_wait_klarna_asked_for(mocked, client):
    mocked.add("POST", SESSIONS, status=429, body="",
               headers={"x-ratelimit-limit": "5, 5;w=1", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})

    with pytest.raises(KlarnaRateLimited) as caught:
        client.create_session(p.session_create())

    assert caught.value.retry_after == 1.0
    assert caught.value.body is None


def test_redirects_are_not_followed(mocked, client):
    mocked.add("DELETE", f"{BASE_URL}/hpp/v1/sessions/{p.HPP_SESSION_ID}", status=307,
               headers={"Location": "https://elsewhere.example/hpp"})

    with pytest.raises(KlarnaError) as caught:
        client.disable_hpp_session(p.HPP_SESSION_ID)

    assert caught.value.status == 307
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("failure, error_class", [
    (requests.ReadTimeout("read timed out"), KlarnaTimeout),
    (requests.ConnectTimeout("connect timed out"), KlarnaTimeout),
    (requests.ConnectionError("Connection refused"), KlarnaConnectionError),
    (requests.exceptions.ChunkedEncodingError("Connection reset by peer"), KlarnaConnectionError),
])
def test_no_answer_becomes_a_connection_error_without_status(mocked, client, failure, error_class):
    mocked.add("POST", SESSIONS, body=failure)

    with pytest.raises(KlarnaConnectionError) as caught:
        client.create_session(p.session_create())

    assert type(caught.value) is error_class
    assert caught.value.status is None
    assert "/payments/v1/sessions" in str(caught.value)


@pytest.mark.parametrize("answer", [b"", b"not json", b"[]"], ids=["empty", "text", "wrong type"])
def test_success_without_the_expected_json_is_an_error(mocked, client, answer):
    mocked.add("GET", ORDER, status=200, body=answer)

    with pytest.raises(KlarnaError, match="without the expected JSON"):
        client.get_order(p.ORDER_ID)


ERROR_CLASS_NAMES = [
    "KlarnaError", "KlarnaBadRequest", "KlarnaAuthenticationError", "KlarnaForbidden", "KlarnaNotFound",
    "KlarnaConflict", "KlarnaUnprocessable", "KlarnaRateLimited", "KlarnaServerError",
    "KlarnaConnectionError", "KlarnaTimeout",
]


@pytest.mark.parametrize("name", ERROR_CLASS_NAMES)
def test_error_classes_are_exported_klarna_errors(name):
    assert name in klarna.__all__
    assert issubclass(getattr(klarna, name), KlarnaError)


def test_a_timeout_is_a_connection_error():
    assert issubclass(KlarnaTimeout, KlarnaConnectionError)
