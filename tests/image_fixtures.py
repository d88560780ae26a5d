"""Image files for the upload tests, made with Pillow in memory (and one hand-built decompression bomb)."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from shop.images.processing import SIZES

ORIENTATION = 0x0112  # the EXIF tag
ROTATED_90 = 6  # the camera was held upright: show the pixels turned 90° clockwise


def image_bytes(width: int, height: int, image_format: str = "JPEG", *, mode: str = "RGB",
                colour=(180, 60, 40), exif_orientation: int | None = None) -> bytes:
    image = Image.new(mode, (width, height), colour)
    out = io.BytesIO()
    options = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = exif_orientation
        exif[0x010F] = "Test camera"  # Make: metadata the shop must not pass on
        options["exif"] = exif.tobytes()
    image.save(out, image_format, **options)
    return out.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid-looking PNG that claims width × height pixels: a few hundred bytes that would decode into GBs."""
    small = io.BytesIO()
    Image.new("L", (1, 1)).save(small, "PNG")
    data = bytearray(small.getvalue())
    header = struct.pack(">II", width, height) + bytes(data[24:29])  # IHDR: width, height, then depth etc.
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(data)


def expected_size(size: str, width: int, height: int) -> tuple[int, int]:
    """What each stored size should measure for an upload of width × height: never enlarged, at least 1 px high."""
    target = min(SIZES[size], width)
    return target, max(round(height * target / width), 1)
