"""Sent e-mails: the outbox as the merchant sees it (all of it, and per order on the order page).

Without a mail server (SMTP_HOST unset) nothing leaves the shop: every row shows as not delivered,
rendered as it would be sent. "Try again now" makes a waiting or given-up e-mail due at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from flask import abort, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import select

from shop.db import db
from shop.mail.kinds import KIND_LABELS
from shop.mail.render import render_message, sender_address
from shop.mail.sender import MAX_ATTEMPTS
from shop.models import OUTBOX_STATUSES, Order, OutboxMessage, utcnow
from shop.web import done

from . import bp
from .common import NAV, NavItem, render
from .orders import ORDER_PAGE_CONTEXT
from .payment_links import OFFERED_CHANNELS

PER_PAGE = 50
LIST_PAGE = "admin/mail/list.html"
TABLE = "admin/mail/_table.html"
DETAIL_PAGE = "admin/mail/detail.html"
DELIVERY = "admin/mail/_delivery.html"

STATUS_FILTERS = {"pending": _l("Not delivered yet"), "sent": _l("Sent"), "failed": _l("Given up")}


@dataclass(frozen=True)
class Delivery:
    """What happened to one e-mail, in the merchant's words."""

    state: str  # sent, waiting, retrying, failed, no_server
    label: str

    @property
    def delivered(self) -> bool:
        return self.state == "sent"


def delivery(message: OutboxMessage) -> Delivery:
    if message.status == "sent":
        return Delivery("sent", _("Sent"))
    if message.status == "failed":
        return Delivery("failed", _("Not delivered: given up after %(count)d tries", count=message.attempts))
    if not current_app.config.get("SMTP_HOST"):
        return Delivery("no_server", _("Not delivered: no mail server is configured (SHOP_SMTP_HOST)"))
    if message.attempts:
        return Delivery("retrying", _("Not delivered yet: %(count)d failed tries", count=message.attempts))
    return Delivery("waiting", _("Not delivered yet: waiting to be sent"))


def _status_filter() -> str:
    status = request.args.get("status", "")
    return status if status in OUTBOX_STATUSES else ""


def _page() -> int:
    page = request.args.get("page", "")
    return int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1


@bp.get("/mail")
def mail_list():
    session = db()
    status = _status_filter()
    conditions = [OutboxMessage.status == status] if status else []
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(*conditions)).one()
    pages = max(ceil(total / PER_PAGE), 1)
    page = min(_page(), pages)
    rows = session.exec(select(OutboxMessage, Order.number).outerjoin(Order, Order.id == OutboxMessage.order_id)
                        .where(*conditions).order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
                        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render(LIST_PAGE, TABLE, rows=rows, total=total, page_number=page, pages=pages, chosen_status=status,
                  status_filters=STATUS_FILTERS, mail_sender=sender_address(), **_common())


@bp.get("/mail/<int:message_id>")
def mail_message(message_id: int):
    message = db().get(OutboxMessage, message_id) or abort(404)
    order = db().get(Order, message.order_id) if message.order_id else None
    return render(DETAIL_PAGE, DELIVERY, mail=message, order=order, rendered=render_message(message),
                  **_common())


@bp.post("/mail/<int:message_id>/retry")
def mail_retry(message_id: int):
    session = db()
    message = session.get(OutboxMessage, message_id) or abort(404)
    if message.status != "sent":
        message.status, message.next_attempt_at = "pending", utcnow()
        if message.attempts >= MAX_ATTEMPTS:
            message.attempts = 0  # a fresh series of tries
        session.add(message)
        session.commit()
        g.mail_queued = True  # the background sender runs after this response (shop/mail/background.py)
    context = {"mail": message, **_common()}
    return done(_("The e-mail will be sent again now.") if message.status != "sent" else None,
                url_for("admin.mail_message", message_id=message.id), DELIVERY, **context)


def _common() -> dict[str, Any]:
    return {"delivery": delivery, "mail_kind_labels": KIND_LABELS}


def order_mail(order: Order) -> dict[str, Any]:
    """The order page's "E-mails" card."""
    messages = db().exec(select(OutboxMessage).where(OutboxMessage.order_id == order.id)
                         .order_by(OutboxMessage.id)).all()
    return {"order_mail": messages, **_common()}


ORDER_PAGE_CONTEXT.append(order_mail)
if "shop_email" not in OFFERED_CHANNELS:  # the outbox sends payment links (or keeps them, without a mail server)
    OFFERED_CHANNELS.insert(1, "shop_email")
NAV.append(NavItem(_l("Sent e-mails"), "admin.mail_list"))
