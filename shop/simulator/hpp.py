"""Hosted Payment Page sessions: creation rules, the shopper's outcomes, status callbacks."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from .callbacks import substitute
from .clock import iso, parse_iso
from .kp import is_declined
from .validation import check, obj, one_of, text, array
from .wire import ApiError, bad_value

CATEGORIES = ("DIRECT_DEBIT", "DIRECT_BANK_TRANSFER", "PAY_NOW", "PAY_LATER", "PAY_OVER_TIME", "KLARNA")
PLACE_ORDER_MODES = ("NONE", "PLACE_ORDER", "CAPTURE_ORDER")
FINAL = ("COMPLETED", "CANCELLED", "DISABLED")
KP_SESSION_PATH = re.compile(r"/payments/v1/sessions/([^/?#]+)/?$")

MERCHANT_URLS = obj({name: text(2000) for name in
                     ("success", "cancel", "back", "failure", "error", "status_update")})
REQUEST = obj({
    "payment_session_url": text(2000, 1), "merchant_urls": MERCHANT_URLS, "profile_id": text(255),
    "options": obj({
        "place_order_mode": one_of(*PLACE_ORDER_MODES),
        "payment_method_category": one_of(*CATEGORIES, *(c.lower() for c in CATEGORIES)),
        "payment_method_categories": array(one_of(*CATEGORIES, *(c.lower() for c in CATEGORIES)), 6),
        "purchase_type": one_of("BUY", "RENT", "BOOK", "SUBSCRIBE", "DOWNLOAD", "ORDER", "CONTINUE",
                                "buy", "rent", "book", "subscribe", "download", "order", "continue"),
        "page_title": text(255), "logo_url": text(2000), "show_subtotal_detail": one_of("HIDE"),
    }),
}, ("payment_session_url",))
DISTRIBUTION = obj({"method": one_of("sms", "email", "token"), "template": one_of("INSTORE_PURCHASE"),
                    "contact_information": obj({"email": text(255), "phone": text(64),
                                                "phone_country": text(2), "access_id": text(255)})},
                   ("method", "contact_information"))
CONTACT_FIELDS = {"email": ("email",), "sms": ("phone", "phone_country"), "token": ("access_id",)}
# action on the hosted page -> (resulting status, merchant URL keys to try in order)
OUTCOMES = {
    "approve": ("COMPLETED", ("success",)),
    "decline": ("FAILED", ("failure",)),
    "cancel": ("CANCELLED", ("cancel",)),
    "back": ("BACK", ("back",)),
    "error": ("ERROR", ("error", "failure")),
}


class HostedPages:
    KIND = "hpp_session"

    def __init__(self, sim):
        self.sim = sim

    def create(self, account: dict, body: dict, own_hosts: set[str]) -> dict:
        problems = check(body, REQUEST)
        if problems:
            raise bad_value(*(p.path for p in problems))
        options = dict(body.get("options") or {})
        if "payment_method_category" in options and "payment_method_categories" in options:
            raise bad_value("options.payment_method_category and options.payment_method_categories")
        kp_session = self._kp_session(account, body["payment_session_url"], own_hosts)
        offered = [c.upper() for c in kp_session["categories"]]
        wanted = options.get("payment_method_categories") or (
            [options["payment_method_category"]] if options.get("payment_method_category") else offered)
        wanted = [c.upper() for c in wanted]
        if any(c not in offered for c in wanted):
            raise bad_value("options.payment_method_categories")
        now = self.sim.clock.now()
        session = {
            "session_id": str(uuid.uuid4()), "account": account["username"],
            "kp_session_id": kp_session["session_id"], "created_at": iso(now), "updated_at": iso(now),
            "expires_at": iso(parse_iso(kp_session["expires_at"]) - timedelta(hours=1)),
            "status": "WAITING", "merchant_urls": body.get("merchant_urls") or {}, "options": options,
            "categories": wanted, "place_order_mode": (options.get("place_order_mode") or "NONE"),
            "category": None, "email": None, "authorization_token": None, "order_id": None,
            "klarna_reference": None, "distributions": [], "history": [["WAITING", iso(now)]],
        }
        return self.save(session)

    def _kp_session(self, account: dict, url: str, own_hosts: set[str]) -> dict:
        parts = urlsplit(url)
        match = KP_SESSION_PATH.search(parts.path)
        if parts.scheme not in ("http", "https") or parts.netloc not in own_hosts or not match:
            raise bad_value("payment_session_url")
        try:
            kp_session = self.sim.payments.load_session(account, match.group(1))
        except ApiError:
            raise ApiError(404, "NOT_FOUND", "Payment session has expired or could not be found") from None
        if kp_session["status"] == "complete":
            raise ApiError(404, "NOT_FOUND", "Payment session has already been completed")
        return kp_session

    def save(self, session: dict) -> dict:
        return self.sim.store.put(self.KIND, session["session_id"], session)

    def all(self) -> list[dict]:
        return self.sim.store.all(self.KIND)

    def load(self, account: dict | None, session_id: str) -> dict:
        """A live session; expired, unknown or foreign ones are 404 (as Klarna answers)."""
        session = self.sim.store.get(self.KIND, session_id)
        if session is None or (account and session["account"] != account["username"]) or self.expired(session):
            raise ApiError(404, "NOT_FOUND", "HPP session has expired or could not be found")
        return session

    def expired(self, session: dict) -> bool:
        if self.sim.clock.now() >= parse_iso(session["expires_at"]):
            return True
        kp_session = self.sim.store.get(self.sim.payments.SESSION, session["kp_session_id"])
        return session["status"] != "COMPLETED" and kp_session["status"] == "complete"

    def view(self, session: dict) -> dict:
        body = {key: session[key] for key in ("session_id", "status", "updated_at", "expires_at")}
        if session["status"] == "COMPLETED":
            if session["place_order_mode"] == "NONE":
                body["authorization_token"] = session["authorization_token"]
            else:
                body.update(order_id=session["order_id"], klarna_reference=session["klarna_reference"])
        return body

    def creation_view(self, session: dict, api_root: str, public_root: str) -> dict:
        session_url = f"{api_root}/hpp/v1/sessions/{session['session_id']}"
        page_url = f"{public_root}/hpp/payments/{session['session_id']}"
        return {
            "session_id": session["session_id"], "session_url": session_url, "redirect_url": page_url,
            "qr_code_url": f"{page_url}/qr", "distribution_url": f"{session_url}/distribution",
            "distribution_module": {"token": session["session_id"], "standalone_url": page_url,
                                    "generation_url": f"{session_url}/distribution"},
            "expires_at": session["expires_at"],
        }

    def disable(self, account: dict, session_id: str) -> None:
        session = self.load(account, session_id)
        if session["status"] == "COMPLETED":
            raise ApiError(400, "BAD_VALUE", "HPP session has already been successfully completed")
        if session["status"] not in FINAL:
            self._set_status(session, "DISABLED")

    def distribute(self, account: dict, session_id: str, body: dict) -> None:
        session = self.load(account, session_id)
        problems = check(body, DISTRIBUTION)
        contact = body.get("contact_information") or {}
        missing = [f"contact_information.{name}" for name in CONTACT_FIELDS.get(body.get("method"), ())
                   if not contact.get(name)]
        if problems or missing:
            raise ApiError(400, "MISSING_CONTACT_DATA" if missing and not problems else "CONSTRAINT_VIOLATION",
                           *(f"Bad value: {p.path}" for p in problems), *(f"Missing value: {m}" for m in missing))
        if session["status"] in FINAL:
            raise ApiError(400, "CONSTRAINT_VIOLATION", f"HPP session is {session['status'].lower()}")
        session["distributions"].append({"method": body["method"], "contact_information": contact,
                                         "sent_at": iso(self.sim.clock.now())})
        self.save(session)

    # ----- the shopper on the hosted page --------------------------------------------------

    def open(self, session: dict) -> None:
        if session["status"] == "WAITING":
            self._set_status(session, "IN_PROGRESS")

    def act(self, session: dict, action: str, category: str | None = None, email: str | None = None) -> str | None:
        """Carry out a button of the hosted page; returns the merchant URL to send the browser to."""
        if session["status"] in FINAL:
            raise ApiError(404, "NOT_FOUND", f"HPP session is {session['status'].lower()}")
        status, url_keys = OUTCOMES[action]
        if action == "approve":
            category = (category or session["categories"][0]).upper()
            if category not in session["categories"]:
                category = session["categories"][0]
            session.update(category=category, email=email or None)
            if is_declined(email):
                status, url_keys = OUTCOMES["decline"]
            else:
                self._approve(session, category, email)
        self._set_status(session, status)
        urls = session["merchant_urls"]
        return self.merchant_url(session, next((urls[key] for key in url_keys if urls.get(key)), None))

    @staticmethod
    def merchant_url(session: dict, url: str | None) -> str | None:
        return url and substitute(url, {
            "{{session_id}}": session["session_id"],
            "{{authorization_token}}": session["authorization_token"],
            "{{order_id}}": session["order_id"]})

    def _approve(self, session: dict, category: str, email: str | None) -> None:
        payments = self.sim.payments
        kp_session = payments.load_session(None, session["kp_session_id"])
        authorization = payments.authorize(kp_session, category, email)
        if session["place_order_mode"] == "NONE":
            session["authorization_token"] = authorization["token"]
            return
        capture = session["place_order_mode"] == "CAPTURE_ORDER"
        order = payments.place_order(authorization, kp_session, {**kp_session["data"], "auto_capture": capture})
        session.update(order_id=order["order_id"], klarna_reference=order["klarna_reference"])

    def _set_status(self, session: dict, status: str) -> None:
        now = iso(self.sim.clock.now())
        session.update(status=status, updated_at=now)
        session["history"].append([status, now])
        self.save(session)
        self.sim.notify(self.merchant_url(session, session["merchant_urls"].get("status_update")),
                        {"event_id": str(uuid.uuid4()), "session": self.view(session)})
