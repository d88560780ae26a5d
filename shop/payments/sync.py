"""Reconciliation with Klarna: one `sync(payment)` that diffs the Klarna order against ours.

It runs on "Check payment status", before every action, on callbacks and from cron
(`flask --app wsgi klarna sync`). A lease (`leases.py`) keeps two cron machines from syncing the
same payment at once, and runs started together from reading any payment twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from shop.i18n_markers import N_, label_arg
from shop.klarna import KlarnaError
from shop.models import Order, Payment, PaymentEvent, PaymentMethod, utcnow
from shop.orders import add_event, release_stock

from . import states
from .common import ProviderError, add_payment_event, as_utc, note_capture_on_order, parse_time
from .finalise import SESSION_GONE, STALE_CLAIM, finalise
from .gateway import KlarnaGateway
from .operations import lock_payment
from .ledger import CAPTURE_KINDS, REFUND_KINDS, known_provider_ids, recompute
from .operations import NotAllowed, OperationInProgress
from .leases import hold_after_read, run_owner, take_lease
from .portal_changes import record_amount_change, settled_candidates

log = logging.getLogger(__name__)

STALE_START = timedelta(minutes=15)  # a started session this old is checked by the cron sync
AUTO_EXTEND_WITHIN = timedelta(days=3)
ABANDON_WITHOUT_SESSION = timedelta(hours=48)  # a start that never reached Klarna, as long as a session lives
SESSION_ENDED = ("CANCELLED", "DISABLED", SESSION_GONE)
READS = 3  # reads of the Klarna order when other requests keep recording events meanwhile


@dataclass
class SyncReport:
    checked: int = 0
    changed: int = 0
    finalised: int = 0
    abandoned: int = 0
    expired: int = 0
    extended: int = 0
    retried: int = 0  # captures on hold asked again
    errors: list[str] = field(default_factory=list)


def read_order(session: Session, payment: Payment, gateway: KlarnaGateway) -> dict:
    """GET the Klarna order; raises ProviderError when Klarna cannot answer."""
    method = session.get(PaymentMethod, payment.method_id)
    client = gateway.client(method, order_id=payment.order_id, payment_id=payment.id)
    session.commit()
    try:
        return client.get_order(payment.klarna_order_id)
    except KlarnaError as error:
        raise ProviderError.from_klarna(error) from None


def sync(session: Session, payment: Payment, gateway: KlarnaGateway, *, actor: str = "sync") -> list[PaymentEvent]:
    """Read the Klarna order and record an event for every difference. Returns those events.

    Raises ProviderError when Klarna cannot be read.
    """
    if not payment.klarna_order_id:
        return []
    if payment.pending_event_id is not None:
        _try_resolve(session, payment, gateway)
    for _attempt in range(READS):
        seen = _latest_event_id(session, payment)
        om = read_order(session, payment, gateway)
        lock_payment(session, payment)  # diff against what is committed now, not what this request read
        if _latest_event_id(session, payment) == seen:
            break
        session.rollback()  # another request wrote meanwhile: Klarna's answer may predate its write
    else:
        return []
    events = _diff(session, payment, om, actor)
    payment.synced_at = utcnow()
    recompute(session, payment)
    session.add(payment)
    session.commit()
    from .bad_news import after_sync

    after_sync(session, payment, gateway)
    return events


def _latest_event_id(session: Session, payment: Payment) -> int | None:
    return session.exec(select(func.max(PaymentEvent.id)).where(PaymentEvent.payment_id == payment.id)).one()


def _try_resolve(session: Session, payment: Payment, gateway: KlarnaGateway) -> None:
    from . import edits  # noqa: F401  (registers how an approved order edit is stored)
    from .service import resolve_pending

    try:
        resolve_pending(session, payment, gateway)
    except ProviderError as error:
        log.info("payment %s: unfinished request still unresolved: %s", payment.id, error)


def _diff(session: Session, payment: Payment, om: dict, actor: str) -> list[PaymentEvent]:
    # While a write is unresolved, a capture or status change at Klarna may be its own doing:
    # it is recorded when the request resolves, never twice.
    settled = payment.pending_event_id is None
    events = []
    if settled:
        events += _new_captures(session, payment, om, actor)
        events += _new_money(session, payment, om.get("refunds") or [], "refund_id", "refunded_amount",
                             REFUND_KINDS, "refunded_elsewhere", N_("Refunded outside the shop"), actor)
    # An unresolved write may be an amount change of the shop's own (an order edit): recorded when it resolves.
    if settled and om.get("order_amount") is not None and om["order_amount"] != payment.amount:
        events.append(record_amount_change(session, payment, om["order_amount"], actor))
    expires_at = parse_time(om.get("expires_at"))
    if expires_at and payment.expires_at is None:  # first read after the order was created: learnt, not changed
        payment.expires_at = expires_at
    elif expires_at and expires_at != as_utc(payment.expires_at):
        events.append(add_payment_event(session, payment, "expiry_changed", N_("Expiry date changed at Klarna"),
                                        actor=actor, data={"expires_at": om.get("expires_at")}))
        payment.expires_at = expires_at
    _learn_what_creation_did_not_say(payment, om)
    if om.get("fraud_status") and om["fraud_status"] != payment.fraud_status:
        events.append(add_payment_event(session, payment, "fraud_status_changed",
                                        N_("Klarna fraud status: %(status)s"), actor=actor,
                                        message_args={"status": label_arg("fraud_status", om["fraud_status"])},
                                        data={"from": payment.fraud_status, "to": om["fraud_status"]}))
        payment.fraud_status = om["fraud_status"]
    new_state = states.from_klarna(om.get("status", ""), payment.fraud_status, payment.state)
    if settled and new_state != payment.state:
        events.append(_state_changed(session, payment, new_state, N_("Klarna status %(status)s: %(state)s"), actor,
                                     status=om.get("status")))
    return events


def _learn_what_creation_did_not_say(payment: Payment, om: dict) -> None:
    """An order the finaliser created is not read back: its first read fills in Klarna's reference and
    the payment method's own name (facts, not changes: no event)."""
    payment.klarna_reference = payment.klarna_reference or om.get("klarna_reference")
    method = om.get("initial_payment_method") or {}
    if payment.payment_option_name is None and method.get("type"):
        payment.payment_option, payment.payment_option_name = method["type"], method.get("description")


