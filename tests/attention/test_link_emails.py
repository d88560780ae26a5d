"""The payment link by the shop's own e-mail, staff alerts to the shop's address, and undelivered e-mails,
delivered through a real SMTP server on loopback."""
from __future__ import annotations

from html import unescape

import pytest
from sqlmodel import select

from shop.models import OutboxMessage
from shop.payments.sync import sync_all
from tests.conftest import TRANSLATIONS
from tests.mail_fixtures import delivered, parts, smtp_app_overrides, smtp_server  # noqa: F401  (fixtures)

from .conftest import links_of, make_order, paid_payment, path, payments_of, post


@pytest.fixture
def app_overrides(callbacks, smtp_app_overrides):  # noqa: F811
    return {"SIMULATOR_CALLBACK_SENDER": callbacks, "BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS,
            "MERCHANT_NAME": "Nordshop Oy", "MERCHANT_EMAIL": "asiakaspalvelu@nordshop.example",
            "ADMIN_DEFAULT_LOCALE": "fi", "PUBLIC_URL": "http://localhost", **smtp_app_overrides}


def outbox(session, kind) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def test_the_e_mailed_link_arrives_in_the_orders_language_and_pays_the_order(app, admin_client, session, smtp_server,
                                                                             callbacks):
    order = make_order(session, version_code="sv", email="kund@example.se")
    response = post(admin_client, f"/admin/orders/{order.number}/payment-link",
                    {"channel": "shop_email", "email": "kund@example.se"})
    assert response.status_code == 303
    assert delivered(app).sent == 1

    [mail] = smtp_server.to("kund@example.se")
    [link] = links_of(session, order)
    text, html = parts(mail)
    assert order.number in mail["Subject"] and link.url in text and link.url in unescape(html)
    assert "Klarna" in text and "Hej" in text  # Swedish, the order's language
    assert link.channel == "shop_email" and link.recipient == "kund@example.se"

    shopper = app.test_client()
    approved = shopper.post(path(link.url), data={"action": "approve", "category": "PAY_LATER"})
    returned = shopper.get(path(approved.location))
    assert returned.location == f"/sv/order/{order.token}"
    [payment] = payments_of(session, order)
    assert payment.state == "authorized"


def test_the_link_goes_to_the_address_the_merchant_typed(admin_client, session):
    order = make_order(session)
    post(admin_client, f"/admin/orders/{order.number}/payment-link",
         {"channel": "shop_email", "email": "other@example.fi"})
    [queued] = outbox(session, "payment_link")
    assert queued.recipient == "other@example.fi" and queued.order_id == order.id


def test_a_rejected_review_e_mails_the_shop(app, session, simulator, gateway, smtp_server):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    with simulator.transaction():
        simulator.orders.decide_fraud(simulator.orders.load(None, payment.klarna_order_id), "FRAUD_RISK_STOPPED")
    with app.app_context():  # as `flask --app wsgi klarna sync` runs
        sync_all(session, gateway)
    delivered(app)

    [alert] = smtp_server.to("asiakaspalvelu@nordshop.example")
    text, _html = parts(alert)
    assert "Klarna hylkäsi maksun" in text  # the admin's default language
    assert order.number in text and f"/admin/orders/{order.number}" in text
    subjects = [mail["Subject"] for mail in smtp_server.to(order.email)]
    assert any("peruttu" in subject for subject in subjects), subjects  # the customer hears of the cancellation


def test_an_e_mail_the_server_refuses_is_listed_under_needs_attention(app, admin_client, session, smtp_server):
    order = make_order(session, email="ghost@example.fi")
    smtp_server.inbox.refused.add("ghost@example.fi")
    post(admin_client, f"/admin/orders/{order.number}/payment-link", {"channel": "shop_email",
                                                                       "email": "ghost@example.fi"})
    delivered(app)
    html = unescape(admin_client.get("/admin/").get_data(as_text=True))
    assert 'class="attention-undelivered_email' in html and "ghost@example.fi" in html
    assert f'href="/admin/orders/{order.number}"' in html
