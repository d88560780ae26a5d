"""Delivery after the request in `make run`: a thread, woken once a response that queued mail is sent.

The response never waits for SMTP. The thread also wakes every RETRY_INTERVAL while it lives,
for rows waiting for a retry. Production may rely on cron (`flask --app wsgi mail send`) alone
by setting SHOP_MAIL_SEND_IN_BACKGROUND=false; both together are safe (rows are claimed).
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, Response, g

from shop.db import new_session

log = logging.getLogger(__name__)

RETRY_INTERVAL = 60.0  # seconds


class BackgroundSender:
    def __init__(self, app: Flask):
        self.app = app
        self.wanted = threading.Event()
        self.idle = threading.Event()  # set while nothing is being sent (tests wait on it)
        self.idle.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = False

    def wake(self) -> None:
        self.idle.clear()
        self.wanted.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():  # started lazily: after gunicorn's fork
                self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """End the thread (it finishes what it is sending first)."""
        self._stopping = True
        self.wanted.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        from .sender import send_due

        while not self._stopping:
            self.wanted.wait(RETRY_INTERVAL)
            self.wanted.clear()
            if self._stopping:
                break
            try:
                with self.app.app_context(), new_session(self.app) as session:
                    send_due(session)
            except Exception:  # keep the thread alive; the rows stay in the outbox for the next try
                log.exception("sending the outbox failed")
            finally:
                if not self.wanted.is_set():
                    self.idle.set()


def init_app(app: Flask) -> None:
    sender = BackgroundSender(app)
    app.extensions["mail_background_sender"] = sender

    @app.after_request
    def send_queued_mail_after_the_response(response: Response) -> Response:
        if g.pop("mail_queued", False) and app.config.get("MAIL_SEND_IN_BACKGROUND") and app.config.get("SMTP_HOST"):
            response.call_on_close(sender.wake)
        return response
