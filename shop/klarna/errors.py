"""Typed Klarna errors that carry the evidence Klarna sent (API.md §0.4, §0.8).

Branch on the class for the HTTP outcome and on `error_code` for Klarna's reason;
quote `correlation_id` when talking to Klarna support.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

CORRELATION_HEADER = "Klarna-Correlation-Id"


class KlarnaError(Exception):
    """Any failed Klarna call. `status` is None when no HTTP answer arrived."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_messages: Iterable[str] = (),
        correlation_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_messages = tuple(str(text) for text in error_messages)
        self.correlation_id = correlation_id
        self.body = body

    def __str__(self) -> str:
        text = self.message
        if self.error_code:
            text += f" [{self.error_code}]"
        if self.error_messages:
            text += ": " + "; ".join(self.error_messages)
        if self.correlation_id:
            text += f" (correlation id {self.correlation_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"error_code={self.error_code!r}, correlation_id={self.correlation_id!r})"
        )


class KlarnaBadRequest(KlarnaError):
    """400: a field constraint was violated (e.g. BAD_VALUE)."""


class KlarnaAuthenticationError(KlarnaError):
    """401: missing or wrong credentials, or credentials of another environment/region."""


class KlarnaForbidden(KlarnaError):
    """403: the operation is not allowed now (NOT_ALLOWED, CAPTURE_NOT_ALLOWED, ...)."""


class KlarnaNotFound(KlarnaError):
    """404: no such session, authorization, order, capture or refund (or it expired)."""


class KlarnaConflict(KlarnaError):
    """409: the request conflicts with the current state (e.g. create-order data mismatch)."""


class KlarnaUnprocessable(KlarnaError):
    """422: well-formed but unacceptable values (UNPROCESSABLE_ENTITY, INVALID_ADDRESS)."""


class KlarnaRateLimited(KlarnaError):
    """429: too many requests. `retry_after` holds the seconds Klarna asked to wait, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after


class KlarnaServerError(KlarnaError):
    """5xx: Klarna failed; the outcome of a write is unknown."""


class KlarnaConnectionError(KlarnaError):
    """No HTTP answer: connection refused or reset, TLS failure, broken response."""


class KlarnaTimeout(KlarnaConnectionError):
    """Connect or read timeout. The request may or may not have been executed."""


_CLASS_BY_STATUS: dict[int, type[KlarnaError]] = {
    400: KlarnaBadRequest,
    401: KlarnaAuthenticationError,
    403: KlarnaForbidden,
    404: KlarnaNotFound,
    409: KlarnaConflict,
    422: KlarnaUnprocessable,
    429: KlarnaRateLimited,
}


def error_class_for(status: int) -> type[KlarnaError]:
    if status >= 500:
        return KlarnaServerError
    return _CLASS_BY_STATUS.get(status, KlarnaError)


def error_from_response(
    message: str, status: int, headers: Mapping[str, str], body: Any
) -> KlarnaError:
    """Build the typed error for a non-2xx answer; `body` is parsed JSON, text or None."""
    fields = body if isinstance(body, dict) else {}
    details: dict[str, Any] = {
        "status": status,
        "error_code": _text_or_none(fields.get("error_code")),
        "error_messages": _messages_of(fields),
        "correlation_id": correlation_id_of(headers, body),
        "body": body,
    }
    error_class = error_class_for(status)
    if error_class is KlarnaRateLimited:
        return KlarnaRateLimited(message, retry_after=retry_after_seconds(headers), **details)
    return error_class(message, **details)


def correlation_id_of(headers: Mapping[str, str], body: Any) -> str | None:
    """Klarna's correlation id from the error body, else from the response header."""
    from_body = body.get("correlation_id") if isinstance(body, dict) else None
    return _text_or_none(from_body) or headers.get(CORRELATION_HEADER) or None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `Retry-After` or Klarna's `x-ratelimit-reset`, if numeric."""
    for name in ("Retry-After", "x-ratelimit-reset"):
        try:
            seconds = float(headers.get(name, ""))
        except ValueError:
            continue  # absent, or an HTTP date that Klarna's gateway does not send
        if seconds >= 0:
            return seconds
    return None


def _messages_of(fields: Mapping[str, Any]) -> tuple[str, ...]:
    messages = fields.get("error_messages")
    if isinstance(messages, list):
        return tuple(str(text) for text in messages)
    if isinstance(messages, str):
        return (messages,)
    singular = fields.get("error_message")  # allowed by Klarna's generic error guideline
    return (str(singular),) if singular else ()


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
