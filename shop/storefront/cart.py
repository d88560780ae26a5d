"""Cart pages and actions: add (product page and grid), change quantity, remove.

Plain forms get a flash and a 303; htmx gets the component back with the header
badge and the flashes out of band. A quantity the cart cannot take is a 422 and
changes nothing.
"""
from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from shop.db import db
from shop.models import Product
from shop.web import done, is_htmx, is_safe_redirect, page_or_partial

from . import bp
from .carts import (
    QuantityError, add_to_cart, current_cart, find_item, price_cart, remove_item, set_quantity,
)
from .catalog import active_product, offered_payment_methods, products_by_id
from .context import current_prices, current_version
from .forms import QuantityForm
from .pending import pending_order
from .texts import name_of
from .views import render_product

CART_PAGE = "storefront/cart/page.html"
CART_PARTIAL = "storefront/cart/_cart.html"
ADD_PARTIAL = "storefront/catalog/_add_to_cart.html"


def cart_context(**extra: Any) -> dict[str, Any]:
    session = db()
    return {"priced": price_cart(session, current_cart(session, current_version()), current_version(),
                                    current_prices()),
            "line_errors": {}, "typed": {}, **extra}


def pending_context() -> dict[str, Any]:
    """The order waiting for payment, with the methods it may be paid with now."""
    from flask_login import current_user

    order = pending_order(db())
    methods = offered_payment_methods(db(), current_version(), include_hidden=current_user.is_authenticated) \
        if order else []
    return {"pending_order": order, "retry_methods": methods}


@bp.get("/<version_code>/cart")
def cart_page():
    return render_template(CART_PAGE, **cart_context(), **pending_context())


@bp.post("/<version_code>/cart/add/<int:product_id>")
def add(product_id: int):
    product = _product_or_404(product_id)
    form = QuantityForm()
    back_to = _back_to(product)
    if form.validate():
        try:
            add_to_cart(db(), current_version(), product, form.quantity.data)
        except QuantityError as error:
            form.quantity.errors.append(str(error))
        else:
            db().commit()
            message = _("Added %(quantity)d × %(name)s to your cart.", quantity=form.quantity.data, name=name_of(product))
            return done(message, back_to, ADD_PARTIAL, product=product, form=QuantityForm(formdata=None),
                        next_url=back_to)
    if is_htmx():
        return render_template(ADD_PARTIAL, product=product, form=form, next_url=back_to), 422
    return render_product(product, form, status=422)


@bp.post("/<version_code>/cart/items/<int:product_id>")
def update(product_id: int):
    cart = current_cart(db(), current_version())
    item = find_item(cart, product_id)
    if item is None:
        abort(404)
    product = products_by_id(db(), [product_id])[product_id]
    form = QuantityForm()
    if form.validate():
        try:
            set_quantity(db(), cart, item, product, form.quantity.data)
        except QuantityError as error:
            form.quantity.errors.append(str(error))
        else:
            db().commit()
            message = _("%(name)s: quantity changed to %(quantity)d.", name=name_of(product), quantity=item.quantity)
            return done(message, url_for("storefront.cart_page"), CART_PARTIAL, **cart_context())
    typed = (form.quantity.raw_data or [""])[0]
    return page_or_partial(CART_PAGE, CART_PARTIAL, status=422, **cart_context(
        line_errors={product_id: form.quantity.errors}, typed={product_id: typed}))


@bp.post("/<version_code>/cart/items/<int:product_id>/remove")
def remove(product_id: int):
    cart = current_cart(db(), current_version())
    item = find_item(cart, product_id)
    if item is None:  # already gone, e.g. a second click: nothing to do
        return done(None, url_for("storefront.cart_page"), CART_PARTIAL, **cart_context())
    product = products_by_id(db(), [product_id])[product_id]
    remove_item(db(), cart, item)
    db().commit()
    message = _("Removed %(name)s from your cart.", name=name_of(product))
    return done(message, url_for("storefront.cart_page"), CART_PARTIAL, **cart_context())


def _product_or_404(product_id: int) -> Product:
    product = active_product(db(), product_id)
    if product is None:
        abort(404)
    return product


def _back_to(product: Product) -> str:
    """Where a plain add returns to: the page it came from (grid or product page)."""
    target = request.form.get("next")
    return target if is_safe_redirect(target) else url_for("storefront.product", slug=product.slug)
