"""The bank-transfer order flow on PostgreSQL through the Flask test client, and checkouts racing
for the last units of a product, which must never oversell."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import select

from shop.db import current_revision, head_revision, new_session
from shop.models import Order, OrderLine, PaymentMethod, Product, ShippingMethod
from tests.conftest import csrf_token, login
from tests.postgres.conftest import run_in_threads

pytestmark = pytest.mark.postgres

VERSION = "sv"
SEK_PER_EUR = Decimal("11.2350")
SEK_AMOUNT = re.compile(r"\d,\d\d\s(kr|SEK)")  # 1 234,50 kr (sv) or 1 234,50 SEK (fi)
SHOPPERS = 8
LAST_UNITS = 3
SHOPPER = {"email": "anna@example.se", "given_name": "Anna", "family_name": "Svensson",
           "street_address": "Storgatan 1", "postal_code": "113 51", "city": "Stockholm"}


def _product(app, sku: str) -> Product:
    with new_session(app) as session:
        return session.exec(select(Product).where(Product.sku == sku)).one()


def _set_stock(app, sku: str, stock: int) -> Product:
    with new_session(app) as session:
        product = session.exec(select(Product).where(Product.sku == sku)).one()
        product.stock = stock
        session.add(product)
        session.commit()
        return product


def _checkout_form(app) -> dict[str, str]:
    with new_session(app) as session:
        shipping = session.exec(select(ShippingMethod).order_by(ShippingMethod.position)).first()
        bank = session.exec(select(PaymentMethod).where(PaymentMethod.name == "Bank transfer")).one()
    return {**SHOPPER, "shipping_method": str(shipping.id), "payment_method": str(bank.id)}


def _post(client, url: str, data: dict, page: str):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _add_to_cart(client, product: Product, quantity: int):
    response = _post(client, f"/{VERSION}/cart/add/{product.id}", {"quantity": str(quantity)}, f"/{VERSION}/")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]


def _order(app, number: str) -> Order:
    with new_session(app) as session:
        return session.exec(select(Order).options(selectinload(Order.lines)).where(Order.number == number)).one()


def _ship(client, number: str, data: dict) -> None:
    response = _post(client, f"/admin/orders/{number}/ship", {**data, "confirmed": "yes"}, f"/admin/orders/{number}")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]


def test_the_database_is_postgresql_and_migrated(pg_app):
    assert pg_app.extensions["shop_engine"].dialect.name == "postgresql"
    assert current_revision(pg_app) == head_revision()


def test_bank_transfer_order_in_sek_shipped_in_two_parts(pg_app):
    shoe, coffee = _product(pg_app, "RUN-001"), _product(pg_app, "COF-101")
    shopper = pg_app.test_client()
    _add_to_cart(shopper, shoe, 2)
    _add_to_cart(shopper, coffee, 1)

    placed = _post(shopper, f"/{VERSION}/checkout", _checkout_form(pg_app), f"/{VERSION}/checkout")
    assert placed.status_code == 303, placed.get_data(as_text=True)[:800]
    confirmation = shopper.get(placed.headers["Location"]).get_data(as_text=True)
    number = re.search(r'class="order-number">.*?<strong>(\d+)</strong>', confirmation, re.S).group(1)
    assert SEK_AMOUNT.search(confirmation), "no amount in SEK on the confirmation"

    order = _order(pg_app, number)
    assert (order.currency, order.exchange_rate, order.status) == ("SEK", SEK_PER_EUR, "awaiting_payment")
    assert {line.reference: line.quantity for line in order.goods_lines} == {"RUN-001": 2, "COF-101": 1}
    assert _product(pg_app, "RUN-001").stock == shoe.stock - 2
    assert _product(pg_app, "COF-101").stock == coffee.stock - 1

    merchant = pg_app.test_client()
    login(merchant)
    assert f">{number}</a>" in merchant.get("/admin/orders").get_data(as_text=True)
    order_page = merchant.get(f"/admin/orders/{number}").get_data(as_text=True)
    assert SEK_AMOUNT.search(order_page), "no amount in SEK on the admin's order page"
    assert "11,235" in order_page  # the exchange rate, in the admin's Finnish notation

    shoe_line = next(line for line in order.goods_lines if line.reference == "RUN-001")
    coffee_line = next(line for line in order.goods_lines if line.reference == "COF-101")
    _ship(merchant, number, {"action": "selected", f"quantity_{shoe_line.id}": "1", f"quantity_{coffee_line.id}": "0"})
    assert _order(pg_app, number).status == "partially_shipped"
    _ship(merchant, number, {"action": "all"})
    shipped = _order(pg_app, number)
    assert shipped.status == "shipped"
    assert all(line.shipped_quantity == line.quantity for line in shipped.goods_lines)


def test_checkouts_racing_for_the_last_units_never_oversell(pg_app):
    knife = _set_stock(pg_app, "KNF-107", LAST_UNITS)
    form = _checkout_form(pg_app)
    shoppers = []
    for _ in range(SHOPPERS):  # each with a cart holding one knife and a checkout page open
        client = pg_app.test_client()
        _add_to_cart(client, knife, 1)
        token = csrf_token(client.get(f"/{VERSION}/checkout").get_data(as_text=True))
        shoppers.append((client, {**form, "csrf_token": token}))

    statuses = run_in_threads(SHOPPERS, lambda i: shoppers[i][0].post(f"/{VERSION}/checkout",
                                                                       data=shoppers[i][1]).status_code)

    assert sorted(statuses) == [303] * LAST_UNITS + [409] * (SHOPPERS - LAST_UNITS)
    assert _product(pg_app, "KNF-107").stock == 0
    with new_session(pg_app) as session:
        sold = session.exec(select(func.sum(OrderLine.quantity)).where(OrderLine.product_id == knife.id)).one()
    assert sold == LAST_UNITS
