"""Recommend and compare draft models for a target: the product's main job, as plain functions.

Each candidate gets a tokenizer and engine verdict, an alpha estimate with a band, the roofline costs
of a draft step and of verifying k+1 tokens at the workload's batch, the speedup for every k in
1..max_k, and the rules from `rules/` that fire on those facts. The rules decide each verdict, so the
reasons a user sees are exactly what decided it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from specadvisor.advise.methods import evaluate_method, method_candidates, resolve_option
from specadvisor.catalog.core import Catalog, Hardware, ModelRef
from specadvisor.catalog.heads import HeadCatalog, load_heads
from specadvisor.catalog.weights import WEIGHT_FORMATS
from specadvisor.errors import UsageError
from specadvisor.model.acceptance import estimate_alpha, is_distilled_for, logit, relation, sigmoid
from specadvisor.model.coefficients import ENGINES, TASKS, Coefficients, CostCoefficients, load_coefficients
from specadvisor.model.compat import engine_verdict, tokenizer_verdict
from specadvisor.model.costs import Deployment, forward_cost, max_concurrent_sequences, memory_gb, round_overhead_ms
from specadvisor.model.speedup import RoundCosts, best_k, speedup_at, speedup_curve, tokens_per_round
from specadvisor.rules.engine import VERDICTS, Reason, RuleSet, load_rules
from specadvisor.vocab import Method, Verdict, values

# The what-if weight formats offered for every candidate draft (the article's trade-off 4), in the
# formats each engine actually loads: llama.cpp runs GGUF quants, MLX its 8/4-bit affine quants, TPUs
# have no FP8 units; the CUDA servers load FP8 and INT4 (AWQ/GPTQ) checkpoints.
VIRTUAL_DRAFT_FORMATS: dict[str, tuple[str, ...]] = {
    "vllm": ("fp8", "int4"), "sglang": ("fp8", "int4"), "trtllm": ("fp8", "int4"),
    "transformers": ("int8", "int4"), "llamacpp": ("q8_0", "q4_k_m"), "mlx": ("int8", "int4"), "jax": ("int8",),
}
TP_CHOICES = (1, 2, 4, 8)
MAX_K_LIMIT = 64


@dataclass(frozen=True)
class Workload:
    """What the user serves and on what; defaults are a single H100 serving one stream with vLLM."""

    hardware: str = "h100-sxm"
    tp: int | None = None  # None: the smallest of 1/2/4/8 whose memory holds the target
    batch_size: int = 1
    # Average tokens in context per sequence. 1024 matches vLLM's serving benchmark default (random
    # prompts of 1024 tokens, 128 generated); long-context traffic should pass its own figure.
    context_len: int = 1024
    task: str = "general"
    temperature: float = 0.0
    engine: str = "vllm"
    alpha: float | None = None  # a measured per-token alpha replaces the estimate
    k: int | None = None  # fix k instead of choosing the best
    max_k: int = 16
    measured_alpha: float | None = None  # alpha measured on real traffic for the deployed draft ...
    measured_draft: str | None = None  # ... which is this one
    thinking: bool = True  # a reasoning target writes its trace (its default); False: thinking turned off
    methods: tuple[str, ...] | None = None  # --method filter (specadvisor.vocab.Method values); None: all

    def validate(self) -> None:
        if self.methods is not None:
            for m in self.methods:
                if m not in values(Method):
                    raise UsageError(f"unknown method {m!r} (choose from {', '.join(values(Method))})")
        if self.engine not in ENGINES:
            raise UsageError(f"unknown engine {self.engine!r} (choose from {', '.join(ENGINES)})")
        if self.task not in TASKS:
            raise UsageError(f"unknown task {self.task!r} (choose from {', '.join(TASKS)})")
        if self.tp is not None and not 1 <= self.tp <= 64:
            raise UsageError(f"--tp must be between 1 and 64, got {self.tp}")
        if not 1 <= self.batch_size <= 100_000:
            raise UsageError(f"--batch-size must be between 1 and 100000, got {self.batch_size}")
        if not 1 <= self.context_len <= 10_000_000:
            raise UsageError(f"--context-len must be between 1 and 10000000, got {self.context_len}")
        if not 0.0 <= self.temperature <= 10.0:
            raise UsageError(f"--temperature must be between 0 and 10, got {self.temperature}")
        if self.alpha is not None and not 0.0 <= self.alpha < 1.0:
            raise UsageError(f"--alpha is a per-token acceptance rate in [0, 1), got {self.alpha}")
        if self.measured_alpha is not None and not 0.0 < self.measured_alpha < 1.0:
            raise UsageError(f"the measured per-token alpha must lie in (0, 1), got {self.measured_alpha}")
        if not 1 <= self.max_k <= MAX_K_LIMIT:
            raise UsageError(f"max k must be between 1 and {MAX_K_LIMIT}, got {self.max_k}")
        if self.k is not None and not 1 <= self.k <= MAX_K_LIMIT:
            raise UsageError(f"--k must be between 1 and {MAX_K_LIMIT}, got {self.k}")


@dataclass(frozen=True)
class ResolvedWorkload:
    hardware: Hardware
    tp: int
    tp_source: str  # "given" | "auto"
    batch_size: int
    effective_batch: int
    context_len: int
    task: str
    temperature: float
    engine: str
    max_k: int
    k: int | None
    alpha: float | None
    # A measured alpha anchors the estimates: the deployed draft takes it as is, and every other
    # candidate's logit moves by the same amount (what this traffic does that the prior cannot know).
    measured_draft: str | None = None
    measured_alpha: float | None = None
    alpha_shift: float = 0.0
    thinking: bool = True


@dataclass(frozen=True)
class CandidateResult:
    draft: str
    draft_id: str
    weight_format: str
    virtual: bool
    compatible: bool
    relation: str
    tokenizer: str
    engine_accepts: bool
    engine_note: str
    alpha: float
    alpha_low: float
    alpha_high: float
    alpha_source: str
    cost_ratio: float
    draft_step_ms: float
    target_step_ms: float
    k: int
    k_best: int
    tokens_per_round: float
    speedup: float
    speedup_low: float
    speedup_high: float
    speedup_by_k: dict[int, float]
    verdict: str
    reasons: tuple[Reason, ...]
    rank: int = 0
    params_b: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # what the rules read
    method: str = Method.draft_model.value  # how the draft tokens are produced (advise/methods.py for the others)


@dataclass(frozen=True)
class Advice:
    target: ModelRef
    workload: ResolvedWorkload
    candidates: tuple[CandidateResult, ...]
    verdict: str
    reasons: tuple[Reason, ...]
    total_candidates: int
    coefficients_status: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    facts: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # what the workload rules read


# -- workload resolution ---------------------------------------------------------------------------


def _auto_tp(target: ModelRef, hw: Hardware, coeffs: Coefficients) -> int:
    if hw.kind in ("apple", "cpu"):
        return 1  # unified-memory machines and CPUs serve from one device
    need = memory_gb(target)
    for tp in TP_CHOICES:
        # leave a fifth of usable memory for the KV cache and the draft
        if need <= hw.memory_gb * tp * coeffs.cost.memory_utilization * 0.8:
            return tp
    return TP_CHOICES[-1]


def resolve_workload(catalog: Catalog, target: ModelRef, w: Workload, coeffs: Coefficients) -> ResolvedWorkload:
    w.validate()
    hw = catalog.hardware_by_name(w.hardware)
    tp = w.tp if w.tp is not None else _auto_tp(target, hw, coeffs)
    return ResolvedWorkload(hardware=hw, tp=tp, tp_source="given" if w.tp is not None else "auto",
                            batch_size=w.batch_size, effective_batch=w.batch_size, context_len=w.context_len,
                            task=w.task, temperature=w.temperature, engine=w.engine, max_k=w.max_k, k=w.k,
                            alpha=w.alpha, thinking=w.thinking)


# -- one pair --------------------------------------------------------------------------------------


def _scaled(costs: RoundCosts, factor: float) -> RoundCosts:
    """Costs with the speculative part (drafting, extra verification, overhead) scaled by `factor`."""
    one = costs.verify_ms(1)

    def verify(n: int) -> float:
        return one + (costs.verify_ms(n) - one) * factor

    return RoundCosts(costs.target_step_ms, costs.draft_step_ms * factor, verify, costs.round_overhead_ms * factor)


def speedup_band(alpha: float, alpha_low: float, alpha_high: float, k: int, costs: RoundCosts,
                 uncertainty: float) -> tuple[float, float, float]:
    """(speedup, low, high) at k: the low end pairs the low alpha with costs raised by `uncertainty`,
    the high end the high alpha with costs lowered by it. One definition for recommend and the fit."""
    s = speedup_at(alpha, k, costs)
    lo = speedup_at(alpha_low, k, _scaled(costs, 1 + uncertainty))
    hi = speedup_at(alpha_high, k, _scaled(costs, 1 - uncertainty))
    return s, min(s, lo), max(s, hi)


def round_costs(
    target: ModelRef,
    draft: ModelRef,
    rw: ResolvedWorkload,
    c: CostCoefficients,
    target_costs: dict[tuple[int, int], float] | None = None,
) -> RoundCosts:
    """The costs of one speculative round for this pair and workload (see `specadvisor.model.costs`)."""
    dep = Deployment(rw.hardware, rw.tp, rw.batch_size, rw.context_len, rw.engine)
    # The draft's weights and KV cache take memory from the target's KV cache, so at high concurrency
    # speculation runs fewer sequences at once than plain decoding. Compare token throughput at each
    # one's own running batch: at batch 1 this is the usual per-sequence speedup.
    b_base = _running_batch(rw.batch_size, max_concurrent_sequences(target, None, dep, c))
    b = _running_batch(rw.batch_size, max_concurrent_sequences(target, draft, dep, c))
    cache = target_costs if target_costs is not None else {}

    def verify(n: int) -> float:
        # The target's costs depend only on the running batch, so candidates share them.
        key = (b, n)
        if key not in cache:
            cache[key] = forward_cost(target, dep, n, c, "target", batch=b).ms
        return cache[key]

    baseline = verify(1) if b == b_base else forward_cost(target, dep, 1, c, "target", batch=b_base).ms * b / b_base
    td = forward_cost(draft, dep, 1, c, "draft", batch=b).ms
    return RoundCosts(baseline, td, verify, round_overhead_ms(dep, c, batch=b))


def evaluate_pair(
    catalog: Catalog,
    target: ModelRef,
    draft: ModelRef,
    rw: ResolvedWorkload,
    coeffs: Coefficients,
    rules: RuleSet,
    target_costs: dict[tuple[int, int], float] | None = None,
    verdict_only: bool = False,
) -> CandidateResult:
    """Estimate one draft for the target; `target_costs` caches target forward times across calls.

    With `verdict_only`, only the rules that can change the verdict run (enough to rank thousands of
    candidates); `with_reasons` adds the others for the candidates that are shown.
    """
    t, d = target.spec, draft.spec
    tok = tokenizer_verdict(t, d)
    ev = engine_verdict(rw.engine, t, d, tok)
    rel = relation(t, d, tok)

    if rw.alpha is not None:
        alpha = lo = hi = rw.alpha
        alpha_source = "measured"
    elif rw.measured_alpha is not None and draft.label == rw.measured_draft:
        alpha = lo = hi = rw.measured_alpha
        alpha_source = "measured"
    else:
        est = estimate_alpha(target, draft, rel, rw.task, rw.temperature, coeffs.acceptance, catalog, rw.thinking)
        alpha, lo, hi = est.alpha, est.low, est.high
        alpha_source = "estimate"
        if rw.alpha_shift:
            alpha, lo, hi = (sigmoid(logit(a) + rw.alpha_shift) for a in (alpha, lo, hi))
            alpha_source = "anchored"

    c = coeffs.cost
    costs = round_costs(target, draft, rw, c, target_costs)
    t1, td = costs.verify_ms(1), costs.draft_step_ms
    curve = speedup_curve(alpha, costs, rw.max_k)
    kb = best_k(curve)
    k = rw.k if rw.k is not None else kb
    s, s_lo, s_hi = speedup_band(alpha, lo, hi, k, costs, c.cost_uncertainty)

    facts: dict[str, Any] = {
        "target": t.id, "draft": draft.label, "target_params_b": t.params_b, "draft_params_b": d.params_b,
        "size_ratio": t.params_b / d.params_b, "relation": rel, "tokenizer": tok, "engine": rw.engine,
        "engine_accepts": ev.accepts, "engine_note": ev.note, "alpha": alpha, "alpha_low": lo,
        "alpha_high": hi, "alpha_source": alpha_source, "k": k, "k_best": kb,
        "tau": tokens_per_round(alpha, k), "cost_ratio": td / t1, "speedup": s, "speedup_low": s_lo,
        "speedup_high": s_hi, "draft_precision": draft.weight_format,
        "target_precision": target.weight_format, "draft_quantized": draft.quantized,
        "target_quantized": target.quantized, "draft_virtual": draft.virtual,
        "distilled": is_distilled_for(t, d, catalog), "task": rw.task, "temperature": rw.temperature,
        "batch_size": rw.batch_size, "hardware": rw.hardware.id, "tp": rw.tp, "draft_domain": d.domain,
        "target_domain": t.domain,
        "fits_memory": memory_gb(target) + memory_gb(draft)
        <= rw.hardware.memory_gb * rw.tp * c.memory_utilization,
        "draft_memory_gb": round(memory_gb(draft), 1),
    }
    fired = rules.fire("candidate", facts, verdict_only)
    verdict = _worst_verdict([r.verdict for r, _ in fired if r.verdict]) or "marginal"
    return CandidateResult(
        draft=draft.label, draft_id=d.id, weight_format=draft.weight_format, virtual=draft.virtual,
        compatible=verdict != "incompatible", relation=rel, tokenizer=tok, engine_accepts=ev.accepts,
        engine_note=ev.note, alpha=alpha, alpha_low=lo, alpha_high=hi, alpha_source=alpha_source,
        cost_ratio=td / t1, draft_step_ms=td, target_step_ms=t1, k=k, k_best=kb,
        tokens_per_round=facts["tau"], speedup=s, speedup_low=facts["speedup_low"],
        speedup_high=facts["speedup_high"], speedup_by_k=curve, verdict=verdict,
        reasons=tuple(reason for _, reason in fired), params_b=d.params_b, facts=facts,
    )


def with_reasons(result: CandidateResult, rules: RuleSet) -> CandidateResult:
    """The candidate with every rule's reason (after a verdict-only evaluation)."""
    scope = "candidate" if result.method == Method.draft_model else "method"
    return replace(result, reasons=tuple(reason for _, reason in rules.fire(scope, result.facts)))


