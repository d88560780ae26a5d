"""The cart: add, change quantity, remove; plain forms (303 + flash) and htmx (partial + out-of-band updates)."""
import pytest

from .conftest import HTMX, add_to_cart, cart_contents, post, product, token_from


@pytest.fixture
def jacket(db_session):
    return product(db_session, "rain-jacket")  # 25 in stock


@pytest.fixture
def cart_with_jacket(client, db_session, jacket):
    assert add_to_cart(client, "fi", jacket, 2).status_code == 303
    return jacket


def badge_count(html: str) -> str:
    badge = html[html.index('id="cart-badge"'):]
    return badge[badge.index('class="badge"'):].split(">")[1].split("<")[0]


def test_add_from_product_page_redirects_back_with_a_flash(client, db_session, jacket):
    response = add_to_cart(client, "fi", jacket, 2)
    assert response.status_code == 303
    assert response.location == "/fi/p/rain-jacket"
    page = client.get(response.location).get_data(as_text=True)
    assert "Added 2 × Sadetakki to your cart." in page
    assert badge_count(page) == "2"
    assert cart_contents(db_session, "fi") == {"rain-jacket": 2}


def test_add_from_the_grid_returns_to_the_grid_and_adds_up(client, db_session, jacket):
    token = token_from(client, "/fi/c/outdoor")
    for _ in range(2):
        response = post(client, f"/fi/cart/add/{jacket.id}", {"quantity": "1", "next": "/fi/c/outdoor"}, token=token)
        assert response.status_code == 303 and response.location == "/fi/c/outdoor"
    assert cart_contents(db_session, "fi") == {"rain-jacket": 2}


def test_add_never_redirects_off_site(client, jacket):
    token = token_from(client, "/fi/")
    response = post(client, f"/fi/cart/add/{jacket.id}", {"quantity": "1", "next": "//evil.example/"}, token=token)
    assert response.location == "/fi/p/rain-jacket"


def test_add_with_htmx_answers_the_form_with_badge_and_flash_out_of_band(client, db_session, jacket):
    response = add_to_cart(client, "fi", jacket, 3, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="add-to-cart-{jacket.id}"' in html and "<html" not in html
    assert 'id="cart-badge" class="cart-link" href="/fi/cart" hx-swap-oob="true"' in html
    assert badge_count(html) == "3"
    assert 'id="flashes" class="flashes" role="status" aria-live="polite" hx-swap-oob="true"' in html
    assert "Added 3 × Sadetakki" in html
    assert cart_contents(db_session, "fi") == {"rain-jacket": 3}


def test_carts_are_per_shop_version(client, db_session, jacket):
    add_to_cart(client, "fi", jacket, 1)
    add_to_cart(client, "sv", jacket, 4)
    assert cart_contents(db_session, "fi") == {"rain-jacket": 1}
    assert cart_contents(db_session, "sv") == {"rain-jacket": 4}
    assert badge_count(client.get("/sv/").get_data(as_text=True)) == "4"


def test_cart_page_shows_lines_totals_and_vat_per_rate(client, db_session, cart_with_jacket):
    add_to_cart(client, "fi", product(db_session, "dark-roast-coffee-500-g"), 2)
    html = client.get("/fi/cart").get_data(as_text=True)
    assert "129,00\xa0€" in html and "258,00\xa0€" in html  # unit price, line total
    assert "19,90\xa0€" in html  # 2 × 9,95
    assert "277,90\xa0€" in html  # subtotal
    assert "VAT 25,5 % included" in html and "52,42\xa0€" in html  # 258,00 × 25,5/125,5
    assert "VAT 14 % included" in html and "2,44\xa0€" in html  # 19,90 × 14/114


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_change_quantity(client, db_session, cart_with_jacket, htmx):
    token = token_from(client, "/fi/cart")
    response = post(client, f"/fi/cart/items/{cart_with_jacket.id}", {"quantity": "5"}, token=token, htmx=htmx)
    assert cart_contents(db_session, "fi") == {"rain-jacket": 5}
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert '<section id="cart"' in html and "<html" not in html
        assert 'hx-swap-oob="true"' in html and badge_count(html) == "5"
        assert "quantity changed to 5" in html
    else:
        assert response.status_code == 303 and response.location == "/fi/cart"
        assert "quantity changed to 5" in client.get("/fi/cart").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_remove(client, db_session, cart_with_jacket, htmx):
    token = token_from(client, "/fi/cart")
    response = post(client, f"/fi/cart/items/{cart_with_jacket.id}/remove", token=token, htmx=htmx)
    assert cart_contents(db_session, "fi") == {}
    html = response.get_data(as_text=True) if htmx else client.get(response.location).get_data(as_text=True)
    assert response.status_code == (200 if htmx else 303)
    assert "Removed Sadetakki from your cart." in html
    assert "Your cart is empty." in html and badge_count(html) == "0"


def test_removing_twice_is_harmless(client, cart_with_jacket):
    token = token_from(client, "/fi/cart")
    for _ in range(2):
        assert post(client, f"/fi/cart/items/{cart_with_jacket.id}/remove", token=token).status_code == 303


def test_changing_a_line_that_is_not_in_the_cart_is_404(client, db_session, cart_with_jacket):
    token = token_from(client, "/fi/cart")
    other = product(db_session, "wool-cap")
    assert post(client, f"/fi/cart/items/{other.id}", {"quantity": "1"}, token=token).status_code == 404
    assert post(client, "/fi/cart/add/999999", {"quantity": "1"}, token=token).status_code == 404


BAD_QUANTITIES = [("0", "from 1 to 99"), ("-1", "from 1 to 99"), ("abc", "from 1 to 99"), ("", "from 1 to 99"),
                  ("2.5", "from 1 to 99"), ("100", "from 1 to 99"), ("26", "Only 25 in stock")]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", ["add", "change"])
def test_bad_quantity_is_422_keeps_what_was_typed_and_changes_nothing(client, db_session, cart_with_jacket, action,
                                                                     htmx):
    token = token_from(client, "/fi/cart")
    url = f"/fi/cart/add/{cart_with_jacket.id}" if action == "add" else f"/fi/cart/items/{cart_with_jacket.id}"
    for quantity, message in BAD_QUANTITIES:
        response = post(client, url, {"quantity": quantity}, token=token, htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, quantity
        assert message in html, quantity
        assert f'value="{quantity}"' in html, quantity
        assert ("<html" in html) is not htmx
        assert 'hx-swap-oob' not in html  # nothing changed, so nothing else to update
    assert cart_contents(db_session, "fi") == {"rain-jacket": 2}


def test_add_counts_what_is_already_in_the_cart_against_stock(client, db_session, cart_with_jacket):
    response = add_to_cart(client, "fi", cart_with_jacket, 24)
    assert response.status_code == 422
    assert "Only 25 in stock, and 2 are already in your cart." in response.get_data(as_text=True)
    assert cart_contents(db_session, "fi") == {"rain-jacket": 2}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_posts_without_csrf_token_are_400(client, db_session, jacket, htmx):
    headers = HTMX if htmx else {}
    response = client.post(f"/fi/cart/add/{jacket.id}", data={"quantity": "1"}, headers=headers)
    assert response.status_code == 400
    assert cart_contents(db_session, "fi") == {}
