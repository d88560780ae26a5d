"""PostgreSQL tests: a fresh, migrated, demo-loaded database per test on the server in SHOP_TEST_DATABASE_URL.

Unset: the tests skip. Set but unreachable: they fail, so CI cannot pass without PostgreSQL.
Concurrency tests use `run_in_threads` with one test client (or one `new_session`) per thread.
"""
from __future__ import annotations

import secrets
import threading
from typing import Any, Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from shop import create_app
from tests.conftest import app_config, build_database, postgres_url

NOT_SET = "SHOP_TEST_DATABASE_URL not set; PostgreSQL tests skipped"
DRIVER = "postgresql+psycopg"


def sqlalchemy_url(url: str) -> str:
    """postgresql://... (libpq style) -> postgresql+psycopg://... (SQLAlchemy with psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return f"{DRIVER}://{url.removeprefix(prefix)}"
    return url


def libpq_url(url: str) -> str:
    """The other way round, for psycopg.connect()."""
    return make_url(sqlalchemy_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    return make_url(sqlalchemy_url(url)).set(database=name).render_as_string(hide_password=False)


def admin_connection(server_url: str) -> psycopg.Connection:
    return psycopg.connect(libpq_url(server_url), autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The server URL from SHOP_TEST_DATABASE_URL, checked once; its database is used only to create others."""
    url = postgres_url()
    if not url:
        pytest.skip(NOT_SET)
    try:
        with admin_connection(url) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        pytest.fail(f"SHOP_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}", pytrace=False)
    return url


@pytest.fixture
def pg_database(postgres_server) -> Iterator[str]:
    """An empty database of its own (SQLAlchemy URL), dropped after the test."""
    name = f"shop_test_{secrets.token_hex(6)}"
    with admin_connection(postgres_server) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(postgres_server, name)
    finally:
        with admin_connection(postgres_server) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_app(pg_database, tmp_path, app_overrides):
    """The app on a fresh PostgreSQL database, migrated (shop.db.upgrade) and demo-loaded."""
    overrides = {"SIMULATOR_STORAGE": str(tmp_path / "sim.sqlite3"), "SIMULATOR_ALLOW_IN_PRODUCTION": True,
                 **app_overrides}  # PostgreSQL looks like production: the simulator must be let in on purpose
    build_database(pg_database, **overrides)
    application = create_app(app_config(pg_database, **overrides))
    yield application
    application.extensions["shop_engine"].dispose()


@pytest.fixture
def pg_client(pg_app):
    return pg_app.test_client()


def run_in_threads(count: int, work: Callable[[int], Any], timeout: float = 60) -> list[Any]:
    """Run work(0..count-1) in `count` threads released at the same moment; results in index order.

    An exception in a thread is re-raised here (the first one), after all threads finish.
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = work(index)
        except BaseException as error:  # handed to the test thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,), name=f"concurrent-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"
    if errors:
        raise errors[0]
    return results
