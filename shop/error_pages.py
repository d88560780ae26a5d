"""Error pages (400, 404, 413, 429, 500) in the layout of the area the request was in, and never failing.

An area (the admin, the storefront) registers how it takes a request in and which layout it shows;
the default area takes whatever no other area claims. A page that cannot show its area's layout (the
database is down, say) is shown plain, and if even that fails, as text.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, Response, current_app, g, render_template, url_for
from flask_babel import gettext, refresh as refresh_locale

from .i18n_markers import N_

log = logging.getLogger(__name__)

PLAIN_LAYOUT = "base.html"
LAST_RESORT = N_("Sorry, this page is not available right now. Please try again in a moment.")


@dataclass(frozen=True)
class ErrorArea:
    blueprint: str  # whose template context processors the page gets
    layout: str
    home_endpoint: str  # where the page's "front page" link leads
    enter: Callable[[], bool]  # takes the request into the area when it belongs there (and can be shown)
    default: bool = False


def register_area(app: Flask, area: ErrorArea) -> None:
    app.extensions.setdefault("error_areas", []).append(area)


def error_page(template: str, status: int, **context: Any) -> tuple[str, int] | Response:
    try:
        return render_template(template, **_area_context(), **context), status
    except Exception:  # the error page must not fail: show it without the area's layout
        log.exception("the %d page could not be shown in its layout", status)
    _discard_failed_transaction()
    try:
        return render_template(template, error_layout=PLAIN_LAYOUT, **context), status
    except Exception:
        log.exception("the plain %d page could not be shown", status)
        return Response(_last_resort_text(), status, mimetype="text/plain")


def _last_resort_text() -> str:
    try:
        return gettext(LAST_RESORT)
    except Exception:  # not even the translations: English
        return LAST_RESORT


def _area_context() -> dict[str, Any]:
    areas = sorted(current_app.extensions.get("error_areas", []), key=lambda area: area.default)
    area = next((area for area in areas if area.enter()), None)
    if area is None:
        return {"error_layout": PLAIN_LAYOUT}
    home_url = url_for(area.home_endpoint)
    refresh_locale()  # the area may have chosen the language (a shop version, the admin's)
    context: dict[str, Any] = {}
    for processor in current_app.template_context_processors.get(area.blueprint, ()):
        context.update(processor())  # an unmatched URL belongs to no blueprint: Flask did not run them
    return {**context, "error_layout": area.layout, "error_home_url": home_url}


def _discard_failed_transaction() -> None:
    session = g.get("db_session")
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # the database is gone: the plain page needs none
        log.warning("could not roll back the failed request's transaction", exc_info=True)


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error):
        return error_page("errors/404.html", 404)

    @app.errorhandler(500)
    def server_error(_error):
        return error_page("errors/500.html", 500)

    @app.errorhandler(413)
    def too_large(_error):
        """MAX_CONTENT_LENGTH: Werkzeug refuses the body before anyone reads it."""
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return error_page("errors/413.html", 413, max_megabytes=max(limit // (1024 * 1024), 1))

    @app.errorhandler(400)
    def bad_request(error):
        return error_page("errors/400.html", 400, reason=getattr(error, "description", ""))
