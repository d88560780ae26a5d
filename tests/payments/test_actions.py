"""The merchant's payment actions on the order page, each checked at the simulated Klarna."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from shop.models import Order
from shop.payments import service, states
from shop.payments.common import as_utc
from shop.payments.operations import NotAllowed
from tests.klarna_contract import validate
from tests.payments.conftest import events, klarna_calls, make_order, order_events, paid_payment, ship

ADMIN = "admin@example.com"


@pytest.fixture
def payment(session, simulator, gateway):
    return paid_payment(session, simulator, gateway, make_order(session))


def part_captured(session, gateway, payment):
    order = _order_of(session, payment)
    service.capture_shipment(session, order, ship(session, order, {0: 1}), gateway, actor=ADMIN)
    assert payment.state == states.PART_CAPTURED
    return order


def _order_of(session, payment):
    return session.get(Order, payment.order_id)


def test_extend_moves_expiry_to_klarnas_day_plus_28_at_midnight(session, simulator, gateway, payment):
    before = as_utc(payment.expires_at)
    today = simulator.clock.advance(days=10).date()

    event = service.extend(session, payment, gateway, actor=ADMIN)

    expected = datetime.combine(today + timedelta(days=28), time(0), tzinfo=UTC)
    assert as_utc(payment.expires_at) == expected > before
    assert event.kind == "extended" and event.data["expires_at"].startswith(expected.date().isoformat())
    assert simulator.get_order(payment.klarna_order_id)["expires_at"] == event.data["expires_at"]
    assert payment.pending_event_id is None


def test_cancel_with_nothing_captured_cancels_at_klarna(session, simulator, gateway, payment):
    service.cancel_reservation(session, payment, gateway, actor=ADMIN)

    assert simulator.get_order(payment.klarna_order_id)["status"] == "CANCELLED"
    assert payment.state == states.CANCELLED and states.label(payment.state) == "Unapproved"
    assert order_events(session, _order_of(session, payment), "payment_cancelled")
    assert klarna_calls(session, method="POST", path_end="/cancel")


def test_cancel_when_partly_captured_releases_the_rest(session, simulator, gateway, payment):
    part_captured(session, gateway, payment)

    event = service.cancel_reservation(session, payment, gateway, actor=ADMIN)

    assert event.kind == "released" and payment.state == states.CLOSED
    klarna_order = simulator.get_order(payment.klarna_order_id)
    assert klarna_order["status"] == "CLOSED" and klarna_order["remaining_authorized_amount"] == 0
    assert klarna_calls(session, method="POST", path_end="/release-remaining-authorization")


def test_resend_triggers_a_send_out_per_capture(session, simulator, gateway, payment):
    order = part_captured(session, gateway, payment)
    service.activate(session, payment, gateway, actor=ADMIN)
    capture_ids = [capture["capture_id"] for capture in simulator.get_order(payment.klarna_order_id)["captures"]]
    assert len(capture_ids) == 2

    sent = service.resend_instructions(session, payment, gateway, actor=ADMIN)

    assert [event.provider_id for event in sent] == capture_ids
    paths = [call.path for call in klarna_calls(session, method="POST", path_end="/trigger-send-out")]
    assert paths == [f"/ordermanagement/v1/orders/{payment.klarna_order_id}/captures/{capture_id}/trigger-send-out"
                     for capture_id in capture_ids]
    assert order_events(session, order, "payment_instructions"), "pay later: Klarna sends instructions"


def test_partial_then_full_refund(session, simulator, gateway, payment):
    order = _order_of(session, payment)
    service.activate(session, payment, gateway, actor=ADMIN)

    service.refund(session, payment, gateway, 500, actor=ADMIN, description="Returned socks")
    assert payment.refunded_amount == 500
    assert states.label(payment.state, payment.captured_amount, payment.refunded_amount) == "Partly refunded"
    with pytest.raises(NotAllowed):
        service.refund(session, payment, gateway, order.total, actor=ADMIN)  # more than is left
    service.refund(session, payment, gateway, order.total - 500, actor=ADMIN)

    klarna_order = simulator.get_order(payment.klarna_order_id)
    assert klarna_order["refunded_amount"] == order.total == payment.refunded_amount
    assert [e.provider_id for e in events(session, payment, "refunded")] == [
        refund["refund_id"] for refund in klarna_order["refunds"]]
    assert states.label(payment.state, payment.captured_amount, payment.refunded_amount) == "Refunded"
    for event in events(session, payment, "refund_requested"):
        validate("ordermanagement", "RefundObject", event.data["body"])
    with pytest.raises(NotAllowed):
        service.refund(session, payment, gateway, 1, actor=ADMIN)


@pytest.mark.parametrize("action", [
    lambda s, p, g: service.refund(s, p, g, 100, actor=ADMIN),
    lambda s, p, g: service.resend_instructions(s, p, g, actor=ADMIN),
])
def test_money_actions_need_a_capture(session, gateway, payment, action):
    with pytest.raises(NotAllowed):
        action(session, payment, gateway)
    assert payment.pending_event_id is None


def test_a_captured_payment_cannot_be_cancelled_extended_or_captured_again(session, simulator, gateway, payment):
    service.activate(session, payment, gateway, actor=ADMIN)
    calls = len(klarna_calls(session))

    for action in (service.cancel_reservation, service.extend, service.activate):
        with pytest.raises(NotAllowed):
            action(session, payment, gateway, actor=ADMIN)

    assert len(klarna_calls(session)) == calls, "refused before asking Klarna"
    assert not events(session, payment, "cancel_requested", "extend_requested")


def test_a_cancelled_payment_allows_nothing(session, simulator, gateway, payment):
    service.cancel_reservation(session, payment, gateway, actor=ADMIN)

    for action in (service.cancel_reservation, service.extend, service.activate):
        with pytest.raises(NotAllowed):
            action(session, payment, gateway, actor=ADMIN)
    with pytest.raises(NotAllowed):
        service.refund(session, payment, gateway, 1, actor=ADMIN)
