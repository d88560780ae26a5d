"""Product listings are rendered once per catalogue generation; a committed catalogue change shows at once,
and the per-request parts (the CSRF token, the cart badge) stay the shopper's own."""
from __future__ import annotations

import re

from sqlmodel import select

from shop.models import Product, ProductText
from shop.storefront import fragments

from .conftest import add_to_cart, product

TOKENS = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _product_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM product" in s]


def test_a_listing_shown_again_runs_no_product_query(client, query_counter):
    first = client.get("/fi/").get_data(as_text=True)
    query_counter.reset()
    again = client.get("/fi/").get_data(as_text=True)
    assert _product_queries(query_counter.statements) == []
    # The token is signed with a timestamp: two requests a second apart get different ones.
    assert TOKENS.sub("", again) == TOKENS.sub("", first) and "product-card" in again


def test_a_committed_product_change_shows_at_once(client, db_session):
    assert "Rain jacket" in client.get("/en/").get_data(as_text=True)
    jacket = product(db_session, "rain-jacket")
    english = db_session.exec(select(ProductText).where(ProductText.product_id == jacket.id,
                                                         ProductText.language == "en")).one()
    english.name = "Storm shell"  # the shopper's text: a product_text row
    db_session.add(english)
    db_session.commit()
    html = client.get("/en/").get_data(as_text=True)
    assert "Storm shell" in html and ">Rain jacket<" not in html


def test_a_bulk_stock_update_greys_the_card_at_once(client, db_session):
    from sqlmodel import update

    jacket = product(db_session, "rain-jacket")
    client.get("/en/")
    db_session.exec(update(Product).where(Product.id == jacket.id).values(stock=0))
    db_session.commit()
    html = client.get("/en/").get_data(as_text=True)
    card = re.search(r'<li class="card product-card greyed">\s*<a class="card-image" href="[^"]*rain-jacket"', html)
    assert card is not None


def test_a_rolled_back_change_keeps_the_generation(client, db_session):
    client.get("/fi/")
    engine = db_session.get_bind()
    kept = fragments.generation(engine)
    jacket = product(db_session, "rain-jacket")
    jacket.price += 100
    db_session.add(jacket)
    db_session.flush()
    db_session.rollback()
    assert fragments.generation(engine) == kept


def test_every_shopper_gets_their_own_token_and_cart_count_from_a_cached_listing(app, client, db_session):
    other = app.test_client()
    add_to_cart(client, "fi", product(db_session, "rain-jacket"), 2)
    mine, theirs = client.get("/fi/").get_data(as_text=True), other.get("/fi/").get_data(as_text=True)
    assert set(TOKENS.findall(mine)) != set(TOKENS.findall(theirs))
    assert len(set(TOKENS.findall(mine))) == 1 and len(set(TOKENS.findall(theirs))) == 1
    assert fragments.TOKEN_PLACEHOLDER not in mine
    assert re.search(r'class="badge"[^>]*>2<', mine) and re.search(r'class="badge"[^>]*>0<', theirs)
    cards = re.findall(r'id="add-to-cart-\d+"', mine)
    assert len(cards) == len(re.findall(r'id="add-to-cart-\d+"', theirs)) > 0


def test_tables_added_to_the_catalogue_later_count_by_their_names():
    for name in ("product", "category", "vat_rate", "shop_version", "product_translation", "product_image",
                 "price_list", "price_list_entry"):
        assert fragments.is_catalogue_table(name), name
    for name in ("order", "order_line", "cart", "cart_item", "payment"):
        assert not fragments.is_catalogue_table(name), name


def test_the_front_page_runs_the_same_queries_for_a_larger_catalogue(client, db_session, query_counter):
    client.get("/fi/")
    query_counter.reset()
    client.get("/fi/?page=1")
    few = len(query_counter)
    db_session.add_all(Product(sku=f"EXTRA-{i}", slug=f"extra-{i}", name=f"Extra {i}", price=990, stock=5)
                       for i in range(60))
    db_session.commit()
    query_counter.reset()
    client.get("/fi/?page=1")
    assert len(query_counter) == few
    assert len(db_session.exec(select(Product)).all()) > 60


def test_a_committed_price_list_change_shows_on_the_cached_listing_at_once(client, db_session):
    from shop.models import ShopVersion, VersionProductPrice

    sweden = db_session.exec(select(ShopVersion).where(ShopVersion.code == "sv")).one()
    cap = product(db_session, "wool-cap")
    assert "299,00\xa0kr" not in client.get("/sv/").get_data(as_text=True)
    db_session.add(VersionProductPrice(version_id=sweden.id, product_id=cap.id, price=29900))
    db_session.commit()
    assert "299,00\xa0kr" in client.get("/sv/").get_data(as_text=True)
