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

from specadvisor.measure import diagnosis
from specadvisor.measure.counts import K_MAX, Counts, MeasureError
from specadvisor.measure.diagnosis import Rejections, wilson_interval
from specadvisor.measure.sources import DEFAULT_TIMEOUT_S, SourceText, is_url, read_source
from specadvisor.model.speedup import alpha_from_tau, tokens_per_round

ALPHA_CAP = 0.999  # the estimator takes alpha in [0, 1)

_RATE_NAME = {"vllm": "vLLM's acceptance rate", "sglang": "accepted/drafted",
              "trtllm": "TensorRT-LLM's acceptance (accepted/drafted)", "llamacpp": "llama.cpp's draft acceptance rate"}


# -- statistics ------------------------------------------------------------------------------------


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
    reader: str | None = None  # the `vocab.SourceFormat` that read the source
    tree: bool = False  # a tree of drafts was verified (SGLang topk > 1): tau only, no chain alpha
    broken: bool = False  # nothing was accepted: a broken run, not a weak draft
    variable_length: bool = False  # drafts shorter than k happened
    # tau(k) from the measured per-position acceptance, with whether it is extrapolated past the deployed k
    tau_by_k: dict[int, tuple[float, bool]] = field(default_factory=dict)
    others: tuple[dict[str, Any], ...] = ()  # other implementations in the source, kept apart (llama.cpp)

    @property
    def k_int(self) -> int | None:
        return None if self.k is None else max(1, round(self.k))


# -- reading ---------------------------------------------------------------------------------------


def counts_from_text(st: SourceText) -> tuple[str, Counts]:
    from specadvisor.measure.formats import read_counts

    return read_counts(st.text, st.location)


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
    figures: dict[str, float | None] = {
        "drafts": c.drafts, "draft tokens": c.draft_tokens, "accepted tokens": c.accepted,
        "emitted tokens": c.emitted, "k": c.k, "tau": c.tau, "acceptance rate": c.rate}
    for i, pos_count in enumerate(c.per_position or ()):
        figures[f"accepted tokens at position {i}"] = pos_count
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
    if drafts is None and k_val and c.draft_tokens is not None and c.rounds_unknown is None:
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
    if c.rounds_unknown is not None:
        pass  # no tau: the number of verify rounds is unknown
    elif drafts and c.accepted is not None and c.accepted_is_prefix:
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
    elif tau is not None and k_val and not c.tree:
        rate = (tau - 1) / k_val

    alpha = None
    if tau is not None and k_val:
        if not 1 - 1e-9 <= tau <= k_val + 1 + 1e-9:
            raise MeasureError(f"{loc}: tau {tau:.3f} lies outside [1, k + 1] = [1, {_fmt_k(k_val + 1)}]: the counts "
                               f"disagree with k = {_fmt_k(k_val)} ({k_src})")
        tau = min(max(tau, 1.0), k_val + 1)
        alpha = fit_alpha(tau, k_val)
        if c.tree:
            notes.append(f"a chain {_fmt_k(k_val)} tokens deep would need a per-token alpha of {alpha:.3f} to give this "
                         "tau; the tree is not that chain, so no alpha is reported")
            alpha = None
            missing.append("alpha: a tree of drafts (topk > 1) has no per-token chain alpha; tau is the measurement")
    elif c.rounds_unknown is not None:
        missing.append(f"tau and alpha: {c.rounds_unknown}")
    elif tau is not None:
        missing.append("k, the number of drafted tokens per round: pass --k (vLLM num_speculative_tokens, "
                       "SGLang speculative_num_steps, TensorRT-LLM max_draft_len)")
    elif c.drafts is None and c.draft_tokens is not None and c.accepted is not None:
        missing.append("the number of drafts: the source gives accepted and drafted tokens only; pass --k "
                       "(num_speculative_tokens) to count drafts as drafted / k")
    else:
        missing.append("tau: the source has no draft or acceptance-length figures")

    is_broken = diagnosis.broken(c.accepted, c.draft_tokens, tau)
    if is_broken:
        warnings.insert(0, "nothing was accepted: this is a broken run, not a weak draft - check that the draft's "
                        "weights, tokenizer and chat template are the ones meant for this target, and the sampling "
                        "settings (a draft that never matches is misconfigured)")
    small = diagnosis.small_sample(drafts if drafts is not None else (
        c.draft_tokens / k_val if c.draft_tokens is not None and k_val else None))
    if small:
        warnings.append(small)
    if c.variable_length:
        notes.append("drafts vary in length: a later position's rate also counts drafts that never reached it")

    positions = _positions(c, drafts, alpha, k_val, warnings)
    if is_broken:
        rejections = Rejections("none-accepted", "no drafted token was accepted: a broken run (see the warning)")
    else:
        rejections = diagnosis.rejections([p.accepted for p in positions], drafts or 0.0, c.variable_length,
                                          sized=c.drafts is not None or kind == "prometheus")
    curve: dict[int, tuple[float, bool]] = {}
    if positions and drafts and not c.variable_length and not c.tree and not is_broken:
        curve = diagnosis.tau_by_k([p.accepted for p in positions], drafts, max(16, len(positions)),
                                   tau if k_val is not None and abs(k_val - len(positions)) < 1e-9 else None)
    explanation = _explain(c, rate, alpha, tau, k_val)
    return Measurement(
        location=loc, source_id=source_id, kind=kind, fmt=c.fmt, engine=c.engine, drafts=drafts,
        draft_tokens=c.draft_tokens, accepted=c.accepted, emitted=c.emitted, k=k_val, k_source=k_src, tau=tau,
        tau_approximate=approx, rate=rate, alpha=alpha, per_position=positions, rejections=rejections,
        explanation=explanation, window_s=c.window_s, scrapes=scrapes, samples=c.samples, missing=tuple(missing),
        notes=tuple(notes), warnings=tuple(warnings), reader=None if c.reader is None else str(c.reader),
        tree=c.tree, broken=is_broken, variable_length=c.variable_length, tau_by_k=curve, others=tuple(c.others),
    )


