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
from specadvisor.catalog.core import Catalog, Hardware, ModelRef, ModelSpec
from specadvisor.catalog.heads import HeadCatalog, load_heads
from specadvisor.catalog.weights import WEIGHT_FORMATS
from specadvisor.errors import UsageError
from specadvisor.model.acceptance import effective_task, estimate_alpha, is_distilled_for, logit, relation, sigmoid
from specadvisor.model.coefficients import ENGINES, TASKS, Coefficients, CostCoefficients, load_coefficients
from specadvisor.model.compat import engine_verdict, is_encoder_decoder, tokenizer_verdict
from specadvisor.model.costs import Deployment, forward_cost, memory_gb, round_overhead_ms
from specadvisor.model.memory import GIB, MemoryBudget, memory_budget
from specadvisor.model.speedup import RoundCosts, best_k, speedup_at, speedup_curve, tokens_per_round
from specadvisor.rules.engine import VERDICTS, Reason, RuleSet, load_rules
from specadvisor.vocab import Method, values

# The what-if weight formats offered for every candidate draft (the article's trade-off 4), in the
# formats each engine actually loads: llama.cpp runs GGUF quants, MLX its 8/4-bit affine quants, TPUs
# have no FP8 units; the CUDA servers load FP8 and INT4 (AWQ/GPTQ) checkpoints.
VIRTUAL_DRAFT_FORMATS: dict[str, tuple[str, ...]] = {
    "vllm": ("fp8", "int4"), "sglang": ("fp8", "int4"), "trtllm": ("fp8", "int4"),
    "transformers": ("int8", "int4"), "llamacpp": ("q8_0", "q4_k_m"), "mlx": ("int8", "int4"), "jax": ("int8",),
}
TP_CHOICES = (1, 2, 4, 8)
# Engines that place the draft on a device of its own: llama.cpp's --device-draft (common/arg.cpp,
# "comma-separated list of devices to use for offloading the draft model"; with -ngld, since b4170).
DRAFT_DEVICE_ENGINES = frozenset({"llamacpp"})
# Engines that shard attention heads across tensor-parallel ranks (and so refuse a TP that splits one).
_HEAD_SPLIT_ENGINES = frozenset({"vllm", "sglang", "trtllm", "jax"})
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
    draft_hardware: str | None = None  # llama.cpp --device-draft: the draft runs on this other device

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
    draft_hardware: Hardware | None = None  # the draft's own device (llama.cpp --device-draft), else None


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
    tie: bool = False  # inside the band of a neighbour in the ranking: the order within the tie is by deployability
    tie_group: int = 0  # candidates with the same tie_group (> 0) are one tie
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


def _budget(target: ModelRef, draft: ModelRef | None, hw: Hardware, tp: int, context_len: int, engine: str,
            c: CostCoefficients) -> MemoryBudget:
    return memory_budget(target, draft, hw, tp, context_len, engine, c.memory_utilization, c.kv_bytes_per_value)


def tp_problem(spec: ModelSpec, tp: int, engine: str) -> str | None:
    """Why `engine` refuses to shard `spec` over `tp` devices (None: it accepts).

    vLLM, SGLang and TensorRT-LLM split attention heads across ranks: the query heads must divide by
    TP, and the KV heads must divide by TP or (fewer KV heads than ranks) TP by the KV heads, which are
    then replicated (vLLM ModelConfig.verify_with_parallel_config and QKVParallelLinear, v0.2-v0.11+;
    SGLang ModelConfig; TensorRT-LLM's Mapping checks). llama.cpp, MLX and transformers split by layer.
    """
    if tp == 1 or engine not in _HEAD_SPLIT_ENGINES:
        return None
    heads, kv = spec.n_heads, spec.n_kv_heads
    if heads % tp:
        return f"{heads} attention heads do not divide by --tp {tp}"
    if (kv % tp if kv >= tp else tp % kv):
        return f"{kv} KV heads and --tp {tp}: one must divide the other"
    return None


