"""Browser tests: the real app served on a loopback port, driven by Debian's Chromium through playwright.

`playwright install` cannot download browsers here; the tests use /usr/bin/chromium
(`make chromium` installs it) and skip with a clear message when it is missing (in CI, CI=true,
they fail instead). A server-side exception during a test fails it, and a failed test leaves a
screenshot, the page's HTML and its console in test-artifacts/.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask, got_request_exception
from werkzeug.serving import BaseWSGIServer, make_server

from shop import create_app
from shop.db import new_session
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, app_config, copy_media

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000
ARTIFACTS = "test-artifacts"
PHASE_REPORTS = pytest.StashKey[dict]()


class _DeferredApp:
    """Lets the server bind its port before the app exists, so the app can know its own URL."""

    app: Flask | None = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    """The shop served by werkzeug in a daemon thread: `url`, `app`, and the server-side errors seen."""

    url: str
    app: Flask
    server: BaseWSGIServer
    errors: list[BaseException] = field(default_factory=list)

    def session(self):
        """A database session of its own, for arranging and asserting (close it, or use `with`)."""
        return new_session(self.app)

    def record_error(self, _sender: Any, exception: BaseException, **_extra: Any) -> None:
        self.errors.append(exception)


@pytest.fixture
def live_server_overrides() -> dict:
    """Override in a test module to change the live app's configuration."""
    return {}


@pytest.fixture
def live_server(template_database, tmp_path, live_server_overrides) -> Iterator[LiveServer]:
    database = tmp_path / "shop.sqlite3"
    shutil.copy(template_database, database)
    deferred = _DeferredApp()
    server = make_server(host="127.0.0.1", port=0, app=deferred, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    overrides = {"SIMULATOR_STORAGE": str(tmp_path / "sim.sqlite3"), "PUBLIC_URL": url,
                 "MEDIA_DIR": copy_media(template_database, tmp_path / "media"), **live_server_overrides}
    deferred.app = create_app(app_config(f"sqlite:///{database}", **overrides))
    live = LiveServer(url=url, app=deferred.app, server=server)
    got_request_exception.connect(live.record_error, deferred.app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name=f"live-server-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        got_request_exception.disconnect(live.record_error, deferred.app)
        deferred.app.extensions["shop_engine"].dispose()
    if live.errors:
        pytest.fail("the live server raised during the test: "
                    + "; ".join(f"{type(e).__name__}: {e}" for e in live.errors), pytrace=False)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium not found at {CHROMIUM}: browser tests skipped (`make chromium` installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; in CI they must run", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context_options() -> dict:
    """Override in a test module to open the page's browser context with other options."""
    return {}


@pytest.fixture
def page(browser, request, browser_context_options):
    context = browser.new_context(**browser_context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    yield tab
    if _failed(request.node):
        _save_artifacts(tab, console, request)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


def _failed(item) -> bool:
    return any(report.failed for report in item.stash.get(PHASE_REPORTS, {}).values())


def _save_artifacts(tab, console: list[str], request) -> None:
    folder = Path(request.config.rootpath) / ARTIFACTS
    folder.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
    try:
        tab.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
        (folder / f"{stem}.html").write_text(f"<!-- {tab.url} -->\n{tab.content()}")
    except Exception as error:  # the page may be gone; the test's own failure is what matters
        console.append(f"artifact capture failed: {error}")
    (folder / f"{stem}.console.txt").write_text("\n".join(console) + "\n")


def admin_login(page, base_url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Log in through the admin's login form; fails clearly when the login is refused."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/admin/login")
    page.locator('input[name="email"]').fill(email)
    password_field = page.locator('input[name="password"]')
    password_field.fill(password)
    password_field.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/admin/login"))


def klarna_paid_order(live_server: "LiveServer", products, *, admin_locale: str | None = None):
    """An order placed and paid through the live app's own simulator, as checkout and the hosted page would;
    `admin_locale` sets the admin's language first."""
    from sqlmodel import select

    from shop.models import User
    from tests.klarna_fixtures import make_order, paid_payment

    app = live_server.app
    with live_server.session() as session:
        if admin_locale:
            session.exec(select(User)).one().locale = admin_locale
        order = make_order(session, products=products)
        payment = paid_payment(session, app.extensions["klarna_simulator"], app.extensions["klarna_gateway"], order)
        order.lines  # loaded while the session is open
        return order, payment
