"""The order and payment history in the reader's language.

Events store a msgid and the values for its placeholders (see `shop.i18n_markers`); they are
translated when shown, so the history reads in the admin user's language whoever wrote it
(a shopper's request, Klarna's callback, the cron sync).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from shop.i18n import money
from shop.payments import states

from .payment_panel import FRAUD_STATUS_LABELS

# Who brought Klarna's confirmation of a payment (`finalise(source=...)`).
FINALISE_SOURCE_LABELS = {
    "return": _l("customer's return"), "poll": _l("waiting page"), "callback": _l("status callback"),
    "sync": _l("status check"), "retry": _l("new payment attempt"),
}
# `label_arg(table, value)` in a stored message shows the word of one of these tables.
ARG_LABELS: dict[str, Mapping[str, Any]] = {
    "payment_state": states.LABELS, "operation": states.OPERATION_LABELS, "fraud_status": FRAUD_STATUS_LABELS,
    "finalise_source": FINALISE_SOURCE_LABELS,
}


def history_message(event: Any) -> str:
    """An order or payment event's message, translated, with its stored values filled in."""
    return stored_text(event.message, (event.data or {}).get("message_args"))


def stored_text(message: str | None, args: Any = None) -> str:
    """A stored msgid in the current language. Never raises: a translation or stored message whose
    placeholders do not match the stored values falls back to the message as stored."""
    if not message:
        return ""
    translated = gettext(message)
    if not isinstance(args, Mapping):
        return translated
    values = {key: _arg_text(value) for key, value in args.items()}
    for text in (translated, message):
        try:
            return text % values
        except (KeyError, ValueError, TypeError):
            continue
    return message


def _arg_text(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    if "money" in value:
        return _money_text(value.get("money"), value.get("currency"))
    if "label" in value:
        word = ARG_LABELS.get(value["label"], {}).get(value.get("value"))
        return str(word if word is not None else value.get("value"))
    return value


def _money_text(amount: Any, currency: Any) -> str:
    try:
        return money(amount, currency)
    except (ValueError, TypeError, LookupError, ArithmeticError):
        return f"{amount} {currency}"
