"""A checkout costs at most four Klarna calls, whichever of the return and the callbacks comes first."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import Payment, PaymentMethod
from shop.payments import states

from tests.klarna_fixtures import app, app_overrides, callbacks, simulator  # noqa: F401  (fixtures)

from .test_klarna_checkout import (  # noqa: F401  (fixtures)
    filled_cart, klarna_checkout, on_hosted_page, outbound_calls, payments_of, the_order,
)

KP_AND_HPP = ["POST /payments/v1/sessions", "POST /hpp/v1/sessions"]
CREATED = [*KP_AND_HPP, "GET /hpp/v1/sessions/*", "POST /payments/v1/authorizations/*/order"]
PLACED = [*KP_AND_HPP, "GET /hpp/v1/sessions/*", "GET /ordermanagement/v1/orders/*"]


def _paid(db_session) -> Payment:
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    assert (order.status, payment.state) == ("confirmed", states.AUTHORIZED)
    return payment


def test_callbacks_first_then_the_return(client, db_session, filled_cart, callbacks):
    success = on_hosted_page(client, klarna_checkout(client, db_session))
    assert [body["session"]["status"] for _url, body in callbacks.sent] == ["IN_PROGRESS", "COMPLETED"]
    assert callbacks.deliver() == [200, 200]  # "opened the page" reads nothing; "completed" finalises
    assert client.get(success).status_code == 303  # the return finds the shop's result
    _paid(db_session)
    assert outbound_calls(db_session) == CREATED


def test_the_return_first_then_the_callbacks(client, db_session, filled_cart, callbacks):
    assert client.get(on_hosted_page(client, klarna_checkout(client, db_session))).status_code == 303
    assert callbacks.deliver() == [200, 200]
    _paid(db_session)
    assert outbound_calls(db_session) == CREATED


def test_a_callback_while_another_request_finalises_reads_nothing(client, db_session, filled_cart, callbacks):
    on_hosted_page(client, klarna_checkout(client, db_session))
    [payment] = payments_of(db_session, the_order(db_session))
    payment.state = states.AUTHORIZING  # claimed by a return that is talking to Klarna right now
    db_session.add(payment)
    db_session.commit()
    before = outbound_calls(db_session)
    assert callbacks.deliver() == [200, 200]
    assert outbound_calls(db_session) == before == KP_AND_HPP


@pytest.fixture
def placed_by_the_page(db_session):
    method = db_session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one()
    method.settings = {**method.settings, "place_order_mode": "PLACE_ORDER"}
    db_session.add(method)
    db_session.commit()


def test_an_order_placed_by_the_payment_page_is_read_once(client, db_session, filled_cart, callbacks,
                                                         placed_by_the_page):
    success = on_hosted_page(client, klarna_checkout(client, db_session))
    assert callbacks.deliver() == [200, 200]
    assert client.get(success).status_code == 303
    payment = _paid(db_session)
    assert payment.expires_at is not None  # read, so known at once
    assert outbound_calls(db_session) == PLACED
