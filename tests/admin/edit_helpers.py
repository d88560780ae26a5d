"""Posting the order edit form like a browser: the order as it is, with the changes a test makes."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import KlarnaCall, Order, Payment, Product, User
from tests.conftest import csrf_token
from tests.klarna_fixtures import make_order, paid_payment

THREE_LINES = (("RUN-001", 1), ("COF-101", 2), ("CAP-003", 1))

from .conftest import post


def page(client, order) -> str:
    return client.get(f"/admin/orders/{order.number}").get_data(as_text=True)


def amount_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def edit_fields(order: Order, **changes: str) -> dict[str, str]:
    """The form as the page prefills it; `changes` by field name (quantity_<line id>, discount_percent, ...)."""
    fields = {"revision": str(order.revision), "add_product": "0", "add_quantity": "1", "payment_fee": "",
              "discount_amount": "", "discount_percent": "", "action": "save"}
    for line in order.goods_lines:
        fields |= {f"quantity_{line.id}": str(line.quantity), f"price_{line.id}": amount_text(line.unit_price),
                   f"vat_{line.id}": f"{line.tax_rate / 100:g}"}
    shipping = next((line for line in order.lines if line.kind == "shipping_fee"), None)
    if shipping is not None:
        fields["shipping_fee"] = amount_text(shipping.unit_price)
    return fields | changes


def line_of(order: Order, sku: str):
    return next(line for line in order.lines if line.reference == sku)


def edit(client, order: Order, *, htmx: bool = False, **changes: str):
    return post(client, f"/admin/orders/{order.number}/edit", edit_fields(order, **changes), htmx=htmx,
                csrf=csrf_token(page(client, order)))


def reloaded(session, order: Order) -> Order:
    session.expire_all()
    return session.get(Order, order.id)


def stock_of(session, sku: str) -> int:
    session.expire_all()
    return session.exec(select(Product).where(Product.sku == sku)).one().stock


def klarna_writes(session, payment) -> list[KlarnaCall]:
    session.expire_all()
    return [call for call in session.exec(select(KlarnaCall).where(KlarnaCall.payment_id == payment.id)
                                          .order_by(KlarnaCall.id)) if call.method != "GET"]


def patches(session, payment) -> list[KlarnaCall]:
    return [call for call in klarna_writes(session, payment) if call.method == "PATCH"]


# Fixtures of the order-page tests against the in-process simulator (imported by the test modules).

@pytest.fixture
def app_overrides():
    """Klarna's status callbacks go nowhere: the tests drive the shop themselves."""
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}


@pytest.fixture(autouse=True)  # in the modules that import it
def english_admin(session):
    user = session.exec(select(User)).one()
    user.locale = "en"
    session.commit()


@pytest.fixture
def order(session, simulator, gateway):
    """Three lines, paid with Klarna (authorized)."""
    order = make_order(session, products=THREE_LINES)
    paid_payment(session, simulator, gateway, order)
    return order


@pytest.fixture
def payment(session, order) -> Payment:
    return session.exec(select(Payment).where(Payment.order_id == order.id)).one()
