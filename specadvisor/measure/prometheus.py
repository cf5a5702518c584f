"""Prometheus text expositions from serving engines, read with `prometheus_client`'s parser.

Metric names (counters are exported with a `_total` suffix, which is dropped here):

* vLLM V1: counters `vllm:spec_decode_num_drafts`, `..._num_draft_tokens`, `..._num_accepted_tokens` and
  `..._num_accepted_tokens_per_pos{position="i"}` (a prefix count: position i counts a draft only when
  positions 0..i were all accepted).
* vLLM V0: counters `..._num_draft_tokens`, `..._num_accepted_tokens` (accepted at any position) and
  `..._num_emitted_tokens` (bonus included); gauges `..._draft_acceptance_rate` and `..._efficiency`.
* SGLang: gauges `sglang:spec_accept_length` (tau, bonus included) and `sglang:spec_accept_rate`.
* TensorRT-LLM: counters `trtllm_spec_decode_num_draft_tokens`, `..._num_accepted_tokens`; gauges
  `trtllm_spec_decode_acceptance_length`, `..._draft_overhead`; `trtllm_speculative_config_info`.

Series that differ only in labels such as `engine` or `model_name` are summed (counters) or averaged
(gauges). Two scrapes give a window: counters are subtracted series by series, and a counter that went
down (a restart) is an error rather than a negative rate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX, CounterResetError, Counts, MeasureError
from specadvisor.vocab import SourceFormat

V_DRAFTS = "vllm:spec_decode_num_drafts"
V_DRAFT_TOKENS = "vllm:spec_decode_num_draft_tokens"
V_ACCEPTED = "vllm:spec_decode_num_accepted_tokens"
V_PER_POS = "vllm:spec_decode_num_accepted_tokens_per_pos"
V0_EMITTED = "vllm:spec_decode_num_emitted_tokens"
V0_RATE = "vllm:spec_decode_draft_acceptance_rate"
V0_EFFICIENCY = "vllm:spec_decode_efficiency"
SG_ACCEPT_LENGTH = "sglang:spec_accept_length"
SG_ACCEPT_RATE = "sglang:spec_accept_rate"
SG_NUM_STEPS = "sglang:spec_num_steps"
TRT_DRAFT_TOKENS = "trtllm_spec_decode_num_draft_tokens"
TRT_ACCEPTED = "trtllm_spec_decode_num_accepted_tokens"
TRT_ACCEPTANCE_LENGTH = "trtllm_spec_decode_acceptance_length"
TRT_DRAFT_OVERHEAD = "trtllm_spec_decode_draft_overhead"
TRT_CONFIG_INFO = "trtllm_speculative_config_info"
# llama.cpp's server (2026 builds, tools/server/server-task.cpp) exports vLLM V1's counters under its own
# prefix: drafts are verification steps, per-position counts are prefix counts.
L_DRAFTS = "llamacpp:spec_decode_num_drafts"
L_DRAFT_TOKENS = "llamacpp:spec_decode_num_draft_tokens"
L_ACCEPTED = "llamacpp:spec_decode_num_accepted_tokens"
L_PER_POS = "llamacpp:spec_decode_num_accepted_tokens_per_pos"

COUNTERS = frozenset({V_DRAFTS, V_DRAFT_TOKENS, V_ACCEPTED, V_PER_POS, V0_EMITTED, TRT_DRAFT_TOKENS, TRT_ACCEPTED,
                      L_DRAFTS, L_DRAFT_TOKENS, L_ACCEPTED, L_PER_POS})
KNOWN = COUNTERS | {V0_RATE, V0_EFFICIENCY, SG_ACCEPT_LENGTH, SG_ACCEPT_RATE, SG_NUM_STEPS, TRT_ACCEPTANCE_LENGTH,
                    TRT_DRAFT_OVERHEAD, TRT_CONFIG_INFO}
# Label names under which a TensorRT-LLM config-info series might carry the draft length.
_TRT_K_LABELS = ("max_draft_len", "max_draft_tokens", "num_draft_tokens", "num_speculative_tokens", "draft_len")

Labels = tuple[tuple[str, str], ...]
Key = tuple[str, Labels]


@dataclass
class Snapshot:
    """The speculative-decoding series of one scrape (or of a window between two scrapes)."""

    location: str
    series: dict[Key, float] = field(default_factory=dict)
    raw_names: dict[Key, str] = field(default_factory=dict)
    metric_count: int = 0  # every family in the exposition, spec-decode or not
    window_of: tuple[str, str] | None = None  # (before, after) locations for a delta

    def names(self) -> set[str]:
        return {name for name, _ in self.series}

    def raw_name(self, name: str) -> str:
        """The name as exported (counters with their `_total`), for messages."""
        return next((raw for (n, _), raw in self.raw_names.items() if n == name),
                    f"{name}_total" if name in COUNTERS else name)

    def _sum(self, name: str, vals: list[float]) -> float:
        try:
            total = math.fsum(vals)
        except OverflowError:
            total = math.inf
        if not math.isfinite(total):  # each value is finite; their sum is beyond a float
            raise InputFileError(self.location, None, self.raw_name(name),
                                 f"its {len(vals)} series add up to more than a float can hold (the largest is {max(vals):g}): "
                                 "not a count")
        return total

    def total(self, name: str) -> float | None:
        vals = [v for (n, _), v in self.series.items() if n == name]
        return self._sum(name, vals) if vals else None

    def mean(self, name: str) -> float | None:
        vals = [v for (n, _), v in self.series.items() if n == name and not math.isnan(v)]
        return self._sum(name, vals) / len(vals) if vals else None

    def by_label(self, name: str, label: str) -> dict[str, float]:
        groups: dict[str, list[float]] = defaultdict(list)
        for (n, labels), v in self.series.items():
            if n == name:
                groups[dict(labels).get(label, "")].append(v)
        return {value: self._sum(name, vals) for value, vals in groups.items()}

    def label_values(self, name: str, label: str) -> set[str]:
        return {dict(labels)[label] for (n, labels) in self.series if n == name and label in dict(labels)}


def _base_name(sample_name: str) -> str:
    return sample_name[: -len("_total")] if sample_name.endswith("_total") else sample_name


def _show(key: Key, raw: str) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in key[1])
    return f"{raw}{{{labels}}}" if labels else raw


def _locate_error(text: str) -> tuple[int | None, str | None]:
    """The first line the parser refuses on its own, to point the user at it."""
    from prometheus_client.parser import text_string_to_metric_families

    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            list(text_string_to_metric_families(line + "\n"))
        except Exception as exc:  # the parser raises ValueError, but also IndexError/KeyError on odd input
            return i, str(exc) or type(exc).__name__
    return None, None


def _relevant_lines(text: str) -> tuple[str, int]:
    """Only the lines of the speculative-decoding families (and how many families the page had).

    A busy server's /metrics page holds thousands of series (histograms per model and label); parsing
    them all costs seconds and gigabytes on large pages, for series we never read.
    """
    keep: list[str] = []
    families = 0
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#"):
            parts = stripped.split(None, 3)
            if len(parts) >= 3 and parts[1] == "TYPE":
                families += 1
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE") and _base_name(parts[2]) in KNOWN:
                keep.append(line)
            continue
        head = stripped.split("{", 1)[0].split(None, 1)
        name = head[0] if head else ""
        if name.endswith("_created"):
            name = name[: -len("_created")]
        if _base_name(name) in KNOWN:
            keep.append(line)
    return "\n".join(keep) + "\n", families


def parse_exposition(text: str, location: str) -> Snapshot:
    """Parse a text exposition; keep the speculative-decoding series, validated."""
    from prometheus_client.parser import text_string_to_metric_families

    relevant, family_count = _relevant_lines(text)
    if relevant.strip() == "":
        # Nothing we read: parse the page itself (its head, when huge), so that a file that is no
        # exposition at all says where it goes wrong.
        relevant = text if len(text) <= 4 * 1024 * 1024 else "\n".join(text.splitlines()[:1000]) + "\n"
    try:
        families = list(text_string_to_metric_families(relevant))
    except Exception as exc:
        line, problem = _locate_error(text)
        if line is None:
            line, problem = _locate_error(relevant)
        detail = problem or str(exc) or type(exc).__name__
        raise InputFileError(location, line, None, f"not a valid Prometheus text exposition: {detail}") from None
    last = text.rstrip("\n").rsplit("\n", 1)[-1].strip()
    if not text.endswith("\n") and last and not last.startswith("#"):
        n = text.count("\n") + 1
        raise InputFileError(location, n, None, "the exposition does not end with a newline: it looks truncated "
                             "(the last sample may be cut); save the whole /metrics page")
    snap = Snapshot(location, metric_count=max(family_count, len(families)))
    for fam in families:
        for s in fam.samples:
            if s.name.endswith("_created"):  # counter creation timestamps, not counts
                continue
            name = _base_name(s.name)
            if name not in KNOWN:
                continue
            key: Key = (name, tuple(sorted(s.labels.items())))
            value = float(s.value)
            if name in COUNTERS and (math.isnan(value) or math.isinf(value) or value < 0):
                raise InputFileError(location, None, _show(key, s.name), f"counter value {s.value!r} is not a count")
            if key in snap.series:
                raise InputFileError(location, None, _show(key, s.name), "series appears twice")
            snap.series[key] = value
            snap.raw_names[key] = s.name
    return snap


def delta(before: Snapshot, after: Snapshot) -> Snapshot:
    """The window between two scrapes: counters subtracted, gauges taken from the later scrape."""
    out = Snapshot(f"{before.location} -> {after.location}", metric_count=after.metric_count,
                   window_of=(before.location, after.location))
    for key, v_after in after.series.items():
        raw = after.raw_names[key]
        if key[0] in COUNTERS:
            v_before = before.series.get(key, 0.0)  # a new series starts from zero, as in Prometheus
            if v_after < v_before:
                raise CounterResetError(
                    f"counter reset between {before.location} and {after.location}: {_show(key, raw)} fell from "
                    f"{v_before:g} to {v_after:g} (the server restarted?); a rate over this window would be "
                    "negative, so none is reported: take both scrapes after the restart")
            out.series[key] = v_after - v_before
        else:
            out.series[key] = v_after
        out.raw_names[key] = raw
    for key in before.series:
        if key[0] in COUNTERS and key not in after.series:
            raise CounterResetError(
                f"counter reset between {before.location} and {after.location}: "
                f"{_show(key, before.raw_names[key])} is missing from the later scrape (the server restarted?)")
    return out


# -- engine interpretation -------------------------------------------------------------------------


def _near_int(x: float, tol: float = 0.1) -> int | None:
    if not math.isfinite(x):
        return None
    r = round(x)
    return r if 1 <= r <= K_MAX and abs(x - r) <= tol else None


def _gauge(snap: Snapshot, name: str, low: float | None = None, high: float | None = None,
           what: str = "") -> float | None:
    """The mean of a gauge's series (NaN series skipped, as before the first interval), each checked to be
    finite and within [low, high]."""
    for (n, labels), v in snap.series.items():
        if n != name or math.isnan(v):
            continue
        if math.isinf(v) or (low is not None and v < low) or (high is not None and v > high):
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            raise InputFileError(snap.location, None, _show((n, labels), snap.raw_names.get((n, labels), n)),
                                 f"gauge value {v:g} is not {what or 'a plausible value'} (expected {lo} to {hi})")
    return snap.mean(name)


def _sum_note(snap: Snapshot, name: str, counts: Counts) -> None:
    for label in ("model_name", "engine"):
        vals = snap.label_values(name, label)
        if len(vals) > 1:
            counts.notes.append(f"summed over {len(vals)} values of label {label!r}: {', '.join(sorted(vals))}")


def counts_from_snapshot(snap: Snapshot, hints: Snapshot | None = None) -> Counts:
    """Interpret the series as one engine's acceptance counts. `hints`: the later raw scrape of a window,
    whose cumulative values may reveal k (V0 efficiency, TRT-LLM config) when the window's cannot."""
    hints = hints or snap
    names = snap.names()
    if names & {V_DRAFTS, V_PER_POS}:
        return _vllm_v1(snap)
    if names & {L_DRAFTS, L_DRAFT_TOKENS, L_ACCEPTED, L_PER_POS}:
        return _vllm_v1(snap, llamacpp=True)
    if names & {V_DRAFT_TOKENS, V_ACCEPTED, V0_EMITTED, V0_RATE}:
        return _vllm_v0(snap, hints)
    if names & {SG_ACCEPT_LENGTH, SG_ACCEPT_RATE}:
        return _sglang(snap)
    if names & {TRT_DRAFT_TOKENS, TRT_ACCEPTED, TRT_ACCEPTANCE_LENGTH}:
        return _trtllm(snap, hints)
    what = "no metrics at all" if snap.metric_count == 0 else f"{snap.metric_count} metric families"
    raise MeasureError(
        f"{snap.location}: no speculative-decoding metrics ({what}); looked for {V_DRAFTS}_total, "
        f"{V_ACCEPTED}_total, {SG_ACCEPT_LENGTH}, {TRT_ACCEPTED}_total and related series. Is speculative "
        "decoding enabled, and is this the engine's /metrics page (TensorRT-LLM: /prometheus/metrics)?")


