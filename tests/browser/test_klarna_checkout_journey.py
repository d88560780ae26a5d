"""DESIGN.md §4 in Chromium: shoppers on /fi/ and /sv/ pay with Klarna on the simulator's hosted page and
the merchant sees both reservations; a shopper who cancels at Klarna keeps the cart and pays on retry."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Callable

import pytest
from flask_babel import force_locale
from playwright.sync_api import Page, expect
from sqlmodel import select

from shop.models import KlarnaCall, Order, Payment, PaymentMethod, Product
from shop.payments import states
from shop.payments.options import option_label
from tests.browser.conftest import TIMEOUT_MS, LiveServer, admin_login

pytestmark = pytest.mark.browser

SHOPPERS = {
    "fi": {"email": "aino@example.fi", "given_name": "Aino", "family_name": "Virtanen",
           "street_address": "Mannerheimintie 1", "postal_code": "00100", "city": "Helsinki"},
    "sv": {"email": "anna@example.se", "given_name": "Anna", "family_name": "Svensson",
           "street_address": "Storgatan 1", "postal_code": "113 51", "city": "Stockholm"},
}
CURRENCY_SYMBOL = {"fi": "€", "sv": "kr"}
HOSTED_PAGE = re.compile(r"/_klarna/hpp/payments/([^/?#]+)$")
SEK_PER_EUR = re.compile(r"11[,.]235")  # the exchange rate in whatever notation the admin's locale uses


def _product(live_server: LiveServer, sku: str) -> Product:
    with live_server.session() as session:
        return session.exec(select(Product).where(Product.sku == sku)).one()


def _klarna_method_id(live_server: LiveServer) -> int:
    with live_server.session() as session:
        return session.exec(select(PaymentMethod.id).where(PaymentMethod.provider == "klarna")).one()


def _order(live_server: LiveServer, number: str) -> Order:
    with live_server.session() as session:
        return session.exec(select(Order).where(Order.number == number)).one()


def _payments(live_server: LiveServer, order: Order) -> list[Payment]:
    with live_server.session() as session:
        return list(session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))


def _create_order_calls(live_server: LiveServer, order: Order) -> int:
    with live_server.session() as session:
        calls = session.exec(select(KlarnaCall).where(KlarnaCall.order_id == order.id, KlarnaCall.method == "POST"))
        return sum(1 for call in calls if call.path.endswith("/order"))


def _callbacks_received(live_server: LiveServer, order: Order) -> int:
    """Klarna's status callbacks in the request log (the history has them only when they changed something)."""
    with live_server.session() as session:
        return len(session.exec(select(KlarnaCall.id).where(KlarnaCall.order_id == order.id,
                                                            KlarnaCall.path.endswith("/klarna_callback"))).all())


