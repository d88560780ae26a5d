"""Payment states, the merchant's words for them, and the one table of allowed transitions.

Modelled on a declared processing table: every state change and every action is checked
against it, so the order page offers only what Klarna will accept.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STARTED = "started"  # hosted payment page session open
AUTHORIZING = "authorizing"  # one worker is turning Klarna's approval into an order
AUTHORIZED = "authorized"  # reserved, awaiting activation
PENDING = "pending"  # Klarna fraud review
PART_CAPTURED = "part_captured"
CAPTURED = "captured"
CANCELLED = "cancelled"
EXPIRED = "expired"
REJECTED = "rejected"
CLOSED = "closed"
FAILED = "failed"  # the shopper's attempt ended without a Klarna order
ABANDONED = "abandoned"  # the shopper never came back and the session expired
AWAITING = "awaiting"  # manual methods: waiting for the bank transfer

UNAPPROVED = {CANCELLED, EXPIRED, REJECTED}
OPEN = {STARTED, AUTHORIZING}
CONFIRMED_STATES = (AUTHORIZED, PENDING, PART_CAPTURED, CAPTURED, CLOSED)  # the shopper has paid
FINAL = {CANCELLED, EXPIRED, REJECTED, CLOSED, FAILED, ABANDONED}

LABELS = {
    STARTED: _l("Awaiting payment"),
    AUTHORIZING: _l("Awaiting Klarna's confirmation"),
    AUTHORIZED: _l("Reserved / awaiting activation"),
    PENDING: _l("Awaiting Klarna review"),
    PART_CAPTURED: _l("Partially activated"),
    CAPTURED: _l("Paid"),
    CANCELLED: _l("Unapproved"),
    EXPIRED: _l("Unapproved"),
    REJECTED: _l("Unapproved"),
    CLOSED: _l("Closed"),
    FAILED: _l("Payment not completed"),
    ABANDONED: _l("Abandoned"),
    AWAITING: _l("Awaiting payment"),
}

# The merchant's words for what is asked of Klarna (the operations of `operations.py`).
OPERATION_LABELS = {
    "capture": _l("Activation"), "refund": _l("Refund"), "extend": _l("Expiry extension"),
    "cancel": _l("Cancellation"), "release": _l("Release of the remaining reservation"),
    "resend": _l("Resending of payment instructions"), "update_authorization": _l("Amount change"),
    "edit_order": _l("Order edit"),
}

# Klarna order status (and fraud status) -> our state.
FROM_KLARNA = {
    "AUTHORIZED": AUTHORIZED,
    "PART_CAPTURED": PART_CAPTURED,
    "CAPTURED": CAPTURED,
    "CANCELLED": CANCELLED,
    "EXPIRED": EXPIRED,
    "CLOSED": CLOSED,
}

# action -> states in which the merchant may take it.
ACTIONS = {
    "capture": {AUTHORIZED, PART_CAPTURED},
    "extend": {AUTHORIZED, PART_CAPTURED},
    "cancel": {AUTHORIZED, PENDING},  # Klarna cancels any uncaptured order, under review or not
    "release": {PART_CAPTURED},
    "refund": {PART_CAPTURED, CAPTURED, CLOSED},
    "resend": {PART_CAPTURED, CAPTURED, CLOSED},
    "update_amount": {AUTHORIZED, PART_CAPTURED},
    "sync": {AUTHORIZED, PENDING, PART_CAPTURED, CAPTURED, CLOSED, CANCELLED, EXPIRED, REJECTED},
}

# (from, to) pairs that may happen. Anything else is a bug or a stale read and is refused.
TRANSITIONS = {
    STARTED: {AUTHORIZING, AUTHORIZED, PENDING, FAILED, ABANDONED, CAPTURED},
    AUTHORIZING: {AUTHORIZED, PENDING, STARTED, FAILED, ABANDONED, CAPTURED},
    FAILED: {AUTHORIZED, PENDING, CAPTURED},  # a late callback may still bring an approval
    ABANDONED: {AUTHORIZED, PENDING, CAPTURED},
    PENDING: {AUTHORIZED, REJECTED, CANCELLED, EXPIRED},
    AUTHORIZED: {PART_CAPTURED, CAPTURED, CANCELLED, EXPIRED, REJECTED, CLOSED},
    PART_CAPTURED: {CAPTURED, CLOSED, EXPIRED, REJECTED},
    CAPTURED: {CLOSED},
    CLOSED: {CAPTURED},
    CANCELLED: set(),
    EXPIRED: {AUTHORIZED, PART_CAPTURED},  # Klarna support can revive an expired order
    REJECTED: set(),
    AWAITING: {CAPTURED, CANCELLED},
}


def can(action: str, state: str) -> bool:
    return state in ACTIONS.get(action, set())


def can_move(current: str, new: str) -> bool:
    return current == new or new in TRANSITIONS.get(current, set())


def label(state: str, captured: int = 0, refunded: int = 0) -> str:
    """The merchant's word for a payment, refunds included (they come from the ledger)."""
    if refunded and captured and refunded >= captured:
        return str(_l("Refunded"))
    if refunded:
        return str(_l("Partly refunded"))
    return str(LABELS.get(state, state))


def from_klarna(status: str, fraud_status: str | None, current: str = AUTHORIZED) -> str:
    """Our state for Klarna's order status; a status Klarna adds later keeps `current`."""
    if fraud_status == "REJECTED":
        return REJECTED
    state = FROM_KLARNA.get(status, current)
    if state == AUTHORIZED and fraud_status == "PENDING":
        return PENDING
    return state
