"""Settings: shop versions (rate, VAT, active) and where each payment method is shown."""
from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from shop.models import PaymentMethod, ShopVersion

from .conftest import by_code, post


def version_data(**changes: str) -> dict[str, str]:
    data = {"name": "Sverige", "exchange_rate": "11,235", "active": "y", "price_rounding": "whole_9",
            "vat_standard": "25", "vat_reduced": "12", "vat_low": "6", "vat_zero": "0"}
    return {**data, **changes}


def rates_of(session, code: str) -> dict[str, int]:
    session.expire_all()
    return {rate.tax_class: rate.rate for rate in by_code(session, code).vat_rates}


def test_shop_versions_list(admin_client):
    html = admin_client.get("/admin/settings/shop-versions").get_data(as_text=True)
    assert "Sverige" in html and "SEK" in html and "sv-SE" in html
    assert "1 EUR = 11,235 SEK" in html and "25,5 %" in html and "14 %" in html


def test_edit_rate_and_vat(admin_client, session):
    sweden = by_code(session, "sv")
    response = post(admin_client, f"/admin/settings/shop-versions/{sweden.id}",
                    version_data(exchange_rate="11,5", vat_standard="25,5", name="Sverige (SEK)"))
    assert response.status_code == 303 and response.location == "/admin/settings/shop-versions"
    session.expire_all()
    saved = by_code(session, "sv")
    assert (saved.name, saved.exchange_rate) == ("Sverige (SEK)", Decimal("11.5"))
    assert rates_of(session, "sv") == {"standard": 2550, "reduced": 1200, "low": 600, "zero": 0}


def test_the_form_shows_rates_the_finnish_way(admin_client, session):
    html = admin_client.get(f"/admin/settings/shop-versions/{by_code(session, 'fi').id}").get_data(as_text=True)
    assert re.search(r'name="vat_standard"[^>]*value="25,5"', html)
    assert re.search(r'name="exchange_rate"[^>]*readonly[^>]*value="1"', html)


BAD_VALUES = [
    ("exchange_rate", "0"), ("exchange_rate", "-1"), ("exchange_rate", "abc"), ("exchange_rate", "1,1234567"),
    ("exchange_rate", "NaN"), ("exchange_rate", ""), ("vat_standard", "101"), ("vat_standard", "25,555"),
    ("vat_reduced", "x"), ("vat_low", ""), ("name", ""),
]


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_values_are_422(admin_client, session, htmx):
    sweden = by_code(session, "sv")
    for field, typed in BAD_VALUES:
        response = post(admin_client, f"/admin/settings/shop-versions/{sweden.id}", version_data(**{field: typed}),
                        htmx=htmx)
        assert response.status_code == 422, (field, typed)
        assert response.get_data(as_text=True).lstrip().startswith('<form id="shop-version-form"') is htmx
    session.expire_all()
    assert by_code(session, "sv").exchange_rate == Decimal("11.235")


def test_the_euro_rate_stays_one_and_the_default_stays_active(admin_client, session):
    finland = by_code(session, "fi")
    url = f"/admin/settings/shop-versions/{finland.id}"
    data = version_data(name="Suomi", vat_standard="25,5", vat_reduced="14", vat_low="10")
    assert post(admin_client, url, {**data, "exchange_rate": "1,1"}).status_code == 422
    response = post(admin_client, url, {**data, "exchange_rate": "1", "active": ""})
    assert response.status_code == 422 and "cannot be deactivated" in response.get_data(as_text=True)
    assert post(admin_client, url, {**data, "exchange_rate": "1,000"}).status_code == 303


def method_row(html: str, name: str) -> str:
    title = re.search(rf'<td>(<span class="method-title greyed">)?{re.escape(name)}', html)
    start = html.rindex("<tr", 0, title.start())
    return html[start:html.index("</tr>", start)]


def publish(client, session, name: str, codes: list[str], *, htmx: bool = False):
    method = session.exec(select(PaymentMethod).where(PaymentMethod.name == name)).one()
    ids = [str(by_code(session, code).id) for code in codes]
    return post(client, f"/admin/settings/payment-methods/{method.id}/versions", {"versions": ids}, htmx=htmx)


def published_codes(session, name: str) -> set[str]:
    session.expire_all()
    method = session.exec(select(PaymentMethod).where(PaymentMethod.name == name)).one()
    return {session.get(ShopVersion, link.version_id).code for link in method.versions}


