"""Sent e-mails in the admin: the list, one e-mail rendered (HTML in a sandboxed frame, and the text), the
order page's card, "not delivered" without a mail server, and trying again."""
from __future__ import annotations

import html as html_lib

import pytest
from sqlmodel import select

from shop.models import Order, User
from tests.conftest import csrf_token
from tests.mail_fixtures import delivered
from tests.storefront.conftest import add_to_cart, product
from tests.storefront.test_checkout import checkout

from .conftest import outbox

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english_admin(db_session):
    """The merchant reads the admin in English; the e-mails stay in the order's language."""
    for user in db_session.exec(select(User)).all():
        user.locale = "en"
        db_session.add(user)
    db_session.commit()


@pytest.fixture
def order(client, db_session) -> Order:
    """A Swedish bank-transfer order: its confirmation is queued."""
    assert add_to_cart(client, "sv", product(db_session, "rain-jacket"), 1).status_code == 303
    assert checkout(client, db_session, method="Bank transfer", code="sv").status_code == 303
    return db_session.exec(select(Order)).one()


def test_without_a_mail_server_the_admin_shows_the_mail_as_not_delivered(app, merchant_client, db_session, order):
    app.config["SMTP_HOST"] = ""
    [queued] = outbox(db_session, order)
    listing = merchant_client.get("/admin/mail").get_data(as_text=True)
    assert 'id="mail-not-configured"' in listing
    assert "Order confirmation" in listing and order.number in listing and queued.recipient in listing
    assert "Not delivered: no mail server is configured" in listing

    page = merchant_client.get(f"/admin/mail/{queued.id}").get_data(as_text=True)
    assert f"Tack för din beställning {order.number}" in page  # rendered in the order's language
    assert '<iframe class="mail-preview" sandbox=""' in page
    srcdoc = page.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert '<html lang="sv">' in html_lib.unescape(srcdoc) and "<script" not in srcdoc
    text = page.split('<pre class="mail-text">', 1)[1].split("</pre>", 1)[0]
    assert order.number in html_lib.unescape(text) and "Hej Sara Svensson" in html_lib.unescape(text)
    assert "Try again now" not in page  # nothing to try without a server

    order_page = merchant_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    card = order_page.split('id="order-mail"', 1)[1].split("</section>", 1)[0]
    assert f"/admin/mail/{queued.id}" in card and "Not delivered" in card


def test_a_sent_mail_shows_what_went_out(app, merchant_client, db_session, order, smtp_server):
    assert delivered(app).sent == 1
    [sent] = outbox(db_session, order)
    page = merchant_client.get(f"/admin/mail/{sent.id}").get_data(as_text=True)
    assert "mail-state-sent" in page and sent.subject in page
    listing = merchant_client.get("/admin/mail?status=sent").get_data(as_text=True)
    assert listing.count("mail-state-sent") == 1
    assert f"Sent through 127.0.0.1:{smtp_server.port} as Nordshop &lt;shop@nordshop.example&gt;" in listing
    assert "No e-mails." in merchant_client.get("/admin/mail?status=failed").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_failed_mail_can_be_tried_again(app, merchant_client, db_session, order, smtp_server, htmx):
    smtp_server.inbox.refused.add(order.email)
    delivered(app)
    [failed] = outbox(db_session, order)
    assert failed.status == "failed"
    page = merchant_client.get(f"/admin/mail/{failed.id}").get_data(as_text=True)
    assert "550" in page and "Try again now" in page
    smtp_server.inbox.refused.clear()
    token = csrf_token(page)
    if htmx:
        response = merchant_client.post(f"/admin/mail/{failed.id}/retry", headers={**HTMX, "X-CSRFToken": token})
        swapped = response.get_data(as_text=True)
        assert response.status_code == 200 and swapped.lstrip().startswith("<section") and 'id="mail-delivery"' in swapped
        assert 'hx-swap-oob="true"' in swapped
    else:
        response = merchant_client.post(f"/admin/mail/{failed.id}/retry", data={"csrf_token": token})
        assert response.status_code == 303 and response.location == f"/admin/mail/{failed.id}"
    assert delivered(app).sent == 1
    assert [m.status for m in outbox(db_session, order)] == ["sent"]


def test_mail_pages_need_login(client, order, db_session):
    [queued] = outbox(db_session, order)
    for url in ("/admin/mail", f"/admin/mail/{queued.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.location
    assert client.post(f"/admin/mail/{queued.id}/retry").status_code in (302, 400)


def test_an_unknown_mail_is_404(merchant_client):
    assert merchant_client.get("/admin/mail/999999").status_code == 404
    assert merchant_client.get("/admin/mail/99999999999999").status_code == 404


def test_an_undelivered_mail_needs_attention(app, merchant_client, db_session, order, smtp_server):
    smtp_server.inbox.refused.add(order.email)
    delivered(app)
    page = merchant_client.get("/admin/").get_data(as_text=True)
    row = page.split('class="attention-undelivered_email', 1)[1].split("</tr>", 1)[0]
    assert order.number in row and "550" in row and "Try again now" in row
