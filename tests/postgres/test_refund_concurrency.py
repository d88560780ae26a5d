"""Issue 8 §4 on PostgreSQL: six identical refund POSTs at the same moment (one form, a double click and
resubmits from several tabs) make one Klarna refund with one idempotency key."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shop.db import new_session
from shop.models import KlarnaCall, Payment
from shop.payments import service, states
from tests.conftest import csrf_token
from tests.klarna_fixtures import make_order, paid_payment
from tests.postgres.conftest import run_in_threads
from tests.postgres.test_payment_concurrency import NoCallbacks, logged_in_client

pytestmark = pytest.mark.postgres

POSTS = 6


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": NoCallbacks()}


@pytest.fixture
def captured(pg_app):
    simulator, gateway = pg_app.extensions["klarna_simulator"], pg_app.extensions["klarna_gateway"]
    gateway.sleep = lambda _seconds: None
    with new_session(pg_app) as session, pg_app.test_request_context():
        order = make_order(session, products=(("CAP-003", 2), ("CHO-103", 1), ("BK-201", 2)))
        payment = paid_payment(session, simulator, gateway, order)
        service.activate(session, payment, gateway, actor="admin@example.com")
        assert payment.state == states.CAPTURED
        return order.number, payment.id, payment.klarna_order_id


def refund_calls(app, payment_id):
    with new_session(app) as session:
        return [call for call in session.exec(select(KlarnaCall).where(KlarnaCall.payment_id == payment_id))
                if call.method == "POST" and call.path.endswith("/refunds")]


@pytest.mark.parametrize("partial", [True, False])
def test_six_identical_refund_posts_make_one_klarna_refund(pg_app, captured, partial):
    number, payment_id, klarna_order_id = captured
    clients = [logged_in_client(pg_app) for _ in range(POSTS)]
    page = f"/admin/orders/{number}"
    html = clients[0].get(page).get_data(as_text=True)
    field = f"refund-{payment_id}-refund_token"
    form_token = re.search(rf'name="{field}" type="hidden" value="([^"]+)"', html).group(1)
    csrf = [csrf_token(client.get(page).get_data(as_text=True)) for client in clients]
    amount = "10,00" if partial else "120,00"

    def submit(index):
        return clients[index].post(f"{page}/payments/{payment_id}/refund", data={
            "csrf_token": csrf[index], "confirmed": "yes", f"refund-{payment_id}-amount": amount,
            field: form_token}).status_code

    statuses = run_in_threads(POSTS, submit)

    assert set(statuses) <= {303, 409} and statuses.count(303) >= 1, statuses
    klarna = pg_app.extensions["klarna_simulator"].get_order(klarna_order_id)
    assert [refund["refunded_amount"] for refund in klarna["refunds"]] == [1000 if partial else 12000]
    keys = {call.idempotency_key for call in refund_calls(pg_app, payment_id)}
    assert len(keys) == 1 and None not in keys
    with new_session(pg_app) as session:
        payment = session.get(Payment, payment_id)
        assert payment.refunded_amount == klarna["refunded_amount"] and payment.pending_event_id is None
