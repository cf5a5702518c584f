"""JSON an engine returns or writes: one document, JSON lines, or JSON embedded in log lines.

* TensorRT-LLM `trtllm-serve` `/metrics` (and `llm.get_stats()`): a list of iteration stats, each with
  `specDecodingStats` = {numDraftTokens, numAcceptedTokens, numRequestsWithDraftTokens, acceptanceLength,
  iterLatencyMS, draftOverhead} (NVIDIA/TensorRT-LLM `cpp/include/tensorrt_llm/executor/types.h`,
  `SpecDecodingStats`; 0.20-1.x, needs `enable_iter_perf_stats`). Each request with drafts is verified
  once per iteration, so drafts = sum numRequestsWithDraftTokens, tau = 1 + accepted / drafts. With
  attention data parallelism the rank-0 stats are copied to every rank's row: only `attentionDpRank` 0
  is counted.
* vLLM per-request metrics (`--per-request-spec-decode-metrics`, vLLM 0.29+ from PR #48915,
  docs/features/speculative_decoding/acceptance_metrics.md; on the final usage chunk when streaming):
  `metrics.speculative_decoding` = {num_spec_steps, num_draft_tokens, num_accepted_draft_tokens,
  mean_acceptance_length, draft_acceptance_rate, acceptance_histogram, ...};
  `acceptance_histogram[j]` counts verify steps that accepted exactly j tokens, so position i was
  accepted by the steps with j > i. Requests are added up.
* `vllm bench serve --save-result` JSON: spec_decode_num_drafts, spec_decode_draft_tokens,
  spec_decode_accepted_tokens, spec_decode_per_position_acceptance_rates.
* llama.cpp server `timings` {draft_n, draft_n_accepted, predicted_n, ...} (tools/server): drafted and
  accepted tokens per request, but not the number of verify rounds (predicted_n also counts passes that
  drafted nothing), so no tau or per-token alpha is claimed from them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX, Counts, MeasureError
from specadvisor.vocab import SourceFormat

TRT_KEY = "specDecodingStats"
VLLM_REQ_KEYS = ("num_spec_steps", "num_accepted_draft_tokens")
VLLM_BENCH_KEYS = ("spec_decode_num_drafts", "spec_decode_accepted_tokens")
LC_KEY = "draft_n"
MARKERS = ('"specDecodingStats"', '"num_spec_steps"', '"spec_decode_num_drafts"', '"draft_n"')


def _too_deep(location: str, line_no: int | None) -> InputFileError:
    return InputFileError(location, line_no, None, "JSON nested too deeply to read")


def documents(text: str, location: str) -> list[tuple[int | None, Any]]:
    """(line, object) for the whole text as one JSON document, else for each line holding JSON (JSON lines,
    or a log line with a JSON body after its prefix); the line is None when the document spans lines."""
    stripped = text.strip()
    marked = marker_lines(text)
    if stripped[:1] in "{[":
        try:
            return [(marked[0] if len(marked) == 1 else None, json.loads(stripped))]
        except RecursionError:
            raise _too_deep(location, marked[0] if len(marked) == 1 else None) from None
        except ValueError:
            pass
    out: list[tuple[int | None, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not any(m in line for m in MARKERS):
            continue
        start = min((i for i in (line.find("{"), line.find("[")) if i >= 0), default=-1)
        if start < 0:
            continue
        try:
            out.append((n, json.loads(line[start:])))
        except RecursionError:
            raise _too_deep(location, n) from None
        except ValueError:
            continue  # a pretty-printed body spread over lines, or a truncated one
    return out


def marker_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if any(m in line for m in MARKERS)]


def looks_like_json(text: str) -> bool:
    return any(m in text for m in MARKERS)


def _walk(obj: Any) -> Iterator[dict[str, Any]]:
    """Every mapping, in document order (iterative: JSON may nest deeply)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            yield o
            stack.extend(reversed(list(o.values())))
        elif isinstance(o, list):
            stack.extend(reversed(o))


def _count(d: dict[str, Any], key: str, location: str, line_no: int | None, where: str) -> float:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
        raise InputFileError(location, line_no, f"{where}.{key}", f"not a number ({shown})")
    try:
        x = float(v)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x) or x < 0:
        raise InputFileError(location, line_no, f"{where}.{key}", f"{v!r} is not a count (a finite number >= 0)")
    return x


