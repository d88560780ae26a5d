"""Per-language texts in the product, shipping method and payment method forms: plain and htmx, 422 keeps all."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import PaymentMethod, Product, ShippingMethod

from .conftest import by_sku, post
from .test_catalog import fresh, product_data


def texts_data(**texts: tuple[str, str]) -> dict[str, str]:
    data = {}
    for language in ("fi", "sv", "en"):
        name, description = texts.get(language, ("", ""))
        data[f"text_{language}-name"], data[f"text_{language}-description"] = name, description
    return data


def stored(record) -> dict[str, tuple[str, str]]:
    return {text.language: (text.name, text.description) for text in record.texts}


def test_the_product_form_has_a_section_per_language_with_the_stored_texts(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    html = admin_client.get(f"/admin/products/{shoe.id}").get_data(as_text=True)
    for language in ("fi", "sv", "en"):
        assert f'href="#product-texts-{language}"' in html and f'id="product-texts-{language}"' in html
    assert 'name="text_fi-name"' in html and 'value="Polkujuoksukenkä"' in html and 'value="Terränglöparsko"' in html
    assert "Pitävä ja kevyt kenkä juurakkoisille metsäpoluille." in html


@pytest.mark.parametrize("htmx", [False, True])
def test_saving_a_product_stores_every_language_and_the_shop_shows_it(admin_client, client, session, htmx):
    shoe = by_sku(session, "RUN-001")
    data = {**product_data(shoe), **texts_data(fi=("Maastokenkä", "Kenkä poluille."), sv=("Löparsko", ""))}
    response = post(admin_client, f"/admin/products/{shoe.id}", data, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    if htmx:
        html = response.get_data(as_text=True)
        assert html.lstrip().startswith("<form") and 'value="Maastokenkä"' in html and 'value="Löparsko"' in html
    saved = fresh(session, Product, shoe.id)
    assert stored(saved) == {"fi": ("Maastokenkä", "Kenkä poluille."), "sv": ("Löparsko", "")}  # en left empty: gone
    assert "<h1>Maastokenkä</h1>" in client.get("/fi/p/trail-running-shoe").get_data(as_text=True)
    swedish = client.get("/sv/p/trail-running-shoe").get_data(as_text=True)
    assert "<h1>Löparsko</h1>" in swedish and "Kenkä poluille." in swedish  # no Swedish description: the default's
    assert "<h1>Maastokenkä</h1>" in client.get("/en/p/trail-running-shoe").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_too_long_name_is_422_and_keeps_every_language(admin_client, session, htmx):
    shoe = by_sku(session, "RUN-001")
    data = {**product_data(shoe), **texts_data(fi=("Maastokenkä", "Kuvaus."), sv=("x" * 201, "Beskrivning."),
                                               en=("Trail shoe", "Described."))}
    response = post(admin_client, f"/admin/products/{shoe.id}", data, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Field cannot be longer than 200 characters." in html and 'href="#product-texts-sv" class="has-error"' in html
    for value in ("Maastokenkä", "Kuvaus.", "x" * 201, "Beskrivning.", "Trail shoe", "Described."):
        assert value in html
    assert stored(fresh(session, Product, shoe.id))["fi"][0] == "Polkujuoksukenkä"  # nothing saved


def test_a_new_product_gets_its_texts(admin_client, session):
    template = by_sku(session, "RUN-001")
    data = {**product_data(template, sku="NEW-1", name="Snow shoe"), **texts_data(fi=("Lumikenkä", ""))}
    assert post(admin_client, "/admin/products/new", data).status_code == 303
    created = session.exec(select(Product).where(Product.sku == "NEW-1")).one()
    assert stored(created) == {"fi": ("Lumikenkä", "")}


@pytest.mark.parametrize("htmx", [False, True])
def test_a_shipping_method_s_names_per_language(admin_client, client, session, htmx):
    home = session.exec(select(ShippingMethod).where(ShippingMethod.name == "Home delivery")).one()
    url = f"/admin/shipping-methods/{home.id}"
    assert 'value="Kotiinkuljetus"' in admin_client.get(url).get_data(as_text=True)
    data = {"name": home.name, "price": "12,90", "tax_class": home.tax_class, "position": "2", "active": "y",
            **texts_data(fi=("Kotiovelle", ""), sv=("Till dörren", ""), en=("To your door", ""))}
    response = post(admin_client, url, data, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    assert stored(fresh(session, ShippingMethod, home.id))["sv"] == ("Till dörren", "")
    response = post(admin_client, url, {**data, "text_fi-name": "k" * 201}, htmx=htmx)
    assert response.status_code == 422 and "Till dörren" in response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_bank_transfer_s_name_and_instructions_per_language(admin_client, session, htmx):
    bank = session.exec(select(PaymentMethod).where(PaymentMethod.name == "Bank transfer")).one()
    url = f"/admin/settings/payment-methods/{bank.id}"
    html = admin_client.get(url).get_data(as_text=True)
    assert 'value="Tilisiirto"' in html and "Betala till FI49 5000 9420 0287 30" in html
    data = {"name": bank.name, "position": "2", "instructions": "Pay to FI49.",
            **texts_data(fi=("Pankkisiirto", "Maksa tilille FI49."), sv=("Girering", "Betala till FI49."))}
    response = post(admin_client, url, data, htmx=htmx)
    assert response.status_code in (200, 303)
    assert stored(fresh(session, PaymentMethod, bank.id)) == {
        "fi": ("Pankkisiirto", "Maksa tilille FI49."), "sv": ("Girering", "Betala till FI49.")}
    response = post(admin_client, url, {**data, "text_sv-description": "y" * 2001}, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Pankkisiirto" in html and "y" * 2001 in html


@pytest.mark.parametrize("htmx", [False, True])
def test_the_klarna_method_s_name_per_language(admin_client, session, htmx):
    from .test_klarna_setup import edit, method_named

    klarna = method_named(session, "Klarna")
    html = admin_client.get(f"/admin/settings/payment-methods/{klarna.id}").get_data(as_text=True)
    assert 'value="Klarna: maksa nyt, myöhemmin tai erissä"' in html
    assert 'name="text_fi-description"' not in html  # shoppers read no description of it
    response = edit(admin_client, klarna, htmx=htmx, **{"text_fi-name": "Klarna", "text_sv-name": "Klarna (faktura)",
                                                        "text_en-name": ""})
    assert response.status_code == (200 if htmx else 303)
    assert stored(fresh(session, PaymentMethod, klarna.id)) == {"fi": ("Klarna", ""), "sv": ("Klarna (faktura)", "")}
