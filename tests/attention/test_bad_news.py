"""Klarna's bad news, driven by the simulator's notifications, clock and fault switches."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import Order, PaymentHold
from shop.payments import klarna_checkout, service, states
from shop.payments.common import ProviderError
from shop.payments.sync import sync_all
from tests.payments.conftest import reload, ship

from .conftest import (
    alerts_of, events, make_order, order_events, paid_payment, payments_of, start_checkout, stock_of,
)


def given_up(session, order, status="cancelled") -> Order:
    """The shop gave the order up (its stock released) while the shopper was still on Klarna's page."""
    from shop.orders import release_stock

    order = session.get(Order, order.id)
    order.status = status
    release_stock(session, order)
    session.commit()
    return order


def held(session, payment) -> PaymentHold | None:
    session.expire_all()
    return session.exec(select(PaymentHold).where(PaymentHold.payment_id == payment.id,
                                                  PaymentHold.released_at.is_(None))).first()


# Fraud review rejected or stopped ------------------------------------------------------------

def test_a_rejected_review_cancels_the_order_through_klarnas_notification(session, simulator, gateway, callbacks):
    order = make_order(session)
    before = stock_of(session, "COF-101")
    payment = paid_payment(session, simulator, gateway, order, email="customer+pend-reject-05@email.fi")
    assert payment.state == states.PENDING
    callbacks.sent.clear()
    simulator.clock.advance(minutes=6)  # Klarna's review rejects the order
    simulator.get_order(payment.klarna_order_id)  # the decision is taken when Klarna next looks at it

    assert callbacks.deliver() == [200]  # the notification, re-read from Klarna

    assert reload(session, payment).state == states.REJECTED
    order = reload(session, order)
    assert order.status == "cancelled" and not order.stock_reserved
    assert stock_of(session, "COF-101") == before + 2
    [event] = order_events(session, order, "fraud_rejected")
    assert event.data["payment_id"] == payment.id
    [alert] = alerts_of(session, order)
    assert alert.kind == "fraud_rejected" and alert.data["message_args"] == {"number": order.number}


def test_a_review_stopped_later_is_found_by_the_sync_and_nothing_ships(admin_client, session, simulator, gateway):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    with simulator.transaction():  # found fraudulent after acceptance; the notification never arrived
        simulator.orders.decide_fraud(simulator.orders.load(None, payment.klarna_order_id), "FRAUD_RISK_STOPPED")

    sync_all(session, gateway)
    sync_all(session, gateway)  # once only

    assert reload(session, payment).state == states.REJECTED
    assert reload(session, order).status == "cancelled"
    assert [alert.kind for alert in alerts_of(session, order)] == ["fraud_rejected"]
    token = admin_client.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    from tests.conftest import csrf_token

    response = admin_client.post(f"/admin/orders/{order.number}/ship",
                                 data={"action": "all", "confirmed": "yes", "csrf_token": csrf_token(token)})
    assert response.status_code == 409
    assert all(line.shipped_quantity == 0 for line in reload(session, order).goods_lines)
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert f"Order {order.number}: Klarna rejected the payment in its fraud review." in page


def test_a_review_stopped_after_shipping_says_the_goods_left(session, simulator, gateway):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    service.capture_shipment(session, order, ship(session, order, {0: 1}), gateway, actor="admin")
    with simulator.transaction():
        simulator.orders.decide_fraud(simulator.orders.load(None, payment.klarna_order_id), "FRAUD_RISK_STOPPED")

    sync_all(session, gateway)

    [alert] = alerts_of(session, order)
    assert alert.data["shipped"] is True and "after goods were shipped" in alert.message


# Late authorization on an order the shop gave up -----------------------------------------------

@pytest.mark.parametrize("status", ["cancelled", "abandoned"])
def test_an_approval_after_the_order_was_given_up_is_cancelled_at_once(session, simulator, gateway, callbacks,
                                                                       status):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    given_up(session, order, status)
    simulator.complete_hpp_session(payment.hpp_session_id)  # the shopper approves anyway

    assert set(callbacks.deliver()) == {200}  # the status callback finalises, then undoes

    assert reload(session, payment).state == states.CANCELLED
    assert simulator.get_order(payment.klarna_order_id)["status"] == "CANCELLED"
    assert reload(session, order).status == status
    [cancelled] = order_events(session, order, "late_authorization_cancelled")
    assert cancelled.actor == "shop"
    assert [alert.kind for alert in alerts_of(session, order)] == ["late_authorization"]
    [request] = events(session, payment, "cancel_requested")
    assert request.idempotency_key


