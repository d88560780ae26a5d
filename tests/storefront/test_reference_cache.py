"""Shop versions, VAT rates and categories are read once per process, and a change shows at once."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from shop.models import Category, VatRate
from shop.storefront import reference

from .conftest import version


def _reference_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if any(table in s for table in ("shop_version", "vat_rate", "FROM category"))]


@pytest.mark.parametrize("url", ["/fi/", "/sv/c/outdoor", "/en/p/rain-jacket", "/fi/cart"])
def test_a_storefront_page_does_not_query_versions_rates_or_categories(client, query_counter, url):
    assert client.get(url).status_code == 200  # the first request of the process loads them
    query_counter.reset()
    assert client.get(url).status_code == 200
    assert _reference_queries(query_counter.statements) == []


def test_a_committed_vat_change_shows_at_once(client, db_session):
    assert "incl. VAT 25,5 %" in client.get("/fi/p/rain-jacket").get_data(as_text=True)
    rate = db_session.exec(select(VatRate).where(VatRate.version_id == version(db_session, "fi").id,
                                                 VatRate.tax_class == "standard")).one()
    rate.rate = 2400
    db_session.add(rate)
    db_session.commit()
    assert "incl. VAT 24 %" in client.get("/fi/p/rain-jacket").get_data(as_text=True)


def test_a_rolled_back_change_keeps_the_cache(app, client, db_session):
    client.get("/fi/")
    kept = reference.reference(db_session.get_bind())
    category = db_session.exec(select(Category)).first()
    category.name = "Renamed"
    db_session.add(category)
    db_session.flush()
    db_session.rollback()
    assert reference.reference(db_session.get_bind()) is kept


def test_another_process_s_change_shows_within_the_cache_time(app, client, db_session, monkeypatch):
    client.get("/en/")
    other_process = create_engine(app.config["DATABASE_URL"])  # no ORM session of ours sees this write
    with other_process.begin() as connection:
        connection.execute(text("UPDATE category_text SET name = 'Trails' WHERE language = 'en' AND category_id = "
                                "(SELECT id FROM category WHERE slug = 'outdoor')"))
    other_process.dispose()
    assert ">Trails<" not in client.get("/en/").get_data(as_text=True)  # cached for now
    now = reference.time.monotonic()
    monkeypatch.setattr(reference.time, "monotonic", lambda: now + reference.CACHE_SECONDS + 1)
    assert ">Trails<" in client.get("/en/").get_data(as_text=True)


def test_a_committed_price_list_change_shows_at_once_without_a_query_per_product(client, db_session, query_counter):
    from shop.models import VersionProductPrice

    from .conftest import product

    jacket = product(db_session, "rain-jacket")
    assert "1\xa0495,00\xa0kr" in client.get("/sv/c/outdoor").get_data(as_text=True)  # the demo's price list
    row = db_session.exec(select(VersionProductPrice).where(VersionProductPrice.product_id == jacket.id)).one()
    row.price = 139900
    db_session.add(row)
    db_session.commit()
    query_counter.reset()
    html = client.get("/sv/c/outdoor").get_data(as_text=True)
    assert "1\xa0399,00\xa0kr" in html and "1\xa0495,00" not in html
    reloaded = len(query_counter)
    query_counter.reset()
    client.get("/sv/c/outdoor")
    assert not [s for s in query_counter.statements if "price" in s and "version_" in s]  # cached again
    assert len(query_counter) <= reloaded - 5  # the reload: versions, rates, categories, two price lists (and the listing)
