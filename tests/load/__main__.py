"""python -m tests.load [--shoppers N] [--seconds T] [--server postgresql://postgres@127.0.0.1:5432/postgres]"""
from __future__ import annotations

import argparse
import os
import sys

from . import run_load
from .server import DEFAULT_SERVER


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__)
    parser.add_argument("--shoppers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--server", default=os.environ.get("SHOP_TEST_DATABASE_URL") or DEFAULT_SERVER,
                        help="PostgreSQL server; a scratch database is created on it and dropped afterwards")
    args = parser.parse_args()
    print(f"{args.shoppers} shoppers for {args.seconds:.0f} s against gunicorn -w {args.workers} on PostgreSQL ...",
          flush=True)
    result = run_load(args.server, shoppers=args.shoppers, seconds=args.seconds, workers=args.workers)
    print("\n".join(result.lines()))
    r = result.reconciliation
    failed = result.stats.errors or r.lost or r.doubled or r.differing
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
