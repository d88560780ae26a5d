"""`make loadtest` in small: ten seconds of no-JS shoppers and a merchant against gunicorn on PostgreSQL."""
from __future__ import annotations

import pytest

from tests.load import run_load

pytestmark = pytest.mark.postgres


def test_ten_seconds_of_shoppers_and_a_merchant_lose_nothing_and_capture_nothing_twice(postgres_server):
    result = run_load(postgres_server, shoppers=8, seconds=10)
    report = "\n".join(result.lines())
    r = result.reconciliation
    assert not result.stats.errors and result.server_errors == 0, report
    assert not r.lost and not r.doubled and not r.differing, report
    assert result.stats.checkouts["paid"] >= 1 and r.authorized >= result.stats.checkouts["paid"], report
