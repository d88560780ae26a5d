"""A product's images: added through the resizer, ordered, described per language, removed with their files."""
from __future__ import annotations

from typing import Mapping

from flask import current_app
from sqlmodel import Session, select

from shop.models import Product, ProductImage, ProductImageText

from .processing import resize
from .store import MediaStore


def media_store() -> MediaStore:
    return MediaStore(current_app.config["MEDIA_DIR"])


def add_image(session: Session, store: MediaStore, product: Product, data: bytes,
              alts: Mapping[str, str], *, max_bytes: int, max_pixels: int) -> ProductImage:
    """Resize `data` into every size and add it as the product's last image; the caller commits.

    ImageRefused: nothing is stored."""
    resized = resize(data, max_bytes=max_bytes, max_pixels=max_pixels)
    for variant in resized.variants:
        store.write(variant.name, variant.data)
    image = ProductImage(
        product_id=product.id, position=len(product.images), width=resized.width, height=resized.height,
        variants=[{"size": v.size, "width": v.width, "height": v.height, "name": v.name} for v in resized.variants],
    )
    set_alts(image, alts)
    session.add(image)
    session.flush()
    return image


def set_alts(image: ProductImage, alts: Mapping[str, str]) -> None:
    """The alt text of each language given; an empty one falls back to the product's name in the shop."""
    existing = {text.language: text for text in image.texts}
    for language, alt in alts.items():
        if language in existing:
            existing[language].alt = alt.strip()
        else:
            image.texts.append(ProductImageText(language=language, alt=alt.strip()))


def move_image(session: Session, product: Product, image: ProductImage, position: int) -> None:
    """Put `image` at `position` (1 = the main image) and number the others after it in their order."""
    ordered = [other for other in product.images if other.id != image.id]
    ordered.insert(min(max(position - 1, 0), len(ordered)), image)
    _number(session, ordered)


def _number(session: Session, images: list[ProductImage]) -> None:
    for index, image in enumerate(images):
        image.position = index
        session.add(image)


def delete_image(session: Session, store: MediaStore, product: Product, image: ProductImage) -> None:
    """The row first, then the files no other image shows (an identical upload shares its files)."""
    names = {variant["name"] for variant in image.variants}
    product.images.remove(image)
    _number(session, list(product.images))
    session.commit()
    still_shown = {variant["name"] for variants in session.exec(select(ProductImage.variants)) for variant in variants}
    for name in names - still_shown:
        store.delete(name)
