"""Needs attention: the admin's first page, the order page's alerts, and the callback health banner."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from shop.db import db
from shop.models import Order, StaffAlert
from shop.payments.alerts import dismiss
from shop.payments.callback_health import CallbackHealth, callback_health
from shop.web import done

from . import bp
from . import orders as order_pages
from .attention_rows import attention_rows, order_alerts, order_holds
from .common import NAV, ORDER_EVENT_LABELS, NavItem, render
from .history import stored_text
from .payment_panel import EVENT_LABELS

PAGE = "admin/attention/page.html"
TABLE = "admin/attention/_table.html"
CALLBACK_CAUSES = {
    "unreachable": _l("Klarna cannot reach the shop's public address (SHOP_PUBLIC_URL is not set, not public, "
                      "or blocked by a firewall or proxy)."),
    "https": _l("The shop's public address is not HTTPS; Klarna sends status callbacks only to HTTPS addresses."),
    "maintenance": _l("The shop answered Klarna's calls with an error (maintenance, or Klarna could not be read "
                      "back at the time)."),
}


@dataclass(frozen=True)
class HomeNavItem(NavItem):
    """/admin/ is current on itself only, not on every page below it."""

    def is_current(self) -> bool:
        return request.path == url_for(self.endpoint)


@bp.get("/")
def home():
    return render(PAGE, TABLE, rows=attention_rows(db()))


@bp.post("/alerts/<int:alert_id>/dismiss")
def dismiss_alert(alert_id: int):
    session = db()
    alert = session.get(StaffAlert, alert_id) or abort(404)
    dismiss(session, alert, actor=current_user.email)
    session.commit()
    return done(_("Notice dismissed."), url_for("admin.home"), TABLE, rows=attention_rows(session))


def current_callback_health() -> CallbackHealth:
    """Once per request: every admin page shows the banner."""
    if "callback_health" not in g:
        g.callback_health = callback_health(db(), current_app.config.get("PUBLIC_URL"))
    return g.callback_health


@bp.context_processor
def attention_context() -> dict[str, Any]:
    def banner() -> str | None:
        if not current_user.is_authenticated:
            return None
        health = current_callback_health()
        return None if health.ok else str(CALLBACK_CAUSES[health.cause])

    return {"callback_problem": banner, "alert_text": lambda alert: stored_text(alert.message,
                                                                                alert.data.get("message_args"))}


def order_page_alerts(order: Order) -> dict[str, Any]:
    session = db()
    return {"order_alerts": order_alerts(session, order), "order_holds": order_holds(session, order)}


order_pages.ORDER_PAGE_CONTEXT.append(order_page_alerts)
NAV.insert(0, HomeNavItem(_l("Needs attention"), "admin.home"))
for _kind, _label in {
    "fraud_rejected": _l("Klarna rejected the payment"),
    "late_authorization_cancelled": _l("Late payment cancelled"),
    "late_authorization_not_cancelled": _l("Late payment not cancelled"),
    "klarna_callback_failed": _l("Klarna callback answered with an error"),
}.items():
    ORDER_EVENT_LABELS.setdefault(_kind, _label)
for _kind, _label in {"capture_on_hold": _l("Payment on hold"), "hold_released": _l("No longer on hold")}.items():
    EVENT_LABELS.setdefault(_kind, _label)