def _new_captures(session: Session, payment: Payment, om: dict, actor: str) -> list[PaymentEvent]:
    events = _new_money(session, payment, om.get("captures") or [], "capture_id", "captured_amount",
                        CAPTURE_KINDS, "captured_elsewhere", N_("Captured outside the shop"), actor)
    for event in events:
        note_capture_on_order(session, payment, event.amount, actor, N_("Klarna payment activated outside the shop"))
    return events


def _new_money(session, payment, items, id_key, amount_key, kinds, kind, message, actor) -> list[PaymentEvent]:
    known = known_provider_ids(session, payment, kinds)
    return [
        add_payment_event(session, payment, kind, message, amount=item[amount_key], provider_id=item[id_key],
                          actor=actor)
        for item in items if item.get(id_key) not in known
    ]


def _state_changed(session: Session, payment: Payment, new_state: str, message: str, actor: str,
                   **why: str | None) -> PaymentEvent:
    """`message` says why, with a %(state)s placeholder for the new state's word."""
    old = payment.state
    payment.state = new_state
    message_args = {**why, "state": label_arg("payment_state", new_state)}
    order = session.get(Order, payment.order_id)
    add_event(session, order, "payment_status_changed", message, actor=actor, payment_id=payment.id,
              message_args=message_args, **{"from": old, "to": new_state})
    return add_payment_event(session, payment, "status_changed", message, actor=actor, message_args=message_args,
                             data={"from": old, "to": new_state})


# Cron ---------------------------------------------------------------------------------------

def sync_all(session: Session, gateway: KlarnaGateway) -> SyncReport:
    """The periodic job: finalise or abandon open sessions, reconcile every live Klarna order, and re-read
    captured ones that may have been refunded in the portal (bounded: `portal_changes.settled_candidates`)."""
    report, owner = SyncReport(), run_owner()
    for payment_id in _candidates(session):
        payment = session.get(Payment, payment_id)
        if payment is None or not take_lease(session, payment, owner):
            continue
        report.checked += 1
        try:
            _sync_one(session, payment, gateway, report)
        except (KlarnaError, ProviderError) as error:  # Klarna unreachable or refusing
            session.rollback()
            report.errors.append(f"payment {payment_id}: {error}")
            _expire_locally_if_due(session, payment, report)
        except (OperationInProgress, NotAllowed) as error:
            session.rollback()
            report.errors.append(f"payment {payment_id}: {error}")
        finally:
            hold_after_read(session, payment, owner)
    from .bad_news import retry_due_holds

    report.retried = retry_due_holds(session, gateway)
    return report


