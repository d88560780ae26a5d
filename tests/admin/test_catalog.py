"""Products and shipping methods: lists, edit and new forms, validation (422), htmx answers."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import Product, ShippingMethod

from .conftest import by_sku, post, token


def product_data(product: Product, **changes: str) -> dict[str, str]:
    data = {"sku": product.sku, "name": product.name, "price": "89,90", "tax_class": product.tax_class,
            "stock": str(product.stock), "stock_loaded": str(product.stock),
            "category_id": str(product.category_id), "active": "y"}
    return {**data, **changes}


def fresh(session, model, record_id):
    session.expire_all()
    return session.get(model, record_id)


def test_products_list_shows_price_and_stock(admin_client):
    html = admin_client.get("/admin/products").get_data(as_text=True)
    assert "Trail running shoe" in html and "89,90\u00a0€" in html and ">40<" in html


def test_edit_a_product_with_a_comma_price(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    url = f"/admin/products/{shoe.id}"
    assert 'value="89,90"' in admin_client.get(url).get_data(as_text=True)
    response = post(admin_client, url, product_data(shoe, price="12,90", stock="7", active=""))
    assert response.status_code == 303 and response.location == "/admin/products"
    saved = fresh(session, Product, shoe.id)
    assert (saved.price, saved.stock, saved.active) == (1290, 7, False)


def test_a_bad_price_is_422_and_keeps_what_was_typed(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    messages = {"12,999": "Enter an amount such as 12,90.", "abc": "Enter an amount such as 12,90.",
                "1e3": "Enter an amount such as 12,90.", "-1": "The amount cannot be negative.", "": "Enter a price."}
    for price, message in messages.items():
        response = post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, price=price, name="Renamed"))
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html, price
        assert f'value="{price}"' in html and 'value="Renamed"' in html
    assert fresh(session, Product, shoe.id).name == "Trail running shoe"


def test_a_price_too_large_to_store_is_422(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    response = post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, price="99999999999999999999"))
    assert response.status_code == 422 and 'value="99999999999999999999"' in response.get_data(as_text=True)
    standard = session.exec(select(ShippingMethod).order_by(ShippingMethod.id)).first()
    response = post(admin_client, f"/admin/shipping-methods/{standard.id}",
                    {"name": standard.name, "price": "99999999999999999999", "tax_class": standard.tax_class,
                     "position": "1", "active": "y"})
    assert response.status_code == 422
    assert fresh(session, Product, shoe.id).price == 8990


def test_other_bad_fields_are_422(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    for changes in ({"stock": "-1"}, {"stock": "x"}, {"name": ""}, {"tax_class": "luxury"}, {"category_id": "999"},
                    {"sku": "JKT-002"}):
        assert post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, **changes)).status_code == 422, \
            changes


def test_htmx_edit_answers_with_the_form_and_a_flash(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    response = post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, price="79"), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<form id="product-form"')
    assert 'value="79,00"' in html and 'hx-swap-oob="true"' in html and "Product saved." in html
    bad = post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, price="x"), htmx=True)
    assert bad.status_code == 422 and bad.get_data(as_text=True).lstrip().startswith('<form id="product-form"')


def test_a_stock_change_during_editing_is_a_conflict(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    data = product_data(shoe, stock="10", stock_loaded="40")
    shoe.stock = 38  # two sold meanwhile
    session.commit()
    response = post(admin_client, f"/admin/products/{shoe.id}", data)
    assert response.status_code == 409 and "The stock changed to 38" in response.get_data(as_text=True)
    assert fresh(session, Product, shoe.id).stock == 38
    untouched_stock = post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, stock="40", stock_loaded="40", price="80"))
    assert untouched_stock.status_code == 303  # the stock field was not changed: the sale stands
    assert (fresh(session, Product, shoe.id).stock, shoe.price) == (38, 8000)


def test_a_new_product(admin_client, session):
    data = {"sku": "NEW-1", "name": "Sauna hat", "price": "24,5", "tax_class": "standard", "stock": "5",
            "category_id": "0", "active": "y"}
    response = post(admin_client, "/admin/products/new", data)
    assert response.status_code == 303 and response.location == "/admin/products"
    created = session.exec(select(Product).where(Product.sku == "NEW-1")).one()
    assert (created.price, created.slug, created.stock, created.category_id) == (2450, "sauna-hat", 5, None)
    again = post(admin_client, "/admin/products/new", {**data, "sku": "NEW-2"}, htmx=True)
    assert again.headers["HX-Redirect"] == "/admin/products"
    assert session.exec(select(Product).where(Product.sku == "NEW-2")).one().slug == "sauna-hat-2"


def test_an_unknown_product_is_404(admin_client):
    assert admin_client.get("/admin/products/99999").status_code == 404


def method_data(**changes: str) -> dict[str, str]:
    return {"name": "Express", "price": "9,90", "tax_class": "standard", "position": "4", "active": "y", **changes}


def test_shipping_methods_list_and_edit(admin_client, session):
    assert "Parcel locker" in admin_client.get("/admin/shipping-methods").get_data(as_text=True)
    locker = session.exec(select(ShippingMethod).where(ShippingMethod.name == "Parcel locker")).one()
    response = post(admin_client, f"/admin/shipping-methods/{locker.id}", method_data(name="Locker", price="4,90"))
    assert response.status_code == 303 and response.location == "/admin/shipping-methods"
    saved = fresh(session, ShippingMethod, locker.id)
    assert (saved.name, saved.price, saved.position, saved.active) == ("Locker", 490, 4, True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_shipping_method_is_422(admin_client, session, htmx):
    for changes in ({"name": ""}, {"price": "1,234"}, {"position": "-2"}, {"position": "x"}, {"tax_class": "x"}):
        response = post(admin_client, "/admin/shipping-methods/new", method_data(**changes), htmx=htmx)
        assert response.status_code == 422, changes
        assert response.get_data(as_text=True).lstrip().startswith('<form id="shipping-method-form"') is htmx
    assert session.exec(select(ShippingMethod).where(ShippingMethod.name == "Express")).first() is None


def test_a_new_shipping_method(admin_client, session):
    csrf = token(admin_client, "/admin/shipping-methods/new")
    assert post(admin_client, "/admin/shipping-methods/new", method_data(), csrf=csrf).status_code == 303
    assert session.exec(select(ShippingMethod).where(ShippingMethod.name == "Express")).one().price == 990
