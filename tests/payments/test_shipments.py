"""Shipping drives capture: partial shipments capture their lines, the first one all fees, the
last one exactly what remains, so Klarna's captures add up to the order to the minor unit."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop.payments import service, states
from tests.klarna_contract import validate
from tests.payments.conftest import events, make_order, order_events, paid_payment, restock, ship

LINES = (("RUN-001", 2), ("CAP-003", 1), ("COF-101", 3))  # two VAT rates, plus the shipping line


def captures_of(session, payment):
    return events(session, payment, "captured")


def captured_lines(session, payment) -> list[list[dict]]:
    return [event.data["body"].get("order_lines") for event in events(session, payment, "capture_requested")]


def ship_and_capture(session, gateway, order, quantities):
    shipment = ship(session, order, quantities)
    return service.capture_shipment(session, order, shipment, gateway, actor="admin@example.com")


@pytest.mark.parametrize("version_code", ["fi", "sv"])
def test_partial_shipments_capture_their_lines_and_the_fees_once(session, simulator, gateway, version_code):
    order = make_order(session, version_code, products=LINES)
    payment = paid_payment(session, simulator, gateway, order)
    goods = order.goods_lines
    shipping = next(line for line in order.lines if line.kind == "shipping_fee")
    assert shipping.total > 0

    ship_and_capture(session, gateway, order, {0: 2})
    assert captures_of(session, payment)[-1].amount == goods[0].total + shipping.total
    assert payment.state == states.PART_CAPTURED
    assert states.label(payment.state) == "Partially activated"

    ship_and_capture(session, gateway, order, {1: 1})
    assert captures_of(session, payment)[-1].amount == goods[1].total

    ship_and_capture(session, gateway, order, {2: 3})
    assert captures_of(session, payment)[-1].amount == goods[2].total
    assert payment.state == states.CAPTURED and states.label(payment.state) == "Paid"

    amounts = [event.amount for event in captures_of(session, payment)]
    assert sum(amounts) == order.total == payment.captured_amount
    klarna_order = simulator.get_order(payment.klarna_order_id)
    assert klarna_order["status"] == "CAPTURED" and klarna_order["captured_amount"] == order.total
    assert [capture["captured_amount"] for capture in klarna_order["captures"]] == amounts
    assert [capture["order_lines"] for capture in klarna_order["captures"]] == captured_lines(session, payment)
    for body in (event.data["body"] for event in events(session, payment, "capture_requested")):
        validate("ordermanagement", "CaptureObject", body)
        assert sum(line["total_amount"] for line in body["order_lines"]) == body["captured_amount"]
    references = [[line["reference"] for line in lines] for lines in captured_lines(session, payment)]
    assert references == [[goods[0].reference, "shipping"], [goods[1].reference], [goods[2].reference]]


def test_units_of_one_line_split_over_shipments(session, simulator, gateway):
    order = make_order(session, "sv", products=(("COF-101", 3),))
    payment = paid_payment(session, simulator, gateway, order)

    ship_and_capture(session, gateway, order, {0: 1})
    ship_and_capture(session, gateway, order, {0: 2})

    assert sum(event.amount for event in captures_of(session, payment)) == order.total
    assert [[line["quantity"] for line in lines] for lines in captured_lines(session, payment)] == [[1, 1], [2]]
    assert payment.state == states.CAPTURED


def test_capture_of_a_foreign_currency_order_records_the_exchange_rate(session, simulator, gateway):
    order = make_order(session, "sv")
    payment = paid_payment(session, simulator, gateway, order)

    service.activate(session, payment, gateway, actor="admin@example.com")

    [paid] = order_events(session, order, "payment_captured")
    assert paid.data["currency"] == "SEK" and paid.data["amount"] == order.total
    assert paid.data["exchange_rate"] == "11.235000"
    assert paid.data["eur_equivalent"] == round(order.total / 11.235)  # a plausibility check only
    assert paid.data["payment_id"] == payment.id


def test_capture_of_a_euro_order_needs_no_exchange_rate(session, simulator, gateway):
    order = make_order(session, "fi")
    payment = paid_payment(session, simulator, gateway, order)

    service.activate(session, payment, gateway, actor="admin@example.com")

    [paid] = order_events(session, order, "payment_captured")
    assert "exchange_rate" not in paid.data and paid.data["amount"] == order.total


def test_nothing_is_captured_for_an_order_without_an_authorized_payment(session, gateway):
    order = make_order(session)
    shipment = ship(session, order, {0: 1})
    assert service.capture_shipment(session, order, shipment, gateway, actor="admin") is None


# With the "ci" profile's 2,000 examples this test makes about 33 checkouts against the simulator.
SPLIT_EXAMPLES = max(10, settings.default.max_examples // 60)
HIGH_STOCK = ("SOC-004", "CAP-003", "COF-101", "CHO-103")


@settings(max_examples=SPLIT_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), version_code=st.sampled_from(["fi", "sv"]),
       quantities=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_captures_always_add_up_to_the_order(session, simulator, gateway, data, version_code, quantities):
    restock(session, HIGH_STOCK)
    order = make_order(session, version_code, products=tuple(zip(HIGH_STOCK, quantities)))
    payment = paid_payment(session, simulator, gateway, order)
    shipments: dict[int, dict[int, int]] = {}
    for index, quantity in enumerate(quantities):
        for _unit in range(quantity):  # every unit goes out with one of up to three shipments
            number = data.draw(st.integers(0, 2), label=f"shipment of a unit of line {index}")
            shipments.setdefault(number, {}).setdefault(index, 0)
            shipments[number][index] += 1

    for number in sorted(shipments):
        ship_and_capture(session, gateway, order, shipments[number])

    amounts = [event.amount for event in captures_of(session, payment)]
    assert len(amounts) == len(shipments) and all(amount > 0 for amount in amounts)
    assert sum(amounts) == order.total == payment.captured_amount
    assert payment.state == states.CAPTURED
    klarna_order = simulator.get_order(payment.klarna_order_id)
    assert klarna_order["captured_amount"] == order.total and klarna_order["status"] == "CAPTURED"
    for capture in klarna_order["captures"]:
        assert sum(line["total_amount"] for line in capture["order_lines"]) == capture["captured_amount"]
