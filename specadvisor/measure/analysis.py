"""From acceptance counts to tau, the per-token alpha, acceptance by position and advice.

Definitions (Leviathan et al. 2023; the engines' own docs for the counters):

* tau, the mean tokens per target pass with the bonus token: 1 + accepted / drafts (vLLM V1, llama.cpp),
  emitted / drafts (vLLM V0), or the engine's mean acceptance length (SGLang, TensorRT-LLM).
* accepted/drafted = (tau - 1) / k is what engines call their "acceptance rate". It is *not* the
  per-token alpha of the speedup formula: once a drafted token is rejected the rest of the draft is
  thrown away unchecked, yet still counts in the denominator.
* The per-token alpha solves tau = (1 - alpha^(k+1)) / (1 - alpha) (`specadvisor.model.speedup.alpha_from_tau`).
* Position i (0 = first drafted token): accepted_at_i / drafts is the chance a draft gets that far;
  accepted_at_i / accepted_at_(i-1) is the conditional acceptance there. Under a constant alpha the
  conditional rates are all alpha; a low start points at a tokenizer or prompt mismatch, a decline
  along the draft at a draft that loses coherence. Intervals are Wilson score intervals (95%).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from specadvisor.measure.counts import K_MAX, Counts, MeasureError
from specadvisor.measure.sources import DEFAULT_TIMEOUT_S, SourceText, is_url, read_source
from specadvisor.model.speedup import alpha_from_tau

Z_95 = 1.959963984540054
ALPHA_CAP = 0.999  # the estimator takes alpha in [0, 1)
_MARGIN = 0.05  # a difference in conditional acceptance worth naming, when the intervals also separate

_RATE_NAME = {"vllm": "vLLM's acceptance rate", "sglang": "SGLang's accept rate",
              "trtllm": "TensorRT-LLM's acceptance (accepted/drafted)", "llamacpp": "llama.cpp's draft acceptance rate"}


# -- statistics ------------------------------------------------------------------------------------


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


def fit_alpha(tau: float, k: float) -> float:
    """The per-token alpha whose expected tokens per round at draft length k is tau."""
    return alpha_from_tau(tau, k)  # type: ignore[arg-type]  # a mean (non-integer) k is fine


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionStat:
    position: int  # 0 = first drafted token
    accepted: float
    rate: float  # accepted here / drafts: the chance a draft gets this far
    rate_low: float
    rate_high: float
    conditional: float | None  # accepted here / accepted at the previous position (drafts for position 0)
    conditional_low: float | None
    conditional_high: float | None
    expected: float | None  # alpha^(i+1): the rate a constant per-token alpha would give


@dataclass(frozen=True)
class Rejections:
    where: str  # early | late | even | unknown
    message: str
    early: float | None = None  # pooled conditional acceptance over the first half of the positions
    late: float | None = None


@dataclass(frozen=True)
class Measurement:
    location: str
    source_id: str
    kind: str  # prometheus | log
    fmt: str
    engine: str
    drafts: float | None
    draft_tokens: float | None
    accepted: float | None
    emitted: float | None
    k: float | None
    k_source: str | None
    tau: float | None
    tau_approximate: bool
    rate: float | None  # accepted/drafted
    alpha: float | None
    per_position: tuple[PositionStat, ...]
    rejections: Rejections
    explanation: str | None
    window_s: float | None
    scrapes: int
    samples: int
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def k_int(self) -> int | None:
        return None if self.k is None else max(1, round(self.k))


# -- reading ---------------------------------------------------------------------------------------


def counts_from_text(st: SourceText) -> tuple[str, Counts]:
    from specadvisor.measure.logs import looks_like_log, parse_log

    if looks_like_log(st.text):
        return "log", parse_log(st.text, st.location)
    from specadvisor.measure.prometheus import counts_from_snapshot, parse_exposition

    return "prometheus", counts_from_snapshot(parse_exposition(st.text, st.location))


def _exposition(st: SourceText, role: str) -> Any:
    from specadvisor.measure.logs import looks_like_log
    from specadvisor.measure.prometheus import parse_exposition

    if looks_like_log(st.text):
        raise MeasureError(f"{st.location}: {role} must be a Prometheus exposition; this is an engine log "
                           "(pass a log as SOURCE: its lines already cover their own intervals)")
    return parse_exposition(st.text, st.location)


def window_counts(before: SourceText, after: SourceText, window_s: float | None = None) -> Counts:
    """Counts over the window between two scrapes of the same server."""
    from specadvisor.measure.prometheus import counts_from_snapshot, delta

    b, a = _exposition(before, "--before"), _exposition(after, "--after")
    c = counts_from_snapshot(delta(b, a), hints=a)
    c.location = f"{before.location} -> {after.location}"
    c.window_s = window_s
    c.samples = 2
    if c.engine in ("sglang",) or (c.engine == "trtllm" and c.k is None):
        c.notes.append("gauges are not counters: their values come from the later scrape")
    return c


def measure(
    source: str | None = None,
    *,
    before: str | None = None,
    after: str | None = None,
    interval: float | None = None,
    k: int | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Measurement:
    """Read one source (file, `-`, URL), two scrapes (`before`/`after`), or one URL scraped twice
    `interval` seconds apart, and analyse it."""
    if (before is None) != (after is None):
        raise MeasureError("give both --before and --after (two scrapes of the same server)")
    if before is not None and after is not None:
        if source is not None:
            raise MeasureError("give either SOURCE or --before/--after, not both")
        b, a = read_source(before, timeout), read_source(after, timeout)
        return analyze(window_counts(b, a), k=k, kind="prometheus", source_id=a.source_id, scrapes=2)
    if source is None:
        raise MeasureError("nothing to measure: give SOURCE (a file, '-' or a /metrics URL), --url, or --before/--after")
    if interval is not None:
        if not is_url(source):
            raise MeasureError("--interval needs a URL: it scrapes the server twice, INTERVAL seconds apart")
        if not 0 < interval <= 86400:
            raise MeasureError(f"--interval must be between 0 and 86400 seconds, got {interval:g}")
        first = read_source(source, timeout)
        _exposition(first, "the first scrape")
        t0 = time.monotonic()
        if progress:
            progress(f"scraped {source}; scraping again in {interval:g} s")
        sleep(interval)
        second = read_source(source, timeout)
        elapsed = time.monotonic() - t0
        c = window_counts(first, second, window_s=elapsed)
        c.location = source
        return analyze(c, k=k, kind="prometheus", source_id=second.source_id, scrapes=2)
    st = read_source(source, timeout)
    kind, c = counts_from_text(st)
    return analyze(c, k=k, kind=kind, source_id=st.source_id, scrapes=1 if kind == "prometheus" else 0)


def measured_alpha(source: str, k: int | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> float:
    """The per-token alpha measured by one source: a Prometheus exposition file, an engine log, `-`, or an
    http(s) `/metrics` URL (one scrape: counters since the server started).

    Raises `MeasureError` (a `SpecAdvisorError`, exit code 2) when the source cannot give one, e.g. an
    SGLang gauge without k: pass `k` then.
    """
    m = measure(source, k=k, timeout=timeout)
    if m.alpha is None:
        raise MeasureError(f"{m.location}: no per-token alpha: {'; '.join(m.missing) or 'not enough data'}")
    return m.alpha


# -- analysis --------------------------------------------------------------------------------------


def _fmt_k(k: float) -> str:
    return f"{k:.0f}" if abs(k - round(k)) < 1e-9 else f"{k:.2f}"


def analyze(c: Counts, k: int | None = None, kind: str = "prometheus", source_id: str = "measured:unknown",
            scrapes: int = 1) -> Measurement:
    notes, warnings, missing = list(c.notes), list(c.warnings), []
    loc = c.location
    if k is not None and not 1 <= k <= K_MAX:
        raise MeasureError(f"--k must be >= 1 and <= {K_MAX} (drafted tokens per round), got {k}")
    figures = {"drafts": c.drafts, "draft tokens": c.draft_tokens, "accepted tokens": c.accepted,
               "emitted tokens": c.emitted, "k": c.k, "tau": c.tau, "acceptance rate": c.rate}
    for i, v in enumerate(c.per_position or ()):
        figures[f"accepted tokens at position {i}"] = v
    for what, v in figures.items():
        if v is not None and not math.isfinite(v):
            raise MeasureError(f"{loc}: {what} {v:g} is not a finite number: the source's figures are too large or "
                               "inconsistent")
    if c.k is not None and c.k < 1:
        raise MeasureError(f"{loc}: k = {c.k:g} ({c.k_source}) is below 1, which no draft length can be: the source's "
                           "figures are inconsistent")

    k_val, k_src = c.k, c.k_source
    if k is not None:
        if c.k is not None and abs(c.k - k) > 0.05:
            warnings.append(f"--k {k} differs from k = {_fmt_k(c.k)} found in the source ({c.k_source}); using --k")
        k_val, k_src = float(k), "--k"

    drafts = c.drafts
    if drafts is None and k_val and c.draft_tokens is not None:
        drafts = c.draft_tokens / k_val
        notes.append(f"drafts = draft tokens / k = {c.draft_tokens:g} / {_fmt_k(k_val)} (the source does not count drafts)")
    if k_val is None and drafts and c.draft_tokens:
        k_val, k_src = c.draft_tokens / drafts, "draft tokens / drafts"

    if c.draft_tokens is not None and c.draft_tokens <= 0 or drafts is not None and drafts <= 0:
        raise MeasureError(f"{loc}: no draft tokens in the window: speculative decoding did not run (idle server, "
                           "or scrapes too close together)")
    if c.draft_tokens is not None and c.accepted is not None and c.accepted_is_prefix and c.accepted > c.draft_tokens:
        raise MeasureError(f"{loc}: {c.accepted:g} accepted tokens exceed {c.draft_tokens:g} drafted: the counters "
                           "are inconsistent")
    if c.drafts is not None and c.draft_tokens is not None and c.drafts > c.draft_tokens:
        raise MeasureError(f"{loc}: {c.drafts:g} drafts but only {c.draft_tokens:g} draft tokens: the counters are "
                           "inconsistent")
    if c.drafts and c.draft_tokens and k_val and k_src != "draft tokens / drafts":
        mean_len = c.draft_tokens / c.drafts
        if abs(mean_len - k_val) > 0.02 * k_val:
            warnings.append(f"drafts average {mean_len:.2f} tokens but k = {_fmt_k(k_val)}: some drafts were cut short "
                            "(near the length limit?) or k changed during the window")

    tau, approx = None, c.tau_approximate
    if drafts and c.accepted is not None and c.accepted_is_prefix:
        tau = 1 + c.accepted / drafts
    elif drafts and c.emitted is not None:
        tau = c.emitted / drafts
    elif c.tau is not None:
        tau = c.tau
    elif c.rate is not None and k_val:
        tau = 1 + c.rate * k_val
        notes.append("tau = 1 + accepted/drafted x k")

    rate = None
    if c.accepted is not None and c.draft_tokens:
        rate = c.accepted / c.draft_tokens
    elif c.rate is not None:
        rate = c.rate
    elif tau is not None and k_val:
        rate = (tau - 1) / k_val

    alpha = None
    if tau is not None and k_val:
        if not 1 - 1e-9 <= tau <= k_val + 1 + 1e-9:
            raise MeasureError(f"{loc}: tau {tau:.3f} lies outside [1, k + 1] = [1, {_fmt_k(k_val + 1)}]: the counts "
                               f"disagree with k = {_fmt_k(k_val)} ({k_src})")
        tau = min(max(tau, 1.0), k_val + 1)
        alpha = fit_alpha(tau, k_val)
    elif tau is not None:
        missing.append("k, the number of drafted tokens per round: pass --k (vLLM num_speculative_tokens, "
                       "SGLang speculative_num_steps, TensorRT-LLM max_draft_len)")
    else:
        missing.append("tau: the source has no draft or acceptance-length figures")

    positions = _positions(c, drafts, alpha, k_val, warnings)
    rejections = _rejections(positions, drafts or 0.0)
    explanation = _explain(c, rate, alpha, tau, k_val)
    return Measurement(
        location=loc, source_id=source_id, kind=kind, fmt=c.fmt, engine=c.engine, drafts=drafts,
        draft_tokens=c.draft_tokens, accepted=c.accepted, emitted=c.emitted, k=k_val, k_source=k_src, tau=tau,
        tau_approximate=approx, rate=rate, alpha=alpha, per_position=positions, rejections=rejections,
        explanation=explanation, window_s=c.window_s, scrapes=scrapes, samples=c.samples, missing=tuple(missing),
        notes=tuple(notes), warnings=tuple(warnings),
    )


def _positions(c: Counts, drafts: float | None, alpha: float | None, k: float | None,
               warnings: list[str]) -> tuple[PositionStat, ...]:
    if not c.per_position or not drafts:
        return ()
    pp = c.per_position
    if k is not None and len(pp) != round(k):
        warnings.append(f"{len(pp)} per-position series for k = {_fmt_k(k)}")
    slack = max(1.0, 0.005 * drafts)
    if pp[0] > drafts + slack:
        warnings.append(f"position 0 counts {pp[0]:g} accepted tokens for {drafts:g} drafts: not a prefix count?")
    for i in range(1, len(pp)):
        if pp[i] > pp[i - 1] + slack:
            warnings.append(f"accepted tokens rise from position {i - 1} to {i}: per-position counts should only fall")
            break
    if c.accepted is not None and c.accepted_is_prefix and abs(math.fsum(pp) - c.accepted) > max(1.0, 0.01 * c.accepted):
        warnings.append(f"per-position counts add up to {math.fsum(pp):g}, not the {c.accepted:g} accepted tokens")
    out = []
    prev = drafts
    for i, acc in enumerate(pp):
        lo, hi = wilson_interval(min(acc, drafts), drafts)
        if prev > 0:
            cond = min(acc / prev, 1.0)
            clo, chi = wilson_interval(min(acc, prev), prev)
        else:
            cond = clo = chi = None
        out.append(PositionStat(i, acc, min(acc / drafts, 1.0), lo, hi, cond, clo, chi,
                                None if alpha is None else alpha ** (i + 1)))
        prev = acc
    return tuple(out)


def _pooled(stats: Sequence[PositionStat], drafts_before: Sequence[float]) -> tuple[float, float, float] | None:
    acc = math.fsum(s.accepted for s in stats)
    n = math.fsum(drafts_before)
    if n <= 0:
        return None
    lo, hi = wilson_interval(min(acc, n), n)
    return min(acc / n, 1.0), lo, hi


def _rejections(pos: tuple[PositionStat, ...], drafts: float) -> Rejections:
    if not pos:
        return Rejections("unknown", "no per-position counts in this source, so where rejections happen is unknown")
    if len(pos) < 2:
        return Rejections("unknown", "k = 1: a single drafted position, nothing to compare")
    # the trials at position i are the drafts that reached it: accepted at i - 1 (all drafts for i = 0)
    trials = [drafts] + [p.accepted for p in pos[:-1]]
    h = math.ceil(len(pos) / 2)
    early = _pooled(pos[:h], trials[:h])
    late = _pooled(pos[h:], trials[h:])
    first = f"0-{h - 1}" if h > 1 else "0"
    rest = f"{h}-{len(pos) - 1}" if len(pos) - 1 > h else f"{h}"
    if early is None or late is None:
        return Rejections("early", "no draft survives the first positions: rejections happen at once; check the "
                          "tokenizer and chat template of the draft against the target's (rule SPEC204)")
    e, e_lo, e_hi = early
    lt, l_lo, l_hi = late
    if e < lt - _MARGIN and e_hi < l_lo:
        return Rejections("early", f"rejections concentrate early: conditional acceptance {e:.2f} at positions {first} "
                          f"vs {lt:.2f} at {rest}; a tokenizer, chat-template or prompt-format mismatch between draft "
                          "and target is the usual cause", e, lt)
    if lt < e - _MARGIN and l_hi < e_lo:
        return Rejections("late", f"rejections grow along the draft: conditional acceptance {e:.2f} at positions {first} "
                          f"vs {lt:.2f} at {rest}; the draft loses coherence on long runs, so a smaller k (or a "
                          "stronger draft) wastes less", e, lt)
    return Rejections("even", f"rejections are spread evenly: conditional acceptance {e:.2f} at positions {first} vs "
                      f"{lt:.2f} at {rest}, as a constant per-token alpha predicts", e, lt)


def _explain(c: Counts, rate: float | None, alpha: float | None, tau: float | None, k: float | None) -> str | None:
    if rate is None or alpha is None or tau is None or k is None:
        return None
    name = _RATE_NAME.get(c.engine, "accepted/drafted")
    if abs(k - 1) < 1e-9:
        return f"With k = 1, {name} ({rate:.2f}) and the per-token alpha of the speedup formula are the same number."
    if not c.accepted_is_prefix:
        return (f"vLLM V0's draft acceptance rate {rate:.2f} counts accepted tokens at any position, even after a "
                f"rejection, while the per-token alpha of the speedup formula follows from the tokens actually emitted "
                f"(tau = {tau:.3f} = (1 - alpha^(k+1)) / (1 - alpha) at k = {_fmt_k(k)}) and is {alpha:.2f}.")
    return (f"{name} {rate:.2f} is accepted/drafted = (tau - 1) / k, which counts every drafted "
            f"token after the first rejection as rejected although it is never checked, whereas the per-token alpha "
            f"of the speedup formula solves tau = (1 - alpha^(k+1)) / (1 - alpha) and is {alpha:.2f} at "
            f"tau = {tau:.3f}, k = {_fmt_k(k)}.")


# -- prediction and rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    target: str
    draft: str
    hardware: str
    tp: int
    tp_source: str
    engine: str
    batch_size: int
    context_len: int
    task: str
    temperature: float
    alpha: float
    cost_ratio: float
    k_deployed: int | None
    speedup_deployed: float | None
    speedup_deployed_low: float | None
    speedup_deployed_high: float | None
    k_recommended: int
    speedup_recommended: float
    speedup_by_k: dict[int, float]
    verdict: str
    reasons: tuple[Any, ...] = field(default=())  # specadvisor.rules.engine.Reason


def predict(m: Measurement, target: str, draft: str, hardware: str, tp: int | None = None, engine: str | None = None,
            batch_size: int | None = None, context_len: int | None = None, task: str | None = None,
            temperature: float | None = None, max_k: int = 16, catalog: Any = None) -> Prediction:
    """The estimator's speedup for k = 1..max_k at the measured alpha, for the deployed pair."""
    from specadvisor.advise.advisor import Workload, compare
    from specadvisor.catalog.core import load_catalog

    if m.alpha is None:
        raise MeasureError(f"{m.location}: no per-token alpha to predict from")
    cat = catalog if catalog is not None else load_catalog()
    alpha = min(m.alpha, ALPHA_CAP)
    k_dep = m.k_int
    w = Workload(hardware=hardware, tp=tp, batch_size=batch_size or 1, context_len=context_len or 1024,
                 task=task or "general", temperature=temperature or 0.0, engine=engine or m.engine, alpha=alpha,
                 k=k_dep if k_dep is not None and k_dep <= 64 else None, max_k=max_k)
    advice = compare(cat, target, [draft], w)
    cand = advice.candidates[0]
    rw = advice.workload
    return Prediction(
        target=advice.target.label, draft=cand.draft, hardware=rw.hardware.id, tp=rw.tp, tp_source=rw.tp_source,
        engine=rw.engine, batch_size=rw.batch_size, context_len=rw.context_len, task=rw.task,
        temperature=rw.temperature, alpha=alpha, cost_ratio=cand.cost_ratio,
        k_deployed=cand.k if k_dep is not None else None,
        speedup_deployed=cand.speedup if k_dep is not None else None,
        speedup_deployed_low=cand.speedup_low if k_dep is not None else None,
        speedup_deployed_high=cand.speedup_high if k_dep is not None else None,
        k_recommended=cand.k_best, speedup_recommended=cand.speedup_by_k[cand.k_best],
        speedup_by_k=dict(cand.speedup_by_k), verdict=cand.verdict, reasons=cand.reasons,
    )


