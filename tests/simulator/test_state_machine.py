"""Every row of the Order Management state machine (API.md §5), through the HTTP API,
with the invariants checked after each step."""
from __future__ import annotations

import pytest

from .payloads import SE_ORDER

A = SE_ORDER["order_amount"]  # 74599
PART = 10000
CAPTURABLE = ("AUTHORIZED", "PART_CAPTURED")


def reach(merchant, sim, state: str) -> str:
    order_id = merchant.order_from(SE_ORDER)
    steps = {
        "AUTHORIZED": [],
        "PART_CAPTURED": [("POST", "/captures", {"captured_amount": PART})],
        "CAPTURED": [("POST", "/captures", {"captured_amount": A})],
        "CANCELLED": [("POST", "/cancel", None)],
        "CLOSED": [("POST", "/captures", {"captured_amount": PART}),
                   ("POST", "/release-remaining-authorization", None)],
        "EXPIRED": [],
    }[state]
    for method, suffix, body in steps:
        assert merchant.om(method, order_id, suffix, json=body).status_code in (201, 204)
    if state == "EXPIRED":
        sim.clock.advance(days=28)
    assert merchant.order(order_id)["status"] == state
    return order_id


def amount(expr: str, order: dict) -> int:
    values = {"A": order["order_amount"], "C": order["captured_amount"], "R": order["refunded_amount"],
              "rem": order["remaining_authorized_amount"], "part": PART}
    return eval(expr, {}, values)  # expressions of the table below only


def act(merchant, sim, order_id: str, event: str, arg: str | None):
    before = merchant.order(order_id)
    if event == "time passes":
        sim.clock.advance(days=28)
        return None
    suffix, method, body = {
        "capture": ("/captures", "POST", lambda: {"captured_amount": amount(arg, before)}),
        "refund": ("/refunds", "POST", lambda: {"refunded_amount": amount(arg, before)}),
        "cancel": ("/cancel", "POST", lambda: None),
        "release": ("/release-remaining-authorization", "POST", lambda: None),
        "extend": ("/extend-authorization-time", "POST", lambda: None),
        "patch": ("/authorization", "PATCH", lambda: {"order_amount": amount(arg, before)}),
        "references": ("/merchant-references", "PATCH", lambda: {"merchant_reference1": "X-1"}),
    }[event]
    return merchant.om(method, order_id, suffix, json=body())


