"""Catalogue pages: grid, category, product, stock, and a query count that does not grow with the catalogue."""
import pytest
from sqlmodel import select

from shop.models import Category, Product

from tests.conftest import csrf_token

from .conftest import add_to_cart, cart_contents, product


def add_products(db_session, category_slug: str, count: int) -> None:
    category = db_session.exec(select(Category).where(Category.slug == category_slug)).one()
    for n in range(count):
        db_session.add(Product(sku=f"EXTRA-{category_slug}-{n}", slug=f"extra-{category_slug}-{n}", name=f"Extra {n}",
                            category_id=category.id, price=1000 + n, stock=5))
    db_session.commit()


def queries_for(client, query_counter, url: str) -> int:
    client.get(url)  # warm up: connection, lazy imports
    query_counter.reset()
    assert client.get(url).status_code == 200
    return len(query_counter)


@pytest.mark.parametrize("url", ["/fi/", "/sv/c/outdoor"])
def test_list_pages_run_the_same_queries_whatever_the_number_of_products(client, db_session, query_counter, url):
    jacket = product(db_session, "rain-jacket")
    add_to_cart(client, "fi", jacket)  # a cart in the header too
    add_to_cart(client, "sv", jacket)
    before = queries_for(client, query_counter, url)
    add_products(db_session, "outdoor", 25)
    after = queries_for(client, query_counter, url)
    assert after == before, query_counter.statements
    assert before <= 5  # product count + page + the cards' images, cart + items (versions, VAT rates, categories:
    # cached per process)


def test_long_listings_are_paged_without_js(client, db_session):
    add_products(db_session, "outdoor", 30)
    first = client.get("/en/c/outdoor").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'href="/en/c/outdoor?page=2"' in first
    second = client.get("/en/c/outdoor?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert client.get("/en/c/outdoor?page=99").status_code == 200  # clamped to the last page
    assert client.get("/en/?page=abc").status_code == 200


def test_adding_from_a_later_page_without_js_returns_to_that_page(client, db_session):
    add_products(db_session, "outdoor", 30)
    second = client.get("/en/c/outdoor?page=2").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/en/c/outdoor?page=2"' in second
    extra = product(db_session, "extra-outdoor-9")  # sorted by name: on the second page
    response = client.post(f"/en/cart/add/{extra.id}", data={"quantity": "1", "next": "/en/c/outdoor?page=2",
                                                             "csrf_token": csrf_token(second)})
    assert response.status_code == 303 and response.location == "/en/c/outdoor?page=2"


def test_front_page_shows_categories_and_products(client):
    html = client.get("/en/").get_data(as_text=True)
    assert 'href="/en/c/kitchen"' in html
    assert "Trail running shoe" in html and "Sauna: a history" in html
    assert 'action="/en/cart/add/' in html


def test_category_page_lists_only_its_products(client):
    html = client.get("/en/c/books").get_data(as_text=True)
    assert "Sauna: a history" in html
    assert "Trail running shoe" not in html.split("</header>")[1]


def test_product_page_shows_price_vat_and_add_form(client):
    html = client.get("/en/p/dark-roast-coffee-500-g").get_data(as_text=True)
    assert "€9.95" in html
    assert "incl. VAT 14 %" in html
    assert 'name="quantity"' in html


def test_out_of_stock_product_cannot_be_added(client, db_session):
    jacket = product(db_session, "rain-jacket")
    jacket.stock = 0
    db_session.commit()
    html = client.get("/fi/p/rain-jacket").get_data(as_text=True)
    assert "Add to cart" not in html.split("</header>")[1]
    response = add_to_cart(client, "fi", jacket)
    assert response.status_code == 422
    assert "out of stock" in response.get_data(as_text=True)
    assert cart_contents(db_session, "fi") == {}


def test_inactive_product_is_404(client, db_session):
    jacket = product(db_session, "rain-jacket")
    jacket.active = False
    db_session.commit()
    assert client.get("/fi/p/rain-jacket").status_code == 404
    assert add_to_cart(client, "fi", product(db_session, "wool-cap")).status_code == 303