def _candidates(session: Session) -> list[int]:
    live = (states.STARTED, states.AUTHORIZING, states.FAILED, states.AUTHORIZED, states.PENDING,
            states.PART_CAPTURED)
    rows = session.exec(select(Payment.id).where(Payment.provider == "klarna",
                                                 Payment.state.in_(live))  # type: ignore[attr-defined]
                        .order_by(Payment.id)).all()
    settled = settled_candidates(session, utcnow())  # refunds in the portal; bounded, see portal_changes
    session.commit()
    return list(rows) + [payment_id for payment_id in settled if payment_id not in set(rows)]


def _sync_one(session: Session, payment: Payment, gateway: KlarnaGateway, report: SyncReport) -> None:
    if payment.state in (states.STARTED, states.AUTHORIZING, states.FAILED):
        _settle_open_session(session, payment, gateway, report)
        return
    if sync(session, payment, gateway):
        report.changed += 1
    _auto_extend(session, payment, gateway, report)


def _settle_open_session(session: Session, payment: Payment, gateway: KlarnaGateway, report: SyncReport) -> None:
    if payment.state == states.AUTHORIZING:
        if not _older_than(payment.updated_at, STALE_CLAIM):
            return  # someone is finalising it right now
    elif not _older_than(payment.created_at, STALE_START):
        return  # the shopper may still be on Klarna's page
    result = finalise(session, payment, gateway, source="sync", takeover=True)
    if result.done:
        report.finalised += 1
    elif payment.state in (states.STARTED, states.FAILED) and (
            result.hpp_status in SESSION_ENDED or _session_expired(payment)):
        _abandon(session, payment, result.hpp_status or SESSION_GONE)
        report.abandoned += 1
    elif _claim_outlived_its_session(payment, result.hpp_status):
        _abandon(session, payment, result.hpp_status)
        report.abandoned += 1


def _claim_outlived_its_session(payment: Payment, hpp_status: str | None) -> bool:
    """A finaliser cut off before Klarna named an order, and Klarna's session has ended since: nothing
    can complete it any more (Klarna lets an unused authorization lapse), so it is given up like a start."""
    return payment.state == states.AUTHORIZING and not payment.klarna_order_id and hpp_status in SESSION_ENDED


def finalise_known_order(session: Session, payment: Payment, gateway: KlarnaGateway) -> bool:
    """Finish a payment whose Klarna order exists but was not read to the end."""
    return finalise(session, payment, gateway, source="sync", takeover=True).done


def _older_than(moment, age: timedelta) -> bool:
    return moment is None or utcnow() - as_utc(moment) >= age


def _session_expired(payment: Payment) -> bool:
    if payment.session_expires_at is None:
        return _older_than(payment.created_at, ABANDON_WITHOUT_SESSION)
    return as_utc(payment.session_expires_at) < utcnow()


def _abandon(session: Session, payment: Payment, hpp_status: str) -> None:
    payment.state = states.ABANDONED
    message_args = {"status": hpp_status}
    add_payment_event(session, payment, "abandoned", N_("Klarna session ended (%(status)s)"), actor="sync",
                      message_args=message_args)
    order = session.get(Order, payment.order_id)
    others = session.exec(select(Payment).where(Payment.order_id == order.id, Payment.id != payment.id,
                                                Payment.state.not_in(states.FINAL))).all()  # type: ignore[attr-defined]
    if order.status == "awaiting_payment" and not others:
        order.status = "abandoned"
        release_stock(session, order)
        add_event(session, order, "abandoned", N_("Klarna session ended (%(status)s); stock released"), actor="sync",
                  payment_id=payment.id, message_args=message_args)
    session.commit()


def _expire_locally_if_due(session: Session, payment: Payment, report: SyncReport) -> None:
    """Klarna unreachable and the reservation is past its expiry: it is unapproved all the same."""
    if payment.state in (states.AUTHORIZED, states.PENDING) and payment.expires_at \
            and as_utc(payment.expires_at) < utcnow():
        _state_changed(session, payment, states.EXPIRED,
                       N_("Past the expiry date and Klarna could not be reached: %(state)s"), "sync")
        session.commit()
        report.expired += 1


def _auto_extend(session: Session, payment: Payment, gateway: KlarnaGateway, report: SyncReport) -> None:
    from .service import extend

    method = session.get(PaymentMethod, payment.method_id)
    order = session.get(Order, payment.order_id)
    if not method.settings.get("auto_extend") or not states.can("extend", payment.state) \
            or payment.pending_event_id is not None or order.is_fully_shipped or not payment.expires_at \
            or as_utc(payment.expires_at) - utcnow() > AUTO_EXTEND_WITHIN:
        return
    extend(session, payment, gateway, actor="auto-extend")
    report.extended += 1
