"""Delivering the outbox: claim a row, send it over SMTP with Flask-Mailman, record the outcome at once.

Safe with several workers and machines: a row is claimed with a lease (FOR UPDATE SKIP LOCKED
on PostgreSQL, a conditional UPDATE elsewhere) and committed before it is sent, and marked sent
in its own commit right after the SMTP server accepted it. A sender that dies in between leaves
a claim that lapses after LEASE; the row is then sent again with the same Message-ID.
SMTP errors are retried with exponential backoff; a refused recipient, or MAX_ATTEMPTS tries, fail the row.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from shop.models import OutboxMessage, utcnow

from .render import render_message, sender_address

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than one SMTP conversation can take (its timeout is 30 s)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 10  # about a day and a half of tries


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    configured: bool = True


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th ... failed try, at most LAST_RETRY."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LAST_RETRY)


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _due(now: datetime):
    return and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))  # type: ignore[union-attr]


def claim_next(session: Session, now: datetime) -> OutboxMessage | None:
    """Take one due row for LEASE; None when nothing is due (or everything due is being sent)."""
    query = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    if session.get_bind().dialect.name == "postgresql":
        candidates = session.exec(query.limit(1).with_for_update(skip_locked=True)).all()
    else:
        candidates = session.exec(query.limit(10)).all()
    for message_id in candidates:
        claimed = session.exec(  # type: ignore[call-overload]
            update(OutboxMessage).where(OutboxMessage.id == message_id, _due(now))
            .values(claimed_until=now + LEASE)
        )
        if claimed.rowcount == 1:
            session.commit()
            return session.get(OutboxMessage, message_id, populate_existing=True)
    session.commit()
    return None


def send_due(session: Session, *, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Deliver what is due now. Without SMTP_HOST nothing is sent: the outbox keeps every message."""
    report = SendReport(configured=smtp_configured())
    if not report.configured:
        return report
    connection = current_app.extensions["mailman"].get_connection()
    try:
        for _ in range(limit):
            moment = now or utcnow()
            message = claim_next(session, moment)
            if message is None:
                break
            if not _deliver(session, message, connection, moment, report):
                break  # the server is unreachable: the rest waits for the next run
    finally:
        _close(connection)
    return report


def _deliver(session: Session, message: OutboxMessage, connection, now: datetime, report: SendReport) -> bool:
    """Send one claimed row; False when the SMTP server could not be reached."""
    try:
        rendered = render_message(message)
    except Exception as error:  # a template that cannot render will not render on the next try either
        log.exception("e-mail %s could not be rendered", message.id)
        _failed(session, message, f"rendering failed: {error}", report)
        return True
    email = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, from_email=sender_address(), to=[recipient_of(message)],
        reply_to=[current_app.config["MERCHANT_EMAIL"]],  # answers reach the shop, whatever sends its mail
        connection=connection, headers={"Message-ID": message.message_id, "Content-Language": message.language},
    )
    email.attach_alternative(rendered.html, "text/html")
    try:
        connection.open()  # once per run: the next e-mails go over the same SMTP session
        email.send()
    except OSError as error:  # smtplib's errors are OSErrors too
        _close(connection)
        if _permanent(error):
            _failed(session, message, _describe(error), report)
            return True
        _retry_later(session, message, _describe(error), now, report)
        return not _unreachable(error)
    _sent(session, message, rendered, report)
    return True


def recipient_of(message: OutboxMessage) -> str:
    """A row queued for the shop itself without a known address (a staff alert outside the app) goes to MERCHANT_EMAIL."""
    return message.recipient or current_app.config["MERCHANT_EMAIL"]


def _sent(session: Session, message: OutboxMessage, rendered, report: SendReport) -> None:
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message.id).values(  # type: ignore[call-overload]
        status="sent", sent_at=utcnow(), attempts=OutboxMessage.attempts + 1, claimed_until=None, last_error="",
        subject=rendered.subject[:300], body_text=rendered.text, body_html=rendered.html,
    ))
    session.commit()
    report.sent += 1


def _retry_later(session: Session, message: OutboxMessage, error: str, now: datetime, report: SendReport) -> None:
    attempts = message.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _failed(session, message, error, report)
        return
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message.id).values(  # type: ignore[call-overload]
        attempts=attempts, next_attempt_at=now + retry_delay(attempts), claimed_until=None, last_error=error[:2000],
    ))
    session.commit()
    report.retrying += 1
    report.errors.append(f"e-mail {message.id}: {error}")
    log.warning("e-mail %s not delivered (try %d): %s", message.id, attempts, error)


def _failed(session: Session, message: OutboxMessage, error: str, report: SendReport) -> None:
    session.exec(update(OutboxMessage).where(OutboxMessage.id == message.id).values(  # type: ignore[call-overload]
        status="failed", attempts=OutboxMessage.attempts + 1, claimed_until=None, last_error=error[:2000],
    ))
    session.commit()
    report.failed += 1
    report.errors.append(f"e-mail {message.id}: {error}")
    log.error("e-mail %s given up: %s", message.id, error)


def _permanent(error: OSError) -> bool:
    """The server refused every recipient for good (5xx): trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _reply in error.recipients.values())
    return False


def _unreachable(error: OSError) -> bool:
    return isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, smtplib.SMTPAuthenticationError,
                              smtplib.SMTPSenderRefused)) \
        or not isinstance(error, smtplib.SMTPException)


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
                         for address, (code, reply) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {detail}"
    return f"{type(error).__name__}: {error}"


def _close(connection) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        pass
