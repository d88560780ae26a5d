"""The credentials step of a new Klarna method: the simulator's offer, and a Klarna that does not answer.

The simulator tests use the in-process simulator; the unreachable playground is `responses` refusing the
connection (or timing out) the way requests does when the network is down.
"""
from __future__ import annotations

import re

import pytest
import requests
import responses

from .test_klarna_setup import (
    CREDENTIALS, MERCHANT_ID, SECRET, admin_in_english, continue_with, demo_account_elsewhere, form_of,
    klarna_methods, no_retry_waits, simulator, wizard_state,
)

__all__ = ["admin_in_english", "demo_account_elsewhere", "no_retry_waits", "simulator"]  # the setup tests' fixtures

PLAYGROUND = re.compile(r"https://api\.playground\.klarna\.com/.*")
# What requests says when the network is down: none of it may reach the merchant's page.
NO_NETWORK = "HTTPSConnectionPool(host='api.playground.klarna.com', port=443): Max retries exceeded " \
             "(Caused by NewConnectionError('Failed to establish a new connection: [Errno -3] name resolution'))"
LEAKS = ("HTTPSConnectionPool", "NewConnectionError", "Errno", "ConnectionError", "ReadTimeout", "Traceback",
         "api.playground.klarna.com", "No answer from Klarna")


def environment_options(html: str) -> list[tuple[str, bool]]:
    select = html[html.index('<select id="environment"'):]
    select = select[:select.index("</select>")]
    return [(value, "selected" in attributes)
            for attributes, value in re.findall(r'<option([^>]*)value="([^"]+)"', select)]


def test_with_the_simulator_on_a_new_method_starts_on_the_simulator_with_its_demo_account(admin_client):
    form = form_of(admin_client.get(CREDENTIALS))
    assert environment_options(form) == [("simulator", True), ("playground", False), ("production", False)]
    account = form[form.index('<aside class="simulator-account"'):form.index("</aside>")]
    assert "Trying Klarna offline" in account
    assert f"<code>{MERCHANT_ID}</code>" in account and f"<code>{SECRET}</code>" in account


def test_the_demo_account_shown_is_the_one_the_simulator_accepts(admin_client):
    form = form_of(admin_client.get(CREDENTIALS))
    shown = re.findall(r"<code>([^<]+)</code>", form[form.index('<aside class="simulator-account"'):])
    response = continue_with(admin_client, shown[1], merchant_id=shown[0])
    assert response.status_code == 303 and wizard_state(admin_client)["merchant_id"] == shown[0]


def test_checked_credentials_come_back_as_checked_not_as_the_simulator(admin_client):
    continue_with(admin_client, environment="simulator")
    with admin_client.session_transaction() as flask_session:
        flask_session["klarna_setup"] = {**flask_session["klarna_setup"], "environment": "playground"}
    assert ("playground", True) in environment_options(form_of(admin_client.get(CREDENTIALS)))


class TestWithoutTheSimulator:
    @pytest.fixture
    def app_overrides(self):
        return {"SIMULATOR_ENABLED": False}

    def test_the_simulator_is_neither_offered_nor_its_account_shown(self, admin_client):
        form = form_of(admin_client.get(CREDENTIALS))
        assert environment_options(form) == [("playground", True), ("production", False)]
        assert "simulator-account" not in form and SECRET not in form and "Simulator" not in form
        assert continue_with(admin_client, environment="simulator").status_code == 422

    @responses.activate
    def test_unreachable_playground_says_to_check_the_network(self, admin_client, session):
        responses.get(PLAYGROUND, body=requests.ConnectionError(NO_NETWORK))
        html = continue_with(admin_client, environment="playground", htmx=True).get_data(as_text=True)
        assert "Klarna&#39;s playground could not be reached: check the network and try again." in html
        assert "choose the simulator" not in html and not [leak for leak in LEAKS if leak in html]


@responses.activate
@pytest.mark.parametrize("failure", [requests.ConnectionError(NO_NETWORK), requests.ReadTimeout(
    "HTTPSConnectionPool(host='api.playground.klarna.com', port=443): Read timed out. (read timeout=10.0)")],
    ids=["connection-error", "timeout"])
@pytest.mark.parametrize("htmx", [False, True])
def test_unreachable_playground_is_one_translated_sentence_without_the_exception(admin_client, session, failure,
                                                                                 htmx, demo_account_elsewhere):
    responses.get(PLAYGROUND, body=failure)
    before = len(klarna_methods(session))
    response = continue_with(admin_client, environment="playground", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and len(responses.calls) >= 1
    alert = html[html.index('id="klarna-check-failure"'):]
    alert = alert[:alert.index("</div>")]
    assert "Klarna&#39;s playground could not be reached: check the network or choose the simulator." in alert
    assert "The credentials were not checked; nothing was saved." in alert and "Details:" not in alert
    assert not [leak for leak in LEAKS if leak in html], html
    assert SECRET not in html and len(klarna_methods(session)) == before and wizard_state(admin_client) is None


@responses.activate
def test_unreachable_production_names_production(admin_client):
    responses.get(re.compile(r"https://api\.klarna\.com/.*"), body=requests.ConnectionError(NO_NETWORK))
    html = continue_with(admin_client, environment="production", htmx=True).get_data(as_text=True)
    assert "Klarna&#39;s production environment could not be reached" in html
    assert not [leak for leak in LEAKS if leak in html]


def test_a_long_klarna_text_wraps_inside_the_alert(app):
    css = (app.static_folder and open(f"{app.static_folder}/css/shop.css", encoding="utf-8").read()) or ""
    rules = [rule for selectors, rule in re.findall(r"([^{}]+)\{([^}]*)\}", css) if ".alert-error" in selectors]
    assert any("overflow-wrap:anywhere" in rule.replace(" ", "") for rule in rules)
