"""The shop and its in-process Klarna simulator, driven over HTTP as shoppers and a merchant would.

One `World` (app, logged-in merchant) serves many sequences: `reset()` puts back the demo database
and empties the simulator, so a sequence costs its requests and little else.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session, select

from shop import create_app
from shop.models import Order, Payment, PaymentLink, Product, ShippingMethod, User
from shop.payments.refunds import new_form_token
from shop.simulator.wire import ApiError
from tests.conftest import ADMIN_EMAIL, app_config, csrf_token
from tests.klarna_fixtures import CallbackQueue

OVERPAYMENT = re.compile(r'name="overpayment-amount"[^>]*value="([^"]*)"')
SHOPPER = {"given_name": "Aino", "family_name": "Virtanen", "phone": "+358401234567",
           "street_address": "Mannerheimintie 1", "city": "Helsinki"}
POSTAL_CODES = {"fi": "00100", "sv": "113 51", "en": "00100"}
PORTAL_ACTS = ("capture", "refund", "cancel", "release", "extend", "amount", "expire")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def amount_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def edit_form(order: Order) -> dict[str, str]:
    """The order edit form as the order page prefills it."""
    fields = {"revision": str(order.revision), "add_product": "0", "add_quantity": "1", "payment_fee": "",
              "discount_amount": "", "discount_percent": "", "action": "save"}
    for line in order.goods_lines:
        fields |= {f"quantity_{line.id}": str(line.quantity), f"price_{line.id}": amount_text(line.unit_price),
                   f"vat_{line.id}": f"{line.tax_rate / 100:g}"}
    shipping = next((line for line in order.lines if line.kind == "shipping_fee"), None)
    if shipping is not None:
        fields["shipping_fee"] = amount_text(shipping.unit_price)
    return fields


@dataclass
class Checkout:
    """One shopper's order, as far as the shopper knows it."""

    code: str
    token: str
    number: str
    client: object = field(repr=False)
    csrf: str = field(repr=False)
    hosted_page: str | None = None  # the hosted page the shopper was last sent to
    return_url: str | None = None  # where Klarna's page sent the shopper back to (not followed yet)