def _auto_tp(target: ModelRef, hw: Hardware, w: Workload, coeffs: Coefficients) -> int:
    """The smallest TP in 1/2/4/8 whose KV cache holds the requested batch beside the weights.

    When none holds the whole batch, the smallest that runs at least one sequence; the engine's head
    split must accept the TP either way.
    """
    if hw.kind in ("apple", "cpu"):
        return 1  # unified-memory machines and CPUs serve from one device
    ok = [tp for tp in TP_CHOICES if tp_problem(target.spec, tp, w.engine) is None] or [1]
    budgets = {tp: _budget(target, None, hw, tp, w.context_len, w.engine, coeffs.cost) for tp in ok}
    for need in (w.batch_size, 1):
        for tp in ok:
            if budgets[tp].seqs_without_draft >= need:
                return tp
    return ok[-1]


def resolve_workload(catalog: Catalog, target: ModelRef, w: Workload, coeffs: Coefficients) -> ResolvedWorkload:
    w.validate()
    hw = catalog.hardware_by_name(w.hardware)
    if w.tp is not None and (why := tp_problem(target.spec, w.tp, w.engine)):
        raise UsageError(f"--tp {w.tp}: {w.engine} refuses to shard {target.spec.id}: {why}")
    tp = w.tp if w.tp is not None else _auto_tp(target, hw, w, coeffs)
    draft_hw = None
    if w.draft_hardware is not None:
        if w.engine not in DRAFT_DEVICE_ENGINES:
            raise UsageError(f"--draft-hardware: only {', '.join(sorted(DRAFT_DEVICE_ENGINES))} put the draft on "
                             f"another device (llama.cpp --device-draft); {w.engine} runs it beside the target")
        draft_hw = catalog.hardware_by_name(w.draft_hardware)
    return ResolvedWorkload(hardware=hw, tp=tp, tp_source="given" if w.tp is not None else "auto",
                            batch_size=w.batch_size, effective_batch=w.batch_size, context_len=w.context_len,
                            task=w.task, temperature=w.temperature, engine=w.engine, max_k=w.max_k, k=w.k,
                            alpha=w.alpha, thinking=w.thinking, draft_hardware=draft_hw)


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
    seqs_base, seqs_with = pair_capacity(target, draft, rw, c)
    b_base = _running_batch(rw.batch_size, seqs_base)
    b = _running_batch(rw.batch_size, seqs_with)
    cache = target_costs if target_costs is not None else {}

    def verify(n: int) -> float:
        # The target's costs depend only on the running batch, so candidates share them.
        key = (b, n)
        if key not in cache:
            cache[key] = forward_cost(target, dep, n, c, "target", batch=b).ms
        return cache[key]

    baseline = verify(1) if b == b_base else forward_cost(target, dep, 1, c, "target", batch=b_base).ms * b / b_base
    # A draft on its own device (llama.cpp --device-draft) runs at that device's bandwidth and FLOPs, alone.
    ddep = dep if rw.draft_hardware is None else Deployment(rw.draft_hardware, 1, rw.batch_size, rw.context_len,
                                                            rw.engine)
    td = forward_cost(draft, ddep, 1, c, "draft", batch=b).ms
    return RoundCosts(baseline, td, verify, round_overhead_ms(dep, c, batch=b))


