"""llama.cpp text output: `llama-server` per-request lines, `statistics <impl>:` lines, `llama-speculative`.

What each form counts (ggml-org/llama.cpp, read at builds b4xxx-b10xxx, 2025-2026):

* per request (`tools/server/server-context.cpp`, `print_timings`), two wordings:
  - older: `draft acceptance rate = R ( A accepted / D generated)` - no number of rounds;
  - 2026: `draft acceptance = R ( A accepted / D generated), mean acceptance length = L, acceptance rate
    per position = (r0, r1, ...)`, where L = 1 + A / verify steps and r_i = accepted at position i /
    verify steps (a prefix count, as vLLM's). So steps = A / sum(r_i) (3 digits each; L has only 2).
  One line per request: lines are added up.
* `statistics <impl>: #calls... , #gen drafts = G, #acc drafts = Ad, #gen tokens = T, #acc tokens = A
  [, #mean acc len = L, #acc rate/pos = (...)]` (`common/speculative.cpp`,
  `common_speculative_print_stats`), one line per implementation (`draft`, `draft-mtp`, `draft-eagle3`,
  `ngram-simple`, `ngram-map-k`, `ngram-mod`, ...). Its counters belong to the slot's speculative state
  and are never reset: each line is a running total since the slot started, so the last line of a run
  counts. A total that drops starts another run (another slot, or a restart); runs are added up.
  Implementations are kept apart: the one with the most drafts is measured, the others are noted.
* `llama-speculative` / `llama-speculative-simple` summaries: `n_draft = K`, `n_predict = P`,
  `n_drafted = D`, `n_accept = A`, `accept = X%`. Each target pass emits its accepted tokens plus one,
  so passes ~ P - A: tau and the mean draft length are approximate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX, Counts, MeasureError
from specadvisor.vocab import SourceFormat

_INT = r"([0-9]+)"
_NUM = r"([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|nan|inf|-nan)"

REQUEST_MARK = re.compile(r"draft acceptance(?: rate)?\s*=")
STATS_MARK = re.compile(r"\bstatistics\s+([A-Za-z0-9_.\-]+)\s*:\s*#")
SPECULATIVE_MARK = re.compile(r"^\s*(?:\S+\s+)?n_drafted\s*=\s*[0-9]+", re.M)

_REQ = re.compile(r"draft acceptance(?: rate)?\s*=\s*" + _NUM + r"\s*\(\s*" + _INT + r"\s*accepted\s*/\s*" + _INT
                  + r"\s*generated\s*\)")
_REQ_LEN = re.compile(r"mean (?:acceptance length|len)\s*=\s*" + _NUM)
_REQ_POS = re.compile(r"acceptance rate per position\s*=\s*\(([^)]*)\)")
_ST = {
    "gen_drafts": re.compile(r"#gen drafts\s*=\s*" + _INT),
    "acc_drafts": re.compile(r"#acc drafts\s*=\s*" + _INT),
    "gen_tokens": re.compile(r"#gen tokens\s*=\s*" + _INT),
    "acc_tokens": re.compile(r"#acc tokens\s*=\s*" + _INT),
}
_ST_POS = re.compile(r"#acc rate/pos\s*=\s*\(([^)]*)\)")
_SPEC = {key: re.compile(r"(?m)^\s*(?:\S+\s+)?" + key + r"\s*=\s*" + _NUM) for key in
         ("n_draft", "n_predict", "n_drafted", "n_accept")}


def _short(text: str, width: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 3] + "..."


def _rates(location: str, line_no: int, field: str, text: str) -> tuple[float, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    out = []
    for p in parts:
        try:
            r = float(p)
        except ValueError:
            raise InputFileError(location, line_no, field, f"{_short(p, 20)!r} is not a rate") from None
        if not 0 <= r <= 1:
            raise InputFileError(location, line_no, field, f"{p} is not an acceptance rate (0 to 1)")
        out.append(r)
    if len(out) > K_MAX:
        raise InputFileError(location, line_no, field, f"{len(out)} positions: more than any plausible draft length")
    return tuple(out)


def _comment(line: str) -> bool:
    # a Prometheus HELP/TYPE comment may use the same words; log lines never start with '#'
    return line.lstrip().startswith("#")


def has_llamacpp(lines: list[str], text: str) -> bool:
    return (any((REQUEST_MARK.search(line) or STATS_MARK.search(line)) and not _comment(line) for line in lines)
            or SPECULATIVE_MARK.search(text) is not None)


# -- per request ------------------------------------------------------------------------------------


@dataclass
class _Requests:
    lines: int = 0
    accepted: float = 0.0
    drafted: float = 0.0
    steps: float = 0.0
    with_steps: int = 0
    per_pos: list[float] | None = None
    per_pos_lines: int = 0
    k_max: int = 0


def _requests(lines: list[str], location: str) -> _Requests:
    r = _Requests()
    for n, line in enumerate(lines, start=1):
        if not REQUEST_MARK.search(line) or _comment(line):
            continue
        m = _REQ.search(line)
        if m is None:
            raise InputFileError(location, n, None, f"incomplete 'draft acceptance' line (truncated?): {_short(line)!r}")
        acc, gen = float(m.group(2)), float(m.group(3))
        if acc > gen:
            raise InputFileError(location, n, None, f"{acc:g} accepted exceeds {gen:g} generated draft tokens")
        r.lines += 1
        r.accepted += acc
        r.drafted += gen
        pos_m = _REQ_POS.search(line)
        len_m = _REQ_LEN.search(line)
        rates = _rates(location, n, "acceptance rate per position", pos_m.group(1)) if pos_m else ()
        steps = None
        if rates and sum(rates) > 0:
            steps = acc / sum(rates)
        elif len_m is not None:
            mean_len = float(len_m.group(1))
            if not math.isfinite(mean_len) or not 1 <= mean_len <= K_MAX + 1:
                raise InputFileError(location, n, "mean acceptance length", f"{len_m.group(1)} is not a mean "
                                     "acceptance length (>= 1)")
            if mean_len > 1:
                steps = acc / (mean_len - 1)
            elif acc == 0 and rates:
                steps = gen / len(rates)  # nothing accepted: assume full-length drafts (tau is 1 either way)
        if steps is not None:
            r.steps += steps
            r.with_steps += 1
            if rates:
                r.k_max = max(r.k_max, len(rates))
                if r.per_pos is None:
                    r.per_pos = []
                if len(r.per_pos) < len(rates):
                    r.per_pos.extend([0.0] * (len(rates) - len(r.per_pos)))
                for i, x in enumerate(rates):
                    r.per_pos[i] += x * steps
                r.per_pos_lines += 1
    return r


# -- statistics -------------------------------------------------------------------------------------


@dataclass
class _Stat:
    gen_drafts: float
    acc_drafts: float
    gen_tokens: float
    acc_tokens: float
    rates: tuple[float, ...]
    line: int

    def covers(self, other: _Stat) -> bool:
        """This line continues the running totals of `other` (no counter went down)."""
        return (self.gen_drafts >= other.gen_drafts and self.gen_tokens >= other.gen_tokens
                and self.acc_tokens >= other.acc_tokens and self.acc_drafts >= other.acc_drafts)


@dataclass
class ImplTotals:
    """One implementation's counts, the last line of each run added up."""

    impl: str
    gen_drafts: float
    acc_drafts: float
    gen_tokens: float
    acc_tokens: float
    per_pos: tuple[float, ...] | None
    runs: int
    lines: int


