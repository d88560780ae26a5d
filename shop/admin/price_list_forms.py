"""The price list form: one optional price per product of the page and per shipping method.

CSRF is checked for every POST by the app-wide CSRFProtect; the template posts its token.
"""
from __future__ import annotations

from collections.abc import Sequence

from babel.numbers import format_decimal
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from shop.models import Product, ShippingMethod, ShopVersion
from shop.money import to_decimal
from shop.pricing import PriceList

from .forms import MoneyField

_AUTO = object()  # FlaskForm's own choice of form data (the request's, on POST)


class VersionMoneyField(MoneyField):
    """A price in the shop version's currency, shown the version's way ("1449,00" in Swedish).

    Empty means: derived from the base price.
    """

    def __init__(self, *args, currency: str, locale: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.locale = locale.replace("-", "_")

    def show(self, value: int) -> str:
        return format_decimal(to_decimal(value, self.currency), format="0.00", locale=self.locale)

    @property
    def posted(self) -> bool:
        """Whether the form sent this field at all: a product that moved onto the page since is left alone."""
        return bool(self.raw_data)


def product_field_name(product: Product) -> str:
    return f"product_{product.id}"


def shipping_field_name(method: ShippingMethod) -> str:
    return f"shipping_{method.id}"


def price_list_form(version: ShopVersion, products: Sequence[Product], methods: Sequence[ShippingMethod],
                    prices: PriceList, formdata=_AUTO) -> FlaskForm:
    def price_field(label: str) -> VersionMoneyField:
        return VersionMoneyField(label, validators=[Optional()], currency=version.currency, locale=version.locale)

    fields = {product_field_name(product): price_field(product.name) for product in products}
    fields |= {shipping_field_name(method): price_field(method.name) for method in methods}
    form_class = type("PriceListForm", (FlaskForm,), fields)
    data = {product_field_name(product): prices.products.get(product.id) for product in products}
    data |= {shipping_field_name(method): prices.shipping.get(method.id) for method in methods}
    kwargs = {} if formdata is _AUTO else {"formdata": formdata}
    return form_class(data=data, **kwargs)
