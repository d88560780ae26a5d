"""The catalogue's categories in the admin: the list, a new category, names per language shown on the storefront."""
from __future__ import annotations

import pytest
from sqlmodel import select

from shop.models import Category, Product

from .conftest import post
from .test_catalog import fresh
from .test_catalogue_texts import stored, texts_data


def category(session, slug: str) -> Category:
    return session.exec(select(Category).where(Category.slug == slug)).one()


def test_the_list_shows_every_category_with_its_product_count(admin_client, session):
    html = admin_client.get("/admin/categories").get_data(as_text=True)
    books = category(session, "books")
    count = len(session.exec(select(Product).where(Product.category_id == books.id)).all())
    assert f'href="/admin/categories/{books.id}">Books</a>' in html
    row = html[html.index(f"/admin/categories/{books.id}"):]
    assert f'<td class="num">{count}</td>' in row[:row.index("</tr>")] and count > 0
    assert 'href="/admin/categories"' in html  # in the navigation


@pytest.mark.parametrize("htmx", [False, True])
def test_renaming_a_category_in_finnish_shows_on_the_finnish_storefront(admin_client, client, session, htmx):
    books = category(session, "books")
    url = f"/admin/categories/{books.id}"
    assert 'value="Kirjat"' in admin_client.get(url).get_data(as_text=True)
    data = {"name": "Books", "position": "2", **texts_data(fi=("Kirjallisuus", ""), sv=("Böcker", ""))}
    response = post(admin_client, url, data, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    assert stored(fresh(session, Category, books.id)) == {"fi": ("Kirjallisuus", ""), "sv": ("Böcker", "")}
    assert fresh(session, Category, books.id).slug == "books"
    assert ">Kirjallisuus</a>" in client.get("/fi/").get_data(as_text=True)
    assert ">Böcker</a>" in client.get("/sv/").get_data(as_text=True)
    assert ">Kirjallisuus</a>" in client.get("/en/").get_data(as_text=True)  # no English text: the default's


def test_an_empty_name_is_422_and_keeps_every_language(admin_client, session):
    books = category(session, "books")
    data = {"name": "", "position": "2", **texts_data(fi=("Kirjallisuus", ""), sv=("Litteratur", ""))}
    response = post(admin_client, f"/admin/categories/{books.id}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Kirjallisuus" in html and "Litteratur" in html
    assert fresh(session, Category, books.id).name == "Books"


def test_a_new_category_gets_an_address_of_its_own_and_shows_in_the_product_form(admin_client, session):
    data = {"name": "Books", "position": "9", **texts_data(fi=("Äänikirjat", ""))}
    assert post(admin_client, "/admin/categories/new", data).status_code == 303
    created = session.exec(select(Category).where(Category.position == 9)).one()
    assert created.slug == "books-2" and stored(created) == {"fi": ("Äänikirjat", "")}
    form = admin_client.get("/admin/products/new").get_data(as_text=True)
    assert f'<option value="{created.id}">Books</option>' in form
