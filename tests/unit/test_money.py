"""Properties of shop.money, checked against exact Fraction arithmetic."""
from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import (
    Money,
    convert_from_base,
    convert_to_base,
    divide_rounded,
    line_total,
    net_of_gross,
    parse_major,
    to_decimal,
    vat_of_gross,
)

amounts = st.integers(-10**9, 10**9)
rates = st.integers(0, 10000)


def assert_rounded(result: int, exact: Fraction) -> None:
    """`result` is `exact` rounded to nearest, halves away from zero."""
    error = abs(result - exact)
    assert error <= Fraction(1, 2)
    if error == Fraction(1, 2):
        assert abs(result) > abs(exact)


@given(amounts, st.integers(1, 10**6))
def test_divide_rounded_rounds_to_nearest_halves_away_from_zero(numerator, denominator):
    assert_rounded(divide_rounded(numerator, denominator), Fraction(numerator, denominator))


@given(amounts, rates)
def test_vat_is_the_rounded_tax_part_of_the_gross(gross, rate):
    exact = gross - Fraction(gross * 10000, 10000 + rate)
    assert_rounded(vat_of_gross(gross, rate), exact)


@given(amounts, rates)
def test_net_plus_vat_is_gross_and_signs_are_symmetric(gross, rate):
    assert net_of_gross(gross, rate) + vat_of_gross(gross, rate) == gross
    assert vat_of_gross(-gross, rate) == -vat_of_gross(gross, rate)
    assert vat_of_gross(gross, rate) * gross >= 0  # same sign as the gross, or zero


@pytest.mark.parametrize("rate", [-1, 10001])
def test_vat_rejects_rates_outside_0_to_10000(rate):
    with pytest.raises(ValueError, match="tax rate"):
        vat_of_gross(100, rate)


@pytest.mark.parametrize(
    ("gross", "rate", "vat"),
    [(16182, 2400, 3132), (495, 2400, 96), (-500, 2400, -97), (9999, 2500, 2000), (1255, 2550, 255), (5, 2500, 1)],
)
def test_vat_reference_values(gross, rate, vat):
    assert vat_of_gross(gross, rate) == vat


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=10))
def test_order_total_is_the_sum_of_line_totals(lines):
    totals = [line_total(q, p, min(d, q * p)) for q, p, d in lines]
    assert totals == [q * p - min(d, q * p) for q, p, d in lines]
    assert Money.sum((Money(t, "EUR") for t in totals), "EUR") == Money(sum(totals), "EUR")


def test_money_keeps_currencies_apart_and_takes_integers_only():
    with pytest.raises(ValueError, match="currency mismatch"):
        Money(1, "EUR") + Money(1, "SEK")
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1, "EUR") * 1.5  # type: ignore[operator]
    with pytest.raises(ValueError, match="unsupported currency"):
        Money(1, "XXX")
    assert -(Money(5, "SEK") * 3 - Money(1, "SEK")) == Money(-14, "SEK")


# Exchange rates between 0.001 and 1000 with up to 40 decimals, more than a 28-digit
# Decimal context holds.
exchange_rates = st.integers(0, 40).flatmap(
    lambda places: st.integers(10 ** max(places - 3, 0), 10 ** (places + 3)).map(
        lambda mantissa: Decimal(mantissa).scaleb(-places)
    )
)


@given(amounts, exchange_rates)
def test_conversion_is_exact_rounding_of_the_decimal_rate(amount, rate):
    exact_rate = Fraction(rate)
    assert_rounded(convert_from_base(amount, rate, "SEK"), amount * exact_rate)
    assert_rounded(convert_to_base(amount, rate, "SEK"), amount / exact_rate)


@given(amounts, exchange_rates)
def test_eur_sek_eur_round_trip_stays_within_rounding(amount, rate):
    back = convert_to_base(convert_from_base(amount, rate, "SEK"), rate, "SEK")
    # half a minor unit lost going out, scaled back by the rate, plus half a unit coming back
    assert abs(back - amount) <= Fraction(1, 2) / Fraction(rate) + Fraction(1, 2)
    if rate >= 1:
        assert abs(back - amount) <= 1


def test_conversion_ignores_the_decimal_context():
    rate = Decimal("2.0000000000000000000000000000001")
    assert convert_to_base(1, rate, "EUR") == 0  # 0.49999…; a 28-digit context would round it to 0.5 → 1
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_FLOOR)):
        assert convert_from_base(1999, Decimal("11.4567"), "SEK") == 22902
        assert convert_to_base(22902, Decimal("11.4567"), "SEK") == 1999


@pytest.mark.parametrize("convert", [convert_from_base, convert_to_base])
def test_conversion_takes_decimal_rates_only(convert):
    with pytest.raises(TypeError, match="Decimal"):
        convert(100, 11.5, "SEK")
    with pytest.raises(TypeError, match="Decimal"):
        convert(100, 11, "SEK")
    for bad in (Decimal(0), Decimal(-1), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError, match="positive"):
            convert(100, bad, "SEK")
    with pytest.raises(ValueError, match="unsupported currency"):
        convert(100, Decimal(1), "XXX")


@given(st.integers(-10**12, 10**12))
def test_parse_major_reads_back_to_decimal(minor):
    assert parse_major(str(to_decimal(minor, "EUR")), "EUR") == minor


@given(st.integers(-10**12, 10**12), st.sampled_from([".", ","]), st.sampled_from(["", " ", "\u00a0"]))
def test_parse_major_reads_typed_amounts(minor, separator, group_separator):
    whole, cents = divmod(abs(minor), 100)
    grouped = f"{whole:,}".replace(",", group_separator)
    text = f"{'-' if minor < 0 else ''}{grouped}{separator}{cents:02d}"
    assert parse_major(text, "EUR") == minor


@pytest.mark.parametrize(
    ("text", "minor"),
    [("12,50", 1250), ("12.5", 1250), (" 1 234,50 ", 123450), ("5", 500), ("5.", 500), (".5", 50),
     ("+0,01", 1), ("-0.10", -10), ("12.500", 1250), ("1\u00a0000", 100000)],
)
def test_parse_major_examples(text, minor):
    assert parse_major(text, "EUR") == minor


@pytest.mark.parametrize(
    "text", ["", " ", ".", "-", "abc", "1e3", "1_000", "NaN", "Infinity", "1.234,50", "1,2,3", "--1"]
)
def test_parse_major_rejects_junk(text):
    with pytest.raises(decimal.InvalidOperation):
        parse_major(text, "EUR")


@pytest.mark.parametrize("text", ["12.505", "0,001"])
def test_parse_major_rejects_more_decimals_than_the_currency_has(text):
    with pytest.raises(ValueError, match="too many decimals"):
        parse_major(text, "EUR")