def _running_batch(requested: int, capacity: int | None) -> int:
    """Sequences an engine runs at once: the request, capped by KV capacity (at least one)."""
    if capacity is None:
        return requested
    return max(1, min(requested, capacity))


def _worst_verdict(verdicts: Sequence[str]) -> str | None:
    return max(verdicts, key=VERDICTS.index) if verdicts else None


# -- candidates and reports ------------------------------------------------------------------------


def candidate_drafts(catalog: Catalog, target: ModelRef, engine: str = "vllm") -> list[ModelRef]:
    """Every catalog model smaller than the target, as shipped and in the engine's quantized formats."""
    out: list[ModelRef] = []
    formats = WEIGHT_FORMATS()
    for spec in catalog.models:
        if spec is target.spec or spec.params_b >= target.spec.params_b:
            continue
        if (spec.domain == "speech") != (target.spec.domain == "speech"):
            continue  # a speech decoder never drafts for a text model, nor the reverse
        shipped = catalog.model(spec.id)
        out.append(shipped)
        for fmt in VIRTUAL_DRAFT_FORMATS.get(engine, ("fp8", "int4")):
            if formats[fmt].bits < shipped.bits_per_weight:
                out.append(ModelRef(spec, fmt, virtual=True))
    return out


def _rank(results: list[CandidateResult]) -> list[CandidateResult]:
    return sorted(results, key=lambda r: (r.verdict == "incompatible", -r.speedup, r.cost_ratio, r.draft))


