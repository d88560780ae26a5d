"""Acting on Klarna's bad news (the sync, the finaliser and the capture call report here).

- A fraud review rejected or stopped: the order is cancelled, its stock released, staff alerted.
- An approval that arrives after the shop gave the order up (cancelled, abandoned): the Klarna
  order is cancelled at once (refunded if Klarna captured it), and staff alerted.
- A capture refused for now (403 PAYMENT_METHOD_FAILED): the payment goes on hold and the sync
  asks again on a backoff schedule, recording every try. The shipment stays recorded.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from shop.i18n_markers import N_
from shop.models import Order, Payment, PaymentEvent, PaymentHold, utcnow
from shop.orders import add_event, release_stock

from . import states
from .alerts import alert_staff, has_alert
from .common import ProviderError, add_payment_event
from .gateway import KlarnaGateway

DEAD_ORDER_STATUSES = ("cancelled", "abandoned")
# Klarna's 403 codes for a capture a later try can cure (the shopper's card or account is fixed).
CURABLE_CAPTURE_CODES = frozenset({"PAYMENT_METHOD_FAILED"})
HOLD_BACKOFF = (timedelta(hours=1), timedelta(hours=4), timedelta(hours=12), timedelta(days=1))
BUSY_RETRY = timedelta(minutes=5)  # another operation was in flight: try again soon
RETRY_ACTOR = "capture-retry"
LATE_UNDO_FAILED = "late_authorization_failed"


# Fraud review -------------------------------------------------------------------------------

def reject_order(session: Session, payment: Payment) -> bool:
    """Klarna rejected the payment (review rejected, or stopped later): the order is cancelled, once."""
    if payment.state != states.REJECTED or has_alert(session, "fraud_rejected", payment):
        return False
    order = session.get(Order, payment.order_id)
    shipped = any(line.shipped_quantity for line in order.goods_lines)
    if order.status != "cancelled":
        order.status = "cancelled"
        order.updated_at = utcnow()
        release_stock(session, order)
        session.add(order)
    add_event(session, order, "fraud_rejected",
              N_("Klarna rejected the payment in its fraud review: the order is cancelled and its stock released"),
              actor="klarna", payment_id=payment.id)
    message = (N_("Order %(number)s: Klarna rejected the payment after goods were shipped. Stop the delivery "
                  "if you can; Klarna will not pay for the goods.") if shipped else
               N_("Order %(number)s: Klarna rejected the payment in its fraud review. The order is cancelled; "
                  "do not ship it."))
    alert_staff(session, "fraud_rejected", message, order=order, payment=payment,
                message_args={"number": order.number}, shipped=shipped)
    session.commit()
    return True


# Late authorization -------------------------------------------------------------------------

def undo_late_authorization(session: Session, payment: Payment, gateway: KlarnaGateway) -> bool:
    """The shopper approved after the order was given up: no money stays reserved for it."""
    from .operations import NotAllowed, OperationInProgress
    from .service import cancel_reservation, refund

    order = session.get(Order, payment.order_id)
    if order.status not in DEAD_ORDER_STATUSES or payment.state not in states.CONFIRMED_STATES \
            or payment.state in (states.REJECTED, states.CLOSED):
        return False
    try:
        if payment.captured_amount - payment.refunded_amount > 0:
            refund(session, payment, gateway, payment.captured_amount - payment.refunded_amount, actor="shop",
                   description="Order was cancelled")
        if states.can("cancel", payment.state) or states.can("release", payment.state):
            cancel_reservation(session, payment, gateway, actor="shop")
    except (ProviderError, NotAllowed, OperationInProgress) as error:
        session.rollback()
        _late_undo_failed(session, order, payment, str(error))
        return False
    session.refresh(order)
    add_event(session, order, "late_authorization_cancelled",
              N_("The customer approved the payment at Klarna after the order was given up; "
                 "the Klarna payment was cancelled at once"),
              actor="shop", payment_id=payment.id, order_status=order.status)
    alert_staff(session, "late_authorization", N_("Order %(number)s: the customer paid at Klarna after the order "
                                                  "was given up. The Klarna payment was cancelled; contact the "
                                                  "customer if they still want the goods."),
                order=order, payment=payment, message_args={"number": order.number})
    session.commit()
    return True


def _late_undo_failed(session: Session, order: Order, payment: Payment, reason: str) -> None:
    add_event(session, order, "late_authorization_not_cancelled",
              N_("The customer approved the payment at Klarna after the order was given up, and cancelling it "
                 "failed: %(error)s. The sync tries again."),
              actor="shop", payment_id=payment.id, message_args={"error": reason})
    if not has_alert(session, LATE_UNDO_FAILED, payment):
        alert_staff(session, LATE_UNDO_FAILED, N_("Order %(number)s: the customer paid at Klarna after the order "
                                                  "was given up, and the shop could not cancel the Klarna "
                                                  "payment: %(error)s. Cancel it on the order page."),
                    order=order, payment=payment, message_args={"number": order.number, "error": reason})
    session.commit()


# Captures on hold ---------------------------------------------------------------------------

def curable(error: ProviderError) -> bool:
    return error.status == 403 and error.error_code in CURABLE_CAPTURE_CODES


def active_hold(session: Session, payment: Payment) -> PaymentHold | None:
    return session.exec(select(PaymentHold).where(PaymentHold.payment_id == payment.id,
                                                  PaymentHold.released_at.is_(None))).first()  # type: ignore[union-attr]


def backoff(attempts: int) -> timedelta:
    return HOLD_BACKOFF[min(attempts, len(HOLD_BACKOFF)) - 1]


def hold_refused_capture(session: Session, payment: Payment, event: PaymentEvent, error: ProviderError) -> None:
    """A capture refused with a curable 403: the payment is on hold until a later try succeeds."""
    if event.data.get("operation") != "capture" or not curable(error):
        return
    hold = active_hold(session, payment)
    if hold is None:
        hold = PaymentHold(payment_id=payment.id, request_event_id=event.id, attempts=0)
        order = session.get(Order, payment.order_id)
        add_payment_event(session, payment, "capture_on_hold",
                          N_("Payment on hold: Klarna refused the capture (%(reason)s). The shop asks Klarna "
                             "again automatically."), message_args={"reason": error.message},
                          correlation_id=error.correlation_id)
        alert_staff(session, "payment_on_hold",
                    N_("Order %(number)s: Klarna refused to activate the payment (%(reason)s). The shipment is "
                       "recorded and the shop asks Klarna again; ask the customer to check their payment method "
                       "at Klarna."), order=order, payment=payment,
                    message_args={"number": order.number, "reason": error.message})
    hold.attempts += 1
    hold.request_event_id = event.id
    hold.reason, hold.error_code, hold.correlation_id = error.message, error.error_code, error.correlation_id
    hold.next_try_at = utcnow() + backoff(hold.attempts)
    session.add(hold)
    session.commit()


def release_hold(session: Session, hold: PaymentHold, outcome: str) -> None:
    hold.released_at = utcnow()
    hold.outcome = outcome
    session.add(hold)
    payment = session.get(Payment, hold.payment_id)
    messages = {"captured": N_("Payment no longer on hold: Klarna accepted the capture"),
                "nothing_left": N_("Payment no longer on hold: nothing is left to activate"),
                "not_capturable": N_("Payment no longer on hold: the payment can no longer be activated")}
    add_payment_event(session, payment, "hold_released", messages[outcome], actor="sync", data={"outcome": outcome})
    session.commit()


def retry_due_holds(session: Session, gateway: KlarnaGateway) -> int:
    """The sync's part: ask Klarna again for every held capture that is due. Returns the tries made."""
    due = session.exec(select(PaymentHold).where(PaymentHold.released_at.is_(None),  # type: ignore[union-attr]
                                                 PaymentHold.next_try_at <= utcnow())
                       .order_by(PaymentHold.id)).all()
    session.commit()
    for hold in due:
        _retry(session, hold, gateway)
    return len(due)


