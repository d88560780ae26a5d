"""Klarna Payments API v1 (API.md §1). KP writes carry no idempotency key and are never retried."""
from __future__ import annotations

from typing import Any

from .transport import KlarnaTransport, json_answer
from .urls import api_path


def _session_path(*rest: str) -> str:
    return api_path("payments", "v1", "sessions", *rest)


def _authorization_path(authorization_token: str, *rest: str) -> str:
    return api_path("payments", "v1", "authorizations", authorization_token, *rest)


class PaymentsAPI(KlarnaTransport):
    def create_session(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /payments/v1/sessions -> `{session_id, client_token, payment_method_categories}`."""
        return json_answer(self._request("POST", _session_path(), body=payload))

    def read_session(self, session_id: str) -> dict[str, Any]:
        return json_answer(self._request("GET", _session_path(session_id)))

    def update_session(self, session_id: str, payload: dict[str, Any]) -> None:
        """Validated by Klarna as if it were a new session; an authorization needs redoing."""
        self._request("POST", _session_path(session_id), body=payload)

    def create_order(self, authorization_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Place the order for an authorization -> `{order_id, fraud_status, redirect_url?, ...}`.

        Not retried: a lost answer must be resolved by reading the HPP session or the
        order, because the token can be used only once.
        """
        path = _authorization_path(authorization_token, "order")
        return json_answer(self._request("POST", path, body=payload))

    def cancel_authorization(self, authorization_token: str) -> None:
        self._request("DELETE", _authorization_path(authorization_token))

    def payment_session_url(self, session_id: str) -> str:
        """The KP session's URL on this client's host, as HPP's `payment_session_url` wants it."""
        return self.base_url + _session_path(session_id)
