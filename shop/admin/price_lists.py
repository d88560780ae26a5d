"""Settings > Shop versions > Price list: a version's own prices for products and shipping methods.

A price left empty is derived from the base price by the version's exchange rate and rounding rule.
The products are paged (and can be searched), so the page stays usable with thousands of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from shop.db import db
from shop.models import Product, ShippingMethod, ShopVersion, VersionProductPrice, VersionShippingPrice
from shop.money import BASE_CURRENCY
from shop.pricing import PriceList, load_price_list
from shop.web import done

from . import bp
from .common import render
from .forms import ROUNDING_LABELS
from .price_list_forms import price_list_form, product_field_name, shipping_field_name

PER_PAGE = 50
PAGE = "admin/settings/price_list.html"
FORM = "admin/settings/_price_list_form.html"


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    number: int
    pages: int
    total: int
    search: str


@bp.route("/settings/shop-versions/<int:version_id>/prices", methods=["GET", "POST"])
def price_list(version_id: int):
    session = db()
    version = session.get(ShopVersion, version_id) or abort(404)
    shown = _product_page(session, _search(), _page_number())
    methods = list(session.exec(select(ShippingMethod).order_by(ShippingMethod.position, ShippingMethod.id)))
    prices = _prices(session, version, shown)
    form = price_list_form(version, shown.products, methods, prices)
    if request.method == "POST":
        if not form.validate_on_submit():
            return render(PAGE, FORM, status=422, **_context(version, shown, methods, form, prices))
        _save(session, version, form, shown.products, methods)
        prices = _prices(session, version, shown)
        fresh = price_list_form(version, shown.products, methods, prices, formdata=None)
        return done(_("Price list saved."), _page_url(version, shown), FORM,
                    **_context(version, shown, methods, fresh, prices))
    return render(PAGE, FORM, **_context(version, shown, methods, form, prices))


def _search() -> str:
    return request.args.get("q", "").strip()[:100]


def _page_number() -> int:
    page = request.args.get("page", "")
    return int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1


def _page_url(version: ShopVersion, shown: ProductPage) -> str:
    return url_for("admin.price_list", version_id=version.id, q=shown.search or None,
                   page=shown.number if shown.number > 1 else None)


def _product_page(session: Session, search: str, number: int) -> ProductPage:
    conditions = []
    if search:
        pattern = f"%{search.replace('%', '').replace('_', '')}%"
        conditions.append(or_(Product.name.ilike(pattern), Product.sku.ilike(pattern)))  # type: ignore[attr-defined]
    total = session.exec(select(func.count()).select_from(Product).where(*conditions)).one()
    pages = max(ceil(total / PER_PAGE), 1)
    number = min(number, pages)
    products = session.exec(select(Product).where(*conditions).order_by(Product.name, Product.id)
                            .offset((number - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return ProductPage(list(products), number, pages, total, search)


def _prices(session: Session, version: ShopVersion, shown: ProductPage) -> PriceList:
    return load_price_list(session, version, product_ids=[product.id for product in shown.products])


def _context(version: ShopVersion, shown: ProductPage, methods: list[ShippingMethod], form,
             prices: PriceList) -> dict:
    return {"version": version, "shown": shown, "methods": methods, "form": form, "prices": prices,
            "base_currency": BASE_CURRENCY, "rounding_label": ROUNDING_LABELS.get(version.price_rounding, ""),
            "product_field": lambda product: form[product_field_name(product)],
            "shipping_field": lambda method: form[shipping_field_name(method)],
            "action": _page_url(version, shown)}


def _save(session: Session, version: ShopVersion, form, products: list[Product], methods: list[ShippingMethod]) -> None:
    """Store every posted price; an emptied one is deleted, so the derived price applies again."""
    posted_products = {product.id: form[product_field_name(product)] for product in products
                       if form[product_field_name(product)].posted}
    posted_methods = {method.id: form[shipping_field_name(method)] for method in methods
                      if form[shipping_field_name(method)].posted}
    _store(session, VersionProductPrice, VersionProductPrice.product_id, version,
           {product_id: field.data for product_id, field in posted_products.items()})
    _store(session, VersionShippingPrice, VersionShippingPrice.shipping_method_id, version,
           {method_id: field.data for method_id, field in posted_methods.items()})
    session.commit()


def _store(session: Session, model, key_column, version: ShopVersion, prices: dict[int, int | None]) -> None:
    if not prices:
        return
    key = key_column.key
    session.exec(delete(model).where(model.version_id == version.id,  # type: ignore[call-overload]
                                     key_column.in_([k for k, price in prices.items() if price is None])))
    existing = {getattr(row, key): row for row in session.exec(
        select(model).where(model.version_id == version.id, key_column.in_(list(prices))))}
    for item_id, price in prices.items():
        if price is None:
            continue
        row = existing.get(item_id) or model(version_id=version.id, **{key: item_id})
        row.price = price
        session.add(row)
