"""Checkout: the form, the order summary, placing the order and starting its payment.

Starting a payment goes through one boundary, `start_payment`, which dispatches on the
payment method's provider through `PAYMENT_STARTERS`. A starter gets the placed order
(flushed, not committed), commits what must survive, and answers with a Response or a
URL to redirect the shopper to. It raises PaymentUnavailable with a message for the
shopper when the payment cannot start; whatever it did not commit is rolled back and
the cart is kept.

Without JavaScript the form's "Update summary" button posts `action=update`: the page comes back with
what was typed and the summary for the chosen shipping method; nothing is validated, placed or paid.
With htmx the summary follows the shipping method by itself (`checkout_summary`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from shop.db import db
from shop.i18n_markers import N_
from shop.models import Cart, Order, Payment, PaymentMethod, ShippingMethod, ShopVersion
from shop.payments.states import CONFIRMED_STATES
from shop.models.orders import vat_breakdown
from shop.orders import Customer, OutOfStock, add_event, place_order
from shop.pricing import PriceList
from shop.web import is_htmx

from . import bp
from .carts import (
    PricedCart, PricedLine, current_cart, empty_cart, forget_cart, item_count, price_cart,
)
from .catalog import OfferedPaymentMethod, offered_payment_methods, order_by_token, shipping_methods
from .context import current_prices, current_version
from .forms import CheckoutForm
from .pending import cancel_replaced_order
from .texts import name_of, shopper_languages

PaymentStarter = Callable[[Session, Order, PaymentMethod], Union[Response, str]]
PAYMENT_STARTERS: dict[str, PaymentStarter] = {}

CUSTOMER_FIELDS = ("email", "given_name", "family_name", "street_address", "postal_code", "city", "phone")
PAGE = "storefront/checkout/page.html"
SUMMARY = "storefront/checkout/_summary.html"


class PaymentUnavailable(Exception):
    """The payment could not be started; the message is for the shopper."""


def start_payment(session: Session, order: Order, method: PaymentMethod) -> Response | str:
    starter = PAYMENT_STARTERS.get(method.provider)
    if starter is None:
        raise PaymentUnavailable(_("This payment method is not available right now. Please choose another one."))
    return starter(session, order, method)


def start_manual_payment(session: Session, order: Order, method: PaymentMethod) -> str:
    """Bank transfer and the like: the order waits for the money; show the instructions."""
    add_event(session, order, "awaiting_payment", N_("Waiting for payment: %(method)s"),
              message_args={"method": method.name}, payment_method_id=method.id, provider=method.provider)
    cart = session.get(Cart, order.cart_id) if order.cart_id else None
    if cart is not None:
        empty_cart(session, cart)
    forget_cart(current_version())
    session.commit()
    return url_for("storefront.confirmation", token=order.token)


PAYMENT_STARTERS["manual"] = start_manual_payment


@dataclass(frozen=True)
class CheckoutSummary:
    cart: PricedCart
    shipping: PricedLine | None

    @property
    def lines(self) -> list[PricedLine]:
        return self.cart.lines + ([self.shipping] if self.shipping else [])

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    def vat_breakdown(self) -> list[tuple[int, int, int]]:
        return vat_breakdown(self.lines)


def shipping_line(method: ShippingMethod, version: ShopVersion, prices: PriceList) -> PricedLine:
    return PricedLine(name=name_of(method), quantity=1, unit_price=prices.shipping_price(method),
                      tax_rate=version.rate_for(method.tax_class))


def _summary(shipping: ShippingMethod | None) -> CheckoutSummary:
    version = current_version()
    prices = current_prices()
    priced = price_cart(db(), current_cart(db(), version), version, prices)
    return CheckoutSummary(priced, shipping_line(shipping, version, prices) if shipping else None)


def _chosen(methods: list, chosen_id: Any) -> Any:
    return next((method for method in methods if method.id == chosen_id), None)


@bp.route("/<version_code>/checkout", methods=["GET", "POST"])
def checkout():
    version = current_version()
    cart = current_cart(db(), version)
    if not item_count(cart):
        flash(_("Your cart is empty. Add something to it before checking out."), "info")
        return redirect(url_for("storefront.cart_page"), code=303)
    shipping = shipping_methods(db())
    offered = offered_payment_methods(db(), version, include_hidden=current_user.is_authenticated)
    defaults = {} if request.method == "POST" else {"shipping_method": shipping[0].id if shipping else None}
    form = CheckoutForm(country=version.country, shipping_ids=[m.id for m in shipping],
                        payment_ids=[o.id for o in offered], **defaults)
    if request.method == "GET" or request.form.get("action") == "update":
        return _render(form, shipping, offered)  # "Update summary" without JavaScript: what was typed, no order
    if not form.validate():
        return _render(form, shipping, offered, status=422)
    return _place(form, shipping, offered)


def _place(form: CheckoutForm, shipping: list[ShippingMethod], offered: list[OfferedPaymentMethod]):
    session, version = db(), current_version()
    method = _chosen(offered, form.payment_method.data).method
    customer = Customer(**{name: form[name].data or "" for name in CUSTOMER_FIELDS})
    cancel_replaced_order(session)
    try:
        order = place_order(session, cart=current_cart(session, version), version=version, customer=customer,
                            shipping=_chosen(shipping, form.shipping_method.data), payment_method=method,
                            prices=current_prices(), languages=shopper_languages())
        result = start_payment(session, order, method)
    except OutOfStock as error:
        session.rollback()
        message = _("Sorry, only %(count)d of %(name)s left in stock. Please change the quantity in your cart.",
                    count=max(error.available, 0), name=name_of(error.product))
        return _render(form, shipping, offered, status=409, conflict=message)
    except PaymentUnavailable as error:
        session.rollback()
        return _render(form, shipping, offered, status=409, conflict=str(error))
    session.commit()  # a starter normally committed already; the order must never stay behind
    return redirect(result, code=303) if isinstance(result, str) else result


def _render(form: CheckoutForm, shipping: list[ShippingMethod], offered: list[OfferedPaymentMethod], *,
            status: int = 200, conflict: str | None = None) -> tuple[str, int]:
    return render_template(
        PAGE, form=form, shipping_methods=shipping, payment_methods=offered, conflict=conflict,
        summary=_summary(_chosen(shipping, form.shipping_method.data)),
    ), status


@bp.get("/<version_code>/checkout/summary")
def checkout_summary():
    """The order summary for the shipping method picked on the checkout page (htmx)."""
    if not is_htmx():
        return redirect(url_for("storefront.checkout"), code=303)
    chosen = _chosen(shipping_methods(db()), request.args.get("shipping_method", type=int))
    return render_template(SUMMARY, summary=_summary(chosen))


def confirmed_klarna_payment(session: Session, order: Order) -> Payment | None:
    return session.exec(select(Payment).where(
        Payment.order_id == order.id, Payment.provider == "klarna",
        Payment.state.in_(CONFIRMED_STATES),  # type: ignore[attr-defined]
    ).order_by(Payment.id.desc())).first()  # type: ignore[union-attr]


@bp.get("/<version_code>/order/<token>")
def confirmation(token: str):
    order = order_by_token(db(), token)
    if order is None or order.version_id != current_version().id:
        abort(404)
    method = db().get(PaymentMethod, order.payment_method_id, options=[selectinload(PaymentMethod.texts)]) \
        if order.payment_method_id else None
    response = Response(render_template("storefront/checkout/confirmation.html", order=order, payment_method=method,
                                        klarna_payment=confirmed_klarna_payment(db(), order)))
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL's token is the key to this page
    response.headers["Cache-Control"] = "private, no-store"
    return response
