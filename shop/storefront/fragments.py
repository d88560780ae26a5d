"""Rendered product listings (cards and pages), kept per process and keyed by the catalogue's generation.

A listing's HTML depends on the shop version, the language, the URL (page, category) and the catalogue
rows (products, categories, prices, VAT rates, translations, images: any table named in
CATALOGUE_TABLES or starting with one of CATALOGUE_PREFIXES). A commit that writes such a row bumps
this process's generation, so the next page renders afresh; other worker processes re-render within
CACHE_SECONDS, like the shop versions in `reference`. The per-request parts stay outside: the CSRF
token is a placeholder in the cached HTML, replaced per request; the cart badge is in the header.
"""
from __future__ import annotations

import threading
import time
from weakref import WeakKeyDictionary

from flask import render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.engine import Engine

from shop.db import db, get_engine
from shop.models import Category

from .catalog import products
from .committed_changes import after_committed_changes
from .context import current_version

LISTING = "storefront/catalog/_listing.html"
TOKEN_PLACEHOLDER = "\x00csrf-token\x00"
CACHE_SECONDS = 10.0
MAX_ENTRIES = 256  # URLs with odd query strings must not grow a worker's memory
CATALOGUE_TABLES = frozenset({"product", "category", "shop_version", "vat_rate", "version_product_price",
                              "version_shipping_price"})
CATALOGUE_PREFIXES = ("product_", "price", "category_")

_generations: WeakKeyDictionary[Engine, int] = WeakKeyDictionary()
_listings: WeakKeyDictionary[Engine, dict[tuple, tuple[float, str]]] = WeakKeyDictionary()
_lock = threading.Lock()


def generation(engine: Engine) -> int:
    return _generations.get(engine, 0)


def product_listing(category: Category | None, page: int) -> Markup:
    """The product cards and page links of the request's URL, rendered once per generation."""
    engine = get_engine()
    key = (generation(engine), current_version().code, str(get_locale()), request.full_path)
    cached = _listings.get(engine, {}).get(key)
    if cached is None or time.monotonic() - cached[0] > CACHE_SECONDS:
        listing = products(db(), category, page=page)
        html = render_template(LISTING, listing=listing, products=listing.items, card_token=TOKEN_PLACEHOLDER)
        cached = (time.monotonic(), html)
        with _lock:
            kept = _listings.setdefault(engine, {})
            if len(kept) >= MAX_ENTRIES:
                kept.clear()
            kept[key] = cached
    return Markup(cached[1].replace(TOKEN_PLACEHOLDER, generate_csrf()))


def is_catalogue_table(name: str) -> bool:
    return name in CATALOGUE_TABLES or name.startswith(CATALOGUE_PREFIXES)


def _bump(engine: Engine) -> None:
    with _lock:
        _generations[engine] = generation(engine) + 1
        _listings.pop(engine, None)


after_committed_changes("storefront_catalogue_changed",
                        lambda model: is_catalogue_table(getattr(model, "__tablename__", "")), _bump)
