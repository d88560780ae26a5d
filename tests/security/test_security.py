"""The security walk: from the URL maps, every admin and simulator-control route refuses anonymous
users, every state-changing route refuses a POST without its CSRF token (Klarna's two callbacks
excepted), every page carries the security headers; a revoked session cookie is refused; the sixth
quick wrong login is answered 429."""
from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token, login
from tests.test_crawl import crawl

from .url_map import (KLARNA_CALLBACKS, admin_rules, concrete, methods, shop_rules, simulator_staff_rules,
                      state_changing)

HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def test_every_admin_and_simulator_control_route_refuses_anonymous_users(app, client):
    checked = 0
    for rule in admin_rules(app):
        for method in methods(rule):
            response = client.open(concrete(rule), method=method)
            if method == "GET":
                assert response.status_code == 302, f"{method} {rule.rule}: {response.status_code}"
                assert "/admin/login" in response.location, f"{method} {rule.rule}"
            else:  # a POST without a token stops at CSRF first; with one, at the login wall (test below)
                assert response.status_code in (302, 303, 400), f"{method} {rule.rule}: {response.status_code}"
            checked += 1
    for rule in simulator_staff_rules(app):
        for method in methods(rule):
            response = client.open(concrete(rule, "/_klarna"), method=method, json={})
            assert response.status_code in (302, 401), f"{method} {rule.rule}: {response.status_code}"
            checked += 1
    assert checked > 30


def test_every_admin_post_with_a_valid_token_still_needs_a_login(app, client):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    for rule, method in state_changing(admin_rules(app)):
        response = client.open(concrete(rule), method=method, data={"csrf_token": token})
        assert response.status_code in (302, 303), f"{method} {rule.rule}: {response.status_code}"
        assert "/admin/login" in response.location, f"{method} {rule.rule}"


def test_every_state_changing_route_refuses_a_request_without_csrf(app, admin_client):
    checked = 0
    for rule, method in state_changing(shop_rules(app)):
        if rule.endpoint in KLARNA_CALLBACKS:
            continue
        response = admin_client.open(concrete(rule), method=method, data={})
        assert response.status_code == 400, f"{method} {rule.rule} answered {response.status_code} without CSRF"
        checked += 1
    for rule, method in state_changing(simulator_staff_rules(app)):
        response = admin_client.open(concrete(rule, "/_klarna"), method=method, data={})
        assert response.status_code == 400, f"{method} {rule.rule} answered {response.status_code} without CSRF"
        checked += 1
    assert checked > 25


def assert_secure_headers(response, url: str) -> None:
    for header in HEADERS:
        assert header in response.headers, f"{url}: no {header}"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, url
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_page_carries_the_security_headers(client, admin_client_second):
    for visitor, start in ((client, "/fi/"), (admin_client_second, "/admin/")):
        visited = crawl(visitor, start, limit=60)
        assert len(visited) > 10
        for url in visited:
            assert_secure_headers(visitor.get(url), url)
    for url in ("/no-such-page", "/admin/login", "/static/css/shop.css", "/healthz"):
        assert_secure_headers(client.get(url), url)


def test_hsts_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/fi/").headers
    secure = client.get("/fi/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script_or_handler(client):
    html = client.get("/fi/").get_data(as_text=True) + client.get("/admin/login").get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html and "hx-on" not in html
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


def session_cookie(client) -> str:
    return client.get_cookie("session").value


@pytest.fixture
def admin_client_second(app):
    """A second admin browser of its own."""
    other = app.test_client()
    login(other)
    return other


def test_a_cookie_copied_before_logout_is_refused_afterwards(app, admin_client):
    copied = session_cookie(admin_client)
    token = csrf_token(admin_client.get("/admin/orders").get_data(as_text=True))
    assert admin_client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/admin/orders")
    assert response.status_code == 302 and "/admin/login" in response.location


def test_a_new_password_ends_every_session(app, admin_client, admin_client_second):
    result = app.test_cli_runner().invoke(args=["create-admin", ADMIN_EMAIL, "--password", "a-brand-new-password"])
    assert result.exit_code == 0, result.output
    for browser in (admin_client, admin_client_second):
        assert browser.get("/admin/orders").status_code == 302
    login(app.test_client(), password="a-brand-new-password")


def wrong_login(client, email=ADMIN_EMAIL, address="10.0.0.1"):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"email": email, "password": "guess", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_the_sixth_quick_wrong_login_is_answered_429(app, client):
    for _ in range(5):
        assert wrong_login(client).status_code == 422
    refused = wrong_login(client)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert_secure_headers(refused, "429")
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    right = client.post("/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
                        environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert right.status_code == 429  # not even the right password until the limit has passed


def test_one_account_is_limited_from_any_address_and_other_accounts_are_not(client):
    for attempt in range(5):
        assert wrong_login(client, address=f"10.0.1.{attempt}").status_code == 422
    assert wrong_login(client, address="10.0.1.99").status_code == 429
    assert wrong_login(client, email="someone@else.example", address="10.0.2.1").status_code == 422


def test_the_session_cookie_is_not_secure_over_plain_http(client):
    assert SimpleCookie(login(client).headers["Set-Cookie"])["session"]["secure"] == ""


class TestServedOverHttps:
    @pytest.fixture
    def app_overrides(self):
        return {"PUBLIC_URL": "https://shop.example.com", "SIMULATOR_ENABLED": False}

    def test_the_session_cookie_is_secure(self, client):
        cookie = SimpleCookie(login(client).headers["Set-Cookie"])
        assert cookie["session"]["secure"] is True
