"""Delivery from the outbox: SMTP down and back, backoff, a crashed sender's lease, refusals, no mail server."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shop.db import new_session
from shop.mail import sender
from shop.mail.sender import claim_next, retry_delay
from shop.models import utcnow
from tests.klarna_fixtures import make_order, paid_payment
from tests.mail_fixtures import delivered, parts

from .conftest import outbox


@pytest.fixture
def confirmed_order(app, db_session, simulator, gateway):
    """A Klarna order confirmed by the shopper's return: its confirmation is in the outbox."""
    with app.app_context():
        order = make_order(db_session, version_code="fi", email="asiakas@example.fi")
        paid_payment(db_session, simulator, gateway, order)
    return order


def test_confirmation_is_queued_when_klarna_reserves_the_payment(db_session, confirmed_order):
    [queued] = outbox(db_session, confirmed_order)
    assert (queued.kind, queued.recipient, queued.language, queued.status, queued.attempts) == (
        "order_confirmation", "asiakas@example.fi", "fi", "pending", 0)
    assert queued.context["payment"]["option"] and queued.context["order"]["number"] == confirmed_order.number


def test_with_smtp_down_mail_stays_in_the_outbox_and_goes_out_once_smtp_is_back(app, db_session, smtp_server,
                                                                                 confirmed_order):
    smtp_server.stop()
    started = utcnow()
    report = delivered(app, now=started)
    assert (report.sent, report.retrying) == (0, 1)
    [waiting] = outbox(db_session, confirmed_order)
    assert (waiting.status, waiting.attempts, waiting.claimed_until) == ("pending", 1, None)
    assert "Connection refused" in waiting.last_error or "ConnectionRefused" in waiting.last_error
    assert abs((waiting.next_attempt_at.replace(tzinfo=None) - started.replace(tzinfo=None))
               - retry_delay(1)) < timedelta(seconds=1)

    smtp_server.start()
    assert delivered(app, now=started + timedelta(seconds=30)).sent == 0  # not due before its retry time
    assert smtp_server.messages == []
    assert delivered(app, now=started + retry_delay(1) + timedelta(seconds=1)).sent == 1

    [message] = smtp_server.messages
    assert message["To"] == "asiakas@example.fi" and confirmed_order.number in message["Subject"]
    assert message["Subject"] == f"Kiitos tilauksestasi {confirmed_order.number}"
    [sent] = outbox(db_session, confirmed_order)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    assert message["Message-ID"] == sent.message_id
    assert delivered(app, now=started + timedelta(days=1)).sent == 0  # sent once


def test_retries_back_off_exponentially_and_give_up_after_the_last_try():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(30) == sender.LAST_RETRY


def test_a_row_that_keeps_failing_is_given_up(app, db_session, smtp_server, confirmed_order):
    smtp_server.stop()
    moment = utcnow()
    for _ in range(sender.MAX_ATTEMPTS):
        delivered(app, now=moment)
        moment += sender.LAST_RETRY
    [failed] = outbox(db_session, confirmed_order)
    assert (failed.status, failed.attempts) == ("failed", sender.MAX_ATTEMPTS)
    smtp_server.start()
    assert delivered(app, now=moment + timedelta(days=1)).sent == 0


def test_a_crashed_sender_loses_no_mail_and_its_claim_lapses(app, db_session, smtp_server, confirmed_order):
    now = utcnow()
    with app.app_context(), new_session(app) as crashed:
        assert claim_next(crashed, now) is not None  # claimed, then the process died before sending
    assert delivered(app, now=now + timedelta(minutes=1)).sent == 0  # still claimed: nobody sends it twice
    assert smtp_server.messages == []
    assert delivered(app, now=now + sender.LEASE + timedelta(seconds=1)).sent == 1
    assert len(smtp_server.messages) == 1


def test_a_refused_recipient_fails_the_row_without_retries(app, db_session, smtp_server, confirmed_order):
    smtp_server.inbox.refused.add("asiakas@example.fi")
    report = delivered(app)
    assert (report.sent, report.failed) == (0, 1)
    [failed] = outbox(db_session, confirmed_order)
    assert failed.status == "failed" and "550" in failed.last_error


def test_without_a_mail_server_the_outbox_keeps_the_mail(app, db_session, smtp_server, confirmed_order):
    app.config["SMTP_HOST"] = ""
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "SHOP_SMTP_HOST is not set" in result.output
    [kept] = outbox(db_session, confirmed_order)
    assert (kept.status, kept.attempts) == ("pending", 0)
    assert smtp_server.messages == []


def test_the_cron_command_sends_what_is_due(app, db_session, smtp_server, confirmed_order):
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "Sent 1" in result.output, result.output
    text, html = parts(smtp_server.messages[0])
    assert confirmed_order.number in text and confirmed_order.number in html
    assert "Maksa myöhemmin" in text


def test_mail_is_sent_after_the_response_in_the_background(app, client, db_session, smtp_server):
    from tests.storefront.conftest import add_to_cart, product
    from tests.storefront.test_checkout import checkout

    app.config["MAIL_SEND_IN_BACKGROUND"] = True
    assert add_to_cart(client, "sv", product(db_session, "rain-jacket"), 1).status_code == 303
    response = checkout(client, db_session, method="Bank transfer", code="sv")
    assert response.status_code == 303
    background = app.extensions["mail_background_sender"]
    try:
        response.close()  # the server closes the response once it is sent; then the thread is woken
        assert background.idle.wait(10), "the background sender did not finish"
    finally:
        background.stop()
    [message] = smtp_server.messages
    assert message["Subject"].startswith("Tack för din beställning")
    assert [m.status for m in outbox(db_session)] == ["sent"]


def test_an_enqueued_row_rolls_back_with_its_cause(app, db_session):
    from shop.mail.outbox import enqueue

    with app.app_context():
        enqueue(db_session, "staff_alert", "shop@example.com", language="fi", context={"title": "x", "message": "y"})
        db_session.flush()
        db_session.rollback()
    assert outbox(db_session) == []
