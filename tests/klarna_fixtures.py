"""Klarna-paid orders for any test: an order placed from a cart, then paid through the simulator.

Import the `simulator` and `gateway` fixtures into a test module (or conftest) to use them.

The order is placed as checkout places it, the hosted payment page is opened and approved in
the in-process simulator, and the payment is finalised as the shopper's return would.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from shop.models import Cart, CartItem, Payment, PaymentMethod, Product, ShippingMethod, ShopVersion
from shop.orders import Customer, place_order
from shop.payments import klarna_checkout


@pytest.fixture
def simulator(app):
    return app.extensions["klarna_simulator"]


@pytest.fixture
def gateway(app):
    """The app's Klarna gateway, without waiting between retries."""
    gateway = app.extensions["klarna_gateway"]
    gateway.sleep = lambda _seconds: None
    return gateway


def make_order(session, version_code="fi", products=(("RUN-001", 1), ("COF-101", 2)), shipping="Parcel locker",
               email="customer@email.fi"):
    """An order awaiting its Klarna payment, committed."""
    version = session.exec(select(ShopVersion).where(ShopVersion.code == version_code)).one()
    cart = Cart(version_id=version.id)
    session.add(cart)
    session.flush()
    for sku, quantity in products:
        product = session.exec(select(Product).where(Product.sku == sku)).one()
        session.add(CartItem(cart_id=cart.id, product_id=product.id, quantity=quantity))
    session.flush()
    session.refresh(cart)
    method = klarna_method(session)
    ship = session.exec(select(ShippingMethod).where(ShippingMethod.name == shipping)).one()
    customer = Customer(email=email, given_name="Test", family_name="Person-fi", street_address="Mannerheimintie 34",
                        postal_code="00100", city="Helsinki", phone="+358401234567")
    order = place_order(session, cart=cart, version=version, customer=customer, shipping=ship, payment_method=method)
    session.commit()
    return order


def klarna_method(session) -> PaymentMethod:
    return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one()


def merchant_urls(order, base_url="http://localhost"):
    def urls_for(payment):
        base = f"{base_url}/fi/klarna/{order.token}/{payment.id}"
        return {kind: f"{base}/{kind}?sid={{{{session_id}}}}" for kind in
                ("success", "cancel", "back", "failure", "error")} | {
            "status_update": f"{base}/status", "notification": f"{base}/notification"}
    return urls_for


def start_checkout(session, gateway, order) -> Payment:
    """Open Klarna's hosted page for the order; returns the new payment."""
    klarna_checkout.start(session, order, klarna_method(session), gateway, merchant_urls(order))
    return latest_payment(session, order)


def paid_payment(session, simulator, gateway, order, *, category="PAY_LATER", email=None) -> Payment:
    """Start, approve on the hosted page and finalise from the shopper's return: an authorized payment,
    then read once as the cron's sync does, which learns its expiry date and Klarna reference."""
    from shop.payments.sync import sync

    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id, category=category, email=email)
    klarna_checkout.finalise(session, payment, gateway, source="return")
    if payment.klarna_order_id:
        sync(session, payment, gateway)
    return payment


def latest_payment(session, order) -> Payment:
    return session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc())).first()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class CallbackQueue:
    """Collects the simulator's server-to-server calls; the test decides when they arrive."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []
        self.app = None

    def __call__(self, url: str, body: dict) -> None:
        self.sent.append((url, body))

    def deliver(self) -> list[int]:
        client = self.app.test_client()
        statuses = [client.post(_path(url), json=body).status_code for url, body in self.sent]
        self.sent.clear()
        return statuses


@pytest.fixture
def callbacks():
    return CallbackQueue()


@pytest.fixture
def app_overrides(callbacks):
    return {"SIMULATOR_CALLBACK_SENDER": callbacks}


@pytest.fixture
def app(app, callbacks):  # noqa: F811  (extends the shared fixture: callbacks reach this app)
    callbacks.app = app
    return app
