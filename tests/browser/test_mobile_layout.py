"""At 375 px no page scrolls sideways: the storefront, the simulator's hosted payment page and the admin,
with every <details> open; and the merchant ships in parts, ships the rest and refunds from a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from shop.models import Category, OutboxMessage, PaymentMethod, Product, ShippingMethod, ShopVersion
from tests.browser.conftest import LiveServer, admin_login, klarna_paid_order
from tests.browser.layout import PHONE, open_every_disclosure, page_width, widest_element
from tests.klarna_fixtures import make_order, start_checkout

pytestmark = pytest.mark.browser

THREE_LINES = (("RUN-001", 1), ("COF-101", 2), ("CAP-003", 1))
ONE_ROW = 64  # px: a header of one row (the open menu floats below it)


@pytest.fixture
def live_server_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}  # payments stay as the test leaves them


class WidthCheck:
    """Visits pages at phone width and collects every one that is wider than the screen."""

    def __init__(self, page: Page, base: str):
        self.page, self.base, self.too_wide = page, base, []

    def visit(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 500, f"{path}: {response and response.status}"
        self.measure(path)

    def measure(self, name: str) -> None:
        open_every_disclosure(self.page)
        width = page_width(self.page)
        if width > PHONE["width"]:
            self.too_wide.append(f"{name}: {width} px, widest element {widest_element(self.page)}")
        header = self.page.locator("header.site")
        if header.count() and (height := header.bounding_box()["height"]) > ONE_ROW:
            self.too_wide.append(f"{name}: the header takes {height:.0f} px, more than one row")


def _catalogue(live_server: LiveServer) -> dict:
    with live_server.session() as session:
        first = lambda model: session.exec(select(model).order_by(model.id)).first()  # noqa: E731
        klarna = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one()
        return {"category": first(Category).slug, "product": first(Product).slug, "product_id": first(Product).id,
                "shipping_id": first(ShippingMethod).id, "version_id": first(ShopVersion).id, "klarna_id": klarna.id,
                "mail_id": first(OutboxMessage).id}


def _waiting_checkout(live_server: LiveServer):
    """An order whose shopper is on Klarna's hosted page and has not paid yet."""
    app = live_server.app
    with live_server.session() as session:
        order = make_order(session, products=THREE_LINES)
        payment = start_checkout(session, app.extensions["klarna_gateway"], order)
        return order.token, payment.id, payment.hpp_session_id


def _awaiting_order(live_server: LiveServer) -> str:
    with live_server.session() as session:
        return make_order(session, products=THREE_LINES).number


def _storefront(check: WidthCheck, names: dict, waiting, paid_order) -> None:
    page = check.page
    for code in ("fi", "sv"):
        check.visit(f"/{code}/")
        check.visit(f"/{code}/c/{names['category']}")
        check.visit(f"/{code}/p/{names['product']}")
        page.locator(f"#add-to-cart-{names['product_id']} button[type='submit']").click()
        expect(page.locator("#cart-badge .badge")).to_have_text("1")
        check.visit(f"/{code}/cart")
        check.visit(f"/{code}/checkout")
        page.locator("form.checkout-form").evaluate("form => { form.noValidate = true; }")  # the server's errors
        page.locator("form.checkout-form button[type='submit']").click()
        expect(page.locator(".checkout-form .error").first).to_be_visible()
        check.measure(f"/{code}/checkout with errors")
    token, payment_id, hpp_session = waiting
    check.visit(f"/fi/klarna/{token}/{payment_id}/success")
    check.visit(f"/_klarna/hpp/payments/{hpp_session}")
    check.visit(f"/fi/order/{paid_order.token}")


def _admin(check: WidthCheck, names: dict, paid_order, awaiting_number: str) -> None:
    check.visit("/admin/login")
    admin_login(check.page, check.base)
    for path in ("/admin/", "/admin/orders", f"/admin/orders/{paid_order.number}", "/admin/orders/new",
                 "/admin/mail", f"/admin/mail/{names['mail_id']}",
                 "/admin/settings/payment-methods", f"/admin/settings/payment-methods/{names['klarna_id']}",
                 "/admin/settings/payment-methods/new", "/admin/settings/payment-methods/new/klarna",
                 "/admin/settings/payment-methods/new/manual",
                 "/admin/settings/shop-versions", f"/admin/settings/shop-versions/{names['version_id']}",
                 "/admin/products", f"/admin/products/{names['product_id']}",
                 "/admin/shipping-methods", f"/admin/shipping-methods/{names['shipping_id']}"):
        check.visit(path)
    check.visit(f"/admin/orders/{awaiting_number}")
    check.page.locator("#payment-link button[type='submit']").click()
    expect(check.page.locator("#payment-link-url")).to_be_visible()
    check.measure(f"/admin/orders/{awaiting_number} with a payment link")


def test_no_page_scrolls_sideways_on_a_phone(live_server, browser):
    paid_order, _payment = klarna_paid_order(live_server, THREE_LINES)
    waiting, awaiting_number = _waiting_checkout(live_server), _awaiting_order(live_server)
    names = _catalogue(live_server)
    context = browser.new_context(viewport=PHONE)
    try:
        check = WidthCheck(context.new_page(), live_server.url)
        _storefront(check, names, waiting, paid_order)
        _admin(check, names, paid_order, awaiting_number)
    finally:
        context.close()
    assert check.too_wide == [], "pages wider than the phone:\n" + "\n".join(check.too_wide)


def _on_screen(locator) -> None:
    """Reachable without scrolling sideways: scrolled to, the element lies within the phone's width."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"off-screen: {box}"


def test_the_merchant_ships_in_parts_ships_the_rest_and_refunds_from_a_phone(live_server, page: Page):
    order, payment = klarna_paid_order(live_server, THREE_LINES, admin_locale="en")
    lines = {line.reference: line.id for line in order.goods_lines}
    page.set_viewport_size(PHONE)
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/orders/{order.number}")
    check = WidthCheck(page, live_server.url)
    shipping, panel = page.locator("#order-shipping"), page.locator(f"#payment-{payment.id}")

    for reference, line_id in lines.items():
        quantity = shipping.locator(f'input[name="quantity_{line_id}"]')
        _on_screen(quantity)
        quantity.fill("1" if reference == "RUN-001" else "0")
    shipping.get_by_role("button", name="Ship selected and charge for them with Klarna").click()
    expect(shipping.locator(".ship-confirmation")).to_contain_text("Klarna will charge the customer")
    expect(panel.locator(".payment-badge")).not_to_have_text("Partially activated")  # nothing charged yet
    shipping.locator('button[name="confirmed"][value="yes"]').click()
    expect(panel.locator(".payment-badge")).to_have_text("Partially activated")
    check.measure("order page after a partial shipment")

    page.locator('#order-shipping button[name="action"][value="all"]').click()
    shipping.locator('button[name="confirmed"][value="yes"]').click()
    expect(panel.locator(".payment-badge")).to_have_text("Paid")
    check.measure("order page after the rest was shipped")

    tool = panel.locator("details.tool-refund")
    if tool.get_attribute("open") is None:  # the width check above opens every <details>
        tool.locator("summary").click()
    refund = panel.locator(".tool-refund button[type='submit']")
    _on_screen(refund)
    refund.click()
    expect(panel.locator(".payment-badge")).to_have_text(re.compile("Refunded"))
    check.measure("order page after the refund")
    klarna = live_server.app.extensions["klarna_simulator"].get_order(payment.klarna_order_id)
    assert len(klarna["captures"]) == 2 and klarna["refunded_amount"] == klarna["captured_amount"]
    assert check.too_wide == [], "\n".join(check.too_wide)
