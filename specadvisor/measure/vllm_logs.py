"""vLLM text output: V1 `SpecDecoding metrics:` lines, V0 `Speculative metrics:` lines, the offline example.

Wordings, from vllm-project/vllm source:

* V1 (`vllm/v1/spec_decode/metrics.py`, `SpecDecodingLogging.log`), one line per logging interval, counts
  reset after each line, so lines are added up:
  - 0.8.x short form: `Draft acceptance rate: P%, Accepted: A tokens, Drafted: D tokens` - no number of
    drafts: with `--k` the drafts are D / k, else no alpha;
  - 0.8.5-0.9.x: `Draft acceptance rate: P%, Mean acceptance length: L, Accepted: A tokens, Drafted: D
    tokens, Per-position acceptance rate: r0, r1, ...`;
  - 0.10 and later: `Mean acceptance length: L, Accepted throughput: ..., Drafted throughput: ...,
    Accepted: A tokens, Drafted: D tokens, Per-position acceptance rate: ..., Avg Draft acceptance rate: P%`.
  r_i = accepted at position i / drafts, so drafts = A / sum(r_i) (3 digits each) or D / k.
* V0 (`vllm/engine/metrics.py`, 0.3.3-0.10): `Speculative metrics: Draft acceptance rate: ..., System
  efficiency: ..., Number of speculative tokens: k, Number of accepted tokens: A, Number of draft tokens:
  D, Number of emitted tokens: E.` (0.3.x-0.4.0 printed `Number of draft tokens tokens:` and `Number of
  emitted tokens tokens:`). Running totals since the engine started: the last line counts, a drop marks
  a restart. Without k, k follows from the efficiency: E / efficiency = drafts x (k + 1) and D = drafts x k.
* V0 per-request metrics (`vllm/sequence.py` RequestMetrics, 0.7-0.10), printed with a RequestOutput:
  `spec_token_acceptance_counts=[n0, n1, ..., nk]`, where n0 counts the request's verify steps and n_i
  (i >= 1) the steps that accepted at least i drafted tokens. Requests are added up.
* `vllm bench serve` summary (benchmarks/serve.py, 0.10+): a `Speculative Decoding` section with
  `Acceptance rate (%)`, `Acceptance length`, `Drafts`, `Draft tokens`, `Accepted tokens` and
  `Per-position acceptance (%)` with `Position i: P` lines.
* `examples/offline_inference/spec_decode.py` (0.9-0.11): `num_drafts: N`, `num_draft_tokens: D`,
  `num_accepted_tokens: A`, `mean acceptance length: L`, `acceptance at token i: r_i`; the older
  `eagle.py` example printed only the mean length and the per-token lines (`acceptance at token i:r`).
"""

from __future__ import annotations

import math
import re

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX, Counts, MeasureError
from specadvisor.vocab import SourceFormat

_NUM = r"(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|nan|inf|-nan)"

V1_MARK = "SpecDecoding metrics:"
V0_MARK = "Speculative metrics:"
OFFLINE_MARK = re.compile(r"(?m)^\s*(?:num_drafts:\s*[0-9]|mean acceptance length:\s*[0-9]|acceptance at token\s+0\s*:)")

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
    "emitted": re.compile(r"Number of emitted tokens(?: tokens)?:\s*([0-9]+)"),
    "efficiency": re.compile(r"System efficiency:\s*" + _NUM),
}
_OFF = {
    "num_drafts": re.compile(r"(?m)^\s*num_drafts:\s*([0-9]+)\s*$"),
    "num_draft_tokens": re.compile(r"(?m)^\s*num_draft_tokens:\s*([0-9]+)\s*$"),
    "num_accepted_tokens": re.compile(r"(?m)^\s*num_accepted_tokens:\s*([0-9]+)\s*$"),
    "mean_len": re.compile(r"(?m)^\s*mean acceptance length:\s*" + _NUM),
}
REQUEST_COUNTS = re.compile(r"""["']?spec_token_acceptance_counts["']?\s*[=:]\s*[\[(]([0-9,\s]*)[\])]""")
BENCH_MARK = re.compile(r"(?m)^\s*Acceptance rate \(%\):\s*[0-9]")
_BENCH = {
    "drafts": re.compile(r"(?m)^\s*Drafts:\s*([0-9]+)"),
    "draft_tokens": re.compile(r"(?m)^\s*Draft tokens:\s*([0-9]+)"),
    "accepted": re.compile(r"(?m)^\s*Accepted tokens:\s*([0-9]+)"),
    "length": re.compile(r"(?m)^\s*Acceptance length:\s*" + _NUM),
}
_BENCH_POS = re.compile(r"(?m)^\s*Position\s+([0-9]+):\s*" + _NUM)
_OFF_POS = re.compile(r"(?m)^\s*acceptance at token\s+([0-9]+)\s*:\s*" + _NUM)


