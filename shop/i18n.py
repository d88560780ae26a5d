"""Languages: storefront follows the shop version, admin follows the user's choice."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, g, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale
from flask_login import current_user

from .i18n_formats import money_text, percent_text

LANGUAGES = ("fi", "sv", "en")


def select_locale() -> str:
    version = g.get("shop_version")
    if version is not None:
        return version.language
    if request and (request.blueprint == "admin" or g.get("admin_error_page")):
        if current_user.is_authenticated and current_user.locale in LANGUAGES:
            return current_user.locale
        chosen = session.get("admin_locale")
        if chosen in LANGUAGES:
            return chosen
    from flask import current_app

    return current_app.config.get("ADMIN_DEFAULT_LOCALE", "fi")


def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return "–"
    return money_text(amount, currency, _locale_name())


def percent(rate: int) -> str:
    """Hundredths of a percent, shown the locale's way: 2550 -> 25,5 %."""
    return percent_text(rate, _locale_name())


def _locale_name() -> str:
    return str(get_locale() or "en")


def date(value: datetime | None) -> str:
    return format_date(value) if value else "–"


def datetime_filter(value: datetime | None) -> str:
    return format_datetime(value, "short") if value else "–"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Helsinki")
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    # One Babel per app: its translation cache then belongs to this app alone.
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(money=money, percent=percent, date=date, datetime=datetime_filter)
    app.jinja_env.globals.update(get_locale=get_locale, LANGUAGES=LANGUAGES)
