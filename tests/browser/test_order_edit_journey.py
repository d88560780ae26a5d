"""Editing a Klarna-paid order in Chromium, in Finnish: a decrease Klarna approves, an increase Klarna
declines (the order stays as it was and Klarna's reason shows), both through htmx without a page load."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from playwright.sync_api import Page, expect

from shop.i18n import money
from shop.models import Order
from tests.browser.conftest import LiveServer, admin_login, klarna_paid_order
from tests.conftest import TRANSLATIONS

pytestmark = pytest.mark.browser

THREE_LINES = (("RUN-001", 1), ("COF-101", 2), ("CAP-003", 1))


@pytest.fixture
def live_server_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None, "BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS}


def _euros(live_server: LiveServer, amount: int) -> str:
    with live_server.app.test_request_context(), force_locale("fi"):
        return money(amount, "EUR")


def _order(live_server: LiveServer, order: Order) -> Order:
    with live_server.session() as session:
        found = session.get(Order, order.id)
        found.lines  # loaded while the session is open
        return found


def test_merchant_edits_an_uncaptured_order_in_finnish(live_server, page: Page):
    order, payment = klarna_paid_order(live_server, THREE_LINES, admin_locale="fi")
    simulator = live_server.app.extensions["klarna_simulator"]
    coffee = next(line for line in order.lines if line.reference == "COF-101")
    shoe = next(line for line in order.lines if line.reference == "RUN-001")
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/orders/{order.number}")
    loads = []
    page.on("load", lambda _page: loads.append(1))

    editor = page.locator("#order-edit")
    editor.locator("summary", has_text="Muokkaa tilausta").click()
    expect(editor).to_contain_text("Tallennus pyytää ensin Klarnaa hyväksymään uuden summan")
    editor.locator(f'input[name="quantity_{coffee.id}"]').fill("1")
    decreased = order.total - coffee.unit_price
    expect(editor.locator("#edit-preview")).to_contain_text(  # as the merchant types, nothing stored yet
        f"Uusi summa: {_euros(live_server, decreased)} (nyt {_euros(live_server, order.total)}).")
    editor.get_by_role("button", name="Tallenna", exact=True).click()
    expect(page.locator("#flashes")).to_contain_text("Klarna hyväksyi uuden summan")
    expect(page.locator("#order-totals .total")).to_have_text(_euros(live_server, decreased))
    expect(page.locator("#order-events")).to_contain_text("Tilausta muokattu")
    assert simulator.get_order(payment.klarna_order_id)["order_amount"] == decreased

    simulator.orders.set_reject_increases(payment.klarna_order_id)
    editor = page.locator("#order-edit")  # swapped in closed after the save
    editor.locator("summary", has_text="Muokkaa tilausta").click()
    editor.locator(f'input[name="quantity_{shoe.id}"]').fill("3")
    editor.get_by_role("button", name="Tallenna", exact=True).click()
    problem = page.locator("#order-edit .edit-problem")
    expect(problem).to_contain_text("Klarna ei hyväksynyt muutosta, joten tilaus pysyy ennallaan.")
    expect(problem).to_contain_text("Update not allowed. The increase was declined.")
    expect(problem).to_contain_text("Klarnan korrelaatiotunnus")
    expect(page.locator("#order-edit .edit-offer")).to_contain_text("Luo uusi maksutapahtuma")
    expect(page.locator(f'#order-edit input[name="quantity_{shoe.id}"]')).to_have_value("3")
    expect(page.locator("#order-totals .total")).to_have_text(_euros(live_server, decreased))
    assert _order(live_server, order).total == decreased
    assert simulator.get_order(payment.klarna_order_id)["order_amount"] == decreased
    assert not loads  # both saves were swapped in by htmx
