"""In Chromium: the merchant uploads an image on the product's admin page and the shop's product page shows it."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from shop.models import Product
from tests.browser.conftest import LiveServer, admin_login
from tests.image_fixtures import image_bytes

pytestmark = pytest.mark.browser


def test_an_uploaded_image_is_shown_on_the_product_page(live_server: LiveServer, page: Page):
    with live_server.session() as session:
        jacket = session.exec(select(Product).where(Product.sku == "JKT-002")).one()
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}/admin/products/{jacket.id}")
    section = page.locator("#images")
    photo = image_bytes(1800, 1200, "PNG", colour=(20, 90, 160))
    section.locator('input[type="file"]').set_input_files(
        files=[{"name": "jacket.png", "mimeType": "image/png", "buffer": photo}])
    section.locator(".upload-form").get_by_label("Alt text (Suomi)").fill("Sininen sadetakki")
    section.get_by_role("button", name="Upload image").click()
    expect(page.locator("#flashes")).to_contain_text("Image added.")
    expect(section.locator(".image-item")).to_have_count(2)

    page.goto(f"{live_server.url}/fi/p/{jacket.slug}")
    picture = page.locator("img.product-image-page")
    expect(picture).to_have_attribute("alt", "Sadetakki")  # the demo image is still first: no alt, the Finnish name
    page.goto(f"{live_server.url}/admin/products/{jacket.id}")
    page.locator("#images .image-item").nth(1).get_by_role("button", name="Make main image").click()
    expect(page.locator("#flashes")).to_contain_text("Main image chosen.")

    page.goto(f"{live_server.url}/fi/p/{jacket.slug}")
    expect(picture).to_have_attribute("alt", "Sininen sadetakki")
    page.wait_for_function("document.querySelector('img.product-image-page').complete")
    assert page.evaluate("document.querySelector('img.product-image-page').naturalWidth") > 0
    assert page.evaluate("document.querySelector('img.product-image-page').currentSrc").startswith(
        f"{live_server.url}/media/")
