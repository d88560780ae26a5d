"""What an order's payment transactions add up to, and whether Klarna still holds what the order needs.

An order may have several payment transactions (DESIGN.md §3): the Klarna payment, and manual ones made
with "Create new payment transaction" for what Klarna does not carry (positive: the customer pays the
difference, e.g. by bank transfer) or for an overpayment returned with another method (negative).
Each is its own `Payment` with its own state and history; the order's paid and open amounts add up over
all of them.

Klarna may be asked to capture only while the shop's remaining total (the order total less what every
payment transaction has settled or carries) equals Klarna's remaining authorized amount; otherwise
a capture would charge the customer the wrong amount, and shipping or activation is refused before any
Klarna write, naming Klarna's remaining amount.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlmodel import Session, select

from shop.i18n import money
from shop.i18n_markers import N_, money_arg
from shop.models import Order, Payment, PaymentEvent, PaymentMethod
from shop.orders import add_event

from . import service, states
from .common import add_payment_event
from .edit_lines import EditRequest
from .edits import EditResult, klarna_shortfall, others_paid, store_locally
from .gateway import KlarnaGateway
from .operations import NotAllowed

CAPTURING_STATES = (states.AUTHORIZED, states.PART_CAPTURED)


@dataclass(frozen=True)
class KlarnaBalance:
    payment: Payment
    shop_remaining: int  # what the order still needs from this Klarna payment
    klarna_remaining: int  # what Klarna still holds for capture

    @property
    def difference(self) -> int:
        """Positive: the order needs more than Klarna holds."""
        return self.shop_remaining - self.klarna_remaining

    @property
    def matches(self) -> bool:
        return self.difference == 0


def klarna_balance(session: Session, order: Order) -> KlarnaBalance | None:
    """The order's capturable Klarna payment against the order; None without one."""
    payment = service.active_payment(session, order)
    if payment is None or payment.state not in CAPTURING_STATES:
        return None
    settled = payment.captured_amount - payment.refunded_amount
    return KlarnaBalance(payment, shop_remaining=order.total - others_paid(session, order, payment) - settled,
                         klarna_remaining=payment.amount - payment.captured_amount)


def mismatch_message(balance: KlarnaBalance) -> str:
    currency = balance.payment.currency
    return _("The order's remaining total is %(shop)s, but Klarna's remaining authorized amount is %(klarna)s "
             "(a difference of %(difference)s). Capture Klarna's %(klarna)s, or create a new payment transaction "
             "for the difference, before shipping or activating.",
             shop=money(balance.shop_remaining, currency), klarna=money(balance.klarna_remaining, currency),
             difference=money(abs(balance.difference), currency))


def capture_refusal(session: Session, order: Order) -> str | None:
    """Why Klarna must not be asked to capture for this order now, or None."""
    balance = klarna_balance(session, order)
    if balance is None or balance.matches:
        return None
    return mismatch_message(balance)


def refuse_mismatched_activation(session: Session, payment: Payment) -> None:
    """Raises NotAllowed, before any Klarna write, when the order and Klarna disagree on what is left."""
    order = session.get(Order, payment.order_id)
    balance = klarna_balance(session, order)
    if balance is not None and balance.payment.id == payment.id and not balance.matches:
        raise NotAllowed(mismatch_message(balance))


def capture_klarna_remaining(session: Session, payment: Payment, gateway: KlarnaGateway, *,
                             actor: str) -> PaymentEvent:
    """Capture what Klarna still holds, when it is less than the order needs: the rest is for another
    payment transaction. Without lines, as they would not add up to Klarna's amount."""
    order = session.get(Order, payment.order_id)
    found = klarna_balance(session, order)
    if found is None or found.payment.id != payment.id or found.difference <= 0 or found.klarna_remaining <= 0:
        raise NotAllowed(_("Klarna holds no less than the order needs: activate the payment or ship instead."))
    amount = found.klarna_remaining
    body = {"captured_amount": amount, "reference": f"order-{order.number}"}
    return service.perform(session, payment, gateway, "capture", body, actor=actor, amount=amount)


# The order's payment transactions together --------------------------------------------------

