"""`specadvisor check` over many config files: prints wall time per run and per file.

Generates N realistic files (shell scripts, Kubernetes manifests, compose files, TensorRT-LLM YAML,
llama.cpp scripts; a mix of clean and faulty) into a temporary directory, then times the CLI on the
whole directory (a fresh process, as CI runs it) next to `specadvisor --help` as the start-up floor.
Target (issue 5): 200 files in under 2 s. Usage: python benchmarks/check_scale.py [--files 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import median_wall_s  # benchmarks/timing.py (scripts run from this folder)

PAIRS = [
    ("meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.2-1B-Instruct", 4, 5),
    ("Qwen/Qwen3-32B", "Qwen/Qwen3-1.7B", 2, 4),
    ("Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct", 4, 6),
    ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct", 1, 16),
]


def _files(n: int) -> dict[str, str]:
    out = {}
    for i in range(n):
        t, d, tp, k = PAIRS[i % len(PAIRS)]
        kind = i % 5
        if kind == 0:
            out[f"serve_{i}.sh"] = (f"#!/bin/sh\nvllm serve {t} --tensor-parallel-size {tp} \\\n"
                                    f"  --speculative-config '{{\"model\": \"{d}\", \"num_speculative_tokens\": {k},"
                                    f" \"draft_tensor_parallel_size\": {tp}}}'\n")
        elif kind == 1:
            spec = f'{{"model":"{d}","num_speculative_tokens":{k}}}'
            out[f"deploy_{i}.yaml"] = (
                f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: m{i}}}\nspec:\n  template:\n    spec:\n"
                "      containers:\n      - name: vllm\n        image: vllm/vllm-openai:v0.15.1\n"
                "        command: [\"/bin/sh\", \"-c\"]\n        args:\n        - >-\n"
                f"          vllm serve {t} --tensor-parallel-size {tp}\n"
                f"          --speculative-config '{spec}'\n"
                f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\n")
        elif kind == 2:
            out[f"compose_{i}.yaml"] = (
                "services:\n  llm:\n    image: lmsysorg/sglang:v0.5.0\n    command: >\n"
                f"      python3 -m sglang.launch_server --model-path {t} --tp {tp}\n"
                f"      --speculative-algorithm STANDALONE --speculative-draft-model-path {d}\n"
                f"      --speculative-num-steps {k} --speculative-eagle-topk 1 --speculative-num-draft-tokens {k + 1}\n")
        elif kind == 3:
            out[f"trtllm_{i}.yaml"] = (f"disable_overlap_scheduler: true\nspeculative_config:\n  decoding_type: DraftTarget\n"
                                       f"  max_draft_len: {k}\n  speculative_model: {d}\n")
        else:
            out[f"llama_{i}.sh"] = (f"llama-server -m {t.split('/')[-1]}-Q4_K_M.gguf -md {d.split('/')[-1]}-Q8_0.gguf \\\n"
                                    f"  -ngl 99 -ngld 99 --draft-max {k} --draft-min 1\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in _files(args.files).items():
            (Path(tmp) / name).write_text(text)
        py = sys.executable
        floor = median_wall_s([py, "-m", "specadvisor", "--help"], args.runs)
        total = median_wall_s([py, "-m", "specadvisor", "check", tmp, "--format", "json"], args.runs)
        res = subprocess.run([py, "-m", "specadvisor", "check", tmp, "--format", "json"], capture_output=True, text=True)
        import json

        n_find = len(json.loads(res.stdout)["findings"])
    print(f"median of {args.runs} runs, python {sys.version.split()[0]}")
    print(f"  specadvisor --help (start-up floor)          {floor * 1000:8.1f} ms")
    print(f"  specadvisor check on {args.files} files ({n_find} findings) {total * 1000:8.1f} ms "
          f"({(total - floor) / args.files * 1000:.2f} ms per file beyond start-up)")
    print(f"target < 2000 ms: {'OK' if total < 2.0 else 'OVER'}")


if __name__ == "__main__":
    main()
