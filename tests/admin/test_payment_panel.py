"""Processing a Klarna payment from the order page, against the in-process simulator.

Every tool through the htmx panel and as a plain form; shipping that captures; the guard that
refuses shipping on an unapproved payment and the new payment transaction that lifts it.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlmodel import select

from shop.admin.payment_panel import event_label, portal_url
from shop.i18n import date, money
from shop.models import KlarnaCall, Order, Payment, PaymentMethod, utcnow
from tests.conftest import csrf_token
from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator  # noqa: F401  (fixtures)

from .conftest import make_order as plain_order
from .conftest import post
from .edit_helpers import THREE_LINES, app_overrides, english_admin, line_of, order, payment, reloaded  # noqa: F401


def shown(app, value, currency="EUR") -> str:
    """An amount or a date the way the English admin shows it."""
    with app.test_request_context(), force_locale("en"):
        return money(value, currency) if isinstance(value, int) else date(value)


def page(client, order) -> str:
    return client.get(f"/admin/orders/{order.number}").get_data(as_text=True)


def panel_of(html: str, payment: Payment) -> str:
    start = html.index(f'<article id="payment-{payment.id}"')
    return html[start:html.index("</article>", start)]


def act(client, order, payment, action, data=None, *, htmx=False, confirmed=True):
    fields = {"confirmed": "yes"} if confirmed else {}
    html = page(client, order)
    if action == "refund":  # the refund form's own token, minted when the page was rendered
        name = f"refund-{payment.id}-refund_token"
        fields[name] = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)
    return post(client, f"/admin/orders/{order.number}/payments/{payment.id}/{action}", {**fields, **(data or {})},
                htmx=htmx, csrf=csrf_token(html))


def panel_after(client, order, payment, response, *, htmx) -> str:
    """The panel the merchant sees after an action: swapped in (htmx) or on the page redirected to."""
    if htmx:
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        html = response.get_data(as_text=True)
        assert html.lstrip().startswith(f'<article id="payment-{payment.id}"')
        assert 'id="flashes" class="flashes" role="status" aria-live="polite" hx-swap-oob="true"' in html
        assert 'id="order-events" class="card" hx-swap-oob="true"' in html
        return html
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.location == f"/admin/orders/{order.number}"
    return client.get(response.location).get_data(as_text=True)


def klarna_order(simulator, payment) -> dict:
    return simulator.get_order(payment.klarna_order_id)


def at_klarna(simulator, payment, change) -> None:
    """A change made in Klarna's merchant portal, behind the shop's back."""
    with simulator.transaction():
        change(simulator.orders, simulator.orders.load(None, payment.klarna_order_id))


def ship(client, order, data, *, htmx=False, confirmed=True):
    """Shipping on a Klarna payment charges the customer: confirmed unless told otherwise."""
    fields = {"confirmed": "yes"} if confirmed else {}
    return post(client, f"/admin/orders/{order.number}/ship", {**fields, **data}, htmx=htmx,
                csrf=csrf_token(page(client, order)))


def only(order, sku) -> dict[str, str]:
    """Ship every unit of one goods line, nothing of the others."""
    return {"action": "selected", **{f"quantity_{line.id}": str(line.quantity if line.reference == sku else 0)
                                     for line in order.goods_lines}}


def bank_transfer(session) -> PaymentMethod:
    return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "manual")).one()


# The panel ------------------------------------------------------------------------------------

def test_the_panel_shows_the_klarna_payment(app, admin_client, session, simulator, order, payment):
    html = panel_of(page(admin_client, order), payment)
    klarna = klarna_order(simulator, payment)
    assert "Reserved / awaiting activation" in html and "Pay later" in html
    assert shown(app, order.total) in html  # authorized and remaining
    assert shown(app, payment.expires_at) in html and "Expires in" not in html  # four weeks away: no warning
    assert "Accepted" in html and payment.klarna_order_id in html and klarna["klarna_reference"] in html
    assert f'href="/_klarna/portal/orders/{payment.klarna_order_id}"' in html
    assert "Klarna order created" in html and "Customer sent to Klarna" in html  # the timeline
    for tool in ("Activate payment", "Extend expiry", "Cancel reservation", "Check payment status"):
        assert tool in html
    assert "Refund entire payment" not in html and "Resend payment instructions to customer" not in html
    log = page(admin_client, order)
    log = log[log.index('<details id="klarna-request-log"'):]
    assert "POST /payments/v1/sessions" in log and f"GET /ordermanagement/v1/orders/{payment.klarna_order_id}" in log


def test_the_panel_warns_when_the_expiry_is_near_or_past(app, admin_client, session, order, payment):
    payment.expires_at = utcnow() + timedelta(days=3, hours=2)
    session.add(payment)
    session.commit()
    html = panel_of(page(admin_client, order), payment)
    assert "Expires in 3 days: activate or extend the payment before then." in html
    payment.expires_at = utcnow() - timedelta(days=1)
    session.add(payment)
    session.commit()
    assert "Expired: Klarna no longer guarantees the reserved amount." in panel_of(page(admin_client, order), payment)


# The tools, each through htmx and as a plain form -------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_activate_captures_the_remaining_amount(app, admin_client, simulator, order, payment, htmx):
    response = act(admin_client, order, payment, "activate", htmx=htmx)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    klarna = klarna_order(simulator, payment)
    assert klarna["status"] == "CAPTURED" and klarna["captured_amount"] == order.total
    assert {line["reference"] for line in klarna["captures"][0]["order_lines"]} == {
        "RUN-001", "COF-101", "CAP-003", "shipping"}
    assert f"Payment activated: {shown(app, order.total)} captured." in html
    panel = panel_of(html, payment)
    assert "Paid" in panel and "Activate payment" not in panel and "Refund entire payment" in panel


@pytest.mark.parametrize("htmx", [False, True])
def test_extend_shows_the_new_expiry_date(app, admin_client, session, simulator, order, payment, htmx):
    before = payment.expires_at
    simulator.clock.advance(days=10)
    response = act(admin_client, order, payment, "extend", htmx=htmx)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    session.refresh(payment)
    assert payment.expires_at.date() == before.date() + timedelta(days=10)
    new_date = shown(app, payment.expires_at)
    assert klarna_order(simulator, payment)["expires_at"].startswith(payment.expires_at.date().isoformat())
    assert f"Expiry date extended to {new_date}." in html and new_date in panel_of(html, payment)
    assert "Expiry date extended" in panel_of(html, payment)  # the timeline


@pytest.mark.parametrize("htmx", [False, True])
def test_cancel_makes_the_payment_unapproved(admin_client, simulator, order, payment, htmx):
    response = act(admin_client, order, payment, "cancel", htmx=htmx)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    assert klarna_order(simulator, payment)["status"] == "CANCELLED"
    assert "the customer is not charged" in html
    panel = panel_of(html, payment)
    assert "Unapproved" in panel and "Cancel reservation" not in panel and "Activate payment" not in panel
    assert "Create new payment transaction" in html  # the order now needs another way to be paid


@pytest.mark.parametrize("htmx", [False, True])
def test_cancel_after_a_partial_capture_releases_the_rest(app, admin_client, simulator, order, payment, htmx):
    assert ship(admin_client, order, only(order, "RUN-001")).status_code == 303
    captured = klarna_order(simulator, payment)["captured_amount"]
    response = act(admin_client, order, payment, "cancel", htmx=htmx)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    klarna = klarna_order(simulator, payment)
    assert klarna["status"] == "CLOSED" and klarna["remaining_authorized_amount"] == 0
    assert f"The remaining reservation of {shown(app, order.total - captured)} was released." in html
    assert "Closed" in panel_of(html, payment)


@pytest.mark.parametrize("htmx", [False, True])
def test_check_status_picks_up_a_capture_made_in_the_portal(app, admin_client, simulator, order, payment, htmx):
    at_klarna(simulator, payment, lambda orders, klarna: orders.capture(klarna, {"captured_amount": 1000}))
    response = act(admin_client, order, payment, "check", htmx=htmx, confirmed=False)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    assert "Payment status checked: 2 changes recorded." in html
    panel = panel_of(html, payment)
    assert "Partially activated" in panel and "Activated outside the shop" in panel
    assert shown(app, 1000) in panel and shown(app, order.total - 1000) in panel


def test_check_status_sees_an_expiry(admin_client, simulator, order, payment):
    at_klarna(simulator, payment, lambda orders, klarna: orders.expire_now(klarna))
    html = panel_after(admin_client, order, payment, act(admin_client, order, payment, "check", confirmed=False),
                       htmx=False)
    panel = panel_of(html, payment)
    assert "Unapproved" in panel and "Expired" in panel and "Activate payment" not in panel


@pytest.mark.parametrize("htmx", [False, True])
def test_resend_instructions(admin_client, session, simulator, order, payment, htmx):
    act(admin_client, order, payment, "activate")
    response = act(admin_client, order, payment, "resend", htmx=htmx)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    assert "Klarna sends the payment instructions to the customer again." in html
    assert "Payment instructions sent again" in panel_of(html, payment)
    sent = session.exec(select(KlarnaCall).where(KlarnaCall.path.endswith("/trigger-send-out"))).all()
    assert [call.status for call in sent] == [204]


@pytest.mark.parametrize("htmx", [False, True])
def test_refund_an_edited_amount(app, admin_client, simulator, order, payment, htmx):
    act(admin_client, order, payment, "activate")
    form = panel_of(page(admin_client, order), payment)
    assert f'value="{order.total / 100:.2f}"' in form  # prefilled with all that can be refunded
    response = act(admin_client, order, payment, "refund", {f"refund-{payment.id}-amount": "10.00"}, htmx=htmx)
    html = panel_after(admin_client, order, payment, response, htmx=htmx)
    assert klarna_order(simulator, payment)["refunded_amount"] == 1000
    assert f"{shown(app, 1000)} refunded to the customer." in html and "Partly refunded" in panel_of(html, payment)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_refund_above_what_was_captured_is_422_and_keeps_the_typed_amount(admin_client, simulator, order,
                                                                             payment, htmx):
    act(admin_client, order, payment, "activate")
    response = act(admin_client, order, payment, "refund", {f"refund-{payment.id}-amount": "99999"}, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at most what can be refunded" in html and 'value="99999"' in html
    assert ("<html" in html) is not htmx
    assert klarna_order(simulator, payment)["refunded_amount"] == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_nothing_happens_without_confirmation(admin_client, simulator, order, payment, htmx):
    response = act(admin_client, order, payment, "activate", htmx=htmx, confirmed=False)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Confirm the action to carry it out." in html
    assert re.search(r'<details class="payment-tool tool-activate" open>', html)
    assert klarna_order(simulator, payment)["status"] == "AUTHORIZED"


# Klarna's refusals and silences ---------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_a_klarna_refusal_is_shown_with_its_correlation_id(admin_client, session, simulator, order, payment, htmx):
    for _ in range(5):  # extended again and again in the portal, up to Klarna's 180-day limit
        simulator.clock.advance(days=27)
        at_klarna(simulator, payment, lambda orders, klarna: orders.extend(klarna))
    simulator.clock.advance(days=27)
    response = act(admin_client, order, payment, "extend", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    refused = session.exec(select(KlarnaCall).where(KlarnaCall.path.endswith("/extend-authorization-time"))).one()
    assert refused.status == 403 and refused.correlation_id
    assert "Klarna refused the action." in html and "beyond 180 days" in html
    assert f"Klarna correlation id: {refused.correlation_id}" in html


def test_when_klarna_cannot_be_read_first_nothing_is_done(admin_client, session, simulator, order, payment):
    simulator.faults.set("get_order", "503")
    response = act(admin_client, order, payment, "activate", htmx=True)
    assert response.status_code == 409
    assert "Klarna answered with an error when the payment was checked first, so nothing was done." in \
        response.get_data(as_text=True)  # a 503 is an answer, not silence
    simulator.faults.clear()
    assert klarna_order(simulator, payment)["status"] == "AUTHORIZED"
    assert not session.exec(select(KlarnaCall).where(KlarnaCall.path.endswith("/captures"))).all()


def test_an_action_made_impossible_at_klarna_is_refused_after_the_preflight(admin_client, simulator, order, payment):
    at_klarna(simulator, payment, lambda orders, klarna: orders.simple(klarna, "cancel"))
    response = act(admin_client, order, payment, "activate")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" in html
    assert "this action is no longer possible" in html
    assert "Unapproved" in panel_of(html, payment)


def test_an_unanswered_capture_blocks_a_second_action_until_it_is_resolved(admin_client, simulator, order, payment):
    simulator.faults.set("create_capture", "timeout_after")  # Klarna captures, the answer never arrives
    first = act(admin_client, order, payment, "activate", htmx=True)
    assert first.status_code == 409
    assert "Klarna did not answer; the result will be checked automatically." in first.get_data(as_text=True)
    second = act(admin_client, order, payment, "extend", htmx=True)
    assert second.status_code == 409
    assert "An operation is already in progress on this payment." in second.get_data(as_text=True)
    simulator.faults.clear()
    checked = act(admin_client, order, payment, "check", htmx=True, confirmed=False)
    assert "Paid" in panel_of(checked.get_data(as_text=True), payment)
    assert len(klarna_order(simulator, payment)["captures"]) == 1


# Shipping drives capture ----------------------------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_shipping_captures_what_was_shipped(app, admin_client, simulator, order, payment, htmx):
    response = ship(admin_client, order, only(order, "COF-101"), htmx=htmx)
    html = response.get_data(as_text=True) if htmx else admin_client.get(response.location).get_data(as_text=True)
    klarna = klarna_order(simulator, payment)
    first = klarna["captures"][0]
    assert klarna["status"] == "PART_CAPTURED"
    assert {line["reference"]: line["quantity"] for line in first["order_lines"]} == {"COF-101": 2, "shipping": 1}
    assert f"Klarna payment activated: {shown(app, first['captured_amount'])} captured" in html
    assert "Partially activated" in panel_of(html, payment)

    response = ship(admin_client, order, {"action": "all"}, htmx=htmx)
    html = response.get_data(as_text=True) if htmx else admin_client.get(response.location).get_data(as_text=True)
    klarna = klarna_order(simulator, payment)
    assert klarna["status"] == "CAPTURED" and klarna["captured_amount"] == order.total
    assert {line["reference"] for line in klarna["captures"][1]["order_lines"]} == {"RUN-001", "CAP-003"}
    assert "Paid" in panel_of(html, payment)


def shipping_charge(order, *skus) -> int:
    """What a first capture for these goods lines takes: their totals and the order's fees."""
    return sum(line.total for line in order.lines
               if line.reference in skus or line.kind in ("shipping_fee", "surcharge"))


