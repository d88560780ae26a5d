"""What needs the merchant's attention, read in a fixed number of queries however many orders there are.

Each row names the order, says what happened and what to do. Rows come from the payments
themselves (expiring reservations, holds, reviews, amounts that differ from Klarna's) and
from the alerts the payment layer wrote (rejected reviews, late payments) until dismissed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import Session, select

from shop.i18n import date, money
from shop.models import Order, OrderLine, OutboxMessage, Payment, PaymentEvent, PaymentHold, StaffAlert, utcnow
from shop.payments import states
from shop.payments.common import as_utc

from .history import stored_text
from .order_queries import EXPIRY_WARNING

UNSHIPPED_STATUSES = ("confirmed", "partially_shipped")
MISMATCH_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class AttentionRow:
    kind: str  # expiring, on_hold, pending_review, amount_mismatch, alert
    order_number: str | None
    customer: str
    happened: str
    todo: str
    at: datetime | None
    alert_id: int | None = None
    severity: str = "warning"  # warning | error


def attention_rows(session: Session) -> list[AttentionRow]:
    rows = [*expiring(session), *on_hold(session), *pending_review(session), *amount_mismatches(session),
            *alerts(session), *undelivered_emails(session)]
    severity = {"error": 0, "warning": 1}
    return sorted(rows, key=lambda row: (severity.get(row.severity, 2), _sort_time(row.at)))


def _sort_time(moment: datetime | None) -> float:
    return as_utc(moment).timestamp() if moment else 0.0


def _payments_with_orders(session: Session, *conditions: Any) -> list[tuple[Payment, Order]]:
    return list(session.exec(select(Payment, Order).join(Order, Order.id == Payment.order_id)
                             .where(Payment.provider == "klarna", *conditions).order_by(Payment.id)))


def expiring(session: Session) -> list[AttentionRow]:
    soon = utcnow() + EXPIRY_WARNING
    found = _payments_with_orders(session, Payment.state.in_((states.AUTHORIZED, states.PART_CAPTURED)),  # type: ignore[attr-defined]
                                  Payment.expires_at <= soon,  # type: ignore[operator]
                                  Order.status.in_(UNSHIPPED_STATUSES))  # type: ignore[attr-defined]
    return [AttentionRow(
        "expiring", order.number, order.customer_name,
        _("The Klarna reservation of %(amount)s expires on %(date)s and goods are still unshipped.",
          amount=money(payment.amount - payment.captured_amount, payment.currency), date=date(payment.expires_at)),
        _("Ship the goods (which activates the payment), or extend the expiry date on the order page."),
        payment.expires_at, severity="error" if as_utc(payment.expires_at) <= utcnow() + timedelta(days=2)
        else "warning") for payment, order in found]


def on_hold(session: Session) -> list[AttentionRow]:
    found = session.exec(select(PaymentHold, Payment, Order).join(Payment, Payment.id == PaymentHold.payment_id)
                         .join(Order, Order.id == Payment.order_id)
                         .where(PaymentHold.released_at.is_(None)).order_by(PaymentHold.id)).all()  # type: ignore[union-attr]
    return [AttentionRow(
        "on_hold", order.number, order.customer_name,
        _("Payment on hold: Klarna refused to activate %(amount)s (%(reason)s). Tried %(count)d times.",
          amount=money(payment.amount - payment.captured_amount, payment.currency), reason=hold.reason,
          count=hold.attempts),
        _("The shop asks Klarna again on %(date)s. Ask the customer to check their payment method at Klarna.",
          date=date(hold.next_try_at)),
        hold.created_at, severity="error") for hold, payment, order in found]


def pending_review(session: Session) -> list[AttentionRow]:
    found = _payments_with_orders(session, Payment.state == states.PENDING,
                                  Order.status.not_in(("cancelled", "abandoned")))  # type: ignore[attr-defined]
    return [AttentionRow(
        "pending_review", order.number, order.customer_name,
        _("Klarna is reviewing the payment of %(amount)s for fraud.", amount=money(payment.amount, payment.currency)),
        _("Do not ship yet. Klarna decides within 24 hours; the shop follows its decision."),
        payment.created_at) for payment, order in found]


def amount_mismatches(session: Session) -> list[AttentionRow]:
    """Live Klarna orders whose amount differs from the order total, and recent refused mismatches."""
    totals = (select(OrderLine.order_id, func.sum(OrderLine.quantity * OrderLine.unit_price - OrderLine.discount)
                     .label("total")).group_by(OrderLine.order_id).subquery())
    live = session.exec(select(Payment, Order, totals.c.total).join(Order, Order.id == Payment.order_id)
                        .join(totals, totals.c.order_id == Order.id)
                        .where(Payment.provider == "klarna", Payment.state.in_(  # type: ignore[attr-defined]
                            (states.AUTHORIZED, states.PART_CAPTURED, states.PENDING)),
                            Payment.amount != totals.c.total).order_by(Payment.id)).all()
    rows = [AttentionRow(
        "amount_mismatch", order.number, order.customer_name,
        _("Klarna holds %(klarna)s for this order, but the order total is %(total)s.",
          klarna=money(payment.amount, payment.currency), total=money(total, order.currency)),
        _("Check the payment status, then change the order or the amount at Klarna so they agree."),
        payment.updated_at, severity="error") for payment, order, total in live]
    refused = session.exec(select(PaymentEvent, Order).join(Payment, Payment.id == PaymentEvent.payment_id)
                           .join(Order, Order.id == Payment.order_id)
                           .where(PaymentEvent.kind == "amount_mismatch", Order.status == "awaiting_payment",
                                  PaymentEvent.created_at >= utcnow() - MISMATCH_WINDOW)
                           .order_by(PaymentEvent.id)).all()
    rows += [AttentionRow(
        "amount_mismatch", order.number, order.customer_name, stored_text(event.message, event.data.get("message_args")),
        _("The order still awaits payment: send the customer a new payment link from the order page."),
        event.created_at, severity="error") for event, order in refused]
    return rows


ALERT_TODO = {
    "fraud_rejected": lambda: _("Do not ship. If goods left already, try to stop the delivery."),
    "late_authorization": lambda: _("Contact the customer: the order was given up and the payment released."),
    "late_authorization_failed": lambda: _("Cancel the Klarna reservation on the order page."),
}
# Alerts whose matter has a row of its own while it lasts (a hold shows until it is released).
ROW_KINDS_OF_THEIR_OWN = ("payment_on_hold",)


def alerts(session: Session) -> list[AttentionRow]:
    found = session.exec(select(StaffAlert, Order).join(Order, Order.id == StaffAlert.order_id, isouter=True)
                         .where(StaffAlert.dismissed_at.is_(None),  # type: ignore[union-attr]
                                StaffAlert.kind.not_in(ROW_KINDS_OF_THEIR_OWN))  # type: ignore[attr-defined]
                         .order_by(StaffAlert.id)).all()
    return [AttentionRow(
        "alert", order.number if order else None, order.customer_name if order else "",
        stored_text(alert.message, alert.data.get("message_args")),
        ALERT_TODO.get(alert.kind, lambda: _("Read the order's history."))(),
        alert.created_at, alert_id=alert.id, severity="error") for alert, order in found]


def undelivered_emails(session: Session) -> list[AttentionRow]:
    """E-mails the SMTP server refused: given up, or still being retried after an error."""
    found = session.exec(select(OutboxMessage, Order).join(Order, Order.id == OutboxMessage.order_id, isouter=True)
                         .where((OutboxMessage.status == "failed")
                                | ((OutboxMessage.status == "pending") & (OutboxMessage.attempts > 0)))
                         .order_by(OutboxMessage.id)).all()
    return [AttentionRow(
        "undelivered_email", order.number if order else None, order.customer_name if order else "",
        _("An e-mail to %(recipient)s could not be delivered: %(error)s",
          recipient=message.recipient, error=message.last_error or "–"),
        _("Check the address and the mail server settings, then open Sent e-mails and choose Try again now.")
        if message.status == "failed" else _("The shop keeps trying; check the mail server if this stays."),
        message.created_at, severity="error" if message.status == "failed" else "warning")
        for message, order in found]


def order_alerts(session: Session, order: Order) -> list[StaffAlert]:
    return list(session.exec(select(StaffAlert).where(StaffAlert.order_id == order.id,
                                                      StaffAlert.dismissed_at.is_(None))  # type: ignore[union-attr]
                             .order_by(StaffAlert.id)))


def order_holds(session: Session, order: Order) -> list[PaymentHold]:
    return list(session.exec(select(PaymentHold).join(Payment, Payment.id == PaymentHold.payment_id)
                             .where(Payment.order_id == order.id, PaymentHold.released_at.is_(None))))  # type: ignore[union-attr]
