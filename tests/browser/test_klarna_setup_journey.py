"""Settings > Payment methods in Chromium: a merchant sets up Klarna, pays a test order with it and
publishes it in one shop version only."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from shop.crypto import decrypt_secret
from shop.models import Order, Payment, PaymentMethod, Product, ShopVersion, User
from tests.browser.conftest import LiveServer, admin_login
from tests.conftest import ADMIN_EMAIL, SECRET_KEY

pytestmark = pytest.mark.browser

NAME = "Klarna Pay later"
MERCHANT_ID, SECRET = "PK_demo_12345", "demo-shared-secret"
SHOPPER = {"email": "aino@example.fi", "given_name": "Aino", "family_name": "Virtanen",
           "street_address": "Mannerheimintie 1", "postal_code": "00100", "city": "Helsinki"}


def _method(live_server: LiveServer) -> PaymentMethod:
    with live_server.session() as session:
        method = session.exec(select(PaymentMethod).where(PaymentMethod.name == NAME)).one()
        method.versions  # loaded while the session is open
        return method


def _product_id(live_server: LiveServer, sku: str) -> int:
    with live_server.session() as session:
        return session.exec(select(Product.id).where(Product.sku == sku)).one()


def _set_up_klarna(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/settings/payment-methods")
    page.get_by_role("link", name="New payment method").click()
    page.get_by_role("radio", name=re.compile("Klarna Payments")).check()
    page.get_by_role("button", name="Continue").click()
    form = page.locator("#payment-method-form")
    expect(form.locator("#merchant_id")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/payment-methods/new/klarna$"))

    form.locator("#merchant_id").fill(MERCHANT_ID)
    form.locator("#secret").fill("not-the-secret")
    form.locator("#environment").select_option("simulator")
    form.get_by_role("button", name="Continue").click()
    expect(form.locator("#klarna-check-failure")).to_contain_text("Klarna did not accept these credentials")
    expect(form.locator("#klarna-check-failure")).to_contain_text("correlation id")
    expect(form.locator("#merchant_id")).to_have_value(MERCHANT_ID)
    expect(form.locator("#secret")).to_have_value("")

    form.locator("#secret").fill(SECRET)
    form.get_by_role("button", name="Continue").click()
    expect(form.locator(".notice")).to_have_text("Klarna accepted these credentials.")
    expect(page).to_have_url(re.compile(r"/payment-methods/new/klarna/settings$"))
    expect(form.locator(".stored-secret")).to_contain_text("stored")
    form.locator("#name").fill(NAME)
    form.get_by_label("Pay later", exact=True).check()
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/settings/payment-methods#payment-method-\d+$"))


def _row(page: Page, method: PaymentMethod):
    return page.locator(f"#payment-method-{method.id}")


def _pay_test_order_with_klarna(page: Page, live_server: LiveServer) -> str:
    page.goto(f"{live_server.url}/fi/")
    page.locator(f"#add-to-cart-{_product_id(live_server, 'CAP-003')} button[type='submit']").click()
    expect(page.locator("#cart-badge .badge")).to_have_text("1")
    page.goto(f"{live_server.url}/fi/checkout")
    for field, value in SHOPPER.items():
        page.locator(f"form.checkout-form #{field}").fill(value)
    choice = page.locator("label.choice", has_text=NAME)
    expect(choice.locator(".tag-test")).to_be_visible()  # hidden: only the logged-in merchant sees it
    choice.get_by_role("radio").check()
    page.locator("form.checkout-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/_klarna/hpp/payments/"))
    page.locator("button[name='action'][value='approve']").click()
    expect(page).to_have_url(re.compile(r"/fi/order/"))
    return page.locator(".order-number strong").inner_text().strip()


def _publish_in(page: Page, method: PaymentMethod, version_name: str) -> None:
    row = _row(page, method)
    row.get_by_text("Show in selected shop versions").click()
    for checkbox in row.locator("input[name='versions']").all():
        checkbox.uncheck()
    row.get_by_role("checkbox", name=re.compile(version_name)).check()
    row.get_by_role("button", name="Save").click()
    expect(_row(page, method)).not_to_have_class(re.compile(r"\bunpublished\b"))
    expect(_row(page, method).locator(".greyed")).to_have_count(0)


def _offered_at_checkout(page: Page, base: str, code: str) -> list[str]:
    page.goto(f"{base}/{code}/")
    page.locator("form[id^='add-to-cart-'] button[type='submit']").first.click()
    # The empty cart's badge already shows "0": wait for the added item, or the checkout may open first
    expect(page.locator("#cart-badge .badge")).to_have_text(re.compile(r"^\s*[1-9]\d*\s*$"))
    page.goto(f"{base}/{code}/checkout")
    return [name.strip() for name in page.locator("input[name='payment_method'] + .choice-name").all_inner_texts()]


def _admin_reads_english(live_server: LiveServer) -> None:
    with live_server.session() as session:
        admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
        admin.locale = "en"
        session.add(admin)
        session.commit()


def test_merchant_sets_up_klarna_tries_it_and_publishes_it_in_one_version(live_server, page):
    _admin_reads_english(live_server)
    admin_login(page, live_server.url)
    _set_up_klarna(page, live_server.url)

    method = _method(live_server)
    assert method.versions == [] and method.settings["categories"] == ["PAY_LATER"]
    assert decrypt_secret(method.secret_encrypted, SECRET_KEY) == SECRET
    expect(_row(page, method)).to_have_class(re.compile(r"\bunpublished\b"))
    expect(_row(page, method).locator(".greyed")).to_have_text(re.compile(r"^\s*Klarna Pay later\s+Hidden\s*$"))

    number = _pay_test_order_with_klarna(page, live_server)
    with live_server.session() as session:
        order = session.exec(select(Order).where(Order.number == number)).one()
        payment = session.exec(select(Payment).where(Payment.order_id == order.id)).one()
        assert (order.payment_method_id, payment.method_id, payment.state) == (method.id, method.id, "authorized")

    page.goto(f"{live_server.url}/admin/settings/payment-methods")
    _publish_in(page, method, "Suomi")
    with live_server.session() as session:
        finland = session.exec(select(ShopVersion.id).where(ShopVersion.code == "fi")).one()
    assert _method(live_server).published_version_ids == {finland}

    page.locator("form.logout button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/admin/login"))
    assert NAME in _offered_at_checkout(page, live_server.url, "fi")
    assert NAME not in _offered_at_checkout(page, live_server.url, "sv")
    assert NAME not in _offered_at_checkout(page, live_server.url, "en")
    expect(page.locator(".tag-test")).to_have_count(0)  # an anonymous shopper sees no test methods
