"""Text stored now and translated when it is read: the order and payment history.

A history entry keeps a msgid (marked with `N_` so `make extract-messages` finds it) and the
values for its %(name)s placeholders; the admin shows it in the reader's language. Values the
reader's language formats too are kept as they are until then: `money_arg` (an amount in
minor units) and `label_arg` (a code, shown with the word of one of the admin's label tables).
Nothing here needs an app or a request, so the payment layer can use it anywhere.
"""
from __future__ import annotations

from typing import Any


def N_(text: str) -> str:  # noqa: N802  (the usual name of the no-op gettext marker)
    """Marks `text` for extraction and returns it unchanged; it is translated when shown."""
    return text


def money_arg(amount: int | None, currency: str | None) -> dict[str, Any]:
    return {"money": amount, "currency": currency}


def label_arg(table: str, value: str | None) -> dict[str, Any]:
    return {"label": table, "value": value}


# Klarna's own words (an error text) stay as Klarna wrote them, under a translated lead.
KLARNA_ANSWERED = N_("Klarna answered: %(message)s")
