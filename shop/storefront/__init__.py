from flask import Blueprint

bp = Blueprint("storefront", __name__)

from . import cart, checkout, context, klarna, views  # noqa: E402,F401  (routes and hooks register on bp)
