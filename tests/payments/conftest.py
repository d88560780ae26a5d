"""Payment flows against the in-process Klarna simulator, with callbacks queued for the test."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from shop.models import KlarnaCall, OrderEvent, PaymentEvent, PaymentMethod, Product, utcnow
from shop.orders import record_shipment
from tests.klarna_fixtures import (  # noqa: F401  (fixtures, and helpers the payment tests import from here)
    app, app_overrides, callbacks, gateway, klarna_method, latest_payment, make_order, merchant_urls, paid_payment,
    simulator, start_checkout,
)


def set_method_settings(session, **settings) -> PaymentMethod:
    method = klarna_method(session)
    method.settings = {**method.settings, **settings}
    session.add(method)
    session.commit()
    return method


def approved_at_klarna(session, simulator, gateway, place_order_mode: str):
    """An order whose shopper approved at Klarna, not yet finalised by the shop."""
    set_method_settings(session, place_order_mode=place_order_mode)
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    return order, payment


def events(session, payment, *kinds) -> list[PaymentEvent]:
    query = select(PaymentEvent).where(PaymentEvent.payment_id == payment.id).order_by(PaymentEvent.id)
    found = session.exec(query).all()
    return [event for event in found if not kinds or event.kind in kinds]


def event_kinds(session, payment) -> list[str]:
    return [event.kind for event in events(session, payment)]


def order_events(session, order, kind) -> list[OrderEvent]:
    return list(session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == kind)
                             .order_by(OrderEvent.id)))


def klarna_calls(session, *, method=None, path_end=None, payment=None) -> list[KlarnaCall]:
    calls = session.exec(select(KlarnaCall).order_by(KlarnaCall.id)).all()
    return [call for call in calls if (method is None or call.method == method)
            and (path_end is None or call.path.endswith(path_end))
            and (payment is None or call.payment_id == payment.id)]


def ship(session, order, quantities_by_line_index: dict[int, int], actor="admin@example.com"):
    """Record a shipment of goods lines given by their index in `order.goods_lines`."""
    goods = order.goods_lines
    shipment = record_shipment(session, order, {goods[i].id: qty for i, qty in quantities_by_line_index.items()},
                               actor=actor)
    session.commit()
    return shipment


def restock(session, skus, stock=10_000) -> None:
    for sku in skus:
        product = session.exec(select(Product).where(Product.sku == sku)).one()
        product.stock = stock
        session.add(product)
    session.commit()


def stock_of(session, sku) -> int:
    product = session.exec(select(Product).where(Product.sku == sku)).one()
    session.refresh(product)
    return product.stock


class ShopClock:
    """Moves the shop's notion of now (the payment modules' `utcnow`) forward; Klarna's clock is separate."""

    MODULES = ("shop.payments.sync", "shop.payments.finalise", "shop.payments.service", "shop.payments.common")

    def __init__(self, monkeypatch):
        self.offset = timedelta(0)
        for module in self.MODULES:
            monkeypatch.setattr(f"{module}.utcnow", self.now)

    def now(self):
        return utcnow() + self.offset

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def shop_clock(monkeypatch):
    return ShopClock(monkeypatch)


def reload(session, obj):
    session.refresh(obj)
    return obj

