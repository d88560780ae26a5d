"""Paging of the orders list (three to a page here)."""
from __future__ import annotations

import pytest

from .conftest import HTMX, make_order
from .test_orders_list import numbers_in


@pytest.fixture
def app_overrides():
    return {"ORDERS_PER_PAGE": 3}


@pytest.fixture
def numbers(session):
    """Seven order numbers, newest first."""
    return [make_order(session, items=(("CAP-003", 1),)).number for _ in range(7)][::-1]


def test_pages_split_the_list_newest_first(admin_client, numbers):
    first = admin_client.get("/admin/orders").get_data(as_text=True)
    assert numbers_in(first) == numbers[:3]
    assert "Page 1 of 3" in first and 'href="/admin/orders?page=2"' in first and 'rel="prev"' not in first
    assert numbers_in(admin_client.get("/admin/orders?page=3").get_data(as_text=True)) == numbers[6:]


def test_a_page_past_the_end_shows_the_last(admin_client, numbers):
    assert numbers_in(admin_client.get("/admin/orders?page=99").get_data(as_text=True)) == numbers[6:]


def test_page_links_keep_the_search_and_swap_the_table(admin_client, numbers):
    html = admin_client.get("/admin/orders?q=aino&status=awaiting_payment", headers=HTMX).get_data(as_text=True)
    assert 'hx-get="/admin/orders?q=aino&amp;status=awaiting_payment&amp;page=2"' in html
