"""Send payment link: a Klarna hosted page for an order taken by phone, paid like a storefront checkout."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shop.models import Order, utcnow
from shop.payments import states

from .conftest import HTMX, links_of, make_order, order_events, path, payments_of, post


@pytest.fixture
def order(session):
    return make_order(session)


def send_link(client, order, htmx=False, **form):
    return post(client, f"/admin/orders/{order.number}/payment-link", {"channel": "page", **form}, htmx=htmx)


def hpp_session(simulator, payment) -> dict:
    return simulator.store.get(simulator.hpp.KIND, payment.hpp_session_id)


@pytest.mark.parametrize("htmx", [False, True])
def test_the_link_and_its_qr_code_are_shown_with_their_expiry(admin_client, session, simulator, order, htmx):
    response = send_link(admin_client, order, htmx=htmx)
    [link] = links_of(session, order)
    [payment] = payments_of(session, order)
    assert link.payment_id == payment.id and payment.state == states.STARTED
    assert "/_klarna/hpp/payments/" in link.url and link.url.endswith(payment.hpp_session_id)
    assert link.expires_at is not None and link.channel == "page" and link.created_by == "admin@example.com"
    if htmx:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'id="order-events"' in html and 'hx-swap-oob="true"' in html
    else:
        assert response.status_code == 303
        html = admin_client.get(response.location).get_data(as_text=True)
    assert "Payment link created. Read it out or show the QR code to the customer." in html
    assert link.url in html and "<svg" in html and "Valid until" in html
    assert "Payment link created" in html  # the order's history
    assert [event.data["payment_id"] for event in order_events(session, order, "payment_link_created")] == [payment.id]


@pytest.mark.parametrize("channel, recipient, method, contact", [
    ("klarna_sms", "+358401234567", "sms", {"phone": "+358401234567", "phone_country": "FI"}),
    ("klarna_email", "customer@email.fi", "email", {"email": "customer@email.fi"}),
])
def test_klarna_sends_the_link_by_text_message_or_e_mail(admin_client, session, simulator, order, channel, recipient,
                                                         method, contact):
    response = send_link(admin_client, order, channel=channel, phone="+358401234567", email="customer@email.fi")
    assert response.status_code == 303
    html = admin_client.get(response.location).get_data(as_text=True)
    assert f"Payment link sent to {recipient}." in html
    [payment] = payments_of(session, order)
    [sent] = hpp_session(simulator, payment)["distributions"]
    assert sent["method"] == method and sent["contact_information"] == contact
    assert links_of(session, order)[0].recipient == recipient


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("form, message", [
    ({"channel": "klarna_sms", "phone": ""}, "Enter the mobile number to send the link to."),
    ({"channel": "klarna_email", "email": "nobody"}, "Enter a valid e-mail address."),
    ({"channel": "carrier-pigeon"}, "Choose how the link is sent."),
])
def test_bad_input_is_a_422_and_no_session_is_opened(admin_client, session, order, htmx, form, message):
    response = send_link(admin_client, order, htmx=htmx, **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert ("<html" in html) is not htmx
    assert payments_of(session, order) == [] and links_of(session, order) == []


def test_a_new_link_disables_the_previous_session(admin_client, session, simulator, order):
    send_link(admin_client, order)
    send_link(admin_client, order)
    first, second = payments_of(session, order)
    assert hpp_session(simulator, first)["status"] == "DISABLED"
    assert hpp_session(simulator, second)["status"] == "WAITING"
    assert first.state == states.FAILED and second.state == states.STARTED
    assert [link.payment_id for link in links_of(session, order)] == [first.id, second.id]


def test_paying_through_the_link_ends_like_a_storefront_checkout(admin_client, app, session, callbacks, order):
    send_link(admin_client, order)
    [link] = links_of(session, order)
    shopper = app.test_client()
    hosted_page = path(link.url)
    assert shopper.get(hosted_page).status_code == 200
    approved = shopper.post(hosted_page, data={"action": "approve", "category": "PAY_LATER"})
    success = path(approved.location)
    assert success.startswith(f"/fi/klarna/{order.token}/")
    returned = shopper.get(success)
    assert returned.status_code == 303 and returned.location == f"/fi/order/{order.token}"
    assert order.number in shopper.get(returned.location).get_data(as_text=True)
    assert set(callbacks.deliver()) == {200}
    [payment] = payments_of(session, order)
    session.refresh(order)
    assert (order.status, payment.state) == ("confirmed", states.AUTHORIZED)
    assert payment.klarna_order_id and payment.amount == order.total
    page = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "The customer paid through this link." in page and "Valid until" not in page
    assert "Send payment link" not in page


def test_the_order_page_says_when_a_link_has_expired(admin_client, session, order):
    send_link(admin_client, order)
    [link] = links_of(session, order)
    link.expires_at = utcnow() - timedelta(minutes=1)
    session.add(link)
    session.commit()
    html = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "This link expired on" in html and "Send a new link." in html


def test_no_link_for_an_order_that_is_not_awaiting_payment(admin_client, session, order):
    order = session.get(Order, order.id)
    order.status = "confirmed"
    session.add(order)
    session.commit()
    assert "Send payment link" not in admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    response = send_link(admin_client, order, htmx=True)
    assert response.status_code == 409
    assert "This order is not awaiting payment" in response.get_data(as_text=True)
    assert payments_of(session, order) == []


def test_klarna_refusing_to_send_keeps_the_link_and_says_so(admin_client, session, simulator, order):
    simulator.faults.set("distribute_hpp_session", "503")
    response = send_link(admin_client, order, htmx=True, channel="klarna_sms", phone="+358401234567")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The link below works, but Klarna did not send it." in html
    assert "TEMPORARILY_UNAVAILABLE" in html
    [link] = links_of(session, order)
    assert link.url in html


def test_klarna_failing_to_open_a_session_is_a_409_with_its_words(admin_client, session, simulator, order):
    simulator.faults.set("create_session", "500", times=1)
    response = send_link(admin_client, order, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Klarna could not open a payment session." in html
    assert "INTERNAL_SERVER_ERROR" in html
    assert links_of(session, order) == []
