"""The merchant's admin under /admin: login, orders, catalogue and settings."""
from flask import Blueprint, g, request

from shop.error_pages import ErrorArea, register_area

bp = Blueprint("admin", __name__)


def _error_area(url_prefix: str) -> ErrorArea:
    def enter() -> bool:
        if request.blueprint != "admin" and request.path != url_prefix \
                and not request.path.startswith(url_prefix + "/"):
            return False
        g.admin_error_page = True  # an unmatched URL has no blueprint: shop.i18n still picks the admin's language
        return True

    return ErrorArea(blueprint="admin", layout="admin/layout.html", home_endpoint="admin.home", enter=enter)


bp.record_once(lambda state: register_area(state.app, _error_area(state.url_prefix or "")))

from . import auth, catalog, common, orders, payment_method_setup, payments, returns, settings  # noqa: E402,F401  (routes register on bp)
from . import order_edits, payment_balance  # noqa: E402,F401  (order edits, payment transactions together)
from . import mail_pages  # noqa: E402,F401  (sent e-mails)
from . import attention, payment_links, phone_orders  # noqa: E402,F401  (phone orders, payment links, Needs attention)
from . import categories  # noqa: E402,F401  (the catalogue's categories)
from . import price_lists  # noqa: E402,F401  (a shop version's own prices)
from . import product_images  # noqa: E402,F401  (the Images section of a product's page)