def _positions(c: Counts, drafts: float | None, alpha: float | None, k: float | None,
               warnings: list[str]) -> tuple[PositionStat, ...]:
    if not c.per_position or not drafts:
        return ()
    pp = c.per_position
    if k is not None and len(pp) != round(k) and not c.variable_length:
        warnings.append(f"{len(pp)} per-position series for k = {_fmt_k(k)}")
    slack = max(1.0, 0.005 * drafts) if c.per_position_exact else max(1.0, 0.01 * drafts)
    if pp[0] > drafts + slack:
        warnings.append(f"position 0 counts {pp[0]:g} accepted tokens for {drafts:g} drafts: not a prefix count?")
    for i in range(1, len(pp)):
        if pp[i] > pp[i - 1] + slack:
            warnings.append(f"accepted tokens rise from position {i - 1} to {i}: per-position counts should only fall")
            break
    tol = max(1.0, 0.01 * (c.accepted or 0)) if c.per_position_exact else max(1.0, 0.03 * (c.accepted or 0)
                                                                              + 0.001 * drafts * len(pp))
    if c.accepted is not None and c.accepted_is_prefix and abs(math.fsum(pp) - c.accepted) > tol:
        warnings.append(f"per-position counts add up to {math.fsum(pp):g}, not the {c.accepted:g} accepted tokens")
    out = []
    prev = drafts
    for i, acc in enumerate(pp):
        acc = min(acc, prev)  # rounded rates may make a count exceed the previous one by a hair
        lo, hi = wilson_interval(min(acc, drafts), drafts)
        cond: float | None = None
        clo: float | None = None
        chi: float | None = None
        if prev > 0:
            cond = min(acc / prev, 1.0)
            clo, chi = wilson_interval(min(acc, prev), prev)
        out.append(PositionStat(i, acc, min(acc / drafts, 1.0), lo, hi, cond, clo, chi,
                                None if alpha is None else alpha ** (i + 1)))
        prev = acc
    return tuple(out)


