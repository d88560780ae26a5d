"""What a refund sends to Klarna: the returned or remaining order lines, a return fee, or the amount alone.

Lines go with a refund only when they add up to exactly the refunded amount; each keeps its
original tax rate (the order line's). Refunded units are recorded on the `refunded` event
(`data["quantities"]`), so a later refund allocates what is left, never the same unit twice.
A return fee (API.md §3.10) is a negative `return_fee` line; Klarna accepts one only on an order
captured in one single full capture, in its return-fee markets, with Σ lines == refunded amount.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from shop.i18n_markers import N_, money_arg
from shop.models import Order, OrderLine, Payment, PaymentEvent
from shop.money import vat_of_gross
from shop.orders import add_event
from shop.returns import RETURN_COST_REFERENCE

from .common import order_items
from .ledger import CAPTURE_KINDS
from .order_lines import GOODS_KINDS, Portion, portion

RETURN_FEE_MARKETS = frozenset({"AT", "DE", "DK", "FI", "FR", "NL", "NO", "SE", "IT", "ES", "IE", "PT", "CZ", "AU",
                                "GR"})
NO_LINES = Portion(lines=[], amount=0, tax_amount=0)


def _events(session: Session, payment: Payment, kinds: set[str]) -> list[PaymentEvent]:
    return list(session.exec(select(PaymentEvent).where(
        PaymentEvent.payment_id == payment.id, PaymentEvent.kind.in_(kinds)  # type: ignore[attr-defined]
    ).order_by(PaymentEvent.id)))


def _quantities(session: Session, payment: Payment, kind: str) -> Counter:
    taken: Counter = Counter()
    for event in _events(session, payment, {kind}):
        taken.update((event.data or {}).get("quantities") or {})
    return taken


def refunded_quantities(session: Session, payment: Payment) -> Counter:
    return _quantities(session, payment, "refunded")


def line_quantities(body: dict[str, Any]) -> dict[str, int]:
    """The units of each order line a capture or refund body carries (a return fee is no unit)."""
    return {line["reference"]: line["quantity"] for line in body.get("order_lines") or []
            if line.get("type") != "return_fee"}


def _portion_or_none(order: Order, quantities: dict[str, int], already: Counter) -> Portion:
    wanted = {ref: qty for ref, qty in quantities.items() if qty > 0}
    if not wanted:
        return NO_LINES
    try:
        return portion(order_items(order), wanted, already=dict(already))
    except ValueError:  # the lines changed since (an edit): the amount goes alone
        return NO_LINES


def returned_portion(session: Session, order: Order, payment: Payment) -> Portion:
    """Klarna lines of the returned units not refunded yet, at their original prices and tax rates."""
    refunded = refunded_quantities(session, payment)
    returned = {item.reference: line.returned_quantity - refunded.get(item.reference, 0)
                for line, item in zip(order.lines, order_items(order))}
    return _portion_or_none(order, returned, refunded)


def remaining_portion(session: Session, order: Order, payment: Payment) -> Portion:
    """Klarna lines of everything captured and not refunded yet."""
    refunded = refunded_quantities(session, payment)
    captured = _quantities(session, payment, "captured")
    return _portion_or_none(order, {ref: qty - refunded.get(ref, 0) for ref, qty in captured.items()}, refunded)


def return_fee_allowed(session: Session, order: Order, payment: Payment) -> bool:
    captures = _events(session, payment, CAPTURE_KINDS)
    single_full_capture = len(captures) == 1 and captures[0].amount == payment.amount
    return order.country.upper() in RETURN_FEE_MARKETS and single_full_capture


def fee_tax_rate(order: Order, lines: list[dict]) -> int:
    """A return cost carries the VAT of the goods it is charged for: the highest rate among them."""
    rates = [line["tax_rate"] for line in lines if line["type"] in GOODS_KINDS] or \
            [line.tax_rate for line in order.goods_lines] or [0]
    return max(rates)


def return_cost_name(order: Order) -> str:
    """The customer reads it (Klarna's invoice, the order): in the order's language."""
    with force_locale(order.locale.split("-")[0]):
        return _("Return cost")


def return_fee_line(order: Order, fee: int, tax_rate: int) -> dict[str, Any]:
    return {"type": "return_fee", "reference": RETURN_COST_REFERENCE, "name": return_cost_name(order),
            "quantity": 1, "quantity_unit": "pcs", "unit_price": -fee, "tax_rate": tax_rate, "total_amount": -fee,
            "total_discount_amount": 0, "total_tax_amount": -vat_of_gross(fee, tax_rate)}


def overpayment_body(session: Session, order: Order, payment: Payment, amount: int, *,
                     return_cost: int) -> dict[str, Any]:
    """The refund of `amount` after a return; `return_cost` is what the merchant keeps of the overpayment."""
    returned = returned_portion(session, order, payment)
    rate = fee_tax_rate(order, returned.lines)
    body: dict[str, Any] = {"refunded_amount": amount, "reference": f"order-{order.number}"[:255]}
    fee = returned.amount - amount
    if returned.lines and fee == 0:
        body["order_lines"] = returned.lines
    elif returned.lines and 0 < fee < returned.amount and return_fee_allowed(session, order, payment):
        body["order_lines"] = [*returned.lines, return_fee_line(order, fee, rate)]
    else:
        with force_locale(order.locale.split("-")[0]):
            body["description"] = _("Refund for returned goods, order %(number)s", number=order.number)[:255]
    if return_cost > 0:
        body_cost = {"amount": return_cost, "tax_rate": rate, "name": return_cost_name(order)}
        return {"body": body, "return_cost": body_cost}
    return {"body": body}


def entire_body(session: Session, order: Order, payment: Payment, amount: int, refundable: int) -> dict[str, Any]:
    """"Refund entire payment": with the remaining lines when the amount is everything that is left."""
    body: dict[str, Any] = {"refunded_amount": amount, "reference": f"order-{order.number}"[:255]}
    if amount == refundable:
        remaining = remaining_portion(session, order, payment)
        if remaining.lines and remaining.amount == amount:
            body["order_lines"] = remaining.lines
    return body


def settle_overpayment(session: Session, order: Order, request: PaymentEvent) -> None:
    """After Klarna refunded an overpayment: the order's history says so, and a return cost the merchant
    kept becomes an order line, so the order total is what the customer paid."""
    if request.data.get("purpose") != "overpayment":
        return
    cost = request.data.get("return_cost") or {}
    args = {"amount": money_arg(request.amount, order.currency)}
    if cost.get("amount", 0) > 0:
        session.add(OrderLine(order_id=order.id, kind="surcharge", reference=RETURN_COST_REFERENCE,
                              name=cost["name"][:200], quantity=1, unit_price=cost["amount"],
                              tax_rate=cost["tax_rate"]))
        add_event(session, order, "overpayment_refunded", N_("%(amount)s refunded; %(cost)s kept as a return cost"),
                  actor=request.actor, message_args={**args, "cost": money_arg(cost["amount"], order.currency)},
                  payment_id=request.payment_id)
    else:
        add_event(session, order, "overpayment_refunded", N_("%(amount)s refunded"), actor=request.actor,
                  message_args=args, payment_id=request.payment_id)
