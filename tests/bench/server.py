"""The shop under gunicorn (2 sync workers) on 127.0.0.1, and wrk (Debian's) to load it."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(environment: dict[str, str], workers: int = 2) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "tests.bench.wsgi:application"],
        cwd=ROOT, env={**os.environ, **environment}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped: " + process.stderr.read().decode()[-2000:])
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def worker_rss_mb(master_pid: int) -> list[float]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def requests_per_second(url: str, seconds: float, cookie: str | None = None, connections: int = 8) -> float:
    """wrk on 127.0.0.1 (2 threads, `connections` connections); without wrk a bounded Python loop."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    if not wrk_available():
        return _python_loop(url, seconds, cookie)
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{max(int(seconds), 1)}s", *headers, url],
                            capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def _python_loop(url: str, seconds: float, cookie: str | None) -> float:
    session = requests.Session()
    headers = {"Cookie": cookie} if cookie else {}
    done, deadline = 0, time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        session.get(url, headers=headers, timeout=10).raise_for_status()
        done += 1
    return done / (time.monotonic() - started)
