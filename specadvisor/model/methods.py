"""Acceptance and draft cost for speculators that are not separate drafts: heads, MTP and n-gram.

Why a per-position curve and not one alpha: published per-position figures show that heads and MTP
accept far more at the first drafted position than at the third, with a conditional acceptance that
relaxes toward a tail (docs/research/speculators-2026.md section 7.1). Each method is therefore a
conditional curve

    a_i = a_tail + (a_1 - a_tail) * rho^(i-1),   c_i = prod_{j<=i} a_j,   tau(k) = 1 + sum_{i<=k} c_i

(or an explicit list of a_i where the geometric form does not fit, e.g. a single MTP layer re-run
for k > 1). n-gram drafts only when the context contains a match: with a match rate m,
tokens per round = m * tau(k) + (1 - m), and m is the task variable (input-grounded tasks copy more).
Every prior names the research-doc rows it reproduces. Tree drafting (SGLang topk > 1, TensorRT-LLM
dynamic trees) is NOT modelled: all curves are chains (topk 1), which under-predicts tree runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from specadvisor.catalog.core import ModelRef, ModelSpec
from specadvisor.catalog.heads import HeadSpec
from specadvisor.vocab import Method, Task


@dataclass(frozen=True)
class AcceptanceCurve:
    """A method's conditional per-position acceptance, with an absolute band on every a_i."""

    method: str
    a1: float
    a_tail: float
    rho: float
    source: str
    explicit: tuple[float, ...] = ()  # conditional a_1..a_n; positions past the list take a_tail
    match_rate: float = 1.0  # share of rounds that produce a draft (n-gram); 1 for model-based methods
    band: float = 0.05  # +- on every a_i for the low/high ends
    match_band: float = 0.0  # +- on the match rate
    k_cap: int | None = None  # longest useful k (a re-run single MTP layer saturates)

    def conditional(self, i: int) -> float:
        """a_i for position i >= 1."""
        if self.explicit:
            return self.explicit[i - 1] if i <= len(self.explicit) else self.a_tail
        return self.a_tail + (self.a1 - self.a_tail) * self.rho ** (i - 1)

    def cumulative(self, k: int) -> list[float]:
        """c_1..c_k: the probability that the first i drafted tokens are all accepted."""
        out, run = [], 1.0
        for i in range(1, k + 1):
            run *= min(max(self.conditional(i), 0.0), 1.0)
            out.append(run)
        return out

    def al(self, k: int) -> float:
        """Tokens per round on a round that drafts (accepted prefix + the bonus token)."""
        return 1.0 + sum(self.cumulative(k))

    def tau(self, k: int) -> float:
        """Expected tokens per target pass, counting rounds with no draft (n-gram without a match)."""
        return self.match_rate * self.al(k) + (1.0 - self.match_rate)

    def shifted(self, sign: int) -> AcceptanceCurve:
        """The low (sign -1) or high (+1) end of the band."""
        d = sign * self.band

        def clip(x: float) -> float:
            return min(max(x + d, 0.0), 0.99)

        return replace(self, a1=clip(self.a1), a_tail=clip(self.a_tail),
                       explicit=tuple(clip(a) for a in self.explicit),
                       match_rate=min(max(self.match_rate + sign * self.match_band, 0.0), 1.0), band=0.0)


# n-gram / prompt-lookup match rate m by task: the share of rounds whose context holds a match.
# edit 0.55 and code 0.36 reproduce P11 (Blazedit: tokens/step 2.95 vs 2.96) and P10 (InstructCoder:
# 1.97 vs 1.95); summarization is set so tau lands near the Spec-Bench PLD summarization speedups
# (N1-N3: 2.2-2.4x); translation near N1's 1.04x. No stored chat-task m exists (research 7.5 gap):
# chat/general/math are assumptions with wide bands, so n-gram ranks low there unless measured.
NGRAM_MATCH: dict[str, tuple[float, float, str]] = {
    Task.edit.value: (0.55, 0.10, "P11 (Blazedit edit_5k_char, vLLM): m 0.55"),
    Task.code.value: (0.36, 0.10, "P10 (InstructCoder, vLLM): m 0.36"),
    Task.summarization.value: (0.50, 0.15, "N1-N3 PLD summarization 2.2-2.4x (Spec-Bench); m assumed"),
    Task.translation.value: (0.05, 0.05, "N1 PLD translation 1.04x (Spec-Bench); m assumed"),
    Task.math.value: (0.15, 0.10, "assumption (no stored math-task m)"),
    Task.general.value: (0.20, 0.10, "Spec-Bench PLD overall tau 1.55-1.74 (N1-N3); m assumed"),
    Task.chat.value: (0.10, 0.08, "assumption (research 7.5: no stored chat-task m)"),
}

