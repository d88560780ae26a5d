"""Storefront queries: shop versions, catalogue, shipping and payment methods.

Every list loads what its page shows in a fixed number of queries, whatever the
number of rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import exists, func
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from shop.catalog_texts import lookup_languages
from shop.payments import markets
from shop.models import (
    Category, Order, PaymentMethod, PaymentMethodVersion, Product, ProductImage, ShippingMethod, ShopVersion,
)

# A card or product page shows the main image with its alt text: one query for the whole page.
WITH_IMAGES = selectinload(Product.images).joinedload(ProductImage.texts)  # type: ignore[arg-type]


def active_versions(session: Session) -> list[ShopVersion]:
    """The active shop versions with their VAT rates, in the merchant's order."""
    return list(session.exec(
        select(ShopVersion).where(ShopVersion.active)
        .options(selectinload(ShopVersion.vat_rates))  # type: ignore[arg-type]
        .order_by(ShopVersion.position, ShopVersion.id)
    ))


def default_version(versions: list[ShopVersion], fallback_code: str | None) -> ShopVersion | None:
    """The version marked default, else the configured code, else the first one."""
    for version in versions:
        if version.is_default:
            return version
    for version in versions:
        if version.code == fallback_code:
            return version
    return versions[0] if versions else None


def categories(session: Session) -> list[Category]:
    return list(session.exec(
        select(Category).options(selectinload(Category.texts))  # type: ignore[arg-type]
        .order_by(Category.position, Category.name)
    ))


def text_languages(version: ShopVersion, versions: list[ShopVersion], fallback_code: str | None) -> tuple[str, ...]:
    """The languages a catalogue text is looked up in: the version's, then the default version's."""
    default = default_version(versions, fallback_code)
    return lookup_languages(version.language, default.language if default is not None else None)


WITH_TEXTS = joinedload(Product.texts)  # type: ignore[arg-type]  # in the same query: no query per product


PRODUCTS_PER_PAGE = 24


@dataclass(frozen=True)
class ProductPage:
    items: list[Product]
    page: int
    pages: int


def products(session: Session, category: Category | None = None, page: int = 1,
             per_page: int = PRODUCTS_PER_PAGE) -> ProductPage:
    """One page of the active products, in a stable order: three queries (one for the images) whatever its size."""
    query = select(Product).where(Product.active)
    if category is not None:
        query = query.where(Product.category_id == category.id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    ordered = query.order_by(Product.category_id, Product.name, Product.id).options(WITH_TEXTS, WITH_IMAGES)
    shown = session.exec(ordered.offset((page - 1) * per_page).limit(per_page)).unique()
    return ProductPage(list(shown), page, pages)


def product_by_slug(session: Session, slug: str) -> Product | None:
    return session.exec(  # category: cached
        select(Product).where(Product.slug == slug, Product.active).options(WITH_TEXTS, WITH_IMAGES)
    ).unique().first()


def active_product(session: Session, product_id: int) -> Product | None:
    product = session.get(Product, product_id, options=[WITH_TEXTS])
    return product if product is not None and product.active else None


def products_by_id(session: Session, ids: Iterable[int]) -> dict[int, Product]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {product.id: product for product in session.exec(
        select(Product).where(Product.id.in_(wanted)).options(WITH_TEXTS)  # type: ignore[union-attr]
    ).unique()}


def shipping_methods(session: Session) -> list[ShippingMethod]:
    return list(session.exec(
        select(ShippingMethod).where(ShippingMethod.active)
        .options(joinedload(ShippingMethod.texts))  # type: ignore[arg-type]
        .order_by(ShippingMethod.position, ShippingMethod.id)
    ).unique())


@dataclass(frozen=True)
class OfferedPaymentMethod:
    method: PaymentMethod
    published: bool  # False: offered only for the merchant's test orders

    @property
    def id(self) -> int:
        return self.method.id  # type: ignore[return-value]


def offered_payment_methods(session: Session, version: ShopVersion, include_hidden: bool) -> list[OfferedPaymentMethod]:
    """The payment methods a shopper may choose in `version`, in the merchant's order.

    `include_hidden` adds the methods not published in this version (for a logged-in
    merchant's test orders); they come back with `published=False`.
    """
    published = exists().where(
        PaymentMethodVersion.method_id == PaymentMethod.id, PaymentMethodVersion.version_id == version.id,
    )
    query = select(PaymentMethod, published.label("published")) \
        .options(joinedload(PaymentMethod.texts)).order_by(PaymentMethod.position, PaymentMethod.id)  # type: ignore[arg-type]
    if not include_hidden:
        query = query.where(published)
    return [OfferedPaymentMethod(method, bool(is_published)) for method, is_published in session.exec(query).unique()
            if available_in(method, version)]


def available_in(method: PaymentMethod, version: ShopVersion) -> bool:
    """Klarna only where the version's country, currency and locale are a Klarna market."""
    if method.provider != "klarna":
        return True
    return markets.supports(version.country, version.currency, version.locale)


def order_by_token(session: Session, token: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.token == token).options(selectinload(Order.lines))  # type: ignore[arg-type]
    ).first()
