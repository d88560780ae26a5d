"""Needs attention (the admin's first page), the callback health banner and /healthz."""
from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest

from shop.models import Payment, utcnow
from shop.payments import klarna_checkout, states
from shop.payments.callback_health import address_problem
from shop.payments.sync import sync_all
from tests.admin.conftest import counting_queries
from tests.payments.conftest import reload, ship

from .conftest import HTMX, alerts_of, make_order, paid_payment, post, start_checkout, token


def expiring_soon(session, simulator, payment, days=3) -> Payment:
    """The reservation expires in `days`, at Klarna and as the shop last read it."""
    at = utcnow() + timedelta(days=days)
    with simulator.transaction():
        klarna = simulator.orders.load(None, payment.klarna_order_id)
        klarna["expires_at"] = at.isoformat().replace("+00:00", "Z")
        simulator.orders.save(klarna)
    payment = session.get(Payment, payment.id)
    payment.expires_at = at
    session.add(payment)
    session.commit()
    return payment


def rows_of(html: str, kind: str) -> int:
    return html.count(f'class="attention-{kind} ')


def test_the_admin_opens_on_needs_attention(admin_client):
    response = admin_client.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Needs attention" in html
    assert "Nothing needs your attention right now." in html
    assert 'href="/admin/" aria-current="page"' in html
    orders = admin_client.get("/admin/orders").get_data(as_text=True)
    assert 'href="/admin/" aria-current="page"' not in orders


def test_each_kind_of_trouble_has_a_row_that_links_to_its_order_and_says_what_to_do(
        admin_client, session, simulator, gateway):
    expiring = make_order(session)
    expiring_soon(session, simulator, paid_payment(session, simulator, gateway, expiring))
    reviewed = make_order(session)
    paid_payment(session, simulator, gateway, reviewed, email="customer+pend-accept-30@email.fi")
    on_hold = make_order(session)
    held_payment = paid_payment(session, simulator, gateway, on_hold)
    simulator.faults.set("create_capture", "403_payment_method_failed", times=1)
    ship_form = {"action": "all", "confirmed": "yes", "csrf_token": token(admin_client)}
    shipped = admin_client.post(f"/admin/orders/{on_hold.number}/ship", data=ship_form)
    assert "The payment is on hold" in admin_client.get(shipped.location).get_data(as_text=True)
    changed = make_order(session)
    changed_payment = paid_payment(session, simulator, gateway, changed)
    with simulator.transaction():
        klarna = simulator.orders.load(None, changed_payment.klarna_order_id)
        simulator.orders.update_authorization(klarna, {"order_amount": klarna["order_amount"] - 100}, assess_risk=False)
    sync_all(session, gateway)
    rejected = make_order(session)
    rejected_payment = paid_payment(session, simulator, gateway, rejected)
    with simulator.transaction():
        simulator.orders.decide_fraud(simulator.orders.load(None, rejected_payment.klarna_order_id),
                                      "FRAUD_RISK_STOPPED")
    sync_all(session, gateway)

    html = admin_client.get("/admin/").get_data(as_text=True)

    assert rows_of(html, "expiring") == 1 and "extend the expiry date" in html
    assert rows_of(html, "pending_review") == 1 and "Do not ship yet." in html
    assert rows_of(html, "on_hold") == 1 and "PAYMENT_METHOD_FAILED" in html
    assert rows_of(html, "amount_mismatch") == 1 and "Klarna holds" in html
    assert rows_of(html, "alert") == 1 and "Klarna rejected the payment" in html
    for order in (expiring, reviewed, on_hold, changed, rejected):
        assert f'href="/admin/orders/{order.number}"' in html
    assert reload(session, held_payment).state == states.AUTHORIZED


def test_the_page_reads_in_a_fixed_number_of_queries(app, admin_client, session, simulator, gateway):
    def queries() -> int:
        with counting_queries(app) as statements:
            assert admin_client.get("/admin/").status_code == 200
        return len(statements)

    expiring_soon(session, simulator, paid_payment(session, simulator, gateway, make_order(session)))
    few = queries()
    for _ in range(4):
        expiring_soon(session, simulator, paid_payment(session, simulator, gateway, make_order(session)))
        paid_payment(session, simulator, gateway, make_order(session), email="customer+pend-accept-30@email.fi")
    assert queries() == few


