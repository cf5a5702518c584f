"""Engine log lines that report speculative-decoding acceptance.

* vLLM V1 `SpecDecoding metrics: Mean acceptance length: ..., Accepted: N tokens, Drafted: M tokens,
  Per-position acceptance rate: r0, r1, ..., Avg Draft acceptance rate: P%` - one line per logging
  interval (the engine resets its counts after each line), so lines are added up.
* vLLM V0 `Speculative metrics: Draft acceptance rate: ..., System efficiency: ..., Number of speculative
  tokens: k, Number of accepted tokens: A, Number of draft tokens: D, Number of emitted tokens: E.` -
  running totals since the engine started: the last line counts, and a drop marks a restart.
* SGLang `Decode batch. ... accept len: L, [accept rate: R,] gen throughput (token/s): T, ...` - one
  interval each; L is tau (bonus token included).
* llama.cpp `draft acceptance rate = R ( A accepted / D generated)` per request, `statistics draft:
  #calls = ..., #gen drafts = ..., #acc drafts = ..., #gen tokens = ..., #acc tokens = ...`, and
  `"timings": {"draft_n": D, "draft_n_accepted": A, "predicted_n": P, ...}` in server responses.

A line that carries an engine's marker but not its numbers is an error naming the line (often a
truncated file).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX, Counts, MeasureError

_NUM = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|nan|inf)"

V1_MARK = "SpecDecoding metrics:"
V0_MARK = "Speculative metrics:"
SG_MARK = "accept len:"
LC_RATE_MARK = "draft acceptance rate"
LC_STATS_MARK = "statistics draft:"
LC_TIMINGS_MARK = '"draft_n"'
MARKERS = (V1_MARK, V0_MARK, SG_MARK, LC_RATE_MARK, LC_STATS_MARK, LC_TIMINGS_MARK)

_V1 = {
    "mean_len": re.compile(r"Mean acceptance length:\s*" + _NUM),
    "accepted": re.compile(r"Accepted:\s*([0-9]+)\s*tokens"),
    "drafted": re.compile(r"Drafted:\s*([0-9]+)\s*tokens"),
    "per_pos": re.compile(r"Per-position acceptance rate:\s*(" + _NUM + r"(?:\s*,\s*" + _NUM + r")*)"),
}
_V0 = {
    "k": re.compile(r"Number of speculative tokens:\s*([0-9]+)"),
    "accepted": re.compile(r"Number of accepted tokens:\s*([0-9]+)"),
    "drafted": re.compile(r"Number of draft tokens(?: tokens)?:\s*([0-9]+)"),
    "emitted": re.compile(r"Number of emitted tokens:\s*([0-9]+)"),
}
_SG = {
    "len": re.compile(r"accept len:\s*" + _NUM),
    "rate": re.compile(r"accept rate:\s*" + _NUM),
    "throughput": re.compile(r"gen throughput \(token/s\):\s*" + _NUM),
}
_LC_RATE = re.compile(r"draft acceptance rate\s*=\s*" + _NUM + r"\s*\(\s*([0-9]+)\s*accepted\s*/\s*([0-9]+)\s*generated\s*\)")
_LC_STATS = {
    "gen_drafts": re.compile(r"#gen drafts\s*=\s*([0-9]+)"),
    "gen_tokens": re.compile(r"#gen tokens\s*=\s*([0-9]+)"),
    "acc_tokens": re.compile(r"#acc tokens\s*=\s*([0-9]+)"),
}


def _marked(line: str, marker: str) -> bool:
    # a Prometheus HELP/TYPE comment may mention the same words; log lines never start with '#'
    return marker in line and not line.lstrip().startswith("#")


def looks_like_log(text: str) -> bool:
    return any(m in text for m in MARKERS) and any(_marked(line, m) for line in text.splitlines() for m in MARKERS)


def _short(text: str, width: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 3] + "..."


def _bad(location: str, line_no: int, what: str, line: str) -> InputFileError:
    return InputFileError(location, line_no, None, f"incomplete {what} line (truncated?): {_short(line)!r}")


def _finite(location: str, line_no: int | None, field: str, text: str) -> float:
    """A number matched on a log line; `nan`, `inf` and digit strings beyond a float are refused."""
    x = float(text)
    if not math.isfinite(x):
        raise InputFileError(location, line_no, field, f"{_short(text, 20)} is not a finite number")
    return x


def _draft_length(location: str, line_no: int, field: str, text: str) -> int:
    k = int(text) if len(text) <= 6 else K_MAX + 1
    if not 1 <= k <= K_MAX:
        raise InputFileError(location, line_no, field,
                             f"{_short(text, 20)} lies outside the plausible draft lengths (1 to {K_MAX})")
    return k


def parse_log(text: str, location: str) -> Counts:
    lines = text.splitlines()
    found = {m: [i for i, line in enumerate(lines, start=1) if _marked(line, m)] for m in MARKERS}
    if found[V1_MARK]:
        return _vllm_v1(lines, found[V1_MARK], location)
    if found[V0_MARK]:
        return _vllm_v0(lines, found[V0_MARK], location)
    if found[SG_MARK]:
        return _sglang(lines, found[SG_MARK], location)
    if found[LC_RATE_MARK] or found[LC_STATS_MARK] or found[LC_TIMINGS_MARK]:
        return _llamacpp(text, lines, found, location)
    raise MeasureError(f"{location}: no speculative-decoding log lines found")


def _vllm_v1(lines: list[str], where: list[int], location: str) -> Counts:
    c = Counts("vllm", "vLLM V1 'SpecDecoding metrics' log lines", location)
    drafts = drafted = accepted = 0.0
    per_pos: list[float] = []
    ks: set[int] = set()
    used = with_rates = 0
    for n in where:
        line = lines[n - 1]
        m = {key: rx.search(line) for key, rx in _V1.items()}
        if m["accepted"] is None or m["drafted"] is None:
            raise _bad(location, n, "'SpecDecoding metrics'", line)
        acc = _finite(location, n, "Accepted", m["accepted"].group(1))
        dra = _finite(location, n, "Drafted", m["drafted"].group(1))
        if dra == 0:
            continue  # an idle interval (its rates print as nan)
        if acc > dra:
            raise InputFileError(location, n, None, f"accepted {acc:g} tokens exceeds drafted {dra:g}")
        rates: list[float] = []
        if m["per_pos"] is not None:
            rates = [float(x) for x in re.split(r"\s*,\s*", m["per_pos"].group(1).strip())]
            if len(rates) > K_MAX:
                raise InputFileError(location, n, "Per-position acceptance rate", f"{len(rates)} positions: more than "
                                     f"any plausible draft length (k <= {K_MAX})")
            for r in rates:
                if not math.isnan(r) and not 0 <= r <= 1:
                    raise InputFileError(location, n, "Per-position acceptance rate",
                                         f"{r:g} is not an acceptance rate (0 to 1)")
        mean_len = float(m["mean_len"].group(1)) if m["mean_len"] is not None else None
        if mean_len is not None and (math.isinf(mean_len) or mean_len > K_MAX + 1):
            raise InputFileError(location, n, "Mean acceptance length",
                                 f"{m['mean_len'].group(1)} is not a mean acceptance length (1 to {K_MAX + 1})")
        if rates and not any(math.isnan(r) for r in rates):
            k = len(rates)
            line_drafts = dra / k
            ks.add(k)
            if len(per_pos) < k:
                per_pos.extend([0.0] * (k - len(per_pos)))
            for i, r in enumerate(rates):
                per_pos[i] += r * line_drafts
            with_rates += 1
        elif mean_len is not None and mean_len > 1:
            # no per-position list (older format): drafts = accepted / (mean length - 1); rounded to 2 digits
            line_drafts = acc / (mean_len - 1)
            c.tau_approximate = True
        else:
            raise InputFileError(location, n, None, "'SpecDecoding metrics' line has neither a per-position list nor "
                                 "a mean acceptance length above 1, so its number of drafts is unknown")
        drafts += line_drafts
        drafted += dra
        accepted += acc
        used += 1
    if used == 0:
        raise MeasureError(f"{location}: every 'SpecDecoding metrics' line reports 0 drafted tokens")
    c.drafts, c.draft_tokens, c.accepted, c.samples = drafts, drafted, accepted, used
    if ks:
        if len(ks) > 1:
            c.warnings.append(f"the per-position list changes length between lines ({sorted(ks)}): was k changed?")
        c.k, c.k_source = float(max(ks)), "length of the per-position list (num_speculative_tokens)"
        if len(ks) == 1 and with_rates == used:
            c.per_position = tuple(per_pos)
        elif len(ks) == 1:
            c.notes.append("some lines have no per-position list: acceptance by position is not reported")
    if c.tau_approximate:
        c.notes.append("drafts derived from the 2-digit mean acceptance length: tau is approximate")
    c.notes.append(f"{used} interval line(s) added up")
    return c


def _vllm_v0(lines: list[str], where: list[int], location: str) -> Counts:
    c = Counts("vllm", "vLLM V0 'Speculative metrics' log lines", location, accepted_is_prefix=False)
    segments: list[dict[str, float]] = []
    prev: dict[str, float] | None = None
    ks: set[int] = set()
    names = {"k": "Number of speculative tokens", "accepted": "Number of accepted tokens",
             "drafted": "Number of draft tokens", "emitted": "Number of emitted tokens"}
    for n in where:
        line = lines[n - 1]
        m = {key: rx.search(line) for key, rx in _V0.items()}
        if any(v is None for v in m.values()):
            raise _bad(location, n, "'Speculative metrics'", line)
        ks.add(_draft_length(location, n, names["k"], m["k"].group(1)))  # type: ignore[union-attr]
        cur = {key: _finite(location, n, names[key], v.group(1)) for key, v in m.items() if v is not None}
        if cur["accepted"] > cur["drafted"]:
            raise InputFileError(location, n, None, f"{cur['accepted']:g} accepted tokens exceed {cur['drafted']:g} "
                                 "draft tokens")
        if prev is not None and any(cur[key] < prev[key] for key in ("accepted", "drafted", "emitted")):
            segments.append(prev)  # totals dropped: the engine restarted; keep what ran before
            c.warnings.append(f"line {n}: the running totals dropped (engine restart); the runs before and after "
                              "are added up")
        prev = cur
    assert prev is not None
    segments.append(prev)
    if len(ks) > 1:
        raise MeasureError(f"{location}: 'Number of speculative tokens' changes between lines ({sorted(ks)}); "
                           "measure one configuration at a time")
    k = ks.pop()
    c.draft_tokens = math.fsum(s["drafted"] for s in segments)
    c.accepted = math.fsum(s["accepted"] for s in segments)
    c.emitted = math.fsum(s["emitted"] for s in segments)
    c.k, c.k_source = float(k), "'Number of speculative tokens' in the log"
    c.samples = len(where)
    c.notes.append("vLLM V0 log lines carry running totals since the engine started: the last line is used")
    c.notes.append("vLLM V0 counts accepted tokens at any position, not only the accepted prefix; tau comes from "
                   "the emitted tokens instead")
    return c


def _sglang(lines: list[str], where: list[int], location: str) -> Counts:
    c = Counts("sglang", "SGLang 'accept len' log lines", location)
    taus: list[float] = []
    weights: list[float | None] = []
    ks: list[float] = []
    rates: list[float] = []
    for n in where:
        line = lines[n - 1]
        m = {key: rx.search(line) for key, rx in _SG.items()}
        if m["len"] is None:
            raise _bad(location, n, "'accept len'", line)
        tau = float(m["len"].group(1))
        if math.isnan(tau) or math.isinf(tau) or not 1 <= tau <= K_MAX + 1:
            raise InputFileError(location, n, "accept len", f"{_short(m['len'].group(1), 20)} is not a mean acceptance "
                                 f"length (>= 1)")
        rate = float(m["rate"].group(1)) if m["rate"] is not None else None
        if rate is not None and not 0 <= rate <= 1:  # NaN fails too
            raise InputFileError(location, n, "accept rate", f"{_short(m['rate'].group(1), 20)} is not an acceptance "
                                 "rate (0 to 1)")
        thr = _finite(location, n, "gen throughput", m["throughput"].group(1)) if m["throughput"] is not None else None
        taus.append(tau)
        weights.append(thr)
        if rate is not None and 0 < rate <= 1:
            rates.append(rate)
            if tau > 1:
                ks.append((tau - 1) / rate)
    if all(w is not None and w > 0 for w in weights):
        # tokens in an interval ~ throughput; verify steps = tokens / tau: pool as tokens / steps
        tokens = math.fsum(w for w in weights if w is not None)
        steps = math.fsum(w / t for w, t in zip(weights, taus, strict=True) if w is not None)
        c.tau = tokens / steps
        c.notes.append("accept len averaged over the intervals, weighted by their generated tokens")
    else:
        c.tau = math.fsum(taus) / len(taus)
        c.notes.append("accept len averaged over the intervals (unweighted: no throughput figures)")
    if rates:
        c.rate = math.fsum(rates) / len(rates)
    if ks:
        mean_k = math.fsum(ks) / len(ks)
        r = round(mean_k)
        if 1 <= r <= 64 and abs(mean_k - r) <= 0.15:
            c.k, c.k_source = float(r), "accept len and accept rate (speculative_num_steps); pass --k to be sure"
    c.samples = len(where)
    c.notes.append(f"{len(where)} 'Decode batch' line(s) read")
    return c


def _too_deep(location: str, line_no: int | None) -> InputFileError:
    return InputFileError(location, line_no, "timings", "JSON nested too deeply to read (not a llama.cpp response)")


def _json_objects(text: str, lines: list[str], where: list[int], location: str) -> Iterator[tuple[int | None, Any]]:
    """(line, object) for the whole file as one JSON document, else for each marked line holding JSON; the line
    is None when the document spans lines."""
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            doc = json.loads(stripped)
        except RecursionError:
            raise _too_deep(location, where[0] if len(where) == 1 else None) from None
        except ValueError:
            pass
        else:
            yield None, doc
            return
    for n in where:
        line = lines[n - 1]
        start = line.find("{")
        if start < 0:
            continue
        try:
            obj = json.loads(line[start:])
        except RecursionError:
            raise _too_deep(location, n) from None
        except ValueError:
            continue  # a pretty-printed body spread over lines; handled by the whole-file parse above
        yield n, obj


def _timings(obj: Any) -> Iterator[dict[str, Any]]:
    """Every mapping with a draft_n key, in document order (iterative: JSON may nest deeply)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            if "draft_n" in o:
                yield o
            stack.extend(reversed(list(o.values())))
        elif isinstance(o, list):
            stack.extend(reversed(o))


