"""Captures on hold on PostgreSQL: several cron machines retrying at once make one Klarna capture."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.db import new_session
from shop.models import PaymentEvent, PaymentHold, utcnow
from shop.payments import service
from shop.payments.common import ProviderError
from shop.payments.sync import sync_all
from tests.klarna_fixtures import make_order, paid_payment
from tests.payments.conftest import ship
from tests.postgres.conftest import run_in_threads

pytestmark = pytest.mark.postgres

MACHINES = 4


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}


def test_concurrent_sync_runs_retry_a_held_capture_once(pg_app):
    simulator, gateway = pg_app.extensions["klarna_simulator"], pg_app.extensions["klarna_gateway"]
    gateway.sleep = lambda _seconds: None
    with new_session(pg_app) as session:
        order = make_order(session)
        payment = paid_payment(session, simulator, gateway, order)
        simulator.faults.set("create_capture", "403_payment_method_failed", times=1)
        with pytest.raises(ProviderError):  # part of the order: a second retry could capture it again
            service.capture_shipment(session, order, ship(session, order, {1: 1}), gateway, actor="admin")
        hold = session.exec(select(PaymentHold).where(PaymentHold.payment_id == payment.id)).one()
        hold.next_try_at = utcnow()  # due now
        session.add(hold)
        session.commit()
        payment_id, klarna_order_id = payment.id, payment.klarna_order_id

    def run(_index):
        with pg_app.app_context(), new_session(pg_app) as own:
            return sync_all(own, gateway).retried

    run_in_threads(MACHINES, run)

    assert len(simulator.get_order(klarna_order_id)["captures"]) == 1
    with new_session(pg_app) as session:
        requests = session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment_id,
                                                           PaymentEvent.kind == "capture_requested")).all()
        assert len(requests) == 2  # the refused capture and one retry
        [released] = session.exec(select(PaymentHold).where(PaymentHold.payment_id == payment_id)).all()
        assert released.outcome == "captured"
