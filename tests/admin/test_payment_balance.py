"""The order and Klarna disagreeing on what is left: an amount changed in Klarna's merchant portal, found by
`klarna sync`; shipping and activation refused before any Klarna call; the ways out (capture Klarna's
remaining amount, a new payment transaction for the difference); a negative transaction paying back an
overpayment; and the cron re-reading captured payments for refunds made in the portal."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlmodel import select

from shop.i18n import money
from shop.models import KlarnaCall, OrderEvent, Payment, PaymentEvent, PaymentMethod, utcnow
from shop.payments.portal_changes import SETTLED_WINDOW
from shop.payments.sync import sync_all
from tests.conftest import csrf_token
from tests.klarna_fixtures import gateway, simulator  # noqa: F401  (fixtures)

from .conftest import post
from .edit_helpers import edit, page, reloaded
from .edit_helpers import app_overrides, english_admin, order, payment  # noqa: F401  (fixtures)

LOWER_BY = 1500


def shown(app, amount: int) -> str:
    with app.test_request_context(), force_locale("en"):
        return money(amount, "EUR")


def in_portal(simulator, payment, change) -> None:
    with simulator.transaction():
        change(simulator.orders, simulator.orders.load(None, payment.klarna_order_id))


def lower_in_portal(simulator, payment, by: int = LOWER_BY) -> int:
    amount = simulator.get_order(payment.klarna_order_id)["order_amount"] - by
    in_portal(simulator, payment, lambda orders, klarna: orders.update_authorization(
        klarna, {"order_amount": amount, "order_lines": klarna["order_lines"]}, assess_risk=False))
    return amount


def cron_sync(app) -> str:
    result = app.test_cli_runner().invoke(args=["klarna", "sync"])
    assert result.exit_code == 0, result.output
    return result.output


def calls(session) -> list[KlarnaCall]:
    session.expire_all()
    return list(session.exec(select(KlarnaCall).order_by(KlarnaCall.id)))


def ship_all(client, order, *, htmx=False):
    return post(client, f"/admin/orders/{order.number}/ship", {"action": "all", "confirmed": "yes"}, htmx=htmx,
                csrf=csrf_token(page(client, order)))


def bank(session) -> PaymentMethod:
    return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()


def new_transaction(client, order, amount: str, direction: str, method: PaymentMethod, *, htmx=False):
    return post(client, f"/admin/orders/{order.number}/transactions", {
        "transaction-amount": amount, "transaction-direction": direction, "transaction-method_id": str(method.id)},
        htmx=htmx, csrf=csrf_token(page(client, order)))


@pytest.mark.parametrize("htmx", [False, True])
def test_a_portal_amount_change_is_synced_noticed_and_stops_shipping(app, admin_client, session, simulator, order,
                                                                      payment, htmx):
    old_amount = payment.amount
    new_amount = lower_in_portal(simulator, payment)
    assert "changed 1" in cron_sync(app)

    session.refresh(payment)
    assert payment.amount == new_amount and payment.amount_notice_event_id is not None
    [changed] = session.exec(select(PaymentEvent).where(PaymentEvent.kind == "amount_changed")).all()
    assert changed.data == {"from": old_amount, "to": new_amount}
    [noted] = session.exec(select(OrderEvent).where(OrderEvent.kind == "klarna_amount_changed")).all()
    assert (noted.data["from"], noted.data["to"]) == (old_amount, new_amount)
    html = page(admin_client, order)
    notice = html[html.index('class="alert alert-warning amount-notice"'):]
    assert "Klarna changed only the amount, not the order lines" in notice
    assert f"from {shown(app, old_amount)} to {shown(app, new_amount)}" in notice
    history = html[html.index('id="order-events"'):]
    assert f"from {shown(app, old_amount)} to {shown(app, new_amount)} outside the shop" in history
    assert f"they differ by {shown(app, LOWER_BY)}" in html
    panel = html[html.index(f'<article id="payment-{payment.id}"'):]
    panel = panel[:panel.index("</article>")]
    assert f"differs from the order's remaining total ({shown(app, old_amount)}) by {shown(app, LOWER_BY)}" in panel

    before = len(calls(session))
    refused = ship_all(admin_client, order, htmx=htmx)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f"Klarna's remaining authorized amount is {shown(app, new_amount)}" in text
    assert "Capture Klarna's" in text and "Create new payment transaction" in text  # the two ways out
    assert len(calls(session)) == before  # refused before any Klarna call
    assert reloaded(session, order).status == "confirmed"
    assert not simulator.get_order(payment.klarna_order_id)["captures"]


def test_activation_is_refused_before_any_capture_while_amounts_differ(app, admin_client, session, simulator, order,
                                                                       payment):
    new_amount = lower_in_portal(simulator, payment)
    response = post(admin_client, f"/admin/orders/{order.number}/payments/{payment.id}/activate",
                    {"confirmed": "yes"}, csrf=csrf_token(page(admin_client, order)))
    assert response.status_code == 409
    assert f"Klarna's remaining authorized amount is {shown(app, new_amount)}" in response.get_data(as_text=True)
    assert not [call for call in calls(session) if call.method == "POST" and call.path.endswith("/captures")]


@pytest.mark.parametrize("htmx", [False, True])
def test_the_notice_is_acknowledged_with_one_click(admin_client, session, simulator, order, payment, htmx):
    lower_in_portal(simulator, payment)
    cron_sync(admin_client.application)
    session.refresh(payment)
    response = post(admin_client, f"/admin/orders/{order.number}/payments/{payment.id}/acknowledge-amount",
                    {"event_id": str(payment.amount_notice_event_id)}, htmx=htmx,
                    csrf=csrf_token(page(admin_client, order)))
    assert response.status_code == (200 if htmx else 303)
    assert "amount-notice" not in page(admin_client, order)
    session.refresh(payment)
    assert payment.amount_notice_event_id is None
    assert session.exec(select(PaymentEvent).where(PaymentEvent.kind == "amount_change_acknowledged")).one()


def test_capture_klarnas_remaining_then_a_transaction_for_the_rest(app, admin_client, session, simulator, order,
                                                                   payment):
    new_amount = lower_in_portal(simulator, payment)
    cron_sync(app)
    captured = post(admin_client, f"/admin/orders/{order.number}/payments/{payment.id}/capture-klarna-remaining",
                    csrf=csrf_token(page(admin_client, order)))
    assert captured.status_code == 303
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["status"] == "CAPTURED" and klarna["captured_amount"] == new_amount

    created = new_transaction(admin_client, order, "15.00", "charge", bank(session))
    assert created.status_code == 303
    manual = session.exec(select(Payment).where(Payment.provider == "manual")).one()
    assert (manual.amount, manual.state) == (LOWER_BY, "awaiting")
    settled = post(admin_client, f"/admin/orders/{order.number}/transactions/{manual.id}/settled",
                   csrf=csrf_token(page(admin_client, order)))
    assert settled.status_code == 303
    html = page(admin_client, order)
    totals = html[html.index('class="payment-amounts order-payments"'):]
    assert f'<td class="num paid">{shown(app, order.total)}</td>' in totals
    assert f'<td class="num open">{shown(app, 0)}</td>' in totals
    assert ship_all(admin_client, order).status_code == 303


@pytest.mark.parametrize("htmx", [False, True])
def test_a_new_transaction_for_the_difference_lets_the_order_ship(app, admin_client, session, simulator, order,
                                                                  payment, htmx):
    new_amount = lower_in_portal(simulator, payment)
    cron_sync(app)
    form = page(admin_client, order)
    form = form[form.index('id="new-transaction"'):]
    assert 'value="15.00"' in form  # the difference, suggested
    created = new_transaction(admin_client, order, "15.00", "charge", bank(session), htmx=htmx)
    assert created.status_code == (200 if htmx else 303)
    assert "klarna-mismatch" not in page(admin_client, order)
    assert ship_all(admin_client, order).status_code == 303
    klarna = simulator.get_order(payment.klarna_order_id)
    assert klarna["status"] == "CAPTURED" and klarna["captured_amount"] == new_amount


def test_an_overpayment_is_paid_back_with_a_negative_transaction(app, admin_client, session, simulator, order,
                                                                 payment):
    assert ship_all(admin_client, order).status_code == 303  # Klarna captures the whole order
    session.refresh(payment)
    assert payment.state == "captured"
    discounted = edit(admin_client, reloaded(session, order), discount_amount="5.00")
    assert discounted.status_code == 303  # captured in full: stored without asking Klarna
    assert payment.amount == simulator.get_order(payment.klarna_order_id)["order_amount"]
    html = page(admin_client, order)
    assert f"Paid more than the order total</th><td class=\"num overpaid\">{shown(app, 500)}" in html
    form = html[html.index('id="new-transaction"'):]
    assert re.search(r'<input checked[^>]*value="pay_back"', form) and 'value="5.00"' in form

    created = new_transaction(admin_client, order, "5.00", "pay_back", bank(session))
    assert created.status_code == 303
    manual = session.exec(select(Payment).where(Payment.provider == "manual")).one()
    assert (manual.amount, manual.state) == (-500, "awaiting")
    [event] = session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == manual.id)).all()
    assert event.kind == "created" and event.amount == -500 and "paid back" in event.message
    post(admin_client, f"/admin/orders/{order.number}/transactions/{manual.id}/settled",
         csrf=csrf_token(page(admin_client, order)))
    session.refresh(manual)
    assert manual.state == "captured"
    html = page(admin_client, order)
    assert f'<td class="num open">{shown(app, 0)}</td>' in html and "overpaid" not in html


def test_a_transaction_needs_an_amount(admin_client, session, order, payment):
    response = new_transaction(admin_client, order, "0", "charge", bank(session), htmx=True)
    assert response.status_code == 422
    assert not session.exec(select(Payment).where(Payment.provider == "manual")).all()


def test_the_cron_rereads_captured_payments_for_portal_refunds(app, admin_client, session, simulator, order,
                                                               payment):
    assert ship_all(admin_client, order).status_code == 303
    in_portal(simulator, payment, lambda orders, klarna: orders.refund(klarna, {"refunded_amount": 1000}))
    cron_sync(app)
    session.refresh(payment)
    assert payment.refunded_amount == 1000
    assert session.exec(select(PaymentEvent).where(PaymentEvent.kind == "refunded_elsewhere")).one().amount == 1000


def test_the_cron_leaves_old_quiet_captured_payments_alone(app, admin_client, session, simulator, order, payment):
    assert ship_all(admin_client, order).status_code == 303
    long_ago = utcnow() - SETTLED_WINDOW - timedelta(days=1)
    for event in session.exec(select(PaymentEvent).where(PaymentEvent.payment_id == payment.id)):
        event.created_at = long_ago
        session.add(event)
    session.refresh(payment)
    payment.created_at, payment.synced_at = long_ago, long_ago
    session.add(payment)
    session.commit()
    reads = len([call for call in calls(session) if call.method == "GET"])
    with app.app_context():
        from shop.db import db

        report = sync_all(db(), app.extensions["klarna_gateway"])
    assert report.checked == 0
    assert len([call for call in calls(session) if call.method == "GET"]) == reads


def test_the_lines_are_aligned_with_klarnas_new_amount_by_an_edit(app, admin_client, session, simulator, order,
                                                                  payment):
    new_amount = lower_in_portal(simulator, payment)
    cron_sync(app)
    aligned = edit(admin_client, reloaded(session, order), discount_amount="15.00")
    assert aligned.status_code == 303, aligned.get_data(as_text=True)[:2000]
    order = reloaded(session, order)
    klarna = simulator.get_order(payment.klarna_order_id)
    assert order.total == new_amount == klarna["order_amount"]
    assert any(line["type"] == "discount" for line in klarna["order_lines"])  # Klarna holds the shop's lines now
    html = page(admin_client, order)
    assert "klarna-mismatch" not in html and "amount-notice" in html  # aligned; the notice waits for its click
    assert ship_all(admin_client, order).status_code == 303
    assert simulator.get_order(payment.klarna_order_id)["captured_amount"] == new_amount
