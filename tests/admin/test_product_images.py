"""The Images section of the product page: uploads (plain and htmx) stored in every size, refusals (422 or 413)
that store nothing, alt texts, order, main image and delete."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from shop.models import ProductImage
from tests.image_fixtures import expected_size, image_bytes, png_bomb

from .conftest import HTMX, by_sku, token

PAGE = "/admin/products/{id}"


def upload(client, product_id: int, data: bytes, *, htmx: bool = False, filename: str = "photo.jpg", **alts):
    csrf = token(client, PAGE.format(id=product_id))
    form = {"upload-image": (io.BytesIO(data), filename), **{f"upload-alt_{code}": text for code, text in alts.items()}}
    headers = {**HTMX, "X-CSRFToken": csrf} if htmx else {}
    if not htmx:
        form["csrf_token"] = csrf
    return client.post(f"/admin/products/{product_id}/images", data=form, headers=headers,
                       content_type="multipart/form-data")


def images_of(session, product_id: int) -> list[ProductImage]:
    session.expire_all()
    return list(session.exec(select(ProductImage).where(ProductImage.product_id == product_id)
                             .order_by(ProductImage.position, ProductImage.id)))


def media_files(app) -> set[str]:
    return {path.name for path in Path(app.config["MEDIA_DIR"]).iterdir()}


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>([^<]+)</p>', html)


@pytest.mark.parametrize("htmx", [False, True])
def test_an_upload_is_stored_in_every_size(app, admin_client, session, htmx):
    shoe = by_sku(session, "RUN-001")
    before = len(images_of(session, shoe.id))
    response = upload(admin_client, shoe.id, image_bytes(2000, 1500), htmx=htmx, fi="Punainen kenkä",
                      sv="Röd sko", en="Red shoe")
    if htmx:
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and '<section id="images"' in html and "Image added." in html and 'hx-swap-oob="true"' in html
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/admin/products/{shoe.id}#images")
    images = images_of(session, shoe.id)
    assert len(images) == before + 1
    added = images[-1]
    assert {text.language: text.alt for text in added.texts} == {
        "fi": "Punainen kenkä", "sv": "Röd sko", "en": "Red shoe"}
    for variant in added.variants:
        path = Path(app.config["MEDIA_DIR"]) / variant["name"]
        with Image.open(path) as stored:
            assert stored.format == "WEBP"
            assert stored.size == (variant["width"], variant["height"]) == expected_size(variant["size"], 2000, 1500)
    assert sorted(v["width"] for v in added.variants) == [320, 640, 800, 1600]


@pytest.mark.parametrize("data, filename, message", [
    (b"", "empty.jpg", "The file is empty. Choose the image file again."),
    (b"GIF89a but not really", "fake.gif", "The file is not an image the shop can show."),
    (b"just some text", "notes.txt", "The file is not an image the shop can show."),
    (png_bomb(), "bomb.png", "The image has too many pixels: at most 40 million."),
    (image_bytes(500, 400)[:300], "cut.jpg", "The file is not an image the shop can show."),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_upload_is_refused_with_the_reason_and_nothing_is_stored(app, admin_client, session, data, filename,
                                                                       message, htmx):
    shoe = by_sku(session, "RUN-001")
    rows, files = len(images_of(session, shoe.id)), media_files(app)
    response = upload(admin_client, shoe.id, data, htmx=htmx, filename=filename, fi="Tallessa")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert any(error.startswith(message) for error in errors(html)), errors(html)
    assert 'value="Tallessa"' in html  # what was typed is kept
    assert ('id="product-form"' in html) is not htmx  # plain: the whole page; htmx: the section
    assert len(images_of(session, shoe.id)) == rows and media_files(app) == files


def test_an_upload_without_a_file_asks_for_one(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    csrf = token(admin_client, PAGE.format(id=shoe.id))
    response = admin_client.post(f"/admin/products/{shoe.id}/images", data={"csrf_token": csrf},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose an image file to upload." in errors(response.get_data(as_text=True))


@pytest.fixture
def app_overrides():
    return {"IMAGE_MAX_BYTES": 50_000, "MAX_CONTENT_LENGTH": 200_000}


def test_a_file_over_the_image_limit_is_refused_with_the_limit(app, admin_client, session):
    shoe = by_sku(session, "RUN-001")
    rows, files = len(images_of(session, shoe.id)), media_files(app)
    noisy = Image.effect_noise((250, 250), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert 50_000 < len(out.getvalue()) < 200_000
    response = upload(admin_client, shoe.id, out.getvalue(), filename="big.png")
    assert response.status_code == 422
    assert "The image is too large: at most 0,1 MB." in errors(response.get_data(as_text=True))
    assert len(images_of(session, shoe.id)) == rows and media_files(app) == files


def test_a_request_over_the_content_length_is_answered_413_with_a_friendly_page(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    response = upload(admin_client, shoe.id, b"x" * 300_000)
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)


def test_alt_texts_and_the_order_are_saved_and_the_main_image_chosen(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    upload(admin_client, shoe.id, image_bytes(700, 500, colour=(1, 2, 3)))
    demo, added = images_of(session, shoe.id)
    csrf = token(admin_client, PAGE.format(id=shoe.id))
    response = admin_client.post(f"/admin/products/{shoe.id}/images/{added.id}", headers={**HTMX, "X-CSRFToken": csrf},
                                 data={f"image-{added.id}-position": "1", f"image-{added.id}-alt_fi": "Kenkä",
                                       f"image-{added.id}-alt_sv": "Sko", f"image-{added.id}-alt_en": ""})
    assert response.status_code == 200 and "Image saved." in response.get_data(as_text=True)
    assert [image.id for image in images_of(session, shoe.id)] == [added.id, demo.id]
    assert {t.language: t.alt for t in images_of(session, shoe.id)[0].texts} == {"fi": "Kenkä", "sv": "Sko", "en": ""}
    response = admin_client.post(f"/admin/products/{shoe.id}/images/{demo.id}/main", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert [image.id for image in images_of(session, shoe.id)] == [demo.id, added.id]
    assert [image.position for image in images_of(session, shoe.id)] == [0, 1]


def test_a_bad_position_or_a_long_alt_text_is_refused(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    (demo,) = images_of(session, shoe.id)
    csrf = token(admin_client, PAGE.format(id=shoe.id))
    response = admin_client.post(f"/admin/products/{shoe.id}/images/{demo.id}",
                                 data={"csrf_token": csrf, f"image-{demo.id}-position": "0",
                                       f"image-{demo.id}-alt_fi": "x" * 301})
    assert response.status_code == 422
    assert len(errors(response.get_data(as_text=True))) == 2
    assert images_of(session, shoe.id)[0].texts == []


def test_deleting_an_image_removes_its_files_unless_another_image_shows_them(app, admin_client, session):
    shoe, cap = by_sku(session, "RUN-001"), by_sku(session, "CAP-003")
    photo = image_bytes(900, 600, colour=(9, 9, 9))
    upload(admin_client, shoe.id, photo)
    upload(admin_client, cap.id, photo)  # the same file: the same content-hashed names
    shoe_image, cap_image = images_of(session, shoe.id)[-1], images_of(session, cap.id)[-1]
    names = {variant["name"] for variant in shoe_image.variants}
    csrf = token(admin_client, PAGE.format(id=shoe.id))
    assert admin_client.post(f"/admin/products/{shoe.id}/images/{shoe_image.id}/delete",
                             data={"csrf_token": csrf}).status_code == 303
    assert names <= media_files(app)  # the cap still shows them
    assert admin_client.post(f"/admin/products/{cap.id}/images/{cap_image.id}/delete",
                             headers={**HTMX, "X-CSRFToken": csrf}).status_code == 200
    assert not names & media_files(app)
    assert [image.position for image in images_of(session, cap.id)] == [0]


def test_an_image_of_another_product_is_not_found(admin_client, session):
    shoe, cap = by_sku(session, "RUN-001"), by_sku(session, "CAP-003")
    (cap_image,) = images_of(session, cap.id)
    csrf = token(admin_client, PAGE.format(id=shoe.id))
    response = admin_client.post(f"/admin/products/{shoe.id}/images/{cap_image.id}/delete", data={"csrf_token": csrf})
    assert response.status_code == 404 and len(images_of(session, cap.id)) == 1


def test_the_section_needs_the_csrf_token_and_the_login(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    (demo,) = images_of(session, shoe.id)
    delete = f"/admin/products/{shoe.id}/images/{demo.id}/delete"
    assert admin_client.post(delete).status_code == 400
    admin_client.delete_cookie("session")
    logged_out = admin_client.post(delete, data={"csrf_token": token(admin_client, "/admin/login")})
    assert logged_out.status_code in (302, 303) and "/admin/login" in logged_out.headers["Location"]
    assert len(images_of(session, shoe.id)) == 1


def test_the_product_page_shows_the_section_and_a_new_product_does_not(admin_client, session):
    shoe = by_sku(session, "RUN-001")
    html = admin_client.get(PAGE.format(id=shoe.id)).get_data(as_text=True)
    assert '<section id="images"' in html and 'enctype="multipart/form-data"' in html and "/media/" in html
    assert '<section id="images"' not in admin_client.get("/admin/products/new").get_data(as_text=True)
