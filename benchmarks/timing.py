"""Wall-clock timing shared by the benchmark scripts: the median of repeated runs of a whole command."""

from __future__ import annotations

import statistics
import subprocess
import time


def median_wall_s(cmd: list[str], runs: int) -> float:
    """Median seconds of `runs` runs of `cmd` (output discarded; the exit code is not judged here)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)
