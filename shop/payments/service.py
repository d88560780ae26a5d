"""What the merchant does to a Klarna payment, as calls of the order page, shipping and cron."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlmodel import Session, select

from shop.i18n import money
from shop.i18n_markers import N_, label_arg
from shop.models import Order, Payment, PaymentEvent, Shipment, utcnow
from shop.orders import add_event

from . import states
from .common import ProviderError, add_payment_event, as_utc, note_capture_on_order, order_items, parse_time
from .gateway import KlarnaGateway
from .ledger import CAPTURE_KINDS, recompute, totals_of
from .operations import (
    AlreadyRequested, NotAllowed, claim, execute, lock_payment, pending_request, release_claim, request_with_key,
)
from .order_lines import portion, remaining_quantities
from .refund_lines import line_quantities, settle_overpayment


FEE_KINDS = ("shipping_fee", "surcharge")
# Klarna replays an idempotency key for 24 hours (API.md §0.5); later the same key would act again.
REPLAY_WINDOW = timedelta(hours=23)


def klarna_payments(session: Session, order: Order) -> list[Payment]:
    return list(session.exec(select(Payment).where(Payment.order_id == order.id, Payment.provider == "klarna")
                             .order_by(Payment.id)))


def active_payment(session: Session, order: Order) -> Payment | None:
    """The Klarna payment that carries the order now: the newest one that reached Klarna."""
    payments = [p for p in klarna_payments(session, order) if p.klarna_order_id]
    return payments[-1] if payments else None


def perform(session: Session, payment: Payment, gateway: KlarnaGateway, name: str, body: dict[str, Any], *,
            actor: str, amount: int | None = None, message: str = "", key: str | None = None,
            data: dict[str, Any] | None = None) -> PaymentEvent:
    """Run one Klarna write for the payment; returns the outcome event.

    With a `key` (see `claim`), a request made before with it is not made again: its recorded
    outcome is returned (its request event while that is still awaiting Klarna's answer).
    """
    earlier = replayed(session, payment, name, key) if key is not None else None
    if earlier is not None:
        return earlier
    if not states.can(name if name != "update_authorization" else "update_amount", payment.state) \
            or not payment.klarna_order_id:
        raise NotAllowed(_("%(action)s is not possible in the payment's current state (%(state)s).",
                           action=str(states.OPERATION_LABELS.get(name, name)), state=states.label(payment.state)))
    try:
        event = claim(session, payment, name, body, actor=actor, amount=amount, message=message, key=key,
                      data=data, still_possible=lambda fresh: _still_possible(fresh, name, amount))
    except AlreadyRequested as twin:  # the same form, submitted twice at once
        return _recorded_outcome(session, twin.event)
    return _finish(session, payment, event, gateway)


def replayed(session: Session, payment: Payment, name: str, key: str) -> PaymentEvent | None:
    """The recorded outcome of the request made with `key` before (its request event while unanswered)."""
    earlier = request_with_key(session, payment, name, key)
    return _recorded_outcome(session, earlier) if earlier is not None else None


def _still_possible(payment: Payment, name: str, amount: int | None) -> bool:
    """Re-checked under the payment's lock, on what other requests committed meanwhile."""
    if not states.can(name if name != "update_authorization" else "update_amount", payment.state):
        return False
    if name == "capture":
        return 0 < (amount or 0) <= payment.amount - payment.captured_amount
    if name == "refund":
        return 0 < (amount or 0) <= payment.captured_amount - payment.refunded_amount
    return True


def _finish(session: Session, payment: Payment, event: PaymentEvent, gateway: KlarnaGateway) -> PaymentEvent:
    outcome = execute(session, payment, event, gateway)
    lock_payment(session, payment)
    if payment.pending_event_id != event.id:  # a concurrent retry of the same request recorded it
        session.rollback()
        return _recorded_outcome(session, event)
    result_event = APPLY[event.data["operation"]](session, payment, event, outcome.result, gateway)
    release_claim(session, payment, event)
    recompute(session, payment)
    session.commit()
    return result_event


def _recorded_outcome(session: Session, event: PaymentEvent) -> PaymentEvent:
    return session.exec(select(PaymentEvent).where(
        PaymentEvent.request_event_id == event.id, PaymentEvent.kind != "retried",
    ).order_by(PaymentEvent.id.desc())).first() or event  # type: ignore[union-attr]


def resolve_pending(session: Session, payment: Payment, gateway: KlarnaGateway) -> PaymentEvent | None:
    """Retry an unfinished write with its original idempotency key (Klarna replays it).

    Past Klarna's replay window the same key could act twice, so the request is given up
    instead and the sync records whatever Klarna did as a change made elsewhere.
    """
    event = pending_request(session, payment)
    if event is None:
        return None
    if utcnow() - as_utc(event.created_at) > REPLAY_WINDOW:
        add_payment_event(session, payment, f"{event.data['operation']}_unresolved",
                          N_("No answer within Klarna's replay window; Klarna's order shows what happened"),
                          request_event_id=event.id, actor="sync")
        release_claim(session, payment, event)
        session.commit()
        return None
    add_payment_event(session, payment, "retried", N_("Retrying with the same key: %(operation)s"),
                      message_args={"operation": label_arg("operation", event.data["operation"])},
                      request_event_id=event.id, idempotency_key=event.idempotency_key)
    session.commit()
    return _finish(session, payment, event, gateway)


# Outcomes -----------------------------------------------------------------------------------

def _outcome(session, payment, event, kind, message, **fields) -> PaymentEvent:
    return add_payment_event(session, payment, kind, message, request_event_id=event.id, actor=event.actor,
                             idempotency_key=event.idempotency_key, **fields)


def _captured(session, payment, event, created, gateway) -> PaymentEvent:
    quantities = {line["reference"]: line["quantity"] for line in event.data["body"].get("order_lines") or []}
    outcome = _outcome(session, payment, event, "captured", N_("Payment activated"), amount=event.amount,
                       provider_id=created.id, correlation_id=created.correlation_id,
                       data={"quantities": quantities})
    session.flush()
    totals = recompute(session, payment)
    payment.state = states.CAPTURED if totals.captured >= payment.amount else states.PART_CAPTURED
    note_capture_on_order(session, payment, event.amount, event.actor, N_("Klarna payment activated"))
    return outcome


def _refunded(session, payment, event, created, gateway) -> PaymentEvent:
    settle_overpayment(session, session.get(Order, payment.order_id), event)
    return _outcome(session, payment, event, "refunded", N_("Payment refunded"), amount=event.amount,
                    provider_id=created.id, correlation_id=created.correlation_id,
                    data={"quantities": line_quantities(event.data["body"])})


def _extended(session, payment, event, expires_at, gateway) -> PaymentEvent:
    """`expires_at`: Klarna's new date as read back by the operation (None if it could not be read)."""
    if expires_at:
        payment.expires_at = parse_time(expires_at)
    return _outcome(session, payment, event, "extended", N_("Expiry date extended"),
                    data={"expires_at": expires_at})


def _cancelled(session, payment, event, _result, gateway) -> PaymentEvent:
    payment.state = states.CANCELLED
    order = session.get(Order, payment.order_id)
    add_event(session, order, "payment_cancelled", N_("Klarna reservation cancelled; the customer is not charged"),
              actor=event.actor, payment_id=payment.id)
    return _outcome(session, payment, event, "cancelled", N_("Reservation cancelled"))


def _released(session, payment, event, _result, gateway) -> PaymentEvent:
    payment.state = states.CLOSED
    return _outcome(session, payment, event, "released", N_("Remaining reservation released"))


def _resent(session, payment, event, _result, gateway) -> PaymentEvent:
    return _outcome(session, payment, event, "instructions_resent", N_("Payment instructions sent again"),
                    provider_id=event.data["body"]["capture_id"])


def _amount_updated(session, payment, event, _result, gateway) -> PaymentEvent:
    new_amount = event.data["body"]["order_amount"]
    outcome = _outcome(session, payment, event, "amount_updated", N_("Klarna approved the new amount"),
                       amount=new_amount, data={"from": payment.amount, "to": new_amount})
    payment.amount = new_amount
    return outcome


APPLY = {
    "capture": _captured, "refund": _refunded, "extend": _extended, "cancel": _cancelled, "release": _released,
    "resend": _resent, "update_authorization": _amount_updated,
}


# Merchant actions ---------------------------------------------------------------------------

def captured_quantities(session: Session, payment: Payment) -> Counter:
    taken: Counter = Counter()
    events = session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id,
                                                     PaymentEvent.kind == "captured")).all()
    for event in events:
        taken.update(event.data.get("quantities") or {})
    return taken


