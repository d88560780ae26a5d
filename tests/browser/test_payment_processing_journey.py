"""Processing a Klarna payment in Chromium: partial shipment, extension, the rest shipped, instructions resent."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from flask_babel import force_locale
from playwright.sync_api import Page, expect

from shop.i18n import date
from shop.models import utcnow
from tests.browser.conftest import LiveServer, admin_login, klarna_paid_order

pytestmark = pytest.mark.browser

THREE_LINES = (("RUN-001", 1), ("COF-101", 2), ("CAP-003", 1))


@pytest.fixture
def live_server_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}  # the order is finalised below


def _shown_date(live_server: LiveServer, moment: datetime) -> str:
    with live_server.app.test_request_context(), force_locale("en"):
        return date(moment)


def _use_tool(panel, tool: str, confirm: str) -> None:
    panel.locator("summary", has_text=tool).click()
    panel.get_by_role("button", name=confirm).click()


def test_merchant_ships_in_parts_extends_and_resends(live_server, page: Page):
    order, payment = klarna_paid_order(live_server, THREE_LINES, admin_locale="en")
    lines = {line.reference: line.id for line in order.goods_lines}
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/orders/{order.number}")
    panel = page.locator(f"#payment-{payment.id}")
    expect(panel.locator(".payment-badge")).to_have_text("Reserved / awaiting activation")

    shipping = page.locator("#order-shipping")
    for reference, line_id in lines.items():
        shipping.locator(f'input[name="quantity_{line_id}"]').fill("1" if reference == "RUN-001" else "0")
    shipping.locator('button[name="action"][value="selected"]').click()
    confirmation = shipping.locator(".ship-confirmation")
    expect(confirmation).to_contain_text("Klarna will charge the customer")  # the amount, before anything is charged
    expect(panel.locator(".payment-badge")).to_have_text("Reserved / awaiting activation")
    confirmation.locator('button[name="confirmed"][value="yes"]').click()
    expect(panel.locator(".payment-badge")).to_have_text("Partially activated")
    expect(page.locator("#flashes")).to_contain_text("Klarna payment activated")

    live_server.app.extensions["klarna_simulator"].clock.advance(days=10)
    klarna_today = (utcnow() + timedelta(days=10)).date()
    new_expiry = _shown_date(live_server, datetime.combine(klarna_today + timedelta(days=28), time(0), tzinfo=UTC))
    _use_tool(panel, "Extend expiry", "Extend expiry now")
    expect(panel.locator(".expiry-date")).to_have_text(new_expiry)
    expect(page.locator("#flashes")).to_contain_text(f"Expiry date extended to {new_expiry}.")

    page.locator('#order-shipping button[name="action"][value="all"]').click()
    shipping.locator('.ship-confirmation button[name="confirmed"][value="yes"]').click()
    expect(panel.locator(".payment-badge")).to_have_text("Paid")
    expect(page.locator("#order-status .status")).to_have_class("status status-shipped")

    _use_tool(panel, "Resend payment instructions to customer", "Send the instructions again")
    expect(panel.locator(".payment-timeline li").first).to_contain_text("Payment instructions sent again")
    expect(page.locator("#flashes")).to_contain_text("Klarna sends the payment instructions to the customer again.")

    klarna = live_server.app.extensions["klarna_simulator"].get_order(payment.klarna_order_id)
    assert klarna["status"] == "CAPTURED" and len(klarna["captures"]) == 2
