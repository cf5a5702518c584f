"""Concurrent Hub fetching: wall time for 50 candidate drafts against a fake Hub with 100 ms latency per request.

Starts the loopback fake Hub of the test suite (tests/fakehub.py) with a fixed delay on every request,
runs discovery and metadata fetching for a target whose family has 50 smaller models, and prints the
wall time beside the ideal for the concurrency used, requests / concurrency x latency (what a pool
that is never idle would take). Target (issue 7): wall <= 1.5 x ideal. A second run from the cache
must make zero requests.

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

from specadvisor.catalog.core import load_catalog  # noqa: E402
from specadvisor.hub.cache import HubCache  # noqa: E402
from specadvisor.hub.resolve import extend_catalog  # noqa: E402
from specadvisor.hub.source import HubSource  # noqa: E402

TARGET_RATIO = 1.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.1, help="seconds added to every request")
    ap.add_argument("--candidates", type=int, default=50)
    args = ap.parse_args()
    base = load_catalog()
    with FakeHub(bench_family(args.candidates), latency=args.latency) as hub, tempfile.TemporaryDirectory() as cache:
        runs = []
        for _ in range(2):  # cold cache, then warm
            src = HubSource(hub.url, token=False, timeout=10, cache=HubCache(cache))
            before = hub.count()
            start = time.perf_counter()
            res = extend_catalog(base, "bench/BenchLM-70B", hub_only=True, source=src, max_candidates=args.candidates,
                                 progress=False)
            runs.append((time.perf_counter() - start, hub.count() - before, res))
    (wall, n, res), (wall2, n2, res2) = runs
    workers = res.workers or 1
    ideal = n / workers * args.latency
    ratio = wall / ideal if ideal else float("nan")
    print(f"candidates:   {len(res.models) - 1} drafts fetched (+ the target)")
    print(f"requests:     {n}")
    print(f"concurrency:  {res.workers}")
    print(f"latency:      {args.latency * 1000:.0f} ms per request")
    print(f"ideal:        {n} / {workers} x {args.latency * 1000:.0f} ms = {ideal:.2f} s")
    print(f"sequential:   {n} x {args.latency * 1000:.0f} ms = {n * args.latency:.2f} s")
    print(f"wall:         {wall:.2f} s")
    print(f"ratio:        {ratio:.2f} x ideal (target <= {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"second run:   {n2} requests, {len(res2.models) - 1} drafts, wall {wall2:.2f} s "
          f"(target 0 requests: {'met' if n2 == 0 else 'NOT met'})")


if __name__ == "__main__":
    main()