def _capture_body(session: Session, payment: Payment, quantities: dict[str, int], *, everything: bool,
                  reference: str) -> tuple[dict[str, Any], int]:
    order = session.get(Order, payment.order_id)
    items = order_items(order)
    taken = captured_quantities(session, payment)
    totals = totals_of(payment, session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id)).all())
    if everything:
        quantities = remaining_quantities(items, taken)
    part = portion(items, quantities, already=taken)
    amount = totals.remaining if everything else min(part.amount, totals.remaining)
    body: dict[str, Any] = {"captured_amount": amount, "reference": reference[:255]}
    if part.amount == amount:  # lines only when they add up to what is captured
        body["order_lines"] = part.lines
    return body, amount


def activate(session: Session, payment: Payment, gateway: KlarnaGateway, *, actor: str) -> PaymentEvent:
    """"Activate payment": capture the remaining amount with the order's remaining lines."""
    from .balance import refuse_mismatched_activation

    refuse_mismatched_activation(session, payment)  # before any Klarna write
    order = session.get(Order, payment.order_id)
    body, amount = _capture_body(session, payment, {}, everything=True, reference=f"order-{order.number}")
    if amount <= 0:
        raise NotAllowed(_("Nothing left to activate."))
    return perform(session, payment, gateway, "capture", body, actor=actor, amount=amount)


