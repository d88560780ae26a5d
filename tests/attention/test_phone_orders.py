"""An order taken by phone or e-mail: placed from the admin as checkout places it."""
from __future__ import annotations

import pytest

from shop.payments import states

from .conftest import HTMX, newest_order, order_count, order_events, phone_order_form, post, stock_of, token


def test_the_form_offers_versions_products_shipping_and_klarna(admin_client):
    html = admin_client.get("/admin/orders/new").get_data(as_text=True)
    assert "New phone or e-mail order" in html
    assert "Trail running shoe" in html and "Parcel locker" in html and "Klarna" in html
    assert 'name="lines-5-product"' in html  # six product rows


@pytest.mark.parametrize("htmx", [False, True])
def test_a_phone_order_is_placed_with_stock_reserved(admin_client, session, htmx):
    before = stock_of(session, "COF-101")
    response = post(admin_client, "/admin/orders/new", phone_order_form(session), htmx=htmx)
    order = newest_order(session)
    assert order.email == "liisa@example.com" and order.status == "awaiting_payment"
    target = f"/admin/orders/{order.number}"
    if htmx:
        assert response.status_code == 200 and response.headers["HX-Redirect"] == target
    else:
        assert response.status_code == 303 and response.location == target
    assert [(line.reference, line.quantity) for line in order.lines] == [("RUN-001", 1), ("COF-101", 2),
                                                                       ("shipping", 1)]
    assert order.currency == "EUR" and order.total == sum(line.total for line in order.lines)
    assert stock_of(session, "COF-101") == before - 2
    [taken] = order_events(session, order, "created_by_staff")
    assert taken.actor == "admin@example.com"
    page = admin_client.get(target).get_data(as_text=True)
    assert "Send payment link" in page and "Order taken by staff" in page


def test_rows_of_the_same_product_add_up(admin_client, session):
    form = phone_order_form(session, **{"lines-1-product": phone_order_form(session)["lines-0-product"]})
    post(admin_client, "/admin/orders/new", form)
    assert [(line.reference, line.quantity) for line in newest_order(session).goods_lines] == [("RUN-001", 3)]


def test_a_swedish_phone_order_is_priced_in_kronor(admin_client, session):
    from sqlmodel import select

    from shop.models import ShopVersion

    sweden = session.exec(select(ShopVersion).where(ShopVersion.code == "sv")).one()
    post(admin_client, "/admin/orders/new", phone_order_form(session, version=sweden.id, postal_code="113 51"))
    order = newest_order(session)
    assert (order.currency, order.locale) == ("SEK", sweden.locale)


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("changes, message", [
    ({"email": "not-an-address"}, "Enter a valid e-mail address."),
    ({"given_name": ""}, "This field is required."),
    ({"lines-0-product": "", "lines-1-product": ""}, "Add at least one product."),
    ({"lines-0-quantity": "0"}, "Enter a whole number from 1 to 999."),
    ({"lines-0-quantity": ""}, "Enter a quantity."),
    ({"lines-0-product": "999999"}, "Choose a product from the list."),
    ({"version": "abc"}, "Choose a shop version."),
])
def test_bad_input_is_a_422_with_what_was_typed_kept(admin_client, session, htmx, changes, message):
    before = order_count(session)
    form = phone_order_form(session, **changes)
    response = post(admin_client, "/admin/orders/new", form, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert 'value="Korhonen"' in html
    assert ("<html" in html) is not htmx
    assert order_count(session) == before


def test_more_than_in_stock_is_a_422_and_nothing_is_reserved(admin_client, session):
    before = stock_of(session, "COF-101")
    response = post(admin_client, "/admin/orders/new",
                    phone_order_form(session, **{"lines-1-quantity": before + 1}))
    assert response.status_code == 422 and f"only {before} in stock" in response.get_data(as_text=True)
    assert stock_of(session, "COF-101") == before


def test_the_form_needs_login(client):
    response = client.get("/admin/orders/new")
    assert response.status_code == 302 and "/admin/login" in response.location


def test_creating_needs_the_csrf_token(admin_client, session):
    before = order_count(session)
    response = admin_client.post("/admin/orders/new", data=phone_order_form(session))
    assert response.status_code == 400
    assert order_count(session) == before
