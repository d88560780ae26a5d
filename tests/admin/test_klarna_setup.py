"""Settings > Payment methods: a new Klarna method step by step, its settings, and where it is shown.

Credentials are checked against the in-process Klarna simulator (demo account PK_demo_12345).
"""
from __future__ import annotations

import logging
import time

import pytest

from tests.conftest import TRANSLATIONS
from sqlmodel import select

from shop.crypto import decrypt_secret
from shop.models import KlarnaCall, PaymentMethod, ShopVersion, User, VatRate
from tests.conftest import ADMIN_EMAIL, SECRET_KEY, csrf_token

from .conftest import HTMX, by_code, counting_queries, post, token

MERCHANT_ID, SECRET = "PK_demo_12345", "demo-shared-secret"
WRONG_SECRET = "not-the-secret-4711"
BASE = "/admin/settings/payment-methods"
CREDENTIALS = f"{BASE}/new/klarna"
SETTINGS = f"{BASE}/new/klarna/settings"
SETTINGS_DATA = {"name": "Klarna Pay later", "merchant_id": MERCHANT_ID, "environment": "simulator", "region": "eu",
                 "categories": ["PAY_LATER"], "place_order_mode": "PLACE_ORDER", "position": "5", "auto_extend": "y"}


@pytest.fixture(autouse=True)
def no_retry_waits(app):
    app.extensions["klarna_gateway"].sleep = lambda _seconds: None


@pytest.fixture(autouse=True)
def admin_in_english(session):
    """The assertions read the English texts; test_the_finnish_admin_uses_the_words_merchants_know reads Finnish."""
    set_admin_locale(session, "en")


def set_admin_locale(session, locale: str) -> None:
    admin = session.exec(select(User).where(User.email == ADMIN_EMAIL)).one()
    admin.locale = locale
    session.add(admin)
    session.commit()


@pytest.fixture
def simulator(app):
    return app.extensions["klarna_simulator"]


@pytest.fixture
def demo_account_elsewhere(app, simulator):
    """The credentials page shows the simulator's demo account; here that is not the one the merchant uses,
    so a test can tell the merchant's own secret leaking from the demo secret shown on purpose."""
    app.config.update(SIMULATOR_USERNAME="PK_shown_1", SIMULATOR_SECRET="shown-demo-secret")
    simulator.accounts.add("PK_shown_1", "shown-demo-secret")


def credentials(secret: str = SECRET, **changes: str) -> dict[str, str]:
    return {"merchant_id": MERCHANT_ID, "secret": secret, "environment": "simulator", "region": "eu", **changes}


def klarna_methods(session) -> list[PaymentMethod]:
    session.expire_all()
    return session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")
                        .order_by(PaymentMethod.id)).all()


def method_named(session, name: str) -> PaymentMethod:
    session.expire_all()
    return session.exec(select(PaymentMethod).where(PaymentMethod.name == name)).one()


def wizard_state(client) -> dict | None:
    with client.session_transaction() as flask_session:
        return flask_session.get("klarna_setup")


def continue_with(client, secret: str = SECRET, *, htmx: bool = False, **changes: str):
    return post(client, CREDENTIALS, credentials(secret, **changes), htmx=htmx, csrf=token(client, CREDENTIALS))


def create_klarna_method(client, **changes) -> None:
    """Continue with the demo credentials, then Save the settings step."""
    assert continue_with(client).status_code == 303
    response = post(client, SETTINGS, {**SETTINGS_DATA, **changes}, csrf=token(client, SETTINGS))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def form_of(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index('<form id="payment-method-form"'):]


# Step 1 and the list -----------------------------------------------------------------------------

