"""The browser-test machinery itself: the live app is served, knows its own URL, and runs offline."""
import json

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_live_server_is_its_own_public_url(live_server, page):
    assert live_server.app.config["PUBLIC_URL"] == live_server.url
    response = page.goto(f"{live_server.url}/healthz")
    assert response.status == 200
    assert json.loads(page.locator("body").inner_text())["status"] == "ok"


def test_pages_load_htmx_and_css_from_the_shop_itself(live_server, page):
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    response = page.goto(f"{live_server.url}/no/such/page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined")
    csrf_header = json.loads(page.locator("body").get_attribute("hx-headers"))
    assert csrf_header["X-CSRFToken"]
    assert page.evaluate("() => getComputedStyle(document.body).fontFamily") != ""
    assert failed == []
