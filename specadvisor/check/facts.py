"""From what a config says (a `Site`) to the named facts the config rules read.

Model names are resolved against the catalog (Hub ids, local paths and GGUF file names by their last
path component); when both models are known the tokenizer and engine verdicts come from
`specadvisor.model.compat` and the predicted speedup from the same estimator `recommend` uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from specadvisor.advise.advisor import Workload, evaluate_pair, resolve_workload
from specadvisor.catalog.core import Catalog, ModelRef
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format
from specadvisor.check.sites import Site
from specadvisor.errors import SpecAdvisorError
from specadvisor.model.acceptance import relation
from specadvisor.model.coefficients import ENGINES, Coefficients
from specadvisor.model.compat import engine_verdict, tokenizer_verdict
from specadvisor.rules.engine import RuleSet

_GGUF_QUANT = re.compile(r"[-._](i?q\d[a-z0-9_]*|f16|f32|bf16)$", re.IGNORECASE)


@dataclass(frozen=True)
class Defaults:
    """Workload assumptions for predictions, from .specadvisor.yaml `defaults:` or the command line."""

    hardware: str = "h100-sxm"
    batch_size: int | None = None
    context_len: int = 1024
    task: str = "general"
    engine_version: str | None = None


def resolve_model(catalog: Catalog, name: Any, fmt: str | None = None) -> ModelRef | None:
    """A catalog model for a Hub id, a local path or a GGUF file name (None when unknown)."""
    if not isinstance(name, str) or not name.strip():
        return None
    text = name.strip().rstrip("/")
    quant = None
    if ":" in text and not text.startswith(("/", ".")):  # llama.cpp -hf org/repo-GGUF:Q4_K_M
        text, _, quant = text.partition(":")
    spec = catalog.find_model(text)
    if spec is None:
        tail = text.rsplit("/", 1)[-1]
        if tail.lower().endswith(".gguf"):
            tail = tail[:-5]
            m = _GGUF_QUANT.search(tail)
            if m:
                quant = quant or m.group(1)
                tail = tail[: m.start()]
        if tail.lower().endswith("-gguf"):
            tail = tail[:-5]
        tail_l = tail.lower()
        for m_ in catalog.models:
            if any(i.rsplit("/", 1)[-1].lower() == tail_l for i in (m_.id, *m_.aliases)):
                spec = m_
                break
    if spec is None:
        return None
    base = catalog.model(spec.id)
    for candidate in (fmt, quant):
        if candidate:
            c = canonical_format(candidate)
            if c in WEIGHT_FORMATS() and c != base.weight_format:
                return ModelRef(spec, c, virtual=True)
    return base


def site_facts(site: Site, catalog: Catalog, coeffs: Coefficients, rules: RuleSet, defaults: Defaults) -> dict[str, Any]:
    v = site.values
    facts: dict[str, Any] = {name: v.get(name) for name in (
        "target", "draft", "method", "k", "draft_tp", "spec_config", "spec_has_tp_key", "legacy_spec_flags",
        "legacy_flag_names", "spec_max_model_len", "disable_padded_drafter_batch", "sglang_spec_params_set",
        "sglang_steps", "sglang_topk", "sglang_num_draft_tokens", "trtllm_decoding_type",
        "trtllm_has_speculative_model", "trtllm_disable_overlap", "llamacpp_draft_min", "llamacpp_p_min", "tgi_draft_requested",
        "ollama_draft_requested")}
    facts["file"] = site.path
    facts["engine"] = site.engine
    version = v.get("engine_version") or defaults.engine_version
    facts["engine_version"] = str(version) if version is not None else None
    facts["engine_version_known"] = version is not None
    tp = v.get("tp") if isinstance(v.get("tp"), int) else 1
    facts["tp"] = tp
    if isinstance(facts["sglang_steps"], int):  # a chain of n steps verifies n + 1 tokens
        facts["sglang_chain_tokens"] = facts["sglang_steps"] + 1
    batch = v.get("batch_size") if isinstance(v.get("batch_size"), int) else defaults.batch_size
    facts["batch_declared"] = batch is not None
    facts["batch_size"] = batch or 1
    hardware = str(v.get("hardware") or defaults.hardware)
    facts["hardware"] = hardware
    if facts["draft"] is None:
        return facts
    target = resolve_model(catalog, facts["target"], _fmt(v.get("target_quantization")))
    draft = resolve_model(catalog, facts["draft"], _fmt(v.get("draft_quantization")))
    facts["target_known"] = target is not None
    facts["draft_known"] = draft is not None
    if draft is not None:
        facts["draft_params_b"] = draft.spec.params_b
        facts["draft_max_context"] = draft.spec.max_context
        facts["draft_precision"] = draft.weight_format
        facts["draft_quantized"] = draft.quantized
    if target is None or draft is None:
        return facts
    t, d = target.spec, draft.spec
    tok = tokenizer_verdict(t, d)
    facts.update(target_params_b=t.params_b, tokenizer=tok, relation=relation(t, d, tok),
                 target_precision=target.weight_format, target_quantized=target.quantized)
    engine = site.engine if site.engine in ENGINES else None
    if engine is not None:
        ev = engine_verdict(engine, t, d, tok)
        facts.update(engine_accepts=ev.accepts, engine_note=ev.note)
    k = facts["k"]
    if engine is None or not isinstance(k, int) or not 1 <= k <= 64 or tok == "different":
        return facts
    try:
        w = Workload(hardware=hardware, tp=tp, batch_size=facts["batch_size"], context_len=defaults.context_len,
                     task=str(v.get("task") or defaults.task), engine=engine, k=k, max_k=max(16, k))
        rw = resolve_workload(catalog, target, w, coeffs)
    except SpecAdvisorError:
        return facts
    res = evaluate_pair(catalog, target, draft, rw, coeffs, rules)
    best = res.speedup_by_k[res.k_best]
    speedup = res.speedup
    if engine == "llamacpp" and (facts.get("llamacpp_p_min") or 0.0) > 0.0:
        # With p-min, llama.cpp stops each draft where the draft is unsure: --draft-max is a cap, and the
        # draft length it settles on is modelled as the best one between --draft-min and the cap.
        low = facts.get("llamacpp_draft_min") if isinstance(facts.get("llamacpp_draft_min"), int) else 1
        speedup = max((s for j, s in res.speedup_by_k.items() if max(low, 1) <= j <= k), default=speedup)
        facts["k_adaptive"] = True
    facts.update(speedup=speedup, speedup_best=best, k_best=res.k_best, alpha=res.alpha,
                 k_loss=max(0.0, 1.0 - speedup / best) if best > 0 else 0.0)
    return facts


def _fmt(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    c = canonical_format(value)
    return c if c in WEIGHT_FORMATS() else None
