"""Admin forms, and the fields that turn what a merchant types into integers and Decimals."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, Field, HiddenField, IntegerField, PasswordField, SelectChoice, SelectField, SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from shop.models import TAX_CLASSES
from shop.money import BASE_CURRENCY, parse_major, to_decimal

TAX_CLASS_LABELS = {
    "standard": _l("Standard rate"),
    "reduced": _l("Reduced rate"),
    "low": _l("Low rate"),
    "zero": _l("Zero rate"),
}
LANGUAGE_NAMES = (("fi", "Suomi"), ("sv", "Svenska"), ("en", "English"))  # each in its own language
PERCENT_PATTERN = re.compile(r"\d{1,3}(?:[.,]\d{1,2})?")
RATE_PATTERN = re.compile(r"\d{1,8}(?:[.,]\d{1,6})?")


class _TextValueField(Field):
    """A text input whose data is parsed from, and shown as, the merchant's own notation."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.show(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if text:
            self.data = self.parse(text)  # ValueError -> the field's error, the typed text stays

    def show(self, value) -> str:
        raise NotImplementedError

    def parse(self, text: str):
        raise NotImplementedError


class MoneyField(_TextValueField):
    """Euros typed as "12,90" or "12.90"; data is minor units (1290)."""

    currency = BASE_CURRENCY

    def show(self, value: int) -> str:
        return format_decimal(to_decimal(value, self.currency), format="0.00")

    def parse(self, text: str) -> int:
        try:
            amount = parse_major(text, self.currency)
        except (InvalidOperation, ValueError):
            raise ValueError(_l("Enter an amount such as 12,90.")) from None
        if amount < 0:
            raise ValueError(_l("The amount cannot be negative."))
        return amount


class PercentField(_TextValueField):
    """A VAT rate typed as "25,5"; data is hundredths of a percent (2550)."""

    def show(self, value: int) -> str:
        return format_decimal(Decimal(value) / 100, format="0.##")

    def parse(self, text: str) -> int:
        if not PERCENT_PATTERN.fullmatch(text):
            raise ValueError(_l("Enter a percentage such as 25,5."))
        rate = int(Decimal(text.replace(",", ".")) * 100)
        if rate > 10000:
            raise ValueError(_l("A VAT rate is at most 100 %."))
        return rate


class ExchangeRateField(_TextValueField):
    """Units of the version's currency per euro, typed as "11,235"; data is a Decimal."""

    def show(self, value: Decimal) -> str:
        return format_decimal(value.normalize(), format="0.######")

    def parse(self, text: str) -> Decimal:
        if not RATE_PATTERN.fullmatch(text):
            raise ValueError(_l("Enter a rate such as 11,235 (at most six decimals)."))
        rate = Decimal(text.replace(",", "."))
        if rate <= 0:
            raise ValueError(_l("The exchange rate must be greater than zero."))
        return rate


def tax_class_field() -> SelectField:
    return SelectField(_l("Tax class"), choices=[SelectChoice(c, TAX_CLASS_LABELS[c]) for c in TAX_CLASSES])


def price_field() -> MoneyField:
    return MoneyField(_l("Price (EUR, VAT included)"), validators=[InputRequired(_l("Enter a price."))])


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class LanguageForm(FlaskForm):
    locale = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES])
    next = HiddenField()


class ProductForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    price = price_field()
    tax_class = tax_class_field()
    stock = IntegerField(_l("Stock"), validators=[InputRequired(), NumberRange(min=0, max=10**9)])
    # The stock shown when the form was opened: a concurrent sale must not be overwritten unseen.
    stock_loaded = HiddenField()
    category_id = SelectField(_l("Category"), coerce=int)
    active = BooleanField(_l("Active (shown in the shop)"))


class ShippingMethodForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    price = price_field()
    tax_class = tax_class_field()
    position = IntegerField(_l("Position"), default=0, validators=[InputRequired(), NumberRange(min=0, max=9999)])
    active = BooleanField(_l("Active (offered at checkout)"))


class ShopVersionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    exchange_rate = ExchangeRateField(_l("Exchange rate (units per 1 EUR)"),
                                      validators=[InputRequired(_l("Enter the exchange rate."))])
    active = BooleanField(_l("Active"))


def shop_version_form_class() -> type[ShopVersionForm]:
    """The shop version form with one VAT rate input per tax class."""
    fields = {
        f"vat_{tax_class}": PercentField(TAX_CLASS_LABELS[tax_class], validators=[InputRequired(_l("Enter a rate."))])
        for tax_class in TAX_CLASSES
    }
    return type("ShopVersionVatForm", (ShopVersionForm,), fields)


class PublishForm(FlaskForm):
    # Rendered as one checkbox per version by admin/settings/_payment_methods_table.html.
    versions = SelectMultipleField(_l("Show in selected shop versions"), coerce=int, validators=[Optional()])


class ShipmentForm(FlaskForm):
    """Quantities to ship, one field per goods line: see shipment_form_class."""


def shipment_form_class(lines) -> type[ShipmentForm]:
    """One quantity input per goods line, from 0 to what is still unshipped."""
    fields = {
        quantity_field_name(line.id): IntegerField(
            line.name, default=line.unshipped_quantity,
            validators=[Optional(), NumberRange(min=0, max=line.unshipped_quantity,
                                                message=_l("Enter a number from %(min)s to %(max)s."))],
        )
        for line in lines
    }
    return type("OrderShipmentForm", (ShipmentForm,), fields)


def quantity_field_name(line_id: int) -> str:
    return f"quantity_{line_id}"

