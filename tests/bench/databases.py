"""The bench's databases: SQLite files in a scratch folder, or scratch databases on SHOP_DATABASE_URL's server."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy.engine import make_url

from shop import create_app
from shop.db import get_engine, upgrade
from shop.demo import load_demo_data

SECRET_KEY = "bench-secret-key-" + "x" * 32
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "bench-admin-password"


def config(url: str, folder: Path, **extra) -> dict:
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SIMULATOR_ENABLED": True,
            "SIMULATOR_ALLOW_IN_PRODUCTION": True, "SIMULATOR_STORAGE": str(folder / f"sim-{secrets.token_hex(4)}.sqlite3"),
            "PUBLIC_URL": "http://127.0.0.1", **extra}


def environment(url: str, folder: Path) -> dict[str, str]:
    """The same settings as SHOP_* variables, for gunicorn."""
    return {"SHOP_DATABASE_URL": url, "SHOP_SECRET_KEY": SECRET_KEY, "SHOP_SIMULATOR_ENABLED": "true",
            "SHOP_SIMULATOR_ALLOW_IN_PRODUCTION": "true", "SHOP_SIMULATOR_STORAGE": str(folder / "sim-server.sqlite3"),
            "SHOP_LOG_LEVEL": "WARNING"}


def migrated_shop(url: str, folder: Path):
    app = create_app(config(url, folder, CHECK_MIGRATED=False))
    upgrade(app)
    with app.app_context():
        from shop.db import db

        load_demo_data(db(), admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, config=app.config)
    return app, get_engine(app)


@contextmanager
def scratch_database(name: str, folder: Path) -> Iterator[str]:
    """A new, empty database: PostgreSQL beside SHOP_DATABASE_URL's when that is set, else a SQLite file."""
    server = os.environ.get("SHOP_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    scratch = f"shop_bench_{name}_{secrets.token_hex(3)}"
    admin_url = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        yield make_url(server).set(database=scratch).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
