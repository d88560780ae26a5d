"""Reconciliation: the cron sync finishes what shoppers and Klarna staff leave behind (DESIGN.md §3)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import func, select

from shop.models import Order, PaymentEvent
from shop.payments import klarna_checkout, service, states
from shop.payments.common import ProviderError, as_utc
from shop.payments.operations import NotAllowed
from shop.payments.sync import sync, sync_all
from tests.payments.conftest import (
    approved_at_klarna, event_kinds, events, make_order, order_events, paid_payment, reload, set_method_settings, ship, start_checkout,
    stock_of,
)

ATTEMPTS = 3


def portal(simulator, payment, change):
    """Klarna staff change the order in the merchant portal; nobody tells the shop."""
    with simulator.transaction():
        change(simulator.orders, simulator.orders.load(None, payment.klarna_order_id))


def event_count(session) -> int:
    return session.exec(select(func.count()).select_from(PaymentEvent)).one()


# Open sessions ------------------------------------------------------------------------------

def test_shopper_who_never_returns_is_finalised_by_the_sync(session, simulator, gateway, shop_clock):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)  # ...and the browser closes

    assert sync_all(session, gateway).finalised == 0  # the shopper may still be on the way back
    shop_clock.advance(minutes=16)
    report = sync_all(session, gateway)

    assert report.finalised == 1 and not report.errors
    assert reload(session, payment).state == states.AUTHORIZED
    assert reload(session, order).status == "confirmed" and len(simulator.orders.all()) == 1
    assert events(session, payment, "returned")[0].data["source"] == "sync"


def test_expired_session_is_abandoned_and_stock_released(session, simulator, gateway, shop_clock):
    before = stock_of(session, "RUN-001")
    order = make_order(session)  # one trail running shoe
    assert stock_of(session, "RUN-001") == before - 1
    payment = start_checkout(session, gateway, order)
    simulator.clock.advance(hours=48)  # past the HPP session's expiry: Klarna answers 404
    shop_clock.advance(hours=48)

    report = sync_all(session, gateway)

    assert report.abandoned == 1
    assert reload(session, payment).state == states.ABANDONED
    assert reload(session, order).status == "abandoned" and not order.stock_reserved
    assert stock_of(session, "RUN-001") == before
    assert order_events(session, order, "abandoned")
    assert sync_all(session, gateway).checked == 0  # nothing left to look at


def test_cancelled_session_is_abandoned(session, simulator, gateway, shop_clock):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    with simulator.transaction():
        simulator.hpp.act(simulator.hpp.load(None, payment.hpp_session_id), "cancel")
    shop_clock.advance(minutes=16)

    assert sync_all(session, gateway).abandoned == 1
    assert reload(session, order).status == "abandoned"


def test_a_start_that_never_reached_klarna_is_abandoned_later(session, simulator, gateway, shop_clock):
    order = make_order(session)
    simulator.faults.set("create_session", "503")
    with pytest.raises(klarna_checkout.CheckoutFailed):
        start_checkout(session, gateway, order)
    shop_clock.advance(hours=1)
    assert sync_all(session, gateway).abandoned == 0  # the shopper may still retry

    shop_clock.advance(hours=48)

    assert sync_all(session, gateway).abandoned == 1
    assert reload(session, order).status == "abandoned"


def test_order_creation_without_an_answer_is_taken_over_by_the_sync(session, simulator, gateway, shop_clock):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    simulator.faults.set("create_order", "timeout", times=1)
    klarna_checkout.finalise(session, payment, gateway, source="return")
    assert payment.state == states.AUTHORIZING and event_kinds(session, payment)[-1] == "authorization_unknown"

    assert sync_all(session, gateway).finalised == 0  # a fresh claim belongs to its worker
    shop_clock.advance(minutes=3)
    report = sync_all(session, gateway)

    assert report.finalised == 1 and reload(session, payment).state == states.AUTHORIZED
    assert len(simulator.orders.all()) == 1


def test_a_cut_off_finaliser_whose_session_ended_is_abandoned(session, simulator, gateway, shop_clock):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    simulator.faults.set("create_order", "timeout", times=1)
    klarna_checkout.finalise(session, payment, gateway, source="return")
    assert payment.state == states.AUTHORIZING and not payment.klarna_order_id
    simulator.clock.advance(days=8)  # the HPP session and the authorization are long gone
    shop_clock.advance(days=8)

    report = sync_all(session, gateway)

    assert report.abandoned == 1 and reload(session, payment).state == states.ABANDONED
    assert reload(session, order).status == "abandoned" and simulator.orders.all() == []


def test_an_order_created_now_is_authorized_without_reading_it(session, simulator, gateway):
    order, payment = approved_at_klarna(session, simulator, gateway, "NONE")
    simulator.faults.set("get_order", "503", times=ATTEMPTS)  # would break a read of the order: none is made
    assert klarna_checkout.finalise(session, payment, gateway, source="return").done
    assert payment.state == states.AUTHORIZED and payment.expires_at is None
    simulator.faults.clear()
    assert sync(session, payment, gateway) == []  # the cron's read learns the expiry date; nothing changed
    assert payment.expires_at is not None and not events(session, payment, "expiry_changed")


@pytest.mark.parametrize("place_order_mode", ["PLACE_ORDER"])
def test_an_order_read_cut_off_after_creation_is_finished_by_the_sync(session, simulator, gateway, shop_clock,
                                                                      place_order_mode):
    order, payment = approved_at_klarna(session, simulator, gateway, place_order_mode)
    simulator.faults.set("get_order", "503", times=ATTEMPTS)
    klarna_checkout.finalise(session, payment, gateway, source="return")
    assert payment.state == states.AUTHORIZING and payment.klarna_order_id
    simulator.clock.advance(hours=48)  # the HPP session is gone by now; the order id is enough
    shop_clock.advance(minutes=3)

    assert sync_all(session, gateway).finalised == 1
    assert reload(session, payment).state == states.AUTHORIZED and len(simulator.orders.all()) == 1


# Live Klarna orders ---------------------------------------------------------------------------

def test_portal_changes_become_events_once(session, simulator, gateway):
    expired, cancelled, changed, captured = (
        paid_payment(session, simulator, gateway, make_order(session)) for _ in range(4))
    portal(simulator, expired, lambda orders, order: orders.expire_now(order))
    portal(simulator, cancelled, lambda orders, order: orders.simple(order, "cancel"))
    new_amount = changed.amount - 500
    portal(simulator, changed, lambda orders, order: orders.update_authorization(
        order, {"order_amount": new_amount, "order_lines": order["order_lines"]}, assess_risk=False))
    portal(simulator, captured, lambda orders, order: orders.capture(order, {"captured_amount": 1000}))

    report = sync_all(session, gateway)

    assert report.checked == 4 and report.changed == 4 and not report.errors
    for payment, state in ((expired, states.EXPIRED), (cancelled, states.CANCELLED)):
        assert reload(session, payment).state == state and states.label(payment.state) == "Unapproved"
        assert "status_changed" in event_kinds(session, payment)
        assert order_events(session, session.get(Order, payment.order_id), "payment_status_changed")
    assert reload(session, changed).amount == new_amount
    [amount_changed] = events(session, changed, "amount_changed")
    assert amount_changed.data == {"from": new_amount + 500, "to": new_amount}
    assert reload(session, captured).state == states.PART_CAPTURED and captured.captured_amount == 1000
    [elsewhere] = events(session, captured, "captured_elsewhere")
    assert elsewhere.amount == 1000 and elsewhere.provider_id
    assert order_events(session, session.get(Order, captured.order_id), "payment_captured")

    count = event_count(session)
    again = sync_all(session, gateway)
    assert again.checked == 2 and again.changed == 0 and event_count(session) == count


def test_fraud_review_holds_the_payment_until_klarna_decides(session, simulator, gateway):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order, email="customer+pend-accept-05@email.fi")
    assert payment.state == states.PENDING and payment.fraud_status == "PENDING"
    assert reload(session, order).status == "confirmed"
    with pytest.raises(NotAllowed):
        service.activate(session, payment, gateway, actor="admin")
    simulator.clock.advance(minutes=6)  # Klarna's review accepts the order

    sync_all(session, gateway)

    assert reload(session, payment).state == states.AUTHORIZED and payment.fraud_status == "ACCEPTED"
    [changed] = events(session, payment, "fraud_status_changed")
    assert (changed.data["from"], changed.data["to"]) == ("PENDING", "ACCEPTED")
    service.activate(session, payment, gateway, actor="admin")
    assert payment.state == states.CAPTURED


def test_a_payment_under_review_can_be_cancelled(session, simulator, gateway):
    payment = paid_payment(session, simulator, gateway, make_order(session), email="x+pend-reject-30@email.fi")

    service.cancel_reservation(session, payment, gateway, actor="admin")

    assert payment.state == states.CANCELLED
    assert simulator.get_order(payment.klarna_order_id)["status"] == "CANCELLED"


def test_refund_made_in_the_portal_reaches_the_ledger(session, simulator, gateway):
    payment = paid_payment(session, simulator, gateway, make_order(session))
    service.capture_shipment(session, session.get(Order, payment.order_id),
                             _ship_first(session, payment), gateway, actor="admin")
    portal(simulator, payment, lambda orders, order: orders.refund(order, {"refunded_amount": 300}))

    sync_all(session, gateway)

    assert reload(session, payment).refunded_amount == 300
    assert [e.amount for e in events(session, payment, "refunded_elsewhere")] == [300]


def _ship_first(session, payment):
    return ship(session, session.get(Order, payment.order_id), {0: 1})


def test_auto_extend_extends_unshipped_orders_about_to_expire(session, simulator, gateway, shop_clock):
    set_method_settings(session, auto_extend=True)
    payment = paid_payment(session, simulator, gateway, make_order(session))
    assert sync_all(session, gateway).extended == 0  # four weeks left
    today = simulator.clock.advance(days=26).date()
    shop_clock.advance(days=26)

    report = sync_all(session, gateway)

    assert report.extended == 1 and not report.errors
    [extended] = events(session, payment, "extended")
    assert extended.actor == "auto-extend"
    assert as_utc(reload(session, payment).expires_at) == datetime.combine(
        today + timedelta(days=28), time(0), tzinfo=UTC)
    assert sync_all(session, gateway).extended == 0


def test_auto_extend_is_off_unless_the_method_says_so(session, simulator, gateway, shop_clock):
    payment = paid_payment(session, simulator, gateway, make_order(session))
    simulator.clock.advance(days=26)
    shop_clock.advance(days=26)

    assert sync_all(session, gateway).extended == 0
    assert not events(session, payment, "extend_requested")


def test_klarna_unreachable_past_expiry_expires_locally(session, simulator, gateway, shop_clock):
    payment = paid_payment(session, simulator, gateway, make_order(session))
    simulator.faults.set("get_order", "503")  # until cleared
    assert sync_all(session, gateway).expired == 0  # unreachable, but not yet due
    assert reload(session, payment).state == states.AUTHORIZED
    shop_clock.advance(days=29)

    report = sync_all(session, gateway)

    assert report.expired == 1 and report.errors
    assert reload(session, payment).state == states.EXPIRED and states.label(payment.state) == "Unapproved"
    assert events(session, payment, "status_changed")


def test_a_write_still_in_flight_does_not_stop_the_sync(session, simulator, gateway, shop_clock):
    set_method_settings(session, auto_extend=True)
    payment = paid_payment(session, simulator, gateway, make_order(session))
    simulator.clock.advance(days=26)
    shop_clock.advance(days=26)
    simulator.faults.set("create_capture", "timeout", times=2 * ATTEMPTS)  # the action and the sync's retry
    with pytest.raises(ProviderError):
        service.capture_shipment(session, session.get(Order, payment.order_id), _ship_first(session, payment),
                                 gateway, actor="admin")

    report = sync_all(session, gateway)

    assert report.checked == 1 and report.extended == 0 and not report.errors
    assert reload(session, payment).pending_event_id is not None
    assert sync_all(session, gateway).extended == 1  # resolved now, then extended
    assert reload(session, payment).pending_event_id is None and payment.state == states.PART_CAPTURED


def test_a_klarna_read_overtaken_by_a_capture_does_not_undo_it(app, session, simulator, gateway, monkeypatch):
    from shop.db import new_session
    from shop.payments import sync as sync_module

    payment = paid_payment(session, simulator, gateway, make_order(session))
    real_read = sync_module.read_order
    reads = []

    def read_then_capture_elsewhere(session_, payment_, gateway_):
        om = real_read(session_, payment_, gateway_)  # Klarna's order before the capture...
        reads.append(om)
        if len(reads) > 1:
            return om
        with new_session(app) as other:  # ...and meanwhile the merchant activates it from another request
            service.activate(other, other.get(type(payment), payment.id), gateway, actor="admin@example.com")
        return om

    monkeypatch.setattr(sync_module, "read_order", read_then_capture_elsewhere)
    sync_module.sync(session, payment, gateway)

    assert reload(session, payment).state == states.CAPTURED
    assert not events(session, payment, "status_changed")
    assert payment.captured_amount == session.get(Order, payment.order_id).total
