"""Wire assertions shared by the Klarna client tests."""
from __future__ import annotations

import base64
import json
import re
from typing import Any

BASE_URL = "https://api.playground.klarna.com"
USERNAME = "PK12345_8f2a6c1d9e"
SECRET = "s3cr3t-Shared-Key-0f9e8d7c"
BASIC_TOKEN = base64.b64encode(f"{USERNAME}:{SECRET}".encode()).decode()
IDEMPOTENCY_KEY = "0e4bf8a2-6d4e-5c1f-9a3b-2f7d6c5b4a39"
USER_AGENT = re.compile(
    r"Library/NordShop-Klarna_[\w.+-]+ Language/Python_\d+\.\d+\.\d+\S* Platform/NordShop_[\w.+-]+( .+)?"
)


def sent_json(call: Any) -> Any:
    return json.loads(call.request.body)


def assert_wire(
    call: Any,
    method: str,
    path: str,
    *,
    body: Any = None,
    idempotency_key: str | None = None,
) -> None:
    """The request went out exactly as Klarna expects it."""
    request = call.request
    headers = request.headers
    assert request.method == method
    assert request.url == BASE_URL + path
    assert headers["Authorization"] == f"Basic {BASIC_TOKEN}"
    assert headers["Accept"] == "application/json"
    assert USER_AGENT.fullmatch(headers["User-Agent"]), headers["User-Agent"]
    if body is None:
        assert not request.body
        assert "Content-Type" not in headers
    else:
        assert headers["Content-Type"] == "application/json"
        assert sent_json(call) == body
    if idempotency_key is None:
        assert "Klarna-Idempotency-Key" not in headers
    else:
        assert headers["Klarna-Idempotency-Key"] == idempotency_key


def klarna_error_body(code: str, *messages: str, correlation_id: str) -> dict[str, Any]:
    return {"error_code": code, "error_messages": list(messages), "correlation_id": correlation_id}