def test_new_payment_method_starts_from_the_list_with_a_choice_of_provider(admin_client):
    html = admin_client.get(BASE).get_data(as_text=True)
    assert f'href="{BASE}/new"' in html and "New payment method" in html
    choose = admin_client.get(f"{BASE}/new").get_data(as_text=True)
    assert "Klarna Payments" in choose and "Manual (e.g. bank transfer)" in choose and ">Continue<" in choose
    response = admin_client.get(f"{BASE}/new?provider=klarna")
    assert response.status_code == 303 and response.location == CREDENTIALS
    htmx = admin_client.get(f"{BASE}/new?provider=klarna", headers=HTMX)
    assert htmx.status_code == 200 and htmx.headers["HX-Push-Url"] == CREDENTIALS
    assert htmx.get_data(as_text=True).lstrip().startswith('<form id="payment-method-form"')
    assert 'name="merchant_id"' in htmx.get_data(as_text=True)
    assert admin_client.get(f"{BASE}/new?provider=paypal").status_code == 422


class TestInFinnish:
    @pytest.fixture
    def app_overrides(self):
        return {"BABEL_TRANSLATION_DIRECTORIES": TRANSLATIONS}

    def test_the_finnish_admin_uses_the_words_merchants_know(self, admin_client, session):
        finnish_admin_uses_the_words_merchants_know(admin_client, session)


def finnish_admin_uses_the_words_merchants_know(admin_client, session):
    set_admin_locale(session, "fi")
    assert "Maksutavat" in admin_client.get(BASE).get_data(as_text=True)
    assert "Näytä valituissa kauppaversioissa" in admin_client.get(BASE).get_data(as_text=True)
    form = form_of(admin_client.get(CREDENTIALS))
    assert all(word in form for word in ("Kauppiasnumero", "Salainen avain", ">Jatka<"))
    continue_with(admin_client)
    assert ">Tallenna<" in form_of(admin_client.get(SETTINGS))


# Step 2: Continue checks the credentials with Klarna ------------------------------------------------