def pair_capacity(target: ModelRef, draft: ModelRef, rw: ResolvedWorkload, c: CostCoefficients) -> tuple[int, int]:
    """Sequences that run at once without and with the draft.

    Beside the target, the draft's weights and KV cache share the target's pool; on a device of its own
    (`draft_hardware`) the target keeps its whole pool and the draft's device caps the batch instead.
    """
    if rw.draft_hardware is None:
        mem = _budget(target, draft, rw.hardware, rw.tp, rw.context_len, rw.engine, c)
        return mem.seqs_without_draft, mem.seqs_with_draft
    alone = _budget(target, None, rw.hardware, rw.tp, rw.context_len, rw.engine, c)
    on_own = _budget(draft, None, rw.draft_hardware, 1, rw.context_len, rw.engine, c)
    return alone.seqs_without_draft, min(alone.seqs_without_draft, on_own.seqs_without_draft)


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
    ev = engine_verdict(rw.engine, t, d, tok, temperature=rw.temperature)
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
    seqs_base, seqs_with = pair_capacity(target, draft, rw, c)
    costs = round_costs(target, draft, rw, c, target_costs)
    t1, td = costs.verify_ms(1), costs.draft_step_ms
    curve = speedup_curve(alpha, costs, rw.max_k)
    kb = best_k(curve)
    k = rw.k if rw.k is not None else kb
    s, s_lo, s_hi = speedup_band(alpha, lo, hi, k, costs, c.cost_uncertainty)
    # The band candidates are compared on: acceptance only. The cost uncertainty is shared by every
    # candidate for this target and deployment (same target step, same roofline), so it moves them
    # together and cannot reorder them.
    rank_lo, rank_hi = min(s, speedup_at(lo, k, costs)), max(s, speedup_at(hi, k, costs))

    facts: dict[str, Any] = {
        "target": t.id, "draft": draft.label, "target_params_b": t.params_b, "draft_params_b": d.params_b,
        "size_ratio": t.params_b / d.params_b, "relation": rel, "tokenizer": tok, "engine": rw.engine,
        "engine_accepts": ev.accepts, "engine_note": ev.note, "alpha": alpha, "alpha_low": lo,
        "alpha_high": hi, "alpha_source": alpha_source, "k": k, "k_best": kb,
        "tau": tokens_per_round(alpha, k), "cost_ratio": td / t1, "speedup": s, "speedup_low": s_lo,
        "speedup_high": s_hi, "rank_low": rank_lo, "rank_high": rank_hi, "draft_precision": draft.weight_format,
        "target_precision": target.weight_format, "draft_quantized": draft.quantized,
        "target_quantized": target.quantized, "draft_virtual": draft.virtual,
        "distilled": is_distilled_for(t, d, catalog), "task": rw.task, "temperature": rw.temperature,
        "batch_size": rw.batch_size, "hardware": rw.hardware.id, "tp": rw.tp, "draft_domain": d.domain,
        "target_domain": t.domain,
        "fits_memory": seqs_with >= 1,
        "draft_memory_gb": round(memory_gb(draft), 1),
        "engine_mode": "heterogeneous_vocab" if ev.heterogeneous and rw.engine == "vllm" else "default",
        "encoder_decoder_draft": is_encoder_decoder(d) and not is_encoder_decoder(t),
        "running_batch": min(rw.batch_size, seqs_with),
        "running_batch_base": min(rw.batch_size, seqs_base),
        "draft_hardware": rw.draft_hardware.id if rw.draft_hardware else rw.hardware.id,
    }
    rule_facts = facts
    if seqs_with < 1:
        # Not one sequence runs with this draft: there is no speedup to judge, only the memory verdict.
        rule_facts = {**facts, "speedup": None, "speedup_low": None, "speedup_high": None}
    fired = rules.fire("candidate", rule_facts, verdict_only)
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


_USABLE = ("recommended", "marginal")
# Two estimates closer than this (relative) are not told apart: the model's median error on sources it
# was not fitted on (specadvisor/data/fitted.yaml summary, leave-one-source-out median_rel_error 0.146).
TIE_TOLERANCE = 0.15


def _standing(r: CandidateResult) -> int:
    """0: usable; 1: runs but does not pay or does not fit; 2: the engine will not run the pair."""
    if r.verdict in _USABLE:
        return 0
    return 2 if r.verdict == "incompatible" else 1


def _deployable_key(r: CandidateResult) -> tuple[bool, bool, float, float, str]:
    """Toward what a user can deploy as is: a released checkpoint before a what-if format, the engine's
    default mode before a special one (vLLM's greedy-only heterogeneous vocabulary), less memory."""
    return (r.virtual, r.facts.get("engine_mode", "default") != "default", r.facts.get("draft_memory_gb", 0.0),
            -r.speedup, r.draft)


