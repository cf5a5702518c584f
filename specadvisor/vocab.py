"""The closed vocabularies, defined once: engines, speculator methods, tasks, severities and verdicts.

Every other module (the CLI's choices, the rule loader, the catalog validator, the readers) derives
its list from these enums, so adding an engine or a method is a one-line change here and a test
fails wherever the new member is not handled. The members are `StrEnum`s: they compare equal to
their plain-string values, which is what YAML files, JSON reports and rule data carry.
"""

from __future__ import annotations

from enum import StrEnum


class Engine(StrEnum):
    """Serving engines whose costs, acceptance rules and configuration forms the tool knows."""

    vllm = "vllm"
    sglang = "sglang"
    trtllm = "trtllm"
    transformers = "transformers"
    llamacpp = "llamacpp"
    mlx = "mlx"
    jax = "jax"


class Method(StrEnum):
    """How the draft tokens are produced.

    `draft_model` is a separate, smaller LM; `eagle`/`eagle3` are trained heads over the target's
    hidden states (EAGLE-1/2 and EAGLE-3); `mtp` the target's own multi-token-prediction layers;
    `medusa` the legacy parallel heads; `ngram` prompt lookup; `suffix` suffix-tree decoding.
    """

    draft_model = "draft_model"
    eagle = "eagle"
    eagle3 = "eagle3"
    mtp = "mtp"
    medusa = "medusa"
    ngram = "ngram"
    suffix = "suffix"


class Task(StrEnum):
    """Workload kinds with their own acceptance term in the model."""

    general = "general"
    chat = "chat"
    code = "code"
    math = "math"
    summarization = "summarization"
    translation = "translation"
    edit = "edit"


class Severity(StrEnum):
    """Rule severities, lowest first (the order is the enum's)."""

    info = "info"
    warning = "warning"
    error = "error"


class Verdict(StrEnum):
    """Candidate verdicts, from best to worst; a candidate takes the worst verdict of the rules that fire."""

    recommended = "recommended"
    marginal = "marginal"
    not_worth_it = "not-worth-it"
    incompatible = "incompatible"


class WorkloadVerdict(StrEnum):
    """The answer for a whole workload: speculate, do not, or the workload cannot run at all.

    `cannot-run` (the target does not fit, the context exceeds the model's maximum, no sequence fits)
    comes before any speedup: there is no baseline to speed up.
    """

    speculate = "speculate"
    skip_speculation = "skip-speculation"
    cannot_run = "cannot-run"


class OutputFormat(StrEnum):
    """Formats of the advice reports (recommend, compare, measure, hub)."""

    table = "table"
    json = "json"
    yaml = "yaml"


class RulesFormat(StrEnum):
    """`specadvisor rules` adds Markdown (docs/rules.md is generated with it)."""

    table = "table"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


class MeasureFormat(StrEnum):
    """`specadvisor measure`: the terminal report or its JSON document."""

    table = "table"
    json = "json"


class CheckFormat(StrEnum):
    """Formats of the `check` report (`auto` picks `github` inside GitHub Actions, else `text`)."""

    auto = "auto"
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


# Engines `--emit` writes a ready-to-paste config for (advise/emit.py has one emitter each).
EMIT_ENGINES: tuple[Engine, ...] = (Engine.vllm, Engine.sglang, Engine.trtllm, Engine.transformers, Engine.llamacpp)


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The members' string values, in declaration order (for data validation and `--help`)."""
    return tuple(member.value for member in enum)


SEVERITY_RANK: dict[str, int] = {s.value: i for i, s in enumerate(Severity)}
VERDICT_RANK: dict[str, int] = {v.value: i for i, v in enumerate(Verdict)}


class SourceFormat(StrEnum):
    """What `specadvisor measure` reads: one member per reader (`specadvisor.measure.formats`).

    An input in none of these forms is refused with a message that lists them.
    """

    vllm_prometheus = "vllm-prometheus"
    vllm_v1_log = "vllm-v1-log"
    vllm_v0_log = "vllm-v0-log"
    vllm_offline_example = "vllm-offline-example"
    vllm_request_json = "vllm-request-json"
    vllm_request_metrics = "vllm-request-metrics"
    vllm_bench_json = "vllm-bench-json"
    vllm_bench = "vllm-bench"
    sglang_prometheus = "sglang-prometheus"
    sglang_log = "sglang-log"
    sglang_bench = "sglang-bench"
    sglang_meta_info = "sglang-meta-info"
    llamacpp_server_log = "llamacpp-server-log"
    llamacpp_statistics = "llamacpp-statistics"
    llamacpp_speculative = "llamacpp-speculative"
    llamacpp_prometheus = "llamacpp-prometheus"
    llamacpp_timings = "llamacpp-timings"
    trtllm_prometheus = "trtllm-prometheus"
    trtllm_iteration_json = "trtllm-iteration-json"
