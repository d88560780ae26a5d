"""The shopper's Klarna journey over HTTP: hosted page, returns, callback, sync, retry, failures."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from shop.models import KlarnaCall, Order, OrderEvent, Payment
from shop.payments.callback_health import INBOUND_PATH
from shop.payments import states

from .conftest import add_to_cart, cart_contents, product, token_from
from tests.klarna_fixtures import app, app_overrides, callbacks, simulator  # noqa: F401  (fixtures)

from .test_checkout import checkout


@pytest.fixture
def filled_cart(client, db_session):
    assert add_to_cart(client, "en", product(db_session, "trail-running-shoe"), 1).status_code == 303
    assert add_to_cart(client, "en", product(db_session, "forest-honey-350-g"), 2).status_code == 303


def path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def klarna_checkout(client, db_session, code="en"):
    response = checkout(client, db_session, method="Klarna", code=code, postal_code="00100" if code in ("fi", "en") else "113 51")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    assert "/_klarna/hpp/payments/" in response.location
    return path(response.location)


def on_hosted_page(client, hosted_page, action="approve", category="PAY_LATER"):
    page = client.get(hosted_page)
    assert page.status_code == 200
    response = client.post(hosted_page, data={"action": action, "category": category})
    assert response.status_code == 303
    return path(response.location)


def the_order(db_session) -> Order:
    db_session.expire_all()
    return db_session.exec(select(Order)).one()


def payments_of(db_session, order) -> list[Payment]:
    db_session.expire_all()
    return list(db_session.exec(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))


def create_order_calls(db_session) -> int:
    return len([c for c in db_session.exec(select(KlarnaCall)) if c.path.endswith("/order") and c.method == "POST"])


def outbound_calls(db_session) -> list[str]:
    """The shop's calls to Klarna, oldest first, ids starred (Klarna's calls to the shop are logged too)."""
    calls = db_session.exec(select(KlarnaCall).where(~KlarnaCall.path.startswith(INBOUND_PATH))
                            .order_by(KlarnaCall.id)).all()
    return [f"{call.method} {re.sub(r'/(?=[^/]*[0-9])[^/]{16,}', '/*', call.path)}" for call in calls]


def test_paying_with_klarna_confirms_the_order_once(client, db_session, filled_cart, callbacks):
    success = on_hosted_page(client, klarna_checkout(client, db_session))
    order = the_order(db_session)
    assert success.startswith(f"/en/klarna/{order.token}/")
    response = client.get(success)
    assert response.status_code == 303 and response.location == f"/en/order/{order.token}"
    html = client.get(response.location).get_data(as_text=True)
    assert "Klarna: Pay later" in html and order.number in html
    assert callbacks.deliver() == [200, 200]  # IN_PROGRESS and COMPLETED callbacks, after the return
    assert client.get(success).status_code == 303  # a refresh changes nothing
    [payment] = payments_of(db_session, order)
    order = the_order(db_session)
    assert (order.status, payment.state) == ("confirmed", states.AUTHORIZED)
    assert payment.klarna_order_id and payment.expires_at is None  # created, not read back: the sync reads it
    assert create_order_calls(db_session) == 1
    assert outbound_calls(db_session) == ["POST /payments/v1/sessions", "POST /hpp/v1/sessions",
                                          "GET /hpp/v1/sessions/*", "POST /payments/v1/authorizations/*/order"]
    assert cart_contents(db_session, "en") == {}
    events = {e.kind: e for e in db_session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id))}
    assert {"placed", "klarna_redirected", "payment_authorized"} <= set(events)
    assert "klarna_callback" not in events  # the callbacks came after the return and changed nothing
    assert len(events["klarna_redirected"].data["correlation_ids"]) == 2  # KP and HPP sessions
    assert events["payment_authorized"].data["correlation_id"]


def test_swedish_order_is_sent_to_klarna_in_sek(client, db_session, callbacks, simulator):
    assert add_to_cart(client, "sv", product(db_session, "rain-jacket"), 1).status_code == 303
    client.get(on_hosted_page(client, klarna_checkout(client, db_session, "sv"), category="PAY_OVER_TIME"))
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    klarna_order = simulator.get_order(payment.klarna_order_id)
    assert (klarna_order["purchase_currency"], klarna_order["order_amount"]) == ("SEK", order.total)
    assert 'class="klarna-option"' in client.get(f"/sv/order/{order.token}").get_data(as_text=True)


def test_a_shopper_who_never_returns_is_finalised_by_the_callback_alone(client, db_session, filled_cart,
                                                                         callbacks):
    on_hosted_page(client, klarna_checkout(client, db_session))  # the browser closes here
    assert the_order(db_session).status == "awaiting_payment"
    assert 200 in callbacks.deliver()
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    assert (order.status, payment.state) == ("confirmed", states.AUTHORIZED)
    assert create_order_calls(db_session) == 1


def test_a_shopper_who_never_returns_is_finalised_by_the_sync_alone(app, client, db_session, filled_cart,
                                                                     callbacks, monkeypatch):
    on_hosted_page(client, klarna_checkout(client, db_session))
    callbacks.sent.clear()  # Klarna's callbacks never arrive
    monkeypatch.setattr("shop.payments.sync.STALE_START", timedelta(0))
    result = app.test_cli_runner().invoke(args=["klarna", "sync"])
    assert result.exit_code == 0, result.output
    assert "finalised 1" in result.output
    order = the_order(db_session)
    assert order.status == "confirmed" and payments_of(db_session, order)[0].state == states.AUTHORIZED


def test_an_expired_session_is_abandoned_by_the_sync_and_its_stock_released(app, client, db_session,
                                                                            filled_cart, simulator, monkeypatch):
    stock_before = product(db_session, "trail-running-shoe").stock
    klarna_checkout(client, db_session)
    assert product(db_session, "trail-running-shoe").stock == stock_before - 1
    simulator.clock.advance(days=3)
    monkeypatch.setattr("shop.payments.sync.STALE_START", timedelta(0))
    result = app.test_cli_runner().invoke(args=["klarna", "sync"])
    assert "abandoned 1" in result.output, result.output
    order = the_order(db_session)
    assert order.status == "abandoned"
    assert product(db_session, "trail-running-shoe").stock == stock_before


@pytest.mark.parametrize("action, message", [
    ("cancel", "You cancelled the payment at Klarna"),
    ("back", "You came back from Klarna before paying"),
    ("decline", "Klarna could not approve the payment"),
    ("error", "Something went wrong at Klarna"),
])
def test_each_way_back_without_paying_has_its_page_and_keeps_the_cart(client, db_session, filled_cart,
                                                                       action, message):
    back = on_hosted_page(client, klarna_checkout(client, db_session), action=action)
    response = client.get(back)
    assert response.status_code == 303 and response.location == "/en/cart"
    html = client.get("/en/cart").get_data(as_text=True)
    assert message in html
    assert 'id="retry-payment"' in html
    assert cart_contents(db_session, "en") == {"trail-running-shoe": 1, "forest-honey-350-g": 2}
    assert the_order(db_session).status == "awaiting_payment"


def test_trying_klarna_again_after_cancelling_succeeds_with_a_new_session(client, db_session, filled_cart):
    first_page = klarna_checkout(client, db_session)
    client.get(on_hosted_page(client, first_page, action="cancel"))
    order = the_order(db_session)
    token = token_from(client, "/en/cart")
    retry = client.post(f"/en/order/{order.token}/retry", data={"csrf_token": token})
    assert retry.status_code == 303 and "/_klarna/hpp/payments/" in retry.location
    assert path(retry.location) != first_page
    confirmation = client.get(on_hosted_page(client, path(retry.location)))
    assert confirmation.location == f"/en/order/{order.token}"
    first, second = payments_of(db_session, order)
    assert (first.state, second.state) == (states.FAILED, states.AUTHORIZED)
    assert cart_contents(db_session, "en") == {}


def test_paying_the_waiting_order_by_bank_transfer_instead(client, db_session, filled_cart):
    from .conftest import payment_method

    client.get(on_hosted_page(client, klarna_checkout(client, db_session), action="cancel"))
    order = the_order(db_session)
    bank = payment_method(db_session, "Bank transfer")
    token = token_from(client, "/en/cart")
    response = client.post(f"/en/order/{order.token}/retry", data={"csrf_token": token, "payment_method": bank.id})
    assert response.status_code == 303 and response.location == f"/en/order/{order.token}"
    assert "Payment instructions" in client.get(response.location).get_data(as_text=True)
    assert 'id="retry-payment"' not in client.get("/en/cart").get_data(as_text=True)


def test_klarna_unreachable_at_checkout_keeps_the_order_and_says_so(client, db_session, filled_cart, simulator):
    simulator.faults.set("create_session", "503")
    response = checkout(client, db_session, method="Klarna", code="en", postal_code="00100")
    assert response.status_code == 303 and response.location == "/en/cart"
    html = client.get("/en/cart").get_data(as_text=True)
    assert "Klarna could not start the payment" in html and "Klarna reference" in html
    order = the_order(db_session)
    assert order.status == "awaiting_payment"
    [payment] = payments_of(db_session, order)
    assert payment.state == states.FAILED
    kinds = [e.kind for e in db_session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert "klarna_session_failed" in kinds
    assert cart_contents(db_session, "en") == {"trail-running-shoe": 1, "forest-honey-350-g": 2}


def test_until_klarna_confirms_the_return_page_waits_and_polls(client, db_session, filled_cart):
    klarna_checkout(client, db_session)
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    response = client.get(f"/en/klarna/{order.token}/{payment.id}/success")
    html = response.get_data(as_text=True)
    assert response.status_code == 202
    assert "Klarna has not confirmed your payment" in html and 'hx-trigger="every 2s"' in html
    poll = client.get(f"/en/klarna/{order.token}/{payment.id}/wait", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and 'id="klarna-waiting"' in poll.get_data(as_text=True)


def test_callbacks_and_returns_need_the_order_token(client, db_session, filled_cart):
    klarna_checkout(client, db_session)
    [payment] = payments_of(db_session, the_order(db_session))
    assert client.post(f"/en/klarna/not-the-token/{payment.id}/status", json={}).status_code == 404
    assert client.get(f"/en/klarna/not-the-token/{payment.id}/success").status_code == 404


def test_a_new_checkout_replaces_the_waiting_order(client, db_session, filled_cart):
    client.get(on_hosted_page(client, klarna_checkout(client, db_session), action="cancel"))
    first = the_order(db_session)
    response = checkout(client, db_session, method="Bank transfer", code="en", postal_code="00100")
    assert response.status_code == 303
    db_session.expire_all()
    statuses = {o.number: o.status for o in db_session.exec(select(Order))}
    assert statuses[first.number] == "cancelled" and list(statuses.values()).count("awaiting_payment") == 1


@pytest.mark.parametrize("decision, state", [("FRAUD_RISK_ACCEPTED", states.AUTHORIZED),
                                             ("FRAUD_RISK_REJECTED", states.REJECTED)])
def test_a_pending_review_is_resolved_by_klarnas_notification(client, db_session, filled_cart, callbacks,
                                                              simulator, decision, state):
    response = checkout(client, db_session, method="Klarna", code="en", postal_code="00100",
                        email="customer+pend-accept-05@email.fi")
    client.get(on_hosted_page(client, path(response.location)))
    callbacks.sent.clear()
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    assert (payment.state, payment.fraud_status) == (states.PENDING, "PENDING")
    assert not states.can("capture", payment.state)

    with simulator.transaction():
        klarna_order = simulator.orders.load(None, payment.klarna_order_id)
        simulator.orders.decide_fraud(klarna_order, decision)
    [(url, body)] = callbacks.sent
    assert url.endswith(f"/en/klarna/{order.token}/{payment.id}/notification")
    assert callbacks.deliver() == [200]
    [payment] = payments_of(db_session, order)
    assert payment.state == state


def test_a_notification_is_only_a_hint(client, db_session, filled_cart, callbacks):
    """A forged "accepted" changes nothing: the shop re-reads the order from Klarna."""
    response = checkout(client, db_session, method="Klarna", code="en", postal_code="00100",
                        email="customer+pend-reject-05@email.fi")
    client.get(on_hosted_page(client, path(response.location)))
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    forged = client.post(f"/en/klarna/{order.token}/{payment.id}/notification",
                         json={"order_id": payment.klarna_order_id, "event_type": "FRAUD_RISK_ACCEPTED"})
    assert forged.status_code == 200
    assert payments_of(db_session, order)[0].state == states.PENDING


@pytest.mark.parametrize("chosen", ["hidden", "9" * 25])
def test_paying_the_waiting_order_again_offers_only_the_versions_payment_methods(client, db_session, filled_cart,
                                                                               chosen):
    from shop.models import PaymentMethod

    hidden = PaymentMethod(name="Cash on delivery (not published)", provider="manual")
    db_session.add(hidden)
    db_session.commit()
    client.get(on_hosted_page(client, klarna_checkout(client, db_session), action="cancel"))
    order = the_order(db_session)
    token = token_from(client, "/en/cart")

    response = client.post(f"/en/order/{order.token}/retry",
                           data={"csrf_token": token, "payment_method": hidden.id if chosen == "hidden" else chosen})

    assert response.status_code == 404
    db_session.expire_all()
    assert the_order(db_session).status == "awaiting_payment"
    assert all(payment.method_id != hidden.id for payment in payments_of(db_session, order))


def test_a_klarna_method_whose_secret_cannot_be_read_fails_clearly(client, db_session, filled_cart):
    from .conftest import payment_method

    klarna = payment_method(db_session, "Klarna")
    klarna.secret_encrypted = "not-a-fernet-token"
    db_session.add(klarna)
    db_session.commit()
    response = checkout(client, db_session, method="Klarna", code="en", postal_code="00100")
    assert response.status_code == 303 and response.location == "/en/cart"
    assert "Klarna could not start the payment" in client.get("/en/cart").get_data(as_text=True)
    [payment] = payments_of(db_session, the_order(db_session))
    assert payment.state == states.FAILED


def test_a_swedish_order_follows_the_price_list_through_klarna(client, db_session, callbacks, simulator,
                                                               merchant_client):
    """A price set in the admin and a rounded one: what the shopper sees is what Klarna is sent."""
    from decimal import Decimal

    from babel.numbers import format_currency

    from shop.models import ShopVersion

    sv = db_session.exec(select(ShopVersion).where(ShopVersion.code == "sv")).one()
    shoe, honey = product(db_session, "trail-running-shoe"), product(db_session, "forest-honey-350-g")
    admin_page = f"/admin/settings/shop-versions/{sv.id}/prices"
    saved = merchant_client.post(admin_page, data={f"product_{shoe.id}": "1 049",
                                                   "csrf_token": token_from(merchant_client, admin_page)})
    assert saved.status_code == 303
    shown = {item.slug: format_currency(Decimal(price).scaleb(-2), "SEK", locale="sv_SE")
             for item, price in ((shoe, 104900), (honey, 12900))}  # honey: 11,90 € = 133,70 kr -> 129 kr
    for item in (shoe, honey):
        assert shown[item.slug] in client.get(f"/sv/p/{item.slug}").get_data(as_text=True)
        assert add_to_cart(client, "sv", item, 2).status_code == 303
    cart = client.get("/sv/cart").get_data(as_text=True)
    assert all(price in cart for price in shown.values())
    client.get(on_hosted_page(client, klarna_checkout(client, db_session, "sv")))
    order = the_order(db_session)
    [payment] = payments_of(db_session, order)
    klarna_order = simulator.get_order(payment.klarna_order_id)
    unit_prices = {line["reference"]: line["unit_price"] for line in klarna_order["order_lines"]}
    assert unit_prices == {"RUN-001": 104900, "HON-104": 12900, "shipping": 14900}  # home delivery: 144,93 -> 149 kr
    assert {line.reference: line.unit_price for line in order.lines} == unit_prices
    assert klarna_order["order_amount"] == order.total == 2 * 104900 + 2 * 12900 + 14900
    assert klarna_order["order_amount"] == sum(line["total_amount"] for line in klarna_order["order_lines"])
