"""What the client reports about every HTTP attempt, with personal data masked."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MASK = "***"
MAX_TEXT_BODY = 2000  # longer strings (gateway HTML pages, client tokens) are kept as a prefix

# Keys whose values identify a person (KP/OM address and customer objects, HPP customer).
PERSONAL_KEYS = frozenset(
    {
        "given_name",
        "family_name",
        "email",
        "phone",
        "street_address",
        "street_address2",
        "postal_code",
        "attention",
        "date_of_birth",
        "national_identification_number",
        "last_four_ssn",
    }
)


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt. Bodies are redacted and JSON-serialisable; no credentials anywhere."""

    method: str
    path: str
    status: int | None
    duration_ms: int
    correlation_id: str | None
    idempotency_key: str | None
    request_body: Any
    response_body: Any
    error: str | None
    attempt: int


def redact(value: Any) -> Any:
    """A copy of `value` with every personal field's value replaced by MASK."""
    if isinstance(value, dict):
        return {key: _redacted_field(key, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str) and len(value) > MAX_TEXT_BODY:
        return value[:MAX_TEXT_BODY] + "…"
    return value


def _redacted_field(key: Any, value: Any) -> Any:
    if key in PERSONAL_KEYS and value not in (None, ""):
        return MASK
    return redact(value)