def _statistics(lines: list[str], location: str) -> dict[str, ImplTotals]:
    chains: dict[str, list[_Stat]] = {}
    seen: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        mark = STATS_MARK.search(line)
        if mark is None or _comment(line):
            continue
        impl = mark.group(1)
        m = {key: rx.search(line) for key, rx in _ST.items()}
        if m["gen_drafts"] is None or m["gen_tokens"] is None or m["acc_tokens"] is None:
            raise InputFileError(location, n, None, f"incomplete 'statistics {impl}' line (truncated?): {_short(line)!r}")
        vals = {key: float(v.group(1)) if v is not None else math.nan for key, v in m.items()}
        if vals["acc_tokens"] > vals["gen_tokens"]:
            raise InputFileError(location, n, "#acc tokens", f"{vals['acc_tokens']:g} accepted exceeds "
                                 f"{vals['gen_tokens']:g} generated draft tokens (#gen tokens): inconsistent")
        if vals["gen_drafts"] > vals["gen_tokens"]:
            raise InputFileError(location, n, "#gen drafts", f"{vals['gen_drafts']:g} drafts but only "
                                 f"{vals['gen_tokens']:g} drafted tokens (#gen tokens): every draft has at least one "
                                 "token, so the statistics are inconsistent")
        pos_m = _ST_POS.search(line)
        rates = _rates(location, n, "#acc rate/pos", pos_m.group(1)) if pos_m else ()
        acc_drafts = vals["acc_drafts"] if not math.isnan(vals["acc_drafts"]) else 0.0
        stat = _Stat(vals["gen_drafts"], acc_drafts, vals["gen_tokens"], vals["acc_tokens"], rates, n)
        runs = chains.setdefault(impl, [])
        seen[impl] = seen.get(impl, 0) + 1
        # continue the run with the largest totals this line still covers; else it starts a new run
        best = max((i for i, last in enumerate(runs) if stat.covers(last)), key=lambda i: runs[i].gen_drafts,
                   default=None)
        if best is None:
            runs.append(stat)
        else:
            runs[best] = stat
    out = {}
    for impl, runs in chains.items():
        per_pos: tuple[float, ...] | None = None
        if runs and all(s.rates for s in runs) and len({len(s.rates) for s in runs}) == 1:
            per_pos = tuple(math.fsum(s.rates[i] * s.gen_drafts for s in runs) for i in range(len(runs[0].rates)))
        out[impl] = ImplTotals(impl, math.fsum(s.gen_drafts for s in runs), math.fsum(s.acc_drafts for s in runs),
                               math.fsum(s.gen_tokens for s in runs), math.fsum(s.acc_tokens for s in runs), per_pos,
                               len(runs), seen[impl])
    return out