def _report(catalog: Catalog, target: ModelRef, rw: ResolvedWorkload, results: list[CandidateResult],
            coeffs: Coefficients, rules: RuleSet, top: int | None) -> Advice:
    ranked = _rank(results)
    usable = [r for r in ranked if r.verdict in (Verdict.recommended, Verdict.marginal)]
    compatible = [r for r in ranked if r.compatible]
    best = usable[0] if usable else None
    dep = Deployment(rw.hardware, rw.tp, rw.batch_size, rw.context_len, rw.engine)
    eff = _running_batch(rw.batch_size, max_concurrent_sequences(target, None, dep, coeffs.cost))
    rw = replace(rw, effective_batch=eff)
    facts = {
        "target": target.label, "target_params_b": target.spec.params_b, "batch_size": rw.batch_size,
        "effective_batch": eff, "best_speedup": best.speedup if best else 0.0,
        "best_draft": best.draft if best else None, "usable_candidates": len(usable),
        "compatible_candidates": len(compatible),
        "hardware": rw.hardware.id, "tp": rw.tp, "engine": rw.engine, "task": rw.task,
        "target_memory_gb": round(memory_gb(target), 1),
        "usable_memory_gb": round(rw.hardware.memory_gb * rw.tp * coeffs.cost.memory_utilization, 1),
    }
    fired = rules.fire("workload", facts)
    verdict = "skip-speculation" if any(r.verdict == "skip-speculation" for r, _ in fired) else "speculate"
    shown = [with_reasons(replace(r, rank=i + 1), rules) for i, r in enumerate(ranked if not top else ranked[:top])]
    return Advice(target=target, workload=rw, candidates=tuple(shown), verdict=verdict,
                  reasons=tuple(reason for _, reason in fired), total_candidates=len(ranked),
                  coefficients_status=coeffs.status, facts=facts)


