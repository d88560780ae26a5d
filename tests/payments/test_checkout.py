"""Checkout through the hosted payment page against the in-process simulator (DESIGN.md §4)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.i18n_markers import KLARNA_ANSWERED, money_arg
from shop.models import Order, OrderLine
from shop.payments import klarna_checkout, states
from shop.payments.klarna_checkout import CheckoutFailed
from tests.klarna_contract import validate
from tests.payments.conftest import (
    approved_at_klarna, event_kinds, events, klarna_calls, klarna_method, latest_payment, make_order, merchant_urls, order_events,
    paid_payment, reload, set_method_settings, start_checkout,
)


@pytest.mark.parametrize("version_code, currency, country", [("fi", "EUR", "FI"), ("sv", "SEK", "SE")])
def test_start_sends_valid_sessions_and_redirects_to_the_hosted_page(session, gateway, version_code, currency,
                                                                     country):
    order = make_order(session, version_code)
    redirect_url = klarna_checkout.start(session, order, klarna_method(session), gateway, merchant_urls(order))

    assert redirect_url.startswith("http://localhost/_klarna/hpp/payments/")
    payment = latest_payment(session, order)
    assert payment.state == states.STARTED and payment.amount == order.total and payment.currency == currency
    assert payment.kp_session_id and payment.hpp_session_id and payment.session_expires_at
    [kp] = klarna_calls(session, method="POST", path_end="/payments/v1/sessions")
    validate("payments", "session_create", kp.request_body)
    assert (kp.request_body["purchase_currency"], kp.request_body["purchase_country"]) == (currency, country)
    assert kp.request_body["order_amount"] == order.total  # SEK in öre, EUR in cents
    assert sum(line["total_amount"] for line in kp.request_body["order_lines"]) == order.total
    [hpp] = klarna_calls(session, method="POST", path_end="/hpp/v1/sessions")
    validate("hpp", "SessionCreationRequestV1", hpp.request_body)
    assert hpp.request_body["payment_session_url"].endswith(f"/payments/v1/sessions/{payment.kp_session_id}")
    assert set(hpp.request_body["merchant_urls"]) == {"success", "cancel", "back", "failure", "error",
                                                      "status_update"}
    assert event_kinds(session, payment) == ["session_requested", "session_created", "redirected"]


@pytest.mark.parametrize("version_code", ["fi", "sv"])
def test_finalise_creates_one_valid_klarna_order_for_the_order_total(session, simulator, gateway, version_code):
    order = make_order(session, version_code)
    payment = paid_payment(session, simulator, gateway, order)

    assert payment.state == states.AUTHORIZED and reload(session, order).status == "confirmed"
    [create] = klarna_calls(session, method="POST", path_end="/order")
    validate("payments", "create_order_request", create.request_body)
    klarna_order = simulator.get_order(payment.klarna_order_id)
    assert klarna_order["order_amount"] == order.total
    assert klarna_order["purchase_currency"] == order.currency
    assert payment.klarna_reference == klarna_order["klarna_reference"]
    assert payment.payment_option == "INVOICE"
    assert [e.amount for e in events(session, payment, "authorized")] == [order.total]
    assert order_events(session, order, "payment_authorized")


def test_return_and_callback_finalise_exactly_once(session, simulator, gateway, callbacks):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    completed = [body["session"] for url, body in callbacks.sent
                 if url.endswith("/status") and body["session"]["status"] == "COMPLETED"]
    assert completed and completed[0]["session_id"] == payment.hpp_session_id

    first = klarna_checkout.finalise(session, payment, gateway, source="return")
    again = klarna_checkout.finalise(session, payment, gateway, source="return")  # a refresh
    callback = klarna_checkout.finalise(session, reload(session, payment), gateway, source="callback")

    assert first.done and again.done and callback.done
    assert len(klarna_calls(session, method="POST", path_end="/order")) == 1
    assert len(simulator.orders.all()) == 1
    assert event_kinds(session, payment).count("authorized") == 1
    assert len(order_events(session, order, "payment_authorized")) == 1


def test_a_second_finaliser_waits_while_the_first_holds_the_claim(session, simulator, gateway):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    payment.state = states.AUTHORIZING  # another worker claimed it a moment ago
    session.commit()

    result = klarna_checkout.finalise(session, payment, gateway, source="callback")

    assert result.in_progress and not result.done
    assert not klarna_calls(session, method="POST", path_end="/order") and not simulator.orders.all()


def test_unfinished_session_is_reported_and_nothing_is_claimed(session, simulator, gateway):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)

    result = klarna_checkout.finalise(session, payment, gateway, source="return")

    assert result.hpp_status == "WAITING" and not result.done and payment.state == states.STARTED
    klarna_checkout.record_return(session, payment, "back", result.hpp_status)
    assert event_kinds(session, payment)[-1] == "returned_back"


def test_changed_order_total_releases_the_authorization_and_fails(session, simulator, gateway):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(payment.hpp_session_id)
    token = simulator.hpp.view(simulator.store.get("hpp_session", payment.hpp_session_id))["authorization_token"]
    _change_total(session, order)

    result = klarna_checkout.finalise(session, payment, gateway, source="return")

    assert payment.state == states.FAILED and not result.done
    assert not simulator.orders.all(), "no Klarna order for an amount the shopper was not shown"
    assert simulator.store.get("authorization", token)["state"] == "cancelled"
    [mismatch] = events(session, payment, "amount_mismatch")
    assert mismatch.data["message_args"]["total"] == money_arg(order.total, order.currency)
    assert order_events(session, order, "klarna_amount_mismatch")
    assert reload(session, order).status == "awaiting_payment"
    # The completed session can never be paid again: later finalisers leave it alone.
    assert not klarna_checkout.finalise(session, payment, gateway, source="callback").done
    assert len(events(session, payment, "amount_mismatch")) == 1


@pytest.mark.parametrize("mode, status, undone", [("PLACE_ORDER", "CANCELLED", "cancelled"),
                                                ("CAPTURE_ORDER", "CAPTURED", "refunded")])
def test_klarna_order_with_another_total_is_undone(session, simulator, gateway, mode, status, undone):
    order, payment = approved_at_klarna(session, simulator, gateway, mode)
    _change_total(session, order)

    klarna_checkout.finalise(session, payment, gateway, source="return")

    [klarna_order] = simulator.orders.all()
    klarna_order = simulator.get_order(klarna_order["order_id"])
    assert klarna_order["status"] == status
    if undone == "refunded":
        assert klarna_order["refunded_amount"] == klarna_order["captured_amount"] > 0
    assert payment.state == states.FAILED and payment.klarna_order_id is None and payment.captured_amount == 0
    [mismatch] = events(session, payment, "amount_mismatch")
    assert mismatch.provider_id == klarna_order["order_id"] and undone in mismatch.message
    assert not order_events(session, order, "payment_authorized")


def test_place_order_mode_finalises_from_the_hpp_order_id(session, simulator, gateway):
    set_method_settings(session, place_order_mode="PLACE_ORDER")
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    [hpp] = klarna_calls(session, method="POST", path_end="/hpp/v1/sessions")
    assert hpp.request_body["options"]["place_order_mode"] == "PLACE_ORDER"
    completed = simulator.complete_hpp_session(payment.hpp_session_id)

    assert klarna_checkout.finalise(session, payment, gateway, source="return").done

    assert not klarna_calls(session, method="POST", path_end="/order")
    assert payment.klarna_order_id == completed["order_id"] and payment.state == states.AUTHORIZED
    assert payment.captured_amount == 0


def test_capture_order_mode_records_klarnas_capture_in_the_ledger(session, simulator, gateway):
    set_method_settings(session, place_order_mode="CAPTURE_ORDER")
    order = make_order(session, "sv")
    payment = paid_payment(session, simulator, gateway, order)

    assert payment.state == states.CAPTURED
    [capture] = simulator.get_order(payment.klarna_order_id)["captures"]
    [captured] = events(session, payment, "captured")
    assert (captured.amount, captured.provider_id) == (order.total, capture["capture_id"])
    assert payment.captured_amount == order.total
    [paid] = order_events(session, order, "payment_captured")
    assert paid.data["exchange_rate"] == str(order.exchange_rate) and paid.data["eur_equivalent"] > 0
    assert states.label(payment.state) == "Paid"


@pytest.mark.parametrize("operation", ["create_session", "create_hpp_session"])
@pytest.mark.parametrize("fault", ["503", "timeout"])
def test_klarna_unreachable_at_start_fails_the_payment_and_keeps_the_order(session, simulator, gateway, operation,
                                                                           fault):
    order = make_order(session)
    simulator.faults.set(operation, fault)

    with pytest.raises(CheckoutFailed) as failed:
        klarna_checkout.start(session, order, klarna_method(session), gateway, merchant_urls(order))

    error = failed.value.error
    assert error.message and str(failed.value) == error.message
    payment = failed.value.payment
    assert reload(session, payment).state == states.FAILED and not payment.hpp_session_id
    [event] = events(session, payment, "session_failed")
    assert event.message == KLARNA_ANSWERED and event.data["message_args"] == {"message": error.message}
    [order_event] = order_events(session, order, "klarna_session_failed")
    assert order_event.data["correlation_id"] == error.correlation_id
    if fault == "503":
        assert error.error_code == "TEMPORARILY_UNAVAILABLE" and error.correlation_id
        assert event.correlation_id == error.correlation_id == klarna_calls(session)[-1].correlation_id
    else:
        assert "No answer from Klarna" in error.message
    assert session.get(Order, order.id).status == "awaiting_payment"
    if operation == "create_hpp_session":
        assert payment.kp_session_id, "the KP session that was made stays on record"


def test_a_new_attempt_disables_the_old_session(session, simulator, gateway):
    order = make_order(session)
    first = start_checkout(session, gateway, order)

    assert klarna_checkout.disable_open_sessions(session, order, gateway) is None

    assert reload(session, first).state == states.FAILED
    assert simulator.store.get("hpp_session", first.hpp_session_id)["status"] == "DISABLED"
    second = start_checkout(session, gateway, order)
    assert second.id != first.id and second.state == states.STARTED


def test_a_new_attempt_finds_the_old_session_paid(session, simulator, gateway):
    order = make_order(session)
    first = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(first.hpp_session_id)

    paid = klarna_checkout.disable_open_sessions(session, order, gateway)

    assert paid is not None and paid.id == first.id and paid.state == states.AUTHORIZED


def test_declined_shopper_can_still_pay_on_the_same_page(session, simulator, gateway):
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    with simulator.transaction():
        hpp = simulator.hpp.load(None, payment.hpp_session_id)
        simulator.hpp.act(hpp, "decline")
    result = klarna_checkout.finalise(session, payment, gateway, source="failure")
    assert result.hpp_status == "FAILED"

    simulator.complete_hpp_session(payment.hpp_session_id)

    assert klarna_checkout.finalise(session, payment, gateway, source="return").done


def _change_total(session, order) -> None:
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.kind == "physical")).first()
    line.quantity += 1
    session.add(line)
    session.commit()
    session.refresh(order)



def test_a_new_attempt_leaves_an_order_alone_while_klarna_is_confirming_its_payment(session, simulator, gateway):
    order = make_order(session)
    first = start_checkout(session, gateway, order)
    simulator.complete_hpp_session(first.hpp_session_id)
    simulator.faults.set("create_order", "timeout", times=1)  # Klarna may have the order: the sync finishes it
    klarna_checkout.finalise(session, first, gateway, source="return")
    assert first.state == states.AUTHORIZING

    paid = klarna_checkout.disable_open_sessions(session, order, gateway)

    assert paid is not None and paid.id == first.id, "an order being paid is not replaced or cancelled"


@pytest.fixture
def calls_in_transaction(session, gateway, monkeypatch):
    """Klarna calls made while the caller's database transaction was open (DESIGN.md §3: none)."""
    seen = []
    real = gateway.http.request

    def request(method, url, *args, **kwargs):
        transaction = session.get_transaction()
        if transaction is not None and transaction._connections:  # a database transaction, not just autobegun
            seen.append(f"{method} {url}")
        return real(method, url, *args, **kwargs)

    monkeypatch.setattr(gateway.http, "request", request)
    return seen


@pytest.mark.parametrize("mode", ["NONE", "PLACE_ORDER", "CAPTURE_ORDER"])
def test_undoing_a_mismatched_payment_calls_klarna_with_no_transaction_open(session, simulator, gateway, mode,
                                                                           calls_in_transaction):
    order, payment = approved_at_klarna(session, simulator, gateway, mode)
    _change_total(session, order)

    klarna_checkout.finalise(session, payment, gateway, source="return")

    assert payment.state == states.FAILED
    assert calls_in_transaction == []


def test_a_new_attempt_is_refused_while_the_old_session_cannot_be_closed(session, simulator, gateway):
    from shop.klarna_errors import KLARNA_ERRORS

    order = make_order(session)
    first = start_checkout(session, gateway, order)
    simulator.faults.set("disable_hpp_session", "503")  # every try

    with pytest.raises(KLARNA_ERRORS):  # never two sessions the shopper could both pay
        klarna_checkout.disable_open_sessions(session, order, gateway)

    assert reload(session, first).state == states.STARTED
    assert simulator.store.get("hpp_session", first.hpp_session_id)["status"] != "DISABLED"
