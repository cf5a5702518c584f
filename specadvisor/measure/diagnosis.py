"""What a measurement says beyond tau and alpha: where rejections happen, whether the run is broken or
small, the tokens per round the measured positions give at every k, and which rules apply.

* Where: the conditional acceptance at position i (accepted there / drafts that reached it) is flat
  under a constant alpha. A low position 0 against the rest is `early` (a tokenizer, chat-template or
  prompt mismatch); a drop after some position i - the first i + 1 positions accept more than the rest
  - is `late`, a cliff after position i, however early in the draft i is. A difference is named only when
  it exceeds `MARGIN` (early) or `CLIFF_MARGIN` (late) and the 95% Wilson intervals separate, and a cliff
  needs the drop at its first
  position, reached by at least `MIN_TRIALS` drafts. Positions no draft reached carry no evidence
  and are left out; when drafts vary in length (n-gram, llama.cpp --draft-p-min) a later position's rate
  mixes rejections with positions never drafted, so only `early` can be told.
* tau(k) from the positions: 1 + the shares of drafts reaching positions 0..k-1 (measured up to the
  deployed k, then continued at the last conditional rate). The k advice and the speedup curve use
  it, not a constant alpha that the same positions refute.
* Rules are found by their check kind and conditions (the low-acceptance rule is the one whose facts
  test only alpha from below; the k table is the `k-guidance` kind), so thresholds stay in rules/*.yaml.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Z_95 = 1.959963984540054
MARGIN = 0.05  # a weak first position worth naming (early), when the intervals also separate
# a drop along the draft worth calling a cliff (late). specadvisor's threshold, not an engine figure:
# healthy drafts lose a few points a position without any cliff (llama.cpp PR #24536's EAGLE-3 example
# reads 0.81, 0.79, 0.76 conditionally), so a gentle slope stays `even` and only a step down is named
CLIFF_MARGIN = 0.08
SMALL_SAMPLE_DRAFTS = 50  # below this many drafts the 95% intervals are wider than about +-0.14
MIN_TRIALS = 20  # a segment of positions reached by fewer drafts than this is too thin to name a cliff
BROKEN_SHARE = 0.005  # accepted/drafted under 0.5% over a real sample: nothing is being accepted


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (counts may be fractional when derived)."""
    if trials <= 0:
        return 0.0, 1.0
    p = min(max(successes / trials, 0.0), 1.0)
    z2 = z * z
    denom = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rejections:
    where: str  # early | late | even | unknown | none-accepted
    message: str
    early: float | None = None  # conditional acceptance before the split (position 0 for `early`)
    late: float | None = None  # conditional acceptance after it
    cliff_after: int | None = None  # `late`: the last position before the drop


def _pool(accepted: Sequence[float], trials: Sequence[float]) -> tuple[float, float, float] | None:
    n = math.fsum(trials)
    if n <= 0:
        return None
    a = min(math.fsum(accepted), n)
    lo, hi = wilson_interval(a, n)
    return a / n, lo, hi


def rejections(accepted: Sequence[float], drafts: float, variable_length: bool = False,
               sized: bool = True) -> Rejections:
    """Where rejections happen, from prefix counts `accepted[i]` (drafts accepted through position i)."""
    if not accepted or drafts <= 0:
        return Rejections("unknown", "no per-position counts in this source, so where rejections happen is unknown")
    if not sized:
        return Rejections("unknown", "the source prints per-position rates without a sample size, so no difference "
                          "between positions can be shown to be real")
    if math.fsum(accepted) <= 0:
        return Rejections("none-accepted", "no drafted token was accepted at any position")
    trials = [drafts, *accepted[:-1]]
    n = next((i for i, t in enumerate(trials) if t <= 0), len(trials))  # positions some draft reached
    acc, tr = list(accepted[:n]), trials[:n]
    if n < 2:
        return Rejections("unknown", "a single drafted position (k = 1) reached: nothing to compare")
    first = _pool(acc[:1], tr[:1])
    rest = _pool(acc[1:], tr[1:])
    assert first is not None and rest is not None
    early_gap = rest[0] - first[0] if first[0] < rest[0] - MARGIN and first[2] < rest[1] else None
    cliff: tuple[float, int, float, float] | None = None
    if not variable_length:
        for j in range(1, n):
            before, after = _pool(acc[:j], tr[:j]), _pool(acc[j:], tr[j:])
            if before is None or after is None:
                continue
            gap = before[0] - after[0]
            if tr[j] < MIN_TRIALS:
                break  # too few drafts reached position j to show a drop there
            if acc[j] / tr[j] > before[0] - CLIFF_MARGIN:
                continue  # the drop must start at position j itself, not be dragged in by a thin tail
            if gap > CLIFF_MARGIN and after[2] < before[1] and (cliff is None or gap > cliff[0]):
                cliff = (gap, j, before[0], after[0])
    if cliff is not None and (early_gap is None or cliff[0] >= early_gap):
        gap, j, b, a = cliff
        span = "position 0" if j == 1 else f"positions 0-{j - 1}"
        tail = f"position {j}" if j == n - 1 else f"positions {j}-{n - 1}"
        return Rejections("late", f"a cliff after position {j - 1}: conditional acceptance {b:.2f} at {span} vs "
                          f"{a:.2f} at {tail}; the draft loses coherence past {j} token(s), so a smaller k (or a "
                          "stronger draft) wastes less", b, a, j - 1)
    if early_gap is not None:
        return Rejections("early", f"rejections concentrate early: conditional acceptance {first[0]:.2f} at position 0 "
                          f"vs {rest[0]:.2f} at positions 1-{n - 1}; a tokenizer, chat-template or prompt-format "
                          "mismatch between draft and target is the usual cause", first[0], rest[0])
    note = (" (drafts vary in length, so a decline along the draft cannot be told from positions not drafted)"
            if variable_length else "")
    return Rejections("even", f"rejections are spread evenly: conditional acceptance {first[0]:.2f} at position 0 vs "
                      f"{rest[0]:.2f} at positions 1-{n - 1}, as a constant per-token alpha predicts{note}",
                      first[0], rest[0])


