"""The payment life under faults: random sequences of shopper, merchant, Klarna and portal actions
(tests/proof/machine.py), 200 of them in the ci profile; `make soak` runs 1,000 and prints the counts."""
from __future__ import annotations

from tests.conftest_hypothesis import PAYMENT_LIFE_SEQUENCES as SEQUENCES

from . import harness
from .machine import COUNTS


def test_random_payment_lives_under_klarna_faults_keep_the_shop_and_klarna_equal(template_database):
    COUNTS.clear()
    with harness.world(template_database):
        harness.run(SEQUENCES)
    assert COUNTS["sequences"] >= SEQUENCES and COUNTS["faults"] > 0 and COUNTS["checks"] > COUNTS["steps"]
