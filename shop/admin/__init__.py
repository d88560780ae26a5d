"""The merchant's admin under /admin: login, orders, catalogue and settings."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import auth, catalog, common, orders, payment_method_setup, payments, returns, settings  # noqa: E402,F401  (routes register on bp)
from . import order_edits, payment_balance  # noqa: E402,F401  (order edits, payment transactions together)
from . import mail_pages  # noqa: E402,F401  (sent e-mails)
from . import attention, payment_links, phone_orders  # noqa: E402,F401  (phone orders, payment links, Needs attention)
from . import product_images  # noqa: E402,F401  (the Images section of a product's page)
