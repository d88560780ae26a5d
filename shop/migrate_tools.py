"""Developer helper behind `make migration`: autogenerate a revision against a scratch database."""
from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from . import create_app
from .db import alembic_config, upgrade


def autogenerate(message: str) -> None:
    if not message.strip():
        raise SystemExit('Give a message: make migration MSG="what changed"')
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.sqlite3'}"
        app = create_app({"CHECK_MIGRATED": False, "DATABASE_URL": url})
        upgrade(app)
        command.revision(alembic_config(app), message=message, autogenerate=True)
