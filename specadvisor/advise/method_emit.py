"""Ready-to-paste engine configuration for a head, the target's MTP layers or n-gram (issue #12).

Each engine's syntax follows docs/research/speculators-2026.md section 4: vLLM `--speculative-config`
method eagle/eagle3/mtp/ngram (4a; a speculators-format head is self-describing: `vllm serve HEAD`),
SGLang `--speculative-algorithm` EAGLE/EAGLE3/NGRAM with num-steps/eagle-topk/num-draft-tokens (4b;
MTP runs as EAGLE on the model's own NextN layer), TensorRT-LLM `decoding_type` Eagle3/MTP/NGram
(4c), llama.cpp `--spec-type draft-eagle3/draft-mtp/ngram-mod` (4d). An engine that cannot run the
method raises an error that says so (the CLI prints it as one line). Chains only (topk 1): trees are
not modelled, so none are emitted.
"""

from __future__ import annotations

import json
import shlex

from specadvisor.advise.schedule import Schedule, off_above, trtllm_form, vllm_form
from specadvisor.catalog.core import ModelRef
from specadvisor.catalog.heads import HeadCatalog, HeadSpec
from specadvisor.errors import SpecAdvisorError
from specadvisor.vocab import Method


def _q(cmd: list[str]) -> str:
    return " ".join(shlex.quote(x) for x in cmd)


def _gguf(name: str) -> str:
    return f"{name.rsplit('/', 1)[-1]}-Q8_0.gguf"


def _schedule_notes(engine: str, schedule: Schedule | None) -> list[str]:
    """The per-concurrency k in the engine's own form, as comments (older releases reject the keys)."""
    if not schedule:
        return []
    if engine == "vllm":
        return [f'# k per concurrency: add "num_speculative_tokens_per_batch_size": {vllm_form(schedule)} to the '
                "speculative config on releases that have it (vLLM docs dynamic_speculative_decoding.md @015a47e)"]
    if engine == "trtllm":
        return [f"# k per concurrency: draft_len_schedule: {trtllm_form(schedule)} (NVIDIA/TensorRT-LLM#10860; "
                "no drafting above the last key)"]
    stop = off_above(schedule)
    if stop is not None:
        return [f"# {engine} has no per-batch k: launch without speculation if concurrency exceeds {stop}"]
    return []


def emit_method_config(engine: str, target: ModelRef, method: str, head: HeadSpec | None, k: int, tp: int,
                       heads: HeadCatalog, schedule: Schedule | None = None) -> str:
    """The launch for `method` on `engine` at draft length k (raises when the engine lacks the method)."""
    support = heads.engine_support(method, engine)
    if support is None:
        raise SpecAdvisorError(f"{engine} cannot run {method} speculation (research section 4); "
                               f"choose another engine with --emit or a separate draft")
    t = target.spec.id
    notes = [f"# {method} on {engine}: {support.name}, available since {support.since} ({support.source})",
             *_schedule_notes(engine, schedule)]
    if engine == "vllm":
        if head is not None and head.format == "speculators":
            notes.append("# speculators-format checkpoint: its config carries the verifier and k")
            body = _q(["vllm", "serve", head.id, "--tensor-parallel-size", str(tp)])
        else:
            spec: dict[str, object] = {"method": support.name, "num_speculative_tokens": k}
            if head is not None:
                spec["model"] = head.id
            if method == Method.ngram:
                spec.update({"prompt_lookup_min": 2, "prompt_lookup_max": 5})  # as in research P10/P11
            body = _q(["vllm", "serve", t, "--tensor-parallel-size", str(tp),
                       "--speculative-config", json.dumps(spec, separators=(",", ":"))])
    elif engine == "sglang":
        cmd = ["python3", "-m", "sglang.launch_server", "--model-path", t, "--tp", str(tp),
               "--speculative-algorithm", support.name]
        if method == Method.ngram:
            cmd += ["--speculative-num-draft-tokens", str(k)]
        else:
            if head is not None:
                cmd += ["--speculative-draft-model-path", head.id]
            cmd += ["--speculative-num-steps", str(k), "--speculative-eagle-topk", "1",
                    "--speculative-num-draft-tokens", str(k + 1)]
        if method == Method.mtp:
            notes.append("# MTP: SGLang reads the model's own NextN layer; above 32 running requests raise "
                         "--max-running-requests (its MTP default is 32, research 4b)")
        body = _q(cmd)
    elif engine == "trtllm":
        lines = [f"# config.yaml for: trtllm-serve {t} --backend pytorch --tp_size {tp} --config config.yaml",
                 "speculative_config:", f"  decoding_type: {support.name}"]
        if method == Method.mtp:
            lines.append(f"  num_nextn_predict_layers: {k}  # must equal max_draft_len (research 4c)")
        lines.append(f"  max_draft_len: {k}")
        if head is not None:
            lines.append(f"  speculative_model: {head.id}")
        body = "\n".join(lines)
    elif engine == "llamacpp":
        cmd = ["llama-server", "-m", _gguf(t)]
        if head is not None:
            cmd += ["-md", _gguf(head.id)]
        cmd += ["--spec-type", support.name]
        if method != Method.ngram:
            cmd += ["--spec-draft-n-max", str(k)]
        body = _q(cmd + ["--port", "8080"])
        notes.append("# GGUF names are placeholders; --spec-type needs a build after llama.cpp#22964 (2026-05-12)")
    else:
        raise SpecAdvisorError(f"{engine} cannot run {method} speculation")
    return "\n".join([*notes, body]) + "\n"
