"""The invariants of the payment-life test catch what they are there for (each planted fault fails them)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import OutboxMessage, Payment
from tests.klarna_fixtures import app, app_overrides, callbacks, gateway, make_order, paid_payment, simulator  # noqa: F401

from . import invariants


@pytest.fixture
def payment(session, simulator, gateway):
    return paid_payment(session, simulator, gateway, make_order(session, "fi"))


def at_klarna(simulator, payment, change):
    with simulator.transaction():
        change(simulator.orders, simulator.orders.load(None, payment.klarna_order_id))


def test_an_agreeing_shop_and_klarna_pass(session, simulator, payment):
    assert invariants.settled(session, simulator, invariants.PortalActs()) > 0


def test_a_capture_nobody_asked_for_fails_safety(session, simulator, payment):
    at_klarna(simulator, payment, lambda orders, order: orders.capture(order, {"captured_amount": 1000}))
    with pytest.raises(AssertionError, match="more captures at Klarna than asked"):
        invariants.safety(session, simulator, invariants.PortalActs())


def test_a_portal_capture_the_sync_has_not_seen_fails_only_once_settled(session, simulator, payment):
    at_klarna(simulator, payment, lambda orders, order: orders.capture(order, {"captured_amount": 1000}))
    portal = invariants.PortalActs()
    portal.captures[payment.klarna_order_id] += 1
    invariants.safety(session, simulator, portal)
    with pytest.raises(AssertionError):
        invariants.settled(session, simulator, portal)


def test_a_payment_left_claimed_fails_settled(session, simulator, payment):
    payment.pending_event_id = 1
    session.add(payment)
    session.commit()
    with pytest.raises(AssertionError, match="left claimed"):
        invariants.settled(session, simulator, invariants.PortalActs())


def test_an_e_mail_queued_twice_fails_safety(session, simulator, payment):
    confirmation = session.exec(select(OutboxMessage)).one()
    session.add(OutboxMessage(**confirmation.model_dump(exclude={"id"})))
    session.commit()
    with pytest.raises(AssertionError, match="queued twice"):
        invariants.safety(session, simulator, invariants.PortalActs())


def test_a_missing_confirmation_fails_settled(session, simulator, payment):
    session.delete(session.exec(select(OutboxMessage)).one())
    session.commit()
    with pytest.raises(AssertionError, match="confirmation"):
        invariants.settled(session, simulator, invariants.PortalActs())


def test_money_the_shop_recorded_but_klarna_never_moved_fails_safety(session, simulator, payment):
    from shop.payments.common import add_payment_event

    add_payment_event(session, session.get(Payment, payment.id), "captured", "planted", amount=500, provider_id="nope")
    session.commit()
    with pytest.raises(AssertionError, match="never moved"):
        invariants.safety(session, simulator, invariants.PortalActs())


def test_a_hosted_payment_completed_at_klarna_but_never_finalised_fails_settled(session, simulator, gateway):
    from tests.klarna_fixtures import start_checkout

    payment = start_checkout(session, gateway, make_order(session, "fi"))
    simulator.complete_hpp_session(payment.hpp_session_id)
    with pytest.raises(AssertionError, match="not finalised"):
        invariants.settled(session, simulator, invariants.PortalActs())
