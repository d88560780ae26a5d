"""Several `klarna sync` processes at once on PostgreSQL (cron on several machines): between them they
read each Klarna order once and record each change made in Klarna's portal once."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import func, select

from shop.db import new_session
from shop.models import KlarnaCall, Payment, PaymentEvent
from tests.conftest import SECRET_KEY
from tests.klarna_fixtures import make_order, paid_payment

pytestmark = pytest.mark.postgres

PAYMENTS = 24
ROOT = Path(__file__).resolve().parents[2]


class NoCallbacks(list):
    def __call__(self, url, body):
        self.append((url, body))


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": NoCallbacks()}


@pytest.fixture
def authorized_payments(pg_app):
    """PAYMENTS authorized payments; every third one captured in Klarna's portal behind the shop's back."""
    simulator, gateway = pg_app.extensions["klarna_simulator"], pg_app.extensions["klarna_gateway"]
    gateway.sleep = lambda _seconds: None
    ids = {}
    with new_session(pg_app) as session:
        for index in range(PAYMENTS):
            payment = paid_payment(session, simulator, gateway, make_order(session, "fi"))
            ids[payment.id] = payment.klarna_order_id
            if index % 3 == 0:
                with simulator.transaction():
                    klarna = simulator.orders.load(None, payment.klarna_order_id)
                    simulator.orders.capture(klarna, {"captured_amount": 1000})
        first_call = session.exec(select(func.max(KlarnaCall.id))).one()
    return ids, first_call


def sync_processes(app, count: int) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "SHOP_DATABASE_URL": app.config["DATABASE_URL"], "SHOP_SECRET_KEY": SECRET_KEY,
           "SHOP_SIMULATOR_ENABLED": "true", "SHOP_SIMULATOR_ALLOW_IN_PRODUCTION": "true",
           "SHOP_SIMULATOR_STORAGE": app.config["SIMULATOR_STORAGE"], "SHOP_PUBLIC_URL": "http://localhost",
           "SHOP_LOG_LEVEL": "WARNING"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "klarna", "sync"]
    running = [subprocess.Popen(flask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in running]


@pytest.mark.parametrize("processes", [2, 4])
def test_concurrent_sync_runs_read_each_payment_once_and_record_each_change_once(
        pg_app, authorized_payments, processes):
    ids, first_call = authorized_payments
    runs = sync_processes(pg_app, processes)
    assert all(run.returncode == 0 for run in runs), [run.stderr[-2000:] for run in runs]
    checked = [int(run.stdout.split("checked ")[1].split(",")[0]) for run in runs]
    assert sum(checked) == PAYMENTS, checked  # each payment taken by one run

    with new_session(pg_app) as session:
        calls = session.exec(select(KlarnaCall).where(KlarnaCall.id > first_call)).all()
        reads = {payment_id: 0 for payment_id in ids}
        for call in calls:
            assert call.method == "GET", (call.method, call.path)  # nothing to write: only reads
            reads[call.payment_id] += 1
        assert set(reads.values()) == {1}, reads
        captured_elsewhere = dict(session.exec(
            select(PaymentEvent.payment_id, func.count()).where(PaymentEvent.kind == "captured_elsewhere")
            .group_by(PaymentEvent.payment_id)).all())
        assert captured_elsewhere == {payment_id: 1 for index, payment_id in enumerate(ids) if index % 3 == 0}
        for payment in session.exec(select(Payment).where(Payment.id.in_(ids))):
            assert payment.captured_amount == (1000 if payment.id in captured_elsewhere else 0)
