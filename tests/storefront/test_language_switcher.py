"""The language switcher names each version's language in that language and leads to the same page there."""
from __future__ import annotations

import re

import pytest

from shop.models import ShopVersion

from .conftest import add_to_cart, product


def switcher_of(html: str) -> str:
    start = html.index('<nav class="versions"')
    return html[start:html.index("</nav>", start)]


def visible_text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def links_of(switcher: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="([^"]+)" lang="([a-z]+)"', switcher))


@pytest.mark.parametrize("code", ["fi", "sv", "en"])
def test_languages_are_named_in_their_own_language(client, code):
    switcher = switcher_of(client.get(f"/{code}/").get_data(as_text=True))
    assert visible_text(switcher) == "Suomi · Svenska · English"
    assert 'aria-label="Language"' in switcher
    for language, locale, name in (("fi", "fi-FI", "Suomi"), ("sv", "sv-SE", "Svenska"), ("en", "en-FI", "English")):
        if language == code:
            assert f'<span class="current" lang="{language}" aria-current="true">{name}</span>' in switcher
        else:
            assert f'href="/{language}/" lang="{language}" hreflang="{locale}">{name}</a>' in switcher
    assert switcher.count('aria-hidden="true">·</span>') == 2


@pytest.mark.parametrize(("url", "expected"), [
    ("/fi/p/rain-jacket", {"/sv/p/rain-jacket": "sv", "/en/p/rain-jacket": "en"}),
    ("/sv/c/outdoor?page=2", {"/fi/c/outdoor?page=2": "fi", "/en/c/outdoor?page=2": "en"}),
    ("/en/cart", {"/fi/cart": "fi", "/sv/cart": "sv"}),
    ("/en/", {"/fi/": "fi", "/sv/": "sv"}),
])
def test_a_link_leads_to_the_same_page_in_the_other_version(client, url, expected):
    assert links_of(switcher_of(client.get(url).get_data(as_text=True))) == expected


def test_a_page_of_one_version_only_links_to_the_other_front_pages(client, db_session):
    add_to_cart(client, "en", product(db_session, "rain-jacket"))
    html = client.get("/en/checkout").get_data(as_text=True)
    assert links_of(switcher_of(html)) == {"/fi/": "fi", "/sv/": "sv"}


def test_two_versions_in_one_language_are_told_apart_by_name(client, db_session):
    db_session.add(ShopVersion(code="se-fi", name="Sverige (finska)", country="SE", currency="SEK", locale="fi-SE",
                               exchange_rate=11, position=9))
    db_session.commit()
    text = visible_text(switcher_of(client.get("/sv/").get_data(as_text=True)))
    assert text == "Suomi · Svenska · English · Suomi (Sverige (finska))"  # a name that says it all is kept
