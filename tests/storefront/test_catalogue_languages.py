"""The catalogue in the shopper's language: names and descriptions, fallbacks, Klarna's order lines, query counts."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import Category, CategoryText, Order, Payment, Product, ProductText

from .conftest import add_to_cart, product
from .test_catalog import queries_for
from .test_checkout import checkout
from .test_klarna_checkout import klarna_checkout, on_hosted_page
from tests.klarna_fixtures import app, app_overrides, callbacks, simulator  # noqa: F401  (fixtures)

SHOWN = {  # version: (category, jacket, its description, shipping method, bank transfer and its instructions)
    "fi": ("Ulkoilu", "Sadetakki", "Hengittävä takki, joka pitää kuivana syyssateessakin.", "Kotiinkuljetus",
           "Tilisiirto", "Maksa tilille FI49 5000 9420 0287 30"),
    "sv": ("Friluftsliv", "Regnjacka", "En andningsbar jacka som håller dig torr även i höstregn.", "Hemleverans",
           "Banköverföring", "Betala till FI49 5000 9420 0287 30"),
}


@pytest.mark.parametrize("code", ["fi", "sv"])
def test_catalogue_and_product_page_speak_the_version_s_language(client, code):
    category, jacket, description, *_rest = SHOWN[code]
    front = client.get(f"/{code}/").get_data(as_text=True)
    assert f">{category}<" in front and jacket in front and "Rain jacket" not in front
    listing = client.get(f"/{code}/c/outdoor").get_data(as_text=True)
    assert f"<h1>{category}</h1>" in listing and jacket in listing
    page = client.get(f"/{code}/p/rain-jacket").get_data(as_text=True)
    assert f"<h1>{jacket}</h1>" in page and description in page and f">{category}</a>" in page


@pytest.mark.parametrize("code", ["fi", "sv"])
def test_cart_checkout_and_confirmation_speak_the_version_s_language(client, db_session, code):
    _category, jacket, _description, shipping, bank, instructions = SHOWN[code]
    assert add_to_cart(client, code, product(db_session, "rain-jacket"), 1).status_code == 303
    assert jacket in client.get(f"/{code}/cart").get_data(as_text=True)
    page = client.get(f"/{code}/checkout").get_data(as_text=True)
    assert jacket in page and shipping in page and bank in page and "Bank transfer" not in page
    response = checkout(client, db_session, code=code, postal_code="00100" if code == "fi" else "113 51")
    assert response.status_code == 303
    confirmation = client.get(response.location).get_data(as_text=True)
    assert jacket in confirmation and shipping in confirmation and bank in confirmation
    assert instructions in confirmation
    order = db_session.exec(select(Order)).one()
    assert [line.name for line in order.lines] == [jacket, shipping]  # snapshotted as the shopper saw them


@pytest.mark.parametrize("code, shoe, honey, shipping", [
    ("fi", "Polkujuoksukenkä", "Metsähunaja 350 g", "Kotiinkuljetus"),
    ("sv", "Terränglöparsko", "Skogshonung 350 g", "Hemleverans"),
])
def test_klarna_gets_the_order_lines_in_the_shopper_s_language(client, db_session, simulator, code, shoe, honey,
                                                               shipping):
    assert add_to_cart(client, code, product(db_session, "trail-running-shoe"), 1).status_code == 303
    assert add_to_cart(client, code, product(db_session, "forest-honey-350-g"), 2).status_code == 303
    assert client.get(on_hosted_page(client, klarna_checkout(client, db_session, code=code))).status_code == 303
    db_session.expire_all()
    payment = db_session.exec(select(Payment)).one()
    klarna = simulator.get_order(payment.klarna_order_id)
    assert sorted(line["name"] for line in klarna["order_lines"]) == sorted([shoe, honey, shipping])


def _texts(session, slug: str, **names: str) -> Product:
    item = product(session, slug)
    for text in list(item.texts):
        session.delete(text)
    session.flush()
    for language, name in names.items():
        session.add(ProductText(product_id=item.id, language=language, name=name, description=f"{name}."))
    session.commit()
    return item


def test_a_language_without_a_text_shows_the_default_version_s_then_the_base_name(client, db_session):
    _texts(db_session, "wool-cap", fi="Pipo")  # no Swedish, no English text
    _texts(db_session, "head-lamp")  # no text at all
    sv = client.get("/sv/c/outdoor").get_data(as_text=True)
    assert "Pipo" in sv and "Head lamp" in sv  # the default version (fi)'s text, else the product's own name
    assert "Pipo." in client.get("/en/p/wool-cap").get_data(as_text=True)  # the description falls back the same way
    assert "Head lamp" in client.get("/fi/p/head-lamp").get_data(as_text=True)


def test_an_empty_name_in_a_text_falls_back_too(client, db_session):
    _texts(db_session, "wool-cap", fi="Pipo", sv="")
    assert "<h1>Pipo</h1>" in client.get("/sv/p/wool-cap").get_data(as_text=True)


def test_a_committed_category_text_shows_at_once_despite_the_process_cache(client, db_session):
    assert ">Ulkoilu<" in client.get("/fi/").get_data(as_text=True)
    outdoor = db_session.exec(select(Category).where(Category.slug == "outdoor")).one()
    text = db_session.exec(select(CategoryText).where(CategoryText.category_id == outdoor.id,
                                                      CategoryText.language == "fi")).one()
    text.name = "Retkeily"
    db_session.add(text)
    db_session.commit()
    assert ">Retkeily<" in client.get("/fi/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/fi/", "/sv/c/outdoor"])
def test_texts_in_every_language_add_no_queries_to_a_list_page(client, db_session, query_counter, url):
    add_to_cart(client, "fi", product(db_session, "rain-jacket"))
    add_to_cart(client, "sv", product(db_session, "rain-jacket"))
    outdoor = db_session.exec(select(Category).where(Category.slug == "outdoor")).one()
    plain = [Product(sku=f"PLAIN-{n}", slug=f"plain-{n}", name=f"Plain {n}", category_id=outdoor.id, price=100,
                     stock=5) for n in range(10)]
    db_session.add_all(plain)
    db_session.commit()
    without_texts = queries_for(client, query_counter, url)
    for item in plain:
        db_session.add_all([ProductText(product_id=item.id, language=language, name=f"{item.name} {language}")
                            for language in ("fi", "sv", "en")])
    db_session.commit()
    assert queries_for(client, query_counter, url) == without_texts <= 4, query_counter.statements
    assert "Plain 3 sv" in client.get("/sv/c/outdoor").get_data(as_text=True)


def test_the_product_page_and_cart_run_as_many_queries_with_texts_as_without(client, db_session, query_counter):
    assert add_to_cart(client, "fi", product(db_session, "rain-jacket")).status_code == 303
    with_texts = [queries_for(client, query_counter, url) for url in ("/fi/p/rain-jacket", "/fi/cart")]
    _texts(db_session, "rain-jacket")
    assert [queries_for(client, query_counter, url) for url in ("/fi/p/rain-jacket", "/fi/cart")] == with_texts
