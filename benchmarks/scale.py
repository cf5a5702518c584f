"""Scale: `recommend` over a generated catalog of N candidates, and `check` over many configs.

All figures are measured in this run, each command in a fresh process (as a user runs it):
  start-up:   specadvisor recommend on the embedded catalog (the reference)
  recommend:  the same with --catalog GENERATED (N/3 models -> N candidates with their FP8/INT4
              variants), first run (parses the YAML) and second run (the parsed-catalog cache)
  check:      specadvisor check over M generated configs
and the peak resident memory of each child process. Targets (issue 7): recommend < 1 s beyond
start-up, check over 1,000 configs < 5 s, peak memory < 200 MB.
Usage: python benchmarks/scale.py [--candidates 10000] [--configs 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_scale import _files  # noqa: E402  (the same realistic config generator)

TARGET = "meta-llama/Llama-3.1-70B-Instruct"


def _catalog(n_models: int, seed: int = 7) -> str:
    rnd = random.Random(seed)
    lines = ["models:"]
    for i in range(n_models):
        layers = rnd.choice([12, 16, 22, 24, 28, 32])
        hidden = rnd.choice([1024, 1536, 2048, 2560, 3072])
        heads = hidden // 64
        inter = hidden * 4
        vocab = rnd.choice([128256, 128256, 151936, 32000])
        tok = {128256: "llama3", 151936: "qwen2", 32000: "llama2"}[vocab]
        params = (layers * (4 * hidden * hidden + 3 * hidden * inter) + vocab * hidden) / 1e9
        lines += [
            f"  - id: synthetic/model-{i}",
            f"    family: {'llama' if tok == 'llama3' else 'synthetic'}",
            '    generation: "3.2"',
            f"    params_b: {params:.4f}",
            f"    layers: {layers}",
            f"    hidden_size: {hidden}",
            f"    intermediate_size: {inter}",
            f"    heads: {heads}",
            f"    kv_heads: {heads}",
            f"    vocab_size: {vocab}",
            "    tie_embeddings: true",
            f"    tokenizer: {tok}",
            "    precision: bf16",
            "    domain: general",
            f"    source: https://example.invalid/synthetic/model-{i}/config.json",
        ]
    return "\n".join(lines) + "\n"


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in MB (ru_maxrss of the waited child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    del before
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", type=int, default=10_000)
    ap.add_argument("--configs", type=int, default=1_000)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SPECADVISOR_CACHE_DIR": str(Path(tmp) / "cache")}
        cat = Path(tmp) / "big_catalog.yaml"
        n_models = max(1, args.candidates // 3)
        cat.write_text(_catalog(n_models))
        base_cmd = [py, "-m", "specadvisor", "recommend", "--target", TARGET, "--format", "json"]
        _run(base_cmd, env)  # warm the embedded catalog's cache
        start_up, mem0 = _run(base_cmd, env)
        cold, mem1 = _run([*base_cmd, "--catalog", str(cat)], env)
        warm, mem2 = _run([*base_cmd, "--catalog", str(cat)], env)
        cfg_dir = Path(tmp) / "configs"
        cfg_dir.mkdir()
        for name, text in _files(args.configs).items():
            (cfg_dir / name).write_text(text)
        chk, mem3 = _run([py, "-m", "specadvisor", "check", str(cfg_dir), "--format", "json"], env)
    n_cand = n_models * 3
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"  recommend, embedded catalog (start-up reference)     {start_up * 1000:8.0f} ms  peak {mem0:6.0f} MB")
    print(f"  recommend, +{n_models} models = {n_cand} candidates, 1st run {cold * 1000:8.0f} ms  peak {mem1:6.0f} MB"
          f"  ({(cold - start_up) * 1000:.0f} ms beyond start-up)")
    print(f"  recommend, same catalog, 2nd run (cache)           {warm * 1000:8.0f} ms  peak {mem2:6.0f} MB"
          f"  ({(warm - start_up) * 1000:.0f} ms beyond start-up)")
    print(f"  check, {args.configs} configs                                 {chk * 1000:8.0f} ms  peak {mem3:6.0f} MB")
    ok = (warm - start_up) < 1.0 and chk < 5.0 and max(mem0, mem1, mem2, mem3) < 200
    print(f"targets (recommend < 1 s beyond start-up, check < 5 s, memory < 200 MB): {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
