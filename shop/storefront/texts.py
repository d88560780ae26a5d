"""Catalogue texts in the shopper's language: the version's, else the default version's, else the record's own."""
from __future__ import annotations

from flask import current_app, g

from shop.db import get_engine
from shop.models import LocalText
from shop.models.texts import Translatable

from .catalog import text_languages
from .reference import reference


def shopper_languages() -> tuple[str, ...]:
    if "shop_text_languages" not in g:
        g.shop_text_languages = text_languages(g.shop_version, reference(get_engine()).versions,
                                               current_app.config.get("DEFAULT_VERSION"))
    return g.shop_text_languages


def catalogue_text(record: Translatable) -> LocalText:
    return record.in_language(shopper_languages())


def name_of(record: Translatable) -> str:
    return catalogue_text(record).name