def k_guidance(alpha: float) -> tuple[int, int] | None:
    """The article's k range for this alpha, from rule SPEC206's table."""
    from specadvisor.rules.engine import load_rules

    try:
        rule = load_rules().get("SPEC206")
    except KeyError:
        return None
    rows = [r for r in rule.params.get("table", ()) if alpha >= r[0]]
    return (rows[-1][1], rows[-1][2]) if rows else None


def diagnostics(m: Measurement, p: Prediction | None, draft: str | None = None) -> tuple[list[dict[str, str]], list[str]]:
    """Rules that fire on the measurement (all candidate rules when there is a prediction, else SPEC204),
    and notes on the ones that cannot be evaluated."""
    from specadvisor.rules.engine import evaluate, load_rules

    notes: list[str] = []
    if m.alpha is None:
        return [], notes
    if p is not None:
        return [r.as_dict() for r in p.reasons], notes
    rules = load_rules()
    out = []
    try:
        reason = evaluate(rules.get("SPEC204"), {"alpha": m.alpha, "draft": draft or "the draft"})
        if reason is not None:
            out.append(reason.as_dict())
    except KeyError:
        pass
    if m.alpha >= 0.9:
        notes.append("alpha is above 0.9: whether the draft is too expensive (SPEC205) needs a predicted speedup; "
                     "pass --target, --draft and --hardware")
    return out, notes


