"""Queueing e-mail: a row in the caller's transaction, delivered after it commits.

    from shop.mail.outbox import enqueue
    enqueue(session, "payment_link", order.email, order=order, language=language_of(order),
            context={"url": url, "expires_at": iso_time})

The row commits or rolls back with the change that caused it, so a crash loses no e-mail;
the sender (shop/mail/sender.py) delivers it afterwards. `dedupe_key` names the cause: a
second enqueue with the same key in the same order returns the first row instead.
"""
from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g, has_app_context
from sqlmodel import Session, select

from shop.models import Order, OutboxMessage

LANGUAGES = ("fi", "sv", "en")


def language_of(order: Order) -> str:
    """The order's language (its shop version's locale, e.g. fi-FI -> fi)."""
    language = (order.locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else "en"


def enqueue(session: Session, kind: str, to: str, *, order: Order | None = None, language: str,
            context: dict[str, Any], dedupe_key: str | None = None) -> OutboxMessage:
    """Add one e-mail to the outbox in the session's transaction; the caller commits.

    `kind` names the templates (templates/mail/<kind>.html and .txt, subject in shop/mail/kinds.py);
    `context` is what they need, JSON-serialisable and frozen now (money as minor units + currency).
    """
    if dedupe_key:
        existing = find_queued(session, dedupe_key)
        if existing is not None:
            return existing
    message = OutboxMessage(
        kind=kind, recipient=to.strip(), language=language if language in LANGUAGES else "en",
        order_id=order.id if order is not None else None, context=context, dedupe_key=dedupe_key,
        message_id=_message_id(),
    )
    session.add(message)
    if has_app_context():
        g.mail_queued = True  # wakes the background sender after this request (shop/mail/background.py)
    return message


def find_queued(session: Session, dedupe_key: str) -> OutboxMessage | None:
    for pending in session.new:  # queued in this very transaction, not flushed yet
        if isinstance(pending, OutboxMessage) and pending.dedupe_key == dedupe_key:
            return pending
    with session.no_autoflush:
        return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).first()


def _message_id() -> str:
    """Fixed when queued: every try of this row carries the same Message-ID, so a repeat is recognisable."""
    domain = "localhost"
    if has_app_context():
        sender = current_app.config.get("MAIL_SENDER") or current_app.config.get("MERCHANT_EMAIL") or ""
        domain = sender.rpartition("@")[2].strip(" >") or domain
    return f"<{uuid.uuid4().hex}@{domain}>"