def parse_json(text: str, location: str) -> Counts:
    docs = documents(text, location)
    mappings = [(n, d) for n, doc in docs for d in _walk(doc)]
    if any(TRT_KEY in d for _, d in mappings):
        return _trtllm(mappings, location)
    if any("speculative_decoding" in d and isinstance(d["speculative_decoding"], dict) for _, d in mappings) or \
            any(all(k in d for k in VLLM_REQ_KEYS) for _, d in mappings):
        return _vllm_requests(mappings, location)
    if any(all(k in d for k in VLLM_BENCH_KEYS) for _, d in mappings):
        return _vllm_bench(mappings, location)
    if any(LC_KEY in d for _, d in mappings):
        return _llamacpp_timings(mappings, location)
    if docs:
        raise MeasureError(f"{location}: JSON without speculative-decoding counts (looked for specDecodingStats, "
                           "speculative_decoding.num_spec_steps, spec_decode_num_drafts and timings.draft_n)")
    marked = marker_lines(text)
    first = text.splitlines()[marked[0] - 1] if marked else ""
    field = "timings" if '"draft_n"' in first else TRT_KEY if TRT_KEY in first else None
    raise InputFileError(location, marked[0] if marked else None, field, "a speculative-decoding field that is not "
                         "part of a complete JSON object (truncated?)")


def _trtllm(mappings: list[tuple[int | None, dict[str, Any]]], location: str) -> Counts:
    c = Counts("trtllm", "TensorRT-LLM /metrics iteration stats (specDecodingStats)", location,
               reader=SourceFormat.trtllm_iteration_json)
    drafts = drafted = accepted = 0.0
    iters = skipped_ranks = 0
    for n, d in mappings:
        s = d.get(TRT_KEY)
        if not isinstance(s, dict):
            continue
        if d.get("attentionDpRank", 0) not in (0, None):
            skipped_ranks += 1
            continue
        dt = _count(s, "numDraftTokens", location, n, TRT_KEY)
        if dt == 0:
            continue
        acc = _count(s, "numAcceptedTokens", location, n, TRT_KEY)
        reqs = _count(s, "numRequestsWithDraftTokens", location, n, TRT_KEY)
        if acc > dt:
            raise InputFileError(location, n, f"{TRT_KEY}.numAcceptedTokens", f"{acc:g} exceeds numDraftTokens {dt:g}")
        if reqs <= 0 or reqs > dt:
            raise InputFileError(location, n, f"{TRT_KEY}.numRequestsWithDraftTokens",
                                 f"{reqs:g} requests with drafts for {dt:g} draft tokens: inconsistent")
        drafts, drafted, accepted = drafts + reqs, drafted + dt, accepted + acc
        iters += 1
    if iters == 0:
        raise MeasureError(f"{location}: no iteration drafted anything (every specDecodingStats.numDraftTokens is 0)")
    c.drafts, c.draft_tokens, c.accepted, c.samples = drafts, drafted, accepted, iters
    mean_k = drafted / drafts
    r = round(mean_k)
    if abs(mean_k - r) <= 0.02 * r:
        c.k, c.k_source = float(r), "numDraftTokens / numRequestsWithDraftTokens (max_draft_len)"
    else:
        c.variable_length = True
    c.notes.append(f"{iters} iteration(s) with drafts added up")
    if skipped_ranks:
        c.notes.append(f"{skipped_ranks} row(s) of attention-DP ranks other than 0 skipped (they repeat rank 0's "
                       "speculative stats)")
    return c


