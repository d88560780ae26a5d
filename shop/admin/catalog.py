"""The catalogue the merchant keeps: products and shipping methods."""
from __future__ import annotations

import re
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import select
from wtforms import SelectChoice

from shop.db import db
from shop.models import Category, Product, ProductText, ShippingMethod, ShippingMethodText
from shop.web import done

from . import bp
from .common import go_to, render
from .forms import ProductForm, ShippingMethodForm
from .text_forms import apply_texts, show_texts, with_texts

EDIT_PAGE = "admin/catalog/edit.html"
PRODUCT_FORM = "admin/catalog/_product_form.html"
SHIPPING_METHOD_FORM = "admin/catalog/_shipping_method_form.html"
ProductTextsForm = with_texts(ProductForm)
ShippingMethodTextsForm = with_texts(ShippingMethodForm)


@bp.get("/products")
def products():
    items = db().exec(select(Product).order_by(Product.name).options(selectinload(Product.category))).all()
    return render_template("admin/catalog/products.html", products=items)


@bp.route("/products/new", methods=["GET", "POST"])
def product_new():
    return _edit_product(Product(sku="", slug="", name="", price=0, stock=0, active=True))


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    return _edit_product(db().get(Product, product_id) or abort(404))


def _product_form(product: Product, **kwargs: Any) -> ProductForm:
    form = ProductTextsForm(obj=product, **kwargs)
    categories = db().exec(select(Category).order_by(Category.position, Category.name)).all()
    form.category_id.choices = [SelectChoice(0, _("No category"))] + [SelectChoice(c.id, c.name) for c in categories]
    if request.method == "GET" or "formdata" in kwargs:
        form.category_id.data = product.category_id or 0
        form.stock_loaded.data = "" if product.id is None else str(product.stock)
        show_texts(form, product)
    return form


def _edit_product(product: Product):
    form = _product_form(product)
    if request.method == "GET":
        return _form_page(PRODUCT_FORM, form, product)
    if not form.validate_on_submit() or _sku_taken(form, product):
        return _form_page(PRODUCT_FORM, form, product, status=422)
    stock_changed = product.id is None or form.stock.data != _int(form.stock_loaded.data)
    if stock_changed and product.id is not None and product.stock != _int(form.stock_loaded.data):
        message = _("The stock changed to %(stock)s while you were editing. Check it and save again.",
                    stock=product.stock)
        form.stock_loaded.data = str(product.stock)  # saving again means: yes, this is the stock
        return _form_page(PRODUCT_FORM, form, product, status=409, conflict=message)
    created = product.id is None
    _apply_product(form, product, stock_changed)
    if not created:
        form = _product_form(product, formdata=None)
    return _saved(created, _("Product saved."), "admin.products", PRODUCT_FORM, form, product)


def _sku_taken(form: ProductForm, product: Product) -> bool:
    other = db().exec(select(Product).where(Product.sku == form.sku.data.strip())).first()
    if other is not None and other.id != product.id:
        form.sku.errors.append(_("Another product already has this SKU."))
        return True
    return False


def _apply_product(form: ProductForm, product: Product, stock_changed: bool) -> None:
    session = db()
    product.sku = form.sku.data.strip()
    product.name = form.name.data.strip()
    product.price = form.price.data
    product.tax_class = form.tax_class.data
    product.category_id = form.category_id.data or None
    product.active = form.active.data
    if stock_changed:
        product.stock = form.stock.data
    apply_texts(form, product, ProductText)
    if not product.slug:
        product.slug = unique_slug(product.name)
    session.add(product)
    session.commit()


def unique_slug(name: str, column=Product.slug, *, fallback: str = "product", length: int = 100) -> str:
    """An address word made of `name` that no other row's `column` has yet."""
    base = re.sub(r"[^\w]+", "-", name.lower()).strip("-")[:length] or fallback
    taken = set(db().exec(select(column).where(column.startswith(base))).all())
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


@bp.get("/shipping-methods")
def shipping_methods():
    methods = db().exec(select(ShippingMethod).order_by(ShippingMethod.position, ShippingMethod.id)).all()
    return render_template("admin/catalog/shipping_methods.html", methods=methods)


@bp.route("/shipping-methods/new", methods=["GET", "POST"])
def shipping_method_new():
    return _edit_shipping_method(ShippingMethod(name="", price=0, active=True))


@bp.route("/shipping-methods/<int:method_id>", methods=["GET", "POST"])
def shipping_method_edit(method_id: int):
    return _edit_shipping_method(db().get(ShippingMethod, method_id) or abort(404))


def _edit_shipping_method(method: ShippingMethod):
    form = ShippingMethodTextsForm(obj=method)
    if request.method == "GET":
        show_texts(form, method)
        return _form_page(SHIPPING_METHOD_FORM, form, method)
    if not form.validate_on_submit():
        return _form_page(SHIPPING_METHOD_FORM, form, method, status=422)
    created = method.id is None
    method.name = form.name.data.strip()
    method.price = form.price.data
    method.tax_class = form.tax_class.data
    method.position = form.position.data
    method.active = form.active.data
    apply_texts(form, method, ShippingMethodText)
    session = db()
    session.add(method)
    session.commit()
    return _saved(created, _("Shipping method saved."), "admin.shipping_methods", SHIPPING_METHOD_FORM,
                  form, method)


def _form_page(partial: str, form, record, *, status: int = 200, **context: Any):
    new_titles = {PRODUCT_FORM: _("New product"), SHIPPING_METHOD_FORM: _("New shipping method")}
    title = record.name if record.id is not None else new_titles[partial]
    return render(EDIT_PAGE, partial, status=status, form=form, record=record, form_partial=partial, title=title,
                  **context)


def _saved(created: bool, message: str, list_endpoint: str, partial: str, form, record):
    if created:
        return go_to(url_for(list_endpoint), message)
    return done(message, url_for(list_endpoint), partial, form=form, record=record)
