"""The order domain: placing orders from carts, shipments, events, and an export shape."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlmodel import Session, select

from .catalog_texts import order_languages
from .i18n_markers import N_
from .models import (
    Cart, Order, OrderEvent, OrderLine, Payment, PaymentMethod, Product, Shipment, ShipmentLine,
    ShippingMethod, ShopVersion, utcnow,
)
from .pricing import PriceList, load_price_list

ORDER_NUMBER_OFFSET = 100000


class OutOfStock(Exception):
    def __init__(self, product: Product, available: int):
        super().__init__(f"{product.name}: only {available} left")
        self.product = product
        self.available = available


class ShipmentError(ValueError):
    pass


@dataclass(frozen=True)
class Customer:
    email: str
    given_name: str
    family_name: str
    street_address: str
    postal_code: str
    city: str
    phone: str = ""


def add_event(session: Session, order: Order, kind: str, message: str = "", *, actor: str = "",
              message_args: Mapping[str, Any] | None = None, **data: Any) -> OrderEvent:
    """`message` is a msgid (marked with N_), shown translated with `message_args` filling its placeholders."""
    if message_args:
        data["message_args"] = dict(message_args)
    event = OrderEvent(order_id=order.id, kind=kind, message=message, actor=actor, data=data)
    session.add(event)
    return event


def find_order_by_number(session: Session, number: str) -> Order | None:
    return session.exec(select(Order).where(Order.number == number.strip())).first()


def reserve_stock(session: Session, product: Product, quantity: int) -> None:
    """Atomic decrement that never goes below zero, safe under concurrent checkouts."""
    if product.kind != "physical":
        return
    result = session.exec(  # type: ignore[call-overload]
        update(Product).where(Product.id == product.id, Product.stock >= quantity)
        .values(stock=Product.stock - quantity)
    )
    if result.rowcount != 1:
        session.refresh(product)
        raise OutOfStock(product, product.stock)


def release_stock(session: Session, order: Order) -> None:
    """Give back the stock of unshipped units (cancelled or abandoned orders)."""
    if not order.stock_reserved:
        return
    for line in order.lines:
        if line.product_id and line.kind == "physical" and line.unshipped_quantity:
            session.exec(  # type: ignore[call-overload]
                update(Product).where(Product.id == line.product_id)
                .values(stock=Product.stock + line.unshipped_quantity)
            )
    order.stock_reserved = False
    session.add(order)


def place_order(session: Session, *, cart: Cart, version: ShopVersion, customer: Customer,
                shipping: ShippingMethod, payment_method: PaymentMethod, prices: PriceList | None = None,
                languages: tuple[str, ...] | None = None) -> Order:
    """Turn a cart into an order: prices from the version's price list frozen on the lines, names in the
    shopper's `languages` (default: the version's, then the default version's), stock reserved.

    `prices` is the price list the shopper's cart and checkout were shown with; by default (orders taken
    by staff) the version's price list as stored now.

    The caller commits; OutOfStock rolls the whole placement back.
    """
    if prices is None:
        prices = load_price_list(session, version, product_ids=[item.product_id for item in cart.items])
    order = Order(
        version_id=version.id, currency=version.currency, exchange_rate=version.exchange_rate,
        locale=version.locale, country=version.country, shipping_method_id=shipping.id,
        payment_method_id=payment_method.id, cart_id=cart.id, **customer.__dict__,
    )
    languages = languages or order_languages(session, version.language)
    session.add(order)
    session.flush()
    order.number = str(ORDER_NUMBER_OFFSET + order.id)
    for item in cart.items:
        product = session.get(Product, item.product_id)
        reserve_stock(session, product, item.quantity)
        session.add(OrderLine(
            order_id=order.id, product_id=product.id, kind=product.kind, reference=product.sku,
            name=product.in_language(languages).name, quantity=item.quantity,
            unit_price=prices.product_price(product), tax_rate=version.rate_for(product.tax_class),
        ))
    session.add(OrderLine(
        order_id=order.id, kind="shipping_fee", reference="shipping", name=shipping.in_language(languages).name,
        quantity=1, unit_price=prices.shipping_price(shipping), tax_rate=version.rate_for(shipping.tax_class),
    ))
    add_event(session, order, "placed", N_("Order placed in shop version %(version)s"),
              message_args={"version": version.code}, currency=order.currency,
              exchange_rate=str(order.exchange_rate), payment_method=payment_method.name)
    session.flush()
    session.refresh(order)
    return order


def checked_shipment(order: Order, quantities: Mapping[int, int]) -> dict[int, int]:
    """The units to ship per order line, once they fit what is left to ship; else ShipmentError."""
    lines = {line.id: line for line in order.goods_lines}
    wanted = {line_id: qty for line_id, qty in quantities.items() if qty}
    if not wanted:
        raise ShipmentError(_("Choose at least one item to ship."))
    for line_id, qty in wanted.items():
        line = lines.get(line_id)
        if line is None:
            raise ShipmentError(_("Unknown order line."))
        if qty < 0 or qty > line.unshipped_quantity:
            raise ShipmentError(_("%(name)s: you can ship at most %(count)d.", name=line.name,
                                  count=line.unshipped_quantity))
    return wanted


def record_shipment(session: Session, order: Order, quantities: Mapping[int, int], *, actor: str) -> Shipment:
    """Mark `quantities` (order line id -> units) shipped. Raises ShipmentError on bad input."""
    wanted = checked_shipment(order, quantities)
    lines = {line.id: line for line in order.goods_lines}
    shipment = Shipment(order_id=order.id, created_by=actor)
    session.add(shipment)
    session.flush()
    for line_id, qty in wanted.items():
        lines[line_id].shipped_quantity += qty
        session.add(lines[line_id])
        session.add(ShipmentLine(shipment_id=shipment.id, order_line_id=line_id, quantity=qty))
    order.status = "shipped" if order.is_fully_shipped else "partially_shipped"
    order.updated_at = utcnow()
    session.add(order)
    shipped = ", ".join(f"{qty} × {lines[i].name}" for i, qty in wanted.items())
    add_event(session, order, "shipped" if order.status == "shipped" else "partially_shipped",
              shipped, actor=actor, shipment_id=shipment.id)
    return shipment


def order_counts_by_status(session: Session) -> dict[str, int]:
    rows = session.exec(select(Order.status, func.count()).group_by(Order.status)).all()
    return dict(rows)


def order_as_dict(order: Order) -> dict[str, Any]:
    payments = sorted(_payments(order), key=lambda p: p.id)
    return {
        "number": order.number,
        "status": order.status,
        "version_id": order.version_id,
        "currency": order.currency,
        "exchange_rate": str(order.exchange_rate),
        "locale": order.locale,
        "created_at": order.created_at.isoformat(),
        "customer": {
            "email": order.email, "given_name": order.given_name, "family_name": order.family_name,
            "street_address": order.street_address, "postal_code": order.postal_code, "city": order.city,
            "country": order.country, "phone": order.phone,
        },
        "lines": [
            {
                "id": line.id, "kind": line.kind, "reference": line.reference, "name": line.name,
                "quantity": line.quantity, "unit_price": line.unit_price, "tax_rate": line.tax_rate,
                "discount": line.discount, "total": line.total, "tax": line.tax,
                "shipped_quantity": line.shipped_quantity, "returned_quantity": line.returned_quantity,
            }
            for line in order.lines
        ],
        "total": order.total,
        "tax_total": order.tax_total,
        "vat": [{"rate": rate, "gross": gross, "vat": vat} for rate, gross, vat in order.vat_breakdown()],
        "payments": [
            {
                "id": p.id, "provider": p.provider, "method_id": p.method_id, "state": p.state,
                "currency": p.currency, "amount": p.amount, "captured_amount": p.captured_amount,
                "refunded_amount": p.refunded_amount, "kp_session_id": p.kp_session_id,
                "hpp_session_id": p.hpp_session_id, "klarna_order_id": p.klarna_order_id,
                "klarna_reference": p.klarna_reference, "payment_option": p.payment_option,
                "fraud_status": p.fraud_status,
                "expires_at": p.expires_at.isoformat() if p.expires_at else None,
            }
            for p in payments
        ],
    }


def _payments(order: Order) -> list[Payment]:
    from sqlalchemy.orm import object_session

    session = object_session(order)
    return list(session.exec(select(Payment).where(Payment.order_id == order.id))) if session else []
