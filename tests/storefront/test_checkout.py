"""Checkout: the form, the summary, placing the order, starting the payment, the confirmation page."""
import pytest
from sqlmodel import select

from shop.models import Order, OrderEvent, PaymentMethodVersion, ShippingMethod
from shop.pricing import load_price_list
from shop.storefront import checkout as checkout_module

from .conftest import (
    HTMX, add_to_cart, cart_contents, payment_method, post, product, sek, token_from, version,
)

CUSTOMER = {
    "email": "sara.svensson@example.se", "given_name": "Sara", "family_name": "Svensson", "phone": "+46 70 123 45 67",
    "street_address": "Storgatan 1", "postal_code": "113 51", "city": "Stockholm",
}


@pytest.fixture
def jacket(db_session):
    return product(db_session, "rain-jacket")


@pytest.fixture
def filled_cart(client, db_session, jacket):
    assert add_to_cart(client, "sv", jacket, 2).status_code == 303
    assert add_to_cart(client, "sv", product(db_session, "dark-roast-coffee-500-g"), 3).status_code == 303
    return jacket


def checkout(client, db_session, *, method: str = "Bank transfer", shipping: str = "Home delivery", code="sv",
             **changes):
    data = {
        **CUSTOMER,
        "shipping_method": str(db_session.exec(select(ShippingMethod).where(ShippingMethod.name == shipping)).one().id),
        "payment_method": str(payment_method(db_session, method).id),
        **changes,
    }
    return post(client, f"/{code}/checkout", data, token=token_from(client, f"/{code}/checkout"))


def orders(db_session) -> list[Order]:
    db_session.expire_all()
    return list(db_session.exec(select(Order)))


def test_empty_cart_goes_back_to_the_cart_with_a_message(client):
    response = client.get("/sv/checkout")
    assert response.status_code == 303 and response.location == "/sv/cart"
    assert "Your cart is empty" in client.get("/sv/cart").get_data(as_text=True)


def test_checkout_page_offers_country_shipping_and_published_payment_methods(client, db_session, filled_cart):
    html = client.get("/sv/checkout").get_data(as_text=True)
    assert "Sverige" in html  # the version's country, fixed
    home = db_session.exec(select(ShippingMethod).where(ShippingMethod.name == "Home delivery")).one()
    # 12,90 € at 11,235 kr/€ is 144,93 kr; the Swedish version rounds to whole kronor ending in 9
    assert "149,00\xa0kr" in html and load_price_list(db_session, version(db_session, "sv")).shipping_price(home) == 14900
    assert html.index("Klarna") < html.index("Banköverföring")  # by position, named in Swedish
    assert 'class="tag tag-test"' not in html
    assert 'id="order-summary"' in html and "Shipping: Paketautomat" in html  # the first method, preselected


def test_invalid_input_is_422_with_every_message_and_every_value_kept(client, db_session, filled_cart):
    response = checkout(client, db_session, email="not-an-email", given_name="", postal_code="ABCDE",
                        city="Göteborg", payment_method="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Enter a valid e-mail address.", "This field is required.",
                    "Enter a five-digit postal code, e.g. 113 51.", "Choose a payment method."):
        assert message in html
    for value in ('value="not-an-email"', 'value="Svensson"', 'value="ABCDE"', 'value="Göteborg"',
                  'value="+46 70 123 45 67"', 'value="Storgatan 1"'):
        assert value in html
    home = db_session.exec(select(ShippingMethod).where(ShippingMethod.name == "Home delivery")).one()
    assert f'value="{home.id}" required\n               checked' in html
    assert "Shipping: Hemleverans" in html  # the summary follows the posted choice
    assert orders(db_session) == []


def test_made_up_choices_are_422_not_500(client, db_session, filled_cart):
    for field, value in [("shipping_method", "abc"), ("shipping_method", "99999"), ("payment_method", "abc"),
                         ("payment_method", "-5")]:
        response = checkout(client, db_session, **{field: value})
        assert response.status_code == 422
        assert "Choose a" in response.get_data(as_text=True)
    assert orders(db_session) == []


