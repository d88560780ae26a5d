"""Settings > Payment methods: a new method step by step, and an existing method's settings.

A new Klarna method: provider -> credentials (Continue checks them with Klarna) -> settings (Save).
Between Continue and Save the checked credentials wait in the Flask session under WIZARD_KEY,
the shared secret encrypted with shop.crypto first: Flask's session cookie is signed, not
encrypted. Nothing reaches the database before Save, and a new method starts hidden in every
shop version (the merchant tries it with a test order, then publishes it).
"""
from __future__ import annotations

import time

from flask import abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from shop.db import db
from shop.models import PaymentMethod, ShopVersion
from shop.payments import setup
from shop.payments.common import ProviderError
from shop.payments.gateway import current_gateway
from shop.web import done

from . import bp
from .common import go_to
from .forms import KlarnaCredentialsForm, KlarnaSettingsForm, ProviderForm
from .payment_method_pages import (
    CREDENTIALS_STEP, KLARNA_FORM, MANUAL_FORM, PROVIDER_STEP, CheckFailure, advance, apply_klarna, apply_manual,
    klarna_context, klarna_form, klarna_page, list_url, manual_form, manual_page, page, posted, rechecked,
)

WIZARD_KEY = "klarna_setup"
WIZARD_MAX_AGE = 3600  # seconds the checked credentials wait for Save


@bp.get("/settings/payment-methods/new")
def payment_method_new():
    """Step 1: the provider (a GET form: choosing changes nothing)."""
    if "provider" not in request.args:
        return page(PROVIDER_STEP, _("New payment method"), form=ProviderForm(formdata=None))
    form = ProviderForm(formdata=request.args)
    if not form.validate():
        return page(PROVIDER_STEP, _("New payment method"), status=422, form=form)
    if form.provider.data == "manual":
        return advance(url_for("admin.manual_method_new"), lambda: manual_page(manual_form(None)))
    return advance(url_for("admin.klarna_method_new"), lambda: _credentials_page(_credentials_form()))


# Step 2 (Klarna): credentials, checked on Continue -----------------------------------------------

def _credentials_form() -> KlarnaCredentialsForm:
    """The credentials checked before, or for a fresh start the simulator when it is on: it needs no account."""
    offered = setup.environments(current_gateway())
    remembered = _remembered()
    data = remembered.settings if remembered and not posted() else {}
    if not data and not posted() and "simulator" in offered:
        data = {"environment": "simulator"}
    return KlarnaCredentialsForm(data=data).offer_environments(offered)


def _simulator_account() -> tuple[str, str] | None:
    """The demo account the mounted simulator accepts (shop/__init__.py gives it these), or None when it is off."""
    if "simulator" not in setup.environments(current_gateway()):
        return None
    return current_app.config["SIMULATOR_USERNAME"], current_app.config["SIMULATOR_SECRET"]


def _credentials_page(form: KlarnaCredentialsForm, *, status: int = 200, failure: CheckFailure | None = None):
    return page(CREDENTIALS_STEP, _("New Klarna payment method"), status=status, form=form, failure=failure,
                simulator_account=_simulator_account())


@bp.route("/settings/payment-methods/new/klarna", methods=["GET", "POST"])
def klarna_method_new():
    form = _credentials_form()
    if not posted():
        return _credentials_page(form)
    if not form.validate_on_submit():
        return _credentials_page(form, status=422)
    try:
        checked = setup.accept(current_gateway(), form.merchant_id.data, form.environment.data, form.region.data,
                               form.secret.data)
    except ProviderError as error:
        return _credentials_page(form, status=422, failure=CheckFailure.of(error, form.environment.data))
    _remember(checked)
    return advance(url_for("admin.klarna_method_settings"),
                   lambda: klarna_page(klarna_form(None, checked, use_post=False), checked))


def _remember(checked: setup.KlarnaCredentials) -> None:
    session[WIZARD_KEY] = {**checked.settings, "secret": checked.secret_encrypted, "user": current_user.id,
                           "at": int(time.time())}


