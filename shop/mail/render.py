"""Rendering an outbox row: subject, plain text and HTML, in the row's language (Flask-Babel force_locale)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, format_datetime, gettext

from shop.i18n import money
from shop.models import OutboxMessage
from shop.payments.options import option_label

from .kinds import subject_msgid


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def shop_details() -> dict[str, str]:
    config = current_app.config
    return {"name": config["MERCHANT_NAME"], "email": config["MERCHANT_EMAIL"], "phone": config["MERCHANT_PHONE"],
            "address": config["MERCHANT_ADDRESS"], "url": (config.get("PUBLIC_URL") or "").rstrip("/")}


def sender_address() -> str:
    config = current_app.config
    return config.get("MAIL_SENDER") or f"{config['MERCHANT_NAME']} <{config['MERCHANT_EMAIL']}>"


def _klarna_option(payment: dict[str, Any]) -> str:
    return option_label(payment.get("option"), payment.get("option_description")) if payment else ""


def _moment(iso: str | None) -> str:
    return format_datetime(datetime.fromisoformat(iso), "medium") if iso else ""


def _argument(value: Any) -> Any:
    """History-style placeholder values (shop.i18n_markers): an amount is formatted, a label code shown as is."""
    if isinstance(value, dict) and "money" in value:
        return money(value["money"], value.get("currency") or "")
    if isinstance(value, dict) and "label" in value:
        return value.get("value") or ""
    return value


def _translate_texts(context: dict[str, Any]) -> None:
    """Texts queued as msgids (a staff alert's title and message) read in the row's language."""
    args = {key: _argument(value) for key, value in (context.get("message_args") or {}).items()}
    for key in ("title", "message"):
        if context.get(key):
            context[key] = gettext(context[key], **args)


def render_message(message: OutboxMessage) -> Rendered:
    """Render a queued row; a row already sent shows what went out."""
    if message.status == "sent" and message.subject:
        return Rendered(message.subject, message.body_text, message.body_html)
    shop = shop_details()
    context = dict(message.context)
    number = (context.get("order") or {}).get("number", "")
    with force_locale(message.language):
        _translate_texts(context)
        subject = gettext(subject_msgid(message.kind, context), number=number, shop=shop["name"],
                          title=context.get("title", ""))
        values = {**context, "shop": shop, "subject": subject, "language": message.language,
                  "klarna_option": _klarna_option(context.get("payment") or {}), "moment": _moment}
        text = render_template(f"mail/{message.kind}.txt", **values)
        html = render_template(f"mail/{message.kind}.html", **values)
    return Rendered(subject, text.strip() + "\n", html)
