"""Login, logout, the login wall in front of every admin route, and the admin language."""
from __future__ import annotations

import pytest
from sqlmodel import select
from werkzeug.routing import IntegerConverter

from shop.models import User
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token

from .conftest import HTMX, post


def submit_login(client, email=ADMIN_EMAIL, password=ADMIN_PASSWORD, next_url=None):
    page = client.get("/admin/login", query_string={"next": next_url} if next_url else None)
    data = {"email": email, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/admin/login", data=data)


def test_login_goes_to_the_orders_list(client):
    response = submit_login(client)
    assert response.status_code == 303
    assert response.location == "/admin/orders"
    assert client.get("/admin/orders").status_code == 200


def test_email_is_matched_without_case(client):
    assert submit_login(client, email=" Admin@Example.COM ").status_code == 303


@pytest.mark.parametrize("email, password", [(ADMIN_EMAIL, "wrong-password"), ("nobody@example.com", ADMIN_PASSWORD)])
def test_wrong_credentials_get_one_generic_answer(client, email, password):
    response = submit_login(client, email=email, password=password)
    assert response.status_code == 422
    assert "Wrong e-mail address or password." in response.get_data(as_text=True)
    assert client.get("/admin/orders").status_code == 302


def test_empty_form_is_422(client):
    assert submit_login(client, email="", password="").status_code == 422


def test_a_safe_next_is_followed(client):
    response = submit_login(client, next_url="/admin/products?x=1")
    assert response.location == "/admin/products?x=1"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com"])
def test_an_unsafe_next_is_ignored(client, target):
    response = submit_login(client, next_url=target)
    assert response.status_code == 303
    assert response.location == "/admin/orders"


def test_other_unsafe_targets_are_ignored_too(admin_client):
    for target in ("/\\evil.com", "javascript:alert(1)", "http:/evil.com", "//evil.com/admin/orders"):
        assert admin_client.get("/admin/login", query_string={"next": target}).location == "/admin/orders", target


def test_the_login_wall_remembers_the_page(client):
    response = client.get("/admin/orders?status=shipped")
    assert response.status_code == 302
    assert response.location == "/admin/login?next=/admin/orders?status%3Dshipped"
    assert submit_login(client, next_url="/admin/orders?status=shipped").location == "/admin/orders?status=shipped"


def test_logout_is_a_post_with_csrf(admin_client):
    assert admin_client.get("/admin/logout").status_code == 405
    assert admin_client.post("/admin/logout").status_code == 400  # no CSRF token
    response = post(admin_client, "/admin/logout")
    assert response.status_code == 303 and response.location == "/admin/login"
    assert admin_client.get("/admin/orders").status_code == 302


def _example_url(app, rule) -> str:
    values = {name: 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x" for name in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_every_admin_route_but_login_needs_a_login(app, client):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    checked = 0
    for rule in rules:
        if rule.endpoint == "admin.login":
            continue
        url = _example_url(app, rule)
        for method in {"GET", "POST"} & rule.methods:
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/admin/login"), (method, url)
            checked += 1
    assert checked >= 15


def test_an_anonymous_htmx_request_navigates_to_login(client):
    response = client.get("/admin/orders?q=x", headers={**HTMX, "HX-Current-URL": "http://localhost/admin/orders"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/admin/login?next=/admin/orders"


def test_a_logged_in_admin_skips_the_login_page(admin_client):
    assert admin_client.get("/admin/login").location == "/admin/orders"


def test_language_is_kept_on_the_user(app, admin_client):
    page = admin_client.get("/admin/products").get_data(as_text=True)
    assert '<html lang="fi">' in page
    response = post(admin_client, "/admin/language", {"locale": "sv", "next": "/admin/products"})
    assert response.status_code == 303 and response.location == "/admin/products"
    assert '<html lang="sv">' in admin_client.get("/admin/products").get_data(as_text=True)
    with app.app_context():
        from shop.db import db

        assert db().exec(select(User).where(User.email == ADMIN_EMAIL)).one().locale == "sv"


def test_an_unknown_language_is_refused(admin_client):
    assert post(admin_client, "/admin/language", {"locale": "de"}).status_code == 422
    assert post(admin_client, "/admin/language", {"locale": "en", "next": "//evil.com"}).location == "/admin/orders"
