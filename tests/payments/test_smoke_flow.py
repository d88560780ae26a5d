from shop.payments import klarna_checkout, service, states
from shop.payments.sync import sync
from tests.payments.conftest import klarna_method, make_order, merchant_urls


def test_checkout_authorize_capture_flow(session, simulator, gateway):
    order = make_order(session)
    redirect_url = klarna_checkout.start(session, order, klarna_method(session), gateway, merchant_urls(order))
    assert "/_klarna/" in redirect_url
    payment = order_payment(session, order)
    simulator.complete_hpp_session(payment.hpp_session_id, category="PAY_LATER")
    result = klarna_checkout.finalise(session, payment, gateway, source="return")
    assert result.done and payment.state == states.AUTHORIZED
    assert payment.expires_at is None  # the order was created, not read back
    assert sync(session, payment, gateway) == []  # the first read learns the expiry date: no change to record
    assert payment.expires_at is not None and payment.klarna_reference
    service.activate(session, payment, gateway, actor="admin")
    assert payment.state == states.CAPTURED
    assert simulator.get_order(payment.klarna_order_id)["status"] == "CAPTURED"
    assert sync(session, payment, gateway) == []


def order_payment(session, order):
    from sqlmodel import select
    from shop.models import Payment
    return session.exec(select(Payment).where(Payment.order_id == order.id)).one()