def test_payment_methods_list(admin_client):
    html = admin_client.get("/admin/settings/payment-methods").get_data(as_text=True)
    klarna = method_row(html, "Klarna")
    assert "Klarna Payments" in klarna and klarna.count('class="tick"') == 3 and "greyed" not in klarna
    assert "Manual" in method_row(html, "Bank transfer")
    assert "Show in selected shop versions" in html


def test_publish_in_selected_versions(admin_client, session):
    response = publish(admin_client, session, "Klarna", ["fi", "sv"])
    assert response.status_code == 303 and response.location == "/admin/settings/payment-methods"
    assert published_codes(session, "Klarna") == {"fi", "sv"}
    row = method_row(admin_client.get(response.location).get_data(as_text=True), "Klarna")
    assert row.count('class="tick"') == 2 and row.count('class="cross"') == 1


def test_hiding_everywhere_greys_the_method_with_htmx(admin_client, session):
    response = publish(admin_client, session, "Bank transfer", [], htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="payment-methods-table">')
    assert 'id="flashes" class="flashes" role="status" aria-live="polite" hx-swap-oob="true"' in html
    row = method_row(html, "Bank transfer")
    assert 'class="method-title greyed"' in row and ">Hidden<" in row
    assert published_codes(session, "Bank transfer") == set()
    assert publish(admin_client, session, "Bank transfer", ["en"], htmx=True).status_code == 200
    assert published_codes(session, "Bank transfer") == {"en"}


def test_an_unknown_version_is_422(admin_client, session):
    method = session.exec(select(PaymentMethod).where(PaymentMethod.name == "Klarna")).one()
    response = post(admin_client, f"/admin/settings/payment-methods/{method.id}/versions", {"versions": ["999"]},
                    htmx=True)
    assert response.status_code == 422
    assert published_codes(session, "Klarna") == {"fi", "sv", "en"}


def test_an_unknown_payment_method_is_404(admin_client):
    assert post(admin_client, "/admin/settings/payment-methods/999/versions", {}).status_code == 404


class _Greyed(HTMLParser):
    """Each control of a page, and whether it sits inside an element greyed out (class "greyed")."""

    VOID = {"input", "br", "img", "hr", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
    CONTROLS = {"input", "button", "select", "textarea", "summary", "a"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[bool] = []  # per open element: greyed, itself or an ancestor
        self.controls: list[tuple[str, str, bool]] = []  # (tag, name or text hint, greyed)
        self.greyed_texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        greyed = bool(self.open and self.open[-1]) or "greyed" in (attributes.get("class") or "").split()
        if tag in self.CONTROLS:
            self.controls.append((tag, attributes.get("name") or attributes.get("href") or "", greyed))
        if tag not in self.VOID:
            self.open.append(greyed)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        if self.open and self.open[-1] and data.strip():
            self.greyed_texts.append(data.strip())


@pytest.mark.parametrize("htmx", [False, True])
def test_a_hidden_method_greys_only_its_title_not_its_publish_controls(admin_client, session, htmx):
    response = publish(admin_client, session, "Bank transfer", [], htmx=htmx)
    html = response.get_data(as_text=True) if htmx else admin_client.get(response.location).get_data(as_text=True)
    parser = _Greyed()
    parser.feed(method_row(html, "Bank transfer"))
    assert parser.greyed_texts == ["Bank transfer", "Hidden"]
    tags = {tag for tag, _name, _greyed in parser.controls}
    assert {"input", "button", "summary", "a"} <= tags, parser.controls  # the checkboxes, Save, Edit
    assert [control for control in parser.controls if control[2]] == []


def test_the_greyed_title_has_a_contrast_of_at_least_4_5_to_1(app):
    css = open(f"{app.static_folder}/css/shop.css", encoding="utf-8").read()
    colour = re.search(r"\.greyed\s*\{\s*color:\s*(#[0-9a-fA-F]{6})\s*;?\s*\}", css).group(1)
    for background in ("#ffffff", "#fafafa"):  # a table row; the page behind a stacked row on a phone
        assert _contrast(colour, background) >= 4.5, (colour, background)


def _contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_ratio_is_computed_as_wcag_does():
    assert round(_contrast("#595959", "#ffffff"), 1) == 7.0 and round(_contrast("#000000", "#ffffff")) == 21
    assert _contrast("#667085", "#fafafa") < 4.8