def _eventually(condition: Callable[[], bool], message: str, timeout: float = TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def _option_label(live_server: LiveServer, code: str, option_type: str) -> str:
    """The Klarna option the way the shop version `code` names it, whatever its catalog says."""
    with live_server.app.test_request_context(f"/{code}/"), force_locale(code):
        return str(option_label(option_type))


def _no_server_errors(page: Page) -> list[str]:
    failures: list[str] = []
    page.on("response", lambda response: response.status >= 500 and failures.append(
        f"{response.status} {response.request.method} {response.url}"))
    return failures


def _fill_cart(page: Page, base: str, code: str, items: list[tuple[Product, int]]) -> None:
    count = 0
    for product, quantity in items:
        page.goto(f"{base}/{code}/p/{product.slug}")
        form = page.locator(f"#add-to-cart-{product.id}")
        form.locator('input[name="quantity"]').fill(str(quantity))
        form.locator('button[type="submit"]').click()
        count += quantity
        expect(page.locator("#cart-badge .badge")).to_have_text(str(count))


def _check_out_with_klarna(page: Page, base: str, code: str, klarna_id: int) -> str:
    """From the cart through the checkout form to Klarna's hosted page; returns the page's session id."""
    page.goto(f"{base}/{code}/cart")
    page.locator(f"#cart a[href$='/{code}/checkout']").click()
    expect(page).to_have_url(re.compile(rf"/{code}/checkout$"))
    for field, value in SHOPPERS[code].items():
        page.locator(f"form.checkout-form #{field}").fill(value)
    page.locator(f'form.checkout-form input[name="payment_method"][value="{klarna_id}"]').check()
    page.locator("form.checkout-form button[type='submit']").click()
    return _on_hosted_page(page)


def _on_hosted_page(page: Page) -> str:
    expect(page).to_have_url(HOSTED_PAGE)
    expect(page.locator('button[name="action"][value="approve"]')).to_be_visible()
    return HOSTED_PAGE.search(page.url).group(1)


def _approve_at_klarna(page: Page, code: str, category: str) -> str:
    """Choose the option and pay; returns the order number on the shop's confirmation page."""
    page.locator(f'input[name="category"][value="{category}"]').check()
    page.locator('button[name="action"][value="approve"]').click()
    expect(page).to_have_url(re.compile(rf"/{code}/order/[^/]+$"))  # via the waiting page if Klarna is slow
    number = page.locator(".order-number strong").inner_text().strip()
    assert number.isdigit(), f"no order number on the confirmation: {number!r}"
    return number


def _confirmation_shows(page: Page, live_server: LiveServer, code: str, option_type: str) -> None:
    expect(page.locator(".klarna-option")).to_contain_text(_option_label(live_server, code, option_type))
    expect(page.locator(".order-lines tfoot")).to_contain_text(CURRENCY_SYMBOL[code])


def _authorized_once(live_server: LiveServer, number: str) -> tuple[Order, Payment]:
    order = _order(live_server, number)
    [payment] = _payments(live_server, order)
    assert (order.status, payment.state) == ("confirmed", states.AUTHORIZED)
    assert payment.expires_at is not None and payment.klarna_order_id
    assert _create_order_calls(live_server, order) == 1
    return order, payment


def _merchant_sees_reservation(page: Page, base: str, order: Order, payment: Payment) -> None:
    page.goto(f"{base}/admin/orders")
    row = page.locator("#orders-table tbody tr", has=page.get_by_role("link", name=order.number, exact=True))
    expect(row.locator(".payment-badge")).to_have_class(re.compile(r"\bpayment-authorized\b"))
    row.get_by_role("link", name=order.number, exact=True).click()
    expect(page).to_have_url(f"{base}/admin/orders/{order.number}")
    expect(page.locator("#order-status .status")).to_have_class(re.compile(r"\bstatus-confirmed\b"))
    panel = page.locator(f"#payments #payment-{payment.id}")
    expect(panel.locator(".payment-badge")).to_have_class(re.compile(r"\bpayment-authorized\b"))
    expiry = panel.locator("time.expiry-date")
    expect(expiry).to_have_count(1)
    expires_at = payment.expires_at if payment.expires_at.tzinfo else payment.expires_at.replace(tzinfo=UTC)
    assert datetime.fromisoformat(expiry.get_attribute("datetime")) == expires_at
    expect(expiry).to_contain_text(str(expires_at.year))
    expect(panel).to_contain_text(payment.klarna_order_id)


def test_finnish_and_swedish_shoppers_pay_with_klarna_and_the_merchant_sees_the_reservations(live_server, page):
    base, klarna_id = live_server.url, _klarna_method_id(live_server)
    server_errors = _no_server_errors(page)
    shoe, coffee, jacket = (_product(live_server, sku) for sku in ("RUN-001", "COF-101", "JKT-002"))
    journeys = {"fi": ([(shoe, 1), (coffee, 2)], "PAY_LATER", "INVOICE"),
                "sv": ([(jacket, 1), (coffee, 1)], "PAY_OVER_TIME", "FIXED_AMOUNT")}
    numbers = {}
    for code, (items, category, option_type) in journeys.items():
        page.context.clear_cookies()  # another shopper
        _fill_cart(page, base, code, items)
        _check_out_with_klarna(page, base, code, klarna_id)
        numbers[code] = _approve_at_klarna(page, code, category)
        _confirmation_shows(page, live_server, code, option_type)

    reserved = {code: _authorized_once(live_server, number) for code, number in numbers.items()}
    assert (reserved["fi"][0].currency, reserved["sv"][0].currency) == ("EUR", "SEK")
    assert [payment.payment_option for _, payment in reserved.values()] == ["INVOICE", "FIXED_AMOUNT"]

    page.context.clear_cookies()
    admin_login(page, base)
    for code, (order, payment) in reserved.items():
        _merchant_sees_reservation(page, base, order, payment)
        if code == "sv":
            expect(page.locator(".exchange-rate")).to_contain_text(SEK_PER_EUR)
        else:
            expect(page.locator(".exchange-rate")).to_have_count(0)

    for order, _ in reserved.values():  # Klarna's status callbacks come after the return and change nothing
        _eventually(lambda: _callbacks_received(live_server, order) > 0, f"no callback for order {order.number}")
        _authorized_once(live_server, order.number)
    assert server_errors == []


def test_cancelling_at_klarna_keeps_the_cart_and_retrying_pays_the_same_order(live_server, page):
    base, klarna_id = live_server.url, _klarna_method_id(live_server)
    server_errors = _no_server_errors(page)
    lamp, tea = _product(live_server, "LMP-006"), _product(live_server, "TEA-102")
    _fill_cart(page, base, "fi", [(lamp, 1), (tea, 3)])
    first_session = _check_out_with_klarna(page, base, "fi", klarna_id)

    page.locator('button[name="action"][value="cancel"]').click()
    expect(page).to_have_url(f"{base}/fi/cart")
    expect(page.locator("#flashes .flash-warning")).to_have_count(1)
    expect(page.locator(f"#cart-quantity-{lamp.id}")).to_have_value("1")
    expect(page.locator(f"#cart-quantity-{tea.id}")).to_have_value("3")
    expect(page.locator("#cart-badge .badge")).to_have_text("4")
    with live_server.session() as session:
        order = session.exec(select(Order).order_by(Order.id.desc())).first()
    assert order.status == "awaiting_payment"
    expect(page.locator("#pending-order")).to_contain_text(order.number)

    page.locator("#retry-payment").click()
    assert _on_hosted_page(page) != first_session
    number = _approve_at_klarna(page, "fi", "PAY_NOW")
    assert number == order.number
    _confirmation_shows(page, live_server, "fi", "DIRECT_DEBIT")

    first, second = _payments(live_server, order)
    assert (first.state, second.state) == (states.FAILED, states.AUTHORIZED)
    assert _order(live_server, number).status == "confirmed"
    assert _create_order_calls(live_server, order) == 1
    page.goto(f"{base}/fi/cart")
    expect(page.locator("#pending-order")).to_have_count(0)
    expect(page.locator("#cart tr[id^='cart-line-']")).to_have_count(0)
    assert server_errors == []
