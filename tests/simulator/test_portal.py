"""The merchant portal changes orders behind the shop's back: nobody is told, GET order shows it."""
from __future__ import annotations

import pytest

from .payloads import GB_ORDER, SE_ORDER


def portal(browser, order_id, action, amount=None):
    data = {"action": action} if amount is None else {"action": action, "amount": str(amount)}
    return browser.post(f"/portal/orders/{order_id}", data=data)


@pytest.mark.parametrize("steps, expected", [
    ([("amount", 70000)], {"status": "AUTHORIZED", "order_amount": 70000, "remaining_authorized_amount": 70000}),
    ([("capture", 10000)], {"status": "PART_CAPTURED", "captured_amount": 10000}),
    ([("capture", 74599), ("refund", 599)], {"status": "CAPTURED", "refunded_amount": 599}),
    ([("cancel", None)], {"status": "CANCELLED", "remaining_authorized_amount": 0}),
    ([("capture", 10000), ("release", None)], {"status": "CLOSED", "remaining_authorized_amount": 0}),
    ([("expire", None)], {"status": "EXPIRED"}),
])
def test_portal_changes_show_up_in_get_order_and_notify_nobody(merchant, browser, callbacks, steps, expected):
    order_id = merchant.order_from(SE_ORDER)
    sent_before = list(callbacks)
    for action, amount in steps:
        response = portal(browser, order_id, action, amount)
        assert response.status_code == 303, response.get_data(as_text=True)
    placed = merchant.order(order_id)
    assert {key: placed[key] for key in expected} == expected
    assert callbacks == sent_before


def test_portal_can_raise_the_amount_even_when_increases_are_declined(merchant, browser, sim):
    order_id = merchant.order_from(SE_ORDER)
    sim.accounts.set_reject_increases("PK_test_4711", True)
    assert portal(browser, order_id, "amount", 80000).status_code == 303
    assert merchant.order(order_id)["order_amount"] == 80000


def test_portal_extend_moves_the_expiry(merchant, browser, sim):
    order_id = merchant.order_from(SE_ORDER)
    before = merchant.order(order_id)["expires_at"]
    sim.clock.advance(days=5)
    portal(browser, order_id, "extend")
    assert merchant.order(order_id)["expires_at"] > before


def test_refused_portal_actions_show_the_reason(merchant, browser):
    order_id = merchant.order_from(SE_ORDER)
    response = portal(browser, order_id, "capture", 999999)
    assert response.status_code == 409
    assert "CAPTURE_NOT_ALLOWED" in response.get_data(as_text=True)
    assert portal(browser, order_id, "capture", "lots").status_code == 422
    assert portal(browser, order_id, "explode").status_code == 400
    assert merchant.order(order_id)["captured_amount"] == 0


def test_fraud_review_from_the_portal_notifies_the_shop(merchant, browser, sim, callbacks):
    kp_id = merchant.kp_session(GB_ORDER)
    token = sim.complete_hpp_session(merchant.hpp_session(kp_id)["session_id"])["authorization_token"]
    order_id = merchant.post(f"/payments/v1/authorizations/{token}/order", json=GB_ORDER).json()["order_id"]
    assert "Accept (fraud review)" in browser.get(f"/portal/orders/{order_id}").get_data(as_text=True)
    assert portal(browser, order_id, "fraud_accept").status_code == 303
    assert merchant.order(order_id)["fraud_status"] == "ACCEPTED"
    assert [body["event_type"] for body in callbacks.to("/klarna/notification")] == ["FRAUD_RISK_ACCEPTED"]
    assert portal(browser, order_id, "fraud_stop").status_code == 303
    assert merchant.order(order_id)["fraud_status"] == "REJECTED"
    assert [body["event_type"] for body in callbacks.to("/klarna/notification")] == [
        "FRAUD_RISK_ACCEPTED", "FRAUD_RISK_STOPPED"]
    assert portal(browser, order_id, "fraud_accept").status_code == 409


def test_portal_lists_orders_newest_first_and_sessions(merchant, browser):
    first = merchant.order_from(SE_ORDER)
    second = merchant.order_from(SE_ORDER)
    html = browser.get("/portal/").get_data(as_text=True)
    assert html.index(second) < html.index(first)
    assert "Hosted payment page sessions" in html and "PK_test_4711" in html
    page = browser.get(f"/portal/orders/{first}")
    assert page.status_code == 200 and "AUTHORIZED" in page.get_data(as_text=True)
    assert browser.get("/portal/orders/unknown").status_code == 404
    assert browser.get("/").status_code == 302


def test_per_order_and_per_account_increase_switches(merchant, browser, sim):
    order_id = merchant.order_from(SE_ORDER)
    portal(browser, order_id, "reject_increases_on")
    bigger = merchant.om("PATCH", order_id, "/authorization", json={"order_amount": 80000})
    assert bigger.status_code == 403
    portal(browser, order_id, "reject_increases_off")
    browser.post("/portal/accounts/PK_test_4711", data={"reject_increases": "on"})
    assert sim.accounts.get("PK_test_4711")["reject_increases"] is True
    assert merchant.om("PATCH", order_id, "/authorization", json={"order_amount": 80000}).status_code == 403


def test_clock_page_and_json(merchant, browser, sim):
    order_id = merchant.order_from(SE_ORDER)
    assert browser.post("/portal/clock", data={"days": "29", "hours": "0"}).status_code == 303
    assert merchant.order(order_id)["status"] == "EXPIRED"
    assert "Simulator time" in browser.get("/portal/clock").get_data(as_text=True)
    assert browser.post("/portal/clock", data={"days": "-1"}).status_code == 422
    moved = browser.post("/_simulator/clock", json={"hours": 1}).get_json()
    assert moved["offset_seconds"] == 29 * 24 * 3600 + 3600
    browser.post("/portal/clock", data={"action": "reset"})
    assert sim.clock.offset.total_seconds() == 0
