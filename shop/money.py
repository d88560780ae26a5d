"""Money as integer minor units with the currency beside it; VAT arithmetic.

Rates are hundredths of a percent (25.5 % = 2550). Prices include VAT.
No floats anywhere: exchange rates are Decimal, conversions use their exact value and
round half away from zero.
Standard library only, so every layer (models, payments, simulator tests) can use it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable

BASE_CURRENCY = "EUR"
RATE_SCALE = 10000  # tax rates are hundredths of a percent

# ISO 4217 exponents of the currencies Klarna supports (API.md §7).
CURRENCY_EXPONENTS = {
    "AUD": 2, "CAD": 2, "CHF": 2, "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HUF": 2,
    "MXN": 2, "NOK": 2, "NZD": 2, "PLN": 2, "RON": 2, "SEK": 2, "USD": 2,
}


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency.upper()]
    except KeyError:
        raise ValueError(f"unsupported currency {currency!r}") from None


def divide_rounded(numerator: int, denominator: int) -> int:
    """Integer division rounded to nearest, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def vat_of_gross(gross: int, rate: int) -> int:
    """The VAT part of a tax-inclusive amount: gross − gross·10000/(10000+rate), rounded."""
    if not 0 <= rate <= RATE_SCALE:
        raise ValueError(f"tax rate {rate} outside 0..{RATE_SCALE}")
    return divide_rounded(gross * rate, RATE_SCALE + rate)


def net_of_gross(gross: int, rate: int) -> int:
    return gross - vat_of_gross(gross, rate)


def line_total(quantity: int, unit_price: int, discount: int = 0) -> int:
    return quantity * unit_price - discount


def _exact_rate(rate: Decimal) -> tuple[int, int]:
    """`rate` as an exact fraction (numerator, denominator); Decimal only, positive and finite."""
    if not isinstance(rate, Decimal):
        raise TypeError("exchange rates are Decimal, never float")
    if not rate.is_finite() or rate <= 0:
        raise ValueError("exchange rate must be positive")
    return rate.as_integer_ratio()


def _rescale(numerator: int, denominator: int, shift: int) -> int:
    """numerator / denominator · 10**shift, rounded to nearest (halves away from zero)."""
    if shift >= 0:
        return divide_rounded(numerator * 10**shift, denominator)
    return divide_rounded(numerator, denominator * 10**-shift)


# Conversions are exact integer arithmetic on the Decimal rate's value: no Decimal context
# precision or rounding setting can change the result, and there is no double rounding.
def convert_from_base(amount: int, rate: Decimal, currency: str) -> int:
    """Convert base-currency (EUR) minor units with `rate` units of `currency` per EUR."""
    numerator, denominator = _exact_rate(rate)
    return _rescale(amount * numerator, denominator, exponent(currency) - exponent(BASE_CURRENCY))


def convert_to_base(amount: int, rate: Decimal, currency: str) -> int:
    """The EUR equivalent (minor units) of `amount` in `currency` at `rate` per EUR."""
    numerator, denominator = _exact_rate(rate)
    return _rescale(amount * denominator, numerator, exponent(BASE_CURRENCY) - exponent(currency))


# Rounding rules for prices derived from the base price, as (step, offset) in whole units of the
# currency: the result is offset + k·step (k ≥ 0) nearest to the exact conversion, halves up.
ROUNDING_RULES = {
    "none": None,             # exact minor units: 1 449,32
    "whole": (1, 0),          # whole units: 1 449
    "whole_9": (10, 9),       # whole units ending in 9: 1 449, 69
    "ends_90": (1, Decimal("0.90")),  # 1 448,90
    "ends_95": (1, Decimal("0.95")),  # 1 448,95
}


def rounding_step(rule: str, currency: str) -> tuple[int, int]:
    """The rule's (step, offset) in minor units of `currency`; (1, 0) for exact minor units."""
    if rule not in ROUNDING_RULES:
        raise ValueError(f"unknown rounding rule {rule!r}")
    spec = ROUNDING_RULES[rule]
    if spec is None:
        return 1, 0
    unit = 10 ** exponent(currency)
    step, offset = spec
    return step * unit, int(offset * unit)


def convert_rounded(amount: int, rate: Decimal, currency: str, rule: str) -> int:
    """Convert base-currency minor units and round by `rule`, from the exact value (no double rounding).

    Zero stays zero (free stays free) and nothing else rounds down to zero; amounts are prices, not negative.
    """
    if amount < 0:
        raise ValueError("prices are not negative")
    step, offset = rounding_step(rule, currency)
    if amount == 0:
        return 0
    numerator, denominator = _exact_rate(rate)
    shift = exponent(currency) - exponent(BASE_CURRENCY)
    exact_numerator = amount * numerator * 10 ** max(shift, 0)
    exact_denominator = denominator * 10 ** max(-shift, 0)
    steps = divide_rounded(exact_numerator - offset * exact_denominator, step * exact_denominator)
    return offset + step * max(steps, 0 if offset else 1)


def to_decimal(amount: int, currency: str) -> Decimal:
    """Major units as Decimal, for display and formatting only."""
    return Decimal(amount).scaleb(-exponent(currency))


_PLAIN_AMOUNT = re.compile(r"([+-]?)([0-9]*)\.?([0-9]*)")


def parse_major(text: str, currency: str) -> int:
    """Parse a user-typed amount in major units ("12,50" or "12.50") to minor units.

    Plain digits with at most one decimal separator, spaces allowed between digit groups.
    Anything else ("1e3", "1_000", "NaN", "1.234,50") is junk and raises
    decimal.InvalidOperation; more decimals than the currency has raise ValueError.
    Parsed with integers only, so no Decimal context can round a long input.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    match = _PLAIN_AMOUNT.fullmatch(cleaned)
    if not match or not (match[2] or match[3]):
        raise InvalidOperation(f"not an amount: {text!r}")
    sign, whole, fraction = match.groups()
    places = exponent(currency)
    if len(fraction.rstrip("0")) > places:
        raise ValueError("too many decimals")
    minor = int(whole or "0") * 10**places + int(fraction[:places].ljust(places, "0") or "0")
    return -minor if sign == "-" else minor


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount is integer minor units")
        exponent(self.currency)

    def _same(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch {self.currency} vs {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int) -> "Money":
        if not isinstance(factor, int):
            raise TypeError("Money multiplies by integers only")
        return Money(self.amount * factor, self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def sum(cls, items: Iterable["Money"], currency: str) -> "Money":
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    def as_decimal(self) -> Decimal:
        return to_decimal(self.amount, self.currency)
