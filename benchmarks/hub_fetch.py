"""Concurrent Hub fetching: wall time for 50 candidate drafts against a fake Hub with ~100 ms latency.

Starts the loopback fake Hub of the test suite (tests/fakehub.py) with a fixed delay on every request,
runs discovery and metadata fetching for a target whose family has 50 smaller models, and prints the
wall time beside the sequential estimate (requests x latency) and the concurrency used. A second run
from the cache shows the request count dropping to zero.

    python benchmarks/hub_fetch.py [--latency 0.1] [--candidates 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakehub import FakeHub, bench_family  # noqa: E402

from specadvisor.catalog import load_catalog  # noqa: E402
from specadvisor.hub.cache import HubCache  # noqa: E402
from specadvisor.hub.resolve import extend_catalog  # noqa: E402
from specadvisor.hub.source import HubSource  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.1, help="seconds added to every request")
    ap.add_argument("--candidates", type=int, default=50)
    args = ap.parse_args()
    base = load_catalog()
    with FakeHub(bench_family(args.candidates), latency=args.latency) as hub, tempfile.TemporaryDirectory() as cache:
        for label in ("cold cache", "warm cache"):
            src = HubSource(hub.url, token=False, timeout=10, cache=HubCache(cache))
            before = hub.count()
            start = time.perf_counter()
            res = extend_catalog(base, "bench/BenchLM-70B", hub_only=True, source=src, max_candidates=args.candidates,
                                 progress=False)
            wall = time.perf_counter() - start
            n = hub.count() - before
            drafts = len(res.models) - 1
            print(f"{label}: {drafts} drafts fetched, {n} requests, wall {wall:.2f}s; sequential estimate "
                  f"{n} x {args.latency * 1000:.0f} ms = {n * args.latency:.2f}s; concurrency {res.workers or 'none (cache)'}"
                  + (f"; {n * args.latency / wall:.1f}x faster" if n else ""))


if __name__ == "__main__":
    main()
