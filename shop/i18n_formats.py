"""Money and percent as text, cached: a catalogue page shows the same few prices and rates many times.

Babel's number formatting parses a pattern and walks the locale's data on every call; the result
depends only on the amount, the currency and the locale, so it is computed once per process.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, format_decimal

from .money import to_decimal


@lru_cache(maxsize=8192)
def money_text(amount: int, currency: str, locale: str) -> str:
    return format_currency(to_decimal(amount, currency), currency, locale=Locale.parse(locale))


@lru_cache(maxsize=1024)
def percent_text(rate: int, locale: str) -> str:
    """Hundredths of a percent, shown the locale's way: 2550 -> 25,5 %."""
    return format_decimal(Decimal(rate) / 100, format="#,##0.##", locale=Locale.parse(locale)) + " %"
