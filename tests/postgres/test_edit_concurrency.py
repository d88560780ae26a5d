"""Order edits on PostgreSQL: merchants saving edits of one order at the same moment, with and without Klarna,
never leave the shop and Klarna disagreeing, and an edit whose answer was lost is stored once it resolves."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.db import new_session
from shop.models import KlarnaCall, Order, Payment
from shop.payments.sync import sync_all
from tests.admin.edit_helpers import edit_fields
from tests.conftest import csrf_token
from tests.klarna_fixtures import make_order, paid_payment
from tests.postgres.conftest import run_in_threads
from tests.postgres.test_payment_concurrency import NoCallbacks, logged_in_client

pytestmark = pytest.mark.postgres

MERCHANTS = 4


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": NoCallbacks()}


@pytest.fixture
def authorized(pg_app):
    simulator, gateway = pg_app.extensions["klarna_simulator"], pg_app.extensions["klarna_gateway"]
    gateway.sleep = lambda _seconds: None
    with new_session(pg_app) as session:
        order = make_order(session, "fi", products=(("RUN-001", 1), ("COF-101", 2), ("BK-201", 1)))
        payment = paid_payment(session, simulator, gateway, order)
        return order.number, payment.id, payment.klarna_order_id


def shop_order(app, number):
    with new_session(app) as session:
        order = session.exec(select(Order).where(Order.number == number)).one()
        lines = {line.reference: line.quantity for line in order.lines}
        return order, lines


def edit_in_threads(app, number, quantities: list[int]) -> list[int]:
    """Each merchant opens the order page, then all save a different coffee quantity at once."""
    clients = [logged_in_client(app) for _ in quantities]
    page = f"/admin/orders/{number}"
    tokens = [csrf_token(client.get(page).get_data(as_text=True)) for client in clients]
    order, _lines = shop_order(app, number)
    with new_session(app) as session:
        order = session.get(Order, order.id)
        coffee = next(line for line in order.lines if line.reference == "COF-101")
        forms = [edit_fields(order, **{f"quantity_{coffee.id}": str(quantity)}) for quantity in quantities]

    def save(index):
        return clients[index].post(f"{page}/edit", data={**forms[index], "csrf_token": tokens[index]}).status_code

    return run_in_threads(len(quantities), save)


def assert_shop_and_klarna_agree(app, number, payment_id, klarna_order_id):
    klarna = app.extensions["klarna_simulator"].get_order(klarna_order_id)
    order, lines = shop_order(app, number)
    assert klarna["order_amount"] == order.total
    assert {line["reference"]: line["quantity"] for line in klarna["order_lines"]} == lines
    with new_session(app) as session:
        payment = session.get(Payment, payment_id)
        assert payment.amount == klarna["order_amount"] and payment.pending_event_id is None
    return order, lines


def test_concurrent_edits_leave_the_shop_and_klarna_equal(pg_app, authorized):
    number, payment_id, klarna_order_id = authorized
    statuses = edit_in_threads(pg_app, number, [1, 3, 4, 5])
    assert set(statuses) <= {303, 409} and statuses.count(303) == 1, statuses
    order, lines = assert_shop_and_klarna_agree(pg_app, number, payment_id, klarna_order_id)
    assert order.revision == 1
    assert lines["COF-101"] == [1, 3, 4, 5][statuses.index(303)]  # the one edit that was saved


def test_concurrent_edits_of_a_bank_transfer_order_store_one(pg_app):
    with new_session(pg_app) as session:
        from shop.models import PaymentMethod

        order = make_order(session, "fi", products=(("RUN-001", 1), ("COF-101", 2)))
        order.payment_method_id = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one().id
        session.commit()
        number = order.number
    statuses = edit_in_threads(pg_app, number, [1, 3, 4])
    assert statuses.count(303) == 1 and set(statuses) <= {303, 409}, statuses
    order, _lines = shop_order(pg_app, number)
    assert order.revision == 1


def test_an_edit_whose_answer_was_lost_is_stored_once_klarna_is_read(pg_app, authorized):
    number, payment_id, klarna_order_id = authorized
    simulator = pg_app.extensions["klarna_simulator"]
    simulator.faults.set("update_authorization", "timeout_after", times=3)  # Klarna updates; answers are lost
    statuses = edit_in_threads(pg_app, number, [1, 3])
    assert 303 not in statuses, statuses  # nothing stored while Klarna's answer is unknown
    klarna = simulator.get_order(klarna_order_id)
    order, lines = shop_order(pg_app, number)
    assert klarna["order_amount"] != order.total  # Klarna did it; the shop waits for the answer

    simulator.faults.clear()
    with new_session(pg_app) as session:
        report = sync_all(session, pg_app.extensions["klarna_gateway"])  # retries with the same key
    assert not report.errors, report.errors
    assert_shop_and_klarna_agree(pg_app, number, payment_id, klarna_order_id)
    with new_session(pg_app) as session:
        keys = {call.idempotency_key for call in session.exec(select(KlarnaCall).where(
            KlarnaCall.payment_id == payment_id, KlarnaCall.method == "PATCH"))}
    assert len(keys) == 1 and None not in keys
