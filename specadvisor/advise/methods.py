"""Candidates beside separate drafts: the target's trained heads, its own MTP layers and n-gram.

Why its own module: a head or MTP module is not a catalog model, so none of the draft-pair machinery
(tokenizer verdicts, size-window rules, the alpha regression) applies. Each method candidate gets a
per-position acceptance curve (model/methods.py), a roofline cost of one drafting step at the
target's TP, a speedup per k with a band, and the `method` rules (rules/methods.yaml) decide its
verdict. Only heads trained for this target are offered; MTP only when the target has MTP layers;
n-gram always (ranked by how input-grounded the task is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from specadvisor.catalog.core import ModelRef
from specadvisor.catalog.heads import HeadCatalog, HeadSpec, load_heads
from specadvisor.model.coefficients import Coefficients
from specadvisor.model.costs import Deployment, forward_cost, max_concurrent_sequences, round_overhead_ms
from specadvisor.model.methods import (
    IN_ENGINE_STEP_OVERHEAD_MS,
    NGRAM_HOST_MS,
    AcceptanceCurve,
    acceptance_curve,
    speculator_ref,
    speedup_for,
)
from specadvisor.model.speedup import best_k
from specadvisor.rules.engine import VERDICTS, RuleSet
from specadvisor.vocab import Method

# (method, speculator label, head or None) for one target.
MethodOption = tuple[str, str, HeadSpec | None]

NGRAM_LABEL = "ngram"


def method_options(target: ModelRef, heads: HeadCatalog, methods: Sequence[str] | None = None) -> list[MethodOption]:
    """What can speculate for this target besides a separate draft, filtered by `methods` when given."""
    t = target.spec
    out: list[MethodOption] = [(h.method, h.id, h) for h in heads.for_target(t.id, t.aliases)]
    if t.mtp_layers > 0:
        out.append((Method.mtp.value, f"{t.id}#mtp", None))
    out.append((Method.ngram.value, NGRAM_LABEL, None))
    if methods:
        out = [o for o in out if o[0] in methods]
    return out


def resolve_option(target: ModelRef, ref: str, heads: HeadCatalog) -> MethodOption | None:
    """A `compare` argument naming a head, `mtp` or `ngram` (None: a separate draft model)."""
    key = ref.strip().lower()
    if key in (NGRAM_LABEL, "prompt-lookup", "prompt_lookup"):
        return (Method.ngram.value, NGRAM_LABEL, None)
    if key in ("mtp", f"{target.spec.id.lower()}#mtp"):
        return (Method.mtp.value, f"{target.spec.id}#mtp", None)
    for h in heads.heads:
        if h.id.lower() == key:
            return (h.method, h.id, h)
    return None


def runs_on(engine: str, method: str, head: HeadSpec | None, heads: HeadCatalog) -> bool:
    """Whether `engine` runs the method, and for a head, loads that checkpoint (its listed engines)."""
    if heads.engine_support(method, engine) is None:
        return False
    if head is None:
        return True
    if head.format == "speculators" and engine != "vllm":
        return False  # the speculators format is vLLM's (research 4a)
    return not head.engines or engine in dict(head.engines)


def _running_batch(requested: int, capacity: int | None) -> int:
    return requested if capacity is None else max(1, min(requested, capacity))


def evaluate_method(target: ModelRef, option: MethodOption, rw: Any, coeffs: Coefficients, rules: RuleSet,
                    heads: HeadCatalog, target_costs: dict[tuple[int, int], float] | None = None) -> dict[str, Any]:
    """One method candidate as the fields of a CandidateResult (advisor builds it: no import cycle),
    its verdict from the `method` rules."""
    method, label, head = option
    c = coeffs.cost
    dep = Deployment(rw.hardware, rw.tp, rw.batch_size, rw.context_len, rw.engine)
    b = _running_batch(rw.batch_size, max_concurrent_sequences(target, None, dep, c))
    cache = target_costs if target_costs is not None else {}

    def verify(n: int) -> float:
        key = (b, n)
        if key not in cache:
            cache[key] = forward_cost(target, dep, n, c, "target", batch=b).ms
        return cache[key]

    spec_ref = speculator_ref(method, target, head)
    draft_ms = 0.0
    if spec_ref is not None:
        fixed = c.engines[rw.engine].draft_step_overhead_ms  # the separate-draft proposer's, as fitted
        draft_ms = forward_cost(spec_ref, dep, 1, c, "draft", batch=b).ms - fixed + min(fixed, IN_ENGINE_STEP_OVERHEAD_MS)
    host_ms = NGRAM_HOST_MS if method == Method.ngram else 0.0
    ro = round_overhead_ms(dep, c, batch=b)
    t1 = verify(1)
    curve = acceptance_curve(method, rw.task, target.spec)
    if head is not None and head.acceptance is not None:  # a head-specific published prior
        a1, tail, rho, why = head.acceptance
        curve = replace(curve, a1=a1, a_tail=tail, rho=rho, source=why)
    low_c, high_c = curve.shifted(-1), curve.shifted(+1)
    unc = c.cost_uncertainty

    def speed(cv: AcceptanceCurve, k: int, scale: float = 1.0) -> float:
        extra = (verify(k + 1) - t1) * scale
        return speedup_for(cv, k, t1, draft_ms * scale, t1 + extra, t1, ro * scale, host_ms * scale)

    max_k = min(rw.max_k, curve.k_cap or rw.max_k)
    by_k = {k: speed(curve, k) for k in range(1, rw.max_k + 1)}
    kb = best_k({k: s for k, s in by_k.items() if k <= max_k})
    k = rw.k if rw.k is not None else kb
    s = by_k[k]
    s_lo = min(s, speed(low_c, k, 1 + unc))
    s_hi = max(s, speed(high_c, k, 1 - unc))
    support = heads.engine_support(method, rw.engine)
    supported = runs_on(rw.engine, method, head, heads)
    note = (f"{support.name} ({support.since})" if support else f"{rw.engine} has no {method} speculator")
    if support is not None and not supported:
        note = f"{label} is published for {', '.join(e for e, _ in head.engines) if head else '?'} only"
    facts: dict[str, Any] = {
        "target": target.spec.id, "speculator": label, "method": method, "engine": rw.engine,
        "engine_supports": supported, "engine_method": support.name if support else "",
        "engine_since": support.since if support else "", "trained_for_target": True,
        "match_rate": curve.match_rate, "k": k, "k_best": kb, "k_cap": curve.k_cap or 0,
        "tau": curve.tau(k), "cost_ratio": (draft_ms or host_ms) / t1, "speedup": s, "speedup_low": s_lo,
        "speedup_high": s_hi, "task": rw.task, "batch_size": rw.batch_size, "hardware": rw.hardware.id,
        "tp": rw.tp, "fits_memory": True,
    }
    fired = rules.fire("method", facts)
    verdicts = [r.verdict for r, _ in fired if r.verdict]
    verdict = max(verdicts, key=VERDICTS.index) if verdicts else "marginal"
    a1 = curve.conditional(1)
    # n-gram runs no model: its drafting cost is the per-round host lookup (C11), shown as the draft step.
    shown_ms = draft_ms if spec_ref is not None else host_ms
    return dict(
        draft=label, draft_id=head.id if head else label, weight_format=target.weight_format, virtual=False,
        compatible=verdict != "incompatible", relation=_relation(method), tokenizer="shared",
        engine_accepts=supported, engine_note=note, alpha=a1, alpha_low=low_c.conditional(1),
        alpha_high=high_c.conditional(1), alpha_source="prior", cost_ratio=shown_ms / t1, draft_step_ms=shown_ms,
        target_step_ms=t1, k=k, k_best=kb, tokens_per_round=curve.tau(k), speedup=s, speedup_low=s_lo,
        speedup_high=s_hi, speedup_by_k=by_k, verdict=verdict, reasons=tuple(reason for _, reason in fired),
        params_b=spec_ref.spec.params_b if spec_ref else 0.0, facts=facts, method=method,
    )


def _relation(method: str) -> str:
    return {"mtp": "own-mtp", "ngram": "context", "suffix": "context"}.get(method, "trained-head")


def method_candidates(target: ModelRef, rw: Any, coeffs: Coefficients, rules: RuleSet,
                      methods: Sequence[str] | None = None, heads: HeadCatalog | None = None,
                      target_costs: dict[tuple[int, int], float] | None = None) -> list[dict[str, Any]]:
    """Every non-draft method candidate for the target (see `method_options`)."""
    heads = heads or load_heads()
    return [evaluate_method(target, o, rw, coeffs, rules, heads, target_costs)
            for o in method_options(target, heads, methods)]