def _timing_count(t: dict[str, Any], key: str, location: str, line_no: int | None) -> float:
    v = t[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        shown = _short(repr(v), 40)
        raise InputFileError(location, line_no, "timings", f"draft_n / draft_n_accepted are not numbers ({key}: {shown})")
    try:
        x = float(v)
    except OverflowError:  # an integer beyond a float
        x = math.inf
    if not math.isfinite(x) or x < 0:
        raise InputFileError(location, line_no, "timings", f"{key} {_short(repr(v), 40)} is not a count (a finite "
                             "number >= 0)")
    return x


def _llamacpp(text: str, lines: list[str], found: dict[str, list[int]], location: str) -> Counts:
    c = Counts("llamacpp", "llama.cpp log", location)
    accepted = drafted = 0.0
    n_rate = 0
    for n in found[LC_RATE_MARK]:
        m = _LC_RATE.search(lines[n - 1])
        if m is None:
            raise _bad(location, n, "'draft acceptance rate'", lines[n - 1])
        acc = _finite(location, n, "accepted", m.group(2))
        gen = _finite(location, n, "generated", m.group(3))
        if acc > gen:
            raise InputFileError(location, n, None, f"{acc:g} accepted exceeds {gen:g} generated draft tokens")
        accepted += acc
        drafted += gen
        n_rate += 1
    t_acc = t_draft = t_pred = 0.0
    n_timings = 0
    if found[LC_TIMINGS_MARK]:
        where = found[LC_TIMINGS_MARK]
        for n, obj in _json_objects(text, lines, where, location):
            objs = list(_timings(obj))
            if n is not None:
                at: list[int | None] = [n] * len(objs)
            elif len(where) == 1 or len(where) == len(objs):  # one object per marked line, in order
                at = [where[0]] * len(objs) if len(where) == 1 else list(where)
            else:
                at = [None] * len(objs)
            for t, line_no in zip(objs, at, strict=True):
                d = _timing_count(t, "draft_n", location, line_no)
                if "draft_n_accepted" not in t:
                    raise InputFileError(location, line_no, "timings", "draft_n without draft_n_accepted")
                a = _timing_count(t, "draft_n_accepted", location, line_no)
                p = _timing_count(t, "predicted_n", location, line_no) if "predicted_n" in t else math.nan
                if a > d:
                    raise InputFileError(location, line_no, "timings", f"draft_n_accepted {a:g} exceeds draft_n {d:g}")
                t_acc, t_draft, t_pred = t_acc + a, t_draft + d, t_pred + p
                n_timings += 1
        if n_timings == 0 and not n_rate and not found[LC_STATS_MARK]:
            n0 = found[LC_TIMINGS_MARK][0]
            raise InputFileError(location, n0, "timings", "a draft_n field that is not part of a complete JSON object "
                                 "(truncated?)")
    if n_rate:
        c.accepted, c.draft_tokens, c.samples = accepted, drafted, n_rate
        c.fmt = "llama.cpp 'draft acceptance rate' log lines"
    elif n_timings:
        c.accepted, c.draft_tokens, c.samples = t_acc, t_draft, n_timings
        c.fmt = "llama.cpp server 'timings' (draft_n, draft_n_accepted)"
        if not math.isnan(t_pred) and t_pred > t_acc:
            # each target pass emits one token of its own, so passes ~ predicted - accepted
            c.tau, c.tau_approximate = t_pred / (t_pred - t_acc), True
            mean_k = t_draft / (t_pred - t_acc)
            c.notes.append("tau ~ predicted_n / (predicted_n - draft_n_accepted): approximate, as it assumes every "
                           "target pass emits one token of its own")
            if mean_k >= 1:
                c.k, c.k_source = mean_k, "draft_n per target pass (approximate)"
            else:
                c.notes.append(f"fewer than one drafted token per target pass ({mean_k:.2f}): many passes drafted "
                               "nothing, so k is unknown; pass --k")
    # statistics lines: their ratios give the mean draft length and tau
    g_drafts = g_tokens = a_tokens = 0.0
    for n in found[LC_STATS_MARK]:
        line = lines[n - 1]
        m = {key: rx.search(line) for key, rx in _LC_STATS.items()}
        if any(v is None for v in m.values()):
            raise _bad(location, n, "'statistics draft'", line)
        drafts = _finite(location, n, "#gen drafts", m["gen_drafts"].group(1))  # type: ignore[union-attr]
        gen = _finite(location, n, "#gen tokens", m["gen_tokens"].group(1))  # type: ignore[union-attr]
        acc = _finite(location, n, "#acc tokens", m["acc_tokens"].group(1))  # type: ignore[union-attr]
        if acc > gen:
            raise InputFileError(location, n, "#acc tokens", f"{acc:g} accepted exceeds {gen:g} generated draft tokens "
                                 "(#gen tokens): the statistics are inconsistent")
        if drafts > gen:
            raise InputFileError(location, n, "#gen drafts", f"{drafts:g} drafts but only {gen:g} drafted tokens "
                                 "(#gen tokens): every draft has at least one token, so the statistics are inconsistent")
        g_drafts, g_tokens, a_tokens = g_drafts + drafts, g_tokens + gen, a_tokens + acc
    if g_drafts > 0:
        c.k, c.k_source = g_tokens / g_drafts, "'statistics draft' (#gen tokens / #gen drafts)"
        c.tau, c.tau_approximate = 1 + a_tokens / g_drafts, False
        if c.draft_tokens is None:
            c.draft_tokens, c.accepted, c.drafts = g_tokens, a_tokens, g_drafts
            c.fmt = "llama.cpp 'statistics draft' log lines"
            c.samples = len(found[LC_STATS_MARK])
    elif c.draft_tokens is None:
        raise MeasureError(f"{location}: llama.cpp lines without draft counts")
    if c.k is not None and abs(c.k - round(c.k)) > 0.05:
        c.notes.append(f"llama.cpp drafts a variable number of tokens (mean {c.k:.2f}: --draft-max, --draft-min, "
                       "--draft-p-min); alpha is fitted at that mean length, pass --k to fix it")
    return c
