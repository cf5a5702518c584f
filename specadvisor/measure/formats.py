"""The forms `measure` reads, and the choice between a log reader and the Prometheus one.

`FORMATS` documents every reader (its `vocab.SourceFormat`, the engine, the form and the engine versions
whose source it was written from); an input in none of these forms gets one error that lists them,
rather than the message of whichever parser happened to try last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from specadvisor.errors import InputFileError
from specadvisor.measure.counts import Counts
from specadvisor.vocab import SourceFormat


@dataclass(frozen=True)
class FormatInfo:
    id: SourceFormat
    engine: str
    form: str
    versions: str  # the engine versions (or builds) whose source the reader follows


FORMATS: tuple[FormatInfo, ...] = (
    FormatInfo(SourceFormat.vllm_prometheus, "vllm", "Prometheus vllm:spec_decode_* counters", "V0 0.4-0.10, V1 0.8+"),
    FormatInfo(SourceFormat.vllm_v1_log, "vllm", "'SpecDecoding metrics:' log lines", "V1 0.8.0+ (all three wordings)"),
    FormatInfo(SourceFormat.vllm_v0_log, "vllm", "'Speculative metrics:' log lines", "V0 0.3.3-0.10"),
    FormatInfo(SourceFormat.vllm_offline_example, "vllm", "examples/offline_inference/spec_decode.py output",
               "0.7-0.11 (eagle.py and spec_decode.py)"),
    FormatInfo(SourceFormat.vllm_request_json, "vllm", "per-request metrics.speculative_decoding JSON",
               "0.29+ (PR #48915)"),
    FormatInfo(SourceFormat.vllm_request_metrics, "vllm", "RequestMetrics(... spec_token_acceptance_counts=[...])",
               "V0 0.7-0.10"),
    FormatInfo(SourceFormat.vllm_bench_json, "vllm", "vllm bench serve result JSON (spec_decode_*)", "0.10+"),
    FormatInfo(SourceFormat.vllm_bench, "vllm", "vllm bench serve summary (Speculative Decoding section)", "0.10+"),
    FormatInfo(SourceFormat.sglang_prometheus, "sglang", "Prometheus sglang:spec_accept_length / _rate gauges",
               "0.4.x-0.5.x"),
    FormatInfo(SourceFormat.sglang_log, "sglang", "'Decode batch ... accept len: ...' log lines", "0.3+"),
    FormatInfo(SourceFormat.sglang_bench, "sglang", "benchmark summaries ('Accept length:', 'Acceptance length:')",
               "0.4+"),
    FormatInfo(SourceFormat.sglang_meta_info, "sglang", "per-request meta_info (spec_verify_ct, completion_tokens)",
               "0.4+"),
    FormatInfo(SourceFormat.llamacpp_server_log, "llamacpp", "llama-server 'draft acceptance ...' lines",
               "builds b4xxx-b10xxx (2025-2026)"),
    FormatInfo(SourceFormat.llamacpp_statistics, "llamacpp", "'statistics <impl>:' lines (draft, draft-mtp, "
               "draft-eagle3, ngram-*)", "builds b6xxx-b10xxx"),
    FormatInfo(SourceFormat.llamacpp_speculative, "llamacpp", "llama-speculative summary (n_drafted, n_accept)",
               "b1xxx+"),
    FormatInfo(SourceFormat.llamacpp_prometheus, "llamacpp", "Prometheus llamacpp:spec_decode_* counters", "2026 builds"),
    FormatInfo(SourceFormat.llamacpp_timings, "llamacpp", "server response timings JSON (draft_n)", "b4xxx+"),
    FormatInfo(SourceFormat.trtllm_prometheus, "trtllm", "Prometheus trtllm_spec_decode_* series", "1.0+"),
    FormatInfo(SourceFormat.trtllm_iteration_json, "trtllm", "trtllm-serve /metrics JSON (specDecodingStats)",
               "0.20-1.x"),
)


def supported() -> str:
    """One line naming every form, grouped by engine, for error messages."""
    names = {"vllm": "vLLM", "sglang": "SGLang", "llamacpp": "llama.cpp", "trtllm": "TensorRT-LLM"}
    groups: dict[str, list[str]] = {}
    for f in FORMATS:
        groups.setdefault(names[f.engine], []).append(f.form)
    return "; ".join(f"{engine}: {', '.join(forms)}" for engine, forms in groups.items())


_SAMPLE = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*(\{.*\})?\s+[-+]?([0-9.]+([eE][-+]?[0-9]+)?|NaN|[-+]?Inf)(\s+[0-9]+)?\s*$")


def looks_like_exposition(text: str) -> bool:
    """A Prometheus text page: HELP/TYPE comments, or lines that are `name{labels} value`."""
    for line in text.splitlines()[:5000]:
        s = line.strip()
        if not s:
            continue
        if s.startswith(("# TYPE ", "# HELP ")) or _SAMPLE.match(s):
            return True
    return False


def unknown(text: str, location: str) -> InputFileError:
    first = next((i for i, line in enumerate(text.splitlines(), start=1) if line.strip()), None)
    return InputFileError(location, first, None, "not a form measure reads. It reads " + supported())


def _blank_leading_comments(text: str) -> str:
    """Blank a leading block of `#` comment lines (a note pasted above a log or a JSON body), keeping
    line numbers; Prometheus HELP/TYPE lines stay."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        if not s.startswith("#") or s.startswith(("# HELP ", "# TYPE ", "# EOF")):
            break
        lines[i] = ""
    return "\n".join(lines)


def read_counts(text: str, location: str) -> tuple[str, Counts]:
    """(kind, counts): kind is `log` for every text reader and `prometheus` for an exposition."""
    from specadvisor.measure.logs import looks_like_log, parse_log

    text = _blank_leading_comments(text)

    if looks_like_log(text):
        return "log", parse_log(text, location)
    if not looks_like_exposition(text):
        raise unknown(text, location)
    from specadvisor.measure.prometheus import counts_from_snapshot, parse_exposition

    return "prometheus", counts_from_snapshot(parse_exposition(text, location))
