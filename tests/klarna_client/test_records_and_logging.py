"""Every attempt is reported (on_call + one log line); no secret or personal data leaks."""
from __future__ import annotations

import dataclasses
import json
import logging
import traceback

import pytest
import requests

from shop.klarna import CallRecord, KlarnaError

from . import payloads as p
from .helpers import BASE_URL, BASIC_TOKEN, IDEMPOTENCY_KEY as KEY, SECRET, klarna_error_body

ORDER_PATH = f"/ordermanagement/v1/orders/{p.ORDER_ID}"
SESSIONS_PATH = "/payments/v1/sessions"
OM_ORDER_WITH_ADDRESSES = {
    "order_id": p.ORDER_ID,
    "status": "AUTHORIZED",
    "order_amount": p.ORDER_AMOUNT,
    "billing_address": dict(p.BILLING_ADDRESS),
    "shipping_address": dict(p.BILLING_ADDRESS),
    "customer": {"date_of_birth": "1999-01-01", "national_identification_number": "190122-829F"},
    "order_lines": p.ORDER_LINES,
}


def test_success_is_recorded_with_redacted_bodies(mocked, client, records):
    mocked.add("POST", BASE_URL + SESSIONS_PATH, json={"session_id": p.KP_SESSION_ID},
               headers={"Klarna-Correlation-Id": "corr-1"})

    client.create_session(p.session_create())

    (record,) = records
    assert isinstance(record, CallRecord)
    assert (record.method, record.path, record.status, record.attempt) == ("POST", SESSIONS_PATH, 200, 1)
    assert (record.correlation_id, record.idempotency_key, record.error) == ("corr-1", None, None)
    assert isinstance(record.duration_ms, int) and record.duration_ms >= 0
    assert record.request_body["billing_address"]["email"] == "***"
    assert record.request_body["billing_address"]["city"] == "Helsinki"
    assert record.request_body["order_lines"] == p.ORDER_LINES
    assert record.response_body == {"session_id": p.KP_SESSION_ID}


def test_personal_data_in_answers_is_masked(mocked, client, records):
    mocked.add("GET", BASE_URL + ORDER_PATH, json=OM_ORDER_WITH_ADDRESSES)

    assert client.get_order(p.ORDER_ID) == OM_ORDER_WITH_ADDRESSES  # the caller gets the real data

    body = records[0].response_body
    assert body["shipping_address"]["given_name"] == "***"
    assert body["customer"] == {"date_of_birth": "***", "national_identification_number": "***"}
    assert body["order_amount"] == p.ORDER_AMOUNT
    assert not any(value in json.dumps(body) for value in p.PERSONAL_VALUES)


def test_failures_are_recorded_per_attempt(mocked, client, records):
    path = ORDER_PATH + "/captures"
    mocked.add("POST", BASE_URL + path, body=requests.ConnectionError("Connection refused"))
    mocked.add("POST", BASE_URL + path, status=403, json=klarna_error_body(
        "CAPTURE_NOT_ALLOWED", "Capture not allowed", correlation_id="corr-403"))

    with pytest.raises(KlarnaError):
        client.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY)

    refused, forbidden = records
    assert (refused.status, refused.attempt, refused.idempotency_key) == (None, 1, KEY)
    assert "Connection refused" in refused.error and refused.response_body is None
    assert (forbidden.status, forbidden.attempt, forbidden.correlation_id) == (403, 2, "corr-403")
    assert "CAPTURE_NOT_ALLOWED" in forbidden.error
    assert forbidden.response_body["error_code"] == "CAPTURE_NOT_ALLOWED"


def test_records_are_json_serialisable(mocked, client, records):
    mocked.add("GET", BASE_URL + ORDER_PATH, json=OM_ORDER_WITH_ADDRESSES)
    client.get_order(p.ORDER_ID)

    json.dumps(dataclasses.asdict(records[0]))


def test_a_failing_hook_never_breaks_the_call(mocked, make_client, caplog):
    def broken_hook(record):
        raise RuntimeError("audit table is locked")

    mocked.add("GET", BASE_URL + ORDER_PATH, json={"order_id": p.ORDER_ID})

    with caplog.at_level(logging.ERROR, logger="shop.klarna"):
        assert make_client(on_call=broken_hook).get_order(p.ORDER_ID) == {"order_id": p.ORDER_ID}

    assert "on_call hook failed" in caplog.text


def test_one_log_line_per_attempt(mocked, client, caplog):
    mocked.add("GET", BASE_URL + ORDER_PATH, json={"order_id": p.ORDER_ID},
               headers={"Klarna-Correlation-Id": "corr-log"})

    with caplog.at_level(logging.DEBUG, logger="shop.klarna"):
        client.get_order(p.ORDER_ID)

    (line,) = [record.getMessage() for record in caplog.records]
    assert "GET" in line and ORDER_PATH in line and "200" in line and "corr-log" in line and " ms" in line


def test_secret_and_personal_data_never_reach_logs_records_or_errors(mocked, client, records, caplog):
    """Successes, retries, Klarna errors and transport errors whose text echoes the credentials."""
    leaky = requests.ConnectionError(f"proxy rejected Authorization: Basic {BASIC_TOKEN} ({SECRET})")
    mocked.add("POST", BASE_URL + SESSIONS_PATH, json={"session_id": p.KP_SESSION_ID})
    mocked.add("GET", BASE_URL + ORDER_PATH, status=503, body="")
    mocked.add("GET", BASE_URL + ORDER_PATH, json=OM_ORDER_WITH_ADDRESSES)
    mocked.add("POST", BASE_URL + ORDER_PATH + "/cancel", body=leaky)
    mocked.add("POST", BASE_URL + ORDER_PATH + "/cancel", body=requests.ReadTimeout("read timed out"))
    mocked.add("POST", BASE_URL + ORDER_PATH + "/cancel", status=401, body="")
    mocked.add("POST", BASE_URL + SESSIONS_PATH, body=requests.ConnectionError(f"reset; {SECRET}"))
    errors = []

    with caplog.at_level(logging.DEBUG):
        client.create_session(p.session_create())
        client.get_order(p.ORDER_ID)
        for failing_call in (
            lambda: client.cancel_order(p.ORDER_ID, idempotency_key=KEY),
            lambda: client.create_session(p.session_create()),
        ):
            with pytest.raises(KlarnaError) as caught:
                failing_call()
            errors.append(caught.value)

    logged = "\n".join(_everything_logged(caplog.records))
    reported = "\n".join(repr(record) for record in records)
    raised = "\n".join(_everything_about(error) for error in errors)
    assert len(records) == 7
    for evidence in (logged, reported, raised, repr(client)):
        assert SECRET not in evidence
        assert BASIC_TOKEN not in evidence
        assert not any(value in evidence for value in p.PERSONAL_VALUES)


def _everything_about(error):
    traceback_text = "".join(traceback.format_exception(error))
    return f"{error} {error!r} {error.__dict__} {traceback_text}"


def _everything_logged(log_records):
    for record in log_records:
        yield record.getMessage()
        yield repr(record.args)
        yield record.exc_text or ""
        if record.exc_info:
            yield logging.Formatter().formatException(record.exc_info)