# -- report ----------------------------------------------------------------------------------------


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def _count(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(round(x)) if abs(x - round(x)) < 1e-6 else round(x, 3)


def report_dict(m: Measurement, p: Prediction | None, missing_for_prediction: Sequence[str] = (),
                draft: str | None = None) -> dict[str, Any]:
    diags, diag_notes = diagnostics(m, p, draft)
    guide = k_guidance(m.alpha) if m.alpha is not None else None
    pred = None
    if p is not None:
        pred = {
            "target": p.target, "draft": p.draft, "hardware": p.hardware, "tp": p.tp, "tp_source": p.tp_source,
            "engine": p.engine, "batch_size": p.batch_size, "context_len": p.context_len, "task": p.task,
            "temperature": p.temperature, "alpha": _r(p.alpha), "cost_ratio": _r(p.cost_ratio),
            "k_deployed": p.k_deployed, "speedup_deployed": _r(p.speedup_deployed, 3),
            "speedup_deployed_low": _r(p.speedup_deployed_low, 3), "speedup_deployed_high": _r(p.speedup_deployed_high, 3),
            "k_recommended": p.k_recommended, "speedup_recommended": _r(p.speedup_recommended, 3),
            "speedup_by_k": {str(k): round(s, 3) for k, s in p.speedup_by_k.items()}, "verdict": p.verdict,
        }
    notes = list(m.notes) + diag_notes
    if p is None and m.alpha is not None and missing_for_prediction:
        notes.append(f"no speedup prediction: pass {', '.join(missing_for_prediction)} (the deployed pair and hardware)")
    return {
        "schema_version": 1,
        "source": {"location": m.location, "kind": m.kind, "format": m.fmt, "engine": m.engine,
                   "scrapes": m.scrapes, "lines_or_samples": m.samples,
                   "window_s": None if m.window_s is None else round(m.window_s, 3)},
        "drafts": _count(m.drafts), "draft_tokens": _count(m.draft_tokens), "accepted_tokens": _count(m.accepted),
        "emitted_tokens": _count(m.emitted),
        "k": None if m.k is None else (m.k_int if abs(m.k - round(m.k)) < 1e-9 else round(m.k, 3)),
        "k_source": m.k_source,
        "tau": _r(m.tau), "tau_approximate": m.tau_approximate,
        "accepted_per_drafted": _r(m.rate), "alpha": _r(m.alpha, 6), "explanation": m.explanation,
        "per_position": [{
            "position": s.position, "accepted": _count(s.accepted), "rate": _r(s.rate), "rate_low": _r(s.rate_low),
            "rate_high": _r(s.rate_high), "conditional": _r(s.conditional), "conditional_low": _r(s.conditional_low),
            "conditional_high": _r(s.conditional_high), "expected_at_alpha": _r(s.expected),
        } for s in m.per_position],
        "rejections": {"where": m.rejections.where, "message": m.rejections.message,
                       "early_conditional": _r(m.rejections.early), "late_conditional": _r(m.rejections.late)},
        "k_guidance": None if guide is None else {"rule": "SPEC206", "k_min": guide[0], "k_max": guide[1]},
        "recommended_k": None if p is None else p.k_recommended,
        "prediction": pred,
        "missing": list(m.missing) + ([] if m.alpha is None else list(missing_for_prediction)),
        "diagnostics": diags,
        "notes": notes,
        "warnings": list(m.warnings),
    }

