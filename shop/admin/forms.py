"""Admin forms, and the fields that turn what a merchant types into integers and Decimals."""
from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, Field, HiddenField, IntegerField, PasswordField, RadioField, SelectChoice, SelectField,
    SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from shop.models import TAX_CLASSES
from shop.money import BASE_CURRENCY, parse_major, to_decimal
from shop.payments import setup

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
        self.raw_data = [text] if valuelist else valuelist  # only spaces counts as nothing typed (InputRequired)
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
    maximum = 10**9  # minor units: well inside the database's integer columns

    def show(self, value: int) -> str:
        return format_decimal(to_decimal(value, self.currency), format="0.00")

    def parse(self, text: str) -> int:
        try:
            amount = parse_major(text, self.currency)
        except (InvalidOperation, ValueError):
            raise ValueError(_l("Enter an amount such as 12,90.")) from None
        if amount < 0:
            raise ValueError(_l("The amount cannot be negative."))
        if amount > self.maximum:
            raise ValueError(_l("Enter an amount of at most %(max)s.", max=self.show(self.maximum)))
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


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    position = IntegerField(_l("Position"), default=0, validators=[InputRequired(), NumberRange(min=0, max=9999)])


ROUNDING_LABELS = {  # shop.money.ROUNDING_RULES
    "none": _l("Exact conversion (1 449,32)"), "whole": _l("Whole units (1 449)"),
    "whole_9": _l("Whole units ending in 9 (1 449, 69)"), "ends_90": _l("Ending in ,90 (1 448,90)"),
    "ends_95": _l("Ending in ,95 (1 448,95)"),
}


class ShopVersionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    exchange_rate = ExchangeRateField(_l("Exchange rate (units per 1 EUR)"),
                                      validators=[InputRequired(_l("Enter the exchange rate."))])
    price_rounding = SelectField(_l("Rounding of converted prices"),
                                 choices=[SelectChoice(rule, label) for rule, label in ROUNDING_LABELS.items()])
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


PROVIDER_CHOICES = (("klarna", _l("Klarna Payments")), ("manual", _l("Manual (e.g. bank transfer)")))
ENVIRONMENT_LABELS = {
    "simulator": _l("Simulator (offline, for trying things out)"),
    "playground": _l("Playground (Klarna's test environment)"),
    "production": _l("Production (real payments)"),
}
REGION_LABELS = {"eu": _l("Europe (EU)"), "na": _l("North America (NA)"), "oc": _l("Oceania (OC)")}
CATEGORY_LABELS = {
    "PAY_LATER": _l("Pay later"), "PAY_OVER_TIME": _l("Pay in parts"), "PAY_NOW": _l("Pay now"),
    "DIRECT_DEBIT": _l("Direct debit"), "DIRECT_BANK_TRANSFER": _l("Direct bank transfer"),
}
PLACE_ORDER_MODE_LABELS = {
    "NONE": (_l("Authorize only"),
             _l("Klarna reserves the amount; the shop creates the order and you activate the payment when you ship.")),
    "PLACE_ORDER": (_l("Klarna places the order"),
                    _l("As above, but Klarna creates the order on its payment page; you still activate it when you ship.")),
    "CAPTURE_ORDER": (_l("Klarna places and captures the order"),
                      _l("The shopper is charged at once: only for goods or services delivered immediately.")),
}
# What HTTP Basic auth can carry: printable ASCII; a colon would end the username.
MERCHANT_ID_PATTERN = r"^[!-9;-~]+$"
SECRET_PATTERN = r"^[ -~]+$"


def _suggested(name: Any) -> Callable[[], str]:
    """A new method's suggested name, in the language of the merchant filling in the form."""
    return lambda: str(name)


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _secret_field(presence, **kwargs) -> PasswordField:
    """Never rendered with its value (PasswordField), whatever was typed."""
    return PasswordField(
        _l("Shared secret"), filters=[_strip], render_kw={"autocomplete": "off"}, **kwargs,
        validators=[presence, Length(max=500), Regexp(SECRET_PATTERN, message=_l(
            "A shared secret has only unaccented letters, digits and symbols."))],
    )


class ProviderForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses the next step

    provider = RadioField(_l("Provider"), choices=[SelectChoice(value, label) for value, label in PROVIDER_CHOICES],
                          validators=[InputRequired(_l("Choose a provider."))])


class KlarnaCredentialsForm(FlaskForm):
    """What the credential check needs; the settings step adds the rest."""

    merchant_id = StringField(
        _l("Merchant ID"), filters=[_strip],
        description=_l("Klarna's API username for this shop, e.g. K123456_abcd12345."),
        validators=[DataRequired(_l("Enter the merchant ID.")), Length(max=255),
                    Regexp(MERCHANT_ID_PATTERN, message=_l("Type the merchant ID exactly as Klarna shows it: "
                                                           "no spaces, colons or accented letters."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    secret = _secret_field(DataRequired(_l("Enter the shared secret.")))
    environment = SelectField(_l("Environment"), default="playground")
    region = SelectField(_l("Region"), choices=[SelectChoice(r, label) for r, label in REGION_LABELS.items()],
                         default="eu",
                         description=_l("Where the Klarna account is: Europe for the Nordic countries."))

    def offer_environments(self, environments: tuple[str, ...]) -> "KlarnaCredentialsForm":
        self.environment.choices = [SelectChoice(env, ENVIRONMENT_LABELS[env]) for env in environments]
        return self


class KlarnaSettingsForm(KlarnaCredentialsForm):
    """A Klarna method's settings; the stored secret is replaced only when a new one is typed."""

    name = StringField(_l("Name"), default=_suggested(_l("Klarna")), filters=[_strip],
                       validators=[DataRequired(), Length(max=120)])
    secret = _secret_field(Optional(), description=_l("Stored. Type a new one only to replace it."))
    categories = SelectMultipleField(
        _l("Allowed payment categories"), validators=[Optional()],
        choices=[SelectChoice(category, CATEGORY_LABELS[category]) for category in setup.CATEGORIES],
        description=_l("None ticked: everything Klarna offers the shopper."),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    place_order_mode = RadioField(_l("When the shopper approves"), default="NONE",
                                  choices=[SelectChoice(mode, PLACE_ORDER_MODE_LABELS[mode][0])
                                           for mode in setup.PLACE_ORDER_MODES])
    position = IntegerField(_l("Position"), default=0, validators=[InputRequired(), NumberRange(min=0, max=9999)])
    auto_extend = BooleanField(_l("Automatically extend authorizations about to expire on unshipped orders"))


class ManualMethodForm(FlaskForm):
    name = StringField(_l("Name"), default=_suggested(_l("Bank transfer")), filters=[_strip],
                       validators=[DataRequired(), Length(max=120)])
    instructions = TextAreaField(_l("Payment instructions"), filters=[_strip], validators=[Length(max=2000)],
                                 description=_l("Shown to the shopper with the order confirmation."))
    position = IntegerField(_l("Position"), default=0, validators=[InputRequired(), NumberRange(min=0, max=9999)])


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

