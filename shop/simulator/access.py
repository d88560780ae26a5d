"""Who may use the portal and the control API: Klarna staff, not whoever reaches the simulator.

Staff are either a simulator account's own credentials (HTTP Basic, for scripts and the standalone
simulator) or whoever the embedding application's guard lets in (the shop passes one that asks for
its admin login). A guard is a callable without arguments, run inside the simulator's request:
it returns None to let the request through, or the response to answer instead (a redirect to a
login page, say).

Pages with cookies need CSRF tokens on their forms (Flask-WTF, the simulator's own session);
Basic-auth clients send no cookies and need none. The hosted payment page and Klarna's APIs stay
open as Klarna's are.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

STAFF_GUARD = "SIMULATOR_STAFF_GUARD"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REALM = 'Basic realm="Klarna simulator", charset="UTF-8"'
# The pages' one stylesheet is inline, allowed by a per-response nonce; nothing else inline, no framing.
CONTENT_SECURITY_POLICY = {"default-src": "'self'", "style-src": "'self'", "img-src": ["'self'", "data:"], "object-src": "'none'",
                           "base-uri": "'self'", "frame-ancestors": "'none'"}


def install(app: Flask, apis: tuple[Blueprint, ...], open_pages: tuple[Blueprint, ...]) -> None:
    """CSRF for every form of the simulator but Klarna's own APIs and hosted page; security headers on
    its pages (Klarna's JSON answers stay as Klarna sends them: an idempotent replay is byte for byte)."""
    app.config["SECRET_KEY"] = app.config.get("SIMULATOR_SECRET_KEY") or secrets.token_urlsafe(32)
    app.config["SESSION_COOKIE_NAME"] = "klarna_simulator_session"  # the embedding app has its own
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # staff_only() decides: Basic-auth clients need no token
    csrf = CSRFProtect(app)
    Talisman(app, force_https=False, content_security_policy=CONTENT_SECURITY_POLICY,
             content_security_policy_nonce_in=["style-src"], frame_options="DENY",
             session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")), session_cookie_samesite="Lax")
    for blueprint in (*apis, *open_pages):
        csrf.exempt(blueprint)
    api_names = {blueprint.name for blueprint in apis}
    for endpoint, view in app.view_functions.items():
        if endpoint.split(".")[0] in api_names:
            view.talisman_view_options = {"content_security_policy": None}


def staff_only(blueprint: Blueprint, *, answer_json: bool) -> None:
    """Refuse anyone but staff on every route of `blueprint`; check CSRF for cookie users."""

    @blueprint.before_request
    def _require_staff():
        if _basic_auth_account() is not None:
            return None
        guard = current_app.config.get(STAFF_GUARD)
        refusal = guard() if guard is not None else _ask_for_credentials(answer_json)
        if refusal is not None:
            return _ask_for_credentials(True) if answer_json else refusal
        if request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            current_app.extensions["csrf"].protect()
        return None


def _basic_auth_account() -> dict | None:
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return None
    return current_app.extensions["klarna_simulator"].accounts.authenticate(auth.username, auth.password)


def _ask_for_credentials(answer_json: bool):
    headers = {"WWW-Authenticate": REALM}
    if answer_json:
        return jsonify({"error": "staff only: log in to the shop's admin or use a simulator account"}), 401, headers
    return "Klarna simulator staff only: log in to the shop's admin, or use a simulator account.", 401, headers
