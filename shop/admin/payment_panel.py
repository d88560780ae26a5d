"""What the order page shows of a Klarna payment: one panel per payment, its tools, its expiry.

Read-only: every figure comes from the payment row, its events (the ledger) and the
Klarna request log. The actions themselves are in `payments.py`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from shop.i18n import money
from shop.models import KlarnaCall, Order, Payment, PaymentEvent, PaymentMethod, utcnow
from shop.payments import states
from shop.payments.ledger import Totals, totals_of

from .order_queries import EXPIRY_WARNING, RESERVED_STATES
from .payment_forms import refund_form

REQUEST_LOG_SIZE = 50
SIMULATOR_PORTAL = "/_klarna/portal/orders/{order_id}"
# The Merchant Portal's order page, the way Klarna's own Magento module links it
# (the merchant id is the part of the API username before "_").
PORTAL_ORDER_URLS = {
    "playground": "https://portal.playground.klarna.com/orders/merchants/{merchant}/orders/{order_id}",
    "production": "https://portal.klarna.com/orders/merchants/{merchant}/orders/{order_id}",
}
PORTAL_HOMES = {"playground": "https://portal.playground.klarna.com/", "production": "https://portal.klarna.com/"}

FRAUD_STATUS_LABELS = {"ACCEPTED": _l("Accepted"), "PENDING": _l("Under review"), "REJECTED": _l("Rejected")}
OPERATION_LABELS = states.OPERATION_LABELS
OPERATION_OUTCOMES = {
    "requested": _l("%(operation)s requested"),
    "failed": _l("%(operation)s refused by Klarna"),
    "unknown": _l("%(operation)s: outcome not known yet"),
    "unresolved": _l("%(operation)s: no answer in time"),
}
EVENT_LABELS = {
    "session_requested": _l("Klarna session requested"), "session_created": _l("Klarna session created"),
    "session_failed": _l("Klarna session failed"), "session_disabled": _l("Klarna session closed"),
    "redirected": _l("Customer sent to Klarna"), "returned": _l("Customer came back from Klarna"),
    "order_requested": _l("Klarna order requested"), "order_created": _l("Klarna order created"),
    "authorized": _l("Reserved"), "amount_mismatch": _l("Amount did not match the order"),
    "captured": _l("Payment activated"), "captured_elsewhere": _l("Activated outside the shop"),
    "refunded": _l("Refunded"), "refunded_elsewhere": _l("Refunded outside the shop"),
    "extended": _l("Expiry date extended"), "expiry_changed": _l("Expiry date changed at Klarna"),
    "cancelled": _l("Reservation cancelled"), "released": _l("Remaining reservation released"),
    "instructions_resent": _l("Payment instructions sent again"), "amount_updated": _l("Amount changed"),
    "amount_changed": _l("Amount changed at Klarna"), "status_changed": _l("Status changed"),
    "fraud_status_changed": _l("Fraud status changed"), "retried": _l("Retried with the same key"),
    "abandoned": _l("Abandoned"), "created": _l("Payment transaction created"),
    "authorization_unknown": _l("Confirmation unfinished: outcome not known yet"),
    "authorization_postponed": _l("Confirmation postponed: Klarna asked to wait"),
    "authorization_failed": _l("Klarna refused the payment"),
    "returned_success": _l("Customer came back from Klarna"), "returned_cancel": _l("Customer cancelled at Klarna"),
    "returned_back": _l("Customer went back from Klarna"), "returned_failure": _l("Payment failed at Klarna"),
    "returned_error": _l("Error on Klarna's payment page"),
}


def event_label(kind: str) -> str:
    """The merchant's words for a payment event kind; `capture_failed` and the like are composed."""
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind])
    operation, _sep, outcome = kind.rpartition("_")
    if operation in OPERATION_LABELS and outcome in OPERATION_OUTCOMES:
        return str(OPERATION_OUTCOMES[outcome]) % {"operation": OPERATION_LABELS[operation]}
    return kind


