"""Product returns and the refunds after them, checked at the simulated Klarna (issue 8 §4)."""
from __future__ import annotations

import pytest

from shop.models import Order, OrderLine
from shop.payments import refunds, service, states
from shop.payments.refunds import new_form_token, overpayment
from shop.returns import ReturnError, record_return, returnable_lines
from tests.klarna_contract import validate
from tests.payments.conftest import events, make_order, order_events, paid_payment, reload, ship, stock_of

ADMIN = "admin@example.com"
# 2 × 24.90 (25.5 %) + 1 × 4.50 (14 %) + 2 × 29.90 (10 %) + 5.90 shipping = 120.00 €
FIVE_ITEMS = (("CAP-003", 2), ("CHO-103", 1), ("BK-201", 2))


def captured_order(session, simulator, gateway, version="fi"):
    order = make_order(session, version, products=FIVE_ITEMS)
    payment = paid_payment(session, simulator, gateway, order)
    ship(session, order, {0: 2, 1: 1, 2: 2})
    service.activate(session, payment, gateway, actor=ADMIN)
    assert payment.state == states.CAPTURED
    return order, payment


def line(order, sku) -> OrderLine:
    return next(item for item in order.lines if item.reference == sku)


def return_items(session, order, quantities: dict[str, int], restock=True):
    returned = record_return(session, order, {line(order, sku).id: qty for sku, qty in quantities.items()},
                             restock=restock, actor=ADMIN)
    session.commit()
    return returned


def klarna_refunds(simulator, payment) -> list[dict]:
    return simulator.get_order(payment.klarna_order_id)["refunds"]


def test_returning_two_of_five_items_lowers_the_order_total(app, session, simulator, gateway):
    order, payment = captured_order(session, simulator, gateway)
    assert order.total == 12000 == payment.captured_amount
    cap_stock = stock_of(session, "CAP-003")

    return_items(session, order, {"CAP-003": 1, "BK-201": 1})

    order = reload(session, order)
    assert order.total == 12000 - 2490 - 2990 == sum(item.total for item in order.lines)
    assert (line(order, "CAP-003").returned_quantity, line(order, "BK-201").returned_quantity) == (1, 1)
    assert stock_of(session, "CAP-003") == cap_stock + 1
    with app.test_request_context():
        assert overpayment(session, order) == 2490 + 2990


def test_a_return_never_exceeds_what_was_shipped_less_what_came_back(app, session, simulator, gateway):
    order = make_order(session, products=FIVE_ITEMS)
    paid_payment(session, simulator, gateway, order)
    ship(session, order, {0: 1})
    with app.test_request_context():
        with pytest.raises(ReturnError, match="at most 1"):
            return_items(session, order, {"CAP-003": 2})
        session.rollback()
        return_items(session, order, {"CAP-003": 1})
        with pytest.raises(ReturnError, match="at most 0"):
            return_items(session, order, {"CAP-003": 1})
        session.rollback()
        shipping = next(item for item in order.lines if item.kind == "shipping_fee")
        record_return(session, order, {shipping.id: 1}, restock=False, actor=ADMIN)
        session.commit()
        with pytest.raises(ReturnError):  # the shipping cost is given back once
            record_return(session, order, {shipping.id: 1}, restock=False, actor=ADMIN)
    assert reload(session, line(order, "CAP-003")).returned_quantity == 1


