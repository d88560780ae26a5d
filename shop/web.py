"""How views answer: the same rules for every component (DESIGN.md §7).

Plain request: flash + 303 redirect. htmx request: the component's partial, with
the flash messages swapped out of band. Validation error: 422 with the form
re-rendered. Domain conflict: 409 with an inline message.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, flash, redirect, render_template, request
from werkzeug.routing import IntegerConverter


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page_or_partial(page: str, partial: str, *, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render the whole page, or only the component for htmx."""
    return render_template(partial if is_htmx() else page, **context), status


def done(message: str | None, redirect_to: str, partial: str | None = None, *,
         category: str = "success", **context: Any) -> Response | tuple[str, int]:
    """A successful action: the updated component for htmx, a redirect otherwise."""
    if message:
        flash(message, category)
    if is_htmx() and partial:
        return render_template(partial, oob_flashes=True, **context), 200
    return redirect(redirect_to, code=303)


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site relative paths: no scheme, no host, no protocol-relative //, no control characters
    (CR/LF would break the Location header)."""
    if not target or any(ord(character) < 32 or ord(character) == 127 for character in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
        and "\\" not in target


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` only matches ids the database's integer columns can hold: a longer number is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter  # before any blueprint adds its rules

    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL text cannot hold NUL: a query with one would fail with a server error."""
        fields = (value for data in (request.args, request.form) for values in data.listvalues() for value in values)
        if "\x00" in request.path or any("\x00" in value for value in fields):
            abort(400)

    @app.after_request
    def vary_on_htmx(response: Response) -> Response:
        response.vary.add("HX-Request")
        return response

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(500)
    def server_error(_error):
        return render_template("errors/500.html"), 500

    @app.errorhandler(413)
    def too_large(_error):
        """MAX_CONTENT_LENGTH: Werkzeug refuses the body before anyone reads it."""
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return render_template("errors/413.html", max_megabytes=max(limit // (1024 * 1024), 1)), 413

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/400.html", reason=getattr(error, "description", "")), 400
