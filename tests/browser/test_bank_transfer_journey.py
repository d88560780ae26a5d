"""Issue 2 in Chromium: a shopper on /sv/ pays by bank transfer; the merchant ships the order in two parts."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import selectinload
from sqlmodel import select

from shop.models import Order, PaymentMethod, Product
from tests.browser.conftest import LiveServer, admin_login

pytestmark = pytest.mark.browser

SHOPPER = {"email": "anna@example.se", "given_name": "Anna", "family_name": "Svensson",
           "street_address": "Storgatan 1", "postal_code": "113 51", "city": "Stockholm"}
SEK = re.compile(r"\d,\d\d\s(kr|SEK)")  # 1 234,50 kr in Swedish, 1 234,50 SEK in the Finnish admin


def _product(live_server: LiveServer, sku: str) -> Product:
    with live_server.session() as session:
        return session.exec(select(Product).where(Product.sku == sku)).one()


def _order(live_server: LiveServer, number: str) -> Order:
    with live_server.session() as session:
        return session.exec(select(Order).options(selectinload(Order.lines)).where(Order.number == number)).one()


def _add_to_cart(page: Page, product: Product, quantity: int, cart_count: int) -> None:
    form = page.locator(f"#add-to-cart-{product.id}")
    form.locator('input[name="quantity"]').fill(str(quantity))
    form.locator('button[type="submit"]').click()
    expect(page.locator("#cart-badge .badge")).to_have_text(str(cart_count))


def _check_out_by_bank_transfer(page: Page) -> str:
    page.locator("#cart-badge").click()
    page.locator("#cart a[href$='/sv/checkout']").click()
    expect(page).to_have_url(re.compile(r"/sv/checkout$"))
    for field, value in SHOPPER.items():
        page.locator(f"form.checkout-form #{field}").fill(value)
    page.get_by_role("radio", name=re.compile("Banköverföring")).check()  # Bank transfer, in Swedish
    page.locator("form.checkout-form button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/sv/order/"))
    number = page.locator(".order-number strong").inner_text().strip()
    assert number.isdigit(), f"no order number on the confirmation: {number!r}"
    expect(page.locator(".payment-instructions")).to_contain_text(number)
    expect(page.locator(".order-lines tfoot")).to_contain_text(SEK)
    expect(page.locator(".order-lines")).to_contain_text("Terränglöparsko")
    return number


def _ship(page: Page, action: str, status: str, quantities: dict[int, int] | None = None) -> None:
    shipping = page.locator("#order-shipping")
    for line_id, quantity in (quantities or {}).items():
        shipping.locator(f'input[name="quantity_{line_id}"]').fill(str(quantity))
    shipping.locator(f'button[name="action"][value="{action}"]').click()
    expect(page.locator("#order-status .status")).to_have_class(re.compile(rf"\bstatus-{status}\b"))
    expect(shipping.locator(".ship-confirmation")).to_have_count(0)  # nothing to charge: nothing to confirm


def test_shopper_pays_by_bank_transfer_and_merchant_ships_in_two_parts(live_server, page):
    shoe, coffee = _product(live_server, "RUN-001"), _product(live_server, "COF-101")

    page.goto(f"{live_server.url}/fi/p/{shoe.slug}")
    expect(page.locator("h1")).to_have_text("Polkujuoksukenkä")  # the catalogue in Finnish on /fi/
    page.goto(f"{live_server.url}/sv/")
    expect(page.locator(f"#add-to-cart-{shoe.id}").locator("xpath=..")).to_contain_text("Terränglöparsko")
    _add_to_cart(page, shoe, 2, cart_count=2)
    _add_to_cart(page, coffee, 1, cart_count=3)
    number = _check_out_by_bank_transfer(page)

    order = _order(live_server, number)
    assert (order.currency, order.status) == ("SEK", "awaiting_payment")
    with live_server.session() as session:
        assert session.exec(select(PaymentMethod.name).where(PaymentMethod.id == order.payment_method_id)).one() \
            == "Bank transfer"
    lines = {line.reference: line.id for line in order.goods_lines}

    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/orders")
    page.locator("#orders-table").get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/admin/orders/{number}")
    expect(page.locator(".exchange-rate")).to_contain_text("11,235")
    expect(page.locator("#order-totals")).to_contain_text(SEK)

    _ship(page, "selected", "partially_shipped", {lines["RUN-001"]: 1, lines["COF-101"]: 0})
    _ship(page, "all", "shipped")
    expect(page.locator("#order-shipping .shipments li")).to_have_count(2)

    shipped = _order(live_server, number)
    assert shipped.status == "shipped"
    assert all(line.shipped_quantity == line.quantity for line in shipped.goods_lines)
    assert _product(live_server, "RUN-001").stock == shoe.stock - 2
