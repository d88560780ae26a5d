"""Klarna API client: Klarna Payments, Hosted Payment Page and Order Management (API.md).

Uses `requests` and the standard library only; knows nothing about the rest of the shop.
"""
from .client import KlarnaClient
from .errors import (
    KlarnaAuthenticationError,
    KlarnaBadRequest,
    KlarnaConflict,
    KlarnaConnectionError,
    KlarnaError,
    KlarnaForbidden,
    KlarnaNotFound,
    KlarnaRateLimited,
    KlarnaServerError,
    KlarnaTimeout,
    KlarnaUnprocessable,
)
from .order_management import Created
from .records import CallRecord
from .urls import base_url_for

__all__ = [
    "CallRecord",
    "Created",
    "KlarnaAuthenticationError",
    "KlarnaBadRequest",
    "KlarnaClient",
    "KlarnaConflict",
    "KlarnaConnectionError",
    "KlarnaError",
    "KlarnaForbidden",
    "KlarnaNotFound",
    "KlarnaRateLimited",
    "KlarnaServerError",
    "KlarnaTimeout",
    "KlarnaUnprocessable",
    "base_url_for",
]