def klarna_calls(session) -> int:
    session.expire_all()
    return len(session.exec(select(KlarnaCall)).all())


@pytest.mark.parametrize("htmx", [False, True])
def test_an_unconfirmed_shipment_that_charges_shows_the_amount_and_does_nothing(app, admin_client, session, simulator,
                                                                                order, payment, htmx):
    calls = klarna_calls(session)
    coffee = line_of(order, "COF-101")
    response = ship(admin_client, order, only(order, "COF-101"), htmx=htmx, confirmed=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<section id="order-shipping"') is htmx
    amount = shipping_charge(order, "COF-101")
    assert (f"Klarna will charge the customer {shown(app, amount)} for the shipped items and the shipping."
            in html)
    assert f"Ship and charge {shown(app, amount)} with Klarna" in html
    assert f'name="charge_amount" value="{amount}"' in html and 'name="action" value="selected"' in html
    assert f'name="quantity_{coffee.id}" type="number" value="2"' in html  # what was typed stays
    assert klarna_calls(session) == calls  # not even the check before shipping
    assert all(line.shipped_quantity == 0 for line in reloaded(session, order).goods_lines)

    confirmed = ship(admin_client, order, {**only(order, "COF-101"), "charge_amount": str(amount)}, htmx=htmx)
    assert confirmed.status_code == (200 if htmx else 303)
    klarna = klarna_order(simulator, payment)
    assert [capture["captured_amount"] for capture in klarna["captures"]] == [amount]
    assert line_of(reloaded(session, order), "COF-101").shipped_quantity == 2


@pytest.mark.parametrize("htmx", [False, True])
def test_mark_all_shipped_names_what_it_charges(app, admin_client, session, simulator, order, payment, htmx):
    assert f"Mark all shipped and charge {shown(app, order.total)} with Klarna" in page(admin_client, order)
    assert "Ship selected and charge for them with Klarna" in page(admin_client, order)
    assert ship(admin_client, order, only(order, "RUN-001")).status_code == 303
    rest = order.total - shipping_charge(order, "RUN-001")
    assert f"Mark all shipped and charge {shown(app, rest)} with Klarna" in page(admin_client, order)

    response = ship(admin_client, order, {"action": "all"}, htmx=htmx, confirmed=False)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'name="action" value="all"' in html
    assert f"Klarna will charge the customer the remaining {shown(app, rest)} of the payment" in html
    assert klarna_order(simulator, payment)["captured_amount"] == order.total - rest

    confirmed = ship(admin_client, order, {"action": "all", "charge_amount": str(rest)}, htmx=htmx)
    assert confirmed.status_code == (200 if htmx else 303)
    assert klarna_order(simulator, payment)["status"] == "CAPTURED"
    assert "charge" not in page(admin_client, order)[page(admin_client, order).index('id="order-shipping"'):]


def test_a_confirmation_for_another_amount_is_asked_again(app, admin_client, session, simulator, order, payment):
    amount = shipping_charge(order, "COF-101")
    stale = ship(admin_client, order, {**only(order, "RUN-001"), "charge_amount": str(amount)})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 422
    assert "The amount to charge has changed: check it and confirm again." in html
    assert f'name="charge_amount" value="{shipping_charge(order, "RUN-001")}"' in html
    assert klarna_order(simulator, payment)["status"] == "AUTHORIZED"
    assert all(line.shipped_quantity == 0 for line in reloaded(session, order).goods_lines)


def test_shipping_on_a_bank_transfer_needs_no_confirmation(admin_client, session):
    plain = plain_order(session, status="confirmed")
    html = page(admin_client, plain)
    assert "Mark all shipped" in html and "charge" not in html[html.index('id="order-shipping"'):]
    response = ship(admin_client, plain, {"action": "all"}, confirmed=False)
    assert response.status_code == 303
    assert reloaded(session, plain).status == "shipped"


def test_a_failed_capture_on_shipping_is_reported_and_the_shipment_stays(admin_client, session, simulator, order,
                                                                         payment):
    simulator.faults.set("create_capture", "503")
    response = ship(admin_client, order, {"action": "all"})
    html = admin_client.get(response.location).get_data(as_text=True)
    assert response.status_code == 303 and "Shipment recorded." in html
    assert "the Klarna payment was not activated" in html and "Klarna answered with an error" in html
    assert "Klarna did not answer" not in html
    session.expire_all()
    assert session.get(Order, order.id).status == "shipped"


@pytest.mark.parametrize("htmx", [False, True])
def test_an_expired_payment_refuses_shipping_until_a_new_payment_transaction(app, admin_client, session, simulator,
                                                                             order, payment, htmx):
    at_klarna(simulator, payment, lambda orders, klarna: orders.expire_now(klarna))  # the shop has not seen it
    refused = ship(admin_client, order, {"action": "all"}, htmx=htmx)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "The Klarna payment is unapproved" in html
    assert 'id="new-payment"' in html and "Create new payment transaction" in html
    assert shown(app, order.total) in html[html.index('id="new-payment"'):]

    created = post(admin_client, f"/admin/orders/{order.number}/payments/new",
                   {"method_id": str(bank_transfer(session).id)}, htmx=htmx, csrf=csrf_token(page(admin_client, order)))
    assert created.status_code == (200 if htmx else 303)
    manual = session.exec(select(Payment).where(Payment.order_id == order.id, Payment.provider == "manual")).one()
    assert (manual.state, manual.amount, manual.currency) == ("awaiting", order.total, "EUR")
    assert "Create new payment transaction" not in page(admin_client, order)

    assert ship(admin_client, order, {"action": "all"}).status_code == 303
    session.expire_all()
    assert session.get(Order, order.id).status == "shipped"


def test_a_payment_under_fraud_review_refuses_shipping(session, admin_client, simulator, gateway):
    order = make_order(session, products=THREE_LINES, email="customer+pend-accept-60@email.fi")
    paid_payment(session, simulator, gateway, order)
    refused = ship(admin_client, order, {"action": "all"})
    assert refused.status_code == 409
    assert "Klarna is still reviewing this payment." in refused.get_data(as_text=True)


def test_shipping_goes_ahead_when_klarna_cannot_be_asked(admin_client, session, simulator, order, payment):
    simulator.faults.set("get_order", "503")
    response = ship(admin_client, order, only(order, "RUN-001"))
    assert response.status_code == 303
    html = admin_client.get(response.location).get_data(as_text=True)
    assert "Klarna answered with an error when the payment was checked before shipping" in html  # a 503 is an answer
    assert "could not be reached" not in html
    assert klarna_order(simulator, payment)["status"] == "PART_CAPTURED"  # the capture itself got through


def test_an_empty_shipment_asks_klarna_nothing_and_writes_nothing(admin_client, session, simulator, order, payment):
    calls_before = len(session.exec(select(KlarnaCall)).all())
    response = ship(admin_client, order, only(order, "no such line"))
    assert response.status_code == 422
    assert "Choose at least one item to ship." in response.get_data(as_text=True)
    session.expire_all()
    assert len(session.exec(select(KlarnaCall)).all()) == calls_before
    assert session.get(Order, order.id).status == order.status


def test_a_new_payment_transaction_is_refused_while_klarna_carries_the_order(admin_client, session, order):
    response = post(admin_client, f"/admin/orders/{order.number}/payments/new",
                    {"method_id": str(bank_transfer(session).id)}, csrf=csrf_token(page(admin_client, order)))
    assert response.status_code == 409
    assert not session.exec(select(Payment).where(Payment.provider == "manual")).all()


# The orders list ------------------------------------------------------------------------------

def test_the_orders_list_badges_and_filters_expiring_klarna_payments(app, admin_client, session):
    soon, later, expired, paid = (plain_order(session) for _ in range(4))
    klarna = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one()
    dates = {}
    for order, state, days in ((soon, "authorized", 3), (later, "authorized", 20), (expired, "expired", -2),
                               (paid, "captured", 2)):
        dates[order.number] = utcnow() + timedelta(days=days)
        session.add(Payment(order_id=order.id, method_id=klarna.id, provider="klarna", state=state, currency="EUR",
                            amount=order.total, expires_at=dates[order.number]))
    session.commit()
    html = admin_client.get("/admin/orders").get_data(as_text=True)
    assert f"Expires {shown(app, dates[soon.number])}" in html
    assert f"Expired {shown(app, dates[expired.number])}" in html
    assert html.count('class="expiry-badge') == 2
    filtered = admin_client.get("/admin/orders?expiry=soon").get_data(as_text=True)
    assert re.findall(r'href="/admin/orders/(\d+)"', filtered) == [expired.number, soon.number]
    assert 'name="expiry" value="soon" checked' in filtered


# Pieces ------------------------------------------------------------------------------------

@pytest.mark.parametrize("environment, merchant_id, url", [
    ("simulator", "PK_demo_12345", "/_klarna/portal/orders/abc-123"),
    ("playground", "K123456_abcd", "https://portal.playground.klarna.com/orders/merchants/K123456/orders/abc-123"),
    ("production", "K123456_abcd", "https://portal.klarna.com/orders/merchants/K123456/orders/abc-123"),
    ("production", "", "https://portal.klarna.com/"),
])
def test_the_merchant_portal_link_follows_the_environment(environment, merchant_id, url):
    method = PaymentMethod(name="Klarna", provider="klarna",
                           settings={"environment": environment, "merchant_id": merchant_id})
    payment = Payment(order_id=1, method_id=1, provider="klarna", currency="EUR", amount=100,
                      klarna_order_id="abc-123")
    assert portal_url(payment, method) == url


def test_event_words_are_composed_for_every_operation(app):
    with app.test_request_context(), force_locale("en"):
        assert event_label("capture_failed") == "Activation refused by Klarna"
        assert event_label("extend_requested") == "Expiry extension requested"
        assert event_label("something_new") == "something_new"


# Bad addresses ------------------------------------------------------------------------------

def test_unknown_payments_and_actions_are_404(admin_client, session, order, payment):
    other = make_order(session, products=THREE_LINES)
    assert act(admin_client, order, payment, "explode").status_code == 404
    assert act(admin_client, other, payment, "activate").status_code == 404
    assert post(admin_client, f"/admin/orders/{order.number}/payments/999999/activate",
                {"confirmed": "yes"}).status_code == 404