def _short(text: str, width: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 3] + "..."


def _marked(line: str, marker: str) -> bool:
    # a Prometheus HELP/TYPE comment may mention the same words; log lines never start with '#'
    return marker in line and not line.lstrip().startswith("#")


def _bad(location: str, line_no: int, what: str, line: str) -> InputFileError:
    return InputFileError(location, line_no, None, f"incomplete {what} line (truncated?): {_short(line)!r}")


def _finite(location: str, line_no: int | None, field: str, text: str) -> float:
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


_CONTINUATION = re.compile(r"^\s*(?:Mean acceptance length|Accepted|Drafted|Per-position|Avg Draft|Draft acceptance|"
                          r"Number of|System efficiency|[0-9][0-9.,\s%]*$)")


def _unwrapped(lines: list[str], n: int, markers: tuple[str, ...]) -> str:
    """Line n, joined with up to three following lines when a paste wrapped it: lines that carry the
    line's own fields (`Drafted: ...`, a list of rates), not a new log record."""
    line = lines[n - 1]
    for extra in lines[n: n + 3]:
        if any(m in extra for m in markers) or not _CONTINUATION.match(extra):
            break
        line = line.rstrip() + " " + extra.strip()
    return line


_CONFIG_K = re.compile(r"""(?:num_speculative_tokens|num_spec_tokens)["']?\s*[:=]\s*([0-9]{1,2})\b"""
                       r"|--num[-_]speculative[-_]tokens[ =]([0-9]{1,2})\b")


def config_k(lines: list[str]) -> int | None:
    """num_speculative_tokens from the engine's config dump or command line in the same log, when it
    names one value (vLLM prints `speculative_config=SpeculativeConfig(... num_spec_tokens=3)` at start)."""
    found = {int(a or b) for line in lines for a, b in _CONFIG_K.findall(line)}
    found.discard(0)
    return found.pop() if len(found) == 1 and 1 <= next(iter(found)) <= K_MAX else None


def v1_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines, start=1) if _marked(line, V1_MARK)]


def v0_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines, start=1) if _marked(line, V0_MARK)]


def has_offline(text: str) -> bool:
    return OFFLINE_MARK.search(text) is not None


def parse_v1(lines: list[str], where: list[int], location: str) -> Counts:
    c = Counts("vllm", "vLLM V1 'SpecDecoding metrics' log lines", location, reader=SourceFormat.vllm_v1_log)
    drafts = drafted = accepted = 0.0
    per_pos: list[float] = []
    ks: set[int] = set()
    used = with_rates = without_drafts = 0
    approx = False
    for n in where:
        line = _unwrapped(lines, n, (V1_MARK, V0_MARK))
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
        len_m = m["mean_len"]
        mean_len = float(len_m.group(1)) if len_m is not None else None
        if len_m is not None and mean_len is not None and (math.isinf(mean_len) or mean_len > K_MAX + 1):
            raise InputFileError(location, n, "Mean acceptance length",
                                 f"{len_m.group(1)} is not a mean acceptance length (1 to {K_MAX + 1})")
        line_drafts: float | None = None
        if rates and not any(math.isnan(r) for r in rates):
            k = len(rates)
            full = dra / k  # every draft k tokens long (draft models, EAGLE, MTP)
            from_rates = acc / math.fsum(rates) if math.fsum(rates) > 0 else None
            if from_rates is not None and abs(from_rates - full) > max(1.0, 0.03 * full) and from_rates > full:
                line_drafts = from_rates  # shorter drafts (n-gram, suffix): more drafts than D / k
                c.variable_length = True
            else:
                line_drafts = full
            ks.add(k)
            if len(per_pos) < k:
                per_pos.extend([0.0] * (k - len(per_pos)))
            for i, r in enumerate(rates):
                per_pos[i] += r * line_drafts
            with_rates += 1
        elif mean_len is not None and mean_len > 1:
            line_drafts = acc / (mean_len - 1)  # mean length rounded to 2 digits
            approx = True
        if line_drafts is None:
            without_drafts += 1
        else:
            drafts += line_drafts
        drafted += dra
        accepted += acc
        used += 1
    if used == 0:
        raise MeasureError(f"{location}: every 'SpecDecoding metrics' line reports 0 drafted tokens: speculative "
                           "decoding did not run")
    c.draft_tokens, c.accepted, c.samples = drafted, accepted, used
    c.per_position_exact = False
    if without_drafts:
        c.drafts = None
        c.fmt = "vLLM V1 'SpecDecoding metrics' log lines (0.8 short form)"
        k_cfg = config_k(lines) if not ks else None
        if k_cfg is not None:
            c.k, c.k_source = float(k_cfg), "num_speculative_tokens in the engine's config line"
            c.notes.append(f"{without_drafts} line(s) carry only accepted and drafted tokens (vLLM 0.8 short form): "
                           "the number of drafts is drafted / k")
        else:
            c.notes.append(f"{without_drafts} line(s) carry only accepted and drafted tokens (vLLM 0.8 short form): "
                           "the number of drafts is drafted / k, so pass --k (num_speculative_tokens)")
    else:
        c.drafts = drafts
    if ks:
        if len(ks) > 1:
            c.warnings.append(f"the per-position list changes length between lines ({sorted(ks)}): was k changed?")
        c.k, c.k_source = float(max(ks)), "length of the per-position list (num_speculative_tokens)"
        if len(ks) == 1 and with_rates == used:
            c.per_position = tuple(per_pos)
        elif len(ks) == 1:
            c.notes.append("some lines have no per-position list: acceptance by position is not reported")
    if approx and not without_drafts:
        c.tau_approximate = True
        c.notes.append("drafts derived from the 2-digit mean acceptance length: tau is approximate")
    c.notes.append(f"{used} interval line(s) added up")
    return c


