"""Error pages inside the storefront: the shop version named by the URL, else the default one, with its
header, navigation and cart (shop.error_pages)."""
from __future__ import annotations

from flask import current_app, g, request

from shop.error_pages import ErrorArea

from .catalog import default_version
from .context import shop_versions


def _version_in_path():
    first_segment = request.path.lstrip("/").partition("/")[0]
    return next((version for version in shop_versions() if version.code == first_segment), None)


def enter_error_page() -> bool:
    if g.get("shop_version") is None:
        version = _version_in_path() or default_version(shop_versions(), current_app.config.get("DEFAULT_VERSION"))
        if version is None:
            return False
        g.shop_version = version
    g.shop_error_page = True  # the language links lead to the other versions' front pages
    return True


STOREFRONT_ERRORS = ErrorArea(blueprint="storefront", layout="storefront/layout.html",
                              home_endpoint="storefront.front", enter=enter_error_page, default=True)
