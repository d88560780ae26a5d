"""Admin test helpers: orders placed the way checkout places them, and posting forms like a browser."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import Iterator

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import event
from sqlmodel import Session, select

from shop import create_app
from shop.db import get_engine
from shop.models import Cart, CartItem, Order, PaymentMethod, Product, ShippingMethod, ShopVersion
from shop.orders import Customer, place_order
from tests.conftest import app_config, csrf_token, login

HTMX = {"HX-Request": "true"}


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the tests' fresh apps (keyed by template source checksum)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED_TEMPLATES = _MemoryBytecodeCache()


@pytest.fixture(autouse=True)
def compile_templates_once(app):
    app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES


@pytest.fixture(scope="session")
def admin_session_cookie(template_database, tmp_path_factory) -> str:
    """Log in through /admin/login once; every test's fresh app shares the secret key and the admin's id.

    Checking a password hash is deliberately slow, and every admin test would pay it otherwise.
    """
    path = tmp_path_factory.mktemp("login") / "shop.sqlite3"
    shutil.copy(template_database, path)
    app = create_app(app_config(f"sqlite:///{path}", SIMULATOR_STORAGE=str(path.parent / "sim.sqlite3")))
    client = app.test_client()
    login(client)
    app.extensions["shop_engine"].dispose()
    return client.get_cookie("session").value


@pytest.fixture
def admin_client(client, admin_session_cookie):
    """The shared fixture's logged-in admin, without repeating the login (tests/admin/test_auth.py tests it)."""
    client.set_cookie("session", admin_session_cookie)
    return client


def by_code(session: Session, code: str) -> ShopVersion:
    return session.exec(select(ShopVersion).where(ShopVersion.code == code)).one()


def by_sku(session: Session, sku: str) -> Product:
    return session.exec(select(Product).where(Product.sku == sku)).one()


def make_order(session: Session, code: str = "fi", items: tuple[tuple[str, int], ...] = (("RUN-001", 2), ("COF-101", 1)),
               *, given_name: str = "Aino", family_name: str = "Virtanen", email: str = "aino@example.com",
               status: str | None = None) -> Order:
    """An order placed from a cart of `items` (SKU, quantity) in shop version `code`, committed."""
    version = by_code(session, code)
    cart = Cart(version_id=version.id,
                items=[CartItem(product_id=by_sku(session, sku).id, quantity=qty) for sku, qty in items])
    customer = Customer(email=email, given_name=given_name, family_name=family_name,
                        street_address="Mannerheimintie 1", postal_code="00100", city="Helsinki")
    order = place_order(session, cart=cart, version=version, customer=customer,
                        shipping=session.exec(select(ShippingMethod).order_by(ShippingMethod.position)).first(),
                        payment_method=session.exec(select(PaymentMethod).where(PaymentMethod.name == "Bank transfer")).one())
    if status:
        order.status = status
    session.commit()
    return order


def token(client, url: str = "/admin/orders") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def post(client, url: str, data: dict | None = None, *, htmx: bool = False, csrf: str | None = None):
    """Plain posts carry the token as a form field, htmx posts in the header (as base.html sends it)."""
    csrf = csrf or token(client)
    if htmx:
        return client.post(url, data=data or {}, headers={**HTMX, "X-CSRFToken": csrf})
    return client.post(url, data={**(data or {}), "csrf_token": csrf})


@contextmanager
def counting_queries(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
