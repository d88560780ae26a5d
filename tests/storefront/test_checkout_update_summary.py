"""Without JavaScript the checkout's "Update summary" button brings the summary up to date: what was typed is
kept, the shipping cost and totals follow the chosen method, and no order is placed and Klarna is not called."""
from sqlmodel import func, select

from shop.i18n_formats import money_text
from shop.models import Order, ShippingMethod
from shop.pricing import load_price_list
from tests.klarna_fixtures import app, app_overrides, callbacks, simulator  # noqa: F401  (fixtures)

from .conftest import HTMX, payment_method, product, token_from, version
from .test_checkout import checkout
from .test_klarna_call_counts import KP_AND_HPP
from .test_klarna_checkout import filled_cart, outbound_calls  # noqa: F401  (fixture)

TYPED = {"email": "not-an-email", "given_name": "Aino", "family_name": "", "street_address": "Mannerheimintie 1",
         "postal_code": "001", "city": "Helsinki", "phone": "+358 40 123 4567"}
COMPLETE = {"email": "aino@example.fi", "family_name": "Virtanen", "postal_code": "00100"}  # with TYPED: valid


def order_count(db_session) -> int:
    db_session.expire_all()
    return db_session.exec(select(func.count()).select_from(Order)).one()


def shipping(db_session, name: str) -> ShippingMethod:
    return db_session.exec(select(ShippingMethod).where(ShippingMethod.name == name)).one()


def goods_total(db_session) -> int:
    prices = load_price_list(db_session, version(db_session, "en"))
    return prices.product_price(product(db_session, "trail-running-shoe")) \
        + 2 * prices.product_price(product(db_session, "forest-honey-350-g"))


def summary_of(html: str) -> str:
    start = html.index('<section id="order-summary"')
    return html[start:html.index("</section>", start)]


def update(client, db_session, shipping_name: str, **changes):
    return checkout(client, db_session, method="Klarna", code="en", shipping=shipping_name,
                    **{**TYPED, "action": "update", **changes})


def test_update_keeps_what_was_typed_recomputes_shipping_and_places_nothing(client, db_session, filled_cart):
    home = shipping(db_session, "Home delivery")
    home_price = load_price_list(db_session, version(db_session, "en")).shipping_price(home)
    assert home_price > 0
    response = update(client, db_session, "Home delivery")
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # an update, not a failed order: no errors shown
    for value in ('value="not-an-email"', 'value="Aino"', 'value="Mannerheimintie 1"', 'value="001"',
                  'value="Helsinki"', 'value="+358 40 123 4567"'):
        assert value in html
    assert "This field is required." not in html and "Enter a valid e-mail address." not in html
    assert 'class="error-summary' not in html and 'aria-invalid' not in html
    summary = summary_of(html)
    assert "Shipping: Home delivery" in summary and money_text(home_price, "EUR", "en") in summary
    assert money_text(goods_total(db_session) + home_price, "EUR", "en") in summary[summary.index('class="total"'):]
    assert f'value="{home.id}" required\n               checked' in html
    klarna = payment_method(db_session, "Klarna")
    assert f'name="payment_method" value="{klarna.id}" required\n               checked' in html  # still chosen
    assert order_count(db_session) == 0 and outbound_calls(db_session) == []


def test_update_of_a_complete_form_follows_a_changed_shipping_method_and_places_nothing(client, db_session,
                                                                                        filled_cart):
    response = update(client, db_session, "Store pickup", **COMPLETE)
    assert response.status_code == 200
    summary = summary_of(response.get_data(as_text=True))
    assert "Shipping: Store pickup" in summary and "Home delivery" not in summary
    assert money_text(goods_total(db_session), "EUR", "en") in summary[summary.index('class="total"'):]  # free
    assert order_count(db_session) == 0 and outbound_calls(db_session) == []


def test_the_same_form_without_the_update_action_places_the_order(client, db_session, filled_cart):
    """The control for the tests above: the order is placed and Klarna called when the button is not the update."""
    response = update(client, db_session, "Home delivery", **COMPLETE, action="")
    assert response.status_code == 303 and "/_klarna/hpp/payments/" in response.location
    assert order_count(db_session) == 1 and outbound_calls(db_session) == KP_AND_HPP


def test_update_with_an_htmx_header_or_unknown_choices_places_nothing_and_never_fails(client, db_session, filled_cart):
    token = token_from(client, "/en/checkout")
    data = {**TYPED, "action": "update", "csrf_token": token}
    response = client.post("/en/checkout", data={**data, "shipping_method": str(shipping(db_session, "Store pickup").id)},
                           headers=HTMX)
    assert response.status_code == 200 and "Shipping: Store pickup" in response.get_data(as_text=True)
    for choice in ("abc", "99999", ""):
        response = client.post("/en/checkout", data={**data, "shipping_method": choice, "payment_method": choice})
        assert response.status_code == 200
        assert "Choose a shipping method." in summary_of(response.get_data(as_text=True))
    assert client.post("/en/checkout", data={**data, "csrf_token": "forged"}).status_code == 400
    assert order_count(db_session) == 0 and outbound_calls(db_session) == []


def test_the_update_button_follows_place_order_and_hides_only_once_htmx_runs(client, db_session, filled_cart):
    html = client.get("/en/checkout").get_data(as_text=True)
    place = html.index(">Place order</button>")
    button = html[html.index('name="action" value="update"') - 80:]
    button = button[:button.index("</button>")]
    assert html.index('name="action" value="update"') > place  # Enter in a field still places the order
    assert 'type="submit" form="checkout-form"' in button and "formnovalidate" in button
    assert 'formaction="/en/checkout#order-summary"' in button and "Update summary" in button
    assert '<form id="checkout-form"' in html
    assert 'hx-get="/en/checkout/summary" hx-trigger="change"' in html  # htmx updates the summary itself
    script = client.get("/static/js/enhance.js").get_data(as_text=True)
    assert "window.htmx" in script and 'classList.add("js")' in script and "/static/js/enhance.js?v=" in html
    assert ".js .update-summary { display:none; }" in client.get("/static/css/shop.css").get_data(as_text=True)
