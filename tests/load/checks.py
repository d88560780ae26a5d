"""After the load: the shop's database against the simulator's orders."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import create_engine
from sqlmodel import Session, func, select

from shop.models import Order, Payment, PaymentEvent
from shop.payments import states
from shop.payments.ledger import CAPTURE_KINDS, REFUND_KINDS
from shop.simulator.core import Simulator

LIVE_AT_KLARNA = ("AUTHORIZED", "PART_CAPTURED", "CAPTURED", "CLOSED")


@dataclass
class Reconciliation:
    orders_created: int = 0
    authorized: int = 0
    captured: int = 0
    lost: list[str] = field(default_factory=list)  # Klarna authorized it; the shop does not show it paid
    doubled: list[str] = field(default_factory=list)  # more captures or refunds at Klarna than the shop asked for
    differing: list[str] = field(default_factory=list)  # amounts that differ between the shop and Klarna


def reconcile(database_url: str, simulator_storage: str) -> Reconciliation:
    simulator = Simulator({"SIMULATOR_STORAGE": simulator_storage})
    with simulator.transaction():
        klarna = {o["order_id"]: simulator.orders.view(o) for o in simulator.orders.all()}
    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return _compare(session, klarna)
    finally:
        engine.dispose()


def _compare(session: Session, klarna: dict[str, dict]) -> Reconciliation:
    result = Reconciliation(orders_created=session.exec(select(func.count()).select_from(Order)).one())
    payments = {p.klarna_order_id: p for p in session.exec(select(Payment).where(Payment.klarna_order_id.is_not(None)))}
    for order_id, order in klarna.items():
        payment = payments.get(order_id)
        if order["status"] in LIVE_AT_KLARNA and (payment is None or payment.state not in states.CONFIRMED_STATES):
            result.lost.append(order_id)
            continue
        if payment is None:
            continue
        result.authorized += 1
        result.captured += bool(order["captures"])
        kinds = dict(session.exec(select(PaymentEvent.kind, func.count()).where(PaymentEvent.payment_id == payment.id)
                                  .group_by(PaymentEvent.kind)).all())
        if len(order["captures"]) > kinds.get("capture_requested", 0) + kinds.get("captured_elsewhere", 0) \
                or len(order["refunds"]) > kinds.get("refund_requested", 0) + kinds.get("refunded_elsewhere", 0):
            result.doubled.append(order_id)
        recorded = sum(kinds.get(kind, 0) for kind in CAPTURE_KINDS), sum(kinds.get(kind, 0) for kind in REFUND_KINDS)
        if (payment.captured_amount, payment.refunded_amount) != (order["captured_amount"], order["refunded_amount"]) \
                or recorded != (len(order["captures"]), len(order["refunds"])):
            result.differing.append(order_id)
    return result
