"""DESIGN.md §3 on PostgreSQL: double clicks, several admins and the cron acting at once never make a
second Klarna capture, and a capture whose answer was lost is retried with the same key."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.db import new_session
from shop.models import KlarnaCall, Order, Payment
from shop.payments import states
from shop.payments.sync import sync_all
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.klarna_fixtures import make_order, paid_payment
from tests.postgres.conftest import run_in_threads

pytestmark = pytest.mark.postgres

THREADS, CLICKS_PER_THREAD = 4, 5  # 20 "Activate payment" requests


class NoCallbacks(list):
    def __call__(self, url, body):
        self.append((url, body))


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": NoCallbacks()}


@pytest.fixture
def authorized(pg_app):
    simulator, gateway = pg_app.extensions["klarna_simulator"], pg_app.extensions["klarna_gateway"]
    gateway.sleep = lambda _seconds: None
    with new_session(pg_app) as session:
        order = make_order(session, "sv", products=(("RUN-001", 1), ("COF-101", 2), ("BK-201", 1)))
        payment = paid_payment(session, simulator, gateway, order)
        assert payment.state == states.AUTHORIZED
        return order.number, payment.id, payment.klarna_order_id


def logged_in_client(app):
    client = app.test_client()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                 "csrf_token": token})
    assert response.status_code in (302, 303)
    return client


def activate_from_threads(app, number, payment_id):
    clients = [logged_in_client(app) for _ in range(THREADS)]
    page = f"/admin/orders/{number}"
    tokens = [csrf_token(client.get(page).get_data(as_text=True)) for client in clients]

    def click(index):
        statuses = []
        for _ in range(CLICKS_PER_THREAD):
            response = clients[index].post(f"{page}/payments/{payment_id}/activate",
                                           data={"csrf_token": tokens[index], "confirmed": "yes"})
            statuses.append(response.status_code)
        return statuses

    return [status for statuses in run_in_threads(THREADS, click) for status in statuses]


def capture_calls(app, payment_id):
    with new_session(app) as session:
        return [call for call in session.exec(select(KlarnaCall).where(KlarnaCall.payment_id == payment_id))
                if call.method == "POST" and call.path.endswith("/captures")]


def test_twenty_concurrent_activations_make_one_capture(pg_app, authorized):
    number, payment_id, klarna_order_id = authorized
    statuses = activate_from_threads(pg_app, number, payment_id)
    assert len(statuses) == THREADS * CLICKS_PER_THREAD
    assert set(statuses) <= {303, 409} and statuses.count(303) >= 1, statuses
    klarna_order = pg_app.extensions["klarna_simulator"].get_order(klarna_order_id)
    assert len(klarna_order["captures"]) == 1 and klarna_order["status"] == "CAPTURED"
    with new_session(pg_app) as session:
        payment = session.get(Payment, payment_id)
        assert payment.state == states.CAPTURED and payment.captured_amount == klarna_order["order_amount"]
        assert session.exec(select(Order).where(Order.number == number)).one().status == "confirmed"


def test_a_lost_capture_answer_is_retried_with_the_same_key_and_captures_once(pg_app, authorized):
    number, payment_id, klarna_order_id = authorized
    simulator = pg_app.extensions["klarna_simulator"]
    simulator.faults.set("create_capture", "timeout_after", times=3)  # Klarna captures; every answer is lost
    first = logged_in_client(pg_app)
    page = f"/admin/orders/{number}"
    token = csrf_token(first.get(page).get_data(as_text=True))
    lost = first.post(f"{page}/payments/{payment_id}/activate", data={"csrf_token": token, "confirmed": "yes"})
    assert lost.status_code == 409
    assert len(simulator.get_order(klarna_order_id)["captures"]) == 1

    statuses = activate_from_threads(pg_app, number, payment_id)  # pre-flight syncs retry the lost request
    with new_session(pg_app) as session:
        cron = sync_all(session, pg_app.extensions["klarna_gateway"])
    assert not cron.errors and set(statuses) <= {303, 409}, statuses

    klarna_order = simulator.get_order(klarna_order_id)
    assert len(klarna_order["captures"]) == 1 and klarna_order["status"] == "CAPTURED"
    keys = {call.idempotency_key for call in capture_calls(pg_app, payment_id)}
    assert len(keys) == 1 and None not in keys
    with new_session(pg_app) as session:
        payment = session.get(Payment, payment_id)
        assert payment.pending_event_id is None
        assert (payment.state, payment.captured_amount) == (states.CAPTURED, klarna_order["order_amount"])
