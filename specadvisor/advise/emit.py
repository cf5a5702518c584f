"""Ready-to-paste engine configuration for a chosen target/draft/k.

Keys and flags follow each engine's current documentation (../shared/reference/engines.md): vLLM
`--speculative-config` JSON with method draft_model, SGLang STANDALONE flags, TensorRT-LLM's
DraftTarget YAML, transformers assisted generation, llama.cpp `llama-server -md`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specadvisor.catalog.core import ModelRef
from specadvisor.errors import SpecAdvisorError, UsageError
from specadvisor.vocab import EMIT_ENGINES as EMIT_ENGINE_LIST
from specadvisor.vocab import Verdict

if TYPE_CHECKING:
    from specadvisor.advise.advisor import Advice
    from specadvisor.catalog.core import Catalog

# Verdicts a candidate may have and still be emitted as the deployment's draft.
USABLE_VERDICTS = (Verdict.recommended.value, Verdict.marginal.value)

EMIT_ENGINES = tuple(e.value for e in EMIT_ENGINE_LIST)

# Weight formats an engine can apply to an unquantized checkpoint at load time.
_ONLINE_QUANT = {"vllm": {"fp8": "fp8"}, "sglang": {"fp8": "fp8"}}


def _gguf_name(ref: ModelRef) -> str:
    fmt = ref.weight_format.upper() if ref.weight_format.startswith("q") else "Q8_0"
    return f"{ref.spec.id.rsplit('/', 1)[-1]}-{fmt}.gguf"


def emit_config(engine: str, target: ModelRef, draft: ModelRef, k: int, tp: int) -> str:
    if engine not in EMIT_ENGINES:
        raise UsageError(f"--emit supports {', '.join(EMIT_ENGINES)}; got {engine!r}")
    notes: list[str] = []
    online = _ONLINE_QUANT.get(engine, {}).get(draft.weight_format) if draft.virtual else None
    if draft.virtual and online is None and engine != "llamacpp":
        notes.append(f"# {draft.label}: use a pre-quantized {draft.weight_format} checkpoint of {draft.spec.id} "
                     f"(this engine cannot quantize it at load time); replace the draft path below.")
    if target.virtual and engine != "llamacpp":
        notes.append(f"# target {target.label}: use a {target.weight_format} checkpoint of {target.spec.id}.")

    if engine == "vllm":
        spec = {"method": "draft_model", "model": draft.spec.id, "num_speculative_tokens": k,
                "draft_tensor_parallel_size": tp}
        if online:
            spec["quantization"] = online
        cmd = ["vllm", "serve", target.spec.id, "--tensor-parallel-size", str(tp),
               "--speculative-config", json.dumps(spec, separators=(",", ":"))]
        body = " ".join(shlex.quote(x) for x in cmd)
        notes.append("# needs a vLLM release with V1 draft_model support (after v0.13.x)")
    elif engine == "sglang":
        cmd = ["python3", "-m", "sglang.launch_server", "--model-path", target.spec.id, "--tp", str(tp),
               "--speculative-algorithm", "STANDALONE", "--speculative-draft-model-path", draft.spec.id,
               "--speculative-num-steps", str(k), "--speculative-eagle-topk", "1",
               "--speculative-num-draft-tokens", str(k + 1)]
        if online:
            cmd += ["--speculative-draft-model-quantization", online]
        body = " ".join(shlex.quote(x) for x in cmd)
    elif engine == "trtllm":
        body = "\n".join([
            "# config.yaml for: trtllm-serve " + target.spec.id + f" --backend pytorch --tp_size {tp} --config config.yaml",
            "disable_overlap_scheduler: true",
            "speculative_config:",
            "  decoding_type: DraftTarget",
            f"  max_draft_len: {k}",
            f"  speculative_model: {draft.spec.id}",
        ])
    elif engine == "transformers":
        body = "\n".join([
            "from transformers import AutoModelForCausalLM, AutoTokenizer",
            f"tok = AutoTokenizer.from_pretrained({target.spec.id!r})",
            f"target = AutoModelForCausalLM.from_pretrained({target.spec.id!r}, torch_dtype='auto', device_map='auto')",
            f"draft = AutoModelForCausalLM.from_pretrained({draft.spec.id!r}, torch_dtype='auto', device_map='auto')",
            "inputs = tok('Hello', return_tensors='pt').to(target.device)",
            "out = target.generate(**inputs, assistant_model=draft, max_new_tokens=256,",
            f"                      num_assistant_tokens={k}, num_assistant_tokens_schedule='constant')",
        ])
    else:  # llamacpp
        cmd = ["llama-server", "-m", _gguf_name(target), "-md", _gguf_name(draft), "-ngl", "99", "-ngld", "99",
               "--draft-max", str(k), "--draft-min", "1", "--port", "8080"]
        body = " ".join(shlex.quote(x) for x in cmd)
        notes.append("# GGUF file names are placeholders; newer builds name the flags --spec-draft-n-max/--spec-draft-n-min")
    return "\n".join([*notes, body]) + "\n"


def _method_runs_on(engine: str, c: Any) -> bool:
    """A head / MTP / n-gram candidate the emit engine can run (it may differ from the advice's engine)."""
    from specadvisor.advise.methods import runs_on
    from specadvisor.catalog.heads import load_heads

    heads = load_heads()
    return runs_on(engine, c.method, next((h for h in heads.heads if h.id == c.draft_id), None), heads)


@dataclass(frozen=True)
class EmittedConfig:
    """The config for the best usable candidate, and the one-line prediction it carries."""

    text: str
    prediction: str


def emit_best(engine: str, advice: Advice, catalog: Catalog) -> EmittedConfig:
    """Emit the engine config for the best usable candidate of `advice` (ranked order, verdict usable)."""
    usable_any = [c for c in advice.candidates if c.compatible and c.verdict in USABLE_VERDICTS]
    usable = [c for c in usable_any if c.method == "draft_model" or _method_runs_on(engine, c)]
    if usable_any and not usable:
        methods = sorted({c.method for c in usable_any})
        raise SpecAdvisorError(f"{engine} cannot run {', '.join(methods)} speculation for these candidates "
                               "(research section 4); choose another engine with --emit")
    if not usable:
        raise SpecAdvisorError("no usable draft to emit a config for (verdict: " + advice.verdict + ")")
    best = usable[0]
    if best.method != "draft_model":  # a head, MTP or n-gram (issue #12)
        from specadvisor.advise.method_emit import emit_method_config
        from specadvisor.catalog.heads import load_heads

        heads = load_heads()
        head = next((h for h in heads.heads if h.id == best.draft_id), None)
        from specadvisor.advise.schedule import k_schedule
        from specadvisor.model.coefficients import load_coefficients
        from specadvisor.rules.engine import load_rules

        option = (best.method, best.draft, head)
        schedule = k_schedule(advice.target, option, advice.workload, load_coefficients(), load_rules(), heads)
        text = emit_method_config(engine, advice.target, best.method, head, best.k, advice.workload.tp, heads,
                                  schedule)
        return EmittedConfig(text, f"# {best.draft} ({best.method}): predicted {best.speedup:.2f}x (band "
                                   f"{best.speedup_low:.2f}-{best.speedup_high:.2f}x) at k={best.k}, estimate")
    text = emit_config(engine, advice.target, catalog.model(best.draft), best.k, advice.workload.tp)
    return EmittedConfig(text, f"# {best.draft}: predicted {best.speedup:.2f}x (band {best.speedup_low:.2f}-"
                               f"{best.speedup_high:.2f}x) at k={best.k}, estimate")
