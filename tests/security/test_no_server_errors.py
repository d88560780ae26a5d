"""What strangers can send is answered without a server error, and changes nothing when it is wrong:
control characters in redirect targets, whitespace-only numbers and names, JSON bodies that are not
objects, and forged Klarna callbacks (which leave no trace in the order history unless they matter)."""
from __future__ import annotations

import pytest
from sqlmodel import func, select

from shop.models import Order, OrderEvent, Product, ShippingMethod, ShopVersion
from tests.admin.test_catalog import product_data
from tests.admin.test_settings import version_data
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token, login
from tests.klarna_fixtures import gateway, make_order, simulator, start_checkout  # noqa: F401
from tests.storefront.test_checkout import CUSTOMER

@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None}  # the tests call back themselves


CRLF_TARGETS = ("/admin/orders\r\nSet-Cookie: x=1", "/fi/\nLocation: //evil.example", "/\r", "/a\tb")


def token_of(client, url="/admin/login") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


@pytest.mark.parametrize("target", CRLF_TARGETS)
def test_control_characters_in_next_are_no_server_error(client, session, target):
    login_page = client.get("/admin/login", query_string={"next": target})
    assert login_page.status_code == 200
    response = client.post("/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "next": target,
                                                 "csrf_token": token_of(client)})
    assert response.status_code == 303 and response.location == "/admin/orders"
    assert client.get("/admin/login", query_string={"next": target}).location == "/admin/orders"  # logged in
    language = client.post("/admin/language", data={"locale": "en", "next": target,
                                                    "csrf_token": token_of(client, "/admin/orders")})
    assert language.status_code == 303 and language.location == "/admin/orders"
    shoe = session.exec(select(Product).where(Product.sku == "RUN-001")).one()
    added = client.post(f"/fi/cart/add/{shoe.id}", data={"quantity": "1", "next": target,
                                                         "csrf_token": token_of(client, f"/fi/p/{shoe.slug}")})
    assert added.status_code == 303 and "\n" not in added.location and "\r" not in added.location


def admin_post(client, url, data):
    return client.post(url, data={**data, "csrf_token": token_of(client, "/admin/orders")})


@pytest.mark.parametrize("blank", [" ", "\t", " \u00a0 "])
def test_whitespace_only_numbers_are_422_and_change_nothing(admin_client, session, blank):
    shoe = session.exec(select(Product).where(Product.sku == "RUN-001")).one()
    response = admin_post(admin_client, f"/admin/products/{shoe.id}", product_data(shoe, price=blank))
    assert response.status_code == 422 and "Enter a price." in response.get_data(as_text=True)
    shipping = session.exec(select(ShippingMethod).order_by(ShippingMethod.id)).first()
    response = admin_post(admin_client, f"/admin/shipping-methods/{shipping.id}",
                          {"name": shipping.name, "price": blank, "tax_class": shipping.tax_class, "position": "1",
                           "active": "y"})
    assert response.status_code == 422 and "Enter a price." in response.get_data(as_text=True)
    sweden = session.exec(select(ShopVersion).where(ShopVersion.code == "sv")).one()
    for field, message in (("exchange_rate", "Enter the exchange rate."), ("vat_standard", "Enter a rate.")):
        response = admin_post(admin_client, f"/admin/settings/shop-versions/{sweden.id}", version_data(**{field: blank}))
        assert response.status_code == 422 and message in response.get_data(as_text=True), field
    session.expire_all()
    assert session.get(Product, shoe.id).price == 8990


@pytest.mark.parametrize("field", ["given_name", "family_name", "street_address", "postal_code", "city"])
def test_checkout_refuses_whitespace_only_names_and_addresses(client, session, field):
    shoe = session.exec(select(Product).where(Product.sku == "RUN-001")).one()
    client.post(f"/sv/cart/add/{shoe.id}", data={"quantity": "1", "csrf_token": token_of(client, f"/sv/p/{shoe.slug}")})
    page = client.get("/sv/checkout").get_data(as_text=True)
    shipping = session.exec(select(ShippingMethod).where(ShippingMethod.name == "Home delivery")).one()
    from tests.storefront.conftest import payment_method

    data = {**CUSTOMER, field: " \t ", "shipping_method": str(shipping.id),
            "payment_method": str(payment_method(session, "Bank transfer").id), "csrf_token": csrf_token(page)}
    response = client.post("/sv/checkout", data=data)
    assert response.status_code == 422 and "This field is required." in response.get_data(as_text=True)
    assert session.exec(select(func.count()).select_from(Order)).one() == 0


@pytest.fixture
def callback_urls(session, simulator, gateway):  # noqa: F811
    order = make_order(session)
    payment = start_checkout(session, gateway, order)
    base = f"/fi/klarna/{order.token}/{payment.id}"
    return order, payment, base + "/status", base + "/notification"


def history(session, order) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id)).one()


@pytest.mark.parametrize("body", ['"str"', "[1]", "1", "null", "[" * 100_000 + "]" * 100_000, "{bad json", "\xff"])
def test_callbacks_with_bodies_that_are_not_objects_are_no_server_error(client, callback_urls, body):
    _order, _payment, status_url, notification_url = callback_urls
    for url in (status_url, notification_url):
        response = client.post(url, data=body.encode("utf-8", "surrogateescape"), content_type="application/json")
        assert response.status_code < 500, (url, response.status_code)


def test_forged_callbacks_write_history_only_when_something_changed(client, session, simulator, callback_urls):  # noqa: F811
    order, payment, status_url, notification_url = callback_urls
    before = history(session, order)
    for _ in range(10):
        assert client.post(status_url, json={"event_id": "forged"}).status_code == 200
        assert client.post(notification_url, json={"event_type": "FRAUD_RISK_ACCEPTED"}).status_code == 200
    assert history(session, order) == before  # Klarna said nothing new: no row
    simulator.complete_hpp_session(payment.hpp_session_id)
    assert client.post(status_url, json={"event_id": "real"}).status_code == 200
    after_payment = history(session, order)
    assert after_payment > before
    assert any(event.kind == "klarna_callback" for event in session.exec(
        select(OrderEvent).where(OrderEvent.order_id == order.id)))
    for _ in range(5):
        client.post(status_url, json={"event_id": "again"})
    assert history(session, order) == after_payment


def test_callbacks_are_limited_per_order_token(client, callback_urls):
    _order, _payment, status_url, _notification_url = callback_urls
    answers = [client.post(status_url, json={}).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429


def test_every_callback_is_kept_in_the_klarna_request_log(client, session, callback_urls):
    from shop.models import KlarnaCall

    order, _payment, status_url, notification_url = callback_urls
    client.post(status_url, json={"event_id": "forged"})
    client.post(notification_url, data=b"[1]", content_type="application/json")
    session.expire_all()
    logged = session.exec(select(KlarnaCall).where(KlarnaCall.path.startswith("/shop/klarna-calls"))).all()
    assert [(call.path.rsplit("/", 1)[1], call.status, call.order_id) for call in logged] == [
        ("klarna_callback", 200, order.id), ("klarna_notification", 200, order.id)]
    assert all(order.token not in call.path for call in logged)
