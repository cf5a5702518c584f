"""From what a config says (a `Site`) to the named facts the config rules read.

Model names are resolved against the catalog by `names.py` (Hub ids, cache snapshots, local
directories, quantized re-hosts, GGUF files). The draft-model facts (tokenizer, sizes, predicted
speedup) are computed only when the method in use runs a separate draft LM: on MTP layers, EAGLE heads
or n-gram lookup they describe nothing real. When both models are known the tokenizer and engine
verdicts come from `specadvisor.model.compat` and the predicted speedup from the estimator `recommend` uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specadvisor.advise.advisor import Workload, evaluate_pair, resolve_workload
from specadvisor.catalog.core import Catalog, ModelRef
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format
from specadvisor.check.methods import is_separate_draft
from specadvisor.check.names import head_kind, is_placeholder, resolve_name
from specadvisor.check.sites import Site
from specadvisor.check.versions import pinned_version
from specadvisor.errors import SpecAdvisorError
from specadvisor.model.acceptance import relation
from specadvisor.model.coefficients import ENGINES, Coefficients
from specadvisor.model.compat import engine_verdict, tokenizer_verdict
from specadvisor.rules.engine import RuleSet


@dataclass(frozen=True)
class Defaults:
    """Workload assumptions for predictions, from .specadvisor.yaml `defaults:` or the command line."""

    hardware: str = "h100-sxm"
    batch_size: int | None = None
    context_len: int = 1024
    task: str = "general"
    engine_version: str | None = None
    engine_versions: Mapping[str, str] = field(default_factory=dict)  # engine -> version


def resolve_model(catalog: Catalog, name: Any, fmt: str | None = None) -> ModelRef | None:
    """A catalog model for a Hub id, a cache path, a local directory or a GGUF file name (None when unknown)."""
    found = resolve_name(catalog, name, fmt)
    return found.ref if found is not None else None


def engine_version(site: Site, defaults: Defaults) -> tuple[str | None, str | None]:
    """(version, where it was read): the image tag, a pin in the repository, then .specadvisor.yaml."""
    v = site.values
    if v.get("engine_version"):
        return str(v["engine_version"]), str(v.get("engine_version_source") or "deployment file")
    pin = pinned_version(site.path, site.engine)
    if pin is not None:
        return pin[0], pin[1]
    per_engine = defaults.engine_versions.get(site.engine)
    if per_engine:
        return per_engine, f".specadvisor.yaml defaults.engine_versions.{site.engine}"
    if defaults.engine_version:
        return defaults.engine_version, ".specadvisor.yaml defaults.engine_version"
    return None, None


def site_facts(site: Site, catalog: Catalog, coeffs: Coefficients, rules: RuleSet, defaults: Defaults) -> dict[str, Any]:
    """Every fact the config rules read for one launch (absent facts are None and match no condition)."""
    v = site.values
    facts: dict[str, Any] = {name: v.get(name) for name in (
        "target", "draft", "method", "k", "draft_tp", "spec_config", "spec_has_tp_key", "legacy_spec_flags",
        "legacy_flag_names", "spec_max_model_len", "disable_padded_drafter_batch", "sglang_spec_params_set",
        "sglang_steps", "sglang_topk", "sglang_num_draft_tokens", "sglang_algorithm", "trtllm_decoding_type",
        "trtllm_has_speculative_model", "trtllm_disable_overlap", "llamacpp_draft_min", "llamacpp_p_min",
        "tgi_draft_requested", "ollama_draft_requested", "llamacpp_refactored", "llamacpp_spec_enabled", "k_runtime")}
    facts["file"] = site.path
    facts["engine"] = site.engine
    version, source = engine_version(site, defaults)
    facts["engine_version"] = version
    facts["engine_version_source"] = source
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
    method = facts["method"]
    if method is None and facts["draft"] is not None:
        method = facts["method"] = "draft_model"  # a draft with no method: a separate draft LM in every engine
    facts["draft_head_kind"] = head_kind(facts["draft"]) if facts["draft"] is not None else None
    target = resolve_name(catalog, facts["target"], _fmt(v.get("target_quantization")))
    facts["target_known"] = target is not None
    if target is not None:
        facts.update(target_resolved=target.id, target_precision=target.weight_format,
                     target_quantized=target.ref.quantized, target_params_b=target.ref.spec.params_b)
    facts["target_placeholder"] = is_placeholder(facts["target"])
    if facts["draft"] is None or not is_separate_draft(method):
        return facts  # MTP layers, EAGLE heads, n-gram: no separate draft LM for the draft rules to judge
    draft = resolve_name(catalog, facts["draft"], _fmt(v.get("draft_quantization")))
    facts["draft_known"] = draft is not None
    facts["draft_placeholder"] = is_placeholder(facts["draft"])
    if draft is not None:
        facts.update(draft_resolved=draft.id, draft_params_b=draft.ref.spec.params_b,
                     draft_max_context=draft.ref.spec.max_context, draft_precision=draft.weight_format,
                     draft_quantized=draft.ref.quantized)
    if target is None or draft is None:
        return facts
    t, d = target.ref.spec, draft.ref.spec
    tok = tokenizer_verdict(t, d)
    facts.update(tokenizer=tok, relation=relation(t, d, tok))
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
        rw = resolve_workload(catalog, target.ref, w, coeffs)
    except SpecAdvisorError:
        return facts
    res = evaluate_pair(catalog, target.ref, draft.ref, rw, coeffs, rules)
    best = res.speedup_by_k[res.k_best]
    speedup = res.speedup
    if engine == "llamacpp" and (facts.get("llamacpp_p_min") or 0.0) > 0.0:
        # With p-min, llama.cpp stops each draft where the draft is unsure: --draft-max is a cap, and the
        # draft length it settles on is modelled as the best one between --draft-min and the cap.
        raw_min = facts.get("llamacpp_draft_min")
        low = raw_min if isinstance(raw_min, int) else 1
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
