"""Forms of the returns card: the returned quantities, and the overpayment refund.

CSRF is checked for every POST by the app-wide CSRFProtect; the templates post its token.
A refund form carries its own token too (`refund_token`), minted when it is rendered: the
refund's idempotency key comes from it, so a form submitted twice is one refund.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from .forms import MoneyField
from .payment_forms import RefundForm, token_field

FEE_KINDS = ("shipping_fee", "surcharge")


class ReturnForm(FlaskForm):
    """One field per returnable line (see return_form_class), and whether the goods go back on the shelf."""

    restock = BooleanField(_l("Put the returned goods back in stock"), default=True)
    return_token = token_field()

    def quantities(self, lines) -> dict[int, int]:
        found = {}
        for line in lines:
            data = self[return_field_name(line.id)].data
            found[line.id] = (1 if data else 0) if line.kind in FEE_KINDS else (data or 0)
        return found


def return_form_class(lines) -> type[ReturnForm]:
    """Goods: units returned, 0 to what was shipped and not returned yet. A fee (shipping): given back or not."""
    fields = {}
    for line in lines:
        if line.kind in FEE_KINDS:
            fields[return_field_name(line.id)] = BooleanField(line.name)
        else:
            fields[return_field_name(line.id)] = IntegerField(line.name, default=0, validators=[
                Optional(), NumberRange(min=0, max=line.returnable_quantity,
                                        message=_l("Enter a number from %(min)s to %(max)s."))])
    return type("OrderReturnForm", (ReturnForm,), fields)


def return_field_name(line_id: int) -> str:
    return f"return_{line_id}"


def overpayment_refund_form(offer, **kwargs) -> RefundForm:
    """Prefilled with the overpayment (at most what Klarna can refund); the merchant may lower it."""
    amount = type(f"MoneyField{offer.currency}", (MoneyField,), {"currency": offer.currency})
    form_class = type("RefundOverpaymentForm", (RefundForm,), {
        "amount": amount(_l("Amount to refund"), validators=[InputRequired(_l("Enter the amount to refund."))]),
        "refund_token": token_field(),
        "refundable": offer.refundable,
    })
    return form_class(prefix="overpayment", amount=offer.suggested, **kwargs)