# MTP families whose single MTP layer is re-run for k > 1 (vLLM warns it lowers acceptance,
# vllm/config/speculative.py @002e77c1): acceptance collapses after position 2-3 (P2, G1, G2).
SINGLE_LAYER_MTP_ARCHS = frozenset({"deepseek_v3", "deepseek_v32", "deepseek_v4"})

CODE_LIKE = frozenset({Task.code.value, Task.edit.value})


def acceptance_curve(method: str, task: str, target: ModelSpec | None = None) -> AcceptanceCurve:
    """The prior curve for a method on a task (research 7.1 priors; rows named in `source`)."""
    if method == Method.eagle3:
        if task in CODE_LIKE:
            return AcceptanceCurve(method, 0.83, 0.70, 0.5, "research 7.1 EAGLE-3 coding prior: G6 (Kimi-K2.5, AL(1..8))")
        return AcceptanceCurve(method, 0.80, 0.68, 0.5,
                               "research 7.1 EAGLE-3 chat prior: G13 (Llama-3.1-8B MT-Bench AL(2..7)), P4-P8, S6")
    if method == Method.eagle:
        # a_1 0.70 rather than the table's 0.75: the doc notes 0.75 runs ~0.08 high against G14.
        return AcceptanceCurve(method, 0.70, 0.40, 0.5, "research 7.1 EAGLE-1/2 prior, a_1 lowered to fit G14")
    if method == Method.medusa:
        # Medusa: Spec-Bench tau 2.32-2.39 (MD2) with no per-head curve; a flat 0.6 chain gives tau ~2.3 at k 3.
        return AcceptanceCurve(method, 0.60, 0.60, 0.0, "MD2 (Spec-Bench Medusa tau 2.32-2.39); flat, assumed", band=0.08)
    if method == Method.mtp:
        if target is not None and target.arch in SINGLE_LAYER_MTP_ARCHS and target.mtp_layers <= 1:
            return AcceptanceCurve(method, 0.85, 0.1, 0.0,
                                   "research 7.1 single-layer MTP: P15 (0.85-0.90), P16, P17; G1/G2 collapse past k 3",
                                   explicit=(0.85, 0.65, 0.5), k_cap=3)
        return AcceptanceCurve(method, 0.88, 0.75, 0.5,
                               "research 7.1 multi-layer MTP prior: G3 (GLM-5.2), G4 (Qwen3.5), P1, P14")
    if method in (Method.ngram, Method.suffix):
        m, mb, why = NGRAM_MATCH.get(task, NGRAM_MATCH[Task.general.value])
        a1 = 0.81 if task in (Task.edit.value, Task.summarization.value) else 0.69
        tail = 0.97 if a1 > 0.8 else 0.93
        # k capped at 5: vLLM's prompt_lookup_max default and the k of P10/P11; longer is unsourced.
        return AcceptanceCurve(method, a1, tail, 0.4, f"research 7.1 n-gram prior: P10/P11 per drafting step; {why}",
                               match_rate=m, match_band=mb, band=0.04, k_cap=5)
    raise ValueError(f"no acceptance curve for method {method!r}")


# -- cost --------------------------------------------------------------------------------------------

# A head or MTP step runs inside the engine's own speculative proposer (captured with the target's CUDA
# graphs in vLLM and SGLang), so its fixed cost is a CUDA-graph decode step: the prior draft_step_overhead_ms
# of specadvisor/data/coefficients.yaml (0.25 ms). The fitted draft_step_overhead_ms (about 1.2 ms for vLLM)
# measures the separate draft_model proposer of the calibration rows, and is not applied to heads.
IN_ENGINE_STEP_OVERHEAD_MS = 0.25

# llama.cpp ngram-mod per-call host time begin + generate + accumulate = 0.149 + 0.347 + 0.005 ms (C11).
NGRAM_HOST_MS = 0.5


