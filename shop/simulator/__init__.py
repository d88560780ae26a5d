"""An offline Klarna: Payments, Hosted Payment Page and Order Management APIs, the hosted page,
a merchant portal, a movable clock and fault switches. Shares no code with the rest of the shop.

    from shop.simulator import create_app
    app = create_app({"SIMULATOR_ACCOUNTS": {"PK_demo_12345": "demo-shared-secret"}})
    sim = app.extensions["klarna_simulator"]      # core.Simulator
    session.mount("http://klarna.simulator/", SimulatorAdapter(app))   # shop.simulator.transport

    sim.clock.advance(days=29)                     # authorization expiry is evaluated on access
    sim.faults.set("create_capture", "timeout_after", times=1)   # or "403_payment_method_failed", "503", ...
    sim.complete_hpp_session(hpp_session_id, category="PAY_OVER_TIME")
    sim.get_order(order_id); sim.accounts.add("PK_x_1", "secret"); sim.reset()

Pages: the hosted payment page at /hpp/payments/<id> (open to shoppers), the merchant portal at
/portal/ and JSON switches at /_simulator/faults and /_simulator/clock (staff only: a simulator
account's Basic-auth credentials, or whoever SIMULATOR_STAFF_GUARD lets in; see access.py).

Standalone: `flask --app shop.simulator run`, configured by the environment variables
SIMULATOR_ACCOUNTS ("user:secret,user2:secret2"), SIMULATOR_STORAGE, SIMULATOR_PUBLIC_URL.
"""
from __future__ import annotations

import os
import sys

from flask import Flask, redirect, url_for

DEMO_ACCOUNTS = {"PK_demo_12345": "demo-shared-secret"}
DEFAULTS = {
    "SIMULATOR_ACCOUNTS": None,          # username -> shared secret; None seeds the demo account
    "SIMULATOR_PUBLIC_URL": None,        # browser-facing base URL (incl. prefix); None: the request's
    "SIMULATOR_STORAGE": None,           # SQLite file path; None keeps everything in memory
    "SIMULATOR_CALLBACK_SENDER": None,   # callable(url, json_body); None: background HTTP posts
    "SIMULATOR_AUTH_PERIOD_DAYS": 28,    # authorization period of new and extended orders
    "SIMULATOR_PAYMENT_CATEGORIES": None,  # {"SE": ["pay_later", ...], "*": [...]}; None: the three
    "SIMULATOR_FAULT_SLEEP_SECONDS": 30,   # how long a timeout fault holds a socket client
    "SIMULATOR_STAFF_GUARD": None,       # callable() -> None or a refusal; None: simulator accounts only
    "SIMULATOR_SECRET_KEY": None,        # signs the portal's session and CSRF tokens; None: random per start
}


def _from_environment() -> dict:
    from .store import parse_accounts

    config = {}
    if os.environ.get("SIMULATOR_ACCOUNTS"):
        config["SIMULATOR_ACCOUNTS"] = parse_accounts(os.environ["SIMULATOR_ACCOUNTS"])
    for name in ("SIMULATOR_STORAGE", "SIMULATOR_PUBLIC_URL", "SIMULATOR_SECRET_KEY"):
        if os.environ.get(name):
            config[name] = os.environ[name]
    for name in ("SIMULATOR_AUTH_PERIOD_DAYS", "SIMULATOR_FAULT_SLEEP_SECONDS"):
        if os.environ.get(name):
            config[name] = float(os.environ[name]) if "SECONDS" in name else int(os.environ[name])
    return config


def create_app(config: dict | None = None) -> Flask:
    from . import access, control, faults, hosted_page, hpp_api, om_api, payments_api, portal, wire
    from .core import Simulator

    standalone = config is None
    settings = {**DEFAULTS, **(_from_environment() if standalone else config)}
    if isinstance(settings["SIMULATOR_ACCOUNTS"], str):
        from .store import parse_accounts

        settings["SIMULATOR_ACCOUNTS"] = parse_accounts(settings["SIMULATOR_ACCOUNTS"])
    if settings["SIMULATOR_ACCOUNTS"] is None:
        settings["SIMULATOR_ACCOUNTS"] = dict(DEMO_ACCOUNTS)
        if standalone:
            print("Klarna simulator account: PK_demo_12345 / demo-shared-secret", file=sys.stderr)

    app = Flask(__name__, static_folder=None)
    app.config.update(settings)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # Klarna answers 413 above 1 MB
    app.json.sort_keys = False
    app.extensions["klarna_simulator"] = Simulator(app.config)

    faults.install(app, app.extensions["klarna_simulator"].faults)
    wire.install(app)
    for blueprint in (payments_api.bp, hpp_api.bp, om_api.bp, hosted_page.bp, portal.bp, control.bp):
        app.register_blueprint(blueprint)
    access.install(app, apis=(payments_api.bp, hpp_api.bp, om_api.bp), open_pages=(hosted_page.bp,))

    @app.get("/")
    def home():
        return redirect(url_for("portal.index"))

    return app


__all__ = ["create_app"]
