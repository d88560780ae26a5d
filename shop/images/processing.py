"""An upload becomes the shop's fixed image sizes: oriented, RGB, without metadata, WebP.

Pillow reads only the formats a browser shows (never EPS or the like), and refuses an image
whose pixel count would take more memory than the limit before decoding it.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# Each size's width; a smaller upload is never enlarged (its own width stands in).
SIZES = {"card-320": 320, "card-640": 640, "page-800": 800, "page-1600": 1600}
WEBP_QUALITY = 82
BACKGROUND = (255, 255, 255)  # what transparent pixels become


class ImageRefused(ValueError):
    """Why an upload cannot be an image; `reason` is one of the keys the upload form explains."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Variant:
    size: str
    width: int
    height: int
    data: bytes

    @property
    def name(self) -> str:
        """Content-hashed: a name always means the same bytes, so it may be cached for ever."""
        return f"{hashlib.sha256(self.data).hexdigest()[:32]}.webp"


@dataclass(frozen=True)
class ResizedImage:
    width: int
    height: int
    variants: list[Variant]


def resize(data: bytes, *, max_bytes: int, max_pixels: int) -> ResizedImage:
    """Every size of the image in `data`, or ImageRefused ("empty", "too_large", "too_many_pixels", "not_image")."""
    if not data:
        raise ImageRefused("empty")
    if len(data) > max_bytes:
        raise ImageRefused("too_large")
    image = _open(data, max_pixels)
    return ResizedImage(image.width, image.height,
                        [_variant(image, size, width) for size, width in SIZES.items()])


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            if image.width * image.height > max_pixels:
                raise ImageRefused("too_many_pixels")
            image.draft("RGB", (max(SIZES.values()),) * 2)  # JPEG: decode at a smaller scale when it can
            image.load()
            return _flatten(ImageOps.exif_transpose(image))
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused("not_image") from None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background, carrying nothing of the upload's metadata (EXIF, ICC, comments)."""
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, BACKGROUND)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _variant(image: Image.Image, size: str, width: int) -> Variant:
    width = min(width, image.width)
    height = max(round(image.height * width / image.width), 1)
    resized = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    resized.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return Variant(size, width, height, out.getvalue())