def tau_by_k(accepted: Sequence[float], drafts: float, max_k: int,
             tau: float | None = None) -> dict[int, tuple[float, bool]]:
    """tau(k) = 1 + sum of the shares of drafts reaching positions 0..k-1, with whether it is extrapolated
    (beyond the measured positions the last conditional rate continues). With `tau`, the shares are
    scaled to meet it at the deployed k (counts rebuilt from rounded printed rates miss it by a hair)."""
    if not accepted or drafts <= 0:
        return {}
    reach = [min(a / drafts, 1.0) for a in accepted]
    total = math.fsum(reach)
    if tau is not None and total > 0:
        reach = [min(r * (tau - 1) / total, 1.0) for r in reach]
    prev = reach[-2] if len(reach) > 1 else 1.0
    last_cond = reach[-1] / prev if prev > 0 else 0.0
    out: dict[int, tuple[float, bool]] = {}
    tau = 1.0
    r = 1.0
    for k in range(1, max_k + 1):
        if k <= len(reach):
            r = reach[k - 1]
        else:
            r *= min(last_cond, 1.0)
        tau += r
        out[k] = (tau, k > len(reach))
    return out


def small_sample(drafts: float | None) -> str | None:
    if drafts is not None and 0 < drafts < SMALL_SAMPLE_DRAFTS:
        return (f"a small sample: {drafts:.0f} drafts (under {SMALL_SAMPLE_DRAFTS}); tau and alpha can move a lot on "
                "more traffic, measure a longer window")
    return None


def broken(accepted: float | None, draft_tokens: float | None, tau: float | None) -> bool:
    """Nothing accepted over a real sample: a broken run (wrong draft weights, tokenizer, template or
    sampling settings), not a weak draft."""
    if accepted is not None and draft_tokens:
        return draft_tokens >= 20 and accepted <= BROKEN_SHARE * draft_tokens
    return tau is not None and tau <= 1.0 + 1e-9


# -- rules by kind ---------------------------------------------------------------------------------


def _value(rule: Any, cond: Any) -> Any:
    v = cond.value
    if isinstance(v, str) and v.startswith("$"):
        return rule.settings.get(v[1:])
    return v


def low_acceptance_rules(rules: Any) -> list[Any]:
    """Candidate rules that fire on a low alpha alone (conditions only on alpha, from below)."""
    out = []
    for r in rules.for_scope("candidate"):
        conds = list(r.params.get("all", ())) if r.check == "facts" else []
        if conds and "any" not in r.params and all(c.fact == "alpha" and c.op in ("lt", "le") for c in conds):
            out.append(r)
    return out


def alpha_floor_needing(rules: Any, fact: str) -> list[tuple[Any, float]]:
    """Candidate rules that need `fact` (e.g. a predicted speedup) and a high alpha: (rule, alpha threshold)."""
    out = []
    for r in rules.for_scope("candidate"):
        if r.check != "facts":
            continue
        conds = list(r.params.get("all", ()))
        if not any(c.fact == fact for c in conds):
            continue
        for c in conds:
            v = _value(r, c)
            if c.fact == "alpha" and c.op in ("ge", "gt") and isinstance(v, int | float):
                out.append((r, float(v)))
    return out


def k_guidance_rules(rules: Any) -> list[Any]:
    return [r for r in rules.for_scope("candidate") if r.check == "k-guidance"]


def table_range(rule: Any, alpha: float) -> tuple[int, int] | None:
    rows = [row for row in rule.params.get("table", ()) if alpha >= row[0]]
    return (rows[-1][1], rows[-1][2]) if rows else None