def _utc(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their zone; they are all UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Expiry:
    at: datetime
    expired: bool
    soon: bool  # within EXPIRY_WARNING

    @property
    def days_left(self) -> int:
        return max((self.at - utcnow()).days, 0)


def expiry_of(payment: Payment | None) -> Expiry | None:
    """The Klarna reservation's expiry, when it still matters (or has just passed)."""
    if payment is None or payment.provider != "klarna" or payment.expires_at is None:
        return None
    if payment.state == states.EXPIRED:
        return Expiry(_utc(payment.expires_at), expired=True, soon=False)
    if payment.state not in RESERVED_STATES:
        return None
    at = _utc(payment.expires_at)
    now = utcnow()
    return Expiry(at, expired=at <= now, soon=now < at <= now + EXPIRY_WARNING)


def portal_url(payment: Payment, method: PaymentMethod | None) -> str | None:
    """The Klarna order in the merchant portal of the method's environment."""
    if not payment.klarna_order_id or method is None:
        return None
    environment = method.settings.get("environment", "playground")
    if environment == "simulator":
        return SIMULATOR_PORTAL.format(order_id=payment.klarna_order_id)
    merchant = (method.settings.get("merchant_id") or "").split("_")[0]
    if environment not in PORTAL_ORDER_URLS or not merchant:
        return PORTAL_HOMES.get(environment)
    return PORTAL_ORDER_URLS[environment].format(merchant=merchant, order_id=payment.klarna_order_id)


@dataclass(frozen=True)
class Problem:
    """Why an action was not done, shown inline in the panel."""

    message: str
    detail: str | None = None  # Klarna's own words
    correlation_id: str | None = None


def in_progress() -> Problem:
    return Problem(_("An operation is already in progress on this payment. Its result is checked automatically; "
                     "try again in a moment."))


@dataclass(frozen=True)
class Tool:
    name: str  # the route's action
    label: str
    explanation: str  # what it will do, shown before the merchant confirms
    confirm: str  # the confirm button


@dataclass(frozen=True)
class PaymentPanel:
    payment: Payment
    method: PaymentMethod | None
    totals: Totals
    events: list[PaymentEvent]  # newest first
    tools: list[Tool]
    can_check: bool
    expiry: Expiry | None
    portal_url: str | None
    refund_form: Any = None
    open_tool: str | None = None
    problem: Problem | None = None
    unfinished: bool = False  # a Klarna write is awaiting its answer

    @property
    def remaining(self) -> int:
        """What Klarna still holds: nothing once the reservation is cancelled, expired or released."""
        return self.totals.remaining if self.payment.state in RESERVED_STATES else 0


def tools_for(payment: Payment, totals: Totals, order: Order) -> list[Tool]:
    """The actions Klarna would accept now, each with what it will do in plain words."""
    def amount(value: int) -> str:
        return money(value, payment.currency)

    state = payment.state
    tools = []
    if states.can("capture", state) and totals.remaining > 0:
        tools.append(Tool("activate", _("Activate payment"), _(
            "Captures the remaining %(amount)s with the order's remaining lines. Klarna then charges the customer.",
            amount=amount(totals.remaining)), _("Activate payment now")))
    if states.can("extend", state):
        tools.append(Tool("extend", _("Extend expiry"), _(
            "Asks Klarna to keep the reservation longer: the new expiry date is Klarna's authorization period "
            "counted from today."), _("Extend expiry now")))
    if states.can("release", state):
        tools.append(Tool("cancel", _("Cancel reservation"), _(
            "Releases the remaining reservation of %(remaining)s. The %(captured)s already activated stays "
            "charged. This cannot be undone.", remaining=amount(totals.remaining), captured=amount(totals.captured)),
            _("Release the remaining reservation")))
    elif states.can("cancel", state):
        tools.append(Tool("cancel", _("Cancel reservation"), _(
            "Cancels the whole reservation of %(amount)s: the payment becomes unapproved and the customer is not "
            "charged. This cannot be undone.", amount=amount(totals.authorized)), _("Cancel the reservation")))
    if states.can("resend", state) and totals.captured > 0:
        tools.append(Tool("resend", _("Resend payment instructions to customer"), _(
            "Asks Klarna to send the payment instructions to %(email)s again.", email=order.email),
            _("Send the instructions again")))
    if states.can("refund", state) and totals.refundable > 0:
        tools.append(Tool("refund", _("Refund entire payment"), _(
            "Refunds the amount below to the customer through Klarna; at most %(amount)s.",
            amount=amount(totals.refundable)), _("Refund now")))
    return tools


def build_panel(payment: Payment, method: PaymentMethod | None, events: list[PaymentEvent],
                order: Order) -> PaymentPanel:
    totals = totals_of(payment, events)
    return PaymentPanel(
        payment=payment, method=method, totals=totals, events=sorted(events, key=lambda e: e.id, reverse=True),
        tools=tools_for(payment, totals, order),
        can_check=bool(payment.klarna_order_id) and states.can("sync", payment.state),
        expiry=expiry_of(payment), portal_url=portal_url(payment, method),
        refund_form=refund_form(payment, totals.refundable, formdata=None),
        unfinished=payment.pending_event_id is not None,
    )


def klarna_panels(session: Session, order: Order) -> list[PaymentPanel]:
    payments = session.exec(select(Payment).where(Payment.order_id == order.id, Payment.provider == "klarna")
                            .order_by(Payment.id.desc())).all()
    if not payments:
        return []
    ids = [payment.id for payment in payments]
    events: dict[int, list[PaymentEvent]] = {payment_id: [] for payment_id in ids}
    for event in session.exec(select(PaymentEvent).where(PaymentEvent.payment_id.in_(ids))):  # type: ignore[attr-defined]
        events[event.payment_id].append(event)
    method_ids = {payment.method_id for payment in payments}
    methods = {m.id: m for m in session.exec(select(PaymentMethod).where(PaymentMethod.id.in_(method_ids)))}  # type: ignore[attr-defined]
    return [build_panel(payment, methods.get(payment.method_id), events[payment.id], order)
            for payment in payments]


def request_log(session: Session, order: Order) -> list[KlarnaCall]:
    return list(session.exec(select(KlarnaCall).where(KlarnaCall.order_id == order.id)
                             .order_by(KlarnaCall.id.desc()).limit(REQUEST_LOG_SIZE)))


# Shipping and the Klarna payment ---------------------------------------------------------------

def shipping_refusal(payment: Payment | None) -> str | None:
    """Why goods must not leave on this Klarna payment, from what the shop knows of it now."""
    if payment is None:
        return None
    if payment.state == states.REJECTED or payment.fraud_status == "REJECTED":
        return _("Klarna rejected this payment: do not ship. Create a new payment transaction with another "
                 "payment method first.")
    if payment.state == states.PENDING or payment.fraud_status == "PENDING":
        return _("Klarna is still reviewing this payment. Do not ship before Klarna accepts it.")
    if payment.state in states.UNAPPROVED:
        return _("The Klarna payment is unapproved (cancelled or expired): Klarna will not pay for these goods. "
                 "Create a new payment transaction with another payment method first.")
    return None


def open_other_payment(payments: list[Payment], klarna: Payment) -> Payment | None:
    """A payment transaction with another method, made after the Klarna one, that is still open or paid."""
    return next((p for p in payments if p.provider != "klarna" and p.id > klarna.id and p.state not in states.FINAL),
                None)


@dataclass(frozen=True)
class NewPaymentOffer:
    methods: list[PaymentMethod]
    amount: int
    currency: str


def new_payment_offer(session: Session, order: Order) -> NewPaymentOffer | None:
    """Offered when the order's Klarna payment cannot carry the order and nothing else does."""
    payments = list(session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))
    klarna = [p for p in payments if p.provider == "klarna" and p.klarna_order_id]
    if not klarna or shipping_refusal(klarna[-1]) is None or open_other_payment(payments, klarna[-1]):
        return None
    amount = order.total - sum(p.captured_amount - p.refunded_amount for p in payments)
    methods = list(session.exec(select(PaymentMethod).where(PaymentMethod.provider != "klarna")
                                .order_by(PaymentMethod.position, PaymentMethod.id)))
    if amount <= 0 or not methods:
        return None
    return NewPaymentOffer(methods=methods, amount=amount, currency=order.currency)