def _explain(c: Counts, rate: float | None, alpha: float | None, tau: float | None, k: float | None) -> str | None:
    if rate is None or alpha is None or tau is None or k is None:
        return None
    name = _RATE_NAME.get(c.engine, "accepted/drafted")
    if abs(k - 1) < 1e-9:
        return f"With k = 1, {name} ({rate:.2f}) and the per-token alpha of the speedup formula are the same number."
    if c.engine == "sglang":
        return (f"SGLang's printed accept rate is not accepted/drafted in every version (0.5.x builds divide accept "
                f"len by speculative_num_draft_tokens, bonus token included); accepted/drafted is (tau - 1) / k = "
                f"{rate:.2f}, and the per-token alpha of the speedup formula solves tau = (1 - alpha^(k+1)) / "
                f"(1 - alpha): {alpha:.2f} at tau = {tau:.3f}, k = {_fmt_k(k)}.")
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
    k_basis: str = "constant alpha"  # or "measured per-position acceptance"


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
    curve = dict(cand.speedup_by_k)
    k_best = cand.k_best
    reasons = tuple(cand.reasons)
    basis = "constant alpha"
    if m.tau_by_k:
        # the speedup is tau(k) x a cost term (specadvisor.model.speedup): replace the constant-alpha tau by the
        # measured one, k by k
        curve = {kk: s * m.tau_by_k[kk][0] / tokens_per_round(alpha, kk) if kk in m.tau_by_k else s
                 for kk, s in curve.items()}
        k_best = min(curve, key=lambda kk: (-round(curve[kk], 9), kk))
        basis = "measured per-position acceptance"
        reasons = tuple(_with_k_best(r, k_best) for r in reasons)
    reasons = _drop_low_acceptance(reasons, m)
    return Prediction(
        target=advice.target.label, draft=cand.draft, hardware=rw.hardware.id, tp=rw.tp, tp_source=rw.tp_source,
        engine=rw.engine, batch_size=rw.batch_size, context_len=rw.context_len, task=rw.task,
        temperature=rw.temperature, alpha=alpha, cost_ratio=cand.cost_ratio,
        k_deployed=cand.k if k_dep is not None else None,
        speedup_deployed=cand.speedup if k_dep is not None else None,
        speedup_deployed_low=cand.speedup_low if k_dep is not None else None,
        speedup_deployed_high=cand.speedup_high if k_dep is not None else None,
        k_recommended=k_best, speedup_recommended=curve[k_best],
        speedup_by_k=curve, verdict=cand.verdict, reasons=reasons, k_basis=basis,
    )


def _with_k_best(reason: Any, k_best: int) -> Any:
    """A reason re-rendered with the k the measured curve recommends (its template may name {k_best})."""
    import dataclasses

    from specadvisor.rules.engine import evaluate, load_rules

    rules = load_rules()
    try:
        rule = rules.get(reason.rule)
    except KeyError:
        return reason
    if rule.check == "k-guidance":
        # the table is indexed by a constant alpha; with measured positions the k advice is the curve's
        values = dict(reason.values)
        values["k_best"] = k_best
        again = evaluate(rule, values)
        return again if again is not None else dataclasses.replace(reason, values=values)
    if "k_best" in reason.values:
        return dataclasses.replace(reason, values={**reason.values, "k_best": k_best})
    return reason


def _drop_low_acceptance(reasons: tuple[Any, ...], m: Measurement) -> tuple[Any, ...]:
    """A broken run (nothing accepted) is not a weak draft: the low-acceptance rules stay quiet."""
    if not m.broken:
        return reasons
    from specadvisor.rules.engine import load_rules

    low = {r.id for r in diagnosis.low_acceptance_rules(load_rules())}
    return tuple(r for r in reasons if r.rule not in low)


def k_guidance(alpha: float, m: Measurement | None = None) -> tuple[int, int, str, str] | None:
    """(k_min, k_max, rule id, basis): the k-guidance rule's table at alpha, unless the measured positions
    refute a constant alpha: after a cliff the positions before it are the k to keep; with an early dip
    the table is read at the later positions' conditional acceptance."""
    from specadvisor.rules.engine import load_rules

    rules = diagnosis.k_guidance_rules(load_rules())
    if not rules:
        return None
    rule = rules[0]
    if m is not None and m.rejections.where == "late" and m.rejections.cliff_after is not None and m.tau_by_k:
        k = m.rejections.cliff_after + 1
        return k, k, rule.id, f"measured: positions 0-{k - 1} accept, the cliff after position {k - 1} does not pay"
    if m is not None and m.rejections.where == "early" and m.rejections.late is not None:
        got = diagnosis.table_range(rule, m.rejections.late)
        return None if got is None else (*got, rule.id, "the table at the conditional acceptance after position 0 "
                                         f"({m.rejections.late:.2f})")
    got = diagnosis.table_range(rule, alpha)
    return None if got is None else (*got, rule.id, f"the table at alpha {alpha:.2f}")


