"""Klarna Order Management writes as business operations (DESIGN.md §3).

Each write: a `*_requested` event committed while the payment is claimed (a conditional
UPDATE of `pending_event_id`, so a second action cannot start meanwhile), the Klarna call
with an idempotency key derived from that event, then the outcome event. A call whose
outcome is unknown (timeout) keeps the claim; retrying replays it with the same key.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, select

from shop.klarna import KlarnaClient, KlarnaError
from shop.models import Payment, PaymentEvent, PaymentMethod, utcnow

from . import states
from .common import ProviderError, add_payment_event, idempotency_key
from .gateway import KlarnaGateway

log = logging.getLogger(__name__)


class OperationInProgress(Exception):
    """Another Klarna operation on this payment has not finished."""


class NotAllowed(Exception):
    """The payment's state does not allow the action."""


class AlreadyRequested(Exception):
    """The same business operation (same idempotency key) was asked before; `event` is its request."""

    def __init__(self, event: PaymentEvent):
        super().__init__(event.id)
        self.event = event


@dataclass(frozen=True)
class Operation:
    name: str  # capture, refund, extend, cancel, release, resend, update_authorization
    call: Callable[[KlarnaClient, str, dict[str, Any], str], Any]


def _capture(client: KlarnaClient, order_id: str, body: dict, key: str):
    return client.create_capture(order_id, body, idempotency_key=key)


def _refund(client: KlarnaClient, order_id: str, body: dict, key: str):
    return client.create_refund(order_id, body, idempotency_key=key)


def _resend(client: KlarnaClient, order_id: str, body: dict, key: str):
    return client.trigger_send_out(order_id, body["capture_id"], idempotency_key=key)


def _extend(client: KlarnaClient, order_id: str, _body: dict, key: str) -> str | None:
    """Klarna sets the new date (its authorization period from today): read it back, before any lock is taken."""
    client.extend_authorization_time(order_id, idempotency_key=key)
    try:
        return client.get_order(order_id).get("expires_at")
    except KlarnaError as error:  # extended all the same; the next sync reads the date
        log.warning("Klarna order %s extended, but the new expiry could not be read: %s", order_id, error)
        return None


def _update_authorization(client: KlarnaClient, order_id: str, body: dict, key: str):
    return client.update_authorization(order_id, order_amount=body["order_amount"],
                                       order_lines=body.get("order_lines"), idempotency_key=key)


OPERATIONS = {
    op.name: op for op in (
        Operation("capture", _capture),
        Operation("refund", _refund),
        Operation("resend", _resend),
        Operation("update_authorization", _update_authorization),
        Operation("edit_order", _update_authorization),  # an order edit: new amount and lines (payments/edits.py)
        Operation("extend", _extend),
        Operation("cancel", lambda c, oid, _b, key: c.cancel_order(oid, idempotency_key=key)),
        Operation("release", lambda c, oid, _b, key: c.release_remaining_authorization(oid, idempotency_key=key)),
    )
}


@dataclass(frozen=True)
class Outcome:
    event: PaymentEvent  # the *_requested event
    result: Any  # what the client returned (Created for captures/refunds, None for 204s)


def lock_payment(session: Session, payment: Payment) -> None:
    """Take the payment's row for this transaction and re-read it.

    A write is the lock that works on both databases: PostgreSQL locks the row, SQLite the
    database. What another request committed meanwhile is seen after this, never before.
    """
    session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id).values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(payment)


def claim(session: Session, payment: Payment, name: str, body: dict[str, Any], *, actor: str,
          amount: int | None = None, message: str = "",
          still_possible: Callable[[Payment], bool] = lambda _payment: True,
          key: str | None = None, data: dict[str, Any] | None = None) -> PaymentEvent:
    """Record the request and take the payment, or raise OperationInProgress.

    `still_possible` is asked again under the lock: a request built from what another request
    has changed since (a second click on "Activate payment") is refused with NotAllowed.
    `key`: the idempotency key the caller minted for the business operation (a form's token);
    a request already recorded with it raises AlreadyRequested, so it is never made twice.
    Without one, the key is derived from the new request event.
    `data` is kept on the request event beside the body (what to store once Klarna approves).
    """
    lock_payment(session, payment)
    if key is not None:
        earlier = request_with_key(session, payment, name, key)
        if earlier is not None:
            session.rollback()
            raise AlreadyRequested(earlier)
    if payment.pending_event_id is not None:
        session.rollback()
        raise OperationInProgress(payment.id)
    if not still_possible(payment):
        session.rollback()
        raise NotAllowed(_("%(action)s is no longer possible: the payment changed meanwhile.",
                           action=str(states.OPERATION_LABELS.get(name, name))))
    event = add_payment_event(session, payment, f"{name}_requested", message, amount=amount, actor=actor,
                              data={**(data or {}), "operation": name, "body": body})
    taken = session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id, Payment.pending_event_id.is_(None))  # type: ignore[union-attr]
        .values(pending_event_id=event.id)
    )
    if taken.rowcount != 1:
        session.rollback()
        raise OperationInProgress(payment.id)
    event.idempotency_key = key or idempotency_key(payment, event)
    session.add(event)
    payment.pending_event_id = event.id
    session.commit()
    return event


def request_with_key(session: Session, payment: Payment, name: str, key: str) -> PaymentEvent | None:
    return session.exec(select(PaymentEvent).where(
        PaymentEvent.payment_id == payment.id, PaymentEvent.kind == f"{name}_requested",
        PaymentEvent.idempotency_key == key,
    )).first()


def execute(session: Session, payment: Payment, event: PaymentEvent, gateway: KlarnaGateway) -> Outcome:
    """Call Klarna for a claimed request. Definitive refusals release the claim and raise."""
    method = session.get(PaymentMethod, payment.method_id)
    try:
        client = gateway.client(method, order_id=payment.order_id, payment_id=payment.id)
    except ProviderError as error:  # not configured to reach Klarna: nothing was sent, the claim goes
        _failed(session, payment, event, error)
    operation = OPERATIONS[event.data["operation"]]
    session.commit()  # nothing stays open while Klarna is called
    try:
        result = operation.call(client, payment.klarna_order_id, event.data.get("body") or {}, event.idempotency_key)
    except KlarnaError as error:
        _failed(session, payment, event, ProviderError.from_klarna(error))
    return Outcome(event, result)


def _failed(session: Session, payment: Payment, event: PaymentEvent, error: ProviderError):
    """Klarna perhaps did it (no answer, 5xx): keep the claim, only a retry with the same key may
    resolve it. A definitive refusal releases the claim."""
    name = event.data["operation"]
    if error.outcome_unknown:
        add_payment_event(session, payment, f"{name}_unknown", error=error, request_event_id=event.id,
                          actor=event.actor)
    else:
        add_payment_event(session, payment, f"{name}_failed", error=error, request_event_id=event.id,
                          actor=event.actor)
        release_claim(session, payment, event)
    session.commit()
    from .bad_news import hold_refused_capture

    hold_refused_capture(session, payment, event, error)
    raise error


def release_claim(session: Session, payment: Payment, event: PaymentEvent) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id, Payment.pending_event_id == event.id)
        .values(pending_event_id=None)
    )
    payment.pending_event_id = None


def pending_request(session: Session, payment: Payment) -> PaymentEvent | None:
    if payment.pending_event_id is None:
        return None
    return session.get(PaymentEvent, payment.pending_event_id)
