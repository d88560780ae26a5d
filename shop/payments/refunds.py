"""Refunds the merchant asks for from the order page: the overpayment after a return, or the entire payment.

Each refund form carries a token minted when it is rendered; the refund's idempotency key is
derived from it. A form submitted twice (a double click, a resubmitted page, six requests at
the same moment) is one business operation: one request event, one Klarna refund, and every
submission is answered with that refund's recorded outcome.
"""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlmodel import Session, select

from shop.i18n import money
from shop.models import Order, Payment, PaymentEvent

from . import service, states
from .balance import order_payments
from .common import IDEMPOTENCY_NAMESPACE
from .gateway import KlarnaGateway
from .ledger import Totals, totals_of
from .operations import NotAllowed
from .refund_lines import entire_body, overpayment_body

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


def form_key(payment: Payment, token: str) -> str:
    """The idempotency key of the refund a rendered form asks for."""
    if not TOKEN_PATTERN.match(token or ""):
        raise ValueError("not a refund form token")
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"payment:{payment.id}:refund-form:{token}"))


def recorded_refund(session: Session, payment: Payment, token: str | None) -> PaymentEvent | None:
    """The outcome of the refund this form asked for before, if it was submitted already."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    return service.replayed(session, payment, "refund", form_key(payment, token))


def payment_totals(session: Session, payment: Payment) -> Totals:
    return totals_of(payment, session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id)).all())


def overpayment(session: Session, order: Order) -> int:
    """What the customer paid beyond the order total, less what a manual transaction is paying back already."""
    paying_back = sum(payment.amount for payment in session.exec(select(Payment).where(
        Payment.order_id == order.id, Payment.provider != "klarna", Payment.state == states.AWAITING,
        Payment.amount < 0)))
    return max(order_payments(session, order).paid + paying_back - order.total, 0)


@dataclass(frozen=True)
class OverpaymentOffer:
    amount: int  # paid - order total
    currency: str
    payment: Payment | None  # the Klarna payment that can refund it, if any
    refundable: int  # what that payment can still refund: captured - refunded

    @property
    def suggested(self) -> int:
        return min(self.amount, self.refundable)


def overpayment_offer(session: Session, order: Order) -> OverpaymentOffer | None:
    amount = overpayment(session, order)
    if amount <= 0:
        return None
    payment, refundable = None, 0
    for candidate in reversed(service.klarna_payments(session, order)):
        if candidate.klarna_order_id and states.can("refund", candidate.state):
            refundable = payment_totals(session, candidate).refundable
            if refundable > 0:
                payment = candidate
                break
    return OverpaymentOffer(amount=amount, currency=order.currency, payment=payment, refundable=refundable)


def _check_amount(amount: int, refundable: int, currency: str) -> None:
    if not 0 < amount <= refundable:
        raise NotAllowed(_("The refund must be more than %(zero)s and at most %(amount)s.",
                           zero=money(0, currency), amount=money(refundable, currency)))


def refund_overpayment(session: Session, order: Order, payment: Payment, gateway: KlarnaGateway, amount: int, *,
                       actor: str, token: str) -> PaymentEvent:
    """Refund `amount` of the overpayment; what the merchant keeps of it is the order's return cost."""
    earlier = recorded_refund(session, payment, token)
    if earlier is not None:
        return earlier
    refundable = payment_totals(session, payment).refundable
    _check_amount(amount, refundable, payment.currency)
    kept = max(min(overpayment(session, order), refundable) - amount, 0)
    plan = overpayment_body(session, order, payment, amount, return_cost=kept)
    details = {"return_cost": plan["return_cost"]} if "return_cost" in plan else {}
    return service.perform(session, payment, gateway, "refund", plan["body"], actor=actor, amount=amount,
                           key=form_key(payment, token), data={"purpose": "overpayment", **details})


def refund_payment(session: Session, payment: Payment, gateway: KlarnaGateway, amount: int, *, actor: str,
                   token: str) -> PaymentEvent:
    """"Refund entire payment" (the merchant may lower the amount): with the lines when it is everything."""
    earlier = recorded_refund(session, payment, token)
    if earlier is not None:
        return earlier
    order = session.get(Order, payment.order_id)
    refundable = payment_totals(session, payment).refundable
    _check_amount(amount, refundable, payment.currency)
    body = entire_body(session, order, payment, amount, refundable)
    return service.perform(session, payment, gateway, "refund", body, actor=actor, amount=amount,
                           key=form_key(payment, token))
