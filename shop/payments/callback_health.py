"""Whether Klarna's status callbacks reach the shop, and the likely cause when they do not.

Evidence from the last WINDOW: payments the sync had to finalise although no status callback
ever came for them, and callbacks the shop answered with an error. The cause is named from what
the shop knows of its own address (SHOP_PUBLIC_URL): not public, not HTTPS, or answering errors.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, select

from shop.models import OrderEvent, Payment, PaymentEvent, utcnow

WINDOW = timedelta(days=7)
MISSED_LIMIT = 2  # finalisations without a callback before the shop calls it a problem
RECENT = 20  # the latest finalisations looked at
CALLBACK_KINDS = ("klarna_callback", "klarna_callback_failed")
CAUSES = ("unreachable", "https", "maintenance")


@dataclass(frozen=True)
class CallbackHealth:
    missed: int = 0  # recent payments finalised by the sync without a callback
    failed: int = 0  # recent callbacks the shop answered with an error
    cause: str | None = None  # one of CAUSES when callbacks are not working

    @property
    def ok(self) -> bool:
        return self.cause is None

    def as_dict(self) -> dict:
        return {"status": "ok" if self.ok else "failing", "cause": self.cause, "missed": self.missed,
                "failed": self.failed}


def callback_health(session: Session, public_url: str | None) -> CallbackHealth:
    """Two queries, whatever the number of orders."""
    since = utcnow() - WINDOW
    finalised = session.exec(
        select(PaymentEvent.payment_id, PaymentEvent.data, PaymentEvent.created_at)
        .join(Payment, Payment.id == PaymentEvent.payment_id)
        .where(Payment.provider == "klarna", PaymentEvent.kind == "returned", PaymentEvent.created_at >= since)
        .order_by(PaymentEvent.id.desc()).limit(RECENT)  # type: ignore[union-attr]
    ).all()
    callbacks = session.exec(
        select(OrderEvent.kind, OrderEvent.data, OrderEvent.created_at)
        .where(OrderEvent.kind.in_(CALLBACK_KINDS), OrderEvent.created_at >= since)  # type: ignore[attr-defined]
        .order_by(OrderEvent.id.desc())  # type: ignore[union-attr]
    ).all()
    called = {(data or {}).get("payment_id") for kind, data, _at in callbacks if kind == "klarna_callback"}
    missed = [payment_id for payment_id, data, _at in finalised
              if str((data or {}).get("source", "")).startswith("sync") and payment_id not in called]
    failed = [at for kind, _data, at in callbacks if kind == "klarna_callback_failed"]
    if failed and callbacks[0][0] == "klarna_callback_failed":
        return CallbackHealth(len(missed), len(failed), "maintenance")
    # A payment started after the missed ones got its callback: they work again.
    newest_called = max((payment_id for payment_id in called if isinstance(payment_id, int)), default=None)
    still_missing = missed and (newest_called is None or newest_called < max(missed))
    if len(missed) >= MISSED_LIMIT and still_missing:
        return CallbackHealth(len(missed), len(failed), address_problem(public_url))
    return CallbackHealth(len(missed), len(failed))


def address_problem(public_url: str | None) -> str:
    """Why Klarna cannot call the shop, judged from its public address."""
    parts = urlsplit(public_url or "")
    if not parts.hostname or _private(parts.hostname):
        return "unreachable"
    if parts.scheme != "https":
        return "https"
    return "unreachable"


def _private(host: str) -> bool:
    if host == "localhost" or host.endswith((".local", ".localhost", ".internal")) or "." not in host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local
