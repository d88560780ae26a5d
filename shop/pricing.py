"""Prices in a shop version: its price list, else the EUR base price converted and rounded by its rule.

A PriceList is everything needed to price a product or shipping method in one version without
another query: the storefront keeps one per version in its reference cache
(shop.storefront.reference), the admin loads one per request with `load_price_list`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, select

from .models import Product, ShippingMethod, ShopVersion, VersionProductPrice, VersionShippingPrice
from .money import convert_rounded


@dataclass(frozen=True)
class PriceList:
    version_id: int
    currency: str
    exchange_rate: Decimal
    rounding: str
    products: Mapping[int, int] = field(default_factory=dict)  # product id -> explicit price
    shipping: Mapping[int, int] = field(default_factory=dict)  # shipping method id -> explicit price

    def derived(self, base_price: int) -> int:
        return convert_rounded(base_price, self.exchange_rate, self.currency, self.rounding)

    def product_price(self, product: Product) -> int:
        explicit = self.products.get(product.id)
        return self.derived(product.price) if explicit is None else explicit

    def shipping_price(self, method: ShippingMethod) -> int:
        explicit = self.shipping.get(method.id)
        return self.derived(method.price) if explicit is None else explicit


def load_price_list(session: Session, version: ShopVersion, *, product_ids: Iterable[int] | None = None) -> PriceList:
    """The version's price list from the database; with `product_ids`, only those products' prices."""
    products = select(VersionProductPrice.product_id, VersionProductPrice.price) \
        .where(VersionProductPrice.version_id == version.id)
    if product_ids is not None:
        products = products.where(VersionProductPrice.product_id.in_(list(product_ids)))  # type: ignore[attr-defined]
    shipping = select(VersionShippingPrice.shipping_method_id, VersionShippingPrice.price) \
        .where(VersionShippingPrice.version_id == version.id)
    return PriceList(version.id, version.currency, version.exchange_rate, version.price_rounding,
                     dict(session.exec(products).all()), dict(session.exec(shipping).all()))


def load_price_lists(session: Session, versions: Iterable[ShopVersion]) -> dict[int, PriceList]:
    """Every price list of `versions`, in two queries."""
    versions = list(versions)
    ids = [version.id for version in versions]
    products: dict[int, dict[int, int]] = {version_id: {} for version_id in ids}
    shipping: dict[int, dict[int, int]] = {version_id: {} for version_id in ids}
    if ids:
        for row in session.exec(select(VersionProductPrice).where(VersionProductPrice.version_id.in_(ids))):  # type: ignore[attr-defined]
            products[row.version_id][row.product_id] = row.price
        for row in session.exec(select(VersionShippingPrice).where(VersionShippingPrice.version_id.in_(ids))):  # type: ignore[attr-defined]
            shipping[row.version_id][row.shipping_method_id] = row.price
    return {version.id: PriceList(version.id, version.currency, version.exchange_rate, version.price_rounding,
                                  products[version.id], shipping[version.id]) for version in versions}
