"""Draws the demo catalogue's product illustrations into shop/demo_images/ (committed; run again to redraw).

    python -m shop.demo_art

Flat shapes on a soft background, drawn at twice the size and scaled down for smooth edges.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PIL import Image, ImageDraw

OUT = Path(__file__).parent / "demo_images"
SIZE = (800, 600)
SCALE = 2
Box = tuple[float, float, float, float]
Motif = Callable[[ImageDraw.ImageDraw, str], None]


def _px(*points: float) -> list[float]:
    """Coordinates on a 0..100 by 0..75 grid to pixels of the drawing canvas."""
    return [value * SIZE[0] * SCALE / 100 for value in points]


def shoe(draw, colour):
    draw.polygon(_px(18, 48, 30, 30, 44, 32, 56, 44, 80, 48, 84, 56, 18, 56), fill=colour)
    draw.rectangle(_px(16, 56, 86, 60), fill="#2f2f2f")
    for x in (36, 42, 48):
        draw.line(_px(x, 34, x + 4, 42), fill="white", width=8)


def jacket(draw, colour):
    draw.polygon(_px(36, 14, 64, 14, 80, 24, 84, 62, 70, 62, 68, 36, 66, 64, 34, 64, 32, 36, 30, 62, 16, 62, 20, 24),
                 fill=colour)
    draw.line(_px(50, 16, 50, 64), fill="#1d2330", width=6)
    draw.polygon(_px(42, 14, 50, 24, 58, 14), fill="#1d2330")


def cap(draw, colour):
    draw.pieslice(_px(26, 22, 74, 70), 180, 360, fill=colour)
    draw.rectangle(_px(24, 44, 76, 52), fill="#f5f5f5")
    draw.ellipse(_px(45, 12, 55, 22), fill="#f5f5f5")


def socks(draw, colour):
    for dx in (0, 22):
        draw.polygon(_px(30 + dx, 14, 42 + dx, 14, 42 + dx, 48, 30 + dx, 62, 20 + dx, 56, 30 + dx, 44), fill=colour)
        draw.rectangle(_px(30 + dx, 14, 42 + dx, 20), fill="#f5f5f5")


def bag(draw, colour):
    draw.rounded_rectangle(_px(32, 18, 68, 66), radius=40, fill=colour)
    draw.rounded_rectangle(_px(38, 40, 62, 58), radius=20, outline="#1d2330", width=6)
    draw.arc(_px(40, 8, 60, 28), 180, 360, fill="#1d2330", width=10)


def lamp(draw, colour):
    draw.arc(_px(22, 20, 78, 66), 200, 340, fill="#1d2330", width=14)
    draw.rounded_rectangle(_px(40, 28, 60, 44), radius=16, fill=colour)
    draw.ellipse(_px(45, 31, 55, 41), fill="#fff6b0")
    draw.polygon(_px(55, 36, 90, 24, 90, 48), fill="#fff6b055")


def bottle(draw, colour):
    draw.rounded_rectangle(_px(40, 20, 60, 68), radius=30, fill=colour)
    draw.rectangle(_px(45, 10, 55, 20), fill="#1d2330")
    draw.rectangle(_px(40, 36, 60, 48), fill="#ffffff88")


def packet(draw, colour):
    draw.polygon(_px(34, 14, 66, 14, 70, 66, 30, 66), fill=colour)
    draw.rectangle(_px(34, 12, 66, 18), fill="#1d2330")
    draw.ellipse(_px(42, 32, 58, 48), fill="#f5e6c8")


def cup(draw, colour):
    draw.chord(_px(28, 10, 72, 66), 0, 180, fill=colour)
    draw.arc(_px(64, 40, 80, 54), 270, 90, fill=colour, width=10)
    draw.line(_px(44, 20, 46, 30), fill="#b0b0b0", width=6)
    draw.line(_px(54, 18, 52, 30), fill="#b0b0b0", width=6)


def bar(draw, colour):
    draw.rounded_rectangle(_px(24, 22, 76, 56), radius=12, fill="#5b3a29")
    for x in range(24, 76, 13):
        draw.line(_px(x, 22, x, 56), fill="#4a2e20", width=6)
    draw.rectangle(_px(24, 34, 76, 46), fill=colour)


def jar(draw, colour):
    draw.rounded_rectangle(_px(34, 22, 66, 66), radius=30, fill=colour)
    draw.rectangle(_px(36, 14, 64, 22), fill="#8a5a2b")
    draw.rectangle(_px(40, 36, 60, 50), fill="#fffaf0")


def bread(draw, colour):
    for dy in (0, 10):
        draw.rounded_rectangle(_px(22, 24 + dy, 78, 44 + dy), radius=14, fill=colour, outline="#7a5230", width=4)
        for x in range(28, 76, 8):
            draw.ellipse(_px(x, 32 + dy, x + 2, 34 + dy), fill="#7a5230")


def mug(draw, colour):
    draw.rounded_rectangle(_px(32, 22, 64, 64), radius=10, fill=colour)
    draw.arc(_px(56, 30, 76, 52), 270, 90, fill=colour, width=14)
    draw.rectangle(_px(32, 22, 64, 26), fill="#1d2330")


def knife(draw, colour):
    draw.polygon(_px(16, 40, 58, 34, 60, 44, 22, 44), fill="#c9ced6")
    draw.rounded_rectangle(_px(58, 33, 86, 45), radius=16, fill=colour)
    draw.rectangle(_px(57, 32, 61, 46), fill="#8a8f98")


def book(draw, colour):
    draw.rectangle(_px(30, 12, 70, 66), fill=colour)
    draw.rectangle(_px(30, 12, 34, 66), fill="#00000033")
    draw.rectangle(_px(40, 22, 64, 30), fill="#fffaf0")
    draw.rectangle(_px(40, 34, 58, 36), fill="#fffaf0")


def towel(draw, colour):
    draw.rectangle(_px(30, 14, 70, 66), fill=colour)
    for y in (20, 58):
        draw.rectangle(_px(30, y, 70, y + 3), fill="#f5f5f5")


def candle(draw, colour):
    draw.rounded_rectangle(_px(38, 30, 62, 66), radius=8, fill=colour)
    draw.line(_px(50, 24, 50, 30), fill="#1d2330", width=4)
    draw.ellipse(_px(46, 12, 54, 26), fill="#ffb020")


def blanket(draw, colour):
    draw.rectangle(_px(20, 18, 80, 62), fill=colour)
    for x in range(26, 80, 10):
        draw.line(_px(x, 18, x, 62), fill="#ffffff66", width=5)
    draw.rectangle(_px(20, 56, 80, 62), fill="#ffffff88")


ARTWORK: dict[str, tuple[Motif, str, str]] = {
    # SKU: motif, its colour, the background
    "RUN-001": (shoe, "#e4572e", "#fde8d7"), "JKT-002": (jacket, "#2e86ab", "#dceef7"),
    "CAP-003": (cap, "#7b2d26", "#f3e1dd"), "SOC-004": (socks, "#5c8001", "#eaf3d6"),
    "BAG-005": (bag, "#f18f01", "#fdefd7"), "LMP-006": (lamp, "#c73e1d", "#ececec"),
    "BTL-007": (bottle, "#6c757d", "#e3f2fd"), "COF-101": (packet, "#3e2723", "#efe6dd"),
    "TEA-102": (cup, "#b23a48", "#f8e1e4"), "CHO-103": (bar, "#f4a261", "#fbeee0"),
    "HON-104": (jar, "#e9b949", "#fff5d6"), "RYE-105": (bread, "#c9a26b", "#f5efe4"),
    "MUG-106": (mug, "#f5f5f5", "#d9e4ec"), "KNF-107": (knife, "#8d5524", "#ece4d8"),
    "BK-201": (book, "#386641", "#e6efe3"), "BK-202": (book, "#bc4749", "#f6e3e1"),
    "BK-203": (book, "#1b263b", "#dfe7f2"), "BK-204": (book, "#9c6644", "#f2e7dc"),
    "HOM-301": (towel, "#a3b18a", "#eef1e8"), "HOM-302": (candle, "#d4a373", "#f7eee3"),
    "HOM-303": (blanket, "#8e7dbe", "#ece8f6"), "HOM-304": (candle, "#e07a5f", "#fbe9e4"),
}


def illustration(sku: str) -> Image.Image:
    motif, colour, background = ARTWORK[sku]
    canvas = Image.new("RGB", (SIZE[0] * SCALE, SIZE[1] * SCALE), background)
    draw = ImageDraw.Draw(canvas, "RGBA")
    draw.ellipse(_px(20, 62, 80, 70), fill="#00000018")  # a soft shadow to stand on
    motif(draw, colour)
    return canvas.resize(SIZE, Image.Resampling.LANCZOS).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for sku in ARTWORK:
        illustration(sku).save(OUT / f"{sku}.png", optimize=True)


if __name__ == "__main__":
    main()
