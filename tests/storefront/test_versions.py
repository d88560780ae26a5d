"""Shop versions by URL prefix: redirect, currency and language per version, the header."""
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from shop.pricing import load_price_list

from .conftest import product, version


def test_root_redirects_to_the_default_version(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location == "/fi/"


def test_root_falls_back_to_the_configured_version(app, client, db_session):
    for code in ("fi", "sv", "en"):
        version(db_session, code).is_default = False
    db_session.commit()
    app.config["DEFAULT_VERSION"] = "en"
    assert client.get("/").location == "/en/"


@pytest.mark.parametrize("url", ["/xx/", "/xx/p/rain-jacket", "/fi/p/no-such-product", "/fi/c/no-such-category"])
def test_unknown_version_or_page_is_404(client, url):
    assert client.get(url).status_code == 404


def test_inactive_version_is_404(client, db_session):
    version(db_session, "en").active = False
    db_session.commit()
    assert client.get("/en/").status_code == 404


def test_swedish_version_shows_its_price_list_in_sek(client, db_session):
    sv = load_price_list(db_session, version(db_session, "sv"))
    shoe, jacket = product(db_session, "trail-running-shoe"), product(db_session, "rain-jacket")
    assert sv.product_price(shoe) == 100900  # 89,90 EUR × 11,2350 = 1 010,03 SEK, to whole kronor ending in 9
    assert sv.product_price(jacket) == 149500  # set in the Swedish price list
    html = client.get("/sv/").get_data(as_text=True)
    for price in (100900, 149500):
        assert format_currency(Decimal(price).scaleb(-2), "SEK", locale="sv_SE") in html  # "1 009,00 kr"
    assert "1 449,32" not in html
    assert "incl. VAT 25 %" in html  # Sweden's standard rate
    assert '<html lang="sv">' in html


def test_finnish_version_shows_eur_and_its_vat_rate(client):
    html = client.get("/fi/p/rain-jacket").get_data(as_text=True)
    assert format_currency(Decimal("129.00"), "EUR", locale="fi_FI") in html
    assert "incl. VAT 25,5 %" in html
    assert '<html lang="fi">' in html


def test_header_has_shop_name_categories_language_switcher_and_cart_badge(client):
    html = client.get("/en/").get_data(as_text=True)
    header = html[html.index("<header"):html.index("</header>")]
    assert "Nordshop" in header
    assert 'href="/en/c/outdoor"' in header
    switcher = header[header.index('class="versions"'):]
    assert 'href="/fi/"' in switcher and 'href="/sv/"' in switcher
    assert 'href="/en/"' not in switcher  # the current version is not offered as a switch
    assert 'id="cart-badge"' in header
