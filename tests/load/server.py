"""A scratch PostgreSQL database and the shop under gunicorn on 127.0.0.1, with the Klarna simulator on."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psycopg
import requests
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "load-test-secret-key-not-for-production"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "load-test-admin-password"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Shop:
    base_url: str
    database_url: str  # SQLAlchemy URL of the scratch database
    environment: dict[str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new database on the server (libpq URL), dropped afterwards; yields its SQLAlchemy URL."""
    name = f"shop_load_{secrets.token_hex(4)}"
    server = make_url(server_url.replace("postgresql+psycopg://", "postgresql://"))
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def environment(database_url: str, workdir: Path, port: int) -> dict[str, str]:
    return {**os.environ, "SHOP_DATABASE_URL": database_url, "SHOP_SECRET_KEY": SECRET_KEY,
            "SHOP_PUBLIC_URL": f"http://127.0.0.1:{port}", "SHOP_SIMULATOR_ENABLED": "true",
            "SHOP_SIMULATOR_ALLOW_IN_PRODUCTION": "true", "SHOP_SIMULATOR_STORAGE": str(workdir / "sim.sqlite3"),
            "SHOP_TRUSTED_PROXIES": "1",  # each shopper comes from an address of its own (X-Forwarded-For)
            "SHOP_MAIL_SEND_IN_BACKGROUND": "false", "SHOP_LOG_LEVEL": "WARNING"}


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


@contextmanager
def running_shop(server_url: str, workdir: Path, workers: int = 4, threads: int = 4) -> Iterator[Shop]:
    """Migrate and load the demo data, then serve with gunicorn until the block ends."""
    port = free_port()
    with scratch_database(server_url) as database_url:
        env = environment(database_url, workdir, port)
        flask(env, "init-db")
        flask(env, "demo-data", "--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD)
        log = open(workdir / "gunicorn.log", "w")
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--worker-class", "gthread", "--threads", str(threads), "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, gunicorn)
            yield Shop(base_url, database_url, env)
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()
            log.close()


def _wait_until_up(base_url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped (exit {process.returncode}); see gunicorn.log")
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("the shop did not come up in time")
