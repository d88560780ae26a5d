"""The shopper's cart: found by a token in the Flask session (one cart per shop version), changed, priced.

Prices are integer minor units of the version's currency, VAT included, computed
line by line exactly as an order placed from the cart will compute them.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, session as flask_session
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from shop.models import Cart, CartItem, Product, ShopVersion, utcnow
from shop.models.orders import vat_breakdown
from shop.money import line_total, vat_of_gross
from shop.pricing import PriceList

from .catalog import products_by_id
from .texts import name_of

SESSION_KEY = "carts"  # {version code: cart token}
MAX_QUANTITY = 99
_NOT_LOADED = object()


class QuantityError(ValueError):
    """A quantity the cart cannot take; the message is for the shopper."""


# -- finding the cart ---------------------------------------------------------------------------

def current_cart(session: Session, version: ShopVersion) -> Cart | None:
    """The shopper's cart in `version`, loaded once per request."""
    cached = g.get("shop_cart", _NOT_LOADED)
    if cached is not _NOT_LOADED:
        return cached
    token = flask_session.get(SESSION_KEY, {}).get(version.code)
    cart = None
    if token:
        cart = session.exec(
            select(Cart).where(Cart.token == token, Cart.version_id == version.id)
            .options(selectinload(Cart.items))  # type: ignore[arg-type]
        ).first()
    g.shop_cart = cart
    return cart


def cart_for_update(session: Session, version: ShopVersion) -> Cart:
    cart = current_cart(session, version)
    if cart is None:
        cart = Cart(version_id=version.id)
        session.add(cart)
        session.flush()
        _remember(version, cart.token)
        g.shop_cart = cart
    return cart


def empty_cart(session: Session, cart: Cart) -> None:
    """Remove every line. The row stays: the orders placed from it point at it (Order.cart_id)."""
    cart.items.clear()  # delete-orphan removes the rows
    _touch(session, cart)


def forget_cart(version: ShopVersion) -> None:
    """Let the shopper's next purchase in `version` start a cart of its own."""
    _remember(version, None)
    g.shop_cart = None


def _remember(version: ShopVersion, token: str | None) -> None:
    tokens = dict(flask_session.get(SESSION_KEY, {}))
    if token:
        tokens[version.code] = token
    else:
        tokens.pop(version.code, None)
    flask_session[SESSION_KEY] = tokens


def item_count(cart: Cart | None) -> int:
    return sum(item.quantity for item in cart.items) if cart else 0


def find_item(cart: Cart | None, product_id: int) -> CartItem | None:
    return next((item for item in cart.items if item.product_id == product_id), None) if cart else None


# -- changing it ----------------------------------------------------------------------------------

def check_quantity(product: Product, quantity: int, *, already_in_cart: int = 0) -> None:
    """Raise QuantityError unless the cart may hold `quantity` more of `product`."""
    wanted = quantity + already_in_cart
    if not 1 <= quantity <= MAX_QUANTITY or wanted > MAX_QUANTITY:
        raise QuantityError(_("You can have from 1 to %(max)d of a product in the cart.", max=MAX_QUANTITY))
    if product.kind != "physical":
        return
    if product.stock <= 0:
        raise QuantityError(_("Sorry, %(name)s is out of stock.", name=name_of(product)))
    if wanted > product.stock:
        if already_in_cart:
            raise QuantityError(_("Only %(count)d in stock, and %(in_cart)d are already in your cart.",
                                  count=product.stock, in_cart=already_in_cart))
        raise QuantityError(_("Only %(count)d in stock.", count=product.stock))


def is_available(product: Product) -> bool:
    return product.kind != "physical" or product.stock > 0


def max_quantity(product: Product) -> int:
    """The most the quantity input offers (the server checks again)."""
    return MAX_QUANTITY if product.kind != "physical" else max(min(MAX_QUANTITY, product.stock), 1)


def add_to_cart(session: Session, version: ShopVersion, product: Product, quantity: int) -> Cart:
    existing = find_item(current_cart(session, version), product.id)
    check_quantity(product, quantity, already_in_cart=existing.quantity if existing else 0)
    cart = cart_for_update(session, version)
    if existing is None:
        cart.items.append(CartItem(cart_id=cart.id, product_id=product.id, quantity=quantity))
    else:
        existing.quantity += quantity
    _touch(session, cart)
    return cart


def set_quantity(session: Session, cart: Cart, item: CartItem, product: Product, quantity: int) -> None:
    check_quantity(product, quantity)
    item.quantity = quantity
    _touch(session, cart)


def remove_item(session: Session, cart: Cart, item: CartItem) -> None:
    cart.items.remove(item)  # delete-orphan removes the row
    _touch(session, cart)


def _touch(session: Session, cart: Cart) -> None:
    cart.updated_at = utcnow()
    session.add(cart)


# -- pricing it -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PricedLine:
    """One line of money: a cart line, or the shipping fee at checkout."""

    name: str
    quantity: int
    unit_price: int
    tax_rate: int
    product: Product | None = None

    @property
    def total(self) -> int:
        return line_total(self.quantity, self.unit_price)

    @property
    def tax(self) -> int:
        return vat_of_gross(self.total, self.tax_rate)


@dataclass(frozen=True)
class PricedCart:
    currency: str
    lines: list[PricedLine]

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    def vat_breakdown(self) -> list[tuple[int, int, int]]:
        return vat_breakdown(self.lines)


def price_cart(session: Session, cart: Cart | None, version: ShopVersion, prices: PriceList) -> PricedCart:
    items = cart.items if cart else []
    products = products_by_id(session, (item.product_id for item in items))
    lines = [_priced_line(products[item.product_id], item.quantity, version, prices) for item in items]
    return PricedCart(currency=version.currency, lines=lines)


def _priced_line(product: Product, quantity: int, version: ShopVersion, prices: PriceList) -> PricedLine:
    return PricedLine(name=name_of(product), quantity=quantity, unit_price=prices.product_price(product),
                      tax_rate=version.rate_for(product.tax_class), product=product)
