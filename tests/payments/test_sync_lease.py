"""The cron's claim on a payment: one run at a time, and after the read it stays with that run for a while,
so that runs started together on several machines read each payment once (tests/postgres/test_sync_workers.py
runs real processes)."""
from __future__ import annotations

import threading

from shop.models import Payment
from shop.payments.leases import READ_HOLD, hold_after_read, run_owner, take_lease
from shop.payments.sync import sync_all
from tests.payments.conftest import make_order, paid_payment


def test_a_payment_read_by_one_run_is_left_alone_by_another_until_the_hold_ends(session, simulator, gateway,
                                                                             shop_clock, monkeypatch):
    monkeypatch.setattr("shop.payments.leases.utcnow", shop_clock.now)
    payment = paid_payment(session, simulator, gateway, make_order(session))
    assert take_lease(session, payment, "machine-a")
    assert not take_lease(session, payment, "machine-b")  # busy
    hold_after_read(session, payment, "machine-a")
    assert not take_lease(session, payment, "machine-b")  # just read
    assert take_lease(session, payment, "machine-a")  # its own run again (the next cron run, one process)
    hold_after_read(session, payment, "machine-a")
    shop_clock.advance(seconds=READ_HOLD.total_seconds() + 1)
    assert take_lease(session, payment, "machine-b")


def test_the_owner_names_the_thread_so_two_runs_in_one_process_are_two_owners():
    owners = [run_owner()]
    thread = threading.Thread(target=lambda: owners.append(run_owner()))
    thread.start()
    thread.join()
    assert len(set(owners)) == 2


def test_consecutive_runs_of_one_process_read_the_payment_each_time(session, simulator, gateway):
    payment = paid_payment(session, simulator, gateway, make_order(session))
    assert sync_all(session, gateway).checked == 1
    assert sync_all(session, gateway).checked == 1
    session.refresh(payment)
    assert session.get(Payment, payment.id).lease_owner == run_owner()