def parse_v0(lines: list[str], where: list[int], location: str) -> Counts:
    c = Counts("vllm", "vLLM V0 'Speculative metrics' log lines", location, accepted_is_prefix=False,
               reader=SourceFormat.vllm_v0_log)
    segments: list[dict[str, float]] = []
    prev: dict[str, float] | None = None
    ks: set[int] = set()
    effs: list[float] = []
    names = {"accepted": "Number of accepted tokens", "drafted": "Number of draft tokens",
             "emitted": "Number of emitted tokens"}
    for n in where:
        line = _unwrapped(lines, n, (V1_MARK, V0_MARK))
        m = {key: rx.search(line) for key, rx in _V0.items()}
        if any(m[key] is None for key in names):
            raise _bad(location, n, "'Speculative metrics'", line)
        if m["k"] is not None:
            ks.add(_draft_length(location, n, "Number of speculative tokens", m["k"].group(1)))
        cur = {key: _finite(location, n, names[key], m[key].group(1)) for key in names}  # type: ignore[union-attr]
        if m["efficiency"] is not None:
            eff = float(m["efficiency"].group(1))
            if math.isfinite(eff) and 0 < eff <= 1:
                effs.append(eff)
                cur["efficiency"] = eff
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
    c.draft_tokens = math.fsum(s["drafted"] for s in segments)
    c.accepted = math.fsum(s["accepted"] for s in segments)
    c.emitted = math.fsum(s["emitted"] for s in segments)
    if ks:
        c.k, c.k_source = float(ks.pop()), "'Number of speculative tokens' in the log"
    else:
        # efficiency = emitted / (drafts (k + 1)), draft tokens = drafts k  =>  drafts = E / eff - D
        last = segments[-1]
        if "efficiency" in last and last["drafted"] > 0:
            seqs = last["emitted"] / last["efficiency"] - last["drafted"]
            if seqs > 0:
                k_est = last["drafted"] / seqs
                r = round(k_est)
                if 1 <= r <= K_MAX and abs(k_est - r) <= 0.15:
                    c.k, c.k_source = float(r), "System efficiency and the token counts (k = D / (E / efficiency - D))"
        if c.k is None and config_k(lines) is not None:
            c.k, c.k_source = float(config_k(lines) or 0), "num_speculative_tokens in the engine's config line"
        if c.k is None:
            c.notes.append("the lines do not say k (Number of speculative tokens): pass --k")
    c.samples = len(where)
    c.notes.append("vLLM V0 log lines carry running totals since the engine started: the last line is used")
    c.notes.append("vLLM V0 counts accepted tokens at any position, not only the accepted prefix; tau comes from "
                   "the emitted tokens instead")
    return c


