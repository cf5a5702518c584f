"""Start-up time of the CLI against the floor of importing its dependencies.

Prints medians over repeated runs, all measured in this run on this machine:
  floor:      python -c "import typer, rich, yaml, numpy"
  --help:     specadvisor --help
  recommend:  specadvisor recommend --target meta-llama/Llama-3.1-70B-Instruct --format json
Target (issue 2): recommend <= 1.5x the floor. Usage: python benchmarks/startup.py [--runs N]

The children run with byte-code caching on, as an installed package has it (pip compiles .pyc files at
install): with PYTHONDONTWRITEBYTECODE set, every start would recompile specadvisor's sources (~15 ms),
which no installed user pays. The script says so when it had to override the variable.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    cases = {
        "floor (import typer, rich, yaml, numpy)": [py, "-c", "import typer, rich, yaml, numpy"],
        "specadvisor --help": [py, "-m", "specadvisor", "--help"],
        "specadvisor recommend (70B target, json)": [
            py, "-m", "specadvisor", "recommend", "--target", "meta-llama/Llama-3.1-70B-Instruct", "--format", "json"],
    }
    for cmd in cases.values():  # warm the file cache and write the byte-code caches
        _time(cmd, 1)
    results = {name: _time(cmd, args.runs) for name, cmd in cases.items()}
    floor = results["floor (import typer, rich, yaml, numpy)"]
    print(f"median of {args.runs} runs, python {sys.version.split()[0]}")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("  (PYTHONDONTWRITEBYTECODE is set here; the runs clear it so that .pyc caches are used, as installed)")
    for name, secs in results.items():
        print(f"  {name:45s} {secs * 1000:7.1f} ms  {secs / floor:5.2f}x floor")
    ratio = results["specadvisor recommend (70B target, json)"] / floor
    print(f"recommend / floor = {ratio:.2f} (target <= 1.50): {'OK' if ratio <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    main()
