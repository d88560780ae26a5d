"""Hosts, id quoting, 201 results and the credential check."""
from __future__ import annotations

import pytest

from shop.klarna import (
    Created,
    KlarnaAuthenticationError,
    KlarnaError,
    KlarnaForbidden,
    KlarnaNotFound,
    base_url_for,
)
from shop.klarna.client import CREDENTIAL_PROBE_ORDER_ID

from . import payloads as p
from .helpers import BASE_URL, IDEMPOTENCY_KEY as KEY, assert_wire, klarna_error_body

ORDER = f"{BASE_URL}/ordermanagement/v1/orders/{p.ORDER_ID}"


@pytest.mark.parametrize("environment, region, url", [
    ("production", "eu", "https://api.klarna.com"),
    ("production", "na", "https://api-na.klarna.com"),
    ("production", "oc", "https://api-oc.klarna.com"),
    ("playground", "eu", "https://api.playground.klarna.com"),
    ("playground", "na", "https://api-na.playground.klarna.com"),
    ("playground", "oc", "https://api-oc.playground.klarna.com"),
    ("Playground", "EU", "https://api.playground.klarna.com"),
])
def test_base_url_for(environment, region, url):
    assert base_url_for(environment, region) == url


@pytest.mark.parametrize("environment, region", [("test", "eu"), ("production", "us"), ("", "")])
def test_base_url_for_rejects_unknown_values(environment, region):
    with pytest.raises(ValueError, match="environment"):
        base_url_for(environment, region)


@pytest.mark.parametrize("base_url", ["api.klarna.com", "", "ftp://api.klarna.com"])
def test_client_needs_an_http_base_url(make_client, base_url):
    with pytest.raises(ValueError):
        make_client(base_url=base_url)


def test_trailing_slash_on_base_url_is_ignored(mocked, make_client):
    mocked.add("GET", ORDER, json={"order_id": p.ORDER_ID})

    make_client(base_url=BASE_URL + "/").get_order(p.ORDER_ID)

    assert mocked.calls[0].request.url == ORDER


@pytest.mark.parametrize("raw_id, quoted", [
    ("a/b", "a%2Fb"),
    ("x?y#z", "x%3Fy%23z"),
    ("with space%", "with%20space%25"),
    ("../../payments", "..%2F..%2Fpayments"),
    ("ä€", "%C3%A4%E2%82%AC"),
])
def test_ids_are_quoted_as_one_path_segment(mocked, client, raw_id, quoted):
    path = f"/ordermanagement/v1/orders/{quoted}/captures/{quoted}"
    mocked.add("GET", BASE_URL + path, json={"capture_id": raw_id})

    client.get_capture(raw_id, raw_id)

    assert_wire(mocked.calls[0], "GET", path)


@pytest.mark.parametrize("bad_id", ["", ".", "..", None, 42])
def test_ids_that_cannot_be_a_segment_are_refused_before_sending(mocked, client, bad_id):
    with pytest.raises(ValueError, match="invalid Klarna id"):
        client.get_order(bad_id)


@pytest.mark.parametrize("headers, expected_id", [
    ({"Capture-Id": "from-header", "Location": f"{ORDER}/captures/from-location"}, "from-header"),
    ({"Location": f"{ORDER}/captures/{p.CAPTURE_ID}"}, p.CAPTURE_ID),
    ({"Location": f"/ordermanagement/v1/orders/{p.ORDER_ID}/captures/{p.CAPTURE_ID}"}, p.CAPTURE_ID),
    ({"Location": f"{ORDER}/captures/{p.CAPTURE_ID}/"}, p.CAPTURE_ID),
    ({"Location": f"captures/{p.CAPTURE_ID}?x=1"}, p.CAPTURE_ID),
], ids=["Capture-Id preferred", "absolute Location", "relative Location", "trailing slash", "bare relative"])
def test_capture_id_from_headers(mocked, client, headers, expected_id):
    mocked.add("POST", ORDER + "/captures", status=201, headers=headers)

    created = client.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY)

    assert created == Created(expected_id, headers.get("Location"), None)


def test_refund_id_from_relative_location(mocked, client):
    location = f"/ordermanagement/v1/orders/{p.ORDER_ID}/refunds/{p.REFUND_ID}"
    mocked.add("POST", ORDER + "/refunds", status=201, headers={"Location": location})

    assert client.create_refund(p.ORDER_ID, p.refund(), idempotency_key=KEY).id == p.REFUND_ID


def test_created_without_any_id_is_an_error(mocked, client):
    mocked.add("POST", ORDER + "/captures", status=201, headers={"Klarna-Correlation-Id": "corr-201"})

    with pytest.raises(KlarnaError, match="Capture-Id") as caught:
        client.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY)

    assert caught.value.correlation_id == "corr-201"


PROBE = f"{BASE_URL}/ordermanagement/v1/orders/{CREDENTIAL_PROBE_ORDER_ID}"


def test_check_credentials_accepts_klarnas_not_found(mocked, client):
    mocked.add("GET", PROBE, status=404, json=klarna_error_body(
        "NO_SUCH_ORDER", f"Order {CREDENTIAL_PROBE_ORDER_ID} cannot be found", correlation_id="c"))

    assert client.check_credentials() is None

    assert_wire(mocked.calls[0], "GET", f"/ordermanagement/v1/orders/{CREDENTIAL_PROBE_ORDER_ID}")


@pytest.mark.parametrize("status, error_class", [(401, KlarnaAuthenticationError), (403, KlarnaForbidden)])
def test_check_credentials_raises_on_refusal(mocked, client, status, error_class):
    mocked.add("GET", PROBE, status=status, body="")

    with pytest.raises(error_class):
        client.check_credentials()


def test_check_credentials_does_not_trust_a_404_that_is_not_klarnas(mocked, client):
    mocked.add("GET", PROBE, status=404, body="<html>Not Found</html>")

    with pytest.raises(KlarnaNotFound):
        client.check_credentials()