class World:
    def __init__(self, template_database: Path, workdir: Path):
        workdir.mkdir(parents=True, exist_ok=True)
        self.template = template_database
        self.database = workdir / "shop.sqlite3"
        shutil.copy(template_database, self.database)
        self.callbacks = CallbackQueue()
        self.app = create_app(app_config(
            f"sqlite:///{self.database}", SIMULATOR_STORAGE=str(workdir / "sim.sqlite3"),
            SIMULATOR_CALLBACK_SENDER=self.callbacks, MAIL_SEND_IN_BACKGROUND=False, RATELIMIT_ENABLED=False))
        self.callbacks.app = self.app
        self.simulator = self.app.extensions["klarna_simulator"]
        self.gateway = self.app.extensions["klarna_gateway"]
        self.gateway.sleep = lambda _seconds: None
        self.merchant = self.app.test_client()
        self._log_in_merchant()

    def reset(self) -> None:
        self.app.extensions["shop_engine"].dispose()
        shutil.copy(self.template, self.database)
        self.simulator.reset()
        self.callbacks.sent.clear()

    def close(self) -> None:
        self.app.extensions["shop_engine"].dispose()

    def session(self) -> Session:
        return Session(self.app.extensions["shop_engine"], expire_on_commit=False)

    def _log_in_merchant(self) -> None:
        with self.session() as session:
            admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
            user_id = admin.get_id()
        with self.merchant.session_transaction() as flask_session:
            flask_session["_user_id"] = user_id
            flask_session["_fresh"] = True
        self.merchant_csrf = csrf_token(self.merchant.get("/admin/orders").get_data(as_text=True))

    # Shopper ----------------------------------------------------------------------------------

    def checkout(self, code: str, items: list[tuple[str, int]], email: str):
        """Fill a cart and check out with Klarna; returns (Checkout or None, the checkout's response)."""
        client = self.app.test_client()
        with self.session() as session:
            products = [(session.exec(select(Product).where(Product.sku == sku)).one(), qty) for sku, qty in items]
            shipping = session.exec(select(ShippingMethod).order_by(ShippingMethod.position)).first().id
            klarna = self._klarna_method_id(session)
        csrf = csrf_token(client.get(f"/{code}/p/{products[0][0].slug}").get_data(as_text=True))
        for product, quantity in products:
            added = client.post(f"/{code}/cart/add/{product.id}", data={"quantity": str(quantity), "csrf_token": csrf})
            assert added.status_code == 303, added.status_code
        response = client.post(f"/{code}/checkout", data={
            **SHOPPER, "email": email, "postal_code": POSTAL_CODES[code], "shipping_method": str(shipping),
            "payment_method": str(klarna), "csrf_token": csrf})
        with self.session() as session:
            order = session.exec(select(Order).order_by(Order.id.desc())).first()
        if response.status_code != 303 or order is None:
            return None, response
        checkout = Checkout(code=code, token=order.token, number=order.number, client=client, csrf=csrf)
        if "/_klarna/hpp/payments/" in response.location:
            checkout.hosted_page = path_of(response.location)
        return checkout, response

    @staticmethod
    def _klarna_method_id(session: Session) -> int:
        from shop.models import PaymentMethod

        return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one().id

    def on_hosted_page(self, checkout: Checkout, action: str, category: str = "PAY_LATER"):
        client = checkout.client
        page = client.get(checkout.hosted_page)
        if page.status_code != 200:
            return page  # the session ended (paid, cancelled, disabled or expired)
        response = client.post(checkout.hosted_page, data={"action": action, "category": category})
        if response.status_code == 303:
            checkout.return_url = path_of(response.location)
        return response

    def come_back(self, checkout: Checkout):
        return checkout.client.get(checkout.return_url)

    def retry(self, checkout: Checkout):
        response = checkout.client.post(f"/{checkout.code}/order/{checkout.token}/retry",
                                        data={"csrf_token": checkout.csrf})
        if response.status_code == 303 and "/_klarna/hpp/payments/" in response.location:
            checkout.hosted_page, checkout.return_url = path_of(response.location), None
        return response

    def notify(self, checkout: Checkout, payment_id: int, event_type: str):
        return self.app.test_client().post(f"/{checkout.code}/klarna/{checkout.token}/{payment_id}/notification",
                                           json={"event_type": event_type})

    def deliver_callback(self, index: int) -> int | None:
        """Klarna's queued call `index` (status update or notification) arrives; it stays queued on a 503."""
        if not self.callbacks.sent:
            return None
        url, body = self.callbacks.sent[index % len(self.callbacks.sent)]
        status = self.app.test_client().post(path_of(url), json=body).status_code
        if status != 503:
            self.callbacks.sent.remove((url, body))
        return status

    # Merchant ---------------------------------------------------------------------------------

    def admin_post(self, url: str, data: dict):
        return self.merchant.post(url, data={**data, "csrf_token": self.merchant_csrf})

    def ship(self, number: str, quantities: dict[int, int] | None):
        data = {"action": "all"} if quantities is None else {f"quantity_{i}": str(q) for i, q in quantities.items()}
        return self.admin_post(f"/admin/orders/{number}/ship", {**data, "confirmed": "yes"})

    def payment_action(self, number: str, payment_id: int, action: str, **data):
        return self.admin_post(f"/admin/orders/{number}/payments/{payment_id}/{action}", {"confirmed": "yes", **data})

    def refund(self, number: str, payment_id: int, amount: int, token: str | None = None):
        token = token or new_form_token()
        response = self.payment_action(number, payment_id, "refund", **{
            f"refund-{payment_id}-amount": amount_text(amount), f"refund-{payment_id}-refund_token": token})
        return response, token

    def edit(self, order: Order, changes: dict[str, str]):
        return self.admin_post(f"/admin/orders/{order.number}/edit", edit_form(order) | changes)

    def register_return(self, number: str, quantities: dict[int, int]):
        data = {f"return_{line_id}": str(quantity) for line_id, quantity in quantities.items()}
        return self.admin_post(f"/admin/orders/{number}/returns", {**data, "restock": "y"})

    def refund_overpayment(self, number: str, payment_id: int):
        """Submit the overpayment form as the order page prefills it (the suggested amount, its token)."""
        html = self.merchant.get(f"/admin/orders/{number}").get_data(as_text=True)
        amount = OVERPAYMENT.search(html)
        token = re.search(r'name="overpayment-refund_token" type="hidden" value="([^"]+)"', html)
        if amount is None or token is None:
            return None
        return self.admin_post(f"/admin/orders/{number}/payments/{payment_id}/overpayment-refund", {
            "confirmed": "yes", "overpayment-amount": amount.group(1), "overpayment-refund_token": token.group(1)})

    def send_payment_link(self, checkout: Checkout):
        response = self.admin_post(f"/admin/orders/{checkout.number}/payment-link", {"channel": "page"})
        if response.status_code == 303:
            with self.session() as session:
                order = session.exec(select(Order).where(Order.number == checkout.number)).one()
                link = session.exec(select(PaymentLink).where(PaymentLink.order_id == order.id)
                                    .order_by(PaymentLink.id.desc())).first()
            if link is not None:
                checkout.hosted_page, checkout.return_url = path_of(link.url), None
        return response

    # Klarna's staff in the merchant portal (nobody tells the shop) ----------------------------

    def in_portal(self, klarna_order_id: str, act: str, portal) -> None:
        """Capture or refund half of what is left, lower the amount, cancel, release, extend, expire."""
        sim = self.simulator
        try:
            with sim.transaction():
                order = sim.orders.load(None, klarna_order_id)
                self._portal_act(sim.orders, order, sim.orders.view(order), act, portal)
        except ApiError:
            pass  # the portal refused: the order's state does not allow it

    @staticmethod
    def _portal_act(orders, order: dict, view: dict, act: str, portal) -> None:
        remaining, refundable = view["remaining_authorized_amount"], view["captured_amount"] - view["refunded_amount"]
        if act == "capture" and remaining > 0:
            orders.capture(order, {"captured_amount": max(remaining // 2, 1)})
            portal.captures[order["order_id"]] += 1
        elif act == "refund" and refundable > 0:
            orders.refund(order, {"refunded_amount": max(refundable // 2, 1)})
            portal.refunds[order["order_id"]] += 1
        elif act == "amount" and remaining > 100:
            orders.update_authorization(order, {"order_amount": view["order_amount"] - 100,
                                                "order_lines": order["order_lines"]}, assess_risk=False)
        elif act in ("cancel", "release"):
            orders.simple(order, act)
        elif act == "extend":
            orders.extend(order)
        elif act == "expire":
            orders.expire_now(order)

    # Reading ----------------------------------------------------------------------------------

    def order(self, session: Session, number: str) -> Order:
        return session.exec(select(Order).where(Order.number == number)).one()

    def klarna_payments(self, session: Session, number: str) -> list[Payment]:
        order = self.order(session, number)
        return list(session.exec(select(Payment).where(Payment.order_id == order.id, Payment.provider == "klarna")
                                 .order_by(Payment.id)))
