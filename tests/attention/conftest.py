"""Phone orders, payment links and Klarna's bad news: the simulator with queued callbacks, a logged-in admin."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from shop.models import Order, Payment, PaymentLink, Product, ShippingMethod, ShopVersion, StaffAlert
from tests.admin.conftest import (  # noqa: F401  (fixtures)
    HTMX, admin_client, admin_session_cookie, compile_templates_once, post, token,
)
from tests.klarna_fixtures import (  # noqa: F401  (fixtures, and helpers the tests import from here)
    app, app_overrides, callbacks, gateway, klarna_method, latest_payment, make_order, merchant_urls, paid_payment,
    simulator, start_checkout,
)
from tests.payments.conftest import ShopClock, events, order_events, stock_of  # noqa: F401


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def ids(session, model, **where) -> dict:
    return {key: session.exec(select(model).where(getattr(model, column) == value)).one().id
            for key, (column, value) in where.items()}


def phone_order_form(session, **changes) -> dict:
    """A valid "New phone or e-mail order" form: two lines in the Finnish shop version."""
    version = session.exec(select(ShopVersion).where(ShopVersion.code == "fi")).one()
    shipping = session.exec(select(ShippingMethod).where(ShippingMethod.name == "Parcel locker")).one()
    shoe = session.exec(select(Product).where(Product.sku == "RUN-001")).one()
    coffee = session.exec(select(Product).where(Product.sku == "COF-101")).one()
    form = {
        "version": version.id, "shipping": shipping.id, "payment_method": klarna_method(session).id,
        "email": "liisa@example.com", "given_name": "Liisa", "family_name": "Korhonen", "phone": "+358401112233",
        "street_address": "Aleksanterinkatu 5", "postal_code": "00100", "city": "Helsinki",
        "lines-0-product": shoe.id, "lines-0-quantity": 1, "lines-1-product": coffee.id, "lines-1-quantity": 2,
    }
    form.update(changes)
    return form


def newest_order(session) -> Order:
    session.expire_all()
    return session.exec(select(Order).order_by(Order.id.desc())).first()


def order_count(session) -> int:
    session.expire_all()
    return len(session.exec(select(Order.id)).all())


def links_of(session, order) -> list[PaymentLink]:
    session.expire_all()
    return list(session.exec(select(PaymentLink).where(PaymentLink.order_id == order.id).order_by(PaymentLink.id)))


def alerts_of(session, order) -> list[StaffAlert]:
    session.expire_all()
    return list(session.exec(select(StaffAlert).where(StaffAlert.order_id == order.id).order_by(StaffAlert.id)))


def payments_of(session, order) -> list[Payment]:
    session.expire_all()
    return list(session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))


@pytest.fixture
def shop_clock(monkeypatch):
    clock = ShopClock(monkeypatch)
    monkeypatch.setattr("shop.payments.bad_news.utcnow", clock.now)
    monkeypatch.setattr("shop.payments.callback_health.utcnow", clock.now)
    return clock
