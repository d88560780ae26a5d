"""How the payment-method pages render their forms and apply them (routes: payment_method_setup.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from shop.crypto import mask
from shop.db import db
from shop.models import PaymentMethod, PaymentMethodText
from shop.payments import setup
from shop.payments.common import ProviderError
from shop.payments.gateway import current_gateway

from .common import render, wants_partial
from .forms import PLACE_ORDER_MODE_LABELS, KlarnaSettingsForm, ManualMethodForm
from .text_forms import LanguageInstructionsForm, LanguageNameForm, apply_texts, show_texts, with_texts

ManualTextsForm = with_texts(ManualMethodForm, LanguageInstructionsForm)
KlarnaTextsForm = with_texts(KlarnaSettingsForm, LanguageNameForm)

PAGE = "admin/settings/payment_method.html"
PROVIDER_STEP = "admin/settings/_payment_method_provider.html"
CREDENTIALS_STEP = "admin/settings/_klarna_credentials_form.html"
KLARNA_FORM = "admin/settings/_klarna_settings_form.html"
MANUAL_FORM = "admin/settings/_manual_method_form.html"
PLACE_ORDER_MODE_HINTS = {mode: hint for mode, (_label, hint) in PLACE_ORDER_MODE_LABELS.items()}


@dataclass(frozen=True)
class CheckFailure:
    """What the merchant reads when Klarna's check did not pass: Klarna's own words when it answered, else ours."""

    headline: str
    message: str | None
    correlation_id: str | None

    @classmethod
    def of(cls, error: ProviderError, environment: str) -> "CheckFailure":
        if isinstance(error, setup.CredentialsRefused):
            headline = _("Klarna did not accept these credentials. Check the merchant ID and the shared secret, "
                         "and that they belong to the chosen environment and region.")
        elif error.outcome_unknown and error.klarna_answered:
            headline = _("Klarna answered with an error, so the credentials were not checked. "
                         "Nothing was saved: try again in a moment.")
        elif error.outcome_unknown:  # no answer: the transport's text (hosts, exception names) is for the log
            return cls(f'{_unreachable(environment)} {_("The credentials were not checked; nothing was saved.")}',
                       None, None)
        else:
            headline = _("The credentials could not be checked. Nothing was saved.")
        return cls(headline, error.message, error.correlation_id)


def _unreachable(environment: str) -> str:
    """No answer from the chosen environment, in one sentence that says what to do."""
    if environment == "simulator":
        return _("The Klarna simulator did not answer: try again in a moment.")
    offline = "simulator" in setup.environments(current_gateway())
    if environment == "production":
        if offline:
            return _("Klarna's production environment could not be reached: "
                     "check the network or choose the simulator.")
        return _("Klarna's production environment could not be reached: check the network and try again.")
    if offline:
        return _("Klarna's playground could not be reached: check the network or choose the simulator.")
    return _("Klarna's playground could not be reached: check the network and try again.")


def posted() -> bool:
    return request.method == "POST"


def list_url(method: PaymentMethod | None = None) -> str:
    anchor = f"#payment-method-{method.id}" if method is not None else ""
    return url_for("admin.payment_methods") + anchor


def page(partial: str, title: str, *, status: int = 200, **context: Any):
    return render(PAGE, partial, status=status, step=partial, title=title, **context)


def advance(url: str, next_step: Callable[[], tuple[str, int]]):
    """On to the next step: a redirect, or for htmx the step itself with the URL it lives at."""
    if not wants_partial():
        return redirect(url, code=303)
    body, status = next_step()
    return body, status, {"HX-Push-Url": url}


def save(method: PaymentMethod) -> None:
    session = db()
    session.add(method)
    session.commit()
    session.refresh(method)


def next_position() -> int:
    highest = db().exec(select(func.max(PaymentMethod.position))).one()
    return (highest or 0) + 1


# Klarna ----------------------------------------------------------------------------------------

def klarna_form(method: PaymentMethod | None, checked: setup.KlarnaCredentials, *,
                use_post: bool = True) -> KlarnaSettingsForm:
    """What was posted, or else the stored values (the checked credentials for a new method)."""
    if use_post and posted():
        form = KlarnaTextsForm()
    else:
        form = KlarnaTextsForm(formdata=None, data={**_stored_values(method), **checked.settings})
        if method is not None:
            show_texts(form, method)
    return form.offer_environments(setup.environments(current_gateway()))


def _stored_values(method: PaymentMethod | None) -> dict[str, Any]:
    if method is None:
        return {"position": next_position()}
    settings = method.settings
    return {"name": method.name, "position": method.position, "categories": settings.get("categories") or [],
            "place_order_mode": settings.get("place_order_mode") or "NONE",
            "auto_extend": bool(settings.get("auto_extend"))}


def klarna_context(form: KlarnaSettingsForm, checked: setup.KlarnaCredentials, *,
                   method: PaymentMethod | None = None, failure: CheckFailure | None = None,
                   conflicts: list[str] | None = None) -> dict[str, Any]:
    return {"form": form, "method": method, "failure": failure, "conflicts": conflicts or [],
            "stored_secret": mask(checked.secret_encrypted), "place_order_mode_hints": PLACE_ORDER_MODE_HINTS}


def klarna_page(form: KlarnaSettingsForm, checked: setup.KlarnaCredentials, *, method: PaymentMethod | None = None,
                status: int = 200, **problems: Any):
    title = method.name if method is not None else _("New Klarna payment method")
    return page(KLARNA_FORM, title, status=status, **klarna_context(form, checked, method=method, **problems))


def rechecked(form: KlarnaSettingsForm, current: setup.KlarnaCredentials) -> setup.KlarnaCredentials:
    """The credentials to store; raises ProviderError when Klarna does not accept changed ones."""
    return setup.recheck(current_gateway(), current, form.merchant_id.data, form.environment.data,
                         form.region.data, form.secret.data or None)


def apply_klarna(method: PaymentMethod, form: KlarnaSettingsForm, credentials: setup.KlarnaCredentials) -> None:
    method.name = form.name.data
    method.position = form.position.data
    method.settings = {**method.settings, **setup.klarna_settings(
        credentials, categories=form.categories.data or [], place_order_mode=form.place_order_mode.data,
        auto_extend=form.auto_extend.data)}
    method.secret_encrypted = credentials.secret_encrypted
    apply_texts(form, method, PaymentMethodText)
    save(method)


# Manual ----------------------------------------------------------------------------------------

def manual_form(method: PaymentMethod | None, *, use_post: bool = True) -> ManualMethodForm:
    if use_post and posted():
        return ManualTextsForm()
    if method is None:
        return ManualTextsForm(data={"position": next_position()})
    form = ManualTextsForm(data={"name": method.name, "position": method.position,
                                 "instructions": method.settings.get("instructions", "")})
    show_texts(form, method)
    return form


def manual_page(form: ManualMethodForm, *, method: PaymentMethod | None = None, status: int = 200):
    title = method.name if method is not None else _("New payment method")
    return page(MANUAL_FORM, title, status=status, form=form, method=method)


def apply_manual(method: PaymentMethod, form: ManualMethodForm) -> None:
    method.name = form.name.data
    method.position = form.position.data
    method.settings = {**method.settings, "instructions": form.instructions.data or ""}
    apply_texts(form, method, PaymentMethodText)
    save(method)