def _remembered() -> setup.KlarnaCredentials | None:
    """The credentials this admin checked on Continue, unless that was too long ago."""
    state = session.get(WIZARD_KEY)
    if not isinstance(state, dict) or state.get("user") != current_user.id \
            or time.time() - state.get("at", 0) > WIZARD_MAX_AGE:
        return None
    return setup.KlarnaCredentials(state["merchant_id"], state["environment"], state["region"], state["secret"])


# Step 3 (Klarna): settings, saved as a hidden method --------------------------------------------

@bp.route("/settings/payment-methods/new/klarna/settings", methods=["GET", "POST"])
def klarna_method_settings():
    checked = _remembered()
    if checked is None:
        flash(_("Enter the Klarna credentials first: Continue checks them with Klarna."), "info")
        return go_to(url_for("admin.klarna_method_new"))
    form = klarna_form(None, checked)
    if not posted():
        return klarna_page(form, checked)
    if not form.validate_on_submit():
        return klarna_page(form, checked, status=422)
    try:
        credentials = rechecked(form, checked)
    except ProviderError as error:
        return klarna_page(form, checked, status=422, failure=CheckFailure.of(error, form.environment.data))
    method = PaymentMethod(name=form.name.data, provider="klarna")
    apply_klarna(method, form, credentials)
    session.pop(WIZARD_KEY, None)
    return go_to(list_url(method), _("%(method)s is saved and hidden in every shop version. Try it with a test "
                                     "order in the shop, then show it in the shop versions you choose.",
                                     method=method.name))


@bp.route("/settings/payment-methods/new/manual", methods=["GET", "POST"])
def manual_method_new():
    form = manual_form(None)
    if not posted():
        return manual_page(form)
    if not form.validate_on_submit():
        return manual_page(form, status=422)
    method = PaymentMethod(name=form.name.data, provider="manual")
    apply_manual(method, form)
    return go_to(list_url(method), _("%(method)s is saved and hidden in every shop version.", method=method.name))


# An existing method ------------------------------------------------------------------------------

@bp.route("/settings/payment-methods/<int:method_id>", methods=["GET", "POST"])
def payment_method_edit(method_id: int):
    method = db().get(PaymentMethod, method_id) or abort(404)
    return _edit_klarna(method) if method.provider == "klarna" else _edit_manual(method)


def _edit_klarna(method: PaymentMethod):
    current = setup.KlarnaCredentials.of(method)
    form = klarna_form(method, current)
    if not posted():
        return klarna_page(form, current, method=method)
    if not form.validate_on_submit():
        return klarna_page(form, current, method=method, status=422)
    conflicts = _published_where_impossible(method, form)
    if conflicts:
        return klarna_page(form, current, method=method, status=409, conflicts=conflicts)
    try:
        credentials = rechecked(form, current)
    except ProviderError as error:
        return klarna_page(form, current, method=method, status=422,
                           failure=CheckFailure.of(error, form.environment.data))
    apply_klarna(method, form, credentials)
    return done(_("%(method)s is saved.", method=method.name), list_url(method), KLARNA_FORM,
                **klarna_context(klarna_form(method, credentials, use_post=False), credentials, method=method))


def _published_where_impossible(method: PaymentMethod, form: KlarnaSettingsForm) -> list[str]:
    """Another environment or region must still serve every shop version the method is shown in."""
    settings = {**method.settings, "environment": form.environment.data, "region": form.region.data}
    versions = db().exec(select(ShopVersion).where(ShopVersion.id.in_(method.published_version_ids))).all()
    reasons = ((version, setup.klarna_unavailable_reason(settings, version)) for version in versions)
    return [_("%(method)s is shown in %(version)s: %(reason)s Hide it there first.", method=method.name,
              version=version.name, reason=reason) for version, reason in reasons if reason]


def _edit_manual(method: PaymentMethod):
    form = manual_form(method)
    if not posted():
        return manual_page(form, method=method)
    if not form.validate_on_submit():
        return manual_page(form, method=method, status=422)
    apply_manual(method, form)
    return done(_("%(method)s is saved.", method=method.name), list_url(method), MANUAL_FORM,
                form=manual_form(method, use_post=False), method=method)
