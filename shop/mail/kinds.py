"""The e-mails the shop sends: each kind's subject (a msgid) and templates (templates/mail/<kind>.html, .txt)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shop.i18n_markers import N_

SUBJECTS = {
    "order_confirmation": N_("Thank you for your order %(number)s"),
    "shipment": N_("Your order %(number)s has been shipped"),
    "partial_shipment": N_("Part of your order %(number)s has been shipped"),
    "refund": N_("Refund for your order %(number)s"),
    "order_cancelled": N_("Your order %(number)s has been cancelled"),
    "payment_link": N_("Pay for your order %(number)s"),
    "staff_alert": N_("%(shop)s: %(title)s"),
}

# The admin's words for each kind (the "Sent e-mails" list).
KIND_LABELS = {
    "order_confirmation": _l("Order confirmation"),
    "shipment": _l("Shipment"),
    "refund": _l("Refund confirmation"),
    "order_cancelled": _l("Cancellation notice"),
    "payment_link": _l("Payment link"),
    "staff_alert": _l("Staff alert"),
}


def subject_msgid(kind: str, context: dict) -> str:
    if kind == "shipment" and context.get("remaining"):
        return SUBJECTS["partial_shipment"]
    return SUBJECTS[kind]
