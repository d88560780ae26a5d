"""The language switcher: every shop version named by its language, in that language, leading to the
same page in that version where it has one (the front page otherwise)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import g, request, url_for

from shop.models import ShopVersion

from . import bp
from .context import current_version, shop_versions

# Pages every version has under the same address; an order or a payment belongs to one version only.
SAME_PAGE_ENDPOINTS = {"storefront.front", "storefront.category", "storefront.product", "storefront.cart_page"}


@dataclass(frozen=True)
class LanguageLink:
    name: str
    language: str  # the link text's lang
    locale: str  # the target page's hreflang
    url: str
    current: bool


def language_name(version: ShopVersion, versions: list[ShopVersion]) -> str:
    """"Suomi", "Svenska", "English"; two versions in one language are told apart by their names."""
    try:
        name = Locale.parse(version.language).language_name or version.name
    except (ValueError, UnknownLocaleError):
        name = version.name
    name = name[:1].upper() + name[1:]
    sharing = sum(1 for other in versions if other.language == version.language)
    return name if sharing == 1 or name == version.name else f"{name} ({version.name})"


def _url_in(version: ShopVersion) -> str:
    if request.endpoint not in SAME_PAGE_ENDPOINTS or g.get("shop_error_page"):
        return url_for("storefront.front", version_code=version.code)
    arguments: dict[str, Any] = dict(request.view_args or {})
    page = request.args.get("page", type=int)
    if page and page > 1:
        arguments["page"] = page
    return url_for(request.endpoint, **arguments, version_code=version.code)


def language_links() -> list[LanguageLink]:
    versions, current = shop_versions(), current_version()
    return [LanguageLink(language_name(version, versions), version.language, version.locale.replace("_", "-"),
                         _url_in(version), version.id == current.id) for version in versions]


@bp.context_processor
def language_switcher() -> dict[str, Any]:
    return {"language_links": language_links}  # a callable: a partial without the header computes nothing