def _retry(session: Session, hold: PaymentHold, gateway: KlarnaGateway) -> None:
    from .operations import NotAllowed, OperationInProgress
    from .service import perform

    if not _claim_try(session, hold):
        return  # another sync run took this try
    payment = session.get(Payment, hold.payment_id)
    request = session.get(PaymentEvent, hold.request_event_id)
    if not states.can("capture", payment.state):
        release_hold(session, hold, "not_capturable")
        return
    try:
        perform(session, payment, gateway, "capture", request.data["body"], actor=RETRY_ACTOR, amount=request.amount,
                message=N_("Capture on hold: asking Klarna again"))
    except ProviderError as error:
        session.rollback()
        session.refresh(hold)
        if error.outcome_unknown:  # the sync settles the unfinished capture; ask again later if still held
            hold.next_try_at = utcnow() + backoff(hold.attempts)
            session.add(hold)
            session.commit()
        elif not curable(error):  # curable refusals were recorded by hold_refused_capture
            release_hold(session, hold, "not_capturable")
        return
    except OperationInProgress:
        session.rollback()
        hold.next_try_at = utcnow() + BUSY_RETRY
        session.add(hold)
        session.commit()
        return
    except NotAllowed:
        session.rollback()
        release_hold(session, hold, "nothing_left")
        return
    release_hold(session, hold, "captured")


def _claim_try(session: Session, hold: PaymentHold) -> bool:
    """A conditional UPDATE: of several sync runs that found the hold due, one makes the try."""
    now = utcnow()
    taken = session.exec(  # type: ignore[call-overload]
        update(PaymentHold).where(PaymentHold.id == hold.id, PaymentHold.released_at.is_(None),  # type: ignore[union-attr]
                                  PaymentHold.next_try_at <= now)
        .values(next_try_at=now + BUSY_RETRY)
    )
    session.commit()
    if taken.rowcount != 1:
        return False
    session.refresh(hold)
    return True


# What the payment layer calls --------------------------------------------------------------------

def after_authorized(session: Session, payment: Payment, gateway: KlarnaGateway) -> None:
    """The finaliser turned Klarna's approval into a payment."""
    reject_order(session, payment)
    undo_late_authorization(session, payment, gateway)


def after_sync(session: Session, payment: Payment, gateway: KlarnaGateway) -> None:
    """A sync recorded Klarna's view of the payment."""
    reject_order(session, payment)
    if has_alert(session, LATE_UNDO_FAILED, payment):
        undo_late_authorization(session, payment, gateway)
    hold = active_hold(session, payment)
    if hold is not None and not states.can("capture", payment.state):
        release_hold(session, hold, "not_capturable" if payment.state != states.CAPTURED else "nothing_left")
