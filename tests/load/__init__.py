"""`make loadtest`: the shop under gunicorn on PostgreSQL with the Klarna simulator, many no-JS shoppers
paying on the hosted page while a merchant ships, edits, takes returns and refunds; then the database
is checked against the simulator. Bounded in time, on 127.0.0.1 only.

    python -m tests.load --shoppers 50 --seconds 60
"""
from __future__ import annotations

import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, select

from shop.models import PaymentMethod, Product, ShippingMethod

from .checks import Reconciliation, reconcile
from .clients import Catalogue, Stats, shopper_loop
from .merchant import merchant_loop
from .server import running_shop

MERCHANTS = 2  # two people in the back office, on different orders (or now and then the same one)
JOIN_GRACE = 90.0  # seconds a checkout under way may take to finish after the time is up


@dataclass
class LoadResult:
    stats: Stats
    reconciliation: Reconciliation
    seconds: float

    @property
    def requests(self) -> int:
        return len(self.stats.latencies)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.stats.statuses.items() if status is None or status >= 500)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.stats.latencies)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else 0.0

    def lines(self) -> list[str]:
        r, stats = self.reconciliation, self.stats
        return [
            f"requests {self.requests} in {self.seconds:.0f} s ({self.requests / max(self.seconds, 1):.1f}/s), "
            f"errors {len(stats.errors)}, 5xx or no answer {self.server_errors}",
            "checkouts " + ", ".join(f"{k} {v}" for k, v in sorted(stats.checkouts.items())),
            "merchant " + ", ".join(f"{k} {v}" for k, v in sorted(stats.merchant.items())),
            f"orders created {r.orders_created}, authorized {r.authorized}, captured {r.captured}, lost {len(r.lost)}, "
            f"doubly captured or refunded {len(r.doubled)}, differing from Klarna {len(r.differing)}",
            f"latency p50 {self.percentile(0.5) * 1000:.0f} ms, p90 {self.percentile(0.9) * 1000:.0f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.0f} ms, mean {statistics.fmean(stats.latencies or [0]) * 1000:.0f} ms",
            *(f"error: {error}" for error in stats.errors[:20]),
        ]


def catalogue(database_url: str) -> Catalogue:
    engine = create_engine(database_url)
    with Session(engine) as session:
        products = [(p.id, p.slug) for p in session.exec(select(Product).where(Product.stock > 1000))] or \
            [(p.id, p.slug) for p in session.exec(select(Product))]
        shipping = session.exec(select(ShippingMethod).order_by(ShippingMethod.position)).first().id
        klarna = session.exec(select(PaymentMethod).where(PaymentMethod.provider == "klarna")).one().id
    engine.dispose()
    return Catalogue(products, shipping, klarna)


def run_load(server_url: str, shoppers: int = 50, seconds: float = 60, workers: int = 4) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="shop-load-") as workdir, \
            running_shop(server_url, Path(workdir), workers=workers) as shop:
        _plenty_of_stock(shop.database_url)
        stats, stop = Stats(), threading.Event()
        known = catalogue(shop.database_url)
        threads = [threading.Thread(target=shopper_loop, args=(i, shop.base_url, known, stop, stats), daemon=True)
                   for i in range(shoppers)]
        threads += [threading.Thread(target=merchant_loop, args=(shop.base_url, shop.database_url, stop, stats, seed),
                                     daemon=True) for seed in range(MERCHANTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(seconds)
        stop.set()
        deadline = time.monotonic() + JOIN_GRACE
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
        elapsed = time.monotonic() - started
        unfinished = sum(thread.is_alive() for thread in threads)
        if unfinished:
            stats.error(f"{unfinished} clients still busy {JOIN_GRACE:.0f} s after the end")
        result = LoadResult(stats, reconcile(shop.database_url, shop.environment["SHOP_SIMULATOR_STORAGE"]), elapsed)
    return result


def _plenty_of_stock(database_url: str) -> None:
    """Enough stock that no shopper meets "sold out" (that is a correct answer, but not what is measured)."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        for product in session.exec(select(Product)):
            product.stock = 1_000_000
            session.add(product)
        session.commit()
    engine.dispose()
