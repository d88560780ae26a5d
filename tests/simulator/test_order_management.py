"""Order Management beyond the state table: idempotency, expiry and extension dates,
amount increases, fraud review, sub-resources and their error codes."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shop.simulator import create_app
from shop.simulator.clock import parse_iso

from .conftest import BASE, Merchant
from .payloads import FI_ORDER, GB_ORDER, SE_ORDER, SHOP, order

KEY = {"Klarna-Idempotency-Key": "6f1f2c0e-6c2e-4c7a-9f55-3f1d1e2c9a01"}


def midnight(moment):
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def test_same_key_twice_gives_one_capture_and_the_same_answer(merchant):
    order_id = merchant.order_from(SE_ORDER)
    first = merchant.om("POST", order_id, "/captures", json={"captured_amount": 1000}, headers=KEY)
    again = merchant.om("POST", order_id, "/captures", json={"captured_amount": 5000}, headers=KEY)
    assert first.status_code == again.status_code == 201
    assert dict(first.headers) == dict(again.headers) and first.content == again.content
    assert [c["captured_amount"] for c in merchant.order(order_id)["captures"]] == [1000]
    other = merchant.om("POST", order_id, "/captures", json={"captured_amount": 1000},
                        headers={"Klarna-Idempotency-Key": "another"})
    assert other.headers["Capture-Id"] != first.headers["Capture-Id"]
    assert merchant.order(order_id)["captured_amount"] == 2000


def test_refusals_are_replayed_too_and_keys_live_24_hours(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    refused = merchant.om("POST", order_id, "/refunds", json={"refunded_amount": 100}, headers=KEY)
    assert refused.status_code == 403
    merchant.om("POST", order_id, "/captures", json={"captured_amount": 1000})
    replay = merchant.om("POST", order_id, "/refunds", json={"refunded_amount": 100}, headers=KEY)
    assert (replay.status_code, replay.json()) == (403, refused.json())
    sim.clock.advance(hours=24, seconds=1)
    fresh = merchant.om("POST", order_id, "/refunds", json={"refunded_amount": 100}, headers=KEY)
    assert fresh.status_code == 201


def test_keys_belong_to_one_account(merchant, other_merchant):
    mine, theirs = merchant.order_from(SE_ORDER), other_merchant.order_from(SE_ORDER)
    assert merchant.om("POST", mine, "/captures", json={"captured_amount": 1}, headers=KEY).status_code == 201
    assert other_merchant.om("POST", theirs, "/captures", json={"captured_amount": 2}, headers=KEY).status_code == 201
    assert other_merchant.order(theirs)["captured_amount"] == 2


def test_expiry_is_midnight_after_the_authorization_period(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    placed = merchant.order(order_id)
    created = parse_iso(placed["created_at"])
    assert parse_iso(placed["expires_at"]) == midnight(created) + timedelta(days=28)
    assert placed["expires_at"].endswith("T00:00:00.000Z")
    sim.clock.advance(days=10)
    assert merchant.om("POST", order_id, "/extend-authorization-time").status_code == 204
    assert merchant.om("POST", order_id, "/extend-authorization-time").status_code == 204
    extended = parse_iso(merchant.order(order_id)["expires_at"])
    assert extended == midnight(sim.clock.now()) + timedelta(days=28)
    sim.clock.advance(days=27)
    assert merchant.order(order_id)["status"] == "AUTHORIZED"
    sim.clock.advance(days=2)
    expired = merchant.order(order_id)
    assert (expired["status"], expired["remaining_authorized_amount"]) == ("EXPIRED", 0)


def test_extension_stops_180_days_after_the_purchase(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    for _ in range(6):  # day 150
        sim.clock.advance(days=25)
        assert merchant.om("POST", order_id, "/extend-authorization-time").status_code == 204
    sim.clock.advance(days=2)  # day 152: + 28 = day 180, still allowed
    assert merchant.om("POST", order_id, "/extend-authorization-time").status_code == 204
    sim.clock.advance(days=1)
    refused = merchant.om("POST", order_id, "/extend-authorization-time")
    assert refused.status_code == 403 and refused.json()["error_code"] == "NOT_ALLOWED"


def test_configured_authorization_period(sim_config):
    merchant = Merchant(create_app({**sim_config, "SIMULATOR_AUTH_PERIOD_DAYS": 90}))
    placed = merchant.order(merchant.order_from(SE_ORDER))
    assert parse_iso(placed["expires_at"]) == midnight(parse_iso(placed["created_at"])) + timedelta(days=90)


def increase(merchant, order_id, by=1000):
    current = merchant.order(order_id)["order_amount"]
    return merchant.om("PATCH", order_id, "/authorization", json={"order_amount": current + by})


def test_increase_is_accepted_until_rejection_is_switched_on(merchant, sim):
    order_id = merchant.order_from(FI_ORDER)
    assert increase(merchant, order_id).status_code == 204
    sim.accounts.set_reject_increases("PK_test_4711", True)
    refused = increase(merchant, order_id)
    assert refused.status_code == 403 and refused.json()["error_code"] == "NOT_ALLOWED"
    assert increase(merchant, order_id, by=-2000).status_code == 204  # decreases are always fine
    sim.accounts.set_reject_increases("PK_test_4711", False)
    sim.orders.set_reject_increases(order_id, True)
    assert increase(merchant, order_id).status_code == 403
    other = merchant.order_from(FI_ORDER)
    assert increase(merchant, other).status_code == 204
    placed = merchant.order(order_id)
    assert (placed["order_amount"], placed["original_order_amount"]) == (16177 - 1000, 16177)
    assert placed["order_lines"] == []  # PATCH without lines drops them


def test_increase_depends_on_the_payment_method(sim_app, merchant, monkeypatch):
    monkeypatch.setitem(sim_app.config, "SIMULATOR_PAYMENT_CATEGORIES", {"*": ["pay_later", "pay_over_time", "direct_bank_transfer"]})
    bank = merchant.order_from(FI_ORDER, category="DIRECT_BANK_TRANSFER")
    assert increase(merchant, bank).status_code == 403
    parts_fi = merchant.order_from(FI_ORDER, category="PAY_OVER_TIME")
    assert increase(merchant, parts_fi).status_code == 204


def test_lines_given_with_a_patch_replace_the_old_ones(merchant):
    order_id = merchant.order_from(SE_ORDER)
    lines = SE_ORDER["order_lines"][:1]
    response = merchant.om("PATCH", order_id, "/authorization",
                           json={"order_amount": 59700, "order_lines": lines, "description": "Cap removed"})
    assert response.status_code == 204
    assert merchant.order(order_id)["order_lines"] == lines


def test_refunds_are_spread_over_the_captures_oldest_first(merchant):
    order_id = merchant.order_from(SE_ORDER)
    merchant.om("POST", order_id, "/captures", json={"captured_amount": 10000})
    merchant.om("POST", order_id, "/captures", json={"captured_amount": 20000})
    merchant.om("POST", order_id, "/refunds", json={"refunded_amount": 15000, "reference": "R-1"})
    captures = merchant.om("GET", order_id, "/captures").json()
    assert [c["refunded_amount"] for c in captures] == [10000, 5000]
    assert merchant.order(order_id)["refunded_amount"] == 15000


def test_sub_resources_and_their_not_found_codes(merchant, other_merchant):
    order_id = merchant.order_from(SE_ORDER)
    send_out = merchant.om("POST", order_id, "/captures/nope/trigger-send-out")
    assert send_out.status_code == 403 and send_out.json()["error_code"] == "NOT_ALLOWED"
    capture_id = merchant.om("POST", order_id, "/captures", json={"captured_amount": 100}).headers["Capture-Id"]
    cases = [
        (merchant.get("/ordermanagement/v1/orders/no-such-order"), 404, "NO_SUCH_ORDER"),
        (other_merchant.get(f"/ordermanagement/v1/orders/{order_id}"), 404, "NO_SUCH_ORDER"),
        (merchant.om("GET", order_id, "/captures/nope"), 404, "NO_SUCH_CAPTURE"),
        (merchant.om("POST", order_id, "/captures/nope/trigger-send-out"), 404, "NO_SUCH_CAPTURE"),
        (merchant.om("GET", order_id, "/refunds/nope"), 404, "NOT_FOUND"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error_code"]) == (status, code)
    assert merchant.om("POST", order_id, f"/captures/{capture_id}/trigger-send-out").status_code == 204
    assert merchant.om("GET", order_id, f"/captures/{capture_id}").json()["captured_amount"] == 100
    options = merchant.om("GET", order_id, f"/captures/{capture_id}/extend-due-date-options").json()
    assert options["currency"] == "SEK" and options["options"]
    days = options["options"][0]["number_of_days"]
    assert merchant.om("PATCH", order_id, f"/captures/{capture_id}/extend-due-date",
                       json={"number_of_days": days}).status_code == 204


def test_shipping_info_is_appended(merchant):
    order_id = merchant.order_from(SE_ORDER)
    capture_id = merchant.om("POST", order_id, "/captures", json={
        "captured_amount": 100, "shipping_info": [{"shipping_company": "PostNord", "tracking_number": "1"}],
    }).headers["Capture-Id"]
    info = {"shipping_info": [{"shipping_company": "DHL Freight", "shipping_method": "Home"}]}
    assert merchant.om("POST", order_id, f"/captures/{capture_id}/shipping-info", json=info).status_code == 204
    assert merchant.om("POST", order_id, "/shipping-info", json=info).status_code == 204
    placed = merchant.order(order_id)
    assert [i["shipping_company"] for i in placed["captures"][0]["shipping_info"]] == ["PostNord", "DHL Freight"]
    assert placed["shipping_info"] == info["shipping_info"]


def test_oversized_fields_are_422(careless_merchant):
    order_id = careless_merchant.order_from(SE_ORDER)
    response = careless_merchant.om("POST", order_id, "/shipping-info",
                                    json={"shipping_info": [{"shipping_company": "x" * 101}]})
    assert response.status_code == 422 and response.json()["error_code"] == "UNPROCESSABLE_ENTITY"
    missing = careless_merchant.om("POST", order_id, "/captures", json={"description": "no amount"})
    assert missing.status_code == 400 and missing.json()["error_code"] == "BAD_VALUE"


def test_merchant_references_and_customer_details(merchant):
    order_id = merchant.order_from(FI_ORDER)
    assert merchant.om("PATCH", order_id, "/merchant-references",
                       json={"merchant_reference2": "ERP-9"}).status_code == 204
    shipping = {"street_address": "Aleksanterinkatu 1", "city": "Helsinki", "postal_code": "00100"}
    assert merchant.om("PATCH", order_id, "/customer-details", json={"shipping_address": shipping}).status_code == 204
    billing = merchant.om("PATCH", order_id, "/customer-details", json={"billing_address": {"city": "Turku"}})
    assert billing.status_code == 403 and billing.json()["error_code"] == "NOT_ALLOWED"
    placed = merchant.order(order_id)
    assert (placed["merchant_reference1"], placed["merchant_reference2"]) == ("1001", "ERP-9")
    assert placed["shipping_address"]["street_address"] == "Aleksanterinkatu 1"
    assert merchant.om("POST", order_id, "/acknowledge").status_code == 204


@pytest.mark.parametrize("email, event, fraud", [
    ("customer+pend-accept-05@email.uk", "FRAUD_RISK_ACCEPTED", "ACCEPTED"),
    ("customer+pend-reject-10@email.uk", "FRAUD_RISK_REJECTED", "REJECTED"),
])
def test_pending_orders_are_decided_later_and_notified(merchant, sim, callbacks, email, event, fraud):
    body = order(GB_ORDER, billing_address={**GB_ORDER["billing_address"], "email": email})
    kp_id = merchant.kp_session(body)
    token = sim.complete_hpp_session(merchant.hpp_session(kp_id)["session_id"], email=email)["authorization_token"]
    created = merchant.post(f"/payments/v1/authorizations/{token}/order", json=body).json()
    assert created["fraud_status"] == "PENDING"
    order_id = created["order_id"]
    refused = merchant.om("POST", order_id, "/captures", json={"captured_amount": 100})
    assert refused.status_code == 403 and refused.json()["error_code"] == "CAPTURE_NOT_ALLOWED"
    assert callbacks.to("/klarna/notification") == []
    sim.clock.advance(minutes=11)
    assert merchant.order(order_id)["fraud_status"] == fraud
    [(url, notice)] = [c for c in callbacks if "/klarna/notification" in c[0]]
    assert url == f"{SHOP}/klarna/notification?order={order_id}"
    assert (notice["order_id"], notice["event_type"]) == (order_id, event) and notice["decided_at"]
    captured = merchant.om("POST", order_id, "/captures", json={"captured_amount": 100})
    assert captured.status_code == (201 if fraud == "ACCEPTED" else 403)


def test_location_headers_are_absolute_urls_of_the_new_resources(merchant):
    order_id = merchant.order_from(SE_ORDER)
    capture = merchant.om("POST", order_id, "/captures", json={"captured_amount": 100})
    refund = merchant.om("POST", order_id, "/refunds", json={"refunded_amount": 50})
    for response, kind, header in ((capture, "captures", "Capture-Id"), (refund, "refunds", "Refund-Id")):
        assert response.headers["Location"] == f"{BASE}/ordermanagement/v1/orders/{order_id}/{kind}/{response.headers[header]}"
        assert merchant.get(response.headers["Location"]).status_code == 200


def test_python_api_reads_any_order(merchant, sim):
    order_id = merchant.order_from(SE_ORDER)
    assert sim.get_order(order_id) == merchant.order(order_id)


def _return_fee_refund(order_lines, amount, fee):
    fee_line = {"type": "return_fee", "reference": "return-cost", "name": "Return cost", "quantity": 1,
                "unit_price": -fee, "tax_rate": 2500, "total_amount": -fee, "total_tax_amount": -fee // 5}
    line = dict(order_lines[0])
    return {"refunded_amount": amount, "order_lines": [line, fee_line]}


def test_a_return_fee_needs_one_full_capture_a_market_and_lines_adding_up(merchant):
    order_id = merchant.order_from(SE_ORDER)
    placed = merchant.order(order_id)
    first = placed["order_lines"][0]
    merchant.om("POST", order_id, "/captures", json={"captured_amount": placed["order_amount"]})
    wrong_sum = merchant.om("POST", order_id, "/refunds", json=_return_fee_refund([first], first["total_amount"], 500))
    assert wrong_sum.status_code == 403 and wrong_sum.json()["error_code"] == "REFUND_NOT_ALLOWED"
    kept = merchant.om("POST", order_id, "/refunds",
                       json=_return_fee_refund([first], first["total_amount"] - 500, 500))
    assert kept.status_code == 201
    assert merchant.order(order_id)["refunded_amount"] == first["total_amount"] - 500

    in_parts = merchant.order_from(SE_ORDER)
    merchant.om("POST", in_parts, "/captures", json={"captured_amount": 100})
    merchant.om("POST", in_parts, "/captures", json={"captured_amount": 100})
    refused = merchant.om("POST", in_parts, "/refunds",
                          json=_return_fee_refund([first], 100, first["total_amount"] - 100))
    assert refused.status_code == 403 and "single full capture" in refused.json()["error_messages"][0]

    gb_order = order(GB_ORDER, billing_address={**GB_ORDER["billing_address"], "email": "customer@email.uk"})
    british = merchant.order_from(gb_order)  # accepted at once: not under fraud review
    gb = merchant.order(british)
    merchant.om("POST", british, "/captures", json={"captured_amount": gb["order_amount"]})
    line = gb["order_lines"][0]
    outside = merchant.om("POST", british, "/refunds",
                          json=_return_fee_refund([line], line["total_amount"] - 100, 100))
    assert outside.status_code == 403 and "market" in outside.json()["error_messages"][0]