@pytest.mark.parametrize("htmx", [False, True])
def test_a_notice_is_dismissed(admin_client, session, simulator, gateway, htmx):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    with simulator.transaction():
        simulator.orders.decide_fraud(simulator.orders.load(None, payment.klarna_order_id), "FRAUD_RISK_STOPPED")
    sync_all(session, gateway)
    [alert] = alerts_of(session, order)
    assert "Dismiss" in admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)

    response = post(admin_client, f"/admin/alerts/{alert.id}/dismiss", htmx=htmx)

    if htmx:
        assert response.status_code == 200 and 'id="attention"' in response.get_data(as_text=True)
        assert "<html" not in response.get_data(as_text=True)
    else:
        assert response.status_code == 303 and response.location == "/admin/"
    [alert] = alerts_of(session, order)
    assert alert.dismissed_at is not None and alert.dismissed_by == "admin@example.com"
    assert "Nothing needs your attention right now." in admin_client.get("/admin/").get_data(as_text=True)
    assert post(admin_client, "/admin/alerts/999999/dismiss").status_code == 404


# Callback health ------------------------------------------------------------------------------

def finalised_by_the_sync(session, simulator, gateway, shop_clock, count=2):
    """Shoppers who paid and closed the browser; Klarna's callbacks never reached the shop."""
    orders = [make_order(session) for _ in range(count)]
    for order in orders:
        simulator.complete_hpp_session(start_checkout(session, gateway, order).hpp_session_id)
    shop_clock.advance(minutes=16)
    assert sync_all(session, gateway).finalised == count
    return orders


@pytest.mark.parametrize("public_url, cause, words", [
    ("http://localhost", "unreachable", "Klarna cannot reach the shop's public address"),
    ("http://shop.example.com", "https", "not HTTPS"),
])
def test_callbacks_that_never_came_show_a_banner_and_healthz_reports_them(
        app, admin_client, session, simulator, gateway, shop_clock, callbacks, public_url, cause, words):
    app.config["PUBLIC_URL"] = public_url
    assert admin_client.get("/healthz").get_json()["klarna_callbacks"]["status"] == "ok"
    finalised_by_the_sync(session, simulator, gateway, shop_clock)
    callbacks.sent.clear()  # lost on the way

    html = unescape(admin_client.get("/admin/orders").get_data(as_text=True))
    assert "Klarna's status callbacks are not reaching the shop." in html and words in html
    health = admin_client.get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["klarna_callbacks"] == {"status": "failing", "cause": cause, "missed": 2, "failed": 0}


def test_callbacks_that_arrive_again_clear_the_banner(admin_client, session, simulator, gateway, shop_clock,
                                                      callbacks):
    finalised_by_the_sync(session, simulator, gateway, shop_clock)
    callbacks.sent.clear()
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    assert set(callbacks.deliver()) == {200}

    assert "not reaching the shop" not in admin_client.get("/admin/").get_data(as_text=True)


def test_callbacks_answered_with_an_error_name_maintenance(admin_client, session, simulator, gateway, callbacks):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    simulator.faults.set("read_hpp_session", "503")  # the shop cannot read Klarna back: it answers 503
    assert 503 in callbacks.deliver()
    simulator.faults.clear()

    html = unescape(admin_client.get("/admin/").get_data(as_text=True))
    assert "The shop answered Klarna's calls with an error" in html
    assert admin_client.get("/healthz").get_json()["klarna_callbacks"]["cause"] == "maintenance"
    assert "Klarna callback answered with an error" in admin_client.get(
        f"/admin/orders/{order.number}").get_data(as_text=True)


@pytest.mark.parametrize("url, cause", [
    (None, "unreachable"), ("http://127.0.0.1:5000", "unreachable"), ("http://10.0.0.5", "unreachable"),
    ("http://shop", "unreachable"), ("http://shop.example.com", "https"), ("https://shop.example.com", "unreachable"),
])
def test_the_likely_cause_is_named_from_the_public_address(url, cause):
    assert address_problem(url) == cause


# What Klarna's answers are called ---------------------------------------------------------------

@pytest.mark.parametrize("fault, words", [("500", "Klarna answered with an error"),
                                          ("timeout", "Klarna did not answer")])
def test_a_klarna_5xx_is_an_error_answer_not_silence(admin_client, session, simulator, gateway, fault, words):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    simulator.faults.set("create_capture", fault)
    response = admin_client.post(f"/admin/orders/{order.number}/payments/{payment.id}/activate",
                                 data={"confirmed": "yes"}, headers={**HTMX, "X-CSRFToken": token(admin_client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and words in html
    other = {"Klarna answered with an error", "Klarna did not answer"} - {words}
    assert not any(text + ";" in html for text in other)