def _layer_params(hidden: int, intermediate: int, target: ModelSpec) -> float:
    """One Llama-style decoder layer at `hidden` with the target's attention shape (GQA)."""
    kv_dim = target.n_kv_heads * target.dim_per_head
    q_dim = target.n_heads * target.dim_per_head
    attn = hidden * q_dim + 2 * hidden * kv_dim + q_dim * hidden
    return attn + 3 * hidden * intermediate


def head_spec(head: HeadSpec, target: ModelSpec) -> ModelSpec:
    """A ModelSpec whose roofline cost is the head's: its decoder layers, its FC fusion and its LM head.

    The head shares the target's embeddings (C1), so only its LM head rows are read (a reduced 32K
    head for EAGLE-3, the target's full head for EAGLE-1); a published parameter count (EAGLE-1
    README, C3) replaces the shape-derived layer count. For the EAGLE-3 Llama-3.1-8B head the shapes
    give ~0.40B (1 layer ~0.22B + FC 0.05B + 32K head 0.13B); a third-party note (C2) says ~0.22B.
    """
    h = head.hidden_size or target.hidden_size
    inter = head.intermediate_size or target.intermediate_size or 4 * h
    # A published count (EAGLE README, C3: 0.25B for an 8B target) covers the layer and FC, not the LM
    # head an EAGLE-1 head borrows from the target; every step still computes that head's logits.
    body = head.params_b * 1e9 if head.params_b else head.layers * _layer_params(h, inter, target) + head.fc_inputs * h * h
    params = body + head.draft_vocab * h
    return ModelSpec(id=head.id, family=target.family, generation=target.generation, params_b=params / 1e9,
                     active_params_b=params / 1e9, layers=head.layers, hidden_size=h, vocab_size=head.draft_vocab,
                     tokenizer=target.tokenizer, precision=target.precision, domain=target.domain,
                     source=head.source, heads=target.heads, kv_heads=target.kv_heads, head_dim=target.head_dim,
                     intermediate_size=inter, tie_embeddings=True)


def mtp_spec(target: ModelSpec) -> ModelSpec:
    """The target's MTP module as a model: `mtp_layers` target-sized layers plus the target's LM head.

    One MTP layer costs about one target layer (C13, AIConfigurator's model); the LM head is the
    target's (C7: 20% of an MTP step when it borrows a wide head); DeepSeek's eh_proj adds 2h x h.
    """
    n = max(target.mtp_layers, 1)
    h = target.hidden_size
    emb = target.vocab_size * h * (1 if target.tie_embeddings else 2)
    per_layer_total = max(target.params_b * 1e9 - emb, 0.0) / target.layers
    per_layer_active = max(target.active_params_b * 1e9 - emb, 0.0) / target.layers
    extra = target.vocab_size * h + 2 * h * h
    total = n * per_layer_total + extra
    active = min(n * per_layer_active + extra, total)
    return replace(target, id=f"{target.id}#mtp", params_b=total / 1e9, active_params_b=active / 1e9, layers=n,
                   tie_embeddings=True, aliases=(), mtp_layers=0)


def speculator_ref(method: str, target: ModelRef, head: HeadSpec | None = None) -> ModelRef | None:
    """The model whose forward is one drafting step (None for n-gram: no model runs)."""
    if method == Method.mtp:
        return ModelRef(mtp_spec(target.spec), target.weight_format)
    if head is not None:
        return ModelRef(head_spec(head, target.spec), target.weight_format)
    return None


def speedup_for(curve: AcceptanceCurve, k: int, target_step_ms: float, draft_step_ms: float,
                verify_ms: float, verify_one_ms: float, round_ms: float, host_ms: float = 0.0) -> float:
    """Speedup of one method at k: tokens per round over the round's time, per plain decode step.

    A round that drafts pays k drafting steps and the verify of k+1 tokens; an n-gram round without a
    match verifies one token (match rate m).
    """
    if k <= 0:
        return 1.0
    m = curve.match_rate
    round_time = (m * (k * draft_step_ms + verify_ms) + (1.0 - m) * verify_one_ms + round_ms * m + host_ms)
    return curve.tau(k) * target_step_ms / round_time if round_time > 0 else math.inf
