"""Klarna Payments: sessions (48 h), authorizations (token valid 60 min, single use), order creation."""
from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import timedelta

from .clock import iso, parse_iso
from .validation import KP_ORDER, KP_SESSION, SESSION_FIELDS, order_problems
from .wire import ApiError, bad_value

SESSION_LIFETIME = timedelta(hours=48)
TOKEN_LIFETIME = timedelta(minutes=60)
DEFAULT_CATEGORIES = ("pay_later", "pay_over_time", "pay_now")
CATEGORY_NAMES = {
    "pay_later": "Pay later", "pay_over_time": "Pay in parts", "pay_now": "Pay now",
    "klarna": "Klarna", "direct_debit": "Direct debit", "direct_bank_transfer": "Bank transfer",
}
DECLINED_EMAIL = re.compile(r"\+(denied|reject_reason_)", re.IGNORECASE)
PRIVATE_CUSTOMER_FIELDS = ("national_identification_number", "last_four_ssn")
MATCHED_FIELDS = ("purchase_country", "purchase_currency", "order_amount", "order_lines",
                  "billing_address", "shipping_address")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class Payments:
    SESSION, AUTHORIZATION = "kp_session", "authorization"

    def __init__(self, sim):
        self.sim = sim

    # ----- sessions ----------------------------------------------------------------------------

    def categories_for(self, country: str) -> list[str]:
        table = self.sim.config.get("SIMULATOR_PAYMENT_CATEGORIES") or {}
        return list(table.get(country.upper()) or table.get("*") or DEFAULT_CATEGORIES)

    def create_session(self, account: dict, data: dict) -> dict:
        data = {k: v for k, v in data.items() if k in SESSION_FIELDS}  # read-only and unknown keys are ignored
        self._validate(data)
        now = self.sim.clock.now()
        session_id = str(uuid.uuid4())
        session = {
            "session_id": session_id, "account": account["username"], "data": data,
            "created_at": iso(now), "expires_at": iso(now + SESSION_LIFETIME), "status": "incomplete",
            "categories": self.categories_for(data["purchase_country"]),
            "client_token": ".".join([_b64({"alg": "none", "kid": "klarna-simulator"}),
                                      _b64({"session_id": session_id}), "c2ltdWxhdG9y"]),
            "authorization_token": None, "order_id": None,
        }
        return self.sim.store.put(self.SESSION, session_id, session)

    def load_session(self, account: dict | None, session_id: str) -> dict:
        session = self.sim.store.get(self.SESSION, session_id)
        if (session is None or (account and session["account"] != account["username"])
                or self.sim.clock.now() >= parse_iso(session["expires_at"])):
            raise ApiError(404, "NOT_FOUND", "Invalid session id")
        return session

    def update_session(self, account: dict, session_id: str, changes: dict) -> None:
        session = self.load_session(account, session_id)
        if session["status"] == "complete":
            raise ApiError(404, "SESSION_COMPLETED", "Session has already been completed")
        data = {**session["data"], **{k: v for k, v in changes.items() if k in SESSION_FIELDS}}
        self._validate(data)
        session["data"] = data
        session["categories"] = self.categories_for(data["purchase_country"])
        session["authorization_token"] = None  # a changed cart needs a new authorization
        self.sim.store.put(self.SESSION, session_id, session)

    def session_view(self, session: dict) -> dict:
        data = dict(session["data"])
        if "customer" in data:  # the read shape leaves out the identity numbers
            data["customer"] = {k: v for k, v in data["customer"].items() if k not in PRIVATE_CUSTOMER_FIELDS}
        return {
            **data, "status": session["status"], "expires_at": session["expires_at"],
            "client_token": session["client_token"],
            "payment_method_categories": [self.category_view(c) for c in session["categories"]],
        }

    def category_view(self, identifier: str) -> dict:
        badge = "https://x.klarnacdn.net/payment-method/assets/badges/generic/klarna.svg"
        return {"identifier": identifier, "name": CATEGORY_NAMES.get(identifier, identifier),
                "asset_urls": {"descriptive": badge, "standard": badge}}

    @staticmethod
    def _validate(data: dict, rule=KP_SESSION) -> None:
        problems = order_problems(data, rule)
        if problems:
            raise bad_value(*problems)

    # ----- authorizations --------------------------------------------------------------------

    def authorize(self, session: dict, category: str, email: str | None) -> dict:
        """The shopper was approved: issue a new token; older tokens of the session stop working."""
        now = self.sim.clock.now()
        token = str(uuid.uuid4())
        data = session["data"]
        authorization = {
            "token": token, "session_id": session["session_id"], "account": session["account"],
            "created_at": iso(now), "expires_at": iso(now + TOKEN_LIFETIME), "state": "valid",
            "category": category.upper(), "email": email,
            "authorized": {field: data.get(field) for field in MATCHED_FIELDS},
        }
        self.sim.store.put(self.AUTHORIZATION, token, authorization)
        session["authorization_token"] = token
        self.sim.store.put(self.SESSION, session["session_id"], session)
        callback = (data.get("merchant_urls") or {}).get("authorization")
        self.sim.notify(callback, {"authorization_token": token, "session_id": session["session_id"]})
        return authorization

    def _live_authorization(self, account: dict, token: str) -> tuple[dict, dict]:
        authorization = self.sim.store.get(self.AUTHORIZATION, token)
        if authorization is None or authorization["account"] != account["username"]:
            raise ApiError(404, "NOT_FOUND", "Invalid authorization token")
        if authorization["state"] == "consumed":
            raise ApiError(403, "INVALID_OPERATION", "Authorization token already consumed")
        session = self.sim.store.get(self.SESSION, authorization["session_id"])
        if session["status"] == "complete":
            raise ApiError(404, "SESSION_COMPLETED", "Session has already been completed")
        if (authorization["state"] != "valid" or session["authorization_token"] != token
                or self.sim.clock.now() >= parse_iso(authorization["expires_at"])):
            raise ApiError(404, "NOT_FOUND", "Invalid authorization token")
        return authorization, session

    def create_order(self, account: dict, token: str, data: dict, public_root: str) -> dict:
        """KP create order; returns the response body."""
        authorization, session = self._live_authorization(account, token)
        self._validate(data, KP_ORDER)
        mismatched = [field for field in MATCHED_FIELDS if not _same(
            field, authorization["authorized"].get(field), data.get(field))]
        if mismatched:
            raise ApiError(409, "BAD_VALUE", f"Not matching fields: [{', '.join(mismatched)}]")
        order = self.place_order(authorization, session, data)
        body = {"order_id": order["order_id"], "fraud_status": order["fraud_status"],
                "authorized_payment_method": order["authorized_payment_method"]}
        if order["merchant_urls"].get("confirmation"):
            body["redirect_url"] = f"{public_root}/kp/confirm/{order['order_id']}"
        return body

    def place_order(self, authorization: dict, session: dict, data: dict) -> dict:
        merchant_urls = {**(session["data"].get("merchant_urls") or {}), **(data.get("merchant_urls") or {})}
        order = self.sim.orders.create(
            account=authorization["account"], data=data, session_id=session["session_id"],
            category=authorization["category"], email=authorization["email"],
            merchant_urls=merchant_urls, auto_capture=bool(data.get("auto_capture")))
        authorization["state"] = "consumed"
        self.sim.store.put(self.AUTHORIZATION, authorization["token"], authorization)
        session.update(status="complete", order_id=order["order_id"])
        self.sim.store.put(self.SESSION, session["session_id"], session)
        return order

    def cancel_authorization(self, account: dict, token: str) -> None:
        authorization = self.sim.store.get(self.AUTHORIZATION, token)
        if (authorization is None or authorization["account"] != account["username"]
                or authorization["state"] != "valid"):
            raise ApiError(404, "NOT_FOUND", "Authorization cannot be deleted")
        authorization["state"] = "cancelled"
        self.sim.store.put(self.AUTHORIZATION, token, authorization)
        session = self.sim.store.get(self.SESSION, authorization["session_id"])
        if session["authorization_token"] == token:
            session["authorization_token"] = None
            self.sim.store.put(self.SESSION, session["session_id"], session)


def _same(field: str, authorized, requested) -> bool:
    if field.startswith("purchase_"):
        return str(authorized or "").upper() == str(requested or "").upper()
    if field.endswith("_address"):  # compared only when both sides carry one
        return authorized is None or requested is None or authorized == requested
    return authorized == requested


def is_declined(email: str | None) -> bool:
    return bool(email and DECLINED_EMAIL.search(email))
