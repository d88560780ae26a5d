"""JSON documents in SQLite (a file, or memory), and the merchant accounts kept in them.

One connection and one re-entrant lock per process, and every API operation runs inside
`transaction()` (BEGIN IMMEDIATE) so that checks and writes are atomic, also across the processes
of one storage file (gunicorn's workers).
"""
from __future__ import annotations

import hmac
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (kind, id)
)
"""


class Store:
    def __init__(self, path: str | None = None):
        self.path = path or ":memory:"
        if self.path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")  # readers in other processes never wait for a writer
        self._db.execute(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def get(self, kind: str, doc_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM documents WHERE kind = ? AND id = ?", (kind, doc_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, doc_id: str, doc: dict) -> dict:
        body = json.dumps(doc, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT INTO documents (kind, id, body) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                (kind, doc_id, body),
            )
        return doc

    def delete(self, kind: str, doc_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM documents WHERE kind = ? AND id = ?", (kind, doc_id))

    def all(self, kind: str, newest_first: bool = True) -> list[dict]:
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM documents WHERE kind = ? ORDER BY seq {order}", (kind,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def any(self, kind: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM documents WHERE kind = ? LIMIT 1", (kind,)).fetchone() is not None

    def clear(self, kind: str | None = None) -> None:
        with self._lock:
            if kind is None:
                self._db.execute("DELETE FROM documents")
            else:
                self._db.execute("DELETE FROM documents WHERE kind = ?", (kind,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Accounts:
    """Merchant credentials (username -> shared secret) and per-account switches."""

    KIND = "account"

    def __init__(self, store: Store):
        self._store = store

    def add(self, username: str, secret: str) -> dict:
        if not username or ":" in username:
            raise ValueError("a username must be non-empty and may not contain ':'")
        with self._store.transaction():
            account = self._store.get(self.KIND, username) or {
                "username": username,
                "reject_increases": False,
            }
            account["secret"] = secret
            return self._store.put(self.KIND, username, account)

    def get(self, username: str) -> dict | None:
        return self._store.get(self.KIND, username)

    def all(self) -> list[dict]:
        return self._store.all(self.KIND, newest_first=False)

    def authenticate(self, username: str | None, secret: str | None) -> dict | None:
        account = self.get(username or "")
        if account is None or secret is None:
            return None
        if not hmac.compare_digest(account["secret"].encode(), secret.encode()):
            return None
        return account

    def set_reject_increases(self, username: str, reject: bool) -> None:
        with self._store.transaction():
            account = self.get(username)
            if account is None:
                raise KeyError(username)
            account["reject_increases"] = bool(reject)
            self._store.put(self.KIND, username, account)


def parse_accounts(text: str) -> dict[str, str]:
    """'user:secret,user2:secret2' -> {'user': 'secret', 'user2': 'secret2'}."""
    accounts = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        username, sep, secret = item.partition(":")
        if not sep or not username:
            raise ValueError(f"account {item!r} is not of the form username:secret")
        accounts[username] = secret
    return accounts
