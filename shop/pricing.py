"""Prices in a shop version: EUR base prices converted and rounded, VAT per tax class."""
from __future__ import annotations

from .models import Product, ShippingMethod, ShopVersion
from .money import BASE_CURRENCY, convert_from_base


def local_price(base_price: int, version: ShopVersion) -> int:
    if version.currency == BASE_CURRENCY:
        return base_price
    return convert_from_base(base_price, version.exchange_rate, version.currency)


def product_price(product: Product, version: ShopVersion) -> int:
    return local_price(product.price, version)


def shipping_price(method: ShippingMethod, version: ShopVersion) -> int:
    return local_price(method.price, version)