def test_bank_transfer_order_in_sek(client, db_session, filled_cart):
    sv = load_price_list(db_session, version(db_session, "sv"))
    jacket, coffee = product(db_session, "rain-jacket"), product(db_session, "dark-roast-coffee-500-g")
    response = checkout(client, db_session)

    assert response.status_code == 303
    [order] = orders(db_session)
    assert response.location == f"/sv/order/{order.token}"
    assert (order.currency, order.status, order.country, order.email) == ("SEK", "awaiting_payment", "SE",
                                                                          CUSTOMER["email"])
    lines = {line.reference: (line.kind, line.quantity, line.unit_price, line.tax_rate) for line in order.lines}
    home = db_session.exec(select(ShippingMethod).where(ShippingMethod.name == "Home delivery")).one()
    assert lines == {
        "JKT-002": ("physical", 2, sv.product_price(jacket), 2500),
        "COF-101": ("physical", 3, sv.product_price(coffee), 1200),
        "shipping": ("shipping_fee", 1, sv.shipping_price(home), 2500),
    }
    # the jacket's price is set in the Swedish price list; coffee (111,79 kr) and shipping (144,93 kr) are
    # converted and rounded to whole kronor ending in 9
    assert (lines["JKT-002"][2], lines["COF-101"][2], lines["shipping"][2]) == (149500, 10900, 14900)
    assert order.total == 2 * 149500 + 3 * 10900 + 14900
    assert (jacket.stock, coffee.stock) == (23, 197)  # 25 - 2, 200 - 3
    kinds = [event.kind for event in db_session.exec(select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert kinds == ["placed", "awaiting_payment"]
    assert cart_contents(db_session, "sv") == {}


def test_confirmation_page_shows_the_order_and_the_transfer_instructions(client, db_session, filled_cart):
    location = checkout(client, db_session).location
    response = client.get(location)
    html = response.get_data(as_text=True)
    [order] = orders(db_session)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert order.number in html
    assert "Betala till FI49 5000 9420 0287 30" in html  # the method's instructions, in Swedish
    assert "Banköverföring" in html and "Shipping: Hemleverans" in html
    assert order.total == 346600 and sek(order.total) in html  # 2 × 1 495 + 3 × 109 + 149
    assert [(rate, vat) for rate, _gross, vat in order.vat_breakdown()] == [(2500, 59800 + 2980), (1200, 3504)]  # per line, rounded
    assert "VAT 25 % included" in html and sek(62780) in html
    assert "VAT 12 % included" in html and sek(3504) in html
    assert 'class="badge" aria-label="0 items">0<' in html


def test_unknown_or_foreign_order_token_is_404(client, db_session, filled_cart):
    location = checkout(client, db_session).location
    assert client.get("/sv/order/not-a-token").status_code == 404
    assert client.get(location.replace("/sv/", "/fi/")).status_code == 404


def test_out_of_stock_at_checkout_is_409_and_keeps_the_cart(client, db_session, filled_cart):
    jacket = product(db_session, "rain-jacket")
    jacket.stock = 1
    db_session.commit()
    response = checkout(client, db_session)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Sorry, only 1 of Regnjacka left in stock." in html
    assert 'value="Storgatan 1"' in html
    assert orders(db_session) == []
    assert product(db_session, "dark-roast-coffee-500-g").stock == 200  # the whole placement rolled back
    assert cart_contents(db_session, "sv") == {"rain-jacket": 2, "dark-roast-coffee-500-g": 3}


def test_provider_without_a_payment_starter_is_409_and_loses_nothing(client, db_session, filled_cart, monkeypatch):
    monkeypatch.delitem(checkout_module.PAYMENT_STARTERS, "klarna", raising=False)
    response = checkout(client, db_session, method="Klarna")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This payment method is not available right now" in html
    assert 'value="sara.svensson@example.se"' in html
    assert orders(db_session) == [] and product(db_session, "rain-jacket").stock == 25
    assert cart_contents(db_session, "sv") == {"rain-jacket": 2, "dark-roast-coffee-500-g": 3}


def test_registered_starter_gets_the_placed_order_and_decides_the_redirect(client, db_session, filled_cart,
                                                                           monkeypatch):
    seen = []

    def start(session, order, method):
        seen.append((order.status, order.number is not None, method.provider))
        session.commit()
        return "https://payments.example/hpp/123"

    monkeypatch.setitem(checkout_module.PAYMENT_STARTERS, "klarna", start)
    response = checkout(client, db_session, method="Klarna")
    assert response.status_code == 303 and response.location == "https://payments.example/hpp/123"
    assert seen == [("awaiting_payment", True, "klarna")]
    assert len(orders(db_session)) == 1
    assert cart_contents(db_session, "sv") != {}  # the provider empties it once the payment is done


def hide_in_sweden(db_session, name: str):
    method, sv = payment_method(db_session, name), version(db_session, "sv")
    link = db_session.exec(select(PaymentMethodVersion).where(
        PaymentMethodVersion.method_id == method.id, PaymentMethodVersion.version_id == sv.id)).one()
    db_session.delete(link)
    db_session.commit()
    return method


def test_unpublished_method_is_not_offered_to_shoppers(client, db_session, filled_cart):
    klarna = hide_in_sweden(db_session, "Klarna")
    html = client.get("/sv/checkout").get_data(as_text=True)
    assert f'name="payment_method" value="{klarna.id}"' not in html
    response = checkout(client, db_session, method="Klarna")
    assert response.status_code == 422 and "Choose a payment method." in response.get_data(as_text=True)


def test_unpublished_method_is_offered_to_a_logged_in_merchant_marked_test(merchant_client, db_session):
    add_to_cart(merchant_client, "sv", product(db_session, "rain-jacket"), 1)
    bank = hide_in_sweden(db_session, "Bank transfer")
    html = merchant_client.get("/sv/checkout").get_data(as_text=True)
    bank_choice = html[html.index(f'name="payment_method" value="{bank.id}"'):]
    bank_choice = bank_choice[:bank_choice.index("</label>")]
    assert 'class="tag tag-test"' in bank_choice and ">test<" in bank_choice
    klarna_choice = html[html.index("Klarna"):]
    assert 'tag-test' not in klarna_choice[:klarna_choice.index("</label>")]  # published: no tag
    response = checkout(merchant_client, db_session, method="Bank transfer")  # a merchant's test order
    assert response.status_code == 303 and response.location.startswith("/sv/order/")


def test_summary_follows_the_chosen_shipping_method_with_htmx(client, db_session, filled_cart):
    pickup = db_session.exec(select(ShippingMethod).where(ShippingMethod.name == "Store pickup")).one()
    response = client.get(f"/sv/checkout/summary?shipping_method={pickup.id}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.strip().startswith("<section id=\"order-summary\"")
    assert "Shipping: Hämta i butik" in html
    assert sek(2 * 149500 + 3 * 10900) in html  # the goods, shipping free
    assert client.get("/sv/checkout/summary").status_code == 303  # without htmx: the checkout page
