"""The order edit form: one row of inputs per goods line, a product to add, the fees and the discount.

Built per order (`edit_form_class`), prefilled with the order as it is; amounts in the order's currency.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from shop.models import Order, PaymentMethod, Product
from shop.payments.edit_lines import MAX_ADDED_QUANTITY, EditRequest, LineChange, order_discount, payment_fee

from .forms import MoneyField, PercentField

MAX_QUANTITY = 9999


class OrderEditForm(FlaskForm):
    """CSRF is checked app-wide (CSRFProtect); the template posts the token."""

    class Meta:
        csrf = False

    revision = HiddenField(validators=[InputRequired(_l("Reload the order and edit again."))])
    add_product = SelectField(_l("Add a product"), coerce=int, default=0, validators=[Optional()])
    add_quantity = IntegerField(_l("Quantity to add"), default=1,
                                validators=[Optional(), NumberRange(min=1, max=MAX_ADDED_QUANTITY)])
    discount_percent = PercentField(_l("Order discount (%)"), validators=[Optional()])
    transaction_method = SelectField(_l("Payment method for the difference"), coerce=int, default=0,
                                     validators=[Optional()])

    line_ids: tuple[int, ...] = ()
    current_discount = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line_errors: dict[int, str] = {}  # the domain's refusals per goods line
        self.edit_errors: list[str] = []  # and for the whole edit

    def validate_revision(self, field) -> None:
        if not (field.data or "").isdigit() or len(field.data) > 9:
            raise ValidationError(_l("Reload the order and edit again."))

    def request(self) -> EditRequest:
        lines = {}
        for line_id in self.line_ids:
            quantity = 0 if self[f"remove_{line_id}"].data else self[f"quantity_{line_id}"].data
            lines[line_id] = LineChange(quantity=quantity, unit_price=self[f"price_{line_id}"].data,
                                        tax_rate=self[f"vat_{line_id}"].data)
        added = ((self.add_product.data, self.add_quantity.data or 1),) if self.add_product.data else ()
        shipping = self._fields.get("shipping_fee")
        amount, percent = self.discount_amount.data or 0, self.discount_percent.data or 0
        if percent and amount == self.current_discount:
            amount = 0  # a percentage typed over the prefilled discount replaces it
        return EditRequest(
            revision=int(self.revision.data), lines=lines, added=added,
            shipping_fee=shipping.data if shipping is not None else None,
            payment_fee=self.payment_fee.data or 0, discount_amount=amount, discount_percent=percent,
        )


def _money(currency: str):
    return type(f"MoneyField{currency}", (MoneyField,), {"currency": currency})


def edit_form_class(order: Order) -> type[OrderEditForm]:
    money = _money(order.currency)
    required = [InputRequired(_l("Enter a value."))]
    fields: dict = {"line_ids": tuple(line.id for line in order.goods_lines), "current_discount": order_discount(order)}
    for line in order.goods_lines:
        fields[f"quantity_{line.id}"] = IntegerField(
            _l("Quantity"), default=line.quantity,
            validators=[InputRequired(_l("Enter a value.")), NumberRange(min=0, max=MAX_QUANTITY)])
        fields[f"price_{line.id}"] = money(_l("Unit price"), default=line.unit_price, validators=required)
        fields[f"vat_{line.id}"] = PercentField(_l("VAT"), default=line.tax_rate, validators=required)
        fields[f"remove_{line.id}"] = BooleanField(_l("Remove"))
    shipping = next((line for line in order.lines if line.kind == "shipping_fee"), None)
    if shipping is not None:
        fields["shipping_fee"] = money(_l("Shipping fee"), default=shipping.unit_price, validators=required)
    fields["payment_fee"] = money(_l("Payment fee"), default=payment_fee(order) or None, validators=[Optional()])
    fields["discount_amount"] = money(_l("Order discount (amount)"), default=order_discount(order) or None,
                                      validators=[Optional()])
    return type("OrderLinesEditForm", (OrderEditForm,), fields)


def edit_form(order: Order, products: list[Product], methods: list[PaymentMethod], **kwargs) -> OrderEditForm:
    form = edit_form_class(order)(revision=str(order.revision), **kwargs)
    form.add_product.choices = [SelectChoice(0, "–")] + [SelectChoice(p.id, f"{p.name} ({p.sku})") for p in products]
    form.transaction_method.choices = [SelectChoice(0, "–")] + [SelectChoice(m.id, m.name) for m in methods]
    return form
