"""SGLang text output: scheduler `Decode batch ... accept len: L, accept rate: R, ...` lines, the server
arguments line, and benchmark summaries (`bench_serving`: `Accept length: L`; the EAGLE benchmark
scripts: `... Acceptance length: L`).

What the numbers are (sgl-project/sglang, `python/sglang/srt/managers/scheduler_metrics_mixin.py`):

* accept len = accepted tokens (bonus included) / verify passes over the logging interval: tau.
* accept rate, two definitions in the code's history:
  - from PR #13212 (2025-11) to PR #23530 (2026-04; e.g. commits 01bb3c8, 78ac30c): accepted tokens /
    (passes x speculative_num_draft_tokens) = L / num_draft_tokens, bonus included. For a chain
    (topk = 1) num_draft_tokens = steps + 1, so k = L / R - 1 and accepted/drafted = (L - 1) / k;
  - after PR #23530: accepted drafts / proposed drafts = (L - 1) / k, a true accepted/drafted.
  Which one a log uses is told by which of L / R - 1 and (L - 1) / R is a whole number on every line.
  The `sglang:spec_accept_rate` gauge carries the same value as the log.
* Each line covers the same number of decode iterations (`--decode-log-interval`), so lines are
  averaged unweighted, not by throughput.
* Per request, `meta_info` carries `spec_verify_ct` (verify passes) and `completion_tokens`, so
  tau = completion_tokens / spec_verify_ct (python/sglang/srt/managers/scheduler_output_processor_mixin.py);
  requests are added up, in JSON or in the Python dict a `Finish: ... out={'meta_info': ...}` line prints.
* With `--speculative-eagle-topk` > 1 the engine verifies a tree of `speculative_num_draft_tokens`
  nodes `speculative_num_steps` deep: that is not a chain, and no chain alpha describes it.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX, Counts, MeasureError
from specadvisor.vocab import SourceFormat

_NUM = r"(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|nan|inf)"

LOG_MARK = "accept len:"
# SGLang's chains run speculative_num_steps 1-10 in the docs' examples and benchmarks; a longer "chain"
# read off accept len / accept rate is more likely the node count of a tree
CHAIN_STEPS_MAX = 10
BENCH_MARK = re.compile(r"(?:^|\s|,)(?:Accept|Acceptance) length:\s*[0-9]", re.M)

_LEN = re.compile(r"accept len:\s*" + _NUM)
_RATE = re.compile(r"accept rate:\s*" + _NUM)
_BENCH = re.compile(r"(?:^|\s|,)(?:Accept|Acceptance) length:\s*" + _NUM, re.M)
_ARG = {key: re.compile(r"(?:\b" + key + r"\s*=\s*|--" + key.replace("_", "-") + r"[ =])([0-9]+)")
        for key in ("speculative_num_steps", "speculative_eagle_topk", "speculative_num_draft_tokens")}


def _short(text: str, width: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= width else text[: width - 3] + "..."


_VERIFY = re.compile(r"""["']spec_verify_ct["']\s*:\s*([0-9]+)""")
_COMPLETION = re.compile(r"""["']completion_tokens["']\s*:\s*([0-9]+)""")


def has_meta(text: str) -> bool:
    return _VERIFY.search(text) is not None


def parse_meta(text: str, location: str) -> Counts:
    c = Counts("sglang", "SGLang per-request meta_info (completion_tokens / spec_verify_ct)", location,
               reader=SourceFormat.sglang_meta_info)
    verify = [float(x) for x in _VERIFY.findall(text)]
    completion = [float(x) for x in _COMPLETION.findall(text)]
    if len(verify) != len(completion):
        raise MeasureError(f"{location}: {len(verify)} spec_verify_ct but {len(completion)} completion_tokens: cannot "
                           "pair them request by request")
    pairs = [(v, t) for v, t in zip(verify, completion, strict=True) if v > 0]
    if not pairs:
        raise MeasureError(f"{location}: every spec_verify_ct is 0: no request speculated")
    passes = math.fsum(v for v, _ in pairs)
    tokens = math.fsum(t for _, t in pairs)
    c.tau, c.samples = tokens / passes, len(pairs)
    c.notes.append(f"tau = completion tokens / verify passes over {len(pairs)} request(s) (the first token, from "
                   "prefill, counts too: tau is a hair high on short requests)")
    c.tau_approximate = True
    apply_shape(c, server_args(text), [])
    if c.k is None:
        c.notes.append("meta_info gives no draft length: pass --k (speculative_num_steps)")
    return c


def log_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines, start=1) if LOG_MARK in line and not line.lstrip().startswith("#")]


def has_bench(text: str) -> bool:
    return BENCH_MARK.search(text) is not None


def server_args(text: str) -> dict[str, int]:
    """speculative_num_steps / _eagle_topk / _num_draft_tokens when the log holds the server arguments."""
    out = {}
    for key, rx in _ARG.items():
        m = rx.search(text)
        if m is not None and len(m.group(1)) <= 4:
            out[key] = int(m.group(1))
    return out


