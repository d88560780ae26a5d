"""What every admin page shares: the navigation, status words, and how a view answers."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from shop.payments import states as payment_states
from shop.web import is_htmx

from . import bp
from .forms import LANGUAGE_NAMES, TAX_CLASS_LABELS
from .history import history_message


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy string
    endpoint: str
    group: str | None = None  # items of one group show under that group's heading

    def is_current(self) -> bool:
        """The item's page and the pages below it (/admin/products/12 belongs to Products)."""
        url = url_for(self.endpoint)
        return request.path == url or request.path.startswith(url.rstrip("/") + "/")


# Other parts append their own pages here (e.g. a Klarna settings page in the "settings" group).
NAV: list[NavItem] = [
    NavItem(_l("Orders"), "admin.orders"),
    NavItem(_l("Products"), "admin.products"),
    NavItem(_l("Categories"), "admin.categories"),
    NavItem(_l("Shipping"), "admin.shipping_methods"),
    NavItem(_l("Payment methods"), "admin.payment_methods", group="settings"),
    NavItem(_l("Shop versions"), "admin.shop_versions", group="settings"),
]
NAV_GROUPS = {"settings": _l("Settings")}

ORDER_STATUS_LABELS = {
    "awaiting_payment": _l("Awaiting payment"),
    "confirmed": _l("Confirmed"),
    "partially_shipped": _l("Partially shipped"),
    "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"),
    "abandoned": _l("Abandoned"),
}

# Other parts add the words for the events they write (payment events, say); unknown kinds show as they are,
# and tests/test_event_labels.py fails for a kind the shop writes without a word here.
ORDER_EVENT_LABELS = {
    "placed": _l("Order placed"),
    "awaiting_payment": _l("Awaiting payment"),
    "shipped": _l("Shipped"),
    "partially_shipped": _l("Partially shipped"),
    "cancelled": _l("Cancelled"),
    "abandoned": _l("Abandoned"),
}

PROVIDER_LABELS = {"manual": _l("Manual"), "klarna": _l("Klarna Payments")}


def wants_partial() -> bool:
    """An htmx swap wants the component; a history restore (also sent by htmx) wants the page."""
    return is_htmx() and request.headers.get("HX-History-Restore-Request") != "true"


def render(page: str, partial: str, *, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(partial if wants_partial() else page, **context), status


def go_to(url: str, message: str | None = None) -> Response:
    """After creating something: a full navigation, for htmx too (the URL must change)."""
    if message:
        flash(message, "success")
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def exchange_rate(rate: Decimal) -> str:
    """11.235000 -> "11,235" in Finnish: no trailing zeros, the locale's separator."""
    return format_decimal(rate.normalize(), format="#,##0.######")


def payment_label(payment) -> str:
    return payment_states.label(payment.state, payment.captured_amount, payment.refunded_amount)


@bp.app_template_filter("exchange_rate")
def _exchange_rate_filter(rate: Decimal) -> str:
    return exchange_rate(rate)


@bp.context_processor
def admin_context() -> dict[str, Any]:
    return {
        "admin_nav": [item for item in NAV if item.group is None],
        "admin_nav_groups": {key: (label, [item for item in NAV if item.group == key])
                             for key, label in NAV_GROUPS.items()},
        "order_status_labels": ORDER_STATUS_LABELS,
        "order_event_labels": ORDER_EVENT_LABELS,
        "provider_labels": PROVIDER_LABELS,
        "tax_class_labels": TAX_CLASS_LABELS,
        "language_names": LANGUAGE_NAMES,
        "payment_label": payment_label,
        "history_message": history_message,
    }
