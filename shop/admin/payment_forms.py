"""Forms of the payment panel: the refund amount, and a new payment transaction's method.

CSRF is checked for every POST by the app-wide CSRFProtect; the templates post its token.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired, Regexp, ValidationError

from shop.payments.refunds import TOKEN_PATTERN, new_form_token

from .forms import MoneyField

FORM_EXPIRED = _l("This form had expired and is shown again: check it and submit it once more.")


def token_field() -> HiddenField:
    """A refund form's own token, minted when it is rendered: the refund's idempotency comes from it."""
    return HiddenField(default=new_form_token, validators=[InputRequired(FORM_EXPIRED),
                                                           Regexp(TOKEN_PATTERN, message=FORM_EXPIRED)])


class RefundForm(FlaskForm):
    """Its amount field, in the payment's currency, is added by `refund_form`."""

    class Meta:
        csrf = False

    refundable = 0

    def validate_amount(self, field) -> None:
        if field.data is not None and not 0 < field.data <= self.refundable:
            raise ValidationError(_l("Enter an amount greater than zero and at most what can be refunded."))

    def fresh_token(self) -> None:
        """Shown again after a refusal: the next submission is a new refund request."""
        self.refund_token.data = new_form_token()


def refund_form(payment, refundable: int, **kwargs) -> RefundForm:
    """Prefilled with all that can be refunded; the merchant may lower it (to keep return costs, say)."""
    amount = type(f"MoneyField{payment.currency}", (MoneyField,), {"currency": payment.currency})
    form_class = type("PaymentRefundForm", (RefundForm,), {
        "amount": amount(_l("Amount to refund"), validators=[InputRequired(_l("Enter the amount to refund."))]),
        "refund_token": token_field(),
        "refundable": refundable,
    })
    return form_class(prefix=f"refund-{payment.id}", amount=refundable, **kwargs)


class NewPaymentForm(FlaskForm):
    class Meta:
        csrf = False

    method_id = SelectField(_l("Payment method"), coerce=int, validators=[InputRequired()])


def new_payment_form(methods, **kwargs) -> NewPaymentForm:
    form = NewPaymentForm(**kwargs)
    form.method_id.choices = [(method.id, method.name) for method in methods]
    return form
