"""A phone order in Chromium: the merchant takes it in the admin and e-mails a payment link; the customer
follows the link from the e-mail that arrived over SMTP, pays on Klarna's page and sees the confirmation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from shop.models import Order, Payment, Product, ShippingMethod, ShopVersion, User
from tests.browser.conftest import admin_login
from tests.mail_fixtures import delivered, parts, smtp_app_overrides, smtp_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/_klarna/hpp/payments/[0-9a-f-]+")


@pytest.fixture
def live_server_overrides(smtp_app_overrides):  # noqa: F811
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None, **smtp_app_overrides}


def _choices(live_server) -> dict:
    with live_server.session() as session:
        session.exec(select(User)).one().locale = "en"
        session.commit()
        return {
            "version": str(session.exec(select(ShopVersion).where(ShopVersion.code == "fi")).one().id),
            "shipping": str(session.exec(select(ShippingMethod).where(ShippingMethod.name == "Parcel locker")).one().id),
            "shoe": str(session.exec(select(Product).where(Product.sku == "RUN-001")).one().id),
            "coffee": str(session.exec(select(Product).where(Product.sku == "COF-101")).one().id),
        }


def test_a_phone_order_is_paid_through_its_e_mailed_link(live_server, page: Page, browser, smtp_server):
    chosen = _choices(live_server)
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="New phone or e-mail order").first.click()

    form = page.locator("#phone-order-form")
    form.locator('select[name="version"]').select_option(chosen["version"])
    form.locator('select[name="shipping"]').select_option(chosen["shipping"])
    for field, value in {"email": "puhelin@example.fi", "given_name": "Pekka", "family_name": "Puhelin",
                         "street_address": "Hämeenkatu 3", "postal_code": "33100", "city": "Tampere"}.items():
        form.locator(f'input[name="{field}"]').fill(value)
    form.locator('select[name="lines-0-product"]').select_option(chosen["shoe"])
    form.locator('input[name="lines-0-quantity"]').fill("1")
    form.locator('select[name="lines-1-product"]').select_option(chosen["coffee"])
    form.locator('input[name="lines-1-quantity"]').fill("2")
    form.get_by_role("button", name="Create order").click()

    expect(page).to_have_url(re.compile(r"/admin/orders/\d+$"))
    number = page.url.rsplit("/", 1)[1]
    section = page.locator("#payment-link")
    expect(section.locator('input[name="email"]')).to_have_value("puhelin@example.fi")
    section.get_by_role("button", name="Send payment link").click()
    expect(page.locator("#flashes")).to_contain_text("Payment link sent to puhelin@example.fi.")
    expect(section.locator("svg")).to_be_visible()
    shown = section.locator("#payment-link-url").inner_text()

    assert delivered(live_server.app).sent == 1
    [mail] = smtp_server.to("puhelin@example.fi")
    assert number in mail["Subject"]
    text, _html = parts(mail)
    [url] = LINK.findall(text)
    assert url == shown

    customer = browser.new_context().new_page()
    customer.goto(url)
    customer.locator('input[name="category"][value="PAY_LATER"]').check()
    customer.locator('button[name="action"][value="approve"]').click()
    expect(customer).to_have_url(re.compile(r"/fi/order/[^/]+$"))
    expect(customer.locator(".order-number strong")).to_have_text(number)
    customer.context.close()

    page.reload()
    expect(page.locator(".payment-badge").first).to_have_text("Reserved / awaiting activation")
    expect(page.locator("#payment-link")).to_contain_text("The customer paid through this link.")
    expect(page.get_by_role("button", name="Send payment link")).to_have_count(0)  # paid: no new link
    with live_server.session() as session:
        order = session.exec(select(Order).where(Order.number == number)).one()
        [payment] = session.exec(select(Payment).where(Payment.order_id == order.id)).all()
        assert (order.status, payment.state, payment.amount) == ("confirmed", "authorized", order.total)
