"""Order Management: orders, captures, refunds and their rules, driven by the table in `state.py`.

Used by the OM API (with idempotency) and by the merchant portal (which notifies nobody).
"""
from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta

from . import state
from .callbacks import substitute
from .clock import iso, midnight_after, parse_iso
from .wire import ApiError

EXTENSION_LIMIT_DAYS = 180
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PENDING_EMAIL = re.compile(r"\+pend-(accept|reject)-(\d+)", re.IGNORECASE)
FRAUD_EVENTS = {"FRAUD_RISK_ACCEPTED": ("PENDING", "ACCEPTED"),
                "FRAUD_RISK_REJECTED": ("PENDING", "REJECTED"),
                "FRAUD_RISK_STOPPED": ("ACCEPTED", "REJECTED")}

# HPP/KP category -> (KP authorized_payment_method, OM initial_payment_method)
PAYMENT_METHODS = {
    "PAY_LATER": ({"type": "invoice", "number_of_days": 30}, {"type": "INVOICE", "description": "Pay later"}),
    "PAY_OVER_TIME": ({"type": "fixed_amount", "number_of_installments": 3},
                      {"type": "FIXED_AMOUNT", "description": "Pay in parts", "number_of_installments": 3}),
    "PAY_NOW": ({"type": "direct_debit"}, {"type": "DIRECT_DEBIT", "description": "Pay now"}),
    "DIRECT_DEBIT": ({"type": "direct_debit"}, {"type": "DIRECT_DEBIT", "description": "Direct debit"}),
    "DIRECT_BANK_TRANSFER": ({"type": "direct_bank_transfer"},
                             {"type": "BANK_TRANSFER", "description": "Bank transfer"}),
    "KLARNA": ({"type": "invoice", "number_of_days": 30}, {"type": "INVOICE", "description": "Pay later"}),
}
RETURN_FEE_MARKETS = {"AT", "DE", "DK", "FI", "FR", "NL", "NO", "SE", "IT", "ES", "IE", "PT", "CZ", "AU", "GR"}
FIXED_AMOUNT_INCREASE_MARKETS = {"AT", "DE", "DK", "FI", "FR", "NL", "NO", "SE"}


def increase_supported(method_type: str, country: str) -> bool:
    """Payment methods whose authorization may be increased (API.md §3.4)."""
    country = country.upper()
    if method_type in ("INVOICE", "INVOICE_BUSINESS", "ACCOUNT", "DIRECT_DEBIT"):
        return country != "CH"
    return method_type == "FIXED_AMOUNT" and country in FIXED_AMOUNT_INCREASE_MARKETS


def _optional(body: dict, *names: str) -> dict:
    return {name: body[name] for name in names if body.get(name) is not None}