# -- llama-speculative ------------------------------------------------------------------------------


def _speculative(text: str, location: str) -> Counts:
    found = {key: rx.findall(text) for key, rx in _SPEC.items()}
    if not found["n_drafted"] or not found["n_accept"]:
        raise MeasureError(f"{location}: a llama-speculative summary needs both n_drafted and n_accept")
    c = Counts("llamacpp", "llama.cpp llama-speculative summary (n_drafted, n_accept)", location,
               reader=SourceFormat.llamacpp_speculative)
    drafted = math.fsum(float(x) for x in found["n_drafted"])
    accepted = math.fsum(float(x) for x in found["n_accept"])
    if accepted > drafted:
        raise MeasureError(f"{location}: n_accept {accepted:g} exceeds n_drafted {drafted:g}")
    c.draft_tokens, c.accepted, c.samples = drafted, accepted, len(found["n_drafted"])
    predicted = math.fsum(float(x) for x in found["n_predict"]) if len(found["n_predict"]) == len(found["n_drafted"]) \
        else None
    k_max = {int(float(x)) for x in found["n_draft"]}
    if predicted is not None and predicted > accepted:
        passes = predicted - accepted  # every target pass emits its accepted draft tokens plus one of its own
        c.drafts = min(passes, drafted) if drafted > 0 else None
        c.tau_approximate = True
        mean_k = drafted / passes
        c.k, c.k_source = (mean_k, "n_drafted / target passes (n_predict - n_accept)") if mean_k >= 1 else (None, None)
        c.notes.append("target passes ~ n_predict - n_accept (each pass emits its accepted tokens plus one): tau is "
                       "approximate")
        if c.k is None:
            c.drafts = None
    if c.k is None and len(k_max) == 1:
        c.notes.append(f"n_draft = {k_max.pop()} is the longest draft; pass --k if every draft had that length")
    elif len(k_max) == 1 and c.k is not None and abs(c.k - next(iter(k_max))) > 0.05:
        c.variable_length = True
    return c


# -- the whole log ----------------------------------------------------------------------------------


