"""Running `PaymentLife`: one world for all sequences, the cron's waiting times off, hypothesis settings."""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Iterator

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from shop.payments import finalise, sync

from .machine import PaymentLife
from .world import World

STEPS = 8  # short sequences: many of them find more than a few long ones, and shrink faster


RAM = Path("/dev/shm")  # SQLite commits cost a disk flush each; thousands of them per run


@contextmanager
def world(template_database: Path) -> Iterator[World]:
    """The sync finalises and takes over at once: the sequence's shopper is never "still on Klarna's page"."""
    saved = sync.STALE_START, sync.STALE_CLAIM, finalise.STALE_CLAIM
    sync.STALE_START = sync.STALE_CLAIM = finalise.STALE_CLAIM = timedelta(0)
    workdir = Path(tempfile.mkdtemp(prefix="payment-life-", dir=RAM if RAM.is_dir() else None))
    template = workdir / "template.sqlite3"
    shutil.copy(template_database, template)
    PaymentLife.world = built = World(template, workdir / "world")
    try:
        yield built
    finally:
        built.close()
        shutil.rmtree(workdir, ignore_errors=True)
        sync.STALE_START, sync.STALE_CLAIM, finalise.STALE_CLAIM = saved


def run(sequences: int, steps: int = STEPS, **options) -> None:
    run_state_machine_as_test(PaymentLife, settings=settings(
        max_examples=sequences, stateful_step_count=steps, deadline=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], **options))
