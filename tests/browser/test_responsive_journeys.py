"""Shoppers on /fi/ and /sv/, on a desktop (1280 px) and on a phone (375 px): browse through the header's
categories, fill the cart, check out, pay on the simulator's hosted page and land on the confirmation.
Every step leaves a screenshot in test-artifacts/screenshots/<language>-<width>-<step>.png."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.layout import DESKTOP, PHONE, page_width, widest_element
from tests.browser.test_klarna_checkout_journey import (
    _approve_at_klarna, _check_out_with_klarna, _confirmation_shows, _fill_cart, _klarna_method_id, _product,
)
from tests.conftest import TRANSLATIONS

pytestmark = pytest.mark.browser

ITEMS = {"fi": ("RUN-001", "PAY_LATER", "INVOICE"), "sv": ("JKT-002", "PAY_OVER_TIME", "FIXED_AMOUNT")}


@pytest.fixture
def live_server_overrides():
    return {"BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS}  # the shop in Finnish and Swedish, as shoppers see it


class Screenshots:
    def __init__(self, page: Page, folder: Path, journey: str):
        self.page, self.folder, self.journey = page, folder, journey

    def take(self, step: str) -> None:
        """Saves the step, and checks on the way that the page fits the screen's width."""
        self.page.screenshot(path=str(self.folder / f"{self.journey}-{step}.png"), full_page=True)
        width = self.page.viewport_size["width"]
        assert page_width(self.page) <= width, f"{self.journey} {step}: wider than {width} px: {widest_element(self.page)}"


@pytest.fixture
def screenshot_folder(request) -> Path:
    folder = Path(request.config.rootpath) / ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _browse_to_a_category(page: Page) -> None:
    """Through the header: on a phone the categories are behind its menu."""
    menu = page.locator("header.site .header-menu")
    if page.viewport_size["width"] < DESKTOP["width"]:
        expect(page.locator("header.site .categories")).to_be_hidden()
        menu.locator("summary").click()
    category = page.locator("header.site .categories a").first
    name = category.inner_text()
    category.click()
    expect(page.locator("h1")).to_have_text(name)


@pytest.mark.parametrize("code", ["fi", "sv"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_shopper_browses_checks_out_and_pays_with_klarna(live_server, page: Page, code, viewport, screenshot_folder):
    base, klarna_id = live_server.url, _klarna_method_id(live_server)
    sku, category, option_type = ITEMS[code]
    page.set_viewport_size(viewport)
    shots = Screenshots(page, screenshot_folder, f"{code}-{viewport['width']}")

    page.goto(f"{base}/{code}/")
    header = page.locator("header.site").bounding_box()
    assert header["height"] <= 64, f"the header takes {header['height']} px: more than one row"
    shots.take("1-front")
    _browse_to_a_category(page)
    shots.take("2-category")
    _fill_cart(page, base, code, [(_product(live_server, sku), 2)])
    shots.take("3-product")
    page.goto(f"{base}/{code}/cart")
    shots.take("4-cart")
    _check_out_with_klarna(page, base, code, klarna_id)
    shots.take("5-hosted-payment-page")
    number = _approve_at_klarna(page, code, category)
    _confirmation_shows(page, live_server, code, option_type)
    expect(page.locator("h1")).to_be_visible()
    assert re.fullmatch(r"\d+", number)
    shots.take("6-confirmation")
