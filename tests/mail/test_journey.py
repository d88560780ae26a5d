"""The e-mails of a whole order over SMTP, in Finnish and Swedish: checkout with Klarna, ship part,
ship the rest, a return refunded as an overpayment, then the rest of the payment refunded.
Each is queued by the change itself and delivered afterwards."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shop.models import Order, Payment
from tests.conftest import csrf_token
from tests.mail_fixtures import delivered, parts
from tests.storefront.conftest import add_to_cart, product
from tests.storefront.test_checkout import CUSTOMER
from tests.storefront.test_klarna_checkout import klarna_checkout, on_hosted_page

from .conftest import outbox

WORDS = {
    "fi": {"confirmed": "Kiitos tilauksestasi {number}", "partly": "Osa tilauksestasi {number} on lähetetty",
           "shipped": "Tilauksesi {number} on lähetetty", "refund": "Hyvitys tilauksestasi {number}",
           "option": "Maksa myöhemmin", "instructions": "Klarna lähettää sinulle maksuohjeet",
           "later": "Tulossa myöhemmässä toimituksessa", "refunded": "Olemme hyvittäneet tilauksestasi",
           "shoe": "Polkujuoksukenkä", "honey": "Metsähunaja"},
    "sv": {"confirmed": "Tack för din beställning {number}", "partly": "En del av din beställning {number} har skickats",
           "shipped": "Din beställning {number} har skickats", "refund": "Återbetalning för din beställning {number}",
           "option": "Betala senare", "instructions": "Klarna skickar dig betalningsinstruktionerna",
           "later": "Kommer i en senare leverans", "refunded": "Vi har återbetalat",
           "shoe": "Terränglöparsko", "honey": "Skogshonung"},
}


def post_form(client, url: str, data: dict, page: str, *, hidden: tuple[str, ...] = ()):
    """Post as the rendered form would: its CSRF token and the hidden fields named in `hidden`."""
    html = client.get(page).get_data(as_text=True)
    fields = {name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1) for name in hidden}
    return client.post(url, data={**data, **fields, "csrf_token": csrf_token(html)})


def major(amount: int) -> str:
    """Minor units as the refund forms take them: 12345 -> "123.45"."""
    return f"{amount // 100}.{amount % 100:02d}"


def ship(client, order: Order, quantities: dict[int, int] | None):
    page = f"/admin/orders/{order.number}"
    data = {"action": "all"} if quantities is None else {f"quantity_{i}": str(q) for i, q in quantities.items()}
    response = post_form(client, f"{page}/ship", {**data, "confirmed": "yes"}, page)
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]


def return_one(client, order: Order, line_id: int):
    page = f"/admin/orders/{order.number}"
    response = post_form(client, f"{page}/returns", {f"return_{line_id}": "1", "restock": "y"}, page,
                         hidden=("return_token",))
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]


def refund_overpayment(client, order: Order, payment: Payment, amount: int):
    page = f"/admin/orders/{order.number}"
    response = post_form(client, f"{page}/payments/{payment.id}/overpayment-refund",
                         {"confirmed": "yes", "overpayment-amount": major(amount)}, page,
                         hidden=("overpayment-refund_token",))
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]


def refund_everything(client, order: Order, payment: Payment):
    page = f"/admin/orders/{order.number}"
    amount = major(payment.captured_amount - payment.refunded_amount)
    response = post_form(client, f"{page}/payments/{payment.id}/refund",
                         {"confirmed": "yes", f"refund-{payment.id}-amount": amount}, page,
                         hidden=(f"refund-{payment.id}-refund_token",))
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]


def check(message, language: str, subject: str, number: str, *texts: str) -> tuple[str, str]:
    assert message["To"] == CUSTOMER["email"]
    assert message["Subject"] == subject
    assert message["Content-Language"] == language
    text, html = parts(message)
    assert f'<html lang="{language}">' in html
    for part in (text, html):
        assert number in part
        for expected in texts:
            assert expected in part, f"{expected!r} not in {message['Subject']!r}:\n{part}"
    return text, html


@pytest.mark.parametrize("code", ["fi", "sv"])
def test_every_email_of_an_order_arrives_in_the_order_language(code, client, merchant_client, db_session, app,
                                                                 smtp_server, callbacks):
    words = WORDS[code]
    assert add_to_cart(client, code, product(db_session, "trail-running-shoe"), 1).status_code == 303
    assert add_to_cart(client, code, product(db_session, "forest-honey-350-g"), 2).status_code == 303
    success = on_hosted_page(client, klarna_checkout(client, db_session, code=code), category="PAY_LATER")
    assert client.get(success).status_code == 303
    callbacks.deliver()  # Klarna's status callback finds the order finalised: no second confirmation
    order = db_session.exec(select(Order)).one()
    number = order.number
    assert [m.kind for m in outbox(db_session, order)] == ["order_confirmation"]

    shoe, honey = order.goods_lines
    ship(merchant_client, order, {shoe.id: 1, honey.id: 1})
    ship(merchant_client, order, None)
    db_session.expire_all()
    payment = db_session.exec(select(Payment).where(Payment.order_id == order.id)).one()
    assert payment.captured_amount == order.total
    return_one(merchant_client, order, honey.id)
    refund_overpayment(merchant_client, order, payment, honey.unit_price)
    db_session.refresh(payment)
    assert payment.refunded_amount == honey.unit_price
    refund_everything(merchant_client, order, payment)

    assert smtp_server.messages == []
    assert delivered(app).sent == 5
    confirmation, partly, rest, returned, refund = smtp_server.messages
    check(confirmation, code, words["confirmed"].format(number=number), number, words["option"], words["shoe"],
          f"http://localhost/{code}/order/{order.token}")
    text, _html = check(partly, code, words["partly"].format(number=number), number, words["instructions"],
                        words["later"])
    assert f"1 × {words['shoe']}" in text and f"1 × {words['honey']}" in text
    check(rest, code, words["shipped"].format(number=number), number, f"1 × {words['honey']}")
    assert words["later"] not in parts(rest)[0]
    check(returned, code, words["refund"].format(number=number), number, words["refunded"], words["option"],
          shown(app, code, honey.unit_price, order.currency))
    check(refund, code, words["refund"].format(number=number), number, words["refunded"], words["option"],
          shown(app, code, order.total - honey.unit_price, order.currency))
    assert [m.status for m in outbox(db_session, order)] == ["sent"] * 5
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 5


def shown(app, language: str, amount: int, currency: str) -> str:
    """An amount as the e-mail of that language writes it."""
    from flask_babel import force_locale

    from shop.i18n import money

    with app.app_context(), force_locale(language):
        return money(amount, currency)
