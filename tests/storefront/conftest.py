"""Storefront test helpers: query counting, shopping through the client, a logged-in merchant."""
from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from sqlalchemy import event
from sqlmodel import select

from shop.db import get_engine, new_session
from shop.models import PaymentMethod, Product, ShopVersion, User
from tests.conftest import ADMIN_EMAIL, csrf_token

HTMX = {"HX-Request": "true"}


class QueryCounter:
    """SQL statements sent to the app's database while it listens."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        self.statements.append(statement)

    def __len__(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def query_counter(app):
    counter = QueryCounter()
    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def db_session(app):
    """A database session outside any app context, so that every request gets a context, g and
    session of its own as in production (the shared `session` fixture keeps one context open)."""
    with new_session(app) as session:
        yield session


@pytest.fixture
def merchant_client(client, db_session):
    """A client logged in as the demo admin (the admin login page is not needed for that)."""
    admin = db_session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = admin.get_id()
        flask_session["_fresh"] = True
    return client


def product(session, slug: str) -> Product:
    session.expire_all()
    return session.exec(select(Product).where(Product.slug == slug)).one()


def version(session, code: str) -> ShopVersion:
    return session.exec(select(ShopVersion).where(ShopVersion.code == code)).one()


def payment_method(session, name: str) -> PaymentMethod:
    return session.exec(select(PaymentMethod).where(PaymentMethod.name == name)).one()


def sek(minor_units: int) -> str:
    """An amount the way the Swedish shop version shows it: 1 449,32 kr."""
    return format_currency(Decimal(minor_units).scaleb(-2), "SEK", locale="sv_SE")


def token_from(client, url: str) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def post(client, url: str, data: dict | None = None, *, token: str, htmx: bool = False):
    """A form post the way the browser sends it: plain with the form field, htmx with the header."""
    if htmx:
        return client.post(url, data=data or {}, headers={**HTMX, "X-CSRFToken": token})
    return client.post(url, data={**(data or {}), "csrf_token": token})


def add_to_cart(client, code: str, item: Product, quantity: int | str = 1, *, htmx: bool = False):
    token = token_from(client, f"/{code}/p/{item.slug}")
    return post(client, f"/{code}/cart/add/{item.id}", {"quantity": str(quantity)}, token=token, htmx=htmx)


def cart_contents(session, code: str) -> dict[str, int]:
    """{product slug: quantity} over the carts of shop version `code` (a test has one shopper)."""
    from shop.models import Cart, CartItem

    session.expire_all()
    rows = session.exec(
        select(Product.slug, CartItem.quantity).join(Cart, Cart.id == CartItem.cart_id)
        .join(ShopVersion, ShopVersion.id == Cart.version_id).join(Product, Product.id == CartItem.product_id)
        .where(ShopVersion.code == code)
    ).all()
    return dict(rows)