def chain_k(pairs: list[tuple[float, float]]) -> tuple[int, str] | None:
    """The draft length from (accept len, accept rate) pairs: under the bonus-included rate R = L / (k + 1)
    or under accepted/drafted R = (L - 1) / k, whichever gives one whole number on every pair."""
    best: tuple[float, int, str] | None = None
    for name, f in (("accept rate = accept len / num_draft_tokens", lambda L, R: L / R - 1),
                    ("accept rate = accepted / drafted", lambda L, R: (L - 1) / R)):
        ks = [f(L, R) for L, R in pairs if R > 0 and (L > 1 or name.startswith("accept rate = accept len"))]
        ks = [k for k in ks if math.isfinite(k)]
        if not ks:
            continue
        mode, _ = Counter(round(k) for k in ks).most_common(1)[0]
        if not 1 <= mode <= K_MAX:
            continue
        # rates print with 2 digits: allow the rounding error they imply
        dev = sum(abs(k - mode) for k in ks) / len(ks)
        tol = max(0.12, 0.006 * (mode + 1) ** 2)
        if dev <= tol and (best is None or dev < best[0]):
            best = (dev, mode, name)
    return None if best is None else (best[1], best[2])


def apply_shape(c: Counts, args: dict[str, int], k_pairs: list[tuple[float, float]]) -> None:
    """Set k (and the tree flag) from the server arguments, else from the (len, rate) pairs."""
    topk = args.get("speculative_eagle_topk")
    steps = args.get("speculative_num_steps")
    if topk is not None and topk > 1:
        c.tree = True
        if steps is not None and 1 <= steps <= K_MAX:
            c.k, c.k_source = float(steps), "speculative_num_steps in the server arguments (tree depth)"
        c.warnings.append(f"speculative_eagle_topk = {topk}: SGLang verifies a tree of "
                          f"{args.get('speculative_num_draft_tokens', '?')} draft tokens, not a chain; tau is "
                          "measured, but no per-token chain alpha describes a tree")
        return
    if steps is not None and 1 <= steps <= K_MAX:
        c.k, c.k_source = float(steps), "speculative_num_steps in the server arguments"
        return
    found = chain_k(k_pairs)
    if found is not None and found[0] > CHAIN_STEPS_MAX:
        c.notes.append(f"accept len / accept rate imply {found[0] + 1} draft tokens per pass: more than a chain of "
                       f"speculative_num_steps usually drafts (<= {CHAIN_STEPS_MAX}), so probably a tree (topk > 1); pass "
                       "--k, or include the server_args line")
        c.warnings.append("the draft length could not be told from the log (a tree?): pass --k")
        return
    if found is not None:
        c.k, c.k_source = float(found[0]), f"accept len and accept rate ({found[1]}); pass --k to be sure"
        c.notes.append(f"SGLang's accept rate read as: {found[1]}")
    elif k_pairs:
        c.notes.append("accept len and accept rate give no consistent draft length (a tree, topk > 1?): pass --k")


def parse_log(text: str, lines: list[str], where: list[int], location: str) -> Counts:
    c = Counts("sglang", "SGLang 'accept len' log lines", location, reader=SourceFormat.sglang_log)
    taus: list[float] = []
    pairs: list[tuple[float, float]] = []
    for n in where:
        line = lines[n - 1]
        m = _LEN.search(line)
        if m is None:
            raise InputFileError(location, n, None, f"incomplete 'accept len' line (truncated?): {_short(line)!r}")
        tau = float(m.group(1))
        if tau == 0:
            continue  # an idle interval
        if not math.isfinite(tau) or not 1 <= tau <= K_MAX + 1:
            raise InputFileError(location, n, "accept len", f"{_short(m.group(1), 20)} is not a mean acceptance "
                                 "length (>= 1)")
        r = _RATE.search(line)
        if r is not None:
            rate = float(r.group(1))
            if not 0 <= rate <= 1:  # NaN fails too
                raise InputFileError(location, n, "accept rate", f"{_short(r.group(1), 20)} is not an acceptance "
                                     "rate (0 to 1)")
            pairs.append((tau, rate))
        taus.append(tau)
    if not taus:
        raise MeasureError(f"{location}: every 'accept len' line is idle: speculative decoding did not run")
    c.tau = math.fsum(taus) / len(taus)
    c.samples = len(taus)
    c.notes.append(f"accept len averaged over {len(taus)} 'Decode batch' line(s), unweighted: each covers the same "
                   "number of decode iterations")
    apply_shape(c, server_args(text), pairs)
    return c


def parse_bench(text: str, location: str) -> Counts:
    c = Counts("sglang", "SGLang bench_serving summary ('Accept length')", location, reader=SourceFormat.sglang_bench)
    vals = [float(x) for x in _BENCH.findall(text)]
    if len(vals) > 1:
        c.warnings.append(f"{len(vals)} benchmark summaries: the last one is read")
    tau = vals[-1]
    if not math.isfinite(tau) or not 1 <= tau <= K_MAX + 1:
        raise MeasureError(f"{location}: Accept length {tau:g} is not a mean acceptance length (>= 1)")
    c.tau, c.tau_approximate = tau, True
    apply_shape(c, server_args(text), [])
    if c.k is None:
        c.notes.append("a benchmark summary gives only the mean acceptance length: pass --k (speculative_num_steps)")
    return c