def parse_llamacpp(text: str, lines: list[str], location: str) -> Counts:
    reqs = _requests(lines, location)
    stats = _statistics(lines, location)
    if not reqs.lines and not stats:
        if SPECULATIVE_MARK.search(text):
            return _speculative(text, location)
        raise MeasureError(f"{location}: no llama.cpp draft counts found")
    primary: ImplTotals | None = None
    if stats:
        primary = max(stats.values(), key=lambda t: t.gen_drafts)
    use_requests = reqs.lines > 0 and reqs.with_steps == reqs.lines and len(stats) <= 1
    if use_requests:
        c = Counts("llamacpp", "llama.cpp server per-request lines ('draft acceptance = ...')", location,
                   reader=SourceFormat.llamacpp_server_log)
        c.accepted, c.draft_tokens, c.drafts, c.samples = reqs.accepted, reqs.drafted, reqs.steps, reqs.lines
        c.per_position_exact = False
        if reqs.per_pos is not None and reqs.per_pos_lines == reqs.lines:
            c.per_position = tuple(reqs.per_pos)
        mean_k = reqs.drafted / reqs.steps if reqs.steps > 0 else None
        if mean_k is not None and reqs.k_max and abs(mean_k - reqs.k_max) <= 0.02 * reqs.k_max:
            c.k, c.k_source = float(reqs.k_max), "length of 'acceptance rate per position' (--draft-max)"
        elif mean_k is not None and mean_k >= 1:
            c.k, c.k_source = mean_k, "generated / verify steps (mean draft length)"
        c.notes.append(f"{reqs.lines} per-request line(s) added up; verify steps = accepted / sum of the "
                       "per-position rates (the printed mean length has 2 digits)")
        if stats:
            c.notes.append("the 'statistics' lines are running totals since the slot started and may cover requests "
                           "before this log: the per-request lines are used")
    elif primary is not None:
        c = Counts("llamacpp", f"llama.cpp 'statistics {primary.impl}' lines", location,
                   reader=SourceFormat.llamacpp_statistics)
        c.notes.append(f"implementation measured: {primary.impl}")
        if primary.gen_drafts <= 0:
            raise MeasureError(f"{location}: 'statistics {primary.impl}' reports 0 drafts: speculative decoding did "
                               "not draft anything")
        c.drafts, c.draft_tokens, c.accepted = primary.gen_drafts, primary.gen_tokens, primary.acc_tokens
        c.samples = primary.lines
        c.k, c.k_source = primary.gen_tokens / primary.gen_drafts, f"'statistics {primary.impl}' (#gen tokens / #gen drafts)"
        if primary.per_pos is not None:
            c.per_position = primary.per_pos
            c.per_position_exact = False
        c.notes.append(f"'statistics {primary.impl}': running totals since the slot started; the last line of each of "
                       f"{primary.runs} run(s) is used")
        for other in sorted(stats.values(), key=lambda t: -t.gen_drafts):
            if other is primary:
                continue
            c.others.append({"impl": other.impl, "drafts": other.gen_drafts, "draft_tokens": other.gen_tokens,
                             "accepted": other.acc_tokens,
                             "tau": 1 + other.acc_tokens / other.gen_drafts if other.gen_drafts else 1.0,
                             "accepted_per_drafted": other.acc_tokens / other.gen_tokens if other.gen_tokens else 0.0})
            if other.gen_drafts > 0:
                rate = other.acc_tokens / other.gen_tokens if other.gen_tokens else 0.0
                c.notes.append(f"implementation {other.impl} (kept apart): {other.gen_drafts:g} drafts, "
                               f"tau {1 + other.acc_tokens / other.gen_drafts:.3f}, accepted/drafted {rate:.3f}, "
                               f"mean draft {other.gen_tokens / other.gen_drafts:.2f} tokens")
            else:
                c.notes.append(f"implementation {other.impl} (kept apart): drafted nothing")
        if len(stats) > 1:
            c.warnings.append(f"{len(stats)} speculative implementations ({', '.join(sorted(stats))}): {primary.impl}, "
                              "with the most drafts, is measured; the others are listed in the notes")
        if reqs.lines:
            c.notes.append("per-request lines mix the implementations (or lack a number of rounds): the 'statistics' "
                           "lines are used")
    else:
        # old per-request lines alone: accepted and drafted, but no number of rounds
        c = Counts("llamacpp", "llama.cpp server per-request lines ('draft acceptance rate = ...')", location,
                   reader=SourceFormat.llamacpp_server_log)
        c.accepted, c.draft_tokens, c.samples = reqs.accepted, reqs.drafted, reqs.lines
        c.rounds_unknown = ("these per-request lines give accepted and drafted tokens but not the number of verify "
                            "rounds, so tau and the per-token alpha are unknown (the 'statistics' lines or /metrics "
                            "give them)")
    if c.k is not None and c.drafts and c.draft_tokens is not None and abs(c.k - round(c.k)) > 0.05:
        c.variable_length = True
        c.notes.append(f"llama.cpp drafts a variable number of tokens (mean {c.k:.2f}: --draft-max, --draft-min, "
                       "--draft-p-min); alpha is fitted at that mean length, pass --k to fix it")
    elif c.per_position is not None and c.drafts and c.draft_tokens is not None \
            and c.draft_tokens < 0.98 * c.drafts * len(c.per_position):
        c.variable_length = True
    return c
