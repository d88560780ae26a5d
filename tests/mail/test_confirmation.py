"""A bank-transfer checkout queues its confirmation with the order; the sender delivers it over SMTP."""
from sqlmodel import select

from shop.models import Order
from tests.mail_fixtures import delivered, parts
from tests.storefront.conftest import add_to_cart, product
from tests.storefront.test_checkout import CUSTOMER, checkout

from .conftest import outbox


def test_bank_transfer_order_is_confirmed_by_email_in_swedish(client, db_session, smtp_server, app):
    assert add_to_cart(client, "sv", product(db_session, "rain-jacket"), 1).status_code == 303
    assert checkout(client, db_session, method="Bank transfer", code="sv").status_code == 303
    order = db_session.exec(select(Order)).one()
    [queued] = outbox(db_session, order)
    assert (queued.kind, queued.recipient, queued.language, queued.status) == (
        "order_confirmation", CUSTOMER["email"], "sv", "pending")
    assert smtp_server.messages == []  # queued with the order, delivered afterwards

    report = delivered(app)

    assert report.sent == 1
    [message] = smtp_server.messages
    assert message["To"] == CUSTOMER["email"]
    assert message["Subject"] == f"Tack för din beställning {order.number}"
    assert message["Message-ID"] == queued.message_id
    assert message["From"] == "Nordshop <shop@nordshop.example>"
    assert message["Reply-To"] == "asiakaspalvelu@nordshop.example"
    text, html = parts(message)
    for part in (text, html):
        assert order.number in part and "Nordshop Oy" in part and "asiakaspalvelu@nordshop.example" in part
        assert "Bank transfer" in part or "Banköverföring" in part
    assert 'lang="sv"' in html
    [sent] = outbox(db_session, order)
    assert sent.status == "sent" and sent.sent_at is not None and sent.subject == message["Subject"]
