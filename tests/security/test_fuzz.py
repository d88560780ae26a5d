"""Property-based fuzz of every form and both Klarna callbacks, found from the pages and the URL map:
unicode, control characters, whitespace, huge and negative numbers, overlong text, malformed ids,
missing fields and wrong content types are never a server error; a 422 names what is wrong; a
refused request (400, 404, 422) writes nothing."""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token
from tests.conftest_hypothesis import REQUEST_FUZZ_EXAMPLES
from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator  # noqa: F401

from .forms import Form, forms_on
from .url_map import KLARNA_CALLBACKS, concrete, shop_rules, state_changing

LINK = re.compile(r'href="([^"#]+)"')
SKIP_LINKS = ("/static/", "/_klarna/")
NOT_FUZZED = {"admin.logout"}  # it would end the fuzzing admin's session; test_security.py covers it
LOG_TABLES = {"klarna_call", "alembic_version"}  # the request log records refused Klarna calls too
ERROR_MARKS = ('class="error"', 'role="alert"', 'class="alert', 'class="error-page"')

NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\t\n", "\r\n", "\u00a0", "\u200b", "١٢٣", "１２", "Ω≈ç√", "😀", "<script>", "' OR 1=1 --",
                     "../../etc/passwd", "%00", "\x7f", "\u202e", "NaN", "Infinity", "-0", "1e309", "0x10", "1_000"]),
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.integers(min_value=1, max_value=20000).map(lambda n: "x" * n),
)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                                            children, max_size=4),
                           max_leaves=12)


@pytest.fixture
def app_overrides():
    return {"SIMULATOR_CALLBACK_SENDER": lambda _url, _body: None, "RATELIMIT_ENABLED": False}


def crawl_forms(client, starts: tuple[str, ...], limit: int = 150) -> list[Form]:
    seen, queue, forms = set(), deque(starts), []
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        forms.extend(forms_on(url, html))
        for link in LINK.findall(html):
            target = urljoin(url, link.replace("&amp;", "&"))
            if not urlsplit(target).netloc and not target.startswith(SKIP_LINKS) and target not in seen:
                queue.append(target)
    return forms


def endpoint_of(app, method: str, url: str) -> str | None:
    try:
        endpoint, _ = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except Exception:  # a form pointing outside the shop's URL map
        return None
    return endpoint


def database_state(app) -> dict[str, str]:
    """A fingerprint of every table but the logs."""
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    state = {}
    with sqlite3.connect(path) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if name not in LOG_TABLES and not name.startswith("sqlite_")]
        for table in sorted(tables):
            digest = hashlib.sha256()
            for row in connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode())
            state[table] = digest.hexdigest()[:12]
    return state


@pytest.fixture
def targets(app, admin_client, session, simulator, gateway):  # noqa: F811
    """(kind, endpoint, url, form) for every form found on the pages and every other state-changing route."""
    order = make_order(session, "sv")
    payment = paid_payment(session, simulator, gateway, order)
    token = csrf_token(admin_client.get("/fi/").get_data(as_text=True))
    admin_client.post("/fi/cart/add/1", data={"quantity": "1", "csrf_token": token})  # checkout shows its form
    found = crawl_forms(admin_client, ("/admin/", f"/admin/orders/{order.id}", "/fi/", "/fi/cart", "/fi/checkout"))
    found += forms_on("/admin/login", app.test_client().get("/admin/login").get_data(as_text=True))
    targets, covered, shapes = [], set(), set()
    for form in found:
        endpoint = endpoint_of(app, "POST", form.action)
        shape = (endpoint, frozenset(form.fields), tuple(form.fields.get("action", ())))
        if shape in shapes:  # one of each kind: the same form on every product is one target
            continue
        shapes.add(shape)
        if endpoint and endpoint not in NOT_FUZZED and endpoint not in KLARNA_CALLBACKS:
            targets.append(("form", endpoint, urlsplit(form.action).path, form))
            covered.add(endpoint)
    for rule, method in state_changing(shop_rules(app)):  # routes no crawled page has a form for: blind
        if rule.endpoint not in covered and rule.endpoint not in NOT_FUZZED and rule.endpoint not in KLARNA_CALLBACKS:
            targets.append(("blind", rule.endpoint, concrete(rule), Form(page="", action=concrete(rule))))
    base = f"/sv/klarna/{order.token}/{payment.id}"
    targets += [("callback", "storefront.klarna_status_update", base + "/status", None),
                ("callback", "storefront.klarna_notification", base + "/notification", None)]
    return targets


def test_the_fuzz_reaches_every_form_and_both_callbacks(app, targets):
    with_forms = {endpoint for kind, endpoint, _url, _form in targets if kind == "form"}
    assert {"admin.login", "storefront.checkout", "storefront.add", "admin.ship", "admin.product_edit",
            "admin.shop_version_edit", "admin.payment_action"} <= with_forms, sorted(with_forms)
    reached = {endpoint for _kind, endpoint, _url, _form in targets}
    every = {rule.endpoint for rule, _method in state_changing(shop_rules(app))}
    assert every - NOT_FUZZED <= reached
    assert {endpoint for kind, endpoint, *_ in targets if kind == "callback"} == KLARNA_CALLBACKS


def form_values(draw, form: Form) -> dict[str, str]:
    values = {}
    for name, offered in form.fields.items():
        if name == "csrf_token":
            continue
        choice = draw(st.sampled_from(("offered", "nasty", "nasty", "missing")))
        if choice == "offered" and offered:
            values[name] = draw(st.sampled_from(offered))
        elif choice != "missing":
            values[name] = draw(NASTY_TEXT)
    for _ in range(draw(st.integers(0, 2))):  # fields no form has
        values[draw(st.text(min_size=1, max_size=12))] = draw(NASTY_TEXT)
    return values


@settings(max_examples=REQUEST_FUZZ_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_is_a_server_error_or_a_partial_write(app, admin_client, targets, data):
    kind, endpoint, url, form = data.draw(st.sampled_from(targets), label="target")
    token = csrf_token(admin_client.get("/admin/orders").get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    if data.draw(st.booleans(), label="htmx"):
        headers["HX-Request"] = "true"
    before = database_state(app)
    if kind == "callback":
        body = data.draw(st.one_of(JSON_VALUES.map(json.dumps), st.binary(max_size=200).map(bytes.hex),
                                   st.just("[" * 5000 + "]" * 5000)), label="body")
        response = admin_client.post(url, data=body, content_type="application/json")
    else:
        values = form_values(data.draw, form)
        shape = data.draw(st.sampled_from(("form", "form", "form", "json", "text")), label="content type")
        if shape == "form":
            response = admin_client.post(url, data=values, headers=headers)
        elif shape == "json":
            response = admin_client.post(url, json=values, headers=headers)
        else:
            response = admin_client.post(url, data=json.dumps(values), content_type="text/plain", headers=headers)
    status = response.status_code
    assert status < 500, f"{endpoint} {url} answered {status}"
    if status == 422 and response.mimetype == "text/html":
        assert any(mark in response.get_data(as_text=True) for mark in ERROR_MARKS), f"{endpoint}: 422 without a message"
    if status in (400, 404, 405, 422):
        after = database_state(app)
        changed = sorted(table for table in after if after[table] != before.get(table))
        assert not changed, f"{endpoint} answered {status} but wrote to {changed}"
