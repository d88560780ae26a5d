"""Shared fixtures: an app on a fresh copy of a migrated, demo-loaded SQLite database per test."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

import tests.conftest_hypothesis  # noqa: F401  (registers and loads the hypothesis profile)
from shop import create_app
from shop.db import upgrade
from shop.demo import load_demo_data

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-demo-password"
SECRET_KEY = "test-secret-key-not-for-production"
CSRF_PATTERN = re.compile(r'(?:name="csrf_token" type="hidden" value|"X-CSRFToken": ")"?([^"]+)"')


# Test apps show the UI in the msgids (English) while numbers, money and dates keep each
# shop version's locale; tests/test_translations.py renders the real catalogs.
UNTRANSLATED = str(Path(__file__).parent / "untranslated")
TRANSLATIONS = str(Path(__file__).resolve().parents[1] / "shop" / "translations")


def app_config(database_url: str, **extra) -> dict:
    config = {
        "BABEL_TRANSLATION_DIRECTORIES": UNTRANSLATED,
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "http://localhost",
        "SERVER_NAME": None,
        "SIMULATOR_ENABLED": True,
        # Content-hashed files: databases built outside the fixtures below may share one directory.
        "MEDIA_DIR": str(Path(tempfile.gettempdir()) / "nordshop-test-media"),
    }
    config.update(extra)
    return config


def build_database(database_url: str, **extra) -> None:
    app = create_app(app_config(database_url, CHECK_MIGRATED=False, **extra))
    upgrade(app)
    with app.app_context():
        from shop.db import db

        load_demo_data(db(), admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, config=app.config)
    app.extensions["shop_engine"].dispose()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """`make test` compiles the translation catalogs; a bare `pytest` compiles any missing or stale .mo here."""
    from tests.test_translations import compile_catalogs

    compile_catalogs()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "shop.sqlite3"
    build_database(f"sqlite:///{path}", SIMULATOR_STORAGE=str(path.parent / "sim.sqlite3"),
                   MEDIA_DIR=str(template_media(path)))
    return path


def template_media(template_database: Path) -> Path:
    """The demo images' files beside the template database."""
    return template_database.parent / "media"


def copy_media(template_database: Path, directory: Path) -> str:
    """A test's own media directory: hard links to the template's files (a write replaces a file, never edits it)."""
    shutil.copytree(template_media(template_database), directory, copy_function=os.link)
    return str(directory)


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(template_database, tmp_path, app_overrides):
    path = tmp_path / "shop.sqlite3"
    shutil.copy(template_database, path)
    overrides = {"SIMULATOR_STORAGE": str(tmp_path / "sim.sqlite3"),
                 "MEDIA_DIR": copy_media(template_database, tmp_path / "media"), **app_overrides}
    application = create_app(app_config(f"sqlite:///{path}", **overrides))
    yield application
    application.extensions["shop_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """A database session of the test's own, for arranging and asserting.

    It lives outside any app context, so requests made by the test client get their own
    `g`, database session, logged-in user and locale, exactly as in production.
    """
    from sqlmodel import Session

    with Session(app.extensions["shop_engine"], expire_on_commit=False) as own:
        yield own


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD):
    page = client.get("/admin/login")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def admin_client(client):
    login(client)
    return client


def postgres_url() -> str | None:
    return os.environ.get("SHOP_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def klarna_contract_check(monkeypatch):
    """Every exchange of the shop's Klarna client with the simulator, in every test, is checked
    against Klarna's OpenAPI files: the request the client sends and the response it gets.

    Violations fail the test at teardown. Without ../shared/klarna/openapi the check is off.
    """
    from tests.klarna_contract import openapi_dir

    if not openapi_dir().is_dir():
        yield
        return
    from shop.simulator.transport import SimulatorAdapter
    from tests.simulator.contract import check_exchange

    original, problems = SimulatorAdapter.send, []

    def send(adapter, request, **kwargs):
        response = original(adapter, request, **kwargs)
        if "NordShop" in request.headers.get("User-Agent", ""):
            try:
                check_exchange(response)
            except AssertionError as violation:
                problems.append(f"{request.method} {request.url}: {violation}")
        return response

    monkeypatch.setattr(SimulatorAdapter, "send", send)
    yield
    assert not problems, "Klarna contract violations:\n" + "\n".join(problems)


def pytest_terminal_summary(terminalreporter, config) -> None:
    """The order the tests ran in (pytest-randomly shuffles it), shown even with -q: a leak found once is
    repeated with the same seed."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int):  # None with -p no:randomly
        terminalreporter.write_line(f"Random test order: repeat it with -p randomly --randomly-seed={seed}")
