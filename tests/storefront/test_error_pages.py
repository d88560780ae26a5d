"""Error pages keep the layout of where the request was: a shop version's header, navigation and cart in
its language, the admin's layout in the admin, the default version's elsewhere; with the database down
they fall back to a plain page and never fail themselves."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from shop.db import get_engine
from shop.models import User
from tests.conftest import ADMIN_EMAIL, TRANSLATIONS, login

from .conftest import HTMX, add_to_cart, product


@pytest.fixture
def app_overrides() -> dict:
    return {"BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS}  # the real catalogs: the page speaks the version's language


@pytest.fixture
def no_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an exception becomes the 500 page


def header_of(html: str) -> str:
    return html[html.index("<header"):html.index("</header>")]


def test_an_unknown_page_inside_a_version_keeps_its_header_cart_and_language(client, db_session):
    add_to_cart(client, "fi", product(db_session, "rain-jacket"), 2)
    response = client.get("/fi/no-such-product")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fi">' in html
    header = header_of(html)
    assert 'href="/fi/c/outdoor"' in header  # the categories of the version
    assert "Ostoskori" in header and '<span class="badge" aria-label="2 tuotetta">2</span>' in header
    assert "<h1>Sivua ei löytynyt</h1>" in html
    assert '<a href="/fi/">Siirry etusivulle</a>' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_missing_product_in_the_swedish_version_is_a_swedish_page(client, htmx):
    response = client.get("/sv/p/no-such-product", headers=HTMX if htmx else {})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="sv">' in html and "Varukorg" in header_of(html)
    assert "<h1>Sidan hittades inte</h1>" in html and '<a href="/sv/">' in html
    switcher = header_of(html)[header_of(html).index('class="versions"'):]
    assert 'href="/fi/"' in switcher and 'href="/en/"' in switcher  # front pages: the product exists nowhere


@pytest.mark.parametrize("url", ["/no/such/page", "/xx/p/rain-jacket", "/sitemap.xml"])
def test_an_error_outside_any_version_uses_the_default_versions_layout(client, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fi">' in html and 'id="cart-badge" class="cart-link" href="/fi/cart"' in html
    assert "<h1>Sivua ei löytynyt</h1>" in html


@pytest.mark.parametrize("url", ["/admin/no-such-page", "/admin/orders/999999"])
def test_an_admin_error_keeps_the_admin_layout_in_the_admins_language(client, db_session, url):
    admin = db_session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
    admin.locale = "sv"
    db_session.commit()
    login(client)
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="sv">' in html and 'class="site admin-header"' in html
    assert 'class="admin-nav"' in html and "Beställningar" in html
    assert 'id="cart-badge"' not in html
    assert "<h1>Sidan hittades inte</h1>" in html and '<a href="/admin/">' in html


def test_a_server_error_inside_a_version_keeps_the_shop_layout(app, client, db_session, monkeypatch, no_propagation):
    add_to_cart(client, "en", product(db_session, "rain-jacket"))

    def broken_view(**_arguments):
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "storefront.product", broken_view)
    response = client.get("/en/p/rain-jacket")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html and '<span class="badge" aria-label="1 item">1</span>' in html
    assert "<h1>Something went wrong</h1>" in html


def database_down(app, monkeypatch) -> None:
    def refuse(*_arguments, **_keywords):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("the database is down"))

    monkeypatch.setattr(get_engine(app), "connect", refuse)


@pytest.mark.parametrize(("url", "status", "heading"), [
    ("/fi/p/rain-jacket", 500, "Jokin meni vikaan"), ("/fi/no-such-product", 404, "Sivua ei löytynyt"),
])
def test_with_the_database_down_the_error_page_is_plain(app, client, db_session, monkeypatch, no_propagation,
                                                        url, status, heading):
    add_to_cart(client, "fi", product(db_session, "rain-jacket"))  # the header would have to read the cart
    database_down(app, monkeypatch)
    response = client.get(url)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "<header" not in html and '<a href="/">' in html


def test_an_error_page_that_cannot_render_at_all_answers_in_text(app, client, monkeypatch):
    import shop.error_pages

    def broken_template(*_arguments, **_keywords):
        raise RuntimeError("templates are gone")

    monkeypatch.setattr(shop.error_pages, "render_template", broken_template)
    response = client.get("/fi/no-such-product")
    assert response.status_code == 404 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith("Valitettavasti")  # still in the version's language
