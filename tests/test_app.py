import pytest

from shop import create_app
from shop.db import DatabaseNotMigrated
from tests.conftest import app_config


def test_health_reports_a_migrated_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_app_refuses_an_unmigrated_database(tmp_path):
    with pytest.raises(DatabaseNotMigrated, match="flask --app wsgi init-db"):
        create_app(app_config(f"sqlite:///{tmp_path / 'empty.sqlite3'}"))


def test_responses_vary_on_htmx(client):
    assert "HX-Request" in client.get("/healthz").headers["Vary"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_an_id_too_large_for_the_database_is_a_404(admin_client):
    huge = "9" * 25
    for url in (f"/admin/products/{huge}", f"/admin/shipping-methods/{huge}",
                f"/admin/settings/shop-versions/{huge}", f"/admin/settings/payment-methods/{huge}"):
        assert admin_client.get(url).status_code == 404, url
    page = admin_client.get("/fi/").get_data(as_text=True)
    from tests.conftest import csrf_token

    response = admin_client.post(f"/fi/cart/add/{huge}", data={"quantity": "1", "csrf_token": csrf_token(page)})
    assert response.status_code == 404


def test_a_nul_character_is_a_bad_request_not_a_database_error(client):
    """PostgreSQL refuses NUL in text, so it must not reach a query (SQLite would have stored it)."""
    from tests.conftest import csrf_token

    assert client.get("/fi/p/%00").status_code == 400
    assert client.get("/admin/login?next=/&next=%00").status_code == 400
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post("/admin/login", data={"email": "a\x00@example.com", "password": "x",
                                                 "csrf_token": csrf_token(page)})
    assert response.status_code == 400
