"""The order edit form's product picker: found by a search (GET, and htmx as the merchant types), so the order
page stays the same size and runs the same queries however large the catalogue."""
from __future__ import annotations

import re

from sqlmodel import select

from shop.admin.order_edits import PRODUCT_MATCHES
from shop.models import OrderLine, Product

from .conftest import HTMX, counting_queries
from .conftest import make_order as bank_transfer_order
from .edit_helpers import edit, english_admin, page, reloaded  # noqa: F401  (fixtures)


def add_catalogue(session, count: int, name: str = "Wool sock") -> None:
    start = len(session.exec(select(Product)).all())
    session.add_all(Product(sku=f"SOCK-{start + i}", slug=f"sock-{start + i}", name=f"{name} {start + i}",
                            price=1290, stock=50) for i in range(count))
    session.commit()


def offered(html: str) -> list[str]:
    picker = re.search(r'<select[^>]*name="add_product".*?</select>', html, re.S).group(0)
    return re.findall(r'<option[^>]*value="(\d+)"', picker)


def test_the_order_page_offers_no_product_until_the_merchant_searches(admin_client, session):
    order = bank_transfer_order(session)
    add_catalogue(session, 30)
    html = page(admin_client, order)
    assert offered(html) == ["0"]
    assert 'name="product_q"' in html and "Find the product by its name or product code first." in html


def test_a_search_without_javascript_narrows_the_picker_and_opens_the_edit_form(admin_client, session):
    order = bank_transfer_order(session)
    add_catalogue(session, PRODUCT_MATCHES + 10)
    add_catalogue(session, 2, name="Tunturi hat")
    html = admin_client.get(f"/admin/orders/{order.number}?product_q=tunturi").get_data(as_text=True)
    hats = [str(p.id) for p in session.exec(select(Product).where(Product.name.startswith("Tunturi hat")))]
    assert offered(html)[1:] == sorted(hats, key=int)
    assert '<details class="order-edit" open>' in html and 'value="tunturi"' in html
    socks = admin_client.get(f"/admin/orders/{order.number}?product_q=SOCK-").get_data(as_text=True)
    assert len(offered(socks)) == 1 + PRODUCT_MATCHES  # capped, by product code too


def test_htmx_answers_the_picker_alone_and_says_when_nothing_matches(admin_client, session):
    order = bank_transfer_order(session)
    add_catalogue(session, 3)
    response = admin_client.get(f"/admin/orders/{order.number}/edit/products?product_q=wool+sock", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.strip().startswith('<div id="add-product-field"') and len(offered(html)) == 4
    nothing = admin_client.get(f"/admin/orders/{order.number}/edit/products?product_q=%25_x", headers=HTMX)
    assert "No active product matches “%_x”." in nothing.get_data(as_text=True) and offered(nothing.get_data(as_text=True)) == ["0"]


def test_a_product_found_by_the_search_is_added_by_the_edit(admin_client, session):
    order = bank_transfer_order(session)
    add_catalogue(session, 1, name="Tunturi hat")
    hat = session.exec(select(Product).where(Product.name.startswith("Tunturi hat"))).one()
    response = edit(admin_client, order, add_product=str(hat.id), add_quantity="2")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    lines = reloaded(session, order).lines
    assert any(line.product_id == hat.id and line.quantity == 2 for line in lines if isinstance(line, OrderLine))


def test_an_inactive_product_cannot_be_added_and_the_form_answers_422(admin_client, session):
    order = bank_transfer_order(session)
    add_catalogue(session, 1, name="Retired hat")
    hat = session.exec(select(Product).where(Product.name.startswith("Retired hat"))).one()
    hat.active = False
    session.commit()
    response = edit(admin_client, order, add_product=str(hat.id))
    assert response.status_code == 422
    assert all(line.product_id != hat.id for line in reloaded(session, order).lines)


def test_the_order_page_runs_the_same_queries_for_5_and_500_products(app, admin_client, session):
    order = bank_transfer_order(session)
    for path in (f"/admin/orders/{order.number}", f"/admin/orders/{order.number}?product_q=sock"):
        add_catalogue(session, 5)
        page(admin_client, order)  # warm: the reference caches
        with counting_queries(app) as few:
            small = admin_client.get(path).get_data(as_text=True)
        add_catalogue(session, 495)
        with counting_queries(app) as many:
            large = admin_client.get(path).get_data(as_text=True)
        assert len(many) == len(few), path
        assert len(large) - len(small) < 2000  # the page does not grow with the catalogue
