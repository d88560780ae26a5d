"""Catalogue pages: the version redirect, front page, category and product pages."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for

from shop.db import db
from shop.models import Product

from . import bp
from .catalog import default_version, product_by_slug
from .context import shop_categories, shop_versions
from .forms import QuantityForm
from .fragments import product_listing


@bp.get("/")
def root():
    version = default_version(shop_versions(), current_app.config.get("DEFAULT_VERSION"))
    if version is None:
        abort(404)
    return redirect(url_for("storefront.front", version_code=version.code), code=302)


@bp.get("/<version:version_code>/")  # the one rule a single segment reaches
def front():
    return render_template("storefront/catalog/front.html", categories=shop_categories(),
                           listing=product_listing(None, _page()))


@bp.get("/<version_code>/c/<slug>")
def category(slug: str):
    found = next((item for item in shop_categories() if item.slug == slug), None)  # the header loaded them
    if found is None:
        abort(404)
    return render_template("storefront/catalog/category.html", category=found,
                           listing=product_listing(found, _page()))


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("/<version_code>/p/<slug>")
def product(slug: str):
    found = product_by_slug(db(), slug)
    if found is None:
        abort(404)
    return render_product(found, QuantityForm(formdata=None))


def render_product(found: Product, form: QuantityForm, status: int = 200) -> tuple[str, int]:
    category = next((item for item in shop_categories() if item.id == found.category_id), None)
    return render_template("storefront/catalog/product.html", product=found, form=form, category=category), status
