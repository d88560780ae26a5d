"""DESIGN.md §4.2 on PostgreSQL: the shopper's return and Klarna's status callback arriving at the
same moment (and refreshes racing them) give one Klarna order and one authorized payment."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import selectinload
from sqlmodel import select

from shop.db import new_session
from shop.models import KlarnaCall, Order, Payment, PaymentEvent, PaymentMethod, Product, ShippingMethod
from shop.payments import states
from tests.conftest import csrf_token
from tests.postgres.conftest import run_in_threads

pytestmark = pytest.mark.postgres

HOSTED_PAGE = re.compile(r"/_klarna/hpp/payments/([^/?#]+)$")
CREATE_ORDER = re.compile(r"/payments/v1/authorizations/[^/]+/order$")
# (shop version, postal code, Klarna category, product SKU, concurrent requests) per round
ROUNDS = [
    ("fi", "00100", "PAY_LATER", "RUN-001", 2),
    ("sv", "113 51", "PAY_OVER_TIME", "COF-101", 3),
    ("fi", "00100", "PAY_NOW", "KNF-107", 4),
    ("sv", "113 51", "PAY_LATER", "RUN-001", 4),
    ("fi", "00100", "PAY_OVER_TIME", "COF-101", 3),
]
SHOPPER = {"email": "kaisa@example.fi", "given_name": "Kaisa", "family_name": "Koskinen",
           "street_address": "Aleksanterinkatu 5", "city": "Helsinki"}
# A return that finds another request finalising waits for it (up to 2 s), then goes to the confirmation.
RETURN_ANSWER = 303


class CallbackCollector(list):
    """Stands in for the simulator's background sender: the test delivers the callbacks itself."""

    def __call__(self, url: str, body: dict) -> None:
        self.append((url, body))


@dataclass
class Attempt:
    shopper: FlaskClient
    order: Order
    payment: Payment
    success_path: str
    status_path: str


@pytest.fixture
def callbacks() -> CallbackCollector:
    return CallbackCollector()


@pytest.fixture
def app_overrides(callbacks):
    return {"SIMULATOR_CALLBACK_SENDER": callbacks}


def _path(url: str) -> str:
    return urlsplit(url).path


def _post_form(client: FlaskClient, url: str, data: dict, page: str):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def _checkout_form(app, postal_code: str) -> dict[str, str]:
    with new_session(app) as session:
        shipping = session.exec(select(ShippingMethod).order_by(ShippingMethod.position)).first()
        klarna = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one()
    return {**SHOPPER, "postal_code": postal_code, "shipping_method": str(shipping.id),
            "payment_method": str(klarna.id)}


def _start_klarna_checkout(app, code: str, postal_code: str, sku: str) -> tuple[FlaskClient, str]:
    """A new shopper puts a product in the cart and checks out with Klarna: the hosted page's session id."""
    shopper = app.test_client()
    with new_session(app) as session:
        product = session.exec(select(Product).where(Product.sku == sku)).one()
    added = _post_form(shopper, f"/{code}/cart/add/{product.id}", {"quantity": "1"}, f"/{code}/")
    assert added.status_code == 303, added.get_data(as_text=True)[:800]
    placed = _post_form(shopper, f"/{code}/checkout", _checkout_form(app, postal_code), f"/{code}/checkout")
    assert placed.status_code == 303, placed.get_data(as_text=True)[:800]
    hosted_page = HOSTED_PAGE.search(_path(placed.location))
    assert hosted_page, f"checkout did not lead to Klarna's hosted page: {placed.location}"
    return shopper, hosted_page.group(1)


def _attempt(app, shopper: FlaskClient, hpp_session_id: str, code: str) -> Attempt:
    with new_session(app) as session:
        payment = session.exec(select(Payment).where(Payment.hpp_session_id == hpp_session_id)).one()
        order = session.get(Order, payment.order_id)
    base = f"/{code}/klarna/{order.token}/{payment.id}"
    return Attempt(shopper, order, payment, f"{base}/success", f"{base}/status")