def _require(counts: Counts, snap: Snapshot, **found: float | None) -> None:
    missing = [n for n, v in found.items() if v is None]
    if missing:
        raise MeasureError(f"{snap.location}: {counts.fmt} without {', '.join(missing)}: the exposition is incomplete "
                           "(truncated?)")


def _vllm_v1(snap: Snapshot, llamacpp: bool = False) -> Counts:
    drafts_n, tokens_n, accepted_n, per_pos_n = ((L_DRAFTS, L_DRAFT_TOKENS, L_ACCEPTED, L_PER_POS) if llamacpp else
                                                 (V_DRAFTS, V_DRAFT_TOKENS, V_ACCEPTED, V_PER_POS))
    if llamacpp:
        c = Counts("llamacpp", "llama.cpp Prometheus counters (llamacpp:spec_decode_*)", snap.location,
                   reader=SourceFormat.llamacpp_prometheus)
    else:
        c = Counts("vllm", "vLLM V1 Prometheus counters", snap.location, reader=SourceFormat.vllm_prometheus)
    c.drafts = snap.total(drafts_n)
    c.draft_tokens = snap.total(tokens_n)
    c.accepted = snap.total(accepted_n)
    _require(c, snap, **{f"{drafts_n}_total": c.drafts, f"{tokens_n}_total": c.draft_tokens,
                         f"{accepted_n}_total": c.accepted})
    _sum_note(snap, drafts_n, c)
    if llamacpp and c.drafts and c.draft_tokens:
        mean_k = c.draft_tokens / c.drafts
        if abs(mean_k - round(mean_k)) > 0.02 * max(1, round(mean_k)):
            c.variable_length = True
    pos = snap.by_label(per_pos_n, "position")
    if pos:
        try:
            idx = {int(p): v for p, v in pos.items()}
        except ValueError:
            raise MeasureError(f"{snap.location}: {per_pos_n}_total has a non-integer position label "
                               f"({', '.join(sorted(pos))})") from None
        if min(idx) < 0:
            raise MeasureError(f"{snap.location}: {per_pos_n}_total has a negative position")
        if max(idx) >= K_MAX:
            raise InputFileError(snap.location, None, snap.raw_name(per_pos_n),
                                 f"position {max(idx)} is beyond any plausible draft length (positions 0 to "
                                 f"{K_MAX - 1}, k <= {K_MAX})")
        n = max(idx) + 1
        gaps = [i for i in range(n) if i not in idx]
        if gaps:
            c.warnings.append(f"per-position series missing for position(s) {', '.join(map(str, gaps))}; counted as 0")
        c.per_position = tuple(idx.get(i, 0.0) for i in range(n))
        c.k, c.k_source = float(n), "number of per-position series (" + ("--draft-max" if llamacpp else
                                                                         "num_speculative_tokens") + ")"
        if llamacpp and c.variable_length and c.drafts and c.draft_tokens:
            c.k, c.k_source = c.draft_tokens / c.drafts, "draft tokens / drafts (mean draft length)"
    else:
        c.notes.append(f"no {per_pos_n}_total series: acceptance by position is not available"
                       + ("" if llamacpp else " (older vLLM)"))
    return c


