"""`make soak`: many more payment lives than CI runs, with the counts printed.

    python -m tests.proof.soak [--sequences 1000] [--steps 8]
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import build_database

from . import harness
from .machine import COUNTS


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.proof.soak", description=__doc__)
    parser.add_argument("--sequences", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=harness.STEPS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the faults make the shop log every retry; the counts say it all
    with tempfile.TemporaryDirectory(prefix="payment-life-template-") as workdir:
        template = Path(workdir) / "shop.sqlite3"
        build_database(f"sqlite:///{template}", SIMULATOR_STORAGE=str(Path(workdir) / "sim.sqlite3"))
        started = time.monotonic()
        failure = None
        with harness.world(template):
            try:
                harness.run(args.sequences, args.steps, database=None)
            except Exception as error:  # hypothesis printed the shrunk steps and the @reproduce_failure line
                failure = error
    elapsed = time.monotonic() - started
    print(f"sequences {COUNTS['sequences']} (hypothesis examples incl. shrinking), steps {COUNTS['steps']}, "
          f"faults injected {COUNTS['faults']}, invariant checks {COUNTS['checks']}, in {elapsed:.0f} s")
    if failure is not None:
        print(f"FAILED: {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
