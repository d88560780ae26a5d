"""The template context of an e-mail, frozen when its cause happens.

Plain JSON: names and quantities as they were, money as minor units with the currency
(formatted in the recipient's language when rendered), the Klarna option as Klarna's type
code (named in the recipient's language when rendered).
"""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from shop.models import Order, OrderLine, Payment, PaymentMethod, Shipment, ShipmentLine, ShippingMethod, ShopVersion

from shop.catalog_texts import order_languages

from .links import external_url

KLARNA_INSTALMENT_OPTIONS = {  # Klarna sends the shopper the payment instructions for these
    "INVOICE", "PAY_LATER_BY_CARD", "INVOICE_BUSINESS", "FIXED_AMOUNT", "PAY_LATER_IN_PARTS", "PAY_IN_X",
    "ACCOUNT", "FIXED_AMOUNT_BY_CARD", "FIXED_SUM_CREDIT", "DEFERRED_INTEREST", "BASE_ACCOUNT",
}


def _line(line: OrderLine, quantity: int | None = None) -> dict[str, Any]:
    return {"name": line.name, "kind": line.kind, "reference": line.reference, "quantity": quantity or line.quantity,
            "unit_price": line.unit_price, "total": line.total, "tax_rate": line.tax_rate}


def order_context(session: Session, order: Order, payment: Payment | None = None) -> dict[str, Any]:
    """The order as the customer saw it: lines, totals with VAT, delivery, payment method."""
    with session.no_autoflush:
        shipping = session.get(ShippingMethod, order.shipping_method_id) if order.shipping_method_id else None
        method = session.get(PaymentMethod, order.payment_method_id) if order.payment_method_id else None
        payment = payment or latest_payment(session, order)
        lines = list(order.lines)
        version = session.get(ShopVersion, order.version_id)
        languages = order_languages(session, order.locale.split("-")[0])
    return {
        "order": {
            "number": order.number, "token": order.token, "currency": order.currency,
            "customer_name": order.customer_name, "email": order.email,
            "address": [order.customer_name, order.street_address, f"{order.postal_code} {order.city}".strip(),
                        order.country],
            "created_at": order.created_at.isoformat() if order.created_at else None,
            "url": external_url("storefront.confirmation", version_code=version.code, token=order.token)
            if version is not None else "",
        },
        "lines": [_line(line) for line in lines if line.kind not in ("shipping_fee",)],
        "fees": [_line(line) for line in lines if line.kind == "shipping_fee"],
        "total": sum(line.total for line in lines),
        "tax_total": sum(line.tax for line in lines),
        "vat": [{"rate": rate, "gross": gross, "vat": vat}
                for rate, gross, vat in order.vat_breakdown()],
        "delivery": shipping.in_language(languages).name if shipping else "",
        "payment": payment_context(method, payment, languages),
    }


def payment_context(method: PaymentMethod | None, payment: Payment | None,
                    languages: tuple[str, ...] = ()) -> dict[str, Any]:
    option = (payment.payment_option or "").upper() if payment is not None else ""
    return {
        "method": method.in_language(languages).name if method else "",
        "provider": method.provider if method else (payment.provider if payment else ""),
        "option": option,
        "option_description": (payment.payment_option_name or "") if payment is not None else "",
        "klarna_sends_instructions": option in KLARNA_INSTALMENT_OPTIONS,
    }


def latest_payment(session: Session, order: Order) -> Payment | None:
    """The payment carrying the order: the newest that reached Klarna, else the newest."""
    payments = session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).all()
    reached = [p for p in payments if p.klarna_order_id]
    return (reached or payments or [None])[-1]


def shipment_context(session: Session, order: Order, shipment: Shipment) -> dict[str, Any]:
    context = order_context(session, order)
    with session.no_autoflush:
        shipped = session.exec(select(ShipmentLine).where(ShipmentLine.shipment_id == shipment.id)
                               .order_by(ShipmentLine.id)).all()
        by_id = {line.id: line for line in order.lines}
    context["shipped"] = [_line(by_id[item.order_line_id], item.quantity) for item in shipped
                          if item.order_line_id in by_id]
    context["remaining"] = [_line(line, line.unshipped_quantity) for line in order.goods_lines
                            if line.unshipped_quantity]
    return context


def refund_context(session: Session, order: Order, payment: Payment, amount: int) -> dict[str, Any]:
    context = order_context(session, order, payment)
    context["refund"] = {"amount": amount, "currency": payment.currency}
    return context