def _completed_callback(callbacks: CallbackCollector, attempt: Attempt) -> dict:
    """The body Klarna sent to the status URL when the session completed."""
    bodies = [body for url, body in callbacks
              if _path(url) == attempt.status_path and body["session"]["status"] == "COMPLETED"]
    assert len(bodies) == 1, f"expected one COMPLETED callback for {attempt.status_path}, got {callbacks}"
    return bodies[0]


def _racers(app, attempt: Attempt, callback: dict, count: int):
    """Request i: even -> a return to the success URL (the shopper's own browser first), odd -> the callback."""
    clients = [attempt.shopper] + [app.test_client() for _ in range(count - 1)]

    def race(index: int) -> tuple[str, int]:
        if index % 2 == 0:
            return "return", clients[index].get(attempt.success_path).status_code
        return "callback", clients[index].post(attempt.status_path, json=callback).status_code

    return race


def _create_order_calls(app, payment: Payment) -> list[KlarnaCall]:
    with new_session(app) as session:
        calls = session.exec(select(KlarnaCall).where(KlarnaCall.payment_id == payment.id,
                                                      KlarnaCall.method == "POST")).all()
    return [call for call in calls if CREATE_ORDER.search(call.path)]


def _payment_event_kinds(app, payment: Payment) -> list[str]:
    with new_session(app) as session:
        return list(session.exec(select(PaymentEvent.kind).where(PaymentEvent.payment_id == payment.id)))


def _simulator_orders(simulator, payment: Payment) -> list[dict]:
    return [order for order in simulator.orders.all() if order["kp_session_id"] == payment.kp_session_id]


def _order_and_payments(app, order: Order) -> tuple[Order, list[Payment]]:
    with new_session(app) as session:
        payments = session.exec(select(Payment).where(Payment.order_id == order.id)).all()
        fresh = session.exec(select(Order).options(selectinload(Order.lines)).where(Order.id == order.id)).one()
        return fresh, list(payments)


def test_return_and_status_callback_racing_create_one_klarna_order(pg_app, callbacks):
    simulator = pg_app.extensions["klarna_simulator"]
    seen: list[tuple[str, int]] = []
    for code, postal_code, category, sku, count in ROUNDS:
        callbacks.clear()
        shopper, hpp_session_id = _start_klarna_checkout(pg_app, code, postal_code, sku)
        attempt = _attempt(pg_app, shopper, hpp_session_id, code)
        assert simulator.complete_hpp_session(hpp_session_id, category=category)["status"] == "COMPLETED"

        answers = run_in_threads(count, _racers(pg_app, attempt, _completed_callback(callbacks, attempt), count))
        seen += answers

        round_name = f"{code} {category} x{count}"
        assert all(status == RETURN_ANSWER for kind, status in answers if kind == "return"), (round_name, answers)
        assert all(status == 200 for kind, status in answers if kind == "callback"), (round_name, answers)
        assert len(_create_order_calls(pg_app, attempt.payment)) == 1, round_name
        assert len(_simulator_orders(simulator, attempt.payment)) == 1, round_name
        order, payments = _order_and_payments(pg_app, attempt.order)
        assert [p.state for p in payments] == [states.AUTHORIZED], round_name
        assert order.status == "confirmed", round_name
        kinds = _payment_event_kinds(pg_app, attempt.payment)
        assert [kinds.count(kind) for kind in ("returned", "order_created", "authorized")] == [1, 1, 1], kinds
        [klarna_order] = _simulator_orders(simulator, attempt.payment)
        assert payments[0].klarna_order_id == klarna_order["order_id"], round_name
        assert (klarna_order["order_amount"], klarna_order["purchase_currency"]) == (order.total, order.currency)

        refreshed = attempt.shopper.get(attempt.success_path)  # the shopper's browser, afterwards
        assert refreshed.status_code == 303 and _path(refreshed.location) == f"/{code}/order/{order.token}"

    assert {kind for kind, _ in seen} == {"return", "callback"}