@pytest.mark.parametrize("version, return_cost", [("fi", 590), ("sv", 5900)])
def test_refund_of_the_overpayment_less_a_return_cost_refunds_exactly_the_typed_amount(
        app, session, simulator, gateway, version, return_cost):
    order, payment = captured_order(session, simulator, gateway, version)
    return_items(session, order, {"CAP-003": 1, "BK-201": 1})
    cap, book = line(order, "CAP-003"), line(order, "BK-201")
    returned_value = cap.unit_price + book.unit_price
    typed = returned_value - return_cost

    with app.test_request_context():
        assert overpayment(session, order) == returned_value
        event = refunds.refund_overpayment(session, order, payment, gateway, typed, actor=ADMIN,
                                           token=new_form_token())

    assert event.kind == "refunded" and event.amount == typed
    [refund] = klarna_refunds(simulator, payment)
    assert refund["refunded_amount"] == typed
    assert simulator.get_order(payment.klarna_order_id)["purchase_currency"] == order.currency
    lines = refund["order_lines"]
    assert sum(item["total_amount"] for item in lines) == typed  # Klarna's return-fee rule
    goods = [item for item in lines if item["type"] != "return_fee"]
    assert {(item["reference"], item["quantity"], item["tax_rate"]) for item in goods} == {
        ("CAP-003", 1, cap.tax_rate), ("BK-201", 1, book.tax_rate)}
    [fee] = [item for item in lines if item["type"] == "return_fee"]
    assert fee["total_amount"] == fee["unit_price"] == -return_cost and fee["total_tax_amount"] < 0
    validate("ordermanagement", "RefundObject", events(session, payment, "refund_requested")[0].data["body"])
    order = reload(session, order)
    with app.test_request_context():
        assert overpayment(session, order) == 0  # the kept return cost is now a line of the order
    assert order.total == reload(session, payment).captured_amount - typed
    assert [item.unit_price for item in order.lines if item.reference == "return-cost"] == [return_cost]
    [noted] = order_events(session, order, "overpayment_refunded")
    assert noted.data["message_args"]["cost"] == {"money": return_cost, "currency": order.currency}


def test_refund_of_exactly_the_returned_lines_carries_their_original_tax_rates(app, session, simulator, gateway):
    order, payment = captured_order(session, simulator, gateway)
    return_items(session, order, {"CAP-003": 1, "CHO-103": 1, "BK-201": 2})
    with app.test_request_context():
        amount = overpayment(session, order)
        refunds.refund_overpayment(session, order, payment, gateway, amount, actor=ADMIN, token=new_form_token())

    [refund] = klarna_refunds(simulator, payment)
    assert refund["refunded_amount"] == amount == 2490 + 450 + 2 * 2990
    assert {item["reference"]: (item["quantity"], item["tax_rate"]) for item in refund["order_lines"]} == {
        "CAP-003": (1, 2550), "CHO-103": (1, 1400), "BK-201": (2, 1000)}
    assert all(item["type"] == "physical" for item in refund["order_lines"])
    assert reload(session, payment).refunded_amount == amount


def test_without_a_single_full_capture_a_lowered_refund_goes_as_an_amount_with_a_description(
        app, session, simulator, gateway):
    order = make_order(session, products=FIVE_ITEMS)
    payment = paid_payment(session, simulator, gateway, order)
    service.capture_shipment(session, order, ship(session, order, {0: 2}), gateway, actor=ADMIN)
    service.capture_shipment(session, order, ship(session, order, {1: 1, 2: 2}), gateway, actor=ADMIN)
    assert len(simulator.get_order(payment.klarna_order_id)["captures"]) == 2
    return_items(session, order, {"CAP-003": 1})
    with app.test_request_context():
        refunds.refund_overpayment(session, order, payment, gateway, 2490 - 590, actor=ADMIN, token=new_form_token())

    [refund] = klarna_refunds(simulator, payment)
    assert refund["refunded_amount"] == 1900 and refund["order_lines"] == []
    assert order.number in refund["description"]


def test_a_refused_refund_keeps_nothing_as_refunded(app, session, simulator, gateway):
    order, payment = captured_order(session, simulator, gateway)
    return_items(session, order, {"CAP-003": 1})
    with simulator.transaction():  # refunded in Klarna's portal, unknown to the shop yet: Klarna refuses ours
        simulator.orders.refund(simulator.orders.load(None, payment.klarna_order_id), {"refunded_amount": 12000})
    with app.test_request_context():
        with pytest.raises(service.ProviderError, match="REFUND_NOT_ALLOWED"):
            refunds.refund_overpayment(session, order, payment, gateway, 2490, actor=ADMIN, token=new_form_token())
        assert overpayment(session, reload(session, order)) == 2490
    assert reload(session, payment).refunded_amount == 0 and len(klarna_refunds(simulator, payment)) == 1
    assert events(session, payment, "refund_failed")[0].correlation_id
    assert [item.reference for item in reload(session, order).lines if item.reference == "return-cost"] == []


