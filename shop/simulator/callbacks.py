"""Server-to-server calls the simulator makes to the shop (HPP status_update, KP authorization,
pending-order notifications).

A sender is any `callable(url, json_body) -> None`. The default one posts from a background
thread with a 3 s timeout and retries a few seconds apart, as Klarna describes (API.md §2.5).
"""
from __future__ import annotations

import logging
import threading
import time

import requests

log = logging.getLogger(__name__)


class ThreadedSender:
    def __init__(self, timeout: float = 3.0, retries: int = 3, delay: float = 3.0, session=None):
        self.timeout = timeout
        self.retries = retries
        self.delay = delay
        self.session = session or requests.Session()

    def __call__(self, url: str, json_body: dict) -> None:
        thread = threading.Thread(target=self.deliver, args=(url, json_body), daemon=True,
                                  name="klarna-simulator-callback")
        thread.start()

    def deliver(self, url: str, json_body: dict) -> bool:
        """Post once plus up to `retries` times until a 2xx arrives. Returns whether one did."""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.delay)
            try:
                response = self.session.post(url, json=json_body, timeout=self.timeout)
            except requests.RequestException as exc:
                log.info("callback to %s failed (attempt %d): %s", url, attempt + 1, exc)
                continue
            if 200 <= response.status_code < 300:
                return True
            log.info("callback to %s answered %s (attempt %d)", url, response.status_code, attempt + 1)
        log.warning("callback to %s given up after %d attempts", url, self.retries + 1)
        return False


def substitute(url: str, values: dict[str, str | None]) -> str:
    """Fill the placeholders named in `values` (e.g. '{{session_id}}'); others stay as they are."""
    for placeholder, value in values.items():
        url = url.replace(placeholder, requests.utils.quote(value or "", safe=""))
    return url
