"""How the app reaches Klarna: base URLs per environment, the override, the mounted simulator."""
import pytest
import responses

from shop.payments.gateway import KlarnaGateway


def gateway(app) -> KlarnaGateway:
    return app.extensions["klarna_gateway"]


def test_environments_pick_klarna_hosts_and_the_simulator(app):
    assert gateway(app).base_url({"environment": "simulator"}) == "http://klarna.simulator"
    assert gateway(app).base_url({"environment": "playground", "region": "eu"}) == "https://api.playground.klarna.com"
    assert gateway(app).base_url({"environment": "production", "region": "na"}) == "https://api-na.klarna.com"


class TestOverride:
    @pytest.fixture
    def app_overrides(self):
        return {"KLARNA_BASE_URL": "https://klarna-proxy.example/api/"}

    def test_the_override_wins_for_every_environment(self, app):
        for environment in ("simulator", "playground", "production"):
            assert gateway(app).base_url({"environment": environment}) == "https://klarna-proxy.example/api"

    @responses.activate
    def test_calls_go_to_the_override(self, app):
        responses.get("https://klarna-proxy.example/api/ordermanagement/v1/orders/x", status=404,
                      json={"error_code": "NO_SUCH_ORDER", "error_messages": ["Order x cannot be found"],
                            "correlation_id": "c-1"})
        client = gateway(app).client_for({"environment": "production"}, "user", "secret")
        with pytest.raises(Exception):
            client.get_order("x")
        assert responses.calls[0].request.url.startswith("https://klarna-proxy.example/api/")


class TestWithoutSimulator:
    @pytest.fixture
    def app_overrides(self):
        return {"SIMULATOR_ENABLED": False}

    def test_nothing_is_mounted_and_the_simulator_environment_is_refused(self, app, client):
        assert client.get("/_klarna/portal/").status_code == 404
        with pytest.raises(ValueError, match="simulator is not enabled"):
            gateway(app).base_url({"environment": "simulator"})


def test_the_simulator_is_mounted_at_klarna_for_the_shops_admins(admin_client):
    assert admin_client.get("/_klarna/portal/").status_code == 200
