"""`specadvisor check` on 10 MB of hostile config: must finish in under 5 s and 300 MB (issue #15).

Writes the hostile shapes of tests/hostile.py (deep JSON, 5,000-digit integers, a Dockerfile line of 60,000
spaces, 20,000 launches, 100,000+ continuation lines, big YAML block lists, alias bombs, binary and invalid
UTF-8), scaled so that the files that are actually parsed total at least 10 MB (each under the 8 MiB
per-file cap), plus one 10 MB script that the cap refuses. Each run is a fresh process, as CI runs it; wall
time and peak RSS come from `os.wait4`. Exit status 1 if a bound is missed.

Usage: python benchmarks/check_hostile.py [--runs 3] [--mb 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile import hostile_configs  # noqa: E402

MAX_WALL_S = 5.0
MAX_RSS_MB = 300.0


def write_corpus(d: Path, mb: float) -> tuple[int, int]:
    """(bytes parsed, files): hostile files totalling at least `mb` MB, plus one over-cap file."""
    total, files, copy = 0, 0, 0
    while total < mb * 1e6:
        sub = d / f"set{copy}"
        sub.mkdir()
        for name, data in hostile_configs().items():
            (sub / name).write_bytes(data)
            total += len(data)
            files += 1
        copy += 1
    (d / "huge.sh").write_bytes(b"vllm serve x \\\n  --tp 1 \\\n" * (10_000_000 // 24))  # over the 8 MiB cap
    return total, files + 1


def run_once(d: Path) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "specadvisor", "check", str(d), "--format", "json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    if "Traceback" in err:
        raise SystemExit(f"traceback:\n{err}")
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mb", type=float, default=10.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="specadvisor-hostile-") as tmp:
        d = Path(tmp)
        parsed, files = write_corpus(d, args.mb)
        print(f"corpus: {files} files, {parsed / 1e6:.1f} MB parsed (+ one 10 MB file refused by the cap)")
        results = [run_once(d) for _ in range(args.runs)]
    walls = sorted(r[0] for r in results)
    rss = max(r[1] for r in results)
    codes = {r[2] for r in results}
    print(f"check wall: median {walls[len(walls) // 2]:.2f} s, max {walls[-1]:.2f} s (bound {MAX_WALL_S:g} s)")
    print(f"peak RSS: {rss:.0f} MB (bound {MAX_RSS_MB:g} MB); exit codes {sorted(codes)}")
    ok = walls[-1] < MAX_WALL_S and rss < MAX_RSS_MB and codes <= {0, 1}
    print("OK" if ok else "BOUND MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
