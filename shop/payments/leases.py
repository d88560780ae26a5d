"""The cron sync's claim on a payment (the lease columns on `Payment`).

A run takes a payment with one conditional UPDATE: free, expired, or already its own. After reading it,
the run keeps it for READ_HOLD, so runs started together on several machines read each payment once
between them; the same owner (the next run in one process) may take it again at once.
"""
from __future__ import annotations

import os
import secrets
import socket
import threading
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session

from shop.models import Payment, utcnow

LEASE = timedelta(seconds=60)
READ_HOLD = timedelta(minutes=2)  # other runs leave a payment alone this long after one run read it

_PROCESS = secrets.token_hex(4)  # two containers may share a host name and a pid


def run_owner() -> str:
    """Who holds a lease: this machine, process and thread. The same owner may take its own lease again."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS}:{threading.get_ident()}"[:128]


def take_lease(session: Session, payment: Payment, owner: str) -> bool:
    """Claim the payment for this run: free, expired, or already this owner's (one conditional UPDATE)."""
    now = utcnow()
    result = session.exec(  # type: ignore[call-overload]
        update(Payment).where(Payment.id == payment.id,
                              or_(Payment.lease_until.is_(None), Payment.lease_until < now,  # type: ignore[union-attr]
                                  Payment.lease_owner == owner))
        .values(lease_until=now + LEASE, lease_owner=owner)
    )
    session.commit()
    return result.rowcount == 1


def hold_after_read(session: Session, payment: Payment, owner: str) -> None:
    """Keep the payment from other runs for READ_HOLD: runs started together read each payment once."""
    session.exec(update(Payment).where(Payment.id == payment.id, Payment.lease_owner == owner)  # type: ignore[call-overload]
                 .values(lease_until=utcnow() + READ_HOLD))
    session.commit()
