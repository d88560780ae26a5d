"""Two senders on PostgreSQL at once: every e-mail of the outbox goes out exactly once."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.db import new_session
from shop.mail.messages import queue_staff_alert
from shop.mail.sender import claim_next, send_due
from shop.models import OutboxMessage, utcnow
from tests.mail_fixtures import smtp_app_overrides, smtp_server  # noqa: F401  (fixtures)
from tests.postgres.conftest import run_in_threads

pytestmark = pytest.mark.postgres

MESSAGES = 30


@pytest.fixture
def app_overrides(smtp_app_overrides):  # noqa: F811
    return smtp_app_overrides


def queue_alerts(app, count: int) -> None:
    with app.app_context(), new_session(app) as session:
        for number in range(count):
            queue_staff_alert(session, "Alert %(n)s", "Something to look at", message_args={"n": number})
        session.commit()


def test_two_concurrent_senders_send_each_email_once(pg_app, smtp_server):
    queue_alerts(pg_app, MESSAGES)

    def send(_index: int):
        with pg_app.app_context(), new_session(pg_app) as session:
            return send_due(session)

    reports = run_in_threads(2, send)

    assert sum(report.sent for report in reports) == MESSAGES
    assert len(smtp_server.messages) == MESSAGES
    assert len({message["Message-ID"] for message in smtp_server.messages}) == MESSAGES
    assert sorted(message["Subject"] for message in smtp_server.messages) == sorted(
        f"Nordshop: Alert {n}" for n in range(MESSAGES))
    with new_session(pg_app) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {row.status for row in rows} == {"sent"} and all(row.attempts == 1 for row in rows)


def test_a_row_locked_by_one_claim_is_skipped_by_another(pg_app):
    queue_alerts(pg_app, 2)
    now = utcnow()
    with pg_app.app_context(), new_session(pg_app) as first, new_session(pg_app) as second:
        locked = first.exec(select(OutboxMessage).order_by(OutboxMessage.id).limit(1).with_for_update()).one()
        claimed = claim_next(second, now)  # does not wait for the lock: takes the next row
        assert claimed is not None and claimed.id != locked.id
        first.rollback()
