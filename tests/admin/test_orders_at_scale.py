"""The orders list stays cheap as orders pile up: the same queries per page, a bounded count, no grouping."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from shop.admin import order_queries
from shop.models import Order, Payment, PaymentMethod, utcnow

from .conftest import counting_queries, make_order
from .test_orders_list import numbers_in

LIST_VIEWS = ["/admin/orders", "/admin/orders?page=2", "/admin/orders?q=virtanen", "/admin/orders?q=%23100",
              "/admin/orders?q=example.com", "/admin/orders?expiry=soon", "/admin/orders?status=confirmed&q=aino"]


@pytest.fixture
def app_overrides():
    return {"ORDERS_PER_PAGE": 4}


def _klarna(session) -> PaymentMethod:
    return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one()


def _add_orders(session, count: int) -> None:
    klarna = _klarna(session)
    for index in range(count):
        order = make_order(session, "sv" if index % 2 else "fi", items=(("CAP-003", 1),))
        if index % 2 == 0:
            session.add(Payment(order_id=order.id, method_id=klarna.id, provider="klarna", state="authorized",
                                currency=order.currency, amount=order.total,
                                expires_at=utcnow() + timedelta(days=index % 10)))
    session.commit()


def _queries(app, admin_client, session, url: str) -> list[str]:
    admin_client.get(url)
    session.close()
    with counting_queries(app) as statements:
        assert admin_client.get(url).status_code == 200
    return statements


@pytest.mark.parametrize("url", LIST_VIEWS)
def test_every_list_view_runs_the_same_queries_for_10_and_60_orders(app, admin_client, session, url):
    _add_orders(session, 10)
    few = _queries(app, admin_client, session, url)
    _add_orders(session, 50)
    many = _queries(app, admin_client, session, url)
    assert len(few) == len(many), many
    assert not any("GROUP BY" in statement.upper() for statement in many)  # no payments grouped per order


def test_the_list_counts_only_so_far(app, admin_client, session, monkeypatch):
    monkeypatch.setattr(order_queries, "COUNT_LIMIT", 5)
    _add_orders(session, 12)
    first = admin_client.get("/admin/orders").get_data(as_text=True)
    assert "More than 5 orders" in first and "Page 1 of more than 2" in first
    assert 'href="/admin/orders?page=2"' in first
    third = admin_client.get("/admin/orders?page=3").get_data(as_text=True)  # counted up to 5 past this page
    assert len(numbers_in(third)) == 4 and "12 orders" in third and "Page 3 of 3" in third


def test_an_exact_count_below_the_limit(admin_client, session):
    _add_orders(session, 6)
    html = admin_client.get("/admin/orders").get_data(as_text=True)
    assert "6 orders" in html and "More than" not in html and "Page 1 of 2" in html


def test_the_order_points_at_its_newest_payment(session):
    order = make_order(session)
    klarna = _klarna(session)
    assert session.get(Order, order.id).latest_payment_id is None
    ids = []
    for state in ("expired", "authorized"):
        payment = Payment(order_id=order.id, method_id=klarna.id, provider="klarna", state=state,
                          currency=order.currency, amount=order.total)
        session.add(payment)
        session.commit()
        ids.append(payment.id)
    session.expire_all()
    assert session.get(Order, order.id).latest_payment_id == ids[-1]


def test_expiring_soon_looks_at_the_newest_payment_only(admin_client, session):
    klarna = _klarna(session)
    replaced, watched = make_order(session), make_order(session)
    for order, states in ((replaced, ("authorized", "captured")), (watched, ("captured", "authorized"))):
        for state in states:
            session.add(Payment(order_id=order.id, method_id=klarna.id, provider="klarna", state=state,
                                currency=order.currency, amount=order.total, expires_at=utcnow() + timedelta(days=2)))
            session.commit()
    assert numbers_in(admin_client.get("/admin/orders?expiry=soon").get_data(as_text=True)) == [watched.number]
