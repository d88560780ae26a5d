"""Whether Klarna's status callbacks reach the shop, and the likely cause when they do not.

Evidence from the last WINDOW: payments the sync had to finalise although no status callback
ever came for them (Klarna's calls are in the request log), and callbacks the shop answered with an error. The cause is named from what
the shop knows of its own address (SHOP_PUBLIC_URL): not public, not HTTPS, or answering errors.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, select

from shop.models import KlarnaCall, Payment, PaymentEvent, utcnow

WINDOW = timedelta(days=7)
MISSED_LIMIT = 2  # finalisations without a callback before the shop calls it a problem
RECENT = 20  # the latest finalisations looked at
INBOUND_PATH = "/shop/klarna-calls"  # how Klarna's calls to the shop show in the Klarna request log
STATUS_CALLBACK_PATH = INBOUND_PATH + "/klarna_callback"
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
    calls = session.exec(  # every call Klarna made to the shop is in the request log, changed something or not
        select(KlarnaCall.payment_id, KlarnaCall.path, KlarnaCall.status)
        .where(KlarnaCall.path.startswith(INBOUND_PATH + "/"), KlarnaCall.created_at >= since)  # type: ignore
        .order_by(KlarnaCall.id.desc())  # type: ignore[union-attr]
    ).all()
    called = {payment_id for payment_id, path, _status in calls if path == STATUS_CALLBACK_PATH}
    missed = [payment_id for payment_id, data, _at in finalised
              if str((data or {}).get("source", "")).startswith("sync") and payment_id not in called]
    failed = [status for _payment_id, _path, status in calls if (status or 0) >= 500]
    if failed and (calls[0][2] or 0) >= 500:
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
