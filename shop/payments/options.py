"""The Klarna option a shopper chose, in the words Klarna's own pages use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PAY_LATER, PAY_IN_PARTS, PAY_NOW = _l("Pay later"), _l("Pay in parts"), _l("Pay now")

# OM initial_payment_method.type -> what the shopper picked
OPTION_BY_TYPE = {
    "INVOICE": PAY_LATER, "PAY_LATER_BY_CARD": PAY_LATER, "INVOICE_BUSINESS": PAY_LATER,
    "FIXED_AMOUNT": PAY_IN_PARTS, "PAY_LATER_IN_PARTS": PAY_IN_PARTS, "PAY_IN_X": PAY_IN_PARTS,
    "ACCOUNT": PAY_IN_PARTS, "FIXED_AMOUNT_BY_CARD": PAY_IN_PARTS, "FIXED_SUM_CREDIT": PAY_IN_PARTS,
    "DEFERRED_INTEREST": PAY_IN_PARTS,
    "DIRECT_DEBIT": PAY_NOW, "BANK_TRANSFER": PAY_NOW, "CARD": PAY_NOW, "PAY_BY_CARD": PAY_NOW,
    "SWISH": PAY_NOW, "MOBILEPAY": PAY_NOW,
    # KP's authorized_payment_method.type (the answer to creating the order), upper-cased
    "DIRECT_BANK_TRANSFER": PAY_NOW, "BASE_ACCOUNT": PAY_IN_PARTS, "B2B_INVOICE": PAY_LATER,
    "SLICE_IT_BY_CARD": PAY_IN_PARTS,
}


def option_label(option_type: str | None, description: str | None = None) -> str:
    if option_type and option_type.upper() in OPTION_BY_TYPE:
        return str(OPTION_BY_TYPE[option_type.upper()])
    return description or option_type or ""
