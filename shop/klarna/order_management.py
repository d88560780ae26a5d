"""Order Management API v1 (API.md §3).

Every write takes the caller's `idempotency_key` and sends it as `Klarna-Idempotency-Key`;
the transport retries such writes with the same key, so Klarna executes them once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import KlarnaError
from .transport import KlarnaTransport, Reply, json_answer
from .urls import api_path, last_path_segment


@dataclass(frozen=True)
class Created:
    """A 201 answer: the new capture or refund id, its `Location`, and Klarna's correlation id."""

    id: str
    location: str | None
    correlation_id: str | None


def _order_path(order_id: str, *rest: str) -> str:
    return api_path("ordermanagement", "v1", "orders", order_id, *rest)


def _created(reply: Reply, id_header: str) -> Created:
    location = reply.headers.get("Location") or None
    new_id = reply.headers.get(id_header) or (last_path_segment(location) if location else "")
    if not new_id:
        raise KlarnaError(
            f"Klarna answered {reply.status} without {id_header} or Location",
            status=reply.status,
            correlation_id=reply.correlation_id,
            body=reply.body,
        )
    return Created(id=new_id, location=location, correlation_id=reply.correlation_id)


def _checked_key(idempotency_key: str) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise ValueError("Order Management writes need a non-empty idempotency_key")
    return idempotency_key


class OrderManagementAPI(KlarnaTransport):
    def _write(self, method: str, path: str, idempotency_key: str, body: Any = None) -> Reply:
        return self._request(method, path, body=body, idempotency_key=_checked_key(idempotency_key))

    def get_order(self, order_id: str) -> dict[str, Any]:
        return json_answer(self._request("GET", _order_path(order_id)))

    def acknowledge_order(self, order_id: str, *, idempotency_key: str) -> None:
        self._write("POST", _order_path(order_id, "acknowledge"), idempotency_key)

    def update_authorization(
        self,
        order_id: str,
        *,
        order_amount: int,
        order_lines: list[dict[str, Any]] | None = None,
        description: str | None = None,
        idempotency_key: str,
    ) -> None:
        """Set a new order amount. `order_lines` replace the order's lines; when omitted,
        Klarna deletes the existing lines, so pass them whenever the order has lines."""
        body: dict[str, Any] = {"order_amount": order_amount}
        if order_lines is not None:
            body["order_lines"] = order_lines
        if description is not None:
            body["description"] = description
        self._write("PATCH", _order_path(order_id, "authorization"), idempotency_key, body)

    def cancel_order(self, order_id: str, *, idempotency_key: str) -> None:
        self._write("POST", _order_path(order_id, "cancel"), idempotency_key)

    def release_remaining_authorization(self, order_id: str, *, idempotency_key: str) -> None:
        path = _order_path(order_id, "release-remaining-authorization")
        self._write("POST", path, idempotency_key)

    def extend_authorization_time(self, order_id: str, *, idempotency_key: str) -> None:
        self._write("POST", _order_path(order_id, "extend-authorization-time"), idempotency_key)

    def create_capture(
        self, order_id: str, payload: dict[str, Any], *, idempotency_key: str
    ) -> Created:
        reply = self._write("POST", _order_path(order_id, "captures"), idempotency_key, payload)
        return _created(reply, "Capture-Id")

    def list_captures(self, order_id: str) -> list[dict[str, Any]]:
        return json_answer(self._request("GET", _order_path(order_id, "captures")), list)

    def get_capture(self, order_id: str, capture_id: str) -> dict[str, Any]:
        return json_answer(self._request("GET", _order_path(order_id, "captures", capture_id)))

    def trigger_send_out(self, order_id: str, capture_id: str, *, idempotency_key: str) -> None:
        path = _order_path(order_id, "captures", capture_id, "trigger-send-out")
        self._write("POST", path, idempotency_key)

    def create_refund(
        self, order_id: str, payload: dict[str, Any], *, idempotency_key: str
    ) -> Created:
        reply = self._write("POST", _order_path(order_id, "refunds"), idempotency_key, payload)
        return _created(reply, "Refund-Id")

    def get_refund(self, order_id: str, refund_id: str) -> dict[str, Any]:
        return json_answer(self._request("GET", _order_path(order_id, "refunds", refund_id)))

    def update_merchant_references(
        self,
        order_id: str,
        *,
        merchant_reference1: str | None = None,
        merchant_reference2: str | None = None,
        idempotency_key: str,
    ) -> None:
        """Only the references given are sent; `""` clears one, None leaves it unchanged."""
        references = {
            "merchant_reference1": merchant_reference1,
            "merchant_reference2": merchant_reference2,
        }
        body = {name: value for name, value in references.items() if value is not None}
        if not body:
            raise ValueError("give merchant_reference1 and/or merchant_reference2")
        self._write("PATCH", _order_path(order_id, "merchant-references"), idempotency_key, body)