def _anchor(catalog: Catalog, target: ModelRef, rw: ResolvedWorkload, w: Workload, coeffs: Coefficients) -> ResolvedWorkload:
    """Anchor the alpha estimates on a measured alpha of the deployed pair (`--measured`)."""
    if w.measured_alpha is None:
        return rw
    if not w.measured_draft:
        raise UsageError("a measured alpha needs the deployed draft: pass --draft ID")
    draft = catalog.model(w.measured_draft)
    t, d = target.spec, draft.spec
    rel = relation(t, d, tokenizer_verdict(t, d))
    est = estimate_alpha(target, draft, rel, rw.task, rw.temperature, coeffs.acceptance, catalog, rw.thinking)
    shift = logit(w.measured_alpha) - logit(est.alpha)
    return replace(rw, measured_draft=draft.label, measured_alpha=w.measured_alpha, alpha_shift=shift)


def recommend(catalog: Catalog, target_ref: str, workload: Workload, top: int | None = 10,
              coeffs: Coefficients | None = None, rules: RuleSet | None = None,
              heads: HeadCatalog | None = None) -> Advice:
    coeffs = coeffs or load_coefficients()
    rules = rules or load_rules()
    target = catalog.model(target_ref)
    rw = _anchor(catalog, target, resolve_workload(catalog, target, workload, coeffs), workload, coeffs)
    shared: dict[tuple[int, int], float] = {}
    results = [evaluate_pair(catalog, target, d, rw, coeffs, rules, shared, verdict_only=True)
               for d in candidate_drafts(catalog, target, rw.engine)] if _wants_drafts(workload) else []
    results += [CandidateResult(**f) for f in method_candidates(target, rw, coeffs, rules, workload.methods, heads, shared)]
    return _report(catalog, target, rw, results, coeffs, rules, top)


