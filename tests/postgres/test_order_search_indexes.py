"""On PostgreSQL the orders search and the expiry filter are answered from indexes (migration 0007_perf)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

from shop.admin.order_queries import OrderSearch
from shop.db import new_session
from shop.models import Order

pytestmark = pytest.mark.postgres


def _plan(app, search: OrderSearch) -> str:
    statement = select(Order.id).where(*search.conditions())
    with new_session(app) as session:
        session.exec(text("SET enable_seqscan = off"))  # a tiny table: make the planner show what it could use
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        rows = session.exec(text(f"EXPLAIN {compiled}")).all()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("query, index", [
    ("virtanen", "ix_shop_order_name_trgm"),
    ("aino virt", "ix_shop_order_name_trgm"),
    ("#10002", "ix_shop_order_number_trgm"),
    ("example.com", "ix_shop_order_email_trgm"),
])
def test_search_uses_the_trigram_indexes(pg_app, query, index):
    assert index in _plan(pg_app, OrderSearch(query=query))


def test_expiring_soon_uses_the_expiry_and_latest_payment_indexes(pg_app):
    plan = _plan(pg_app, OrderSearch(expiry="soon"))
    assert "ix_payment_expires_at" in plan and "ix_shop_order_latest_payment_id" in plan
    assert "HashAggregate" not in plan and "GroupAggregate" not in plan


@pytest.mark.parametrize("query, scanned, skipped", [
    ("aino@example.com", {"ix_shop_order_email_trgm"}, {"ix_shop_order_number_trgm", "ix_shop_order_name_trgm"}),
    ("virtanen", {"ix_shop_order_email_trgm", "ix_shop_order_name_trgm"}, {"ix_shop_order_number_trgm"}),
    ("10002", {"ix_shop_order_number_trgm", "ix_shop_order_email_trgm", "ix_shop_order_name_trgm"}, set()),
])
def test_search_scans_only_the_indexes_of_columns_that_can_hold_the_text(pg_app, query, scanned, skipped):
    plan = _plan(pg_app, OrderSearch(query=query))
    assert all(index in plan for index in scanned) and not any(index in plan for index in skipped)
