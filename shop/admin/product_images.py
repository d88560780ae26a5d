"""The Images section of the admin's product page: upload, order, main image, alt texts, delete.

Plain requests answer with a flash and a redirect back to the section; htmx gets the section.
A refused upload re-renders the section with the reason (422) and stores nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import select

from shop.db import db
from shop.images.processing import ImageRefused
from shop.images.products import add_image, delete_image, media_store, move_image, set_alts
from shop.models import Product, ProductImage
from shop.web import done

from . import bp
from .catalog import PRODUCT_FORM, _form_page, _product_form
from .common import wants_partial
from .image_forms import REFUSAL_MESSAGES, ImageEditForm, ImageUploadForm

SECTION = "admin/catalog/_product_images.html"


@dataclass
class ImagesPanel:
    product: Product
    upload: ImageUploadForm
    images: list[tuple[ProductImage, ImageEditForm]] = field(default_factory=list)


def images_panel(product: Product, upload: ImageUploadForm | None = None,
                 edited: tuple[int, ImageEditForm] | None = None) -> ImagesPanel:
    """The section as stored, but with the form the merchant just sent where it was refused."""
    images = db().exec(select(ProductImage).where(ProductImage.product_id == product.id)
                       .order_by(ProductImage.position, ProductImage.id)
                       .options(selectinload(ProductImage.texts))).all()  # type: ignore[arg-type]
    panel = ImagesPanel(product, upload or ImageUploadForm(formdata=None, prefix="upload"))
    for number, image in enumerate(images, start=1):
        form = edited[1] if edited and edited[0] == image.id else _edit_form(image, number)
        panel.images.append((image, form))
    return panel


def _edit_form(image: ProductImage, number: int) -> ImageEditForm:
    form = ImageEditForm(formdata=None, prefix=f"image-{image.id}", position=number)
    form.show_alt_texts({text.language: text.alt for text in image.texts})
    return form


@bp.context_processor
def images_context():
    return {"product_images_panel": images_panel}


@bp.post("/products/<int:product_id>/images")
def image_upload(product_id: int):
    product = _product(product_id)
    form = ImageUploadForm(prefix="upload")
    if not form.validate_on_submit():
        return _refused(product, upload=form)
    config = current_app.config
    try:
        add_image(db(), media_store(), product, form.image.data.read(), form.alt_texts(),
                  max_bytes=config["IMAGE_MAX_BYTES"], max_pixels=config["IMAGE_MAX_PIXELS"])
        db().commit()
    except ImageRefused as refusal:
        form.image.errors.append(str(REFUSAL_MESSAGES[refusal.reason]) % {
            "megabytes": format_decimal(max(round(config["IMAGE_MAX_BYTES"] / 1024**2, 1), 0.1)),
            "megapixels": config["IMAGE_MAX_PIXELS"] // 1_000_000})
        return _refused(product, upload=form)
    return _saved(product, _("Image added."))


@bp.post("/products/<int:product_id>/images/<int:image_id>")
def image_edit(product_id: int, image_id: int):
    product, image = _product(product_id), _image(product_id, image_id)
    form = ImageEditForm(prefix=f"image-{image.id}")
    if not form.validate_on_submit():
        return _refused(product, edited=(image.id, form))
    set_alts(image, form.alt_texts())
    move_image(db(), product, image, form.position.data)
    db().commit()
    return _saved(product, _("Image saved."))


@bp.post("/products/<int:product_id>/images/<int:image_id>/main")
def image_main(product_id: int, image_id: int):
    product, image = _product(product_id), _image(product_id, image_id)
    move_image(db(), product, image, 1)
    db().commit()
    return _saved(product, _("Main image chosen."))


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
def image_delete(product_id: int, image_id: int):
    product, image = _product(product_id), _image(product_id, image_id)
    delete_image(db(), media_store(), product, image)
    return _saved(product, _("Image deleted."))


def _product(product_id: int) -> Product:
    return db().get(Product, product_id) or abort(404)


def _image(product_id: int, image_id: int) -> ProductImage:
    image = db().get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        abort(404)
    return image


def _refused(product: Product, **forms):
    panel = images_panel(product, **forms)
    if wants_partial():
        return render_template(SECTION, panel=panel), 422
    return _form_page(PRODUCT_FORM, _product_form(product, formdata=None), product, status=422, images_panel=panel)


def _saved(product: Product, message: str):
    db().expire_all()  # the section shows the new order
    return done(message, url_for("admin.product_edit", product_id=product.id, _anchor="images"), SECTION,
                panel=images_panel(product))