def parse_offline(text: str, location: str) -> Counts:
    c = Counts("vllm", "vLLM offline example output (examples/offline_inference/spec_decode.py)", location,
               reader=SourceFormat.vllm_offline_example)
    found = {key: rx.findall(text) for key, rx in _OFF.items()}
    runs = len(found["num_drafts"]) or len(found["mean_len"])
    if runs > 1:
        c.warnings.append(f"{runs} runs printed: the last one is read")
    pos: dict[int, float] = {}
    for m in _OFF_POS.finditer(text):
        i, r = int(m.group(1)), float(m.group(2))
        if not 0 <= r <= 1 or i >= K_MAX:
            raise MeasureError(f"{location}: 'acceptance at token {i}: {m.group(2)}' is not an acceptance rate")
        if i == 0 and pos:
            pos = {}  # a later run starts again at position 0
        pos[i] = r
    rates = [pos[i] for i in sorted(pos)] if pos and sorted(pos) == list(range(len(pos))) else []
    if found["num_drafts"] and found["num_accepted_tokens"]:
        drafts = float(found["num_drafts"][-1])
        accepted = float(found["num_accepted_tokens"][-1])
        if drafts <= 0:
            raise MeasureError(f"{location}: num_drafts is 0: speculative decoding did not draft anything")
        c.drafts, c.accepted = drafts, accepted
        if found["num_draft_tokens"]:
            c.draft_tokens = float(found["num_draft_tokens"][-1])
        if rates:
            c.per_position = tuple(r * drafts for r in rates)
            c.per_position_exact = False
            c.k, c.k_source = float(len(rates)), "number of 'acceptance at token' lines (num_speculative_tokens)"
    elif found["mean_len"]:
        c.tau = float(found["mean_len"][-1])
        c.tau_approximate = True
        if rates:
            c.k, c.k_source = float(len(rates)), "number of 'acceptance at token' lines (num_speculative_tokens)"
            c.notes.append("the example printed no counts: acceptance by position has no sample size, so its "
                           "intervals are not computed")
        c.fmt = "vLLM offline example output (older eagle.py: mean acceptance length only)"
    else:
        raise MeasureError(f"{location}: the offline example output has neither num_drafts nor a mean acceptance length")
    if c.k is not None and c.draft_tokens and c.drafts and c.draft_tokens < 0.98 * c.drafts * c.k:
        c.variable_length = True
    return c


def has_bench(text: str) -> bool:
    return BENCH_MARK.search(text) is not None


def parse_bench(text: str, location: str) -> Counts:
    c = Counts("vllm", "vllm bench serve summary (Speculative Decoding section)", location,
               reader=SourceFormat.vllm_bench)
    found = {key: rx.findall(text) for key, rx in _BENCH.items()}
    if len(found["drafts"]) > 1:
        c.warnings.append(f"{len(found['drafts'])} benchmark summaries: the last one is read")
    if found["drafts"] and found["accepted"]:
        c.drafts, c.accepted = float(found["drafts"][-1]), float(found["accepted"][-1])
        if c.drafts <= 0:
            raise MeasureError(f"{location}: Drafts: 0 - speculative decoding did not draft anything")
        if found["draft_tokens"]:
            c.draft_tokens = float(found["draft_tokens"][-1])
    elif found["length"]:
        c.tau = float(found["length"][-1])
    else:
        raise MeasureError(f"{location}: a vllm bench summary without Drafts / Accepted tokens or Acceptance length")
    pos: dict[int, float] = {}
    for m in _BENCH_POS.finditer(text):
        i, r = int(m.group(1)), float(m.group(2)) / 100
        if i == 0 and pos:
            pos = {}
        if not 0 <= r <= 1 or i >= K_MAX:
            raise MeasureError(f"{location}: 'Position {i}: {m.group(2)}' is not an acceptance percentage")
        pos[i] = r
    if pos and sorted(pos) == list(range(len(pos))):
        c.k, c.k_source = float(len(pos)), "number of per-position lines (num_speculative_tokens)"
        if c.drafts:
            c.per_position = tuple(pos[i] * c.drafts for i in range(len(pos)))
            c.per_position_exact = False
    if c.k is not None and c.draft_tokens and c.drafts and c.draft_tokens < 0.98 * c.drafts * c.k:
        c.variable_length = True
    return c


def has_request_counts(text: str) -> bool:
    return REQUEST_COUNTS.search(text) is not None


def parse_request_counts(text: str, location: str) -> Counts:
    c = Counts("vllm", "vLLM V0 per-request metrics (spec_token_acceptance_counts)", location,
               reader=SourceFormat.vllm_request_metrics)
    total: list[float] = []
    reqs = 0
    for m in REQUEST_COUNTS.finditer(text):
        vals = [float(x) for x in m.group(1).replace(" ", "").split(",") if x]
        if len(vals) < 2 or vals[0] <= 0:
            continue  # [0]: the request ran without speculation
        if len(vals) - 1 > K_MAX or any(b > a for a, b in zip(vals, vals[1:], strict=False)):
            raise MeasureError(f"{location}: spec_token_acceptance_counts={m.group(0).split('=', 1)[-1].strip()} is "
                               "not a list of verify steps followed by falling accepted counts")
        if len(total) < len(vals):
            total.extend([0.0] * (len(vals) - len(total)))
        for i, v in enumerate(vals):
            total[i] += v
        reqs += 1
    if reqs == 0:
        raise MeasureError(f"{location}: every spec_token_acceptance_counts is empty or [0]: no request speculated")
    c.drafts = total[0]
    c.per_position = tuple(total[1:])
    c.accepted = math.fsum(total[1:])
    c.k, c.k_source = float(len(total) - 1), "length of spec_token_acceptance_counts minus one (num_speculative_tokens)"
    c.samples = reqs
    c.notes.append(f"{reqs} request(s) added up")
    return c
