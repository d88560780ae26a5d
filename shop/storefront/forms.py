"""Storefront forms: cart quantities and the checkout."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, RadioField, StringField, TelField
from wtforms.validators import (
    DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, StopValidation, ValidationError,
)

from .carts import MAX_QUANTITY

QUANTITY_MESSAGE = _l("Enter a whole number from 1 to %(max)d.", max=MAX_QUANTITY)

# Postal code shapes of the countries the shop versions sell to; others get a loose check.
POSTAL_CODES = {
    "FI": (re.compile(r"\d{5}"), _l("Enter a five-digit postal code, e.g. 00100.")),
    "SE": (re.compile(r"\d{3} ?\d{2}"), _l("Enter a five-digit postal code, e.g. 113 51.")),
}
ANY_POSTAL_CODE = (re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{1,9}"), _l("Enter a valid postal code."))


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class QuantityField(IntegerField):
    """An integer field whose parse error speaks the same words as its range check."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(str(QUANTITY_MESSAGE)) from None

    def pre_validate(self, form) -> None:
        if self.process_errors:
            raise StopValidation()  # the parse error says it all


class QuantityForm(FlaskForm):
    quantity = QuantityField(
        _l("Quantity"), default=1,
        validators=[InputRequired(message=QUANTITY_MESSAGE), NumberRange(1, MAX_QUANTITY, message=QUANTITY_MESSAGE)],
    )


def _required(max_length: int) -> list:
    """For stripped text: DataRequired sees the stripped value, so only spaces is nothing typed."""
    return [DataRequired(message=_l("This field is required.")),
            Length(max=max_length, message=_l("Use at most %(max)d characters."))]


class CheckoutForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[_strip],
                       validators=[*_required(254), Email(message=_l("Enter a valid e-mail address."))])
    given_name = StringField(_l("Given name"), filters=[_strip], validators=_required(99))
    family_name = StringField(_l("Family name"), filters=[_strip], validators=_required(99))
    phone = TelField(_l("Phone (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=30, message=_l("Use at most %(max)d characters.")),
        Regexp(r"^\+?[0-9 ()-]{5,}$", message=_l("Enter a phone number, e.g. +358 40 123 4567.")),
    ])
    street_address = StringField(_l("Street address"), filters=[_strip], validators=_required(99))
    postal_code = StringField(_l("Postal code"), filters=[_strip], validators=_required(10))
    city = StringField(_l("City"), filters=[_strip], validators=_required(99))
    shipping_method = RadioField(_l("Shipping method"), coerce=int,
                                 invalid_choice_message=_l("Choose a shipping method."),
                                 invalid_value_message=_l("Choose a shipping method."))
    payment_method = RadioField(_l("Payment method"), coerce=int,
                                invalid_choice_message=_l("Choose a payment method."),
                                invalid_value_message=_l("Choose a payment method."))

    def __init__(self, *args, country: str, shipping_ids: list[int], payment_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.country = country
        self.shipping_method.choices = [(i, str(i)) for i in shipping_ids]
        self.payment_method.choices = [(i, str(i)) for i in payment_ids]

    def validate_postal_code(self, field: StringField) -> None:
        pattern, message = POSTAL_CODES.get(self.country, ANY_POSTAL_CODE)
        if field.data and not pattern.fullmatch(field.data):
            raise ValidationError(message)
