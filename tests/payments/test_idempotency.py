"""A write whose outcome is unknown keeps its claim and is resolved with the same idempotency key;
a refusal releases the claim and keeps Klarna's evidence (DESIGN.md §3)."""
from __future__ import annotations

import pytest

from shop.models import Order, PaymentMethod
from shop.payments import service, states
from shop.payments.common import ProviderError
from shop.payments.operations import OperationInProgress, claim, execute
from shop.payments.sync import sync
from tests.payments.conftest import event_kinds, events, klarna_calls, make_order, paid_payment

ADMIN = "admin@example.com"
ATTEMPTS = 3  # the client's own tries of one idempotent write (1 + 2 retries)


@pytest.fixture
def payment(session, simulator, gateway):
    return paid_payment(session, simulator, gateway, make_order(session))


def capture_with_unknown_outcome(session, simulator, gateway, payment, fault="timeout_after"):
    simulator.faults.set("create_capture", fault, times=ATTEMPTS)
    with pytest.raises(ProviderError) as raised:
        service.activate(session, payment, gateway, actor=ADMIN)
    assert raised.value.outcome_unknown
    return raised.value


def capture_keys(session, payment) -> list[str]:
    return [call.idempotency_key for call in klarna_calls(session, method="POST", path_end="/captures",
                                                         payment=payment)]


@pytest.mark.parametrize("fault", ["timeout_after", "503"])
@pytest.mark.parametrize("resolve", [
    lambda session, payment, gateway: service.resolve_pending(session, payment, gateway),
    lambda session, payment, gateway: sync(session, payment, gateway),
], ids=["resolve_pending", "sync"])
def test_unknown_capture_is_resolved_with_the_same_key_and_captures_once(session, simulator, gateway, payment,
                                                                         fault, resolve):
    total = session.get(Order, payment.order_id).total
    capture_with_unknown_outcome(session, simulator, gateway, payment, fault)
    [requested] = events(session, payment, "capture_requested")
    assert payment.pending_event_id == requested.id and payment.state == states.AUTHORIZED
    assert event_kinds(session, payment)[-1] == "capture_unknown"

    with pytest.raises(OperationInProgress):
        service.extend(session, payment, gateway, actor=ADMIN)
    with pytest.raises(OperationInProgress):
        service.activate(session, payment, gateway, actor=ADMIN)
    assert len(events(session, payment, "extend_requested", "capture_requested")) == 1

    resolve(session, payment, gateway)

    keys = capture_keys(session, payment)
    assert len(keys) == ATTEMPTS + 1 and set(keys) == {requested.idempotency_key}
    assert len(simulator.get_order(payment.klarna_order_id)["captures"]) == 1
    [captured] = events(session, payment, "captured")
    assert captured.amount == total == payment.captured_amount and captured.request_event_id == requested.id
    assert not events(session, payment, "captured_elsewhere")
    assert payment.pending_event_id is None and payment.state == states.CAPTURED


def test_sync_while_still_unresolved_does_not_count_the_capture_twice(session, simulator, gateway, payment):
    capture_with_unknown_outcome(session, simulator, gateway, payment)
    simulator.faults.set("create_capture", "timeout", times=ATTEMPTS)  # the retry gets no answer either

    assert sync(session, payment, gateway) == []  # Klarna shows the capture; it may be the pending one's

    assert payment.pending_event_id is not None and payment.captured_amount == 0
    sync(session, payment, gateway)
    assert len(events(session, payment, "captured", "captured_elsewhere")) == 1
    assert payment.captured_amount == session.get(Order, payment.order_id).total
    assert len(set(capture_keys(session, payment))) == 1


def test_past_klarnas_replay_window_the_request_is_given_up_and_synced(session, simulator, gateway, payment,
                                                                        shop_clock):
    capture_with_unknown_outcome(session, simulator, gateway, payment)
    shop_clock.advance(hours=24)
    calls = len(capture_keys(session, payment))

    sync(session, payment, gateway)

    assert len(capture_keys(session, payment)) == calls, "an expired key is never sent again"
    assert "capture_unresolved" in event_kinds(session, payment)
    [elsewhere] = events(session, payment, "captured_elsewhere")
    assert elsewhere.amount == payment.captured_amount and payment.state == states.CAPTURED
    assert payment.pending_event_id is None


def test_klarnas_refusal_releases_the_claim_with_its_evidence(session, simulator, gateway, payment):
    with simulator.transaction():  # Klarna staff cancel the order in the merchant portal
        simulator.orders.simple(simulator.orders.load(None, payment.klarna_order_id), "cancel")

    with pytest.raises(ProviderError) as raised:
        service.activate(session, payment, gateway, actor=ADMIN)

    error = raised.value
    assert not error.outcome_unknown and error.error_code == "CAPTURE_NOT_ALLOWED"
    [failed] = events(session, payment, "capture_failed")
    assert failed.data["message_args"] == {"message": error.message} and "Capture not allowed" in error.message
    [call] = klarna_calls(session, method="POST", path_end="/captures")
    assert call.status == 403 and failed.correlation_id == error.correlation_id == call.correlation_id
    assert failed.data["error_code"] == "CAPTURE_NOT_ALLOWED"
    assert payment.pending_event_id is None
    assert not simulator.get_order(payment.klarna_order_id)["captures"]
    sync(session, payment, gateway)
    assert payment.state == states.CANCELLED


def test_provider_errors_accept_notes():
    """Python and test tools annotate exceptions in flight; the error must let them."""
    error = ProviderError("CAPTURE_NOT_ALLOWED: Capture not allowed", "corr-1", "CAPTURE_NOT_ALLOWED")
    error.add_note("while shipping order 100001")
    assert error.__notes__ == ["while shipping order 100001"] and str(error).startswith("CAPTURE_NOT_ALLOWED")


def test_two_retries_of_an_unknown_extension_record_it_once(app, session, simulator, gateway, payment, monkeypatch):
    from shop.db import new_session
    from shop.models import Payment

    simulator.faults.set("extend_authorization_time", "timeout_after", times=ATTEMPTS)
    with pytest.raises(ProviderError):
        service.extend(session, payment, gateway, actor=ADMIN)
    real_request = gateway.http.request
    reads = []

    def request(method, url, *args, **kwargs):
        answer = real_request(method, url, *args, **kwargs)
        if method == "GET" and not reads:  # the new date is read back; a second retry runs meanwhile
            reads.append(url)
            with new_session(app) as other:
                service.resolve_pending(other, other.get(Payment, payment.id), gateway)
        return answer

    monkeypatch.setattr(gateway.http, "request", request)
    service.resolve_pending(session, payment, gateway)

    assert reads and len(events(session, payment, "extended")) == 1
    assert session.get(Payment, payment.id).pending_event_id is None


def test_a_method_that_cannot_reach_klarna_releases_the_claim_and_says_why(session, gateway, payment):
    method = session.get(PaymentMethod, payment.method_id)
    stored_secret = method.secret_encrypted
    method.secret_encrypted = "not-a-token"  # e.g. the shop's secret key changed since it was stored
    session.add(method)
    session.commit()
    event = claim(session, payment, "capture", {"captured_amount": 100}, actor=ADMIN)

    with pytest.raises(ProviderError, match="shared secret cannot be read"):
        execute(session, payment, event, gateway)

    session.refresh(payment)
    assert payment.pending_event_id is None and event_kinds(session, payment)[-1] == "capture_failed"
    method.secret_encrypted = stored_secret
    session.add(method)
    session.commit()
    service.activate(session, payment, gateway, actor=ADMIN)  # nothing left claimed: the next try works
    assert payment.state == states.CAPTURED
