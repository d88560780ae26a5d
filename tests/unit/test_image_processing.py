"""The resizer: every size with the upload's proportions, EXIF orientation applied, metadata gone, RGB WebP;
and each way an upload is refused."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from shop.images.processing import SIZES, ImageRefused, resize
from tests.image_fixtures import ROTATED_90, expected_size, image_bytes, png_bomb

LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_pixels": 40_000_000}


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_large_photo_becomes_every_size_as_webp():
    resized = resize(image_bytes(2400, 1800), **LIMITS)
    assert [v.size for v in resized.variants] == list(SIZES)
    for variant in resized.variants:
        stored = opened(variant.data)
        assert stored.format == "WEBP" and stored.mode == "RGB"
        assert stored.size == (variant.width, variant.height) == expected_size(variant.size, 2400, 1800)
    assert {v.width for v in resized.variants} == {320, 640, 800, 1600}


@settings(max_examples=25, deadline=None)
@given(width=st.integers(1, 1800), height=st.integers(1, 1800))
def test_sizes_keep_the_proportions_and_never_enlarge(width, height):
    resized = resize(image_bytes(width, height, "PNG"), **LIMITS)
    for variant in resized.variants:
        assert (variant.width, variant.height) == expected_size(variant.size, width, height)
        assert variant.width <= width


def test_exif_orientation_is_applied_and_the_metadata_dropped():
    upload = image_bytes(1200, 800, exif_orientation=ROTATED_90)
    assert opened(upload).getexif()  # the upload has EXIF
    resized = resize(upload, **LIMITS)
    assert (resized.width, resized.height) == (800, 1200)  # turned upright
    page = opened(resized.variants[2].data)
    assert page.size == (800, 1200)
    assert not page.getexif() and "icc_profile" not in page.info and "exif" not in page.info


def test_transparency_and_palettes_become_rgb_on_white():
    transparent = image_bytes(400, 300, "PNG", mode="RGBA", colour=(0, 0, 0, 0))
    card = opened(resize(transparent, **LIMITS).variants[0].data)
    assert card.mode == "RGB" and card.getpixel((10, 10)) >= (250, 250, 250)
    gif = resize(image_bytes(400, 300, "GIF", mode="P", colour=3), **LIMITS)
    assert opened(gif.variants[0].data).mode == "RGB"


def test_the_same_upload_gets_the_same_content_hashed_names():
    first, second = (resize(image_bytes(900, 600), **LIMITS) for _ in range(2))
    assert [v.name for v in first.variants] == [v.name for v in second.variants]
    assert all(len(v.name) == 37 and v.name.endswith(".webp") for v in first.variants)
    other = resize(image_bytes(900, 600, colour=(10, 20, 30)), **LIMITS)
    assert other.variants[0].name != first.variants[0].name


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"%PDF-1.4 not an image at all", "not_image"),
    (image_bytes(400, 300)[:200], "not_image"),  # cut off half-way
    (png_bomb(), "too_many_pixels"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not_image"),  # never handed to Ghostscript
])
def test_refusals(data, reason):
    with pytest.raises(ImageRefused) as refusal:
        resize(data, **LIMITS)
    assert refusal.value.reason == reason


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read():
    with pytest.raises(ImageRefused) as refusal:
        resize(image_bytes(400, 300), max_bytes=100, max_pixels=40_000_000)
    assert refusal.value.reason == "too_large"


def test_an_image_over_the_pixel_limit_is_refused_before_decoding():
    with pytest.raises(ImageRefused) as refusal:
        resize(image_bytes(1200, 1000, "PNG"), max_bytes=10**7, max_pixels=1_000_000)
    assert refusal.value.reason == "too_many_pixels"
