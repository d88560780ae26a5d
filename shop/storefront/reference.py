"""Shop versions (with their VAT rates and price lists) and categories (with their texts), kept per process.

Every storefront request needs them and merchants rarely change them. A commit that changes one
(admin settings, the catalogue admin, demo data) drops this process's copy at once; other worker
processes reload theirs within CACHE_SECONDS. The cached rows are detached from any session and
only read: views use them for ids, codes, names, rates and prices.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session

from shop.models import Category, CategoryText, ShopVersion, VatRate, VersionProductPrice, VersionShippingPrice
from shop.pricing import PriceList, load_price_lists

from .catalog import active_versions, categories
from .committed_changes import after_committed_changes

CACHE_SECONDS = 10.0
REFERENCE_MODELS = (ShopVersion, VatRate, Category, CategoryText, VersionProductPrice, VersionShippingPrice)
_CHANGED = "storefront_reference_changed"


@dataclass(frozen=True)
class Reference:
    versions: list[ShopVersion]
    categories: list[Category]
    price_lists: dict[int, PriceList]  # by version id
    loaded_at: float


_cache: WeakKeyDictionary[Engine, Reference] = WeakKeyDictionary()
_lock = threading.Lock()


def reference(engine: Engine) -> Reference:
    cached = _cache.get(engine)
    if cached is None or time.monotonic() - cached.loaded_at > CACHE_SECONDS:
        with _lock:
            cached = _load(engine)
            _cache[engine] = cached
    return cached


def forget(engine: Engine) -> None:
    _cache.pop(engine, None)


def _load(engine: Engine) -> Reference:
    with Session(engine, expire_on_commit=False) as session:
        versions = active_versions(session)
        loaded_categories = categories(session)
        price_lists = load_price_lists(session, versions)
        session.expunge_all()
    return Reference(versions, loaded_categories, price_lists, time.monotonic())


after_committed_changes(_CHANGED, lambda model: issubclass(model, REFERENCE_MODELS), forget)
