"""axe-core on the main pages, on a desktop and on a phone: no serious or critical violation.
axe is injected as a script, which the shop's Content-Security-Policy forbids: this module's pages bypass it."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import admin_login, klarna_paid_order
from tests.browser.layout import DESKTOP, PHONE

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture
def browser_context_options():
    return {"bypass_csp": True}


@pytest.fixture
def live_server_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}


def _violations(page: Page, name: str) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{name}: {violation['impact']} {violation['id']} ({violation['help']}): "
            + "; ".join(" ".join(node["target"]) + " — " + node["failureSummary"].replace("\n", " ")
                        for node in violation["nodes"][:5])
            for violation in result["violations"] if violation["impact"] in SERIOUS]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_the_main_pages_have_no_serious_accessibility_violations(live_server, page: Page, viewport):
    order, _payment = klarna_paid_order(live_server, (("RUN-001", 1), ("COF-101", 2)))
    base, found = live_server.url, []
    page.set_viewport_size(viewport)

    def check(path: str | None, name: str | None = None) -> None:
        if path:
            page.goto(base + path)
        found.extend(_violations(page, name or path))

    check("/fi/")
    check("/fi/p/trail-running-shoe")
    page.locator("form.add-to-cart button[type='submit']").first.click()
    expect(page.locator("#cart-badge .badge")).to_have_text("1")
    check("/fi/cart")
    page.goto(f"{base}/fi/checkout")
    page.locator("form.checkout-form").evaluate("form => { form.noValidate = true; }")
    page.locator("form.checkout-form button[type='submit']").click()
    expect(page.locator(".checkout-form .error").first).to_be_visible()
    check(None, "/fi/checkout with errors")
    check(f"/fi/order/{order.token}")
    check("/admin/login")
    _hide_everywhere(live_server, "Bank transfer")  # the payment methods page then greys a hidden method's title
    admin_login(page, base)
    for path in ("/admin/", "/admin/orders", f"/admin/orders/{order.number}", "/admin/settings/payment-methods"):
        check(path)
    assert found == [], "serious or critical accessibility violations:\n" + "\n".join(found)


def _hide_everywhere(live_server, name: str) -> None:
    from sqlmodel import select

    from shop.models import PaymentMethod

    with live_server.session() as session:
        method = session.exec(select(PaymentMethod).where(PaymentMethod.name == name)).one()
        for link in list(method.versions):
            session.delete(link)
        session.commit()