class Orders:
    KIND = "order"

    def __init__(self, sim):
        self.sim = sim

    # ----- creation and reading --------------------------------------------------------------

    def create(self, *, account: str, data: dict, session_id: str, category: str, email: str | None,
               merchant_urls: dict, auto_capture: bool = False) -> dict:
        now = self.sim.clock.now()
        kp_method, om_method = PAYMENT_METHODS.get(category, PAYMENT_METHODS["PAY_LATER"])
        billing = dict(data.get("billing_address") or {})
        if email:
            billing["email"] = email
        order = {
            "order_id": str(uuid.uuid4()), "account": account, "kp_session_id": session_id,
            "status": state.AUTHORIZED, "fraud_status": "ACCEPTED", "fraud_review": None,
            "order_amount": data["order_amount"], "original_order_amount": data["order_amount"],
            "purchase_country": data["purchase_country"].upper(),
            "purchase_currency": data["purchase_currency"].upper(),
            "locale": data.get("locale") or "en-US", "order_lines": data["order_lines"],
            "klarna_reference": "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7)),
            "billing_address": billing, "shipping_address": data.get("shipping_address") or billing,
            "created_at": iso(now), "expires_at": iso(midnight_after(now.date(), self.sim.auth_period_days)),
            "captures": [], "refunds": [], "shipping_info": [],
            "initial_payment_method": om_method, "authorized_payment_method": kp_method,
            "merchant_urls": merchant_urls, "reject_increases": False,
            **_optional(data, "merchant_reference1", "merchant_reference2", "merchant_data"),
        }
        customer = _optional(data.get("customer") or {}, "date_of_birth", "national_identification_number")
        if customer:
            order["customer"] = customer
        pending = PENDING_EMAIL.search(billing.get("email") or "")
        if pending:
            decision, minutes = pending.group(1).lower(), int(pending.group(2))
            order["fraud_status"] = "PENDING"
            order["fraud_review"] = {"event_type": f"FRAUD_RISK_{decision.upper()}ED",
                                     "decide_at": iso(now + timedelta(minutes=minutes))}
        if auto_capture and order["fraud_status"] == "ACCEPTED":
            self.capture(order, {"captured_amount": order["order_amount"], "order_lines": order["order_lines"]})
        return self.save(order)

    def save(self, order: dict) -> dict:
        return self.sim.store.put(self.KIND, order["order_id"], order)

    def all(self) -> list[dict]:
        return [self._refresh(order) for order in self.sim.store.all(self.KIND)]

    def load(self, account: dict | None, order_id: str) -> dict:
        order = self.sim.store.get(self.KIND, order_id)
        if order is None or (account and order["account"] != account["username"]):
            raise ApiError(404, "NO_SUCH_ORDER", f"Order {order_id} cannot be found")
        return self._refresh(order)

    def _refresh(self, order: dict) -> dict:
        """Lazy effects of time: authorization expiry and due fraud decisions."""
        now = self.sim.clock.now()
        review = order.get("fraud_review")
        if order["fraud_status"] == "PENDING" and review and now >= parse_iso(review["decide_at"]):
            self.decide_fraud(order, review["event_type"])
        if order["status"] in state.CAPTURABLE and now >= parse_iso(order["expires_at"]):
            self._transition(order, "expire")
            self.save(order)
        return order

    def view(self, order: dict) -> dict:
        hidden = ("account", "kp_session_id", "fraud_review", "merchant_urls", "reject_increases",
                  "authorized_payment_method")
        body = {k: v for k, v in order.items() if k not in hidden}
        body.update(captured_amount=_captured(order), refunded_amount=_refunded(order),
                    remaining_authorized_amount=self._ctx(order).rem)
        return body

    def find_capture(self, order: dict, capture_id: str) -> dict:
        for capture in order["captures"]:
            if capture["capture_id"] == capture_id:
                return capture
        raise ApiError(404, "NO_SUCH_CAPTURE", f"Capture {capture_id} could not be found")

    def find_refund(self, order: dict, refund_id: str) -> dict:
        for refund in order["refunds"]:
            if refund["refund_id"] == refund_id:
                return refund
        raise ApiError(404, "NOT_FOUND", f"Refund {refund_id} cannot be found for order {order['order_id']}")

    # ----- the state machine ------------------------------------------------------------------

    def _ctx(self, order: dict, **extra) -> state.Ctx:
        return state.Ctx(status=order["status"], A=order["order_amount"], C=_captured(order),
                         R=_refunded(order), fraud_status=order["fraud_status"], **extra)

    def _transition(self, order: dict, event: str, **extra) -> state.Row:
        ctx = self._ctx(order, **extra)
        row = state.decide(event, ctx)
        if row.error:
            raise ApiError(row.error[0], row.error[1], row.message(ctx))
        if row.target:
            order["status"] = row.target
        return row

    # ----- operations (effects after the table allowed them) ---------------------------------

    def capture(self, order: dict, body: dict) -> dict:
        amount = body["captured_amount"]
        self._transition(order, "capture", x=amount)
        capture = {
            "capture_id": str(uuid.uuid4()),
            "klarna_reference": f"{order['klarna_reference']}-{len(order['captures']) + 1}",
            "captured_amount": amount, "captured_at": iso(self.sim.clock.now()),
            "order_lines": body.get("order_lines") or [], "refunded_amount": 0,
            "billing_address": order["billing_address"], "shipping_address": order["shipping_address"],
            "shipping_info": body.get("shipping_info") or [],
            **_optional(body, "description", "reference"),
        }
        order["captures"].append(capture)
        self.save(order)
        return capture

    def refund(self, order: dict, body: dict) -> dict:
        amount = body["refunded_amount"]
        self._transition(order, "refund", x=amount)
        if any(line.get("type") == "return_fee" for line in body.get("order_lines") or []):
            _check_return_fee(order, body)
        left = amount
        for capture in order["captures"]:  # allocate to the oldest captures first
            share = min(left, capture["captured_amount"] - capture["refunded_amount"])
            capture["refunded_amount"] += share
            left -= share
        refund = {"refund_id": str(uuid.uuid4()), "refunded_amount": amount,
                  "refunded_at": iso(self.sim.clock.now()), "order_lines": body.get("order_lines") or [],
                  **_optional(body, "description", "reference")}
        order["refunds"].append(refund)
        self.save(order)
        return refund

    def update_authorization(self, order: dict, body: dict, assess_risk: bool = True) -> None:
        account = self.sim.accounts.get(order["account"]) or {}
        allowed = not assess_risk or not (
            account.get("reject_increases") or order.get("reject_increases")
            or not increase_supported(order["initial_payment_method"]["type"], order["purchase_country"]))
        self._transition(order, "update_authorization", x=body["order_amount"], increase_allowed=allowed)
        order["order_amount"] = body["order_amount"]
        order["order_lines"] = body.get("order_lines") or []
        self.save(order)

    def simple(self, order: dict, event: str) -> None:
        """cancel, release, acknowledge: the status change is all there is."""
        self._transition(order, event)
        self.save(order)

    def extend(self, order: dict) -> None:
        now = self.sim.clock.now()
        new_expiry = midnight_after(now.date(), self.sim.auth_period_days)
        limit = midnight_after(parse_iso(order["created_at"]).date(), EXTENSION_LIMIT_DAYS)
        self._transition(order, "extend", within_extension_limit=new_expiry <= limit)
        order["expires_at"] = iso(new_expiry)
        self.save(order)

    def update_merchant_references(self, order: dict, body: dict) -> None:
        self._transition(order, "merchant_references")
        order.update(_optional(body, "merchant_reference1", "merchant_reference2"))
        self.save(order)

    def update_customer_details(self, order: dict, body: dict) -> None:
        changes_billing = bool(body.get("billing_address")) and body["billing_address"] != order["billing_address"]
        self._transition(order, "customer_details", changes_billing_address=changes_billing)
        if body.get("shipping_address") is not None:
            order["shipping_address"] = {**order["shipping_address"], **body["shipping_address"]}
            order["shipping_address"] = {k: v for k, v in order["shipping_address"].items() if v != ""}
        self.save(order)

    def add_shipping_info(self, order: dict, shipping_info: list, capture_id: str | None = None) -> None:
        target = order if capture_id is None else self.capture_for_action(order, capture_id)
        target["shipping_info"].extend(shipping_info)
        self.save(order)

    def capture_for_action(self, order: dict, capture_id: str) -> dict:
        if not order["captures"]:
            raise ApiError(403, "NOT_ALLOWED", "Order has no captures")
        return self.find_capture(order, capture_id)

    def set_reject_increases(self, order_id: str, reject: bool = True) -> None:
        """Decline (or stop declining) amount increases of one order, whatever the account says."""
        order = self.load(None, order_id)
        order["reject_increases"] = bool(reject)
        self.save(order)

    def expire_now(self, order: dict) -> None:
        order["expires_at"] = iso(self.sim.clock.now())
        self._refresh(order)
        self.save(order)

    def decide_fraud(self, order: dict, event_type: str) -> None:
        before, after = FRAUD_EVENTS[event_type]
        if order["fraud_status"] != before:
            raise ApiError(403, "NOT_ALLOWED", f"Fraud status is {order['fraud_status']}, not {before}")
        order["fraud_status"] = after
        order["fraud_review"] = None
        self.save(order)
        url = order["merchant_urls"].get("notification")
        if url:
            url = substitute(url, {"{order.id}": order["order_id"], "{session.id}": order["kp_session_id"]})
        self.sim.notify(url, {"order_id": order["order_id"], "event_type": event_type,
                              "decided_at": iso(self.sim.clock.now())})


def _check_return_fee(order: dict, body: dict) -> None:
    """API.md §3.10: one single full capture, the return-fee markets, and lines that add up to the refund."""
    if order["purchase_country"] not in RETURN_FEE_MARKETS:
        raise ApiError(403, "REFUND_NOT_ALLOWED", "Return fees are not available in this market. Refund not possible.")
    if len(order["captures"]) != 1 or order["captures"][0]["captured_amount"] != order["order_amount"]:
        raise ApiError(403, "REFUND_NOT_ALLOWED",
                       "Return fees need an order captured in one single full capture. Refund not possible.")
    if sum(line["total_amount"] for line in body["order_lines"]) != body["refunded_amount"]:
        raise ApiError(403, "REFUND_NOT_ALLOWED",
                       "The order lines of a refund with a return fee must add up to the refunded amount.")


def _captured(order: dict) -> int:
    return sum(capture["captured_amount"] for capture in order["captures"])


def _refunded(order: dict) -> int:
    return sum(refund["refunded_amount"] for refund in order["refunds"])
