"""The shop version of a request (from the URL prefix) and what every storefront page shows."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, g
from flask_babel import refresh as refresh_locale

from shop.db import db, get_engine
from shop.models import Category, ShopVersion
from shop.pricing import PriceList, load_price_list

from . import bp, carts
from .reference import reference
from .texts import catalogue_text

VERSION_ARG = "version_code"
REQUEST_STATE = ("shop_version", "shop_prices", "shop_versions", "shop_categories", "shop_cart",
                 "shop_text_languages")


def shop_versions() -> list[ShopVersion]:
    """The active versions, from the process's cache (shop.storefront.reference)."""
    if "shop_versions" not in g:
        g.shop_versions = reference(get_engine()).versions
    return g.shop_versions


def current_version() -> ShopVersion:
    return g.shop_version


def current_prices() -> PriceList:
    """The current version's price list, from the process's cache like the version itself; one per request."""
    if "shop_prices" not in g:
        version = current_version()
        cached = reference(get_engine()).price_lists.get(version.id)
        g.shop_prices = cached if cached is not None else load_price_list(db(), version)
    return g.shop_prices


@bp.app_url_value_preprocessor
def forget_previous_request(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """g outlives a request when the caller keeps one app context around several (test clients do)."""
    for key in REQUEST_STATE:
        g.pop(key, None)
    refresh_locale()  # the locale follows the version, which may differ from the previous request's


@bp.url_value_preprocessor
def resolve_version(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if not values or VERSION_ARG not in values:
        return
    code = values.pop(VERSION_ARG)
    version = next((v for v in shop_versions() if v.code == code), None)
    if version is None:
        abort(404)
    g.shop_version = version  # shop.i18n picks the storefront language from it


@bp.url_defaults
def add_version(endpoint: str, values: dict[str, Any]) -> None:
    version = g.get("shop_version")
    if version is not None and VERSION_ARG not in values \
            and current_app.url_map.is_endpoint_expecting(endpoint, VERSION_ARG):
        values[VERSION_ARG] = version.code


def shop_categories() -> list[Category]:
    if "shop_categories" not in g:
        g.shop_categories = reference(get_engine()).categories
    return g.shop_categories


def _cart_item_count() -> int:
    cart = carts.current_cart(db(), current_version())
    return carts.item_count(cart)


@bp.context_processor
def storefront_globals() -> dict[str, Any]:
    """Callables, so a partial that does not show the header runs no header queries."""
    return {
        "shop_name": current_app.config.get("SHOP_NAME") or "Nordshop",
        "shop_versions": shop_versions,
        "shop_categories": shop_categories,
        "text_of": catalogue_text,
        "cart_item_count": _cart_item_count,
        "price_of": lambda product: current_prices().product_price(product),
        "shipping_price": lambda method: current_prices().shipping_price(method),
        "vat_rate_of": lambda item: current_version().rate_for(item.tax_class),
        "is_available": carts.is_available,
        "max_quantity": carts.max_quantity,
    }
