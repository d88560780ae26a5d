"""State kept in a SQLite file survives a restart; the in-memory default does not need one."""
from __future__ import annotations

from shop.simulator import create_app

from .conftest import Merchant
from .payloads import SE_ORDER


def test_state_survives_a_restart(sim_config, tmp_path):
    config = {**sim_config, "SIMULATOR_STORAGE": str(tmp_path / "klarna.sqlite3")}
    first = create_app(config)
    merchant = Merchant(first)
    order_id = merchant.order_from(SE_ORDER)
    merchant.om("POST", order_id, "/captures", json={"captured_amount": 100},
                headers={"Klarna-Idempotency-Key": "persisted"})
    first.extensions["klarna_simulator"].accounts.add("PK_late_1", "late")
    first.extensions["klarna_simulator"].clock.advance(hours=3)
    first.extensions["klarna_simulator"].store.close()

    second = create_app(config)
    again = Merchant(second)
    assert again.order(order_id)["captured_amount"] == 100
    replay = again.om("POST", order_id, "/captures", json={"captured_amount": 100},
                      headers={"Klarna-Idempotency-Key": "persisted"})
    assert replay.status_code == 201 and again.order(order_id)["captured_amount"] == 100
    sim = second.extensions["klarna_simulator"]
    assert sim.accounts.get("PK_late_1") is not None
    assert round(sim.clock.offset.total_seconds()) == 3 * 3600


def test_standalone_configuration_from_the_environment(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("SIMULATOR_ACCOUNTS", raising=False)
    monkeypatch.setenv("SIMULATOR_STORAGE", str(tmp_path / "standalone.sqlite3"))
    app = create_app()
    assert app.extensions["klarna_simulator"].accounts.get("PK_demo_12345")["secret"] == "demo-shared-secret"
    assert "PK_demo_12345" in capsys.readouterr().err
    monkeypatch.setenv("SIMULATOR_ACCOUNTS", "PK_a_1:one,PK_b_2:two")
    monkeypatch.setenv("SIMULATOR_PUBLIC_URL", "http://127.0.0.1:5001")
    app = create_app()
    sim = app.extensions["klarna_simulator"]
    assert sim.accounts.authenticate("PK_b_2", "two") and app.config["SIMULATOR_PUBLIC_URL"] == "http://127.0.0.1:5001"
