"""`make bench` (python -m tests.bench): how request times grow with the data. Measures, never asserts.

Two demo databases (SQLite, through the Flask test client): small = 22 products and 40 orders,
large = 220 products and 400 orders. Each row is the mean time of one request over N repetitions
after a warm-up, and the ratio large/small: about 1 for paged pages and for actions whose cost
must not depend on the size of the catalogue or of the order history.
"""
from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from shop import create_app
from shop.db import new_session
from shop.models import Cart, CartItem, Category, PaymentMethod, Product, ShippingMethod, ShopVersion
from shop.orders import Customer, place_order
from tests.conftest import app_config, build_database, csrf_token, login

VERSION = "fi"
REPETITIONS = 40
WARM_UP = 5
PLENTY = 1_000_000  # stock, so that repeated adds and checkouts never run out
CUSTOMER = Customer(email="bench@example.com", given_name="Bea", family_name="Bench",
                    street_address="Mannerheimintie 1", postal_code="00100", city="Helsinki")


@dataclass(frozen=True)
class Size:
    name: str
    products: int
    orders: int


SMALL = Size("small", products=22, orders=40)
LARGE = Size("large", products=220, orders=400)


@dataclass
class Shop:
    app: Flask
    client: FlaskClient
    token: str
    product_id: int
    shipping_id: int
    bank_id: int

    def post(self, path: str, data: dict) -> int:
        return self.client.post(f"/{VERSION}{path}", data={"csrf_token": self.token, **data}).status_code


def build_shop(size: Size, folder: Path) -> Shop:
    url = f"sqlite:///{folder / f'{size.name}.sqlite3'}"
    config = {"SIMULATOR_STORAGE": str(folder / f"{size.name}-sim.sqlite3"),
              "RATELIMIT_ENABLED": False}  # it measures repeated checkouts from one address
    build_database(url, **config)
    app = create_app(app_config(url, **config))
    with new_session(app) as session:
        _add_products(session, size.products)
        _add_orders(session, size.orders)
        product_id = session.exec(select(Product.id).order_by(Product.id)).first()
        shipping_id = session.exec(select(ShippingMethod.id).order_by(ShippingMethod.position)).first()
        bank_id = session.exec(select(PaymentMethod.id).where(PaymentMethod.provider == "manual")).one()
    client = app.test_client()
    front = client.get(f"/{VERSION}/")
    return Shop(app, client, csrf_token(front.get_data(as_text=True)), product_id, shipping_id, bank_id)


def _add_products(session, wanted: int) -> None:
    existing = session.exec(select(Product)).all()
    categories = session.exec(select(Category.id)).all()
    for product in existing:
        product.stock = PLENTY
        session.add(product)
    for number in range(wanted - len(existing)):
        session.add(Product(sku=f"BENCH-{number:04d}", slug=f"bench-product-{number}", name=f"Bench product {number}",
                            category_id=categories[number % len(categories)], price=1000 + number,
                            stock=PLENTY, description="A product for measuring."))
    session.commit()


def _add_orders(session, count: int) -> None:
    version = session.exec(select(ShopVersion).where(ShopVersion.code == VERSION)).one()
    products = session.exec(select(Product).order_by(Product.id)).all()
    shipping = session.exec(select(ShippingMethod).order_by(ShippingMethod.position)).first()
    bank = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()
    for number in range(count):
        items = [CartItem(product_id=products[(number + k) % len(products)].id, quantity=1 + k) for k in range(2)]
        cart = Cart(version_id=version.id, items=items)
        session.add(cart)
        session.flush()
        place_order(session, cart=cart, version=version, customer=CUSTOMER, shipping=shipping, payment_method=bank)
    session.commit()


def mean_ms(action: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """Mean milliseconds of `action` over REPETITIONS runs, after WARM_UP untimed ones; `setup` is untimed."""
    total = 0.0
    for run in range(WARM_UP + REPETITIONS):
        if setup:
            setup()
        started = time.perf_counter()
        action()
        if run >= WARM_UP:
            total += time.perf_counter() - started
    return total / REPETITIONS * 1000


def get(client: FlaskClient, path: str) -> Callable[[], int]:
    def request() -> int:
        response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} answered {response.status_code}")
        return response.status_code
    return request


class BenchError(RuntimeError):
    pass


def front_page(shop: Shop) -> float:
    return mean_ms(get(shop.client, f"/{VERSION}/"))


def orders_list(shop: Shop) -> float:
    admin = shop.app.test_client()
    login(admin)
    return mean_ms(get(admin, "/admin/orders"))


def cart_add(shop: Shop) -> float:
    def add() -> None:
        _expect(shop.post(f"/cart/add/{shop.product_id}", {"quantity": "1"}), 303, "cart add")

    def remove() -> None:
        shop.post(f"/cart/items/{shop.product_id}/remove", {})

    return mean_ms(add, setup=remove)


def checkout(shop: Shop) -> float:
    form = {"email": CUSTOMER.email, "given_name": CUSTOMER.given_name, "family_name": CUSTOMER.family_name,
            "street_address": CUSTOMER.street_address, "postal_code": CUSTOMER.postal_code, "city": CUSTOMER.city,
            "shipping_method": str(shop.shipping_id), "payment_method": str(shop.bank_id)}

    def fill_cart() -> None:
        _expect(shop.post(f"/cart/add/{shop.product_id}", {"quantity": "1"}), 303, "cart add")

    def place() -> None:
        _expect(shop.post("/checkout", form), 303, "checkout")

    return mean_ms(place, setup=fill_cart)


def _expect(status: int, wanted: int, what: str) -> None:
    if status != wanted:
        raise BenchError(f"{what} answered {status}, expected {wanted}")


SCENARIOS: list[tuple[str, Callable[[Shop], float]]] = [
    (f"front page ({SMALL.products} vs {LARGE.products} products)", front_page),
    (f"admin orders list ({SMALL.orders} vs {LARGE.orders} orders)", orders_list),
    ("cart add (small vs large shop)", cart_add),
    ("checkout, bank transfer (small vs large shop)", checkout),
]


def measure(name: str, scenario: Callable[[Shop], float], small: Shop, large: Shop) -> str:
    try:
        small_ms, large_ms = scenario(small), scenario(large)
    except Exception as error:  # a broken page is reported in the table; the other rows still run
        reason = f"{type(error).__name__}: {str(error).splitlines()[0][:90]}"
        return f"{name:<48} {'n/a':>10} {'n/a':>10} {'':>7}  ({reason})"
    return f"{name:<48} {small_ms:>8.2f}ms {large_ms:>8.2f}ms {large_ms / small_ms:>7.2f}"


def main() -> int:
    print(f"Mean time per request over {REPETITIONS} requests (after {WARM_UP} warm-up), SQLite, Flask test client")
    with tempfile.TemporaryDirectory(prefix="shop-bench-") as folder:
        small, large = build_shop(SMALL, Path(folder)), build_shop(LARGE, Path(folder))
        print(f"{'request':<48} {'small':>10} {'large':>10} {'ratio':>7}")
        for name, scenario in SCENARIOS:
            print(measure(name, scenario, small, large), flush=True)
        for shop in (small, large):
            shop.app.extensions["shop_engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