@dataclass(frozen=True)
class OrderPayments:
    total: int
    paid: int  # settled: captured less refunded, manual transactions marked paid (negative: paid back)
    reserved: int  # held by Klarna for capture
    awaited: int  # manual transactions not marked paid yet
    currency: str

    @property
    def open(self) -> int:
        """Still to be paid (negative: paid more than the order total)."""
        return self.total - self.paid - self.reserved - self.awaited


def order_payments(session: Session, order: Order) -> OrderPayments:
    paid = reserved = awaited = 0
    for payment in session.exec(select(Payment).where(Payment.order_id == order.id)):
        if payment.provider == "klarna":
            paid += payment.captured_amount - payment.refunded_amount
            if payment.state in (*CAPTURING_STATES, states.PENDING):
                reserved += max(payment.amount - payment.captured_amount, 0)
        elif payment.state == states.CAPTURED:
            paid += payment.amount
        elif payment.state == states.AWAITING:
            awaited += payment.amount
    return OrderPayments(order.total, paid, reserved, awaited, order.currency)


# Manual payment transactions ----------------------------------------------------------------

def save_edit_paying_difference(session: Session, order: Order, request: EditRequest, method: PaymentMethod, *,
                                actor: str) -> tuple[EditResult, Payment]:
    """Klarna declined to hold more: store the edit without Klarna, and ask the customer for the difference
    with another payment method, in one transaction."""
    difference = klarna_shortfall(session, order, request)
    if difference <= 0:
        raise NotAllowed(_("Klarna's amount already covers the edited order; save it without a new payment "
                           "transaction."))
    created: list[Payment] = []
    result = store_locally(session, order, request, actor, also=lambda locked: created.append(
        create_transaction(session, locked, method, difference, actor=actor, commit=False)))
    return result, created[0]


def create_transaction(session: Session, order: Order, method: PaymentMethod, amount: int, *,
                       actor: str, commit: bool = True) -> Payment:
    """A new manual payment transaction: positive, the customer pays it; negative, the shop pays it back."""
    if method.provider == "klarna":
        raise NotAllowed(_("A new payment transaction here is made with another payment method than Klarna."))
    if amount == 0:
        raise NotAllowed(_("A payment transaction needs an amount."))
    payment = Payment(order_id=order.id, method_id=method.id, provider=method.provider, state=states.AWAITING,
                      currency=order.currency, amount=amount)
    session.add(payment)
    session.flush()
    args = {"method": method.name, "amount": money_arg(abs(amount), order.currency)}
    if amount > 0:
        message = N_("Payment transaction created with %(method)s: %(amount)s to be paid by the customer")
    else:
        message = N_("Payment transaction created with %(method)s: %(amount)s to be paid back to the customer")
    add_payment_event(session, payment, "created", message, amount=amount, actor=actor, message_args=args)
    add_event(session, order, "payment_transaction_created", message, actor=actor, payment_id=payment.id,
              amount=amount, currency=order.currency, message_args=args)
    if commit:
        session.commit()
    return payment


def mark_transaction_settled(session: Session, payment: Payment, *, actor: str) -> PaymentEvent:
    """The bank transfer arrived, or the money was paid back: the manual transaction is settled."""
    if payment.provider == "klarna" or payment.state != states.AWAITING:
        raise NotAllowed(_("This payment transaction is not awaiting payment."))
    payment.state = states.CAPTURED
    args = {"amount": money_arg(abs(payment.amount), payment.currency)}
    order = session.get(Order, payment.order_id)
    if payment.amount > 0:
        message = N_("Payment of %(amount)s received")
        event = add_payment_event(session, payment, "paid", message, amount=payment.amount, actor=actor,
                                  message_args=args)
        add_event(session, order, "transaction_paid", message, actor=actor, payment_id=payment.id, message_args=args)
    else:
        message = N_("%(amount)s paid back to the customer")
        event = add_payment_event(session, payment, "paid_back", message, amount=payment.amount, actor=actor,
                                  message_args=args)
        add_event(session, order, "transaction_paid_back", message, actor=actor, payment_id=payment.id,
                  message_args=args)
    session.commit()
    return event