def test_the_same_form_token_refunds_once(app, session, simulator, gateway):
    order, payment = captured_order(session, simulator, gateway)
    token = new_form_token()
    with app.test_request_context():
        first = refunds.refund_payment(session, payment, gateway, 1000, actor=ADMIN, token=token)
        again = refunds.refund_payment(session, payment, gateway, 1000, actor=ADMIN, token=token)
        other = refunds.refund_payment(session, payment, gateway, 1000, actor=ADMIN, token=new_form_token())
    assert again.id == first.id and other.id != first.id
    assert [refund["refunded_amount"] for refund in klarna_refunds(simulator, payment)] == [1000, 1000]


def test_a_full_refund_after_a_partial_capture_and_a_partial_refund_refunds_what_remains(
        app, session, simulator, gateway):
    order = make_order(session, products=FIVE_ITEMS)
    payment = paid_payment(session, simulator, gateway, order)
    service.capture_shipment(session, order, ship(session, order, {0: 2}), gateway, actor=ADMIN)
    captured = reload(session, payment).captured_amount
    assert payment.state == states.PART_CAPTURED and captured == 2 * 2490 + 590
    with app.test_request_context():
        refunds.refund_payment(session, payment, gateway, 700, actor=ADMIN, token=new_form_token())
        remaining = refunds.payment_totals(session, payment).refundable
        event = refunds.refund_payment(session, payment, gateway, remaining, actor=ADMIN, token=new_form_token())

    assert remaining == captured - 700 and event.amount == remaining
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["refunded_amount"] == klarna["captured_amount"] == captured
    assert reload(session, payment).refunded_amount == captured


def test_refund_entire_payment_sends_the_lines_when_it_is_everything(app, session, simulator, gateway):
    order, payment = captured_order(session, simulator, gateway)
    with app.test_request_context():
        refunds.refund_payment(session, payment, gateway, 12000, actor=ADMIN, token=new_form_token())
    [refund] = klarna_refunds(simulator, payment)
    assert refund["refunded_amount"] == 12000 == sum(item["total_amount"] for item in refund["order_lines"])
    assert {item["reference"]: item["tax_rate"] for item in refund["order_lines"]} == {
        "CAP-003": 2550, "CHO-103": 1400, "BK-201": 1000, "shipping": 2550}


def test_the_shipping_cost_is_refunded_once_with_its_line(app, session, simulator, gateway):
    order, payment = captured_order(session, simulator, gateway)
    shipping = next(item for item in order.lines if item.kind == "shipping_fee")
    with app.test_request_context():
        record_return(session, order, {shipping.id: 1, line(order, "CAP-003").id: 1}, restock=False, actor=ADMIN)
        session.commit()
        refunds.refund_overpayment(session, order, payment, gateway, 590 + 2490, actor=ADMIN, token=new_form_token())
        assert overpayment(session, reload(session, order)) == 0
    [refund] = klarna_refunds(simulator, payment)
    assert {item["reference"] for item in refund["order_lines"]} == {"shipping", "CAP-003"}


def test_a_free_shipping_line_is_harmless(app, session, simulator, gateway):
    order = make_order(session, products=FIVE_ITEMS, shipping="Store pickup")
    payment = paid_payment(session, simulator, gateway, order)
    ship(session, order, {0: 2, 1: 1, 2: 2})
    with app.test_request_context():
        service.activate(session, payment, gateway, actor=ADMIN)
        assert "shipping" not in {item.reference for item in returnable_lines(order)}  # nothing to give back
        return_items(session, order, {"CAP-003": 2, "CHO-103": 1, "BK-201": 2})
        amount = overpayment(session, reload(session, order))
        refunds.refund_overpayment(session, order, payment, gateway, amount, actor=ADMIN, token=new_form_token())
    [refund] = klarna_refunds(simulator, payment)
    assert refund["refunded_amount"] == amount == 11410 == payment.captured_amount
    assert "shipping" not in {item["reference"] for item in refund["order_lines"]}
    assert reload(session, order).total == 0
