"""Settings > Shop versions > Price list: explicit prices per version, derived ones shown, errors kept."""
from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shop.models import Product, ShippingMethod, VersionProductPrice, VersionShippingPrice

from .conftest import by_code, by_sku, post


def url(session, code: str = "sv", **query: str) -> str:
    suffix = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/admin/settings/shop-versions/{by_code(session, code).id}/prices" + (f"?{suffix}" if suffix else "")


def explicit_prices(session, code: str = "sv") -> dict[str, int]:
    session.expire_all()
    rows = session.exec(select(Product.sku, VersionProductPrice.price)
                        .join(Product, Product.id == VersionProductPrice.product_id)
                        .where(VersionProductPrice.version_id == by_code(session, code).id)).all()
    return dict(rows)


def method(session, name: str) -> ShippingMethod:
    return session.exec(select(ShippingMethod).where(ShippingMethod.name == name)).one()


def test_the_page_shows_base_derived_and_explicit_prices(admin_client, session):
    html = admin_client.get(url(session)).get_data(as_text=True)
    jacket, shoe = by_sku(session, "JKT-002"), by_sku(session, "RUN-001")
    assert re.search(rf'name="product_{jacket.id}"[^>]*value="1495,00"', html)  # set in the demo price list
    assert re.search(rf'name="product_{shoe.id}"[^>]*placeholder="1009,00"[^>]*value=""', html)  # 1 010,03 kr, rounded
    assert "89,90 €" in html.replace("\xa0", " ") and "1 009,00 SEK" in html.replace("\xa0", " ")
    assert re.search(rf'name="shipping_{method(session, "Parcel locker").id}"[^>]*value="59,00"', html)


@pytest.mark.parametrize("htmx", [False, True])
def test_saving_sets_and_clears_prices(admin_client, session, htmx):
    jacket, shoe = by_sku(session, "JKT-002"), by_sku(session, "RUN-001")
    home = method(session, "Home delivery")
    response = post(admin_client, url(session), {f"product_{shoe.id}": "1 049", f"product_{jacket.id}": "",
                                                 f"shipping_{home.id}": "139,00"}, htmx=htmx)
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and html.lstrip().startswith('<form id="price-list-form"')
        assert "Price list saved." in html and 'hx-swap-oob="true"' in html
    else:
        assert response.status_code == 303 and response.location == url(session)
    prices = explicit_prices(session)
    assert prices["RUN-001"] == 104900 and "JKT-002" not in prices  # emptied: derived again
    assert prices["HOM-303"] == 129500  # not posted on this page: untouched
    session.expire_all()
    shipping = session.exec(select(VersionShippingPrice).where(VersionShippingPrice.shipping_method_id == home.id)).one()
    assert shipping.price == 13900


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_prices_are_422_with_every_input_kept_and_nothing_saved(admin_client, session, htmx):
    shoe, cap = by_sku(session, "RUN-001"), by_sku(session, "CAP-003")
    home = method(session, "Home delivery")
    data = {f"product_{shoe.id}": "-5", f"product_{cap.id}": "299", f"shipping_{home.id}": "abc"}
    response = post(admin_client, url(session), data, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="price-list-form"') is htmx
    assert "The amount cannot be negative." in html and "Enter an amount such as 12,90." in html
    for value in ('value="-5"', 'value="299"', 'value="abc"'):
        assert value in html
    assert "RUN-001" not in explicit_prices(session) and "CAP-003" not in explicit_prices(session)


def test_products_are_paged_and_searchable(admin_client, session):
    session.add_all([Product(sku=f"GEN-{n:04}", slug=f"gen-{n}", name=f"Generated {n:04}", price=100 + n)
                     for n in range(1000)])
    session.commit()
    html = admin_client.get(url(session)).get_data(as_text=True)
    assert html.count('name="product_') == 50 and "Page 1 of 21" in html
    html = admin_client.get(url(session, page="21")).get_data(as_text=True)
    assert html.count('name="product_') == 1022 - 20 * 50
    html = admin_client.get(url(session, q="JKT")).get_data(as_text=True)
    assert html.count('name="product_') == 1 and "Rain jacket" in html


def test_login_and_csrf_are_required(client, admin_client, session):
    target = url(session)
    response = admin_client.post(target, data={})  # no token
    assert response.status_code == 400
    admin_client.delete_cookie("session")
    assert client.get(target).status_code in (302, 303)
    assert client.get(url(session).replace(str(by_code(session, "sv").id), "999999")).status_code in (302, 303)


def test_an_unknown_version_is_404(admin_client):
    assert admin_client.get("/admin/settings/shop-versions/999999/prices").status_code == 404


def test_the_rounding_rule_is_chosen_on_the_shop_version(admin_client, session):
    from .test_settings import version_data

    sweden = by_code(session, "sv")
    response = post(admin_client, f"/admin/settings/shop-versions/{sweden.id}", version_data(price_rounding="ends_95"))
    assert response.status_code == 303
    session.expire_all()
    assert by_code(session, "sv").price_rounding == "ends_95"
    assert "1009,95" in admin_client.get(url(session)).get_data(as_text=True)  # 1 010,03 kr, ending in ,95
    response = post(admin_client, f"/admin/settings/shop-versions/{sweden.id}", version_data(price_rounding="up"))
    assert response.status_code == 422