@dataclass(frozen=True)
class ShipmentCapture:
    """What shipping some goods captures on the order's Klarna payment."""
    payment: Payment
    body: dict[str, Any]
    amount: int
    everything: bool  # the last goods leave: the remaining amount, as "Activate payment" captures it
    with_fees: bool  # the first capture carries the whole order's shipping cost and fees


def shipment_capture(session: Session, order: Order, shipped: Mapping[int, int], *, completes: bool,
                     reference: str) -> ShipmentCapture | None:
    """The capture of shipping `shipped` (order line id -> units); `completes`: nothing is left to ship then.

    Asked before a shipment (what the merchant confirms) and after it (what is captured), so both agree.
    """
    payment = active_payment(session, order)
    if payment is None or not states.can("capture", payment.state):
        return None
    items = order_items(order)
    taken = captured_quantities(session, payment)
    with_fees = not taken and any(line.kind in FEE_KINDS and line.total for line in order.lines)
    if completes:
        body, amount = _capture_body(session, payment, {}, everything=True, reference=f"order-{order.number}")
        return ShipmentCapture(payment, body, amount, everything=True, with_fees=with_fees)
    references = {line.id: item.reference for line, item in zip(order.lines, items)}
    quantities: Counter = Counter()
    for line_id, quantity in shipped.items():
        if quantity:
            quantities[references[line_id]] += quantity
    if not taken:  # first capture carries the whole order's shipping cost
        for line, item in zip(order.lines, items):
            if line.kind in FEE_KINDS:
                quantities[item.reference] += item.quantity
    body, amount = _capture_body(session, payment, dict(quantities), everything=False, reference=reference)
    return ShipmentCapture(payment, body, amount, everything=False, with_fees=with_fees)


def capture_shipment(session: Session, order: Order, shipment: Shipment, gateway: KlarnaGateway, *,
                     actor: str) -> PaymentEvent | None:
    """Shipping drives capture: the shipped lines, plus all fees on the first capture."""
    shipped = {item.order_line_id: item.quantity for item in shipment.lines}
    capture = shipment_capture(session, order, shipped, completes=order.is_fully_shipped,
                               reference=f"shipment-{shipment.id}")
    if capture is None:
        return None
    if capture.everything:
        return activate(session, capture.payment, gateway, actor=actor)
    if capture.amount <= 0:
        return None
    return perform(session, capture.payment, gateway, "capture", capture.body, actor=actor, amount=capture.amount)


def extend(session: Session, payment: Payment, gateway: KlarnaGateway, *, actor: str) -> PaymentEvent:
    return perform(session, payment, gateway, "extend", {}, actor=actor)


def cancel_reservation(session: Session, payment: Payment, gateway: KlarnaGateway, *, actor: str) -> PaymentEvent:
    """Nothing captured: cancel the order. Partly captured: release what remains."""
    if payment.state == states.PART_CAPTURED:
        return perform(session, payment, gateway, "release", {}, actor=actor)
    return perform(session, payment, gateway, "cancel", {}, actor=actor)


def resend_instructions(session: Session, payment: Payment, gateway: KlarnaGateway, *,
                        actor: str) -> list[PaymentEvent]:
    captures = session.exec(select(PaymentEvent).where(
        PaymentEvent.payment_id == payment.id, PaymentEvent.kind.in_(CAPTURE_KINDS)  # type: ignore[attr-defined]
    ).order_by(PaymentEvent.id)).all()
    if not captures:
        raise NotAllowed(_("There is no activated payment to send instructions for."))
    return [perform(session, payment, gateway, "resend", {"capture_id": capture.provider_id}, actor=actor)
            for capture in captures if capture.provider_id]


def refund(session: Session, payment: Payment, gateway: KlarnaGateway, amount: int, *, actor: str,
           description: str = "") -> PaymentEvent:
    totals = totals_of(payment, session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id)).all())
    if not 0 < amount <= totals.refundable:
        raise NotAllowed(_("The refund must be more than %(zero)s and at most %(amount)s.",
                           zero=money(0, payment.currency), amount=money(totals.refundable, payment.currency)))
    body: dict[str, Any] = {"refunded_amount": amount}
    if description:
        body["description"] = description[:255]
    return perform(session, payment, gateway, "refund", body, actor=actor, amount=amount)


__all__ = [
    "ProviderError", "activate", "active_payment", "cancel_reservation", "capture_shipment", "extend",
    "klarna_payments", "perform", "refund", "resend_instructions", "resolve_pending", "shipment_capture",
]
