"""The one request path every Klarna call goes through: auth, headers, retries, errors, records.

Retry rule (API.md §0.8): only GETs and writes that carry a `Klarna-Idempotency-Key`
are retried, and only when Klarna did not answer, answered 5xx, or answered 429.
A retried write sends the same key, so Klarna executes it at most once.
"""
from __future__ import annotations

import json
import logging
import platform
import random
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Mapping

import requests
from requests.auth import HTTPBasicAuth

from .errors import (
    KlarnaConnectionError,
    KlarnaError,
    KlarnaRateLimited,
    KlarnaServerError,
    KlarnaTimeout,
    correlation_id_of,
    error_from_response,
)
from .records import MASK, MAX_TEXT_BODY, CallRecord, redact

logger = logging.getLogger("shop.klarna")

IDEMPOTENCY_HEADER = "Klarna-Idempotency-Key"
MAX_BACKOFF_SECONDS = 8.0
MAX_RATE_LIMIT_WAIT_SECONDS = 5.0  # Klarna's windows are one second; never stall a request long
_RETRYABLE = (KlarnaConnectionError, KlarnaServerError, KlarnaRateLimited)
# Failures where Klarna's answer never arrived; other RequestExceptions are programming errors.
_NO_ANSWER = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: `body` is parsed JSON, raw text, or None when empty."""

    status: int
    headers: Mapping[str, str]
    body: Any
    correlation_id: str | None


def _shop_version() -> str:
    try:
        return metadata.version("nordshop")
    except metadata.PackageNotFoundError:
        return "0"


def user_agent(suffix: str = "") -> str:
    version = _shop_version()
    agent = (
        f"Library/NordShop-Klarna_{version} Language/Python_{platform.python_version()} "
        f"Platform/NordShop_{version}"
    )
    return f"{agent} {suffix.strip()}" if suffix.strip() else agent


class KlarnaTransport:
    def __init__(
        self,
        username: str,
        password: str,
        *,
        base_url: str,
        timeout: float | tuple[float, float] = (5, 30),
        session: requests.Session | None = None,
        max_retries: int = 2,
        backoff: float = 0.5,
        user_agent_suffix: str = "",
        on_call: Callable[[CallRecord], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._auth = HTTPBasicAuth(username, password)
        self._secrets = _secret_forms(self._auth)
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self.max_retries = max_retries
        self.backoff = backoff
        self.user_agent = user_agent(user_agent_suffix)
        self.on_call = on_call
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, base_url={self.base_url!r})"

    def _request(
        self, method: str, path: str, *, body: Any = None, idempotency_key: str | None = None
    ) -> Reply:
        retry_allowed = method == "GET" or idempotency_key is not None
        attempt = 1
        while True:
            try:
                return self._attempt(method, path, body, idempotency_key, attempt)
            except _RETRYABLE as error:
                if not retry_allowed or attempt > self.max_retries:
                    raise
                delay = self._retry_delay(error, attempt)
                logger.warning(
                    "Klarna %s %s failed (%s); retry %d of %d in %.2f s",
                    method, path, type(error).__name__, attempt, self.max_retries, delay,
                )
                self._sleep(delay)
                attempt += 1

    def _retry_delay(self, error: KlarnaError, attempt: int) -> float:
        if isinstance(error, KlarnaRateLimited) and error.retry_after is not None:
            return min(error.retry_after, MAX_RATE_LIMIT_WAIT_SECONDS)
        ceiling = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
        return ceiling * random.uniform(0.5, 1.0)

    def _attempt(
        self, method: str, path: str, body: Any, idempotency_key: str | None, attempt: int
    ) -> Reply:
        report = _AttemptReport(method, path, body, idempotency_key, attempt)
        try:
            response = self._send(method, path, body, idempotency_key)
        except _NO_ANSWER as failure:
            error = self._connection_error(method, path, failure)
            self._finish(report, status=None, correlation_id=None, response_body=None, error=error)
            raise error from None  # the raw exception's text may echo credentials; ours is scrubbed
        reply, error = _outcome(method, path, response)
        self._finish(report, reply.status, reply.correlation_id, reply.body, error)
        if error is not None:
            raise error
        return reply

    def _send(
        self, method: str, path: str, body: Any, idempotency_key: str | None
    ) -> requests.Response:
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        return self.session.request(
            method,
            self.base_url + path,
            data=data,
            headers=headers,
            auth=self._auth,
            timeout=self.timeout,
            allow_redirects=False,  # never resend credentials or a write to another place
        )

    def _connection_error(
        self, method: str, path: str, failure: Exception
    ) -> KlarnaConnectionError:
        error_class = KlarnaTimeout if isinstance(failure, requests.Timeout) else KlarnaConnectionError
        reason = self._scrub(f"{type(failure).__name__}: {failure}")
        return error_class(f"No answer from Klarna to {method} {path} ({reason})")

    def _scrub(self, text: str) -> str:
        """Defence in depth: a transport's error text must never carry the credentials."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def _finish(
        self,
        report: "_AttemptReport",
        status: int | None,
        correlation_id: str | None,
        response_body: Any,
        error: KlarnaError | None,
    ) -> None:
        record = report.record(status, correlation_id, response_body, error)
        logger.info(
            "Klarna %s %s -> %s in %d ms (attempt %d, correlation id %s%s)",
            record.method, record.path, status if status is not None else "no answer",
            record.duration_ms, record.attempt, correlation_id or "-",
            f", {error.error_code}" if error is not None and error.error_code else "",
        )
        if self.on_call is None:
            return
        try:
            self.on_call(record)
        except Exception:  # the audit hook must never change the outcome of a payment call
            logger.exception("Klarna on_call hook failed for %s %s", record.method, record.path)


@dataclass(frozen=True)
class _AttemptReport:
    method: str
    path: str
    request_body: Any
    idempotency_key: str | None
    attempt: int
    started: float = field(default_factory=time.monotonic)

    def record(
        self, status: int | None, correlation_id: str | None, response_body: Any,
        error: KlarnaError | None,
    ) -> CallRecord:
        return CallRecord(
            method=self.method,
            path=self.path,
            status=status,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            correlation_id=correlation_id,
            idempotency_key=self.idempotency_key,
            request_body=redact(self.request_body),
            response_body=redact(response_body),
            error=str(error) if error is not None else None,
            attempt=self.attempt,
        )


def _outcome(method: str, path: str, response: requests.Response) -> tuple[Reply, KlarnaError | None]:
    body = _decoded_body(response)
    reply = Reply(response.status_code, response.headers, body, correlation_id_of(response.headers, body))
    if 200 <= response.status_code < 300:
        return reply, None
    message = f"Klarna answered {response.status_code} to {method} {path}"
    return reply, error_from_response(message, response.status_code, response.headers, body)


def _secret_forms(auth: HTTPBasicAuth) -> tuple[str, ...]:
    """The shared secret and the base64 credentials exactly as they go on the wire."""
    probe = requests.Request("GET", "https://klarna.invalid/", auth=auth).prepare()
    encoded = probe.headers["Authorization"].split(" ", 1)[-1]
    return tuple(secret for secret in (auth.password, encoded) if secret)


def _decoded_body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return response.text[:MAX_TEXT_BODY]



def json_answer(reply: Reply, expected: type = dict) -> Any:
    """The parsed body of a 2xx answer, which must be JSON of the `expected` type."""
    if not isinstance(reply.body, expected):
        raise KlarnaError(
            f"Klarna answered {reply.status} without the expected JSON {expected.__name__}",
            status=reply.status,
            correlation_id=reply.correlation_id,
            body=reply.body,
        )
    return reply.body
