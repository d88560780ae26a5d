"""Fixtures: a fresh simulator per test, a `merchant` talking to it with requests through the
in-process SimulatorAdapter (every exchange contract-checked), a `browser` for the hosted page
and the portal, and `callbacks` recording what the simulator sends to the shop."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from shop.simulator import create_app
from shop.simulator.transport import SimulatorAdapter

from .contract import check_exchange
from .payloads import FI_ORDER, HPP_URLS

BASE = "http://klarna.simulator"
PUBLIC = "http://shop.test/_klarna"
USERNAME, SECRET = "PK_test_4711", "test-shared-secret"
OTHER_USERNAME, OTHER_SECRET = "PK_other_0815", "other-shared-secret"


class Callbacks(list):
    """The SIMULATOR_CALLBACK_SENDER of the tests: records (url, body) instead of posting."""

    def __call__(self, url: str, json_body: dict) -> None:
        self.append((url, json_body))

    def to(self, fragment: str) -> list[dict]:
        return [body for url, body in self if fragment in url]


class Merchant:
    """The shop's side of the wire, plus shortcuts to reach the common states."""

    def __init__(self, app, auth=(USERNAME, SECRET), check_requests: bool = True):
        self.app = app
        self.sim = app.extensions["klarna_simulator"]
        self.http = requests.Session()
        self.http.mount(f"{BASE}/", SimulatorAdapter(app))
        self.http.auth = auth
        self.http.hooks["response"].append(lambda r, **kw: check_exchange(r, check_requests))

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, path if path.startswith("http") else BASE + path, **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def patch(self, path, **kw):
        return self.call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def kp_session(self, body: dict = FI_ORDER) -> str:
        response = self.post("/payments/v1/sessions", json=body)
        assert response.status_code == 200, response.text
        return response.json()["session_id"]

    def hpp_session(self, kp_session_id: str, urls: dict = HPP_URLS, **options) -> dict:
        body = {"payment_session_url": f"{BASE}/payments/v1/sessions/{kp_session_id}", "merchant_urls": urls}
        if options:
            body["options"] = options
        response = self.post("/hpp/v1/sessions", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def order_from(self, body: dict = FI_ORDER, category: str = "PAY_LATER", email: str | None = None) -> str:
        """KP session -> HPP session -> approved (Python helper) -> KP create order; the order id."""
        hpp = self.hpp_session(self.kp_session(body))
        token = self.sim.complete_hpp_session(hpp["session_id"], category=category, email=email)[
            "authorization_token"]
        response = self.post(f"/payments/v1/authorizations/{token}/order", json=body)
        assert response.status_code == 200, response.text
        return response.json()["order_id"]

    def order(self, order_id: str) -> dict:
        response = self.get(f"/ordermanagement/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def om(self, method: str, order_id: str, suffix: str = "", **kwargs) -> requests.Response:
        return self.call(method, f"/ordermanagement/v1/orders/{order_id}{suffix}", **kwargs)


def page_path(url: str) -> str:
    """The hosted page's path inside the simulator app (the public URL carries the shop's prefix)."""
    assert url.startswith(PUBLIC + "/"), url
    parts = urlsplit(url)
    return parts.path[len(urlsplit(PUBLIC).path):]


@pytest.fixture(scope="session")
def shared_callbacks() -> Callbacks:
    return Callbacks()


@pytest.fixture
def callbacks(shared_callbacks) -> Callbacks:
    shared_callbacks.clear()
    return shared_callbacks


def staff_logged_in() -> None:
    """The staff guard of an embedding app that sees a logged-in admin (test_access.py checks refusals)."""
    return None


def config_for(callbacks: Callbacks) -> dict:
    return {
        "TESTING": True,
        "SIMULATOR_STAFF_GUARD": staff_logged_in,
        "WTF_CSRF_ENABLED": False,  # the portal's forms as a logged-in admin posts them; test_access.py has CSRF on
        "SIMULATOR_ACCOUNTS": {USERNAME: SECRET, OTHER_USERNAME: OTHER_SECRET},
        "SIMULATOR_PUBLIC_URL": PUBLIC,
        "SIMULATOR_CALLBACK_SENDER": callbacks,
    }


@pytest.fixture
def sim_config(callbacks) -> dict:
    """Configuration for tests that build an app of their own."""
    return config_for(callbacks)


@pytest.fixture(scope="session")
def shared_app(shared_callbacks):
    """One app for the whole folder (building the routes is the slow part); reset per test."""
    app = create_app(config_for(shared_callbacks))
    yield app
    app.extensions["klarna_simulator"].store.close()


@pytest.fixture
def sim_app(shared_app, callbacks):
    """The shared app with a forgotten past; change its config with `monkeypatch.setitem`."""
    shared_app.extensions["klarna_simulator"].reset()
    yield shared_app


@pytest.fixture
def sim(sim_app):
    return sim_app.extensions["klarna_simulator"]


@pytest.fixture
def merchant(sim_app) -> Merchant:
    return Merchant(sim_app)


@pytest.fixture
def other_merchant(sim_app) -> Merchant:
    return Merchant(sim_app, auth=(OTHER_USERNAME, OTHER_SECRET))


@pytest.fixture
def careless_merchant(sim_app) -> Merchant:
    """Sends request bodies that break the schemas on purpose; answers are still checked."""
    return Merchant(sim_app, check_requests=False)


@pytest.fixture
def browser(sim_app):
    return sim_app.test_client()
