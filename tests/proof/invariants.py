"""What must hold between the shop and Klarna (the simulator), after every step and once all is synced.

`safety()` holds at every moment, faults or not: Klarna never holds more captures or refunds than the
shop asked for (plus what staff did in Klarna's portal), no amount passes what it may, the shop never
records money Klarna did not move, and no e-mail is queued twice. `settled()` holds once the faults
are off and the sync has run: the shop and Klarna agree on every order, nothing is left claimed, and
every e-mail that should exist exists.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, select

from shop.models import Order, OrderEvent, OutboxMessage, Payment, PaymentEvent, Shipment
from shop.payments import states
from shop.payments.ledger import CAPTURE_KINDS, REFUND_KINDS

SHOP_CAPTURES = ("capture_requested",)  # each with its own idempotency key
SHOP_REFUNDS = ("refund_requested",)


@dataclass
class PortalActs:
    """What Klarna's staff did behind the shop's back (the merchant portal), per Klarna order id."""

    captures: Counter = field(default_factory=Counter)
    refunds: Counter = field(default_factory=Counter)


def klarna_orders(simulator) -> dict[str, dict]:
    with simulator.transaction():
        return {order["order_id"]: simulator.orders.view(order) for order in simulator.orders.all()}


def _events(session: Session, payment: Payment) -> list[PaymentEvent]:
    return list(session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id)
                             .order_by(PaymentEvent.id)))


def _klarna_order_ids_of(payment: Payment, events: list[PaymentEvent]) -> set[str]:
    """Every Klarna order this payment ever had (a mismatched one is forgotten on the row, kept in events)."""
    ids = {payment.klarna_order_id} if payment.klarna_order_id else set()
    return ids | {e.provider_id for e in events if e.kind in ("order_created", "authorized", "amount_mismatch")
                  and e.provider_id}


def safety(session: Session, simulator, portal: PortalActs) -> int:
    """Checks that hold after every step; returns how many were made."""
    checks = 0
    klarna = klarna_orders(simulator)
    owners: dict[str, int] = {}
    for payment in session.exec(select(Payment).where(Payment.provider == "klarna")):
        events = _events(session, payment)
        for order_id in _klarna_order_ids_of(payment, events):
            assert owners.setdefault(order_id, payment.id) == payment.id, f"Klarna order {order_id} on two payments"
        checks += _one_payment(payment, events, klarna.get(payment.klarna_order_id), portal)
    for order_id, order in klarna.items():
        assert order["captured_amount"] <= order["order_amount"], order  # what is authorized now (edits change it)
        assert order["refunded_amount"] <= order["captured_amount"], order
        checks += 2
    return checks + _no_mail_twice(session)


def _one_payment(payment: Payment, events: list[PaymentEvent], order: dict | None, portal: PortalActs) -> int:
    kinds = Counter(e.kind for e in events)
    assert 0 <= payment.refunded_amount <= payment.captured_amount <= payment.amount, (
        payment.id, payment.amount, payment.captured_amount, payment.refunded_amount)
    for money_kinds in (CAPTURE_KINDS, REFUND_KINDS):
        ids = [e.provider_id for e in events if e.kind in money_kinds]
        assert len(ids) == len(set(ids)) and None not in ids, f"payment {payment.id}: {money_kinds} recorded twice"
    keys = [e.idempotency_key for e in events if e.kind in SHOP_CAPTURES + SHOP_REFUNDS]
    assert len(keys) == len(set(keys)), f"payment {payment.id}: an idempotency key used for two requests"
    if order is None:
        assert not payment.captured_amount, f"payment {payment.id}: captured without a Klarna order"
        return 4
    asked_captures = sum(kinds[k] for k in SHOP_CAPTURES) + portal.captures[order["order_id"]]
    asked_refunds = sum(kinds[k] for k in SHOP_REFUNDS) + portal.refunds[order["order_id"]] \
        + kinds["amount_mismatch"]
    assert len(order["captures"]) <= asked_captures, f"payment {payment.id}: more captures at Klarna than asked"
    assert len(order["refunds"]) <= asked_refunds, f"payment {payment.id}: more refunds at Klarna than asked"
    recorded = {e.provider_id for e in events if e.kind in CAPTURE_KINDS | REFUND_KINDS}
    at_klarna = {c["capture_id"] for c in order["captures"]} | {r["refund_id"] for r in order["refunds"]}
    assert recorded <= at_klarna, f"payment {payment.id}: money recorded that Klarna never moved"
    assert payment.captured_amount <= order["captured_amount"] or payment.refunded_amount, payment.id
    return 9


def _no_mail_twice(session: Session) -> int:
    keys = Counter(session.exec(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.is_not(None))))
    twice = [key for key, count in keys.items() if count > 1]
    assert not twice, f"e-mails queued twice: {twice}"
    confirmations = Counter(session.exec(select(OutboxMessage.order_id)
                                         .where(OutboxMessage.kind == "order_confirmation")))
    assert all(count == 1 for count in confirmations.values()), confirmations
    return 2


def settled(session: Session, simulator, portal: PortalActs) -> int:
    """After the faults are off and the sync ran: the shop and Klarna agree. Returns the checks made."""
    checks = safety(session, simulator, portal)
    klarna = klarna_orders(simulator)
    payments = {p.klarna_order_id: p for p in session.exec(select(Payment).where(Payment.provider == "klarna"))
                if p.klarna_order_id}
    claimed = session.exec(select(Payment.id).where(Payment.pending_event_id.is_not(None))).all()
    assert not claimed, f"payments left claimed after the sync: {claimed}"
    stuck = session.exec(select(Payment.id).where(Payment.state == states.AUTHORIZING)).all()
    assert not stuck, f"payments left authorizing after the sync: {stuck}"
    for order_id, order in klarna.items():
        checks += _agrees(session, payments.get(order_id), order)
    for payment in session.exec(select(Payment).where(Payment.state == states.STARTED)):
        hosted = simulator.store.get(simulator.hpp.KIND, payment.hpp_session_id) if payment.hpp_session_id else None
        assert not hosted or hosted["status"] != "COMPLETED", f"payment {payment.id}: paid at Klarna, not finalised"
        checks += 1
    return checks + 2 + _every_mail(session, klarna, payments)


def _agrees(session: Session, payment: Payment | None, order: dict) -> int:
    if payment is None:  # a Klarna order the shop refused (amount mismatch): undone at Klarna
        assert order["status"] in ("CANCELLED", "CLOSED") or order["captured_amount"] == order["refunded_amount"], \
            f"Klarna order {order['order_id']} ({order['status']}) unknown to the shop"
        return 1
    shop_order = session.get(Order, payment.order_id)
    expected = states.from_klarna(order["status"], order.get("fraud_status"), payment.state)
    assert payment.state == expected, (payment.id, payment.state, order["status"], order.get("fraud_status"))
    assert (payment.amount, payment.captured_amount, payment.refunded_amount) == (
        order["order_amount"], order["captured_amount"], order["refunded_amount"]), (payment.id, order)
    if order["status"] in ("AUTHORIZED", "PART_CAPTURED", "CAPTURED"):
        assert shop_order.status not in ("awaiting_payment", "abandoned"), (shop_order.number, shop_order.status)
    events = _events(session, payment)
    for kinds, items, key in ((CAPTURE_KINDS, order["captures"], "capture_id"), (REFUND_KINDS, order["refunds"], "refund_id")):
        recorded = {e.provider_id for e in events if e.kind in kinds}
        assert recorded == {item[key] for item in items}, f"payment {payment.id}: {key}s differ from Klarna's"
    return 6


def _every_mail(session: Session, klarna: dict[str, dict], payments: dict[str, Payment]) -> int:
    mail = Counter((m.order_id, m.kind) for m in session.exec(select(OutboxMessage)))
    authorized = {row for row in session.exec(select(OrderEvent.order_id)
                                              .where(OrderEvent.kind == "payment_authorized"))}
    for order_id in authorized:
        assert mail[(order_id, "order_confirmation")] == 1, f"order {order_id}: confirmation e-mails"
    shipments = Counter(session.exec(select(Shipment.order_id)))
    for order_id, count in shipments.items():
        assert mail[(order_id, "shipment")] == count, f"order {order_id}: {count} shipments"
    refunds: Counter = Counter()
    for order_id, order in klarna.items():
        payment = payments.get(order_id)
        if payment is not None:
            refunds[payment.order_id] += sum(1 for refund in order["refunds"] if refund["refunded_amount"])
    for order_id in set(refunds) | {o for o, kind in mail if kind == "refund"}:
        assert mail[(order_id, "refund")] == refunds[order_id], f"order {order_id}: refund e-mails"
    for order in session.exec(select(Order).where(Order.status == "cancelled")):  # told only if it was confirmed
        expected = 1 if mail[(order.id, "order_confirmation")] else 0
        assert mail[(order.id, "order_cancelled")] == expected, f"order {order.number}: cancellation e-mails"
    return 4