def _vllm_requests(mappings: list[tuple[int | None, dict[str, Any]]], location: str) -> Counts:
    c = Counts("vllm", "vLLM per-request speculative-decoding metrics (JSON)", location,
               reader=SourceFormat.vllm_request_json)
    steps = drafted = accepted = 0.0
    hist_pos: list[float] = []
    with_hist = reqs = 0
    k_seen: set[int] = set()
    for n, d in mappings:
        if not all(k in d for k in VLLM_REQ_KEYS):
            continue  # a nested `speculative_decoding` mapping is visited on its own
        s = d
        st = _count(s, "num_spec_steps", location, n, "speculative_decoding")
        acc = _count(s, "num_accepted_draft_tokens", location, n, "speculative_decoding")
        dt = _count(s, "num_draft_tokens", location, n, "speculative_decoding") if "num_draft_tokens" in s else math.nan
        if st == 0:
            continue
        if not math.isnan(dt) and acc > dt:
            raise InputFileError(location, n, "speculative_decoding.num_accepted_draft_tokens",
                                 f"{acc:g} exceeds num_draft_tokens {dt:g}")
        steps, accepted, drafted = steps + st, accepted + acc, drafted + dt
        reqs += 1
        if isinstance(s.get("num_spec_tokens"), int) and 1 <= s["num_spec_tokens"] <= K_MAX:
            k_seen.add(s["num_spec_tokens"])
        hist = s.get("acceptance_histogram")
        if isinstance(hist, dict) and hist:
            try:
                counts = {int(j): float(v) for j, v in hist.items()}
            except (TypeError, ValueError):
                raise InputFileError(location, n, "speculative_decoding.acceptance_histogram",
                                     "keys must be accepted counts and values step counts") from None
            top = max(counts)
            if top > K_MAX or min(counts) < 0:
                raise InputFileError(location, n, "speculative_decoding.acceptance_histogram",
                                     f"accepted count {top} is beyond any plausible draft length")
            if len(hist_pos) < top:
                hist_pos.extend([0.0] * (top - len(hist_pos)))
            for j, v in counts.items():
                for i in range(j):
                    hist_pos[i] += v
            with_hist += 1
    if reqs == 0:
        raise MeasureError(f"{location}: no request has speculative steps (num_spec_steps is 0 everywhere)")
    c.drafts, c.accepted, c.samples = steps, accepted, reqs
    c.draft_tokens = None if math.isnan(drafted) else drafted
    if len(k_seen) == 1:
        c.k, c.k_source = float(k_seen.pop()), "num_spec_tokens"
    elif c.draft_tokens:
        mean_k = c.draft_tokens / steps
        if abs(mean_k - round(mean_k)) <= 0.02 * round(mean_k):
            c.k, c.k_source = float(round(mean_k)), "num_draft_tokens / num_spec_steps"
    if with_hist == reqs and hist_pos:
        k = int(c.k) if c.k is not None else len(hist_pos)
        c.per_position = tuple(hist_pos + [0.0] * max(0, k - len(hist_pos)))
    c.notes.append(f"{reqs} request(s) added up")
    return c


def _vllm_bench(mappings: list[tuple[int | None, dict[str, Any]]], location: str) -> Counts:
    c = Counts("vllm", "vllm bench serve result JSON (spec_decode_*)", location, reader=SourceFormat.vllm_bench_json)
    n, d = next((n, d) for n, d in mappings if all(k in d for k in VLLM_BENCH_KEYS))
    c.drafts = _count(d, "spec_decode_num_drafts", location, n, "result")
    c.accepted = _count(d, "spec_decode_accepted_tokens", location, n, "result")
    if "spec_decode_draft_tokens" in d:
        c.draft_tokens = _count(d, "spec_decode_draft_tokens", location, n, "result")
    rates = d.get("spec_decode_per_position_acceptance_rates")
    if isinstance(rates, list) and rates and all(isinstance(r, int | float) and 0 <= r <= 1 for r in rates):
        c.per_position = tuple(float(r) * c.drafts for r in rates)
        c.k, c.k_source = float(len(rates)), "length of spec_decode_per_position_acceptance_rates"
    return c


def _llamacpp_timings(mappings: list[tuple[int | None, dict[str, Any]]], location: str) -> Counts:
    c = Counts("llamacpp", "llama.cpp server 'timings' (draft_n, draft_n_accepted)", location,
               reader=SourceFormat.llamacpp_timings)
    acc = drafted = 0.0
    n_obj = 0
    for n, t in mappings:
        if LC_KEY not in t:
            continue
        if "draft_n_accepted" not in t:
            raise InputFileError(location, n, "timings", "draft_n without draft_n_accepted")
        for key in ("draft_n", "draft_n_accepted"):
            v = t[key]
            if isinstance(v, bool) or not isinstance(v, int | float):
                shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
                raise InputFileError(location, n, "timings", f"draft_n / draft_n_accepted are not numbers ({key}: "
                                     f"{shown})")
        d = _count(t, "draft_n", location, n, "timings")
        a = _count(t, "draft_n_accepted", location, n, "timings")
        if a > d:
            raise InputFileError(location, n, "timings", f"draft_n_accepted {a:g} exceeds draft_n {d:g}")
        acc, drafted, n_obj = acc + a, drafted + d, n_obj + 1
    c.accepted, c.draft_tokens, c.samples = acc, drafted, n_obj
    c.rounds_unknown = ("llama.cpp 'timings' count drafted and accepted tokens but not the verify rounds "
                        "(predicted_n also counts passes that drafted nothing), so tau and the per-token alpha are "
                        "unknown; the server log's 'draft acceptance' or 'statistics' lines, or /metrics, give them")
    return c