def diagnostics(m: Measurement, p: Prediction | None, draft: str | None = None) -> tuple[list[dict[str, str]], list[str]]:
    """Rules that fire on the measurement (all candidate rules when there is a prediction, else the
    low-acceptance ones), and notes on the ones that cannot be evaluated. Rules are found by kind."""
    from specadvisor.rules.engine import evaluate, load_rules

    notes: list[str] = []
    if m.alpha is None:
        return [], notes
    if p is not None:
        return [r.as_dict() for r in p.reasons], notes
    rules = load_rules()
    out = []
    if not m.broken:
        for rule in diagnosis.low_acceptance_rules(rules):
            reason = evaluate(rule, {"alpha": m.alpha, "draft": draft or "the draft"})
            if reason is not None:
                out.append(reason.as_dict())
    for rule, floor in diagnosis.alpha_floor_needing(rules, "speedup"):
        if m.alpha >= floor:
            notes.append(f"alpha is {floor:g} or more: whether {rule.id} ({rule.name}) applies needs a predicted "
                         "speedup; pass --target, --draft and --hardware")
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
    guide = k_guidance(m.alpha, m) if m.alpha is not None and not m.broken else None
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
            "k_basis": p.k_basis,
        }
    notes = list(m.notes) + diag_notes
    if p is None and m.alpha is not None and missing_for_prediction:
        notes.append(f"no speedup prediction: pass {', '.join(missing_for_prediction)} (the deployed pair and hardware)")
    return {
        "schema_version": 1,
        "source": {"location": m.location, "kind": m.kind, "format": m.fmt, "reader": m.reader, "engine": m.engine,
                   "scrapes": m.scrapes, "lines_or_samples": m.samples,
                   "window_s": None if m.window_s is None else round(m.window_s, 3)},
        "drafts": _count(m.drafts), "draft_tokens": _count(m.draft_tokens), "accepted_tokens": _count(m.accepted),
        "emitted_tokens": _count(m.emitted),
        "k": None if m.k is None else (m.k_int if abs(m.k - round(m.k)) < 1e-9 else round(m.k, 3)),
        "k_source": m.k_source,
        "tau": _r(m.tau), "tau_approximate": m.tau_approximate,
        "accepted_per_drafted": _r(m.rate), "alpha": _r(m.alpha, 6), "explanation": m.explanation,
        "broken_run": m.broken, "tree": m.tree, "variable_draft_length": m.variable_length,
        "tau_by_k": {str(k): {"tau": round(t, 4), "extrapolated": x} for k, (t, x) in m.tau_by_k.items()},
        "other_implementations": [{key: (round(v, 4) if isinstance(v, float) else v) for key, v in o.items()}
                                  for o in m.others],
        "per_position": [{
            "position": s.position, "accepted": _count(s.accepted), "rate": _r(s.rate), "rate_low": _r(s.rate_low),
            "rate_high": _r(s.rate_high), "conditional": _r(s.conditional), "conditional_low": _r(s.conditional_low),
            "conditional_high": _r(s.conditional_high), "expected_at_alpha": _r(s.expected),
        } for s in m.per_position],
        "rejections": {"where": m.rejections.where, "message": m.rejections.message,
                       "early_conditional": _r(m.rejections.early), "late_conditional": _r(m.rejections.late),
                       "cliff_after_position": m.rejections.cliff_after},
        "k_guidance": None if guide is None else {"rule": guide[2], "k_min": guide[0], "k_max": guide[1],
                                                  "basis": guide[3]},
        "recommended_k": None if p is None else p.k_recommended,
        "prediction": pred,
        "missing": list(m.missing) + ([] if m.alpha is None else list(missing_for_prediction)),
        "diagnostics": diags,
        "notes": notes,
        "warnings": list(m.warnings),
    }

