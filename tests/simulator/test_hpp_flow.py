"""The hosted payment page journey end to end: KP session, HPP session, the shopper's page,
redirects with placeholders, status callbacks, and the order that results."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from shop.simulator.clock import parse_iso

from .conftest import BASE, page_path
from .payloads import FI_ORDER, HPP_URLS, SE_ORDER, SHOP, order


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def statuses(callbacks) -> list[str]:
    return [body["session"]["status"] for body in callbacks.to("/klarna/hpp-status")]


def test_kp_session_offers_the_three_nordic_categories(merchant):
    response = merchant.post("/payments/v1/sessions", json=FI_ORDER)
    assert response.status_code == 200
    body = response.json()
    assert [c["identifier"] for c in body["payment_method_categories"]] == ["pay_later", "pay_over_time", "pay_now"]
    assert body["client_token"]


def test_full_journey_from_session_to_refund(merchant, browser, callbacks, sim):
    kp_id = merchant.kp_session(FI_ORDER)
    hpp = merchant.hpp_session(kp_id)
    assert hpp["redirect_url"].startswith("http://shop.test/_klarna/hpp/payments/")
    assert hpp["session_url"] == f"{BASE}/hpp/v1/sessions/{hpp['session_id']}"
    assert hpp["distribution_url"] == f"{hpp['session_url']}/distribution"
    assert merchant.get(hpp["session_url"]).json()["status"] == "WAITING"

    page = browser.get(page_path(hpp["redirect_url"]))
    assert page.status_code == 200
    assert statuses(callbacks) == ["IN_PROGRESS"]
    assert merchant.get(hpp["session_url"]).json()["status"] == "IN_PROGRESS"

    done = browser.post(page_path(hpp["redirect_url"]),
                        data={"action": "approve", "category": "PAY_OVER_TIME", "email": "customer@email.fi"})
    assert done.status_code == 303
    read = merchant.get(hpp["session_url"]).json()
    assert read["status"] == "COMPLETED"
    token = read["authorization_token"]
    landing = query(done.headers["Location"])
    assert done.headers["Location"].startswith(f"{SHOP}/return/success?")
    assert landing == {"sid": hpp["session_id"], "token": token, "order": "", "keep": "{{klarna_reference}}"}

    assert statuses(callbacks) == ["IN_PROGRESS", "COMPLETED"]
    url, last = [c for c in callbacks if "/klarna/hpp-status" in c[0]][-1]
    assert url == f"{SHOP}/klarna/hpp-status?sid={hpp['session_id']}&secret=s3cr3t"
    assert last["session"] == read and last["event_id"]
    assert callbacks.to("/klarna/authorized") == [{"authorization_token": token, "session_id": kp_id}]

    created = merchant.post(f"/payments/v1/authorizations/{token}/order", json=FI_ORDER)
    assert created.status_code == 200
    assert created.json()["fraud_status"] == "ACCEPTED"
    assert created.json()["authorized_payment_method"] == {"type": "fixed_amount", "number_of_installments": 3}
    order_id = created.json()["order_id"]
    assert merchant.get(f"/payments/v1/sessions/{kp_id}").json()["status"] == "complete"

    placed = merchant.order(order_id)
    assert placed["status"] == "AUTHORIZED"
    assert placed["initial_payment_method"] == {"type": "FIXED_AMOUNT", "description": "Pay in parts",
                                                "number_of_installments": 3}
    assert placed["order_amount"] == placed["original_order_amount"] == placed["remaining_authorized_amount"] == 16177

    first = merchant.om("POST", order_id, "/captures", json={"captured_amount": 6000, "description": "Shoes"})
    assert first.status_code == 201
    assert first.headers["Location"] == f"{BASE}/ordermanagement/v1/orders/{order_id}/captures/{first.headers['Capture-Id']}"
    second = merchant.om("POST", order_id, "/captures", json={"captured_amount": 10177, "order_lines": FI_ORDER["order_lines"]})
    assert second.status_code == 201
    refund = merchant.om("POST", order_id, "/refunds", json={"refunded_amount": 495, "description": "Shipping"})
    assert refund.status_code == 201 and refund.headers["Refund-Id"]
    assert refund.headers["Location"].endswith(f"/refunds/{refund.headers['Refund-Id']}")

    final = merchant.order(order_id)
    assert (final["status"], final["captured_amount"], final["refunded_amount"]) == ("CAPTURED", 16177, 495)
    assert [c["klarna_reference"] for c in final["captures"]] == [f"{final['klarna_reference']}-1",
                                                                  f"{final['klarna_reference']}-2"]
    assert final["captures"][1]["order_lines"] == FI_ORDER["order_lines"]
    assert merchant.om("GET", order_id, f"/refunds/{refund.headers['Refund-Id']}").json()["refunded_amount"] == 495


@pytest.mark.parametrize("mode, status, captured", [("PLACE_ORDER", "AUTHORIZED", 0),
                                                     ("CAPTURE_ORDER", "CAPTURED", 16177)])
def test_hpp_places_the_order_itself(merchant, browser, mode, status, captured):
    hpp = merchant.hpp_session(merchant.kp_session(), place_order_mode=mode)
    browser.get(page_path(hpp["redirect_url"]))
    done = browser.post(page_path(hpp["redirect_url"]), data={"action": "approve", "category": "PAY_NOW"})
    read = merchant.get(hpp["session_url"]).json()
    assert "authorization_token" not in read
    assert read["order_id"] and read["klarna_reference"]
    assert query(done.headers["Location"])["order"] == read["order_id"]
    placed = merchant.order(read["order_id"])
    assert (placed["status"], placed["captured_amount"]) == (status, captured)
    assert placed["klarna_reference"] == read["klarna_reference"]
    assert placed["initial_payment_method"]["type"] == "DIRECT_DEBIT"


@pytest.mark.parametrize("action, status, landing", [
    ("decline", "FAILED", "/return/failure"), ("cancel", "CANCELLED", "/return/cancel"),
    ("back", "BACK", "/return/back"), ("error", "ERROR", "/return/error")])
def test_each_button_ends_at_its_merchant_url(merchant, browser, callbacks, action, status, landing):
    hpp = merchant.hpp_session(merchant.kp_session())
    browser.get(page_path(hpp["redirect_url"]))
    response = browser.post(page_path(hpp["redirect_url"]), data={"action": action})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{SHOP}{landing}?sid={hpp['session_id']}"
    assert merchant.get(hpp["session_url"]).json()["status"] == status
    assert statuses(callbacks) == ["IN_PROGRESS", status]


def test_error_falls_back_to_the_failure_url(merchant, browser):
    urls = {k: v for k, v in HPP_URLS.items() if k != "error"}
    hpp = merchant.hpp_session(merchant.kp_session(), urls=urls)
    response = browser.post(page_path(hpp["redirect_url"]), data={"action": "error"})
    assert response.headers["Location"] == f"{SHOP}/return/failure?sid={hpp['session_id']}"


def test_a_declined_shopper_can_retry_and_pay(merchant, browser):
    hpp = merchant.hpp_session(merchant.kp_session())
    path = page_path(hpp["redirect_url"])
    denied = browser.post(path, data={"action": "approve", "email": "customer+denied@email.fi"})
    assert denied.headers["Location"].startswith(f"{SHOP}/return/failure")
    assert merchant.get(hpp["session_url"]).json()["status"] == "FAILED"
    page = browser.get(path)
    assert page.status_code == 200 and b'value="approve"' in page.data
    paid = browser.post(path, data={"action": "approve", "email": "customer@email.fi"})
    assert paid.headers["Location"].startswith(f"{SHOP}/return/success")
    assert merchant.get(hpp["session_url"]).json()["status"] == "COMPLETED"


def test_a_finished_session_takes_no_more_actions(merchant, browser):
    hpp = merchant.hpp_session(merchant.kp_session())
    path = page_path(hpp["redirect_url"])
    browser.post(path, data={"action": "cancel"})
    assert browser.post(path, data={"action": "approve"}).status_code == 404
    assert b'value="approve"' not in browser.get(path).data


def test_without_merchant_urls_the_page_shows_the_outcome(merchant, browser):
    hpp = merchant.hpp_session(merchant.kp_session(), urls={})
    response = browser.post(page_path(hpp["redirect_url"]), data={"action": "approve"})
    assert response.status_code == 200
    assert "Maksu on valmis" in response.get_data(as_text=True)


@pytest.mark.parametrize("body, expected", [
    (FI_ORDER, ["Maksa myöhemmin", "Pilko maksut", "Maksa nyt", "161,77\u00a0€", "Juoksukenkä",
                "customer@email.fi", 'lang="fi"']),
    (SE_ORDER, ["Betala senare", "Dela upp betalningen", "Betala nu", "745,99\u00a0kr", "T-shirt",
                'lang="sv"']),
    (order(FI_ORDER, locale="en-FI"), ["Pay later", "Pay in parts", "Pay now", "€161.77"]),
])
def test_hosted_page_speaks_the_purchase_locale(merchant, browser, body, expected):
    hpp = merchant.hpp_session(merchant.kp_session(body))
    html = browser.get(page_path(hpp["redirect_url"])).get_data(as_text=True)
    for text in expected:
        assert text in html


def test_category_options_limit_the_page(merchant, browser):
    hpp = merchant.hpp_session(merchant.kp_session(), payment_method_categories=["PAY_LATER", "PAY_NOW"])
    html = browser.get(page_path(hpp["redirect_url"])).get_data(as_text=True)
    assert 'value="PAY_LATER"' in html and 'value="PAY_NOW"' in html and "PAY_OVER_TIME" not in html


def test_qr_code_is_an_image(merchant, browser):
    hpp = merchant.hpp_session(merchant.kp_session())
    response = browser.get(page_path(hpp["qr_code_url"]))
    assert response.status_code == 200 and response.mimetype == "image/png"


def test_disable_and_expiry(merchant, browser, sim):
    hpp = merchant.hpp_session(merchant.kp_session())
    assert merchant.delete(hpp["session_url"]).status_code == 204
    assert merchant.get(hpp["session_url"]).json()["status"] == "DISABLED"
    assert browser.get(page_path(hpp["redirect_url"])).status_code == 404

    other = merchant.hpp_session(merchant.kp_session())
    sim.clock.advance(hours=47)  # HPP sessions end one hour before their KP session (48 h)
    assert merchant.get(other["session_url"]).status_code == 404
    assert merchant.delete(other["session_url"]).status_code == 404
    assert browser.get(page_path(other["redirect_url"])).status_code == 404


def test_expires_one_hour_before_the_kp_session(merchant, sim):
    kp_id = merchant.kp_session()
    kp_expiry = merchant.get(f"/payments/v1/sessions/{kp_id}").json()["expires_at"]
    hpp = merchant.hpp_session(kp_id)
    assert (parse_iso(kp_expiry) - parse_iso(hpp["expires_at"])).total_seconds() == 3600


def test_completed_session_refuses_disable(merchant, sim):
    hpp = merchant.hpp_session(merchant.kp_session())
    sim.complete_hpp_session(hpp["session_id"])
    response = merchant.delete(hpp["session_url"])
    assert response.status_code == 400


def test_distribution(merchant, careless_merchant):
    hpp = merchant.hpp_session(merchant.kp_session())
    sent = merchant.post(hpp["distribution_url"], json={"method": "email",
                                                         "contact_information": {"email": "customer@email.fi"}})
    assert sent.status_code == 201
    missing = careless_merchant.post(hpp["distribution_url"], json={"method": "sms", "contact_information": {}})
    assert missing.status_code == 400


@pytest.mark.parametrize("change, status", [
    ({"payment_session_url": "https://api.playground.klarna.com/payments/v1/sessions/{kp}"}, 400),
    ({"payment_session_url": BASE + "/payments/v1/sessions/no-such-session"}, 404),
    ({"options": {"payment_method_category": "PAY_LATER", "payment_method_categories": ["PAY_NOW"]}}, 400),
    ({"options": {"payment_method_categories": ["DIRECT_BANK_TRANSFER"]}}, 400),
])
def test_hpp_create_refusals(merchant, change, status):
    kp_id = merchant.kp_session()
    body = {"payment_session_url": f"{BASE}/payments/v1/sessions/{kp_id}", **change}
    body["payment_session_url"] = body["payment_session_url"].replace("{kp}", kp_id)
    assert merchant.post("/hpp/v1/sessions", json=body).status_code == status


def test_hpp_cannot_wrap_another_merchants_session(merchant, other_merchant):
    kp_id = merchant.kp_session()
    response = other_merchant.post("/hpp/v1/sessions", json={
        "payment_session_url": f"{BASE}/payments/v1/sessions/{kp_id}"})
    assert response.status_code == 404
    hpp = merchant.hpp_session(kp_id)
    assert other_merchant.get(hpp["session_url"]).status_code == 404


def test_lower_case_categories_are_accepted(careless_merchant):
    kp_id = careless_merchant.kp_session()
    hpp = careless_merchant.hpp_session(kp_id, payment_method_category="pay_later")
    assert hpp["session_id"]
