"""Demo data for `make run`: three shop versions, a catalogue, shipping and payment methods."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from sqlmodel import Session, select

from .crypto import encrypt_secret
from .demo_texts import BANK_TRANSFER_TEXTS, CATEGORY_TEXTS, KLARNA_NAMES, PRODUCT_TEXTS, SHIPPING_TEXTS
from .images.products import add_image
from .images.store import MediaStore
from .models import (
    Category, CategoryText, PaymentMethod, PaymentMethodText, PaymentMethodVersion, Product, ProductText,
    ShippingMethod, ShippingMethodText, ShopVersion, User, VatRate, VersionProductPrice, VersionShippingPrice,
)

VERSIONS = [
    # code, name, country, currency, locale, rate from EUR, VAT per tax class
    ("fi", "Suomi", "FI", "EUR", "fi-FI", Decimal("1"), {"standard": 2550, "reduced": 1400, "low": 1000, "zero": 0}),
    ("sv", "Sverige", "SE", "SEK", "sv-SE", Decimal("11.2350"), {"standard": 2500, "reduced": 1200, "low": 600, "zero": 0}),
    ("en", "English", "FI", "EUR", "en-FI", Decimal("1"), {"standard": 2550, "reduced": 1400, "low": 1000, "zero": 0}),
]

CATEGORIES = [("outdoor", "Outdoor"), ("kitchen", "Kitchen & pantry"), ("books", "Books"), ("home", "Home")]

PRODUCTS = [
    # sku, name, category, price EUR cents incl. VAT, tax class, stock
    ("RUN-001", "Trail running shoe", "outdoor", 8990, "standard", 40),
    ("JKT-002", "Rain jacket", "outdoor", 12900, "standard", 25),
    ("CAP-003", "Wool cap", "outdoor", 2490, "standard", 60),
    ("SOC-004", "Hiking socks (2 pairs)", "outdoor", 1990, "standard", 100),
    ("BAG-005", "Day pack 20 l", "outdoor", 6990, "standard", 30),
    ("LMP-006", "Head lamp", "outdoor", 3490, "standard", 45),
    ("BTL-007", "Steel water bottle", "outdoor", 2290, "standard", 70),
    ("COF-101", "Dark roast coffee 500 g", "kitchen", 995, "reduced", 200),
    ("TEA-102", "Lingonberry tea", "kitchen", 650, "reduced", 150),
    ("CHO-103", "Sea buckthorn chocolate", "kitchen", 450, "reduced", 300),
    ("HON-104", "Forest honey 350 g", "kitchen", 1190, "reduced", 80),
    ("RYE-105", "Rye crispbread", "kitchen", 399, "reduced", 120),
    ("MUG-106", "Enamel mug", "kitchen", 1590, "standard", 90),
    ("KNF-107", "Puukko knife", "kitchen", 5990, "standard", 20),
    ("BK-201", "Guide to Nordic trails", "books", 2990, "low", 35),
    ("BK-202", "Foraging cookbook", "books", 3490, "low", 25),
    ("BK-203", "Northern lights photo book", "books", 4590, "low", 15),
    ("BK-204", "Sauna: a history", "books", 2490, "low", 40),
    ("HOM-301", "Linen towel", "home", 2190, "standard", 50),
    ("HOM-302", "Birch candle holder", "home", 2790, "standard", 35),
    ("HOM-303", "Reindeer wool blanket", "home", 11900, "standard", 10),
    ("HOM-304", "Scented candle", "home", 1490, "standard", 80),
]

IMAGES = Path(__file__).parent / "demo_images"  # drawn by shop/demo_art.py, one per SKU

SHIPPING = [("Parcel locker", 590, 1), ("Home delivery", 1290, 2), ("Store pickup", 0, 3)]

# Price lists: how each version rounds derived prices, and the prices set by hand (minor units).
PRICE_ROUNDING = {"sv": "whole_9"}  # 1 449 kr, 69 kr; the others convert exactly
PRICE_LISTS = {
    "sv": {"products": {"JKT-002": 149500, "HOM-303": 129500, "TEA-102": 7500},
           "shipping": {"Parcel locker": 5900}},
}


def load_demo_data(session: Session, *, admin_email: str, admin_password: str, config: Mapping[str, Any]) -> bool:
    if session.exec(select(ShopVersion)).first() is not None:
        return False
    versions = _versions(session)
    _catalogue(session)
    for name, price, position in SHIPPING:
        texts = [ShippingMethodText(language=language, name=text) for language, text in SHIPPING_TEXTS[name].items()]
        session.add(ShippingMethod(name=name, price=price, position=position, texts=texts))
    session.flush()
    _price_lists(session, versions)
    _payment_methods(session, versions, config)
    _images(session, config)
    admin = User(email=admin_email, locale="fi", password_hash="")
    admin.set_password(admin_password)
    session.add(admin)
    session.commit()
    return True


def _versions(session: Session) -> list[ShopVersion]:
    versions = []
    for position, (code, name, country, currency, locale, rate, vat) in enumerate(VERSIONS):
        version = ShopVersion(code=code, name=name, country=country, currency=currency, locale=locale,
                              exchange_rate=rate, is_default=(position == 0), position=position,
                              price_rounding=PRICE_ROUNDING.get(code, "none"))
        session.add(version)
        session.flush()
        for tax_class, value in vat.items():
            session.add(VatRate(version_id=version.id, tax_class=tax_class, rate=value))
        versions.append(version)
    return versions


def _catalogue(session: Session) -> None:
    categories = {}
    for position, (slug, name) in enumerate(CATEGORIES):
        texts = [CategoryText(language=language, name=text) for language, text in CATEGORY_TEXTS[slug].items()]
        categories[slug] = Category(slug=slug, name=name, position=position, texts=texts)
        session.add(categories[slug])
    session.flush()
    for sku, name, category, price, tax_class, stock in PRODUCTS:
        slug = name.lower().replace(" ", "-").replace("(", "").replace(")", "").replace(":", "")
        session.add(Product(sku=sku, slug=slug, name=name, category_id=categories[category].id, price=price,
                            tax_class=tax_class, stock=stock, description=PRODUCT_TEXTS[sku]["en"][1],
                            texts=_product_texts(sku)))


def _product_texts(sku: str) -> list[ProductText]:
    return [ProductText(language=language, name=name, description=description)
            for language, (name, description) in PRODUCT_TEXTS[sku].items()]


def _price_lists(session: Session, versions: list[ShopVersion]) -> None:
    products = {product.sku: product.id for product in session.exec(select(Product))}
    shipping = {method.name: method.id for method in session.exec(select(ShippingMethod))}
    for version in versions:
        prices = PRICE_LISTS.get(version.code, {})
        for sku, price in prices.get("products", {}).items():
            session.add(VersionProductPrice(version_id=version.id, product_id=products[sku], price=price))
        for name, price in prices.get("shipping", {}).items():
            session.add(VersionShippingPrice(version_id=version.id, shipping_method_id=shipping[name], price=price))


def _images(session: Session, config: Mapping[str, Any]) -> None:
    """Each product's illustration, through the resizer an upload goes through."""
    store = MediaStore(config["MEDIA_DIR"])
    for product in session.exec(select(Product).order_by(Product.id)):
        source = IMAGES / f"{product.sku}.png"
        if source.is_file():
            add_image(session, store, product, source.read_bytes(), {}, max_bytes=config["IMAGE_MAX_BYTES"],
                      max_pixels=config["IMAGE_MAX_PIXELS"])


def _payment_methods(session: Session, versions: list[ShopVersion], config: Mapping[str, Any]) -> None:
    bank = PaymentMethod(name="Bank transfer", provider="manual", position=2,
                         settings={"instructions": BANK_TRANSFER_TEXTS["en"][1]},
                         texts=[PaymentMethodText(language=language, name=name, description=instructions)
                                for language, (name, instructions) in BANK_TRANSFER_TEXTS.items()])
    klarna = PaymentMethod(
        name="Klarna", provider="klarna", position=1,
        settings={"merchant_id": config["SIMULATOR_USERNAME"], "environment": "simulator", "region": "eu",
                  "place_order_mode": "NONE", "categories": [], "auto_extend": False},
        secret_encrypted=encrypt_secret(config["SIMULATOR_SECRET"], config["SECRET_KEY"]),
        texts=[PaymentMethodText(language=language, name=name) for language, name in KLARNA_NAMES.items()],
    )
    session.add_all([bank, klarna])
    session.flush()
    for version in versions:
        session.add(PaymentMethodVersion(method_id=bank.id, version_id=version.id))
        session.add(PaymentMethodVersion(method_id=klarna.id, version_id=version.id))
