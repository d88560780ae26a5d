"""The Simulator object: storage, clock, faults, accounts and the three Klarna domains.

Reached as `app.extensions["klarna_simulator"]`; tests and demos drive it through this Python API.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from .callbacks import ThreadedSender
from .clock import Clock
from .faults import Faults
from .hpp import HostedPages
from .kp import Payments
from .orders import Orders
from .store import Accounts, Store

log = logging.getLogger(__name__)


class Simulator:
    def __init__(self, config: dict):
        self.config = config
        self.store = Store(config.get("SIMULATOR_STORAGE"))
        self.clock = Clock(self.store)
        self.faults = Faults(self.store)
        self.accounts = Accounts(self.store)
        sender = config.get("SIMULATOR_CALLBACK_SENDER")
        self.send_callback = sender if sender is not None else ThreadedSender()
        self.auth_period_days = int(config.get("SIMULATOR_AUTH_PERIOD_DAYS") or 28)
        self.payments = Payments(self)
        self.hpp = HostedPages(self)
        self.orders = Orders(self)
        self._local = threading.local()
        self._seed_accounts()

    def _seed_accounts(self) -> None:
        for username, secret in (self.config.get("SIMULATOR_ACCOUNTS") or {}).items():
            self.accounts.add(username, secret)

    def reset(self) -> None:
        """Forget everything (sessions, orders, keys, added accounts), disarm faults, real time again."""
        self.store.clear()
        self.faults.clear()
        self.clock.reset()
        self._seed_accounts()

    @contextmanager
    def transaction(self):
        """One atomic unit of work; callbacks queued inside are sent after it commits."""
        if getattr(self._local, "outbox", None) is not None:
            with self.store.transaction():
                yield
            return
        self._local.outbox = []
        try:
            with self.store.transaction():
                yield
            outbox = self._local.outbox
        finally:
            self._local.outbox = None
        for url, body in outbox:
            self._send(url, body)

    def notify(self, url: str | None, body: dict) -> None:
        if not url:
            return
        outbox = getattr(self._local, "outbox", None)
        if outbox is not None:
            outbox.append((url, body))
        else:
            self._send(url, body)

    def _send(self, url: str, body: dict) -> None:
        try:
            self.send_callback(url, body)
        except Exception:  # a broken receiver must not break the simulated Klarna
            log.exception("callback sender failed for %s", url)

    # ----- conveniences for tests and demos ----------------------------------------------------

    def complete_hpp_session(self, session_id: str, category: str = "PAY_LATER",
                             email: str | None = None) -> dict:
        """Open the hosted page and approve it as a shopper would; returns the HPP read body."""
        with self.transaction():
            session = self.hpp.load(None, session_id)
            self.hpp.open(session)
            self.hpp.act(session, "approve", category=category, email=email)
            return self.hpp.view(session)

    def get_order(self, order_id: str) -> dict:
        """The order as `GET /ordermanagement/v1/orders/{id}` shows it (any account)."""
        with self.transaction():
            return self.orders.view(self.orders.load(None, order_id))