def _mutually_inside(a: CandidateResult, b: CandidateResult) -> bool:
    """Each estimate inside the other's comparison band (acceptance band at the shared costs)."""
    def band(r: CandidateResult) -> tuple[float, float]:
        return r.facts.get("rank_low", r.speedup_low), r.facts.get("rank_high", r.speedup_high)

    (alo, ahi), (blo, bhi) = band(a), band(b)
    close = abs(a.speedup - b.speedup) <= TIE_TOLERANCE * max(a.speedup, b.speedup)
    return close and alo <= b.speedup <= ahi and blo <= a.speedup <= bhi


def _rank(results: list[CandidateResult]) -> list[CandidateResult]:
    """Usable candidates first, then those that run but do not pay, then incompatible ones.

    Within a standing, the fastest candidate leads a tie group with every candidate whose estimate lies
    inside its band and whose band holds its estimate: the model cannot tell them apart, so the group is
    ordered toward what deploys as is (`_deployable_key`) and each member is marked `tie`.
    """
    out: list[CandidateResult] = []
    group_no = 0
    for standing in (0, 1, 2):
        rest = sorted((r for r in results if _standing(r) == standing),
                      key=lambda r: (-r.speedup, r.cost_ratio, r.draft))
        while rest:
            lead = rest[0]
            group = [r for r in rest if r is lead or (standing < 2 and _mutually_inside(lead, r))]
            rest = [r for r in rest if all(r is not g for g in group)]
            tied = len(group) > 1
            group_no += tied
            out.extend(replace(r, tie=tied, tie_group=group_no if tied else 0)
                       for r in sorted(group, key=_deployable_key))
    return out


def _workload_facts(target: ModelRef, rw: ResolvedWorkload, mem: MemoryBudget,
                    ranked: Sequence[CandidateResult]) -> dict[str, Any]:
    usable = [r for r in ranked if r.verdict in _USABLE]
    runnable = [r for r in ranked if r.compatible and r.facts.get("fits_memory", True)]
    best = max(runnable, key=lambda r: r.speedup) if runnable else None
    problem = mem.problem()
    return {
        "target": target.label, "target_params_b": target.spec.params_b, "batch_size": rw.batch_size,
        "effective_batch": rw.effective_batch, "best_speedup": best.speedup if best else None,
        "best_draft": best.draft if best else None, "usable_candidates": len(usable),
        "compatible_candidates": len([r for r in ranked if r.compatible]),
        "runnable_candidates": len(runnable),
        "hardware": rw.hardware.id, "tp": rw.tp, "engine": rw.engine, "task": rw.task,
        "target_memory_gb": round(memory_gb(target), 1),
        "target_memory_gib": round(mem.target_weight_bytes / GIB, 1),
        "usable_memory_gb": round(mem.usable_bytes / 1e9, 1),
        "usable_memory_gib": round((mem.usable_bytes - mem.reserve_bytes) / GIB, 1),
        "target_fits": mem.target_fits, "context_len": rw.context_len, "max_context": mem.max_context,
        "sequences_fit": mem.seqs_without_draft, "kv_free_gib": round(mem.kv_free_without_draft / GIB, 2),
        "seq_kv_gib": round(mem.kv_per_seq_target / GIB, 3), "cannot_run": problem is not None,
        "cannot_run_reason": problem,
        "effective_task": effective_task(target.spec, rw.task, rw.thinking),
        "task_replaced": effective_task(target.spec, rw.task, rw.thinking) != rw.task,
    }


def _report(catalog: Catalog, target: ModelRef, rw: ResolvedWorkload, results: list[CandidateResult],
            coeffs: Coefficients, rules: RuleSet, top: int | None) -> Advice:
    mem = _budget(target, None, rw.hardware, rw.tp, rw.context_len, rw.engine, coeffs.cost)
    rw = replace(rw, effective_batch=min(rw.batch_size, mem.seqs_without_draft))
    ranked = _rank(results) if mem.problem() is None else []
    facts = _workload_facts(target, rw, mem, ranked)
    fired = rules.fire("workload", facts)
    verdicts = {r.verdict for r, _ in fired}
    verdict = next((v for v in ("cannot-run", "skip-speculation") if v in verdicts), "speculate")
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
