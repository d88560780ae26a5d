"""The arithmetic rules of API.md §6.1 as the simulator applies them."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shop.simulator.validation import check_arithmetic, check_market, line_tax_ok

from .payloads import FI_ORDER, SE_ORDER


def test_the_worked_examples_pass():
    assert check_arithmetic(FI_ORDER) == [] and check_arithmetic(SE_ORDER) == []
    assert check_market(FI_ORDER) == [] and check_market(SE_ORDER) == []


def test_country_table():
    assert check_market({"purchase_country": "fi", "purchase_currency": "eur", "locale": "sv-FI"}) == []
    assert check_market({"purchase_country": "NO", "purchase_currency": "NOK", "locale": "no-NO"}) == ["locale"]
    assert check_market({"purchase_country": "SE", "purchase_currency": "EUR"}) == ["purchase_currency"]
    assert check_market({"purchase_country": "FI", "purchase_currency": "EUR", "locale": "fi"}) == []


@given(total=st.integers(-10_000_000, 10_000_000), rate=st.integers(0, 10_000))
def test_tax_within_one_of_the_exact_part_is_accepted(total, rate):
    exact_times_denominator = total * rate
    denominator = 10_000 + rate
    rounded = (2 * exact_times_denominator + denominator) // (2 * denominator)  # nearest
    assert line_tax_ok(total, rate, rounded)
    assert line_tax_ok(total, rate, rounded - 1) or line_tax_ok(total, rate, rounded + 1)
    assert not line_tax_ok(total, rate, rounded + 2)
    assert not line_tax_ok(total, rate, rounded - 2)
