"""What guards every request: response headers (Flask-Talisman), rate limits (Flask-Limiter),
the client address behind a proxy, and a refusal to start with the simulator on in production."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask import Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from .error_pages import error_page

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",  # htmx from static/, configured for it in base.html: no inline script, no eval
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "strict-origin-when-cross-origin"


class UnsafeConfiguration(RuntimeError):
    pass


def looks_like_production(config: Mapping[str, Any]) -> bool:
    public_url = (config.get("PUBLIC_URL") or "").lower()
    database_url = (config.get("DATABASE_URL") or "").lower()
    return public_url.startswith("https://") or database_url.startswith("postgres")


def refuse_simulator_in_production(config: Mapping[str, Any]) -> None:
    """The simulator hands out Klarna orders to whoever reaches it: never by accident in production."""
    if config.get("SIMULATOR_ENABLED") and looks_like_production(config) \
            and not config.get("SIMULATOR_ALLOW_IN_PRODUCTION"):
        raise UnsafeConfiguration(
            "The Klarna simulator is on (SHOP_SIMULATOR_ENABLED) in a configuration that looks like production "
            "(an https SHOP_PUBLIC_URL or PostgreSQL). Turn it off, or set SHOP_SIMULATOR_ALLOW_IN_PRODUCTION=true.")


def init_app(app: Flask) -> None:
    if app.config.get("TRUSTED_PROXIES"):
        count = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    _keep_a_views_own_headers(app, lambda: Talisman(
        app, force_https=False, content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY", referrer_policy=REFERRER_POLICY,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    ))
    app.extensions["shop_limiter"] = _init_limiter(app)


def _keep_a_views_own_headers(app: Flask, install_talisman: Callable[[], Talisman]) -> None:
    """A page may be stricter than the default (the order confirmation sends no referrer: its URL is the
    order's key). Talisman sets its headers over the view's; these hooks around it put the view's back."""
    own = ("Referrer-Policy",)

    @app.after_request  # runs last: after request hooks run in the reverse order of registration
    def restore(response: Response) -> Response:
        for header, value in g.pop("own_security_headers", {}).items():
            response.headers[header] = value
        return response

    install_talisman()

    @app.after_request  # runs before Talisman's
    def remember(response: Response) -> Response:
        g.own_security_headers = {header: response.headers[header] for header in own if header in response.headers}
        return response


def _init_limiter(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on every 429
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "shop")
    limiter = Limiter(get_remote_address, app=app)

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(_error: RateLimitExceeded):
        return error_page("errors/429.html", 429)  # the limiter adds Retry-After afterwards

    return limiter


def limit(app: Flask, endpoint: str, limits: str, *, key: Callable[[], str] = get_remote_address,
          methods: tuple[str, ...] = ("POST",), deduct_when: Callable[[Response], bool] | None = None) -> None:
    """Rate-limit one registered view, per `key` (the client's address unless told otherwise)."""
    limiter: Limiter = app.extensions["shop_limiter"]
    view = app.view_functions[endpoint]
    scope = f"{endpoint}:{key.__name__}"  # one count per endpoint and key kind
    app.view_functions[endpoint] = limiter.limit(
        limits, key_func=key, methods=list(methods), deduct_when=deduct_when, scope=lambda _endpoint: scope,
    )(view)


def login_account() -> str:
    """The account a login attempt names: attempts at one account count together from anywhere."""
    return (request.form.get("email") or "").strip().lower()


def order_token() -> str:
    """Klarna's calls come from a few addresses for every order: count them per order instead."""
    return (request.view_args or {}).get("token", "")
