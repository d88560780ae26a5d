"""The Order Management state machine of API.md §5 as one declared table.

`decide(event, ctx)` returns the first row whose event, source status and guard match.
A row either names the resulting status (None = unchanged) or the error to answer.
The effects (new capture, new amount ...) are applied by `orders.py` after a row allows them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

AUTHORIZED, PART_CAPTURED, CAPTURED = "AUTHORIZED", "PART_CAPTURED", "CAPTURED"
CANCELLED, EXPIRED, CLOSED = "CANCELLED", "EXPIRED", "CLOSED"
STATUSES = (AUTHORIZED, PART_CAPTURED, CAPTURED, CANCELLED, EXPIRED, CLOSED)
CAPTURABLE = frozenset({AUTHORIZED, PART_CAPTURED})
ENDED = frozenset({CANCELLED, EXPIRED, CLOSED})
ANY = frozenset(STATUSES)


@dataclass(frozen=True)
class Ctx:
    """What the guards may look at. x = amount of the event (capture, refund, new order amount)."""

    status: str
    A: int  # order_amount
    C: int  # captured_amount
    R: int  # refunded_amount
    x: int = 0
    fraud_status: str = "ACCEPTED"
    increase_allowed: bool = True
    within_extension_limit: bool = True
    changes_billing_address: bool = False

    @property
    def rem(self) -> int:
        return self.A - self.C if self.status in CAPTURABLE else 0


@dataclass(frozen=True)
class Row:
    event: str
    sources: frozenset
    guard: Callable[[Ctx], bool]
    target: str | None = None  # None: status unchanged
    error: tuple[int, str, str] | None = None  # (HTTP status, error_code, message template)

    def message(self, ctx: Ctx) -> str:
        values = {**ctx.__dict__, "rem": ctx.rem, "status_word": ctx.status.lower()}
        return self.error[2].format(**values)


def always(ctx: Ctx) -> bool:
    return True


def deny(code: str, message: str, status: int = 403) -> tuple[int, str, str]:
    return (status, code, message)


CAPTURE_ENDED = deny("CAPTURE_NOT_ALLOWED", "Capture not allowed. Order is {status_word}.")
NOT_UPDATABLE = "Order authorization cannot be updated"

TABLE: tuple[Row, ...] = (
    # --- capture x -------------------------------------------------------------------------
    Row("capture", ENDED, always, error=CAPTURE_ENDED),
    Row("capture", frozenset({CAPTURED}), always,
        error=deny("CAPTURE_NOT_ALLOWED", "Order is fully captured. Capture not possible.")),
    Row("capture", CAPTURABLE, lambda c: c.x <= 0, error=deny("BAD_VALUE", "Bad value: captured_amount", 400)),
    Row("capture", CAPTURABLE, lambda c: c.fraud_status != "ACCEPTED",
        error=deny("CAPTURE_NOT_ALLOWED", "Capture not allowed. Fraud status is {fraud_status}.")),
    Row("capture", CAPTURABLE, lambda c: c.x > c.rem, error=deny(
        "CAPTURE_NOT_ALLOWED",
        "Captured amount is higher than the remaining authorized amount. Capture not possible.")),
    Row("capture", CAPTURABLE, lambda c: c.x == c.rem, target=CAPTURED),
    Row("capture", CAPTURABLE, lambda c: c.x < c.rem, target=PART_CAPTURED),
    # --- cancel ------------------------------------------------------------------------------
    Row("cancel", frozenset({AUTHORIZED}), lambda c: c.C == 0, target=CANCELLED),
    Row("cancel", frozenset({PART_CAPTURED, CAPTURED}), always,
        error=deny("CANCEL_NOT_ALLOWED", "Order has previous captures. Cancel not possible.")),
    Row("cancel", ENDED, always,
        error=deny("CANCEL_NOT_ALLOWED", "Order is {status_word}. Cancel not possible.")),
    # --- release remaining authorization ---------------------------------------------------
    Row("release", frozenset({PART_CAPTURED}), always, target=CLOSED),
    Row("release", frozenset({AUTHORIZED, CANCELLED}), always,
        error=deny("NOT_ALLOWED", "Can not release when order is cancelled or has no captures")),
    Row("release", frozenset({CAPTURED}), always, error=deny(
        "NOT_ALLOWED", "Order is fully captured. Remaining authorization cannot be released.")),
    Row("release", frozenset({EXPIRED, CLOSED}), always, error=deny(
        "NOT_ALLOWED", "Order is {status_word}. Remaining authorization cannot be released.")),
    # --- PATCH authorization to x ----------------------------------------------------------
    Row("update_authorization", frozenset({CAPTURED}), always,
        error=deny("NOT_ALLOWED", "Order is fully captured. " + NOT_UPDATABLE)),
    Row("update_authorization", ENDED, always,
        error=deny("NOT_ALLOWED", "Order is {status_word}. " + NOT_UPDATABLE)),
    Row("update_authorization", CAPTURABLE, lambda c: c.x < c.C, error=deny(
        "NOT_ALLOWED", "Resulting authorization amount {x} cannot be less than the captured amount "
        "{C} for order. " + NOT_UPDATABLE)),
    Row("update_authorization", CAPTURABLE, lambda c: c.x > c.A and not c.increase_allowed,
        error=deny("NOT_ALLOWED", "Update not allowed. The increase was declined.")),
    Row("update_authorization", CAPTURABLE, lambda c: c.C > 0 and c.x == c.C, target=CAPTURED),
    Row("update_authorization", CAPTURABLE, always),
    # --- extend authorization time ---------------------------------------------------------
    Row("extend", ENDED, always, error=deny(
        "NOT_ALLOWED", "Order is {status_word}. Authorization time cannot be extended.")),
    Row("extend", frozenset({CAPTURED}), always, error=deny(
        "NOT_ALLOWED", "Order is fully captured. Authorization time cannot be extended.")),
    Row("extend", CAPTURABLE, lambda c: not c.within_extension_limit, error=deny(
        "NOT_ALLOWED", "Authorization time cannot be extended beyond 180 days after the purchase.")),
    Row("extend", CAPTURABLE, always),
    # --- time passes expires_at --------------------------------------------------------------
    Row("expire", frozenset({AUTHORIZED}), always, target=EXPIRED),
    Row("expire", frozenset({PART_CAPTURED}), always, target=CLOSED),
    Row("expire", frozenset({CAPTURED}) | ENDED, always),
    # --- refund x ----------------------------------------------------------------------------
    Row("refund", ANY, lambda c: c.C == 0,
        error=deny("REFUND_NOT_ALLOWED", "Order has no captures. Refund not possible.")),
    Row("refund", ANY, lambda c: c.x <= 0, error=deny("BAD_VALUE", "Bad value: refunded_amount", 400)),
    Row("refund", ANY, lambda c: c.x > c.C - c.R, error=deny(
        "REFUND_NOT_ALLOWED",
        "Refunded amount {x} is higher than the captured amount not yet refunded. Refund not possible.")),
    Row("refund", ANY, always),
    # --- order data --------------------------------------------------------------------------
    Row("merchant_references", frozenset({CANCELLED}), always,
        error=deny("NOT_ALLOWED", "Can not update a cancelled order")),
    Row("merchant_references", ANY, always),
    Row("customer_details", ENDED, always, error=deny(
        "NOT_ALLOWED", "Order is {status_word}. Customer details cannot be updated.")),
    Row("customer_details", ANY, lambda c: c.changes_billing_address, error=deny(
        "NOT_ALLOWED", "Billing address cannot be updated for user account order")),
    Row("customer_details", ANY, always),
    Row("acknowledge", ANY, always),
)

EVENTS = tuple(dict.fromkeys(row.event for row in TABLE))


def decide(event: str, ctx: Ctx) -> Row:
    for row in TABLE:
        if row.event == event and ctx.status in row.sources and row.guard(ctx):
            return row
    raise LookupError(f"no transition for {event} from {ctx.status}")
