"""Rounding rules for converted prices: the rule's form, within one step of the exact value, monotonic."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from shop.money import ROUNDING_RULES, convert_from_base, convert_rounded, rounding_step

RATE = Decimal("11.235")
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=6, allow_nan=False)
amounts = st.integers(min_value=0, max_value=10**8)
rules = st.sampled_from(sorted(ROUNDING_RULES))


@given(amounts, rates, rules)
def test_the_result_has_the_rule_s_form_and_is_within_one_step(amount, rate, rule):
    step, offset = rounding_step(rule, "SEK")
    result = convert_rounded(amount, rate, "SEK", rule)
    exact = Fraction(amount) * Fraction(rate)
    assert result == 0 if amount == 0 else result % step == offset and result > 0
    assert abs(result - exact) <= step


@given(amounts, amounts, rates, rules)
def test_a_higher_base_price_never_converts_to_a_lower_price(first, second, rate, rule):
    low, high = sorted((first, second))
    assert convert_rounded(low, rate, "SEK", rule) <= convert_rounded(high, rate, "SEK", rule)


@given(amounts, rates)
def test_no_rounding_is_the_exact_conversion_except_that_nothing_becomes_free(amount, rate):
    exact = convert_from_base(amount, rate, "SEK")
    expected = 1 if amount and exact == 0 else exact
    assert convert_rounded(amount, rate, "SEK", "none") == expected


@pytest.mark.parametrize("rule, expected", [
    ("none", (144932, 6629)), ("whole", (144900, 6600)), ("whole_9", (144900, 6900)),
    ("ends_90", (144890, 6590)), ("ends_95", (144895, 6595)),
])
def test_the_swedish_examples(rule, expected):
    # 129,00 € and 5,90 € at 11,235 kr/€ are exactly 1 449,315 kr and 66,2865 kr
    assert (convert_rounded(12900, RATE, "SEK", rule), convert_rounded(590, RATE, "SEK", rule)) == expected


def test_free_stays_free_and_unknown_rules_or_negative_prices_are_refused():
    assert convert_rounded(0, RATE, "SEK", "whole_9") == 0
    with pytest.raises(ValueError):
        convert_rounded(100, RATE, "SEK", "nearest_5")
    with pytest.raises(ValueError):
        convert_rounded(-1, RATE, "SEK", "whole")