# (from, event, amount expression, HTTP status, error_code, resulting status) — API.md §5
ROWS = [
    ("AUTHORIZED", "capture", "part", 201, None, "PART_CAPTURED"),
    ("AUTHORIZED", "capture", "rem", 201, None, "CAPTURED"),
    ("PART_CAPTURED", "capture", "part", 201, None, "PART_CAPTURED"),
    ("PART_CAPTURED", "capture", "rem", 201, None, "CAPTURED"),
    ("AUTHORIZED", "capture", "rem + 1", 403, "CAPTURE_NOT_ALLOWED", "AUTHORIZED"),
    ("PART_CAPTURED", "capture", "rem + 1", 403, "CAPTURE_NOT_ALLOWED", "PART_CAPTURED"),
    ("CAPTURED", "capture", "1", 403, "CAPTURE_NOT_ALLOWED", "CAPTURED"),
    ("AUTHORIZED", "cancel", None, 204, None, "CANCELLED"),
    ("PART_CAPTURED", "cancel", None, 403, "CANCEL_NOT_ALLOWED", "PART_CAPTURED"),
    ("CAPTURED", "cancel", None, 403, "CANCEL_NOT_ALLOWED", "CAPTURED"),
    ("PART_CAPTURED", "release", None, 204, None, "CLOSED"),
    ("AUTHORIZED", "release", None, 403, "NOT_ALLOWED", "AUTHORIZED"),
    ("CAPTURED", "release", None, 403, "NOT_ALLOWED", "CAPTURED"),
    ("AUTHORIZED", "patch", "A - 1000", 204, None, "AUTHORIZED"),
    ("AUTHORIZED", "patch", "A + 1000", 204, None, "AUTHORIZED"),
    ("PART_CAPTURED", "patch", "A - 1000", 204, None, "PART_CAPTURED"),
    ("PART_CAPTURED", "patch", "C", 204, None, "CAPTURED"),
    ("PART_CAPTURED", "patch", "C - 1", 403, "NOT_ALLOWED", "PART_CAPTURED"),
    ("CAPTURED", "patch", "A", 403, "NOT_ALLOWED", "CAPTURED"),
    ("AUTHORIZED", "extend", None, 204, None, "AUTHORIZED"),
    ("PART_CAPTURED", "extend", None, 204, None, "PART_CAPTURED"),
    ("AUTHORIZED", "time passes", None, None, None, "EXPIRED"),
    ("PART_CAPTURED", "time passes", None, None, None, "CLOSED"),
    ("PART_CAPTURED", "refund", "C - R", 201, None, "PART_CAPTURED"),
    ("CAPTURED", "refund", "C - R", 201, None, "CAPTURED"),
    ("CLOSED", "refund", "part", 201, None, "CLOSED"),
    ("AUTHORIZED", "refund", "1", 403, "REFUND_NOT_ALLOWED", "AUTHORIZED"),
    ("CAPTURED", "refund", "C - R + 1", 403, "REFUND_NOT_ALLOWED", "CAPTURED"),
    ("CANCELLED", "refund", "1", 403, "REFUND_NOT_ALLOWED", "CANCELLED"),
    *[(state, "capture", "1", 403, "CAPTURE_NOT_ALLOWED", state) for state in ("CANCELLED", "EXPIRED", "CLOSED")],
    *[(state, "patch", "A", 403, "NOT_ALLOWED", state) for state in ("CANCELLED", "EXPIRED", "CLOSED")],
    *[(state, "extend", None, 403, "NOT_ALLOWED", state) for state in ("CANCELLED", "EXPIRED", "CLOSED")],
    *[(state, "cancel", None, 403, "CANCEL_NOT_ALLOWED", state) for state in ("CANCELLED", "EXPIRED", "CLOSED")],
    ("CANCELLED", "references", None, 403, "NOT_ALLOWED", "CANCELLED"),
    ("CAPTURED", "references", None, 204, None, "CAPTURED"),
]


def check_invariants(order: dict) -> None:
    assert order["original_order_amount"] == A
    captured = sum(c["captured_amount"] for c in order["captures"])
    refunded = sum(r["refunded_amount"] for r in order["refunds"])
    assert order["captured_amount"] == captured and order["refunded_amount"] == refunded
    assert sum(c["refunded_amount"] for c in order["captures"]) == refunded
    if order["status"] in CAPTURABLE:
        assert order["remaining_authorized_amount"] == order["order_amount"] - captured
    else:
        assert order["remaining_authorized_amount"] == 0


@pytest.mark.parametrize("start, event, arg, http, code, end", ROWS,
                         ids=[f"{r[0]}-{r[1]}-{r[2] or ''}-{r[3] or ''}" for r in ROWS])
def test_transition(merchant, sim, start, event, arg, http, code, end):
    order_id = reach(merchant, sim, start)
    before = merchant.order(order_id)
    response = act(merchant, sim, order_id, event, arg)
    if http is not None:
        assert response.status_code == http, response.text
        if code:
            assert response.json()["error_code"] == code
        else:
            assert response.content == b""
    after = merchant.order(order_id)
    assert after["status"] == end
    check_invariants(after)
    if code:  # a refused operation changes nothing
        assert {k: after[k] for k in ("order_amount", "captured_amount", "refunded_amount", "expires_at")} == \
               {k: before[k] for k in ("order_amount", "captured_amount", "refunded_amount", "expires_at")}