def _vllm_v0(snap: Snapshot, hints: Snapshot) -> Counts:
    c = Counts("vllm", "vLLM V0 Prometheus metrics", snap.location, accepted_is_prefix=False,
               reader=SourceFormat.vllm_prometheus)
    c.draft_tokens = snap.total(V_DRAFT_TOKENS)
    c.accepted = snap.total(V_ACCEPTED)
    c.emitted = snap.total(V0_EMITTED)
    _sum_note(snap, V_DRAFT_TOKENS, c)
    if c.draft_tokens is None or (c.accepted is None and c.emitted is None):
        rate = _gauge(hints, V0_RATE, 0.0, 1.0, "an acceptance rate")
        if rate is None:
            _require(c, snap, **{f"{V_DRAFT_TOKENS}_total": c.draft_tokens, f"{V0_EMITTED}_total": c.emitted})
        c.rate = rate
        c.notes.append("only the V0 acceptance-rate gauge is present (accepted/drafted since start)")
    # system efficiency = emitted / (drafts * (k + 1)) with drafts = draft tokens / k, so
    # k / (k + 1) = efficiency * draft tokens / emitted: the cumulative values reveal k.
    eff = _gauge(hints, V0_EFFICIENCY, 0.0, 1.0, "a system efficiency")
    d, e = hints.total(V_DRAFT_TOKENS), hints.total(V0_EMITTED)
    if eff and d and e:
        x = eff * d / e
        if 0 < x < 1:
            k = _near_int(x / (1 - x), 0.15)
            if k is not None:
                c.k, c.k_source = float(k), f"{V0_EFFICIENCY} and the token counters"
    if c.accepted is not None:
        c.notes.append("vLLM V0 counts accepted tokens at any position, not only the accepted prefix; tau comes "
                       "from the emitted tokens instead")
    return c


