"""The bench's figures: pages per second under gunicorn, admin list p50 by data size, Klarna calls."""
from __future__ import annotations

import re
import statistics
import time
from typing import Callable

import requests
from flask import Flask
from sqlmodel import select

from shop.db import new_session
from shop.models import KlarnaCall, Order, Payment, PaymentMethod, Product, ShippingMethod
from shop.payments.callback_health import INBOUND_PATH

from .databases import ADMIN_EMAIL, ADMIN_PASSWORD
from .server import requests_per_second

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CUSTOMER = {"email": "bench@example.com", "given_name": "Bea", "family_name": "Bench", "phone": "+358401234567",
            "street_address": "Mannerheimintie 1", "postal_code": "00100", "city": "Helsinki"}


def _token(html: str) -> str:
    return CSRF.search(html).group(1)


def shopper_cookie(base: str, product_ids: list[int]) -> str:
    """A shopper with three items in the cart, as a Cookie header."""
    session = requests.Session()
    token = _token(session.get(f"{base}/fi/").text)
    for product_id in product_ids[:3]:
        session.post(f"{base}/fi/cart/add/{product_id}", data={"quantity": "1", "csrf_token": token}).raise_for_status()
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def admin_cookie(base: str) -> str:
    session = requests.Session()
    token = _token(session.get(f"{base}/admin/login").text)
    session.post(f"{base}/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                              "csrf_token": token}).raise_for_status()
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def throughput(base: str, pages: dict[str, tuple[str, str | None]], seconds: float, rounds: int) -> dict[str, float]:
    """Requests per second per page, the median of interleaved rounds."""
    seen: dict[str, list[float]] = {name: [] for name in pages}
    for _round in range(rounds):
        for name, (path, cookie) in pages.items():
            seen[name].append(requests_per_second(base + path, seconds, cookie))
    return {name: statistics.median(values) for name, values in seen.items()}


def p50_ms(call: Callable[[], object], repetitions: int) -> float:
    call()  # warm up
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def admin_views(app: Flask) -> dict[str, str]:
    with new_session(app) as session:
        order = session.exec(select(Order).order_by(Order.id.desc())).first()
    return {
        "orders list, page 1": "/admin/orders",
        "orders list, page 500": "/admin/orders?page=500",
        "search by name": "/admin/orders?q=" + order.family_name.lower(),
        "search by order number": f"/admin/orders?q={order.number}",
        "search by e-mail": f"/admin/orders?q={order.email}",
        "filter expiring soon": "/admin/orders?expiry=soon",
        "admin order page": f"/admin/orders/{order.number}",
    }


def logged_in_client(app: Flask):
    client = app.test_client()
    token = _token(client.get("/admin/login").get_data(as_text=True))
    client.post("/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    return client


def admin_p50s(app: Flask, repetitions: int) -> dict[str, float]:
    client = logged_in_client(app)

    def get(path: str) -> Callable[[], object]:
        def call():
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        return call

    return {name: p50_ms(get(path), repetitions) for name, path in admin_views(app).items()}


# Klarna calls -------------------------------------------------------------------------------

def _outbound(app: Flask) -> list[KlarnaCall]:
    with new_session(app) as session:
        return list(session.exec(select(KlarnaCall).where(~KlarnaCall.path.startswith(INBOUND_PATH))
                                 .order_by(KlarnaCall.id)))


def klarna_calls(app: Flask, callbacks) -> dict[str, int]:
    """A Klarna checkout through the simulator's hosted page, its callbacks, then each admin action."""
    shopper = app.test_client()
    with new_session(app) as session:
        product_id = session.exec(select(Product.id).where(Product.active).order_by(Product.id)).first()
        shipping = session.exec(select(ShippingMethod.id).order_by(ShippingMethod.position)).first()
        klarna = session.exec(select(PaymentMethod.id).where(PaymentMethod.provider == "klarna")).one()
    token = _token(shopper.get("/fi/").get_data(as_text=True))
    shopper.post(f"/fi/cart/add/{product_id}", data={"quantity": "1", "csrf_token": token})
    before = len(_outbound(app))
    token = _token(shopper.get("/fi/checkout").get_data(as_text=True))
    started = shopper.post("/fi/checkout", data={**CUSTOMER, "shipping_method": str(shipping),
                                                 "payment_method": str(klarna), "csrf_token": token})
    hosted = started.location.split("http://127.0.0.1", 1)[-1]
    shopper.get(hosted)
    approved = shopper.post(hosted, data={"action": "approve", "category": "PAY_LATER"})
    success = approved.location.split("http://127.0.0.1", 1)[-1]
    callbacks.deliver()  # "opened the page" and "completed", around the shopper's return
    shopper.get(success)
    counts = {"checkout": len(_outbound(app)) - before}
    counts.update(_admin_action_calls(app))
    return counts


def _admin_action_calls(app: Flask) -> dict[str, int]:
    admin = logged_in_client(app)
    with new_session(app) as session:
        payment = session.exec(select(Payment).where(Payment.provider == "klarna", Payment.state == "authorized")
                               .order_by(Payment.id.desc())).first()
        number = session.get(Order, payment.order_id).number
    counts = {}
    for action in ("check", "extend", "activate", "resend"):
        html = admin.get(f"/admin/orders/{number}").get_data(as_text=True)
        before = len(_outbound(app))
        admin.post(f"/admin/orders/{number}/payments/{payment.id}/{action}",
                   data={"confirmed": "yes", "csrf_token": _token(html)})
        counts[action] = len(_outbound(app)) - before
    return counts
