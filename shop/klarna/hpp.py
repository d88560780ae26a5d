"""Hosted Payment Page API v1 (API.md §2). HPP writes are never retried."""
from __future__ import annotations

from typing import Any

from .transport import KlarnaTransport, json_answer
from .urls import api_path


def _hpp_session_path(*rest: str) -> str:
    return api_path("hpp", "v1", "sessions", *rest)


class HostedPaymentPageAPI(KlarnaTransport):
    def create_hpp_session(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST /hpp/v1/sessions (201) -> `{session_id, redirect_url, session_url, expires_at, ...}`."""
        return json_answer(self._request("POST", _hpp_session_path(), body=payload))

    def read_hpp_session(self, session_id: str) -> dict[str, Any]:
        """-> `{session_id, status, authorization_token?, order_id?, ...}`; 404 once expired."""
        return json_answer(self._request("GET", _hpp_session_path(session_id)))

    def disable_hpp_session(self, session_id: str) -> None:
        """The session becomes DISABLED; Klarna answers 400 if it was already completed."""
        self._request("DELETE", _hpp_session_path(session_id))

    def distribute_hpp_session(self, session_id: str, method: str, contact_information: dict[str, str]) -> None:
        """POST .../distribution: Klarna sends the hosted page's link by `sms` or `email` (201 or 204)."""
        self._request("POST", _hpp_session_path(session_id, "distribution"),
                      body={"method": method, "contact_information": contact_information})
