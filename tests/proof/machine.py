"""The whole payment life as random sequences of what shoppers, the merchant, Klarna and Klarna's staff
do, with faults on Klarna's API in between (hypothesis `RuleBasedStateMachine`).

Every rule goes through the app as a browser or Klarna would (Flask's test client; Klarna's portal
through the simulator's own API). After every step `invariants.safety` holds; at the end the faults
go off, Klarna's queued calls arrive, the cron sync runs, and `invariants.settled` holds.
A failing sequence is printed by hypothesis as Python steps, with the `@reproduce_failure` blob.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from shop.models import Payment
from shop.payments import states
from shop.payments.sync import sync_all
from shop.simulator.faults import KINDS as FAULT_KINDS

from . import invariants
from .world import PORTAL_ACTS, Checkout, World

COUNTS: Counter = Counter()  # sequences, steps, faults armed/injected, invariant checks (printed by `make soak`)

# The simulator's operations the shop calls (its view function names), and any of them.
OPERATIONS = ("create_session", "create_hpp_session", "read_hpp_session", "disable_hpp_session", "create_order",
              "cancel_authorization", "get_order", "create_capture", "create_refund", "update_authorization",
              "cancel_order", "extend_authorization_time", "release_remaining_authorization", "*")
ITEMS = st.lists(st.tuples(st.sampled_from(["RUN-001", "COF-101", "BK-201"]), st.integers(1, 2)),
                 min_size=1, max_size=2, unique_by=lambda item: item[0])
# A plain shopper, and shoppers Klarna reviews for fraud and accepts or rejects after 30 minutes.
EMAILS = st.sampled_from(["aino@example.com", "aino+pend-accept-30@example.com", "aino+pend-reject-30@example.com"])
PICK = st.integers(0, 1_000)
# A fault armed just before a step (one step in four), on one operation or on whatever Klarna call comes first,
# for one to three calls (the Klarna client retries what is safe twice). Shrinks towards no fault.
FAULT = st.tuples(st.integers(0, 3), st.sampled_from(OPERATIONS), st.sampled_from(FAULT_KINDS),
                  st.integers(1, 3)).map(lambda drawn: drawn[1:] if drawn[0] == 3 else None)
# How far a shopper goes at checkout: paid and back in the shop, paid but the browser closed on Klarna's
# page, still on Klarna's page, or cancelled there and back in the shop.
JOURNEYS = ("pays", "pays", "pays", "closes_the_browser", "stays_on_klarna", "cancels")
USER_FACING = {200, 202, 303, 404, 409, 422}  # 404: a hosted page that ended; never a 5xx
FINAL_SYNCS = 2


class PaymentLife(RuleBasedStateMachine):
    world: ClassVar[World]

    def __init__(self):
        super().__init__()
        self.world.reset()
        self.checkouts: list[Checkout] = []
        self.portal = invariants.PortalActs()
        self.faults_armed = 0
        self._snapshot: list[Seen] | None = None
        COUNTS["sequences"] += 1

    # Shoppers ---------------------------------------------------------------------------------

    @initialize(code=st.sampled_from(["fi", "sv"]), items=ITEMS, email=EMAILS)
    def first_checkout(self, code, items, email):
        self.checkout(code, items, email, JOURNEYS[0], None)

    @rule(code=st.sampled_from(["fi", "sv"]), items=ITEMS, email=EMAILS, journey=st.sampled_from(JOURNEYS),
          fault=FAULT)
    def checkout(self, code, items, email, journey, fault):
        """Check out with Klarna, and go on as far as `journey` says (the rest is left to other steps)."""
        self._arm(fault)
        checkout, response = self.world.checkout(code, items, email)
        assert response.status_code in USER_FACING, response.status_code
        if checkout is None:
            return
        self.checkouts.append(checkout)
        if journey != "stays_on_klarna" and checkout.hosted_page:
            action = "cancel" if journey == "cancels" else "approve"
            assert self.world.on_hosted_page(checkout, action).status_code in USER_FACING
            if journey in ("pays", "cancels") and checkout.return_url:
                assert self.world.come_back(checkout).status_code in USER_FACING

    @precondition(lambda self: self._on_hosted_page())
    @rule(pick=PICK, action=st.sampled_from(["approve", "approve", "approve", "cancel", "decline", "back"]),
          category=st.sampled_from(["PAY_LATER", "PAY_OVER_TIME", "PAY_NOW"]), fault=FAULT)
    def on_hosted_page(self, pick, action, category, fault):
        self._arm(fault)
        checkout = self._pick(self._on_hosted_page(), pick)
        response = self.world.on_hosted_page(checkout, action, category)
        assert response.status_code in USER_FACING, response.status_code

    @precondition(lambda self: self._sent_back())
    @rule(pick=PICK, fault=FAULT)
    def shopper_comes_back(self, pick, fault):
        self._arm(fault)
        checkout = self._pick(self._sent_back(), pick)
        assert self.world.come_back(checkout).status_code in USER_FACING

    @precondition(lambda self: self._awaiting_payment())
    @rule(pick=PICK, fault=FAULT)
    def shopper_pays_again(self, pick, fault):
        self._arm(fault)
        checkout = self._pick(self._awaiting_payment(), pick)
        assert self.world.retry(checkout).status_code in USER_FACING

    # Klarna calling the shop -----------------------------------------------------------------

    @precondition(lambda self: self.world.callbacks.sent)
    @rule(pick=PICK, twice=st.booleans(), fault=FAULT)
    def klarna_calls_back(self, pick, twice, fault):
        """A status callback or notification arrives (Klarna repeats itself at times)."""
        self._arm(fault)
        for _ in range(2 if twice else 1):
            assert self.world.deliver_callback(pick) in (None, 200, 503)

    @precondition(lambda self: self._with_klarna_order())
    @rule(pick=PICK, event_type=st.sampled_from(["FRAUD_RISK_ACCEPTED", "FRAUD_RISK_REJECTED", "ORDER_EXPIRED"]), fault=FAULT)
    def klarna_notifies(self, pick, event_type, fault):
        self._arm(fault)
        seen = self._pick(self._with_klarna_order(), pick)
        checkout, payment = seen.checkout, seen.payment
        assert self.world.notify(checkout, payment.id, event_type).status_code in (200, 503)

    # The merchant -----------------------------------------------------------------------------

    @precondition(lambda self: self._shippable())
    @rule(pick=PICK, everything=st.booleans(), fault=FAULT)
    def merchant_ships(self, pick, everything, fault):
        """Ship everything left, or one unit of a line (a partial shipment captures its share)."""
        self._arm(fault)
        seen = self._pick(self._shippable(), pick)
        quantities = None if everything else {seen.unshipped[0]: 1}
        assert self.world.ship(seen.checkout.number, quantities).status_code in USER_FACING

    @precondition(lambda self: self._with_klarna_order())
    @rule(pick=PICK, action=st.sampled_from(["activate", "extend", "cancel", "check", "resend"]), fault=FAULT)
    def merchant_acts_on_payment(self, pick, action, fault):
        self._arm(fault)
        seen = self._pick(self._with_klarna_order(), pick)
        assert self.world.payment_action(seen.checkout.number, seen.payment.id, action).status_code in USER_FACING

    @precondition(lambda self: self._refundable())
    @rule(pick=PICK, part=st.sampled_from([1, 2, 0]), submit_again=st.booleans(), fault=FAULT)
    def merchant_refunds(self, pick, part, submit_again, fault):
        """Refund everything (part 0) or a 1/(part + 1) share; the same form may be submitted twice."""
        self._arm(fault)
        seen = self._pick(self._refundable(), pick)
        checkout, payment = seen.checkout, seen.payment
        refundable = payment.captured_amount - payment.refunded_amount
        amount = refundable if part == 0 else max(refundable // (part + 1), 1)
        response, token = self.world.refund(checkout.number, payment.id, amount)
        assert response.status_code in USER_FACING
        if submit_again:
            assert self.world.refund(checkout.number, payment.id, amount, token)[0].status_code in USER_FACING

    @precondition(lambda self: self._with_klarna_order())
    @rule(pick=PICK, change=st.sampled_from(["more", "less", "shipping"]), fault=FAULT)
    def merchant_edits(self, pick, change, fault):
        self._arm(fault)
        checkout = self._pick(self._with_klarna_order(), pick).checkout
        with self.world.session() as session:
            order = self.world.order(session, checkout.number)
            line = order.goods_lines[0]
            if change == "shipping":
                changes = {"shipping_fee": "0.00"}
            else:
                quantity = line.quantity + (1 if change == "more" else -1)
                if quantity < max(line.shipped_quantity, 1):
                    return
                changes = {f"quantity_{line.id}": str(quantity)}
            response = self.world.edit(order, changes)
        assert response.status_code in USER_FACING, response.status_code

    @precondition(lambda self: self._with_klarna_order())
    @rule(pick=PICK, refund=st.booleans(), fault=FAULT)
    def merchant_takes_a_return(self, pick, refund, fault):
        self._arm(fault)
        seen = self._pick(self._with_klarna_order(), pick)
        checkout, payment = seen.checkout, seen.payment
        with self.world.session() as session:
            lines = [line for line in self.world.order(session, checkout.number).goods_lines
                     if line.returnable_quantity]
        if lines:
            assert self.world.register_return(checkout.number, {lines[0].id: 1}).status_code in USER_FACING
        if refund:
            response = self.world.refund_overpayment(checkout.number, payment.id)
            assert response is None or response.status_code in USER_FACING

    @precondition(lambda self: self._awaiting_payment())
    @rule(pick=PICK, fault=FAULT)
    def merchant_sends_payment_link(self, pick, fault):
        self._arm(fault)
        checkout = self._pick(self._awaiting_payment(), pick)
        assert self.world.send_payment_link(checkout).status_code in USER_FACING

    @precondition(lambda self: self.world.callbacks.sent or self.checkouts)
    @rule(fault=FAULT)
    def cron_sync(self, fault):
        self._arm(fault)
        with self.world.session() as session:
            sync_all(session, self.world.gateway)

    # Klarna's staff, time and faults ----------------------------------------------------------

    @precondition(lambda self: self._with_klarna_order())
    @rule(pick=PICK, act=st.sampled_from(PORTAL_ACTS))
    def klarna_staff_change_the_order(self, pick, act):
        self.world.in_portal(self._pick(self._with_klarna_order(), pick).payment.klarna_order_id, act, self.portal)

    @rule(days=st.sampled_from([0.05, 1, 8, 29]))
    def time_passes(self, days):
        self.world.simulator.clock.advance(days=days)

    @rule(operation=st.sampled_from(OPERATIONS), kind=st.sampled_from(FAULT_KINDS), times=st.integers(1, 3))
    def klarna_fails(self, operation, kind, times):
        """A fault that waits for its call, some steps later perhaps."""
        self._arm((operation, kind, times))

    def _arm(self, fault):
        if fault is None:
            return
        operation, kind, times = fault
        faults = self.world.simulator.faults
        replaced = sum(switch["times"] or 0 for switch in faults.list() if switch["operation"] == operation)
        faults.set(operation, kind, times=times)
        self.faults_armed += times - replaced  # a re-armed switch drops what was left of the old one

    # Invariants -------------------------------------------------------------------------------

    @invariant()
    def safe(self):
        self._snapshot = None
        COUNTS["steps"] += 1
        with self.world.session() as session:
            COUNTS["checks"] += invariants.safety(session, self.world.simulator, self.portal)

    def teardown(self):
        faults = self.world.simulator.faults
        left = sum(switch["times"] or 0 for switch in faults.list())
        COUNTS["faults"] += self.faults_armed - left
        faults.clear()
        self._settle()
        with self.world.session() as session:
            COUNTS["checks"] += invariants.settled(session, self.world.simulator, self.portal)

    def _settle(self):
        for _ in range(FINAL_SYNCS):
            for _call in list(self.world.callbacks.sent):
                self.world.deliver_callback(0)
            with self.world.session() as session:
                report = sync_all(session, self.world.gateway)
            assert not report.errors, report.errors

    # Choosing (from what the shop holds after the last step, read once per step) ----------------

    @staticmethod
    def _pick(items, pick):
        return items[pick % len(items)]

    def _on_hosted_page(self) -> list[Checkout]:
        return [c for c in self.checkouts if c.hosted_page and not c.return_url]

    def _sent_back(self) -> list[Checkout]:
        return [c for c in self.checkouts if c.return_url]

    def _awaiting_payment(self) -> list[Checkout]:
        return [s.checkout for s in self._seen() if s.order_status == "awaiting_payment"]

    def _with_klarna_order(self) -> list[Seen]:
        return [s for s in self._seen() if s.payment is not None]

    def _shippable(self) -> list[Seen]:
        return [s for s in self._with_klarna_order() if s.unshipped]

    def _refundable(self) -> list[Seen]:
        return [s for s in self._with_klarna_order() if s.payment.captured_amount > s.payment.refunded_amount]

    def _seen(self) -> list[Seen]:
        if self._snapshot is None:
            with self.world.session() as session:
                self._snapshot = [seen for checkout in self.checkouts for seen in self._look(session, checkout)]
        return self._snapshot

    def _look(self, session, checkout: Checkout) -> list[Seen]:
        order = self.world.order(session, checkout.number)
        unshipped = [line.id for line in order.goods_lines if line.unshipped_quantity]
        payments = [p for p in self.world.klarna_payments(session, checkout.number)
                    if p.klarna_order_id and p.state != states.FAILED]
        return [Seen(checkout, order.status, unshipped, p) for p in payments] or \
            [Seen(checkout, order.status, unshipped, None)]


@dataclass
class Seen:
    checkout: Checkout
    order_status: str
    unshipped: list[int]  # goods line ids with units left to ship
    payment: Payment | None  # a Klarna payment with a Klarna order
