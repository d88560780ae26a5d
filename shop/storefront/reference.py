"""Shop versions (with their VAT rates and price lists) and categories, kept per process.

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

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shop.models import Category, ShopVersion, VatRate, VersionProductPrice, VersionShippingPrice
from shop.pricing import PriceList, load_price_lists

from .catalog import active_versions, categories

CACHE_SECONDS = 10.0
REFERENCE_MODELS = (ShopVersion, VatRate, Category, VersionProductPrice, VersionShippingPrice)
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


def _touches_reference(instances) -> bool:
    return any(isinstance(instance, REFERENCE_MODELS) for instance in instances)


@event.listens_for(Session, "after_flush")
def _note_changes(session, _flush_context) -> None:
    if _touches_reference(session.new) or _touches_reference(session.dirty) or _touches_reference(session.deleted):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete or state.is_insert) and mapper is not None \
            and mapper.class_ in REFERENCE_MODELS:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _drop_on_commit(session) -> None:
    if session.info.pop(_CHANGED, False):
        engine = session.get_bind()
        forget(getattr(engine, "engine", engine))


@event.listens_for(Session, "after_rollback")
def _keep_on_rollback(session) -> None:
    session.info.pop(_CHANGED, None)
