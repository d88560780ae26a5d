from flask import Blueprint
from werkzeug.routing import BaseConverter

from shop.error_pages import register_area

bp = Blueprint("storefront", __name__)


class VersionCodeConverter(BaseConverter):
    """A shop version's code: one path segment without a dot. A root file such as /sitemap.xml or
    /apple-touch-icon.png is then a plain 404, not taken for a version and redirected to a slashed URL."""

    regex = r"[^/.]+"


# Deferred like the routes below, and recorded before them: the converter exists when they are added.
bp.record_once(lambda state: state.app.url_map.converters.setdefault("version", VersionCodeConverter))

from . import cart, checkout, context, klarna, languages, views  # noqa: E402,F401  (routes and hooks register on bp)
from .errors import STOREFRONT_ERRORS  # noqa: E402

bp.record_once(lambda state: register_area(state.app, STOREFRONT_ERRORS))
