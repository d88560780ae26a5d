"""The merchant during the load: ships (all or part), edits, takes returns and refunds, over HTTP."""
from __future__ import annotations

import random
import re
import threading

from sqlalchemy import create_engine
from sqlmodel import Session, select

from shop.models import Order, Payment
from tests.proof.world import edit_form

from .clients import Browser, Stats, Unexpected
from .server import ADMIN_EMAIL, ADMIN_PASSWORD

OVERPAYMENT = re.compile(r'name="overpayment-amount"[^>]*value="([^"]*)"')
OVERPAYMENT_TOKEN = re.compile(r'name="overpayment-refund_token" type="hidden" value="([^"]+)"')
ANSWERS = (200, 303, 409, 422)  # done, or refused with a reason the merchant reads


def merchant_loop(base_url: str, database_url: str, stop: threading.Event, stats: Stats, seed: int = 0) -> None:
    engine = create_engine(database_url, pool_size=1)
    browser = Browser(base_url, stats, address=f"192.0.2.{seed + 1}")
    rng = random.Random(seed)
    try:
        log_in(browser)
        while not stop.is_set():
            try:
                act_once(browser, engine, rng, stats)
            except Unexpected as error:
                stats.error(f"merchant: {error}")
            stop.wait(0.05)
    except Unexpected as error:
        stats.error(f"merchant: {error}")
    finally:
        engine.dispose()


def log_in(browser: Browser) -> None:
    page = browser.request("GET", "/admin/login")
    answer = browser.request("POST", "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                     "csrf_token": browser.csrf(page.text)}, follow=False)
    if answer.status_code != 303:
        raise Unexpected(f"admin login answered {answer.status_code}")


def act_once(browser: Browser, engine, rng: random.Random, stats: Stats) -> None:
    with Session(engine) as session:
        orders = session.exec(select(Order).where(Order.status.in_(("confirmed", "partially_shipped", "shipped")))
                              .order_by(Order.id.desc()).limit(30)).all()
        if not orders:
            return
        order = rng.choice(orders)
        payment = session.exec(select(Payment).where(Payment.order_id == order.id, Payment.provider == "klarna")
                               .order_by(Payment.id.desc())).first()
        form = edit_form(order)
        unshipped = [line.id for line in order.goods_lines if line.unshipped_quantity]
        returnable = [line.id for line in order.goods_lines if line.returnable_quantity]
        status, number = order.status, order.number
    page = f"/admin/orders/{number}"
    html = browser.request("GET", page).text
    csrf = browser.csrf(html)
    if status == "confirmed" and rng.random() < 0.3:
        line = next(key for key in form if key.startswith("quantity_"))
        _post(browser, stats, "edit", f"{page}/edit", {**form, line: str(int(form[line]) + 1), "csrf_token": csrf})
    elif unshipped:
        data = {"action": "all"} if rng.random() < 0.5 else {f"quantity_{unshipped[0]}": "1"}
        _post(browser, stats, "ship", f"{page}/ship", {**data, "confirmed": "yes", "csrf_token": csrf})
    elif returnable and payment is not None and rng.random() < 0.5:
        _post(browser, stats, "return", f"{page}/returns", {f"return_{returnable[0]}": "1", "restock": "y",
                                                            "csrf_token": csrf})
        _refund_overpayment(browser, stats, page, payment.id)
    elif payment is not None and payment.captured_amount > payment.refunded_amount:
        token = re.search(rf'name="refund-{payment.id}-refund_token" type="hidden" value="([^"]+)"', html)
        if token:
            amount = payment.captured_amount - payment.refunded_amount
            _post(browser, stats, "refund", f"{page}/payments/{payment.id}/refund", {
                "confirmed": "yes", f"refund-{payment.id}-amount": f"{amount // 100}.{amount % 100:02d}",
                f"refund-{payment.id}-refund_token": token.group(1), "csrf_token": csrf})


def _refund_overpayment(browser: Browser, stats: Stats, page: str, payment_id: int) -> None:
    html = browser.request("GET", page).text
    amount, token = OVERPAYMENT.search(html), OVERPAYMENT_TOKEN.search(html)
    if amount and token:
        _post(browser, stats, "refund_overpayment", f"{page}/payments/{payment_id}/overpayment-refund", {
            "confirmed": "yes", "overpayment-amount": amount.group(1), "overpayment-refund_token": token.group(1),
            "csrf_token": browser.csrf(html)})


def _post(browser: Browser, stats: Stats, action: str, url: str, data: dict) -> None:
    answer = browser.request("POST", url, data, follow=False)
    if answer.status_code not in ANSWERS:
        raise Unexpected(f"{action} answered {answer.status_code}")
    stats.count("merchant", f"{action} {answer.status_code}")
