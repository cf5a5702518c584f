"""The stable, documented JSON/YAML shape of an `Advice` (schema_version 1; see README)."""

from __future__ import annotations

from typing import Any

from specadvisor.advise.advisor import Advice, CandidateResult

SCHEMA_VERSION = 1


def _r(x: float, n: int = 3) -> float:
    return round(float(x), n)


def candidate_to_dict(c: CandidateResult) -> dict[str, Any]:
    return {
        "draft": c.draft,
        "draft_id": c.draft_id,
        "method": c.method,
        "weight_format": c.weight_format,
        "virtual": c.virtual,
        "rank": c.rank,
        "compatible": c.compatible,
        "relation": c.relation,
        "tokenizer": c.tokenizer,
        "engine_accepts": c.engine_accepts,
        "engine_note": c.engine_note,
        "alpha": _r(c.alpha),
        "alpha_low": _r(c.alpha_low),
        "alpha_high": _r(c.alpha_high),
        "alpha_source": c.alpha_source,
        "cost_ratio": _r(c.cost_ratio, 4),
        "draft_step_ms": _r(c.draft_step_ms),
        "target_step_ms": _r(c.target_step_ms),
        "k": c.k,
        "k_best": c.k_best,
        "tokens_per_round": _r(c.tokens_per_round),
        "speedup": _r(c.speedup),
        "speedup_low": _r(c.speedup_low),
        "speedup_high": _r(c.speedup_high),
        "speedup_by_k": {str(k): _r(v) for k, v in c.speedup_by_k.items()},
        "verdict": c.verdict,
        "tie": c.tie,
        "running_batch": c.facts.get("running_batch"),
        "running_batch_without_draft": c.facts.get("running_batch_base"),
        "reasons": [r.as_dict() for r in c.reasons],
    }


def advice_to_dict(a: Advice) -> dict[str, Any]:
    w = a.workload
    t = a.target
    return {
        "schema_version": SCHEMA_VERSION,
        "estimate": True,
        "coefficients": a.coefficients_status,
        "target": {
            "id": t.spec.id,
            "weight_format": t.weight_format,
            "params_b": t.spec.params_b,
            "active_params_b": t.spec.active_params_b,
            "family": t.spec.family,
            "tokenizer": t.spec.tokenizer,
            "vocab_size": t.spec.vocab_size,
        },
        "workload": {
            "hardware": w.hardware.id,
            "draft_hardware": w.draft_hardware.id if w.draft_hardware is not None else None,
            "tp": w.tp,
            "tp_source": w.tp_source,
            "batch_size": w.batch_size,
            "effective_batch": w.effective_batch,
            "context_len": w.context_len,
            "task": w.task,
            "thinking": w.thinking,
            "temperature": w.temperature,
            "engine": w.engine,
            "k": w.k,
            "max_k": w.max_k,
            "alpha": w.alpha,
            "effective_task": a.facts.get("effective_task", w.task),
            "max_context": a.facts.get("max_context"),
            "sequences_fit": a.facts.get("sequences_fit"),
        },
        "candidates": [candidate_to_dict(c) for c in a.candidates],
        "total_candidates": a.total_candidates,
        "verdict": a.verdict,
        "cannot_run_reason": a.facts.get("cannot_run_reason"),
        "reasons": [r.as_dict() for r in a.reasons],
    }
