"""Cancellation notices, staff alerts and payment links: queued where the change happens, delivered over SMTP."""
from __future__ import annotations

import re

from sqlmodel import select

from shop.models import Order, PaymentLink
from shop.payments import states
from tests.conftest import csrf_token
from tests.klarna_fixtures import make_order, paid_payment
from tests.mail_fixtures import delivered, parts

from .conftest import outbox

SHOP_ADDRESS = "asiakaspalvelu@nordshop.example"


def test_a_rejected_fraud_review_tells_the_customer_and_the_staff(app, db_session, simulator, gateway, callbacks,
                                                                   smtp_server):
    with app.app_context():
        order = make_order(db_session, version_code="fi", email="customer+pend-reject-05@email.fi")
        payment = paid_payment(db_session, simulator, gateway, order, email="customer+pend-reject-05@email.fi")
    assert payment.state == states.PENDING
    callbacks.sent.clear()
    simulator.clock.advance(minutes=6)  # Klarna's review rejects the order
    simulator.get_order(payment.klarna_order_id)
    assert callbacks.deliver() == [200]

    assert [(m.kind, m.recipient) for m in outbox(db_session, order)] == [
        ("order_confirmation", "customer+pend-reject-05@email.fi"),
        ("order_cancelled", "customer+pend-reject-05@email.fi"),
        ("staff_alert", SHOP_ADDRESS),
    ]
    assert delivered(app).sent == 3
    _confirmation, cancelled, alert = smtp_server.messages
    assert cancelled["Subject"] == f"Tilauksesi {order.number} on peruttu"
    text, html = parts(cancelled)
    assert "Siitä ei veloiteta sinua" in text and order.number in html
    assert alert["To"] == SHOP_ADDRESS and alert["Subject"].startswith("Nordshop Oy: ")
    text, html = parts(alert)
    assert order.number in text and f"http://localhost/admin/orders/{order.number}" in text
    assert f'href="http://localhost/admin/orders/{order.number}"' in html


def test_an_order_never_confirmed_gets_no_cancellation_notice(app, db_session):
    with app.app_context():
        order = make_order(db_session, version_code="fi")
        order = db_session.get(Order, order.id)
        order.status = "cancelled"
        db_session.commit()
    assert outbox(db_session, order) == []


def test_a_payment_link_e_mailed_by_the_shop(app, merchant_client, db_session, smtp_server):
    with app.app_context():
        order = make_order(db_session, version_code="sv", email="kund@example.se")
    page = merchant_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert 'value="shop_email"' in page
    response = merchant_client.post(f"/admin/orders/{order.number}/payment-link", data={
        "channel": "shop_email", "email": "other.address@example.se", "csrf_token": csrf_token(page)})
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    link = db_session.exec(select(PaymentLink)).one()

    [queued] = outbox(db_session, order)
    assert (queued.kind, queued.recipient, queued.language) == ("payment_link", "other.address@example.se", "sv")
    assert delivered(app).sent == 1
    [message] = smtp_server.messages
    assert message["To"] == "other.address@example.se"
    assert message["Subject"] == f"Betala din beställning {order.number}"
    text, html = parts(message)
    assert link.url in text and f'href="{link.url}"' in html.replace("&amp;", "&")
    assert re.search(r"Länken gäller till .+\.", text)


def test_a_late_approval_of_a_given_up_order_confirms_nothing(app, db_session, simulator, gateway):
    from shop.orders import release_stock
    from tests.klarna_fixtures import start_checkout
    from shop.payments import klarna_checkout

    with app.app_context():
        order = make_order(db_session, version_code="fi")
        payment = start_checkout(db_session, gateway, order)
        given_up = db_session.get(Order, order.id)
        given_up.status = "cancelled"
        release_stock(db_session, given_up)
        db_session.commit()
        simulator.complete_hpp_session(payment.hpp_session_id)
        klarna_checkout.finalise(db_session, payment, gateway, source="return")
    kinds = [m.kind for m in outbox(db_session, order)]
    assert "order_confirmation" not in kinds and "order_cancelled" not in kinds
    assert kinds == ["staff_alert"]  # the shop undid the payment and tells its staff
