"""Orders the merchant takes by phone or e-mail: placed from the admin the way checkout places them
(prices frozen in the shop version's currency, stock reserved), then paid through a payment link.
"""
from __future__ import annotations

from collections import Counter

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import Session, select
from wtforms import EmailField, FieldList, Form, FormField, IntegerField, SelectField, StringField, TelField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp

from shop.db import db
from shop.i18n_markers import N_
from shop.models import Cart, CartItem, PaymentMethod, Product, ShippingMethod, ShopVersion
from shop.orders import Customer, OutOfStock, add_event, place_order

from . import bp
from .common import ORDER_EVENT_LABELS, go_to, render

LINE_ROWS = 6
MAX_QUANTITY = 999
PAGE = "admin/phone_orders/new.html"
FORM_PARTIAL = "admin/phone_orders/_form.html"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional_id(value):
    """A chosen id, or None for nothing chosen and for text that is no id (the choice check then says so)."""
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 10 else None


def _required(max_length: int) -> list:
    return [InputRequired(message=_l("This field is required.")),
            Length(max=max_length, message=_l("Use at most %(max)d characters."))]


class OrderLineForm(Form):
    product = SelectField(_l("Product"), coerce=_optional_id, validate_choice=True,
                          invalid_choice_message=_l("Choose a product from the list."))
    quantity = IntegerField(_l("Quantity"), validators=[
        Optional(), NumberRange(1, MAX_QUANTITY, message=_l("Enter a whole number from 1 to %(max)d.",
                                                            max=MAX_QUANTITY))])


class PhoneOrderForm(FlaskForm):
    version = SelectField(_l("Shop version"), coerce=_optional_id, invalid_choice_message=_l("Choose a shop version."))
    email = EmailField(_l("E-mail"), filters=[_strip],
                       validators=[*_required(254), Email(message=_l("Enter a valid e-mail address."))])
    given_name = StringField(_l("Given name"), filters=[_strip], validators=_required(99))
    family_name = StringField(_l("Family name"), filters=[_strip], validators=_required(99))
    phone = TelField(_l("Phone (optional)"), filters=[_strip], validators=[
        Optional(), Length(max=30, message=_l("Use at most %(max)d characters.")),
        Regexp(r"^\+?[0-9 ()-]{5,}$", message=_l("Enter a phone number, e.g. +358 40 123 4567."))])
    street_address = StringField(_l("Street address"), filters=[_strip], validators=_required(99))
    postal_code = StringField(_l("Postal code"), filters=[_strip], validators=_required(10))
    city = StringField(_l("City"), filters=[_strip], validators=_required(99))
    shipping = SelectField(_l("Shipping method"), coerce=_optional_id, invalid_choice_message=_l("Choose a shipping method."))
    payment_method = SelectField(_l("Payment method"), coerce=_optional_id,
                                 invalid_choice_message=_l("Choose a payment method."))
    lines = FieldList(FormField(OrderLineForm), min_entries=LINE_ROWS, max_entries=LINE_ROWS)

    def quantities(self) -> Counter:
        """Product id -> units, rows of the same product added up."""
        wanted: Counter = Counter()
        for row in self.lines:
            if row.product.data and row.quantity.data:
                wanted[row.product.data] += row.quantity.data
        return wanted

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for row in self.lines:
            if row.product.data and not row.quantity.data and not row.quantity.errors:
                row.quantity.errors.append(_("Enter a quantity."))
                valid = False
        if valid and not self.quantities():
            self.form_errors.append(_("Add at least one product."))
            valid = False
        return valid


def phone_order_form(session: Session, formdata=None) -> PhoneOrderForm:
    form = PhoneOrderForm(formdata=formdata) if formdata is not None else PhoneOrderForm()
    versions = session.exec(select(ShopVersion).order_by(ShopVersion.position, ShopVersion.id)).all()
    form.version.choices = [(v.id, f"{v.name} ({v.currency})") for v in versions]
    shipping = session.exec(select(ShippingMethod).where(ShippingMethod.active)
                            .order_by(ShippingMethod.position, ShippingMethod.id)).all()
    form.shipping.choices = [(s.id, s.name) for s in shipping]
    methods = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")
                           .order_by(PaymentMethod.position, PaymentMethod.id)).all()
    form.payment_method.choices = [(m.id, m.name) for m in methods]
    products = session.exec(select(Product).where(Product.active).order_by(Product.name)).all()
    choices = [("", _("– choose –"))] + [(p.id, f"{p.name} ({p.sku})") for p in products]
    for row in form.lines:
        row.product.choices = choices
    return form


@bp.get("/orders/new")
def new_phone_order():
    return render(PAGE, FORM_PARTIAL, form=phone_order_form(db()))


@bp.post("/orders/new")
def create_phone_order():
    session = db()
    form = phone_order_form(session, formdata=request.form)
    if not form.validate():
        return render(PAGE, FORM_PARTIAL, status=422, form=form)
    try:
        order = _place(session, form)
    except OutOfStock as short:
        session.rollback()
        form.form_errors.append(_("%(name)s: only %(count)d in stock.", name=short.product.name,
                                  count=short.available))
        return render(PAGE, FORM_PARTIAL, status=422, form=form)
    return go_to(url_for("admin.order", number=order.number),
                 _("Order %(number)s created. Send the customer a payment link below.", number=order.number))


def _place(session: Session, form: PhoneOrderForm):
    version = session.get(ShopVersion, form.version.data)
    cart = Cart(version_id=version.id, items=[CartItem(product_id=product_id, quantity=quantity)
                                               for product_id, quantity in form.quantities().items()])
    session.add(cart)
    session.flush()
    customer = Customer(email=form.email.data, given_name=form.given_name.data, family_name=form.family_name.data,
                        street_address=form.street_address.data, postal_code=form.postal_code.data,
                        city=form.city.data, phone=form.phone.data or "")
    order = place_order(session, cart=cart, version=version, customer=customer,
                        shipping=session.get(ShippingMethod, form.shipping.data),
                        payment_method=session.get(PaymentMethod, form.payment_method.data))
    add_event(session, order, "created_by_staff", N_("Order taken by %(actor)s (phone or e-mail order)"),
              actor=current_user.email, message_args={"actor": current_user.email})
    session.commit()
    return order


ORDER_EVENT_LABELS.setdefault("created_by_staff", _l("Order taken by staff"))
