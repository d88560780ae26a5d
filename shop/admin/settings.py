"""Settings: shop versions (currency, exchange rate, VAT) and where each payment method is shown.

The payment methods page is built to grow: a route here renders a table partial, and the
templates leave two include points for more (admin/settings/_payment_methods_toolbar.html
above the table, admin/settings/_payment_method_actions.html in each row).
"""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import select
from wtforms import SelectChoice

from shop.db import db
from shop.models import TAX_CLASSES, PaymentMethod, PaymentMethodVersion, ShopVersion, VatRate
from shop.money import BASE_CURRENCY
from shop.payments.setup import unavailable_reason
from shop.web import done

from . import bp
from .common import render
from .forms import PublishForm, shop_version_form_class

PAYMENT_METHODS_PAGE = "admin/settings/payment_methods.html"
PAYMENT_METHODS_TABLE = "admin/settings/_payment_methods_table.html"
SHOP_VERSION_PAGE = "admin/settings/shop_version.html"
SHOP_VERSION_FORM = "admin/settings/_shop_version_form.html"


def _versions() -> list[ShopVersion]:
    return db().exec(select(ShopVersion).order_by(ShopVersion.position, ShopVersion.id)
                     .options(selectinload(ShopVersion.vat_rates))).all()


@bp.get("/settings/shop-versions")
def shop_versions():
    return render_template("admin/settings/shop_versions.html", versions=_versions(), tax_classes=TAX_CLASSES,
                           base_currency=BASE_CURRENCY)


@bp.route("/settings/shop-versions/<int:version_id>", methods=["GET", "POST"])
def shop_version_edit(version_id: int):
    version = db().get(ShopVersion, version_id) or abort(404)
    form = _shop_version_form(version)
    if request.method == "POST":
        if not form.validate_on_submit() or not _rules_hold(form, version):
            return _shop_version_page(form, version, status=422)
        _apply_shop_version(form, version)
        return done(_("Shop version saved."), url_for("admin.shop_versions"), SHOP_VERSION_FORM,
                    **_shop_version_context(_shop_version_form(version, formdata=None), version))
    return _shop_version_page(form, version)


def _shop_version_form(version: ShopVersion, **kwargs):
    rates = {rate.tax_class: rate.rate for rate in version.vat_rates}
    return shop_version_form_class()(obj=version, **{f"vat_{c}": rates.get(c) for c in TAX_CLASSES}, **kwargs)


def _shop_version_context(form, version: ShopVersion) -> dict:
    return {"form": form, "version": version, "tax_classes": TAX_CLASSES,
            "is_base_currency": version.currency == BASE_CURRENCY, "base_currency": BASE_CURRENCY}


def _shop_version_page(form, version: ShopVersion, *, status: int = 200):
    return render(SHOP_VERSION_PAGE, SHOP_VERSION_FORM, status=status, **_shop_version_context(form, version))


def _rules_hold(form, version: ShopVersion) -> bool:
    """What the fields cannot know alone: the base currency's rate, and the default version."""
    ok = True
    if version.currency == BASE_CURRENCY and form.exchange_rate.data != 1:
        form.exchange_rate.errors.append(_("Prices are in %(currency)s: this rate is always 1.",
                                           currency=BASE_CURRENCY))
        ok = False
    if version.is_default and not form.active.data:
        form.active.errors.append(_("The default shop version cannot be deactivated."))
        ok = False
    return ok


def _apply_shop_version(form, version: ShopVersion) -> None:
    session = db()
    version.name = form.name.data.strip()
    version.exchange_rate = form.exchange_rate.data
    version.price_rounding = form.price_rounding.data
    version.active = form.active.data
    rates = {rate.tax_class: rate for rate in version.vat_rates}
    for tax_class in TAX_CLASSES:
        rate = rates.get(tax_class) or VatRate(version_id=version.id, tax_class=tax_class, rate=0)
        rate.rate = form[f"vat_{tax_class}"].data
        session.add(rate)
    session.add(version)
    session.commit()
    session.refresh(version)


def _payment_methods_context(**extra) -> dict:
    methods = db().exec(select(PaymentMethod).order_by(PaymentMethod.position, PaymentMethod.id)
                        .options(selectinload(PaymentMethod.versions))).all()
    versions = _versions()
    return {"methods": methods, "versions": versions, "publish_errors": {},
            "unavailable": _unavailable(methods, versions), **extra}


def _unavailable(methods: list[PaymentMethod], versions: list[ShopVersion]) -> dict[tuple[int, int], str]:
    """(method id, version id) -> why the method cannot be offered in that version (Klarna's markets)."""
    pairs = ((method, version) for method in methods for version in versions)
    reasons = {(method.id, version.id): unavailable_reason(method, version) for method, version in pairs}
    return {key: reason for key, reason in reasons.items() if reason}


@bp.get("/settings/payment-methods")
def payment_methods():
    return render(PAYMENT_METHODS_PAGE, PAYMENT_METHODS_TABLE, **_payment_methods_context())


@bp.post("/settings/payment-methods/<int:method_id>/versions")
def payment_method_publish(method_id: int):
    """Show the method in exactly the shop versions ticked."""
    session = db()
    method = session.get(PaymentMethod, method_id) or abort(404)
    form = PublishForm()
    versions = _versions()
    form.versions.choices = [SelectChoice(version.id, version.name) for version in versions]
    if not form.validate_on_submit():
        errors = {method.id: [error for errors in form.errors.values() for error in errors]}
        return render(PAYMENT_METHODS_PAGE, PAYMENT_METHODS_TABLE, status=422,
                      **_payment_methods_context(publish_errors=errors))
    refusals = _refusals(method, [version for version in versions if version.id in (form.versions.data or [])])
    if refusals:
        return render(PAYMENT_METHODS_PAGE, PAYMENT_METHODS_TABLE, status=422,
                      **_payment_methods_context(publish_errors={method.id: refusals}))
    _publish(method, set(form.versions.data or []))
    message = _("%(method)s is shown in the selected shop versions.", method=method.name) if form.versions.data \
        else _("%(method)s is hidden in every shop version.", method=method.name)
    return done(message, url_for("admin.payment_methods"), PAYMENT_METHODS_TABLE, **_payment_methods_context())


def _refusals(method: PaymentMethod, chosen: list[ShopVersion]) -> list[str]:
    """The shop versions the method cannot be offered in: publishing there is refused, not skipped."""
    reasons = ((version, unavailable_reason(method, version)) for version in chosen)
    return [_("%(method)s cannot be shown in %(version)s: %(reason)s", method=method.name, version=version.name,
              reason=reason) for version, reason in reasons if reason]


def _publish(method: PaymentMethod, version_ids: set[int]) -> None:
    for link in [link for link in method.versions if link.version_id not in version_ids]:
        method.versions.remove(link)  # delete-orphan removes the row
    for version_id in sorted(version_ids - method.published_version_ids):
        method.versions.append(PaymentMethodVersion(version_id=version_id))
    session = db()
    session.add(method)
    session.commit()