def test_a_late_approval_klarna_will_not_cancel_now_is_cancelled_by_the_next_sync(session, simulator, gateway):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    given_up(session, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    simulator.faults.set("cancel_order", "403_payment_method_failed", times=1)  # any definitive refusal

    klarna_checkout.finalise(session, payment, gateway, source="return")

    assert reload(session, payment).state == states.AUTHORIZED
    assert order_events(session, order, "late_authorization_not_cancelled")
    assert [alert.kind for alert in alerts_of(session, order)] == ["late_authorization_failed"]

    sync_all(session, gateway)

    assert reload(session, payment).state == states.CANCELLED
    assert simulator.get_order(payment.klarna_order_id)["status"] == "CANCELLED"


def test_a_late_approval_captured_by_klarnas_page_is_refunded(session, simulator, gateway):
    from tests.payments.conftest import set_method_settings

    set_method_settings(session, place_order_mode="CAPTURE_ORDER")
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    given_up(session, order)
    simulator.complete_hpp_session(payment.hpp_session_id)

    klarna_checkout.finalise(session, payment, gateway, source="return")

    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["refunded_amount"] == klarna["captured_amount"] == order.total
    assert reload(session, payment).refunded_amount == order.total


# Capture refused with PAYMENT_METHOD_FAILED ------------------------------------------------------

def test_a_refused_capture_puts_the_payment_on_hold_and_the_sync_retries_on_a_backoff(
        session, simulator, gateway, shop_clock):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    simulator.faults.set("create_capture", "403_payment_method_failed", times=2)
    shipment = ship(session, order, {0: 1, 1: 2})

    with pytest.raises(ProviderError) as refused:
        service.capture_shipment(session, order, shipment, gateway, actor="admin")

    assert refused.value.error_code == "PAYMENT_METHOD_FAILED"
    assert reload(session, order).status == "shipped"  # the shipment stays recorded
    hold = held(session, payment)
    assert hold is not None and hold.attempts == 1 and "PAYMENT_METHOD_FAILED" in hold.reason
    assert [alert.kind for alert in alerts_of(session, order)] == ["payment_on_hold"]
    assert events(session, payment, "capture_on_hold")

    assert sync_all(session, gateway).retried == 0  # not due yet
    shop_clock.advance(hours=1, minutes=1)
    assert sync_all(session, gateway).retried == 1  # refused again: the next try waits longer
    hold = held(session, payment)
    assert hold.attempts == 2 and (hold.next_try_at - shop_clock.now()).total_seconds() > 3 * 3600
    shop_clock.advance(hours=3)
    assert sync_all(session, gateway).retried == 0
    shop_clock.advance(hours=1, minutes=1)

    assert sync_all(session, gateway).retried == 1  # Klarna accepts now

    assert held(session, payment) is None
    assert reload(session, payment).state == states.CAPTURED
    assert simulator.get_order(payment.klarna_order_id)["captured_amount"] == order.total
    tries = events(session, payment, "capture_requested")
    assert len(tries) == 3 and len({event.idempotency_key for event in tries}) == 3
    assert [event.kind for event in events(session, payment, "capture_failed", "captured")] == [
        "capture_failed", "capture_failed", "captured"]
    assert events(session, payment, "hold_released")[0].data["outcome"] == "captured"


def test_a_hold_ends_when_the_reservation_can_no_longer_be_activated(session, simulator, gateway, shop_clock):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    simulator.faults.set("create_capture", "403_payment_method_failed", times=1)
    with pytest.raises(ProviderError):
        service.activate(session, payment, gateway, actor="admin")
    with simulator.transaction():
        simulator.orders.simple(simulator.orders.load(None, payment.klarna_order_id), "cancel")
    shop_clock.advance(hours=2)

    sync_all(session, gateway)

    assert held(session, payment) is None
    assert events(session, payment, "hold_released")[0].data["outcome"] == "not_capturable"


def test_other_refusals_do_not_hold_the_payment(session, simulator, gateway):
    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    simulator.faults.set("create_capture", "503")
    with pytest.raises(ProviderError):
        service.activate(session, payment, gateway, actor="admin")
    assert held(session, payment) is None and alerts_of(session, order) == []


def test_two_sync_runs_that_found_the_same_hold_due_make_one_try(session, simulator, gateway, shop_clock):
    from shop.payments import bad_news

    order = make_order(session)
    payment = paid_payment(session, simulator, gateway, order)
    simulator.faults.set("create_capture", "403_payment_method_failed", times=1)
    with pytest.raises(ProviderError):
        service.capture_shipment(session, order, ship(session, order, {1: 1}), gateway, actor="admin")
    shop_clock.advance(hours=2)
    hold = held(session, payment)
    seen_by_both = [hold, session.get(PaymentHold, hold.id)]

    for found in seen_by_both:  # the second run read the hold before the first made its try
        bad_news._retry(session, found, gateway)

    assert len(simulator.get_order(payment.klarna_order_id)["captures"]) == 1
    assert len(events(session, payment, "capture_requested")) == 2  # the refused one and one retry
    assert len(events(session, payment, "hold_released")) == 1


def test_the_shopper_who_paid_late_is_told_the_order_was_cancelled(app, session, simulator, gateway):
    from html import unescape

    from .conftest import path

    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    given_up(session, order)
    shopper = app.test_client()
    hosted_page = f"/_klarna/hpp/payments/{payment.hpp_session_id}"
    approved = shopper.post(hosted_page, data={"action": "approve", "category": "PAY_LATER"})
    returned = shopper.get(path(approved.location))
    html = unescape(shopper.get(returned.location).get_data(as_text=True))
    assert "This order has been cancelled; you will not be charged for it." in html
    assert reload(session, payment).state == states.CANCELLED
