"""python -m tests.bench [--quick]: see tests/bench/__init__.py."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import select

from shop import create_app
from shop.db import new_session
from shop.models import Order, Product

from .data import add_orders, add_products
from .databases import config, environment, migrated_shop, scratch_database
from .measure import admin_cookie, admin_p50s, klarna_calls, shopper_cookie, throughput
from .server import gunicorn, worker_rss_mb, wrk_available

FULL = {"products": 1_000, "orders": 100_000, "small_orders": 1_000, "seconds": 5, "rounds": 3, "repetitions": 15}
QUICK = {"products": 1_000, "orders": 20_000, "small_orders": 1_000, "seconds": 2, "rounds": 1, "repetitions": 7}
GOALS = {"front page": 0.15, "product page": 0.15, "cart, 3 items": 0.1, "admin order page": 0.1}


class CallbackQueue:
    """The simulator's server-to-server calls, delivered when the bench says so."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.app = None

    def __call__(self, url: str, body: dict) -> None:
        self.sent.append((url, body))

    def deliver(self) -> None:
        client = self.app.test_client()
        for url, body in self.sent:
            parts = urlsplit(url)
            client.post(parts.path, json=body)
        self.sent.clear()


def line(name: str, value: str, ratio: str = "", note: str = "") -> None:
    print(f"{name:<34} {value:>14} {ratio:>10}  {note}", flush=True)


def build(name: str, url: str, folder: Path, products: int, orders: int):
    started = time.monotonic()
    app, engine = migrated_shop(url, folder)
    add_products(engine, products)
    add_orders(engine, orders)
    line(f"data: {name}", f"{orders:,} orders", "", f"{products:,} products, generated in "
         f"{time.monotonic() - started:.0f} s")
    app.extensions["shop_engine"].dispose()
    return url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    sizes = QUICK if parser.parse_args().quick else FULL
    database = "PostgreSQL" if os.environ.get("SHOP_DATABASE_URL", "").startswith("postgresql") else "SQLite"
    tool = "wrk -t2 -c8" if wrk_available() else "a Python loop (install wrk: make wrk)"
    print(f"Nordshop bench: gunicorn 2 sync workers, {database}, {tool}, 127.0.0.1, "
          f"median of {sizes['rounds']} interleaved round(s) of {sizes['seconds']} s")
    with tempfile.TemporaryDirectory(prefix="shop-bench-") as scratch:
        folder = Path(scratch)
        with scratch_database("large", folder) as large_url, scratch_database("small", folder) as small_url:
            build("large", large_url, folder, sizes["products"], sizes["orders"])
            build("small", small_url, folder, sizes["products"], sizes["small_orders"])
            serve(large_url, folder, sizes)
            admin_at_scale(large_url, small_url, folder, sizes)
            count_klarna_calls(small_url, folder)
    return 0


def serve(url: str, folder: Path, sizes: dict) -> None:
    with gunicorn(environment(url, folder)) as (base, master):
        app = create_app(config(url, folder))
        with new_session(app) as session:
            products = session.exec(select(Product).where(Product.active).order_by(Product.id).limit(3)).all()
            number = session.exec(select(Order.number).order_by(Order.id.desc())).first()
        app.extensions["shop_engine"].dispose()
        admin = admin_cookie(base)
        pages = {
            "bare Flask route": ("/_bare/", None),
            "front page": ("/fi/", None),
            "product page": (f"/fi/p/{products[0].slug}", None),
            "cart, 3 items": ("/fi/cart", shopper_cookie(base, [p.id for p in products])),
            "admin order page": (f"/admin/orders/{number}", admin),
            "admin orders list": ("/admin/orders", admin),
        }
        rates = throughput(base, pages, sizes["seconds"], sizes["rounds"])
        bare = rates.pop("bare Flask route")
        line("bare Flask route", f"{bare:,.0f} req/s", "1.000")
        for name, rate in rates.items():
            goal = GOALS.get(name)
            line(name, f"{rate:,.0f} req/s", f"{rate / bare:.3f}", f"goal >= {goal}" if goal else "")
        line("worker RSS", " / ".join(f"{size:.0f}" for size in worker_rss_mb(master)) + " MB", "", "after the load")


def admin_at_scale(large_url: str, small_url: str, folder: Path, sizes: dict) -> None:
    results = {}
    for name, url in (("small", small_url), ("large", large_url)):
        app = create_app(config(url, folder))
        results[name] = admin_p50s(app, sizes["repetitions"])
        app.extensions["shop_engine"].dispose()
    print(f"admin p50, {sizes['orders']:,} orders vs {sizes['small_orders']:,} (in process; goal ratio <= 2):")
    for view, large_ms in results["large"].items():
        small_ms = results["small"][view]
        line(f"  {view}", f"{large_ms:.1f} ms", f"x{large_ms / small_ms:.2f}", f"{small_ms:.1f} ms at the smaller")


def count_klarna_calls(url: str, folder: Path) -> None:
    callbacks = CallbackQueue()
    app = create_app(config(url, folder, SIMULATOR_CALLBACK_SENDER=callbacks, MAIL_SEND_IN_BACKGROUND=False))
    callbacks.app = app
    counts = klarna_calls(app, callbacks)
    app.extensions["shop_engine"].dispose()
    line("Klarna calls per checkout", str(counts.pop("checkout")), "", "goal <= 4")
    for action, calls in counts.items():
        line(f"Klarna calls: admin {action}", str(calls), "", "goal: its write + at most one read")


if __name__ == "__main__":
    sys.exit(main())
