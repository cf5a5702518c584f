"""Engine text output: pick the reader for a log (or printed summary) and run it.

The readers, one module per engine family:

* `vllm_logs`     vLLM V1 `SpecDecoding metrics:` (every wording since 0.8), V0 `Speculative metrics:`
  (0.3-0.10), the offline `spec_decode.py` example output, V0 `spec_token_acceptance_counts`, the
  `vllm bench serve` summary.
* `sglang_logs`   SGLang `Decode batch ... accept len: ...` lines, benchmark summaries and per-request
  `meta_info`.
* `llamacpp_logs` llama.cpp per-request `draft acceptance ...` lines, `statistics <impl>:` lines and the
  `llama-speculative` summary.
* `json_reports`  JSON: TensorRT-LLM iteration stats, vLLM per-request and benchmark JSON, llama.cpp
  `timings` (also when embedded in log lines).

A line that carries an engine's marker but not its numbers is an error naming the line (often a
truncated file).
"""

from __future__ import annotations

from specadvisor.measure import json_reports, llamacpp_logs, sglang_logs, vllm_logs
from specadvisor.measure.counts import Counts, MeasureError


def looks_like_log(text: str) -> bool:
    """Whether some reader other than the Prometheus one claims this text."""
    lines = text.splitlines()
    return bool(vllm_logs.v1_lines(lines) or vllm_logs.v0_lines(lines) or sglang_logs.log_lines(lines)
                or llamacpp_logs.has_llamacpp(lines, text) or json_reports.looks_like_json(text)
                or vllm_logs.has_offline(text) or vllm_logs.has_bench(text) or sglang_logs.has_bench(text)
                or vllm_logs.has_request_counts(text) or sglang_logs.has_meta(text))


def parse_log(text: str, location: str) -> Counts:
    lines = text.splitlines()
    where = vllm_logs.v1_lines(lines)
    if where:
        return vllm_logs.parse_v1(lines, where, location)
    where = vllm_logs.v0_lines(lines)
    if where:
        return vllm_logs.parse_v0(lines, where, location)
    where = sglang_logs.log_lines(lines)
    if where:
        return sglang_logs.parse_log(text, lines, where, location)
    if llamacpp_logs.has_llamacpp(lines, text):
        return llamacpp_logs.parse_llamacpp(text, lines, location)
    if vllm_logs.has_request_counts(text):
        return vllm_logs.parse_request_counts(text, location)
    if sglang_logs.has_meta(text):
        return sglang_logs.parse_meta(text, location)
    if json_reports.looks_like_json(text):
        return json_reports.parse_json(text, location)
    if vllm_logs.has_offline(text):
        return vllm_logs.parse_offline(text, location)
    if vllm_logs.has_bench(text):
        return vllm_logs.parse_bench(text, location)
    if sglang_logs.has_bench(text):
        return sglang_logs.parse_bench(text, location)
    raise MeasureError(f"{location}: no speculative-decoding log lines found")
