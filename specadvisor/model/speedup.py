"""The speculative-decoding arithmetic of Leviathan, Kalman and Matias (2023), arXiv:2211.17192.

With per-token acceptance alpha and k drafted tokens, a round emits (1 - alpha^(k+1)) / (1 - alpha)
tokens on average (the accepted prefix plus the target's bonus/correction token). A round costs k draft
steps plus one target pass over k+1 tokens, so

    speedup(k) = tokens_per_round(alpha, k) * t_target(1) / (k * t_draft + t_target(k+1) + t_round).

The draft cost is charged once per drafted token, not once per round as the practitioner article's
headline formula writes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


def tokens_per_round(alpha: float, k: int) -> float:
    """Expected tokens per target pass (tau), counting the bonus token."""
    if k < 0:
        raise ValueError("k must be >= 0")
    if alpha >= 1.0:
        return float(k + 1)
    if alpha <= 0.0:
        return 1.0
    if not float(k).is_integer() or k > 256:  # a fractional mean draft length, or a k beyond any engine's
        return (1.0 - alpha ** (k + 1)) / (1.0 - alpha)
    # The geometric series summed term by term equals (1 - a^(k+1)) / (1 - a) without the cancellation
    # that closed form suffers as alpha approaches 1.
    total, power = 1.0, 1.0
    for _ in range(int(k)):
        power *= alpha
        total += power
    return total


def alpha_from_tau(tau: float, k: int, tol: float = 1e-12) -> float:
    """Invert `tokens_per_round` for alpha by bisection (it is increasing in alpha)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    if not 1.0 <= tau <= k + 1:
        raise ValueError(f"tau must lie in [1, k+1] = [1, {k + 1}], got {tau}")
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if tokens_per_round(mid, k) < tau:
            lo = mid
        else:
            hi = mid
        if hi - lo < tol:
            break
    return (lo + hi) / 2


def accepted_rate_to_alpha(rate: float, k: int) -> float:
    """Convert an engine's accepted/drafted ratio (vLLM, llama.cpp) into the per-token alpha.

    Engines report accepted/drafted = (tau - 1) / k, which is *not* the per-token alpha of the formula.
    """
    return alpha_from_tau(1.0 + rate * k, k)


@dataclass(frozen=True)
class RoundCosts:
    """Costs (ms) that set the speedup of one speculative round at a given k."""

    target_step_ms: float  # plain decoding: target time per step for the same number of sequences
    draft_step_ms: float  # one draft forward
    verify_ms: Callable[[int], float]  # target forward over n tokens per sequence
    round_overhead_ms: float


def speedup_at(alpha: float, k: int, costs: RoundCosts) -> float:
    if k == 0:
        return 1.0
    round_ms = k * costs.draft_step_ms + costs.verify_ms(k + 1) + costs.round_overhead_ms
    return tokens_per_round(alpha, k) * costs.target_step_ms / round_ms


def speedup_curve(alpha: float, costs: RoundCosts, max_k: int = 16) -> dict[int, float]:
    """speedup_at for k = 1..max_k; tau grows by alpha^k per step, so the curve costs one pass."""
    a = min(max(alpha, 0.0), 1.0)
    out: dict[int, float] = {}
    tau, power = 1.0, 1.0
    for k in range(1, max_k + 1):
        power *= a
        tau += power
        out[k] = tau * costs.target_step_ms / (k * costs.draft_step_ms + costs.verify_ms(k + 1) + costs.round_overhead_ms)
    return out


def best_k(curve: dict[int, float]) -> int:
    """The k with the highest speedup; ties go to the smaller k (less wasted draft compute)."""
    best = max(curve.values())
    return min(k for k, s in curve.items() if math.isclose(s, best, rel_tol=1e-9) or s == best)