def _sglang(snap: Snapshot) -> Counts:
    from specadvisor.measure.sglang_logs import apply_shape

    c = Counts("sglang", "SGLang Prometheus gauges", snap.location, reader=SourceFormat.sglang_prometheus)
    c.tau = _gauge(snap, SG_ACCEPT_LENGTH, 1.0, K_MAX + 1, "a mean acceptance length")
    engine_rate = _gauge(snap, SG_ACCEPT_RATE, 0.0, 1.0, "an acceptance rate")
    c.notes.append("SGLang's gauges describe the last logging interval only; average several scrapes (or pass "
                   "a log with many 'accept len' lines) for a steadier figure")
    steps = _gauge(snap, SG_NUM_STEPS, 0.0, None, "a number of steps")
    args = {"speculative_num_steps": int(steps)} if steps is not None and steps >= 1 and steps == int(steps) else {}
    apply_shape(c, args, [(c.tau, engine_rate)] if c.tau is not None and engine_rate else [])
    if steps is not None:
        c.notes.append(f"{SG_NUM_STEPS} = {steps:g}")
    if c.tau is None:
        if engine_rate is not None:
            c.notes.append(f"{SG_ACCEPT_RATE} alone, without {SG_ACCEPT_LENGTH}: its meaning changed between SGLang "
                           "versions (accept length / num_draft_tokens, later accepted / drafted), so tau is not "
                           "derived from it")
        c.notes.append(f"no {SG_ACCEPT_LENGTH}: tau is unknown")
    return c


