"""`specadvisor check` over 1,000 files written in the forms launch discovery reads (issue 13).

Generates N files into a temporary directory: launch scripts with variables, defaults, arrays and
wrappers, `docker run` lines, heredocs that write engine YAML, a broken continuation, compose files
with a `.env`, Helm chart templates and values, kustomize overlays with JSON 6902 patches, systemd
units and Dockerfiles. Then it times the CLI on the directory (a fresh process, as CI runs it) next to
`specadvisor --help` as the start-up floor, and counts the launches `extract_file` finds against the
number written (every generated file has exactly the launches the generator put in it).
Target (issue 13): 1,000 files in under 5 s. Usage: python benchmarks/check_discovery_scale.py [--files 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import median_wall_s  # benchmarks/timing.py (scripts run from this folder)

PAIRS = [("meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"), ("Qwen/Qwen3-32B", "Qwen/Qwen3-1.7B"),
         ("Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct"), ("Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B")]


def _spec(d: str, k: int) -> str:
    return f'{{"model": "{d}", "num_speculative_tokens": {k}}}'


def _file(i: int) -> tuple[str, str, int]:
    """(relative path, text, launches in it)."""
    t, d = PAIRS[i % len(PAIRS)]
    k = 2 + i % 5
    kind = i % 10
    if kind == 0:
        return (f"s{i}/serve.sh", f'#!/bin/bash\nMODEL=${{MODEL:-{t}}}\nargs=(\n  --model "$MODEL"  # target\n'
                f"  --tensor-parallel-size 2\n)\nargs+=(--speculative-config '{_spec(d, k)}')\n"
                f'nohup python3 -m vllm.entrypoints.openai.api_server "${{args[@]}}" > log 2>&1 &\n', 1)
    if kind == 1:
        return (f"s{i}/run.sh", f'#!/bin/bash\nBIN="${{BIN:-./build/bin}}"\n: "${{N:={k}}}"\n'
                f'exec "$BIN/llama-server" -m /m/{t.split("/")[-1]}-Q4_K_M.gguf \\\n'
                f'  -md /m/{d.split("/")[-1]}-Q8_0.gguf --draft-max "$N" -ngl 99\n', 1)
    if kind == 2:
        return (f"s{i}/docker.sh", "docker run --gpus all --rm -p 8000:8000 --ipc=host -v /hf:/root/.cache/huggingface \\\n"
                f"  vllm/vllm-openai:v0.11.0 --model {t} --speculative-config '{_spec(d, k)}'\n"
                f"conda run -n sg --no-capture-output \"$PY\" -m sglang.launch_server --model-path {t} \\\n"
                f"  --speculative-algorithm STANDALONE --speculative-draft-model-path {d} --speculative-num-steps {k}\n", 2)
    if kind == 3:
        return (f"s{i}/trt.sh", f"M={t}\ncat > /tmp/o{i}.yaml <<EOF\nspeculative_config:\n  decoding_type: DraftTarget\n"
                f"  max_draft_len: {k}\n  speculative_model: {d}\nEOF\n"
                f'trtllm-serve "$M" --extra_llm_api_options /tmp/o{i}.yaml\n', 1)
    if kind == 4:
        return (f"s{i}/broken.sh", f"vllm serve {t} \\\n  --max-num-seqs 8 \\  \n  --speculative-config '{_spec(d, k)}'\n", 1)
    if kind == 5:
        return (f"c{i}/docker-compose.yml", "services:\n  llm:\n    image: vllm/vllm-openai:${TAG:-v0.11.0}\n"
                f"    command: [--model, '${{MODEL:-{t}}}', --speculative-config, '{_spec(d, k)}']\n", 1)
    if kind == 6:
        return (f"h{i}/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                '  name: {{ include "x.fullname" . }}\nspec:\n  template:\n    spec:\n      containers:\n'
                '        - name: vllm\n          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
                f'          command: ["vllm", "serve"]\n          args:\n            - {t}\n'
                "            {{- range .Values.extraArgs }}\n            - {{ . | quote }}\n            {{- end }}\n", 1)
    if kind == 7:
        return (f"h{i}/values.yaml", "servingEngineSpec:\n  modelSpec:\n    - name: m\n      repository: vllm/vllm-openai\n"
                f"      tag: v0.11.0\n      modelURL: {t}\n      vllmConfig:\n        tensorParallelSize: 2\n"
                f"        extraArgs: [--speculative-config, '{_spec(d, k)}']\n", 1)
    if kind == 8:
        return (f"k{i}/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                "images:\n  - name: vllm/vllm-openai\n    newTag: v0.11.0\npatches:\n  - target: {kind: Deployment}\n"
                "    patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/args\n"
                f"        value: [--model, {t}, --speculative-config, '{_spec(d, k)}']\n", 1)
    return (f"u{i}/llama.service", "[Service]\nExecStart=/opt/llama-server \\\n"
            f"  -m /m/{t.split('/')[-1]}.gguf -md /m/{d.split('/')[-1]}.gguf --draft-max {k}\n", 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from specadvisor.check.extract import extract_file

    with tempfile.TemporaryDirectory() as tmp:
        written = 0
        paths = []
        for i in range(args.files):
            rel, text, n = _file(i)
            p = Path(tmp) / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            paths.append(p)
            written += n
        t0 = time.perf_counter()
        found = sum(len(extract_file(p)[0]) for p in paths)
        extract_s = time.perf_counter() - t0
        py = sys.executable
        floor = median_wall_s([py, "-m", "specadvisor", "--help"], args.runs)
        total = median_wall_s([py, "-m", "specadvisor", "check", tmp, "--format", "json"], args.runs)
        res = subprocess.run([py, "-m", "specadvisor", "check", tmp, "--format", "text"], capture_output=True, text=True)
        summary = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else ""
    print(f"files: {args.files}  launches written: {written}  found by extract_file: {found} "
          f"({100 * found / max(written, 1):.1f}%)  extract only: {extract_s * 1000:.0f} ms")
    print(f"specadvisor --help: {floor * 1000:.0f} ms; check over {args.files} files: {total * 1000:.0f} ms "
          f"(median of {args.runs}; {(total - floor) * 1000 / args.files:.2f} ms per file beyond start-up)")
    print(f"check: {summary}")
    print(f"target < 5 s: {'PASS' if total < 5 else 'FAIL'}")


if __name__ == "__main__":
    main()