@pytest.mark.parametrize("htmx", [False, True])
def test_a_wrong_secret_is_refused_inline_and_nothing_is_kept(admin_client, session, htmx):
    before = len(klarna_methods(session))
    response = continue_with(admin_client, WRONG_SECRET, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<form id="payment-method-form"') is htmx
    assert "Klarna did not accept these credentials" in html
    assert "UNAUTHORIZED" in html and "Klarna correlation id: " in html
    assert f'name="merchant_id" required spellcheck="false" type="text" value="{MERCHANT_ID}"' in html
    assert WRONG_SECRET not in html and 'name="secret" required type="password" value=""' in html
    assert len(klarna_methods(session)) == before and wizard_state(admin_client) is None


@pytest.mark.parametrize("fault", ["503", "reset", "timeout"])
def test_unreachable_klarna_is_a_clear_error(admin_client, session, simulator, fault, demo_account_elsewhere):
    simulator.faults.set("get_order", fault)
    response = continue_with(admin_client, htmx=True)
    html = response.get_data(as_text=True)
    words = "Klarna answered with an error" if fault == "503" else "The Klarna simulator did not answer"
    assert response.status_code == 422 and words in html
    assert "did not accept" not in html and SECRET not in html
    assert len(klarna_methods(session)) == 1 and wizard_state(admin_client) is None


@pytest.mark.parametrize("field, typed", [
    ("merchant_id", ""), ("merchant_id", "PK_demo:12345"), ("merchant_id", "PK demo"), ("merchant_id", "Käyttäjä"),
    ("secret", ""), ("secret", "sälainen-avain"), ("secret", "秘密"), ("environment", "moon"), ("region", "mars"),
])
def test_what_klarna_cannot_take_is_422_before_any_call(admin_client, session, field, typed):
    calls = len(session.exec(select(KlarnaCall)).all())
    data = credentials(**{field: typed}) if field != "secret" else credentials(typed)
    response = post(admin_client, CREDENTIALS, data, csrf=token(admin_client, CREDENTIALS))
    assert response.status_code == 422, (field, typed)
    assert len(session.exec(select(KlarnaCall)).all()) == calls


def test_right_credentials_lead_to_the_settings_step_with_the_secret_sealed(admin_client, app):
    response = continue_with(admin_client)
    assert response.status_code == 303 and response.location == SETTINGS
    state = wizard_state(admin_client)
    assert state["merchant_id"] == MERCHANT_ID and state["environment"] == "simulator"
    assert state["secret"] != SECRET and decrypt_secret(state["secret"], SECRET_KEY) == SECRET
    cookie = admin_client.get_cookie("session").value
    assert SECRET not in str(app.session_interface.get_signing_serializer(app).loads(cookie))
    form = form_of(admin_client.get(SETTINGS))
    assert 'value="Klarna"' in form and f'value="{MERCHANT_ID}"' in form and "Klarna accepted these credentials" in form
    assert "••••••••" in form and ">stored<" in form and SECRET not in form
    assert 'checked id="place_order_mode-0" name="place_order_mode" type="radio" value="NONE"' in form
    assert 'id="auto_extend" name="auto_extend" type="checkbox" value="y">' in form  # off by default


def test_saving_creates_a_hidden_method_with_the_secret_encrypted_at_rest(admin_client, session):
    create_klarna_method(admin_client)
    method = method_named(session, "Klarna Pay later")
    assert method.provider == "klarna" and method.position == 5 and method.versions == []
    assert method.settings == {"merchant_id": MERCHANT_ID, "environment": "simulator", "region": "eu",
                               "categories": ["PAY_LATER"], "place_order_mode": "PLACE_ORDER", "auto_extend": True}
    assert method.secret_encrypted != SECRET and SECRET not in method.secret_encrypted
    assert decrypt_secret(method.secret_encrypted, SECRET_KEY) == SECRET
    assert wizard_state(admin_client) is None
    html = admin_client.get(BASE).get_data(as_text=True)
    row = html[html.index(f'<tr id="payment-method-{method.id}"'):]
    assert row.startswith(f'<tr id="payment-method-{method.id}" class="unpublished">') and ">Hidden<" in row[:400]
    assert "is saved and hidden in every shop version" in html


def test_the_htmx_steps_swap_the_form_and_saving_goes_to_the_list(admin_client, session):
    response = continue_with(admin_client, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Push-Url"] == SETTINGS
    assert response.get_data(as_text=True).lstrip().startswith('<form id="payment-method-form"')
    assert f'hx-post="{SETTINGS}"' in response.get_data(as_text=True)
    saved = post(admin_client, SETTINGS, {**SETTINGS_DATA, "categories": []}, htmx=True,
                 csrf=token(admin_client, SETTINGS))
    method = method_named(session, "Klarna Pay later")
    assert saved.status_code == 200 and saved.headers["HX-Redirect"] == f"{BASE}#payment-method-{method.id}"
    assert method.settings["categories"] == [] and method.versions == []


def test_settings_step_needs_checked_credentials(admin_client, session):
    response = admin_client.get(SETTINGS)
    assert response.status_code == 303 and response.location == CREDENTIALS
    response = post(admin_client, SETTINGS, SETTINGS_DATA, csrf=token(admin_client))
    assert response.status_code == 303 and len(klarna_methods(session)) == 1


def test_changing_the_checked_account_on_the_settings_step_checks_again(admin_client, session, simulator):
    continue_with(admin_client)
    response = post(admin_client, SETTINGS, {**SETTINGS_DATA, "merchant_id": "PK_other_1"},
                    csrf=token(admin_client, SETTINGS))
    assert response.status_code == 422 and "Klarna did not accept these credentials" in response.get_data(as_text=True)
    assert len(klarna_methods(session)) == 1
    simulator.accounts.add("PK_other_1", "other-secret")
    response = post(admin_client, SETTINGS, {**SETTINGS_DATA, "merchant_id": "PK_other_1", "secret": "other-secret"},
                    csrf=token(admin_client, SETTINGS))
    method = method_named(session, "Klarna Pay later")
    assert response.status_code == 303 and method.settings["merchant_id"] == "PK_other_1"
    assert decrypt_secret(method.secret_encrypted, SECRET_KEY) == "other-secret"


# Step 4: an existing method ------------------------------------------------------------------------

def edit(client, method: PaymentMethod, *, htmx: bool = False, **changes):
    url = f"{BASE}/{method.id}"
    data = {**SETTINGS_DATA, "name": method.name, "position": str(method.position), **changes}
    return post(client, url, data, htmx=htmx, csrf=token(client, url))


def test_edit_shows_the_secret_only_masked(admin_client, session):
    klarna = method_named(session, "Klarna")
    form = form_of(admin_client.get(f"{BASE}/{klarna.id}"))
    assert "••••••••" in form and ">stored<" in form and 'name="secret"' in form
    assert SECRET not in form and klarna.secret_encrypted not in form
    assert f'value="{MERCHANT_ID}"' in form and "Provider" not in form  # no wizard steps


@pytest.mark.parametrize("htmx", [False, True])
def test_edit_keeps_the_secret_unless_a_new_one_is_typed(admin_client, session, htmx):
    klarna = method_named(session, "Klarna")
    stored, calls = klarna.secret_encrypted, len(session.exec(select(KlarnaCall)).all())
    response = edit(admin_client, klarna, htmx=htmx, name="Klarna (EU)", categories=["PAY_NOW", "PAY_LATER"])
    assert response.status_code == (200 if htmx else 303)
    saved = method_named(session, "Klarna (EU)")
    assert saved.secret_encrypted == stored and saved.settings["categories"] == ["PAY_LATER", "PAY_NOW"]
    assert len(session.exec(select(KlarnaCall)).all()) == calls  # nothing about the account changed: no check
    assert saved.published_version_ids  # still shown where it was
    if htmx:
        assert form_of(response) and "Klarna (EU) is saved." in response.get_data(as_text=True)


def test_a_wrong_new_secret_is_refused_and_nothing_changes(admin_client, session):
    klarna = method_named(session, "Klarna")
    stored = klarna.secret_encrypted
    response = edit(admin_client, klarna, htmx=True, name="Renamed", secret=WRONG_SECRET)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Klarna did not accept these credentials" in html
    assert WRONG_SECRET not in html
    assert method_named(session, "Klarna").secret_encrypted == stored
    response = edit(admin_client, klarna, secret=SECRET)
    replaced = method_named(session, "Klarna")
    assert response.status_code == 303 and replaced.secret_encrypted != stored
    assert decrypt_secret(replaced.secret_encrypted, SECRET_KEY) == SECRET


def test_another_merchant_id_is_checked_with_the_stored_secret(admin_client, session):
    klarna = method_named(session, "Klarna")
    response = edit(admin_client, klarna, merchant_id="PK_someone_else")
    assert response.status_code == 422 and "did not accept" in response.get_data(as_text=True)
    assert method_named(session, "Klarna").settings["merchant_id"] == MERCHANT_ID


def test_a_region_that_cannot_serve_where_the_method_is_shown_is_a_conflict(admin_client, session):
    klarna = method_named(session, "Klarna")
    response = edit(admin_client, klarna, htmx=True, environment="playground", region="oc")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Klarna is shown in Suomi:" in html and "Hide it there first." in html
    assert method_named(session, "Klarna").settings["environment"] == "simulator"


def test_checked_credentials_wait_an_hour_at_most(admin_client, monkeypatch):
    continue_with(admin_client)
    assert admin_client.get(SETTINGS).status_code == 200
    later = time.time() + 3601
    monkeypatch.setattr("shop.admin.payment_method_setup.time.time", lambda: later)
    response = admin_client.get(SETTINGS)
    assert response.status_code == 303 and response.location == CREDENTIALS


def test_an_unknown_method_is_404(admin_client):
    assert admin_client.get(f"{BASE}/999").status_code == 404
    assert post(admin_client, f"{BASE}/999", SETTINGS_DATA, csrf=token(admin_client)).status_code == 404


# Manual methods ------------------------------------------------------------------------------------

def test_a_manual_method_is_created_hidden_and_edited(admin_client, session):
    assert admin_client.get(f"{BASE}/new?provider=manual").location == f"{BASE}/new/manual"
    data = {"name": "Invoice", "instructions": "Pay within 14 days.", "position": "7"}
    response = post(admin_client, f"{BASE}/new/manual", data, csrf=token(admin_client, f"{BASE}/new/manual"))
    invoice = method_named(session, "Invoice")
    assert response.status_code == 303 and invoice.provider == "manual" and invoice.versions == []
    assert invoice.settings == {"instructions": "Pay within 14 days."} and invoice.secret_encrypted == ""
    response = post(admin_client, f"{BASE}/{invoice.id}", {**data, "instructions": "Pay within 7 days."}, htmx=True,
                    csrf=token(admin_client))
    assert response.status_code == 200 and method_named(session, "Invoice").settings["instructions"] == \
        "Pay within 7 days."
    assert post(admin_client, f"{BASE}/{invoice.id}", {**data, "name": ""}, csrf=token(admin_client)).status_code == 422


# Step 5: where the method is shown -----------------------------------------------------------------

def publish(client, method: PaymentMethod, version_ids: list[int], *, htmx: bool = False):
    return post(client, f"{BASE}/{method.id}/versions", {"versions": [str(i) for i in version_ids]}, htmx=htmx,
                csrf=token(client))


def test_publish_in_one_shop_version_only(admin_client, session):
    create_klarna_method(admin_client)
    method = method_named(session, "Klarna Pay later")
    assert publish(admin_client, method, [by_code(session, "fi").id]).status_code == 303
    assert method_named(session, "Klarna Pay later").published_version_ids == {by_code(session, "fi").id}


@pytest.fixture
def norway_in_euros(session) -> ShopVersion:
    """A shop version Klarna cannot serve: Klarna takes only NOK in Norway."""
    version = ShopVersion(code="no", name="Norge", country="NO", currency="EUR", locale="nb-NO", position=9)
    session.add(version)
    session.flush()
    session.add(VatRate(version_id=version.id, tax_class="standard", rate=2500))
    session.commit()
    return version


@pytest.mark.parametrize("htmx", [False, True])
def test_klarna_cannot_be_published_where_klarna_does_not_sell(admin_client, session, norway_in_euros, htmx):
    klarna = method_named(session, "Klarna")
    html = admin_client.get(BASE).get_data(as_text=True)
    row = html[html.index(f'<tr id="payment-method-{klarna.id}"'):]
    row = row[:row.index("</tr>")]
    reason = "Klarna takes only NOK in NO, not EUR."
    assert f'value="{norway_in_euros.id}" disabled' in row and reason in row
    bank = method_named(session, "Bank transfer")
    bank_row = html[html.index(f'<tr id="payment-method-{bank.id}"'):]
    assert f'value="{norway_in_euros.id}">' in bank_row[:bank_row.index("</tr>")]  # a bank transfer works anywhere
    response = publish(admin_client, klarna, [by_code(session, "fi").id, norway_in_euros.id], htmx=htmx)
    assert response.status_code == 422
    assert f"Klarna cannot be shown in Norge: {reason}" in response.get_data(as_text=True)
    assert norway_in_euros.id not in method_named(session, "Klarna").published_version_ids
    assert publish(admin_client, bank, [norway_in_euros.id]).status_code == 303


def test_a_method_of_another_klarna_region_cannot_be_published(admin_client, session):
    klarna = method_named(session, "Klarna")
    klarna.settings = {**klarna.settings, "environment": "playground", "region": "na"}
    session.add(klarna)
    session.commit()
    response = publish(admin_client, klarna, [by_code(session, "sv").id])
    assert response.status_code == 422 and "region NA, which does not serve SE" in response.get_data(as_text=True)


def test_the_list_runs_the_same_queries_for_more_methods(admin_client, app, session, norway_in_euros):
    with counting_queries(app) as few:
        admin_client.get(BASE)
    session.add_all([PaymentMethod(name=f"Klarna {n}", provider="klarna", settings={"region": "eu"}) for n in range(4)])
    session.commit()
    with counting_queries(app) as more:
        html = admin_client.get(BASE).get_data(as_text=True)
    assert "Klarna 3" in html and len(more) == len(few)


# Step 6: the merchant's test order -----------------------------------------------------------------

def test_a_hidden_method_is_offered_only_to_the_logged_in_merchant_marked_test(admin_client, app, session):
    create_klarna_method(admin_client)
    method = method_named(session, "Klarna Pay later")
    shopper = app.test_client()
    for client in (admin_client, shopper):
        page = client.get("/fi/p/wool-cap").get_data(as_text=True)
        post(client, f"/fi/cart/add/{_product_id(session, 'CAP-003')}", {"quantity": "1"}, csrf=csrf_token(page))
    merchant_html = admin_client.get("/fi/checkout").get_data(as_text=True)
    choice = merchant_html[merchant_html.index(f'name="payment_method" value="{method.id}"'):]
    choice = choice[:choice.index("</label>")]
    assert "Klarna Pay later" in choice and 'class="tag tag-test"' in choice
    assert f'name="payment_method" value="{method.id}"' not in shopper.get("/fi/checkout").get_data(as_text=True)


def _product_id(session, sku: str) -> int:
    from shop.models import Product

    return session.exec(select(Product.id).where(Product.sku == sku)).one()


# Security: CSRF, and the secret never leaves the shop ----------------------------------------------

def test_every_step_requires_the_csrf_token(admin_client, session):
    assert admin_client.post(CREDENTIALS, data=credentials()).status_code == 400
    assert admin_client.post(CREDENTIALS, data=credentials(), headers=HTMX).status_code == 400
    assert wizard_state(admin_client) is None
    continue_with(admin_client)
    assert admin_client.post(SETTINGS, data=SETTINGS_DATA).status_code == 400
    klarna = method_named(session, "Klarna")
    assert admin_client.post(f"{BASE}/{klarna.id}", data={**SETTINGS_DATA, "name": "X"}).status_code == 400
    assert admin_client.post(f"{BASE}/new/manual", data={"name": "X", "position": "1"}).status_code == 400
    assert len(klarna_methods(session)) == 1 and method_named(session, "Klarna").name == "Klarna"


def test_the_secret_never_appears_in_a_response_a_log_or_the_klarna_call_log(admin_client, session, caplog,
                                                                            demo_account_elsewhere):
    caplog.set_level(logging.DEBUG)
    bodies = [continue_with(admin_client, WRONG_SECRET, htmx=True), continue_with(admin_client),
              admin_client.get(SETTINGS)]
    bodies.append(post(admin_client, SETTINGS, {**SETTINGS_DATA, "secret": SECRET}, htmx=True,
                       csrf=token(admin_client, SETTINGS)))
    method = method_named(session, "Klarna Pay later")
    bodies += [admin_client.get(BASE), admin_client.get(f"{BASE}/{method.id}"),
               edit(admin_client, method, htmx=True, secret=WRONG_SECRET), edit(admin_client, method, secret=SECRET)]
    texts = [response.get_data(as_text=True) + str(response.headers) for response in bodies]
    texts += [record.getMessage() + str(record.args) for record in caplog.records]
    texts += [str(call.model_dump()) for call in session.exec(select(KlarnaCall)).all()]
    assert len(session.exec(select(KlarnaCall)).all()) >= 4  # the checks were made, and logged
    for secret in (SECRET, WRONG_SECRET):
        assert not [text for text in texts if secret in text], secret
