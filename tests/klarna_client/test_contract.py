"""The bodies the client puts on the wire fit Klarna's own OpenAPI request schemas."""
from __future__ import annotations

import pytest

from tests import klarna_contract

from . import payloads as p
from .helpers import BASE_URL, IDEMPOTENCY_KEY as KEY, sent_json

ORDER = f"{BASE_URL}/ordermanagement/v1/orders/{p.ORDER_ID}"
CREATED = {"Capture-Id": p.CAPTURE_ID, "Refund-Id": p.REFUND_ID}

SENT_BODIES = {
    "create_session": (
        200, "POST", f"{BASE_URL}/payments/v1/sessions", {"session_id": p.KP_SESSION_ID},
        lambda c: c.create_session(p.session_create()), "payments", "session_create"),
    "create_order": (
        200, "POST", f"{BASE_URL}/payments/v1/authorizations/{p.AUTHORIZATION_TOKEN}/order", {"order_id": p.ORDER_ID},
        lambda c: c.create_order(p.AUTHORIZATION_TOKEN, p.create_order_request()),
        "payments", "create_order_request"),
    "create_hpp_session": (
        201, "POST", f"{BASE_URL}/hpp/v1/sessions", {"session_id": p.HPP_SESSION_ID},
        lambda c: c.create_hpp_session(p.hpp_session_create(c.payment_session_url(p.KP_SESSION_ID))),
        "hpp", "SessionCreationRequestV1"),
    "create_capture": (
        201, "POST", ORDER + "/captures", None,
        lambda c: c.create_capture(p.ORDER_ID, p.capture(), idempotency_key=KEY),
        "ordermanagement", "CaptureObject"),
    "create_refund": (
        201, "POST", ORDER + "/refunds", None,
        lambda c: c.create_refund(p.ORDER_ID, p.refund(), idempotency_key=KEY),
        "ordermanagement", "RefundObject"),
    "update_authorization": (
        204, "PATCH", ORDER + "/authorization", None,
        lambda c: c.update_authorization(
            p.ORDER_ID, order_amount=p.REDUCED_ORDER_AMOUNT, order_lines=p.reduced_order_lines(),
            description="Yksi pari palautettu", idempotency_key=KEY),
        "ordermanagement", "Update_authorization"),
    "update_merchant_references": (
        204, "PATCH", ORDER + "/merchant-references", None,
        lambda c: c.update_merchant_references(p.ORDER_ID, merchant_reference1="NS-1001", idempotency_key=KEY),
        "ordermanagement", "Update_merchant_references"),
}


@pytest.mark.parametrize(
    "status, method, url, answer, invoke, api, schema", SENT_BODIES.values(), ids=SENT_BODIES.keys())
def test_sent_body_fits_klarnas_schema(mocked, client, status, method, url, answer, invoke, api, schema):
    mocked.add(method, url, status=status, json=answer, headers=CREATED)

    invoke(client)

    klarna_contract.validate(api, schema, sent_json(mocked.calls[0]))


def test_the_check_rejects_a_misspelt_optional_field():
    body = {**p.session_create(), "merchant_reference_1": "NS-1001"}
    with pytest.raises(AssertionError, match="merchant_reference_1"):
        klarna_contract.validate("payments", "session_create", body)


def test_the_check_rejects_a_missing_required_field_deep_inside():
    body = p.capture()
    del body["order_lines"][0]["unit_price"]
    with pytest.raises(AssertionError, match="order_lines/0"):
        klarna_contract.validate("ordermanagement", "CaptureObject", body)


def test_the_check_rejects_a_wrong_enum_value():
    body = p.hpp_session_create("https://x")
    body["options"]["place_order_mode"] = "place_order"
    with pytest.raises(AssertionError, match="place_order_mode"):
        klarna_contract.validate("hpp", "SessionCreationRequestV1", body)


def test_unknown_keys_can_be_allowed_explicitly():
    body = {**p.refund(), "klarna_future_field": 1}
    klarna_contract.validate_response("ordermanagement", "RefundObject", body, allow_unknown_keys=True)


def test_schema_names_are_case_sensitive():
    with pytest.raises(KeyError, match="captureobject"):
        klarna_contract.request_schema("ordermanagement", "captureobject")


def test_missing_spec_folder_skips_the_check(monkeypatch, tmp_path):
    monkeypatch.setenv("SHOP_KLARNA_OPENAPI_DIR", str(tmp_path / "absent"))
    with pytest.raises(pytest.skip.Exception, match="contract checks skipped"):
        klarna_contract.validate("payments", "session_create", p.session_create())


def test_fixture_amounts_follow_klarnas_tax_rules():
    """API.md §6.1 rules 1, 3, 5 and 6 for the Finnish 25.5 % order."""
    for lines, order_amount in ((p.ORDER_LINES, p.ORDER_AMOUNT), (p.reduced_order_lines(), p.REDUCED_ORDER_AMOUNT)):
        for line in lines:
            assert line["total_amount"] == line["quantity"] * line["unit_price"] - line["total_discount_amount"]
            exact_tax = line["total_amount"] * line["tax_rate"] / (10000 + line["tax_rate"])
            assert abs(line["total_tax_amount"] - exact_tax) <= 0.5
        assert sum(line["total_amount"] for line in lines) == order_amount
    assert sum(line["total_tax_amount"] for line in p.ORDER_LINES) == p.ORDER_TAX_AMOUNT
