"""Product images: the media route and what templates need to show a product's main image.

Files are content-hashed (shop/images/processing.py), so a URL always means the same bytes and
browsers may keep it for a year without asking again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask import Flask, Response, abort, send_file, url_for
from flask_babel import get_locale

from shop.models import Product, ProductImage
from shop.static_assets import FOREVER

from .products import media_store

# Which stored sizes each place offers the browser, and how wide the image is shown there (CSS in shop.css).
PLACES = {
    "card": (("card-320", "card-640"), "(min-width: 70em) 16rem, (min-width: 36em) 45vw, 90vw"),
    "page": (("page-800", "page-1600"), "(min-width: 42rem) 38rem, 92vw"),
}


@dataclass(frozen=True)
class Picture:
    """The attributes of an <img>: the smallest size as src, every size of the place in srcset."""

    src: str
    srcset: str
    sizes: str
    width: int
    height: int
    alt: str


def picture(product: Product, place: Literal["card", "page"], name: str | None = None) -> Picture | None:
    """The product's main image for `place` with the alt text in the page's language, or None.
    `name`: the product's name as the page shows it, the alt text when the image has none."""
    if not product.images:
        return None
    image = product.images[0]
    names, sizes = PLACES[place]
    variants = [variant for name in names for variant in image.variants if variant["size"] == name]
    if not variants:
        return None
    unique = list({variant["name"]: variant for variant in variants}.values())  # a small upload: one file
    srcset = ", ".join(f"{media_url(v['name'])} {v['width']}w" for v in unique)
    first = unique[0]
    return Picture(media_url(first["name"]), srcset, sizes, first["width"], first["height"],
                   alt_text(image, name or product.name))


def alt_text(image: ProductImage, name: str) -> str:
    return image.alt(str(get_locale() or "en")) or name


def media_url(name: str) -> str:
    return url_for("media", name=name)


def thumbnail(image: ProductImage) -> dict | None:
    """The smallest stored size, for the admin's lists."""
    return min(image.variants, key=lambda variant: variant["width"], default=None)


def init_app(app: Flask) -> None:
    @app.get("/media/<name>")
    def media(name: str) -> Response:
        path = media_store().path(name)
        if path is None:
            abort(404)
        response = send_file(path, mimetype="image/webp", etag=name.split(".")[0], max_age=FOREVER,
                             conditional=True)
        response.cache_control.immutable = True
        return response

    app.jinja_env.globals.update(product_picture=picture, image_thumbnail=thumbnail, media_url=media_url)