def _wants_drafts(w: Workload) -> bool:
    return not w.methods or Method.draft_model in w.methods


def compare(catalog: Catalog, target_ref: str, draft_refs: Sequence[str], workload: Workload,
            coeffs: Coefficients | None = None, rules: RuleSet | None = None,
            heads: HeadCatalog | None = None) -> Advice:
    if not draft_refs:
        raise UsageError("compare needs at least one draft model")
    coeffs = coeffs or load_coefficients()
    rules = rules or load_rules()
    target = catalog.model(target_ref)
    heads = heads or load_heads()
    options = {ref: resolve_option(target, ref, heads) for ref in draft_refs}  # heads, mtp, ngram
    drafts = [catalog.model(ref) for ref in draft_refs if options[ref] is None]
    if workload.measured_alpha is not None and workload.measured_draft is None:
        workload = replace(workload, measured_draft=draft_refs[0])  # compare: the first draft is the deployed one
    rw = _anchor(catalog, target, resolve_workload(catalog, target, workload, coeffs), workload, coeffs)
    shared: dict[tuple[int, int], float] = {}
    results = [evaluate_pair(catalog, target, d, rw, coeffs, rules, shared) for d in drafts]
    results += [CandidateResult(**evaluate_method(target, o, rw, coeffs, rules, heads, shared))
                for o in options.values() if o is not None]
    return _report(catalog, target, rw, results, coeffs, rules, top=None)
