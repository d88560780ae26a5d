"""Issue 8 in Chromium, in Finnish: the merchant edits an uncaptured Klarna order (a decrease Klarna approves,
an increase it declines), ships it, registers a return and refunds the overpayment less a return cost;
Klarna gets exactly the typed amount with a return fee line."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from playwright.sync_api import Page, expect

from shop.i18n import money
from tests.browser.conftest import LiveServer, admin_login, klarna_paid_order
from tests.conftest import TRANSLATIONS

pytestmark = pytest.mark.browser

# 144.90 €; one cap fewer makes 2 × 24.90 + 4.50 + 2 × 29.90 + 5.90 shipping = 120.00 €
SIX_ITEMS = (("CAP-003", 3), ("CHO-103", 1), ("BK-201", 2))


@pytest.fixture
def live_server_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None, "BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS}


def _euros(live_server: LiveServer, amount: int) -> str:
    with live_server.app.test_request_context(), force_locale("fi"):
        return money(amount, "EUR")


def _edit_cap_quantity(page: Page, line_id: int, quantity: str) -> None:
    card = page.locator("#order-edit")
    details = card.locator("details.order-edit")
    if details.get_attribute("open") is None:
        card.locator("summary", has_text="Muokkaa tilausta").click()
    card.locator(f'input[name="quantity_{line_id}"]').fill(quantity)
    card.get_by_role("button", name="Tallenna", exact=True).click()


def test_merchant_edits_ships_registers_a_return_and_refunds_the_overpayment_less_a_return_cost(
        live_server, page: Page):
    order, payment = klarna_paid_order(live_server, SIX_ITEMS)
    simulator = live_server.app.extensions["klarna_simulator"]
    lines = {line.reference: line.id for line in order.lines}
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/orders/{order.number}")
    panel = page.locator(f"#payment-{payment.id}")
    total = page.locator("#order-totals .total")

    _edit_cap_quantity(page, lines["CAP-003"], "2")  # a decrease: Klarna approves
    expect(page.locator("#flashes")).to_contain_text(
        f"Tilaus tallennettu: summa {_euros(live_server, 14490)} → {_euros(live_server, 12000)}.")
    expect(total).to_have_text(_euros(live_server, 12000))
    assert simulator.get_order(payment.klarna_order_id)["order_amount"] == 12000

    simulator.orders.set_reject_increases(payment.klarna_order_id)
    _edit_cap_quantity(page, lines["CAP-003"], "3")  # an increase: Klarna declines, nothing changes
    problem = page.locator("#order-edit .edit-problem")
    expect(problem).to_contain_text("Klarna ei hyväksynyt muutosta, joten tilaus pysyy ennallaan.")
    expect(problem).to_contain_text("Update not allowed")
    expect(problem).to_contain_text("Klarnan korrelaatiotunnus")
    page.reload()
    expect(total).to_have_text(_euros(live_server, 12000))
    assert simulator.get_order(payment.klarna_order_id)["order_amount"] == 12000

    page.locator('#order-shipping button[name="action"][value="all"]').click()
    page.locator('#order-shipping .ship-confirmation button[name="confirmed"][value="yes"]').click()
    expect(panel.locator(".payment-badge")).to_have_text("Maksettu")

    returns = page.locator("#order-returns")
    returns.locator("summary", has_text="Kirjaa palautus").click()
    returns.locator(f'input[name="return_{lines["CAP-003"]}"]').fill("1")
    returns.locator(f'input[name="return_{lines["BK-201"]}"]').fill("1")
    returns.get_by_role("button", name="Tallenna palautus").click()
    overpaid = _euros(live_server, 2490 + 2990)
    expect(returns.locator(".overpayment")).to_contain_text(
        f"Asiakas on maksanut {overpaid} enemmän kuin tilauksen loppusumma.")
    expect(page.locator("#order-totals .total")).to_have_text(_euros(live_server, 12000 - 2490 - 2990))
    expect(page.locator("#order-events")).to_contain_text("1 × Villapipo, 1 × Pohjolan retkeilyreitit")

    returns.locator("summary", has_text="Palauta liikasuoritus").click()
    amount = returns.get_by_label("Palautettava summa")
    expect(amount).to_have_value("54,80")
    amount.fill("48,90")  # the merchant keeps 5,90 € as a return cost
    returns.get_by_role("button", name="Palauta nyt").click()
    expect(page.locator("#flashes")).to_contain_text(f"{_euros(live_server, 4890)} palautettu asiakkaalle.")
    expect(returns.locator(".overpayment")).to_have_count(0)
    expect(page.locator("#order-shipping")).to_contain_text("Palautuskulu")
    expect(panel.locator(".payment-badge")).to_have_text("Osittain palautettu")

    klarna = live_server.app.extensions["klarna_simulator"].get_order(payment.klarna_order_id)
    [refund] = klarna["refunds"]
    assert refund["refunded_amount"] == 4890
    assert [(line["type"], line["total_amount"]) for line in refund["order_lines"] if line["type"] == "return_fee"] \
        == [("return_fee", -590)]
