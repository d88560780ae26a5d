"""The Klarna simulator inside the shop: its portal and switches are for the shop's admins only,
it is off unless asked for, it refuses to start in a production-looking configuration by accident,
and its faults and clock are the same for every worker process."""
from __future__ import annotations

import base64
import re

import pytest

from shop import create_app
from shop.security import UnsafeConfiguration
from shop.simulator import create_app as create_simulator
from tests.conftest import app_config
from tests.klarna_fixtures import gateway, make_order, paid_payment, simulator, start_checkout  # noqa: F401

FORM_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    return FORM_TOKEN.search(html).group(1)


def staff_rules(app):
    """Every route of the simulator but Klarna's APIs and the hosted page, found from its URL map."""
    simulator_app = app.extensions["klarna_simulator_app"]
    open_blueprints = {"payments", "hpp", "om", "page"}
    return [rule for rule in simulator_app.url_map.iter_rules()
            if rule.endpoint != "static" and rule.endpoint.split(".")[0] not in open_blueprints
            and rule.endpoint != "home"]


def concrete(rule) -> str:
    return "/_klarna" + rule.rule.replace("<order_id>", "no-such-order").replace("<username>", "PK_demo_12345")


def test_every_portal_page_and_switch_refuses_anonymous_users(app, client, session, simulator, gateway):  # noqa: F811
    paid_payment(session, simulator, gateway, make_order(session))
    rules = staff_rules(app)
    assert len(rules) >= 8
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete(rule), method=method, json={"days": 1}
                                   if rule.rule.startswith("/_simulator") else None)
            assert response.status_code in (302, 401), f"{method} {rule.rule}: {response.status_code}"
            if rule.rule.startswith("/portal") and method == "GET":
                assert "/admin/login" in response.location
    assert simulator.faults.list() == [] and simulator.clock.offset.total_seconds() == 0


def test_the_login_brings_the_admin_back_to_the_portal(client):
    response = client.get("/_klarna/portal/faults")
    assert response.status_code == 302 and response.location.endswith("/admin/login?next=/_klarna/portal/faults")


def test_anonymous_users_see_no_hosted_page_links_but_the_hosted_page_stays_public(
        client, session, simulator, gateway):  # noqa: F811
    payment = start_checkout(session, gateway, make_order(session))
    portal = client.get("/_klarna/portal/")
    assert payment.hpp_session_id not in portal.get_data(as_text=True)
    assert client.get(f"/_klarna/hpp/payments/{payment.hpp_session_id}").status_code == 200


def test_admins_use_the_portal_with_csrf_tokens(admin_client, session, simulator, gateway):  # noqa: F811
    payment = start_checkout(session, gateway, make_order(session))
    assert payment.hpp_session_id in admin_client.get("/_klarna/portal/").get_data(as_text=True)
    assert admin_client.post("/_klarna/portal/clock", data={"days": "2"}).status_code == 400
    assert simulator.clock.offset.total_seconds() == 0
    token = csrf_token(admin_client.get("/_klarna/portal/clock").get_data(as_text=True))
    moved = admin_client.post("/_klarna/portal/clock", data={"days": "2", "csrf_token": token})
    assert moved.status_code == 303 and simulator.clock.offset.total_seconds() == 2 * 86400
    assert admin_client.post("/_klarna/_simulator/faults", json={"kind": "500"}).status_code == 400
    armed = admin_client.post("/_klarna/_simulator/faults", json={"kind": "500", "times": 1},
                              headers={"X-CSRFToken": token})
    assert armed.status_code == 201 and simulator.faults.list()[0]["kind"] == "500"


def test_scripts_use_the_switches_with_a_simulator_account(client, simulator):  # noqa: F811
    credentials = {"Authorization": "Basic " + base64.b64encode(
        b"PK_demo_12345:demo-shared-secret").decode()}
    assert client.post("/_klarna/_simulator/clock", json={"hours": 1}, headers=credentials).status_code == 200
    assert simulator.clock.offset.total_seconds() == 3600
    wrong = {"Authorization": "Basic " + base64.b64encode(b"PK_demo_12345:guess").decode()}
    assert client.post("/_klarna/_simulator/clock", json={"hours": 1}, headers=wrong).status_code == 401


def test_the_simulator_is_off_unless_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOP_SIMULATOR_ENABLED", raising=False)
    config = app_config(f"sqlite:///{tmp_path / 'shop.sqlite3'}", CHECK_MIGRATED=False)
    del config["SIMULATOR_ENABLED"]
    app = create_app(config)
    assert "klarna_simulator" not in app.extensions
    assert app.test_client().get("/_klarna/portal/").status_code == 404


@pytest.mark.parametrize("production_looking", [
    {"PUBLIC_URL": "https://shop.example.com"},
    {"DATABASE_URL": "postgresql+psycopg://shop@db.example.com/shop"},
])
def test_a_production_configuration_with_the_simulator_on_refuses_to_start(tmp_path, production_looking):
    config = app_config(f"sqlite:///{tmp_path / 'shop.sqlite3'}", CHECK_MIGRATED=False,
                        SIMULATOR_STORAGE=str(tmp_path / "sim.sqlite3"), **production_looking)
    with pytest.raises(UnsafeConfiguration, match="SHOP_SIMULATOR_ALLOW_IN_PRODUCTION"):
        create_app(config)
    allowed = create_app({**config, "SIMULATOR_ALLOW_IN_PRODUCTION": True})
    assert "klarna_simulator" in allowed.extensions
    assert "klarna_simulator" not in create_app({**config, "SIMULATOR_ENABLED": False}).extensions


def test_the_admin_shows_a_banner_while_the_simulator_is_on(admin_client, app):
    assert "simulator-banner" in admin_client.get("/admin/orders").get_data(as_text=True)
    app.config["SIMULATOR_ENABLED"] = False
    assert "simulator-banner" not in admin_client.get("/admin/orders").get_data(as_text=True)


def test_faults_and_the_clock_apply_to_every_worker_on_the_same_storage(tmp_path):
    storage = str(tmp_path / "klarna.sqlite3")
    workers = [create_simulator({"SIMULATOR_STORAGE": storage}).extensions["klarna_simulator"] for _ in range(4)]
    workers[0].faults.set("get_order", "503", times=3)
    workers[1].clock.advance(days=2)
    assert all(worker.faults.list() == [{"operation": "get_order", "kind": "503", "times": 3}] for worker in workers)
    assert all(round(worker.clock.offset.total_seconds()) == 2 * 86400 for worker in workers)
    taken = [worker.faults.take("get_order") for worker in workers]
    assert taken == ["503", "503", "503", None]  # one countdown shared by all of them
    workers[3].clock.reset()
    assert workers[0].clock.offset.total_seconds() == 0


def test_the_simulators_pages_carry_security_headers_too(admin_client, session, gateway):  # noqa: F811
    payment = start_checkout(session, gateway, make_order(session))
    for url in ("/_klarna/portal/", f"/_klarna/hpp/payments/{payment.hpp_session_id}"):
        response = admin_client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "'nonce-" in policy and "unsafe-inline" not in policy, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
        assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)