def _trtllm(snap: Snapshot, hints: Snapshot) -> Counts:
    c = Counts("trtllm", "TensorRT-LLM Prometheus metrics", snap.location, reader=SourceFormat.trtllm_prometheus)
    c.draft_tokens = snap.total(TRT_DRAFT_TOKENS)
    c.accepted = snap.total(TRT_ACCEPTED)
    al = _gauge(hints, TRT_ACCEPTANCE_LENGTH, 1.0, K_MAX + 1, "a mean acceptance length")
    for (name, labels) in hints.series:
        if name == TRT_CONFIG_INFO:
            for label, value in labels:
                if label in _TRT_K_LABELS and value.isascii() and value.isdigit():
                    if len(value) > 6 or not 1 <= int(value) <= K_MAX:
                        shown = value if len(value) <= 20 else value[:17] + "..."
                        raise InputFileError(hints.location, None, f"{TRT_CONFIG_INFO}{{{label}}}",
                                             f"draft length {shown} lies outside the plausible k (1 to {K_MAX})")
                    c.k, c.k_source = float(value), f"{TRT_CONFIG_INFO}{{{label}}}"
    if c.k is None and al is not None and al > 1 and c.accepted and c.draft_tokens:
        k = _near_int(c.draft_tokens * (al - 1) / c.accepted)
        if k is not None:
            c.k, c.k_source = float(k), "acceptance length and the token counters; pass --k to be sure"
    if al is not None:
        c.tau = al  # used only when k is unknown; with k the counters give tau for the window
    overhead = _gauge(hints, TRT_DRAFT_OVERHEAD, what="a draft overhead")
    if overhead is not None:
        c.notes.append(f"draft overhead (TensorRT-LLM): {overhead:.3f}")
    if c.draft_tokens is None and c.tau is None:
        _require(c, snap, **{f"{TRT_DRAFT_TOKENS}_total": None})
    return c
