"""Klarna clients for payment methods: credentials, base URL, transport and the request log."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import current_app
from flask_babel import gettext
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shop.crypto import SecretUnavailable, decrypt_secret
from shop.klarna import CallRecord, KlarnaClient, base_url_for
from shop.models import KlarnaCall, PaymentMethod

from .common import ProviderError

log = logging.getLogger(__name__)

ENVIRONMENTS = ("simulator", "playground", "production")
REGIONS = ("eu", "na", "oc")


class SimulatorDisabled(ValueError):
    pass


@dataclass
class KlarnaGateway:
    """Builds a KlarnaClient for a payment method; one per app, shared by every request."""

    engine: Engine
    secret_key: str
    http: requests.Session = field(default_factory=requests.Session)
    simulator_base_url: str | None = None
    base_url_override: str | None = None
    timeout: tuple[float, float] = (5.0, 30.0)
    sleep: Any = None  # injectable for tests; None -> time.sleep

    def base_url(self, settings: dict[str, Any]) -> str:
        if self.base_url_override:
            return self.base_url_override.rstrip("/")
        environment = settings.get("environment", "playground")
        if environment == "simulator":
            if not self.simulator_base_url:
                raise SimulatorDisabled("the Klarna simulator is not enabled on this installation")
            return self.simulator_base_url
        return base_url_for(environment, settings.get("region", "eu"))

    def client(self, method: PaymentMethod, *, order_id: int | None = None,
               payment_id: int | None = None) -> KlarnaClient:
        """A client for the method; a method that cannot reach Klarna as configured raises ProviderError."""
        try:
            secret = decrypt_secret(method.secret_encrypted, self.secret_key)
            return self.client_for(method.settings, method.settings.get("merchant_id", ""), secret,
                                   order_id=order_id, payment_id=payment_id)
        except SecretUnavailable:
            raise ProviderError(gettext("The stored Klarna shared secret cannot be read. "
                                        "Enter it again under Settings > Payment methods.")) from None
        except SimulatorDisabled:
            raise ProviderError(gettext("This payment method uses the Klarna simulator, "
                                        "which is not enabled on this installation.")) from None

    def client_for(self, settings: dict[str, Any], username: str, secret: str, *,
                   order_id: int | None = None, payment_id: int | None = None) -> KlarnaClient:
        extra = {"sleep": self.sleep} if self.sleep else {}
        calls: list[CallRecord] = []

        def on_call(record: CallRecord) -> None:
            calls.append(record)
            self._log_call(record, order_id, payment_id)

        client = KlarnaClient(
            username, secret, base_url=self.base_url(settings), timeout=self.timeout, session=self.http,
            on_call=on_call, **extra,
        )
        client.calls = calls  # type: ignore[attr-defined]  # this client's attempts, newest last
        return client

    def _log_call(self, record: CallRecord, order_id: int | None, payment_id: int | None) -> None:
        """Store the redacted call in its own short transaction: never part of the caller's."""
        try:
            with Session(self.engine) as session:
                session.add(KlarnaCall(
                    order_id=order_id, payment_id=payment_id, method=record.method, path=record.path[:512],
                    status=record.status, duration_ms=record.duration_ms, attempt=record.attempt,
                    correlation_id=record.correlation_id, idempotency_key=record.idempotency_key,
                    error=record.error, request_body=record.request_body, response_body=record.response_body,
                ))
                session.commit()
        except Exception:  # the log must never break a payment
            log.exception("could not store the Klarna request log entry")


def correlation_id(client: KlarnaClient) -> str | None:
    """Klarna's correlation id of the client's latest call, for the event that records it."""
    calls = getattr(client, "calls", None)
    return calls[-1].correlation_id if calls else None


def correlation_ids(client: KlarnaClient, last: int) -> list[str]:
    calls = getattr(client, "calls", None) or []
    return [call.correlation_id for call in calls[-last:] if call.correlation_id]


def current_gateway() -> KlarnaGateway:
    return current_app.extensions["klarna_gateway"]
