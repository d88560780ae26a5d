"""The orders list: newest first, search, status filter, htmx partial, and a fixed number of queries."""
from __future__ import annotations

import re

import pytest

from shop.models import Payment

from .conftest import HTMX, counting_queries, make_order


@pytest.fixture
def app_overrides():
    return {"ORDERS_PER_PAGE": 50}


@pytest.fixture
def orders(session):
    return {
        "aino": make_order(session),
        "asa": make_order(session, "sv", given_name="Åsa", family_name="Öberg", email="asa@example.se",
                          status="confirmed"),
        "matti": make_order(session, given_name="Matti", family_name="Meikäläinen", email="MATTI@Example.com",
                            status="shipped"),
    }


def numbers_in(html: str) -> list[str]:
    return re.findall(r'href="/admin/orders/(\d+)"', html)


def test_newest_first_with_the_columns(admin_client, orders):
    html = admin_client.get("/admin/orders").get_data(as_text=True)
    assert numbers_in(html) == [orders["matti"].number, orders["asa"].number, orders["aino"].number]
    assert "Åsa Öberg" in html and "asa@example.se" in html and "Sverige" in html
    assert "Awaiting payment" in html and "Confirmed" in html
    assert "\u00a0€" in html and "\u00a0SEK" in html  # totals in each order's currency, Finnish formatting


def test_search_is_case_insensitive(admin_client, orders):
    searches = {"matti@example": "matti", "MEIKÄ": "matti", "öberg": "asa", "åsa öberg": "asa", "virtanen": "aino"}
    for query, who in searches.items():
        html = admin_client.get("/admin/orders", query_string={"q": query}).get_data(as_text=True)
        assert numbers_in(html) == [orders[who].number], query


def test_search_by_order_number(admin_client, orders):
    number = orders["asa"].number
    for query in (number, f"#{number}"):
        assert numbers_in(admin_client.get(f"/admin/orders?q={query}".replace("#", "%23")).get_data(as_text=True)) \
            == [number]


def test_search_wildcards_are_literal(admin_client, orders):
    assert numbers_in(admin_client.get("/admin/orders?q=%25").get_data(as_text=True)) == []


def test_filter_by_status(admin_client, orders):
    html = admin_client.get("/admin/orders?status=confirmed").get_data(as_text=True)
    assert numbers_in(html) == [orders["asa"].number]
    assert '<option value="confirmed" selected>' in html


def test_odd_arguments_fall_back(admin_client, orders):
    response = admin_client.get("/admin/orders?status=nonsense&page=abc&q=" + "x" * 500)
    assert response.status_code == 200


def test_htmx_gets_the_table_alone(admin_client, orders):
    response = admin_client.get("/admin/orders?status=shipped", headers=HTMX)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="orders-table">') and "<html" not in html
    assert numbers_in(html) == [orders["matti"].number]


def test_a_history_restore_gets_the_whole_page(admin_client, orders):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    assert "<html" in admin_client.get("/admin/orders?status=shipped", headers=headers).get_data(as_text=True)


def test_the_search_form_works_with_and_without_htmx(admin_client, orders):
    html = admin_client.get("/admin/orders").get_data(as_text=True)
    form = re.search(r"<form method=\"get\"[^>]*>", html).group(0)
    assert 'action="/admin/orders"' in form and 'hx-get="/admin/orders"' in form
    assert 'hx-target="#orders-table"' in form and 'hx-push-url="true"' in form


def test_payment_state_comes_from_the_latest_payment(admin_client, session, orders):
    order = orders["asa"]
    session.add(Payment(order_id=order.id, method_id=order.payment_method_id, provider="manual", state="cancelled",
                        currency=order.currency, amount=order.total))
    session.add(Payment(order_id=order.id, method_id=order.payment_method_id, provider="manual", state="captured",
                        currency=order.currency, amount=order.total, captured_amount=order.total))
    session.commit()
    html = admin_client.get("/admin/orders?status=confirmed").get_data(as_text=True)
    assert "payment-captured" in html and "Paid" in html and "payment-cancelled" not in html


def _add_orders(session, count: int) -> None:
    for index in range(count):
        order = make_order(session, "sv" if index % 2 else "fi", items=(("CAP-003", 1),))
        if index % 3 == 0:
            session.add(Payment(order_id=order.id, method_id=order.payment_method_id, provider="manual",
                                state="authorized", currency=order.currency, amount=order.total))
    session.commit()


def _queries_for_the_list(app, admin_client, session) -> tuple[int, int]:
    admin_client.get("/admin/orders")  # the logged-in user is loaded once and kept: same footing for both counts
    session.close()  # tests share the request's session: start as cold as a real request
    with counting_queries(app) as statements:
        html = admin_client.get("/admin/orders").get_data(as_text=True)
    return len(statements), len(numbers_in(html))


def test_the_list_uses_the_same_queries_for_5_and_40_orders(app, admin_client, session):
    _add_orders(session, 5)
    few, shown = _queries_for_the_list(app, admin_client, session)
    assert shown == 5
    _add_orders(session, 35)
    many, shown = _queries_for_the_list(app, admin_client, session)
    assert shown == 40
    assert few == many
