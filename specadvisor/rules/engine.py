"""Rules as data: loading `rules/*.yaml`, validating them, and evaluating them against facts.

A rule never contains code. It names a *check kind* implemented here (a small, fixed set with declared
parameters) and the named facts it reads; the advisor (or, later, the config checker) computes those
facts and asks which rules fire. Messages are templates over the same facts, formatted by a formatter
that refuses attribute and index access, so a rule file cannot reach into Python objects.
"""

from __future__ import annotations

import math
import operator
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from specadvisor import paths
from specadvisor.errors import InputFileError
from specadvisor.schema import Field, did_you_mean, line_of, validate_mapping
from specadvisor.vocab import Severity, Verdict, WorkloadVerdict, values
from specadvisor.yamlio import load_yaml_file

SEVERITIES = tuple(reversed(values(Severity)))  # most severe first, as listings show them
SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}
# Candidate verdicts, from best to worst; a candidate takes the worst verdict of the rules that fire.
VERDICTS = values(Verdict)
WORKLOAD_VERDICTS = values(WorkloadVerdict)

# The facts each scope exposes to rules. The advisor fills exactly these keys; loading a rule that
# reads any other name fails, with a did-you-mean.
SCOPE_FACTS: dict[str, dict[str, str]] = {
    "candidate": {
        "target": "target model id",
        "draft": "draft model label (id@format for virtual variants)",
        "target_params_b": "target parameters, billions",
        "draft_params_b": "draft parameters, billions",
        "size_ratio": "target parameters / draft parameters",
        "relation": "same-family | other-generation | shared-tokenizer | different-tokenizer",
        "tokenizer": "identical | identical-padded | superset | different",
        "engine": "serving engine",
        "engine_accepts": "whether the engine's start-up checks accept the pair",
        "engine_note": "what the engine does with the pair",
        "alpha": "per-token acceptance (estimate or measured)",
        "alpha_low": "low end of the alpha band",
        "alpha_high": "high end of the alpha band",
        "alpha_source": "estimate | measured | anchored (an estimate shifted by a measured pair)",
        "k": "draft length used for the prediction",
        "k_best": "draft length with the highest predicted speedup",
        "tau": "expected tokens per target pass at k",
        "cost_ratio": "draft step time / target step time",
        "speedup": "predicted speedup at k",
        "speedup_low": "low end of the speedup band",
        "speedup_high": "high end of the speedup band",
        "rank_low": "low end of the band candidates are compared on (acceptance band at shared costs)",
        "rank_high": "high end of the band candidates are compared on",
        "draft_precision": "weight format of the draft",
        "target_precision": "weight format of the target",
        "draft_quantized": "whether the draft's weights are quantized",
        "target_quantized": "whether the target's weights are quantized",
        "draft_virtual": "whether the draft is a what-if weight format of a catalog model",
        "distilled": "whether the draft was distilled for this target's family",
        "task": "workload task",
        "temperature": "sampling temperature",
        "batch_size": "requested concurrent sequences",
        "hardware": "accelerator id",
        "tp": "tensor-parallel size",
        "draft_domain": "draft's domain",
        "target_domain": "target's domain",
        "fits_memory": "whether target and draft weights fit in the TP group's usable memory together",
        "draft_memory_gb": "draft weight memory, GB",
        "draft_hardware": "accelerator the draft runs on (its own with llama.cpp --device-draft, else the target's)",
        "engine_mode": "default | heterogeneous_vocab (the engine mode the prediction assumes)",
        "encoder_decoder_draft": "the draft is an encoder-decoder and the target is not",
        "running_batch": "sequences running at once with the draft (its weights and KV cache share memory)",
        "running_batch_base": "sequences running at once without a draft",
    },
    "workload": {
        "target": "target model id",
        "target_params_b": "target parameters, billions",
        "batch_size": "requested concurrent sequences",
        "effective_batch": "sequences that fit in KV memory at once (capped at batch_size)",
        "best_speedup": "highest predicted speedup among compatible candidates that fit (absent when none)",
        "best_draft": "the draft with the highest predicted speedup",
        "usable_candidates": "candidates whose verdict is recommended or marginal",
        "compatible_candidates": "candidates whose tokenizer and engine accept the pair",
        "hardware": "accelerator id",
        "tp": "tensor-parallel size",
        "engine": "serving engine",
        "task": "workload task",
        "target_memory_gb": "target weight memory, GB",
        "usable_memory_gb": "memory usable across the TP group, GB",
        "target_memory_gib": "target weight memory, GiB",
        "usable_memory_gib": "memory usable for weights and KV across the TP group after the engine's reserve, GiB",
        "runnable_candidates": "compatible candidates that fit in memory beside the target",
        "target_fits": "whether the target's weights and the engine's reserve fit in usable memory",
        "context_len": "average tokens in context per sequence",
        "max_context": "the target's maximum context (max_position_embeddings with rope scaling)",
        "sequences_fit": "sequences of this context the KV cache holds without a draft",
        "kv_free_gib": "memory left for the KV cache without a draft, GiB",
        "seq_kv_gib": "KV cache one sequence of this context needs, GiB",
        "cannot_run": "whether plain decoding of this workload cannot run at all",
        "cannot_run_reason": "why the workload cannot run",
        "effective_task": "the task whose acceptance term applies (reasoning for a thinking target)",
        "task_replaced": "whether the requested task was replaced (a thinking target drafts its trace)",
    },
    # Speculators other than a separate draft (issue #12: heads, MTP, n-gram): advise/methods.py fills these.
    "method": {
        "target": "target model id",
        "speculator": "head id, the target's MTP module (id#mtp) or ngram",
        "method": "speculative method (specadvisor.vocab.Method)",
        "engine": "serving engine",
        "engine_supports": "whether the engine runs this method",
        "engine_method": "the engine's own name for the method (empty when unsupported)",
        "engine_since": "the engine version / PR that added the method",
        "trained_for_target": "whether the head was trained on this target's hidden states",
        "match_rate": "share of rounds that produce a draft (n-gram); 1 for model-based methods",
        "k": "draft length used for the prediction",
        "k_best": "draft length with the highest predicted speedup",
        "k_cap": "longest useful k for the method (0 = none)",
        "tau": "expected tokens per target pass at k",
        "cost_ratio": "draft step time / target step time",
        "speedup": "predicted speedup at k",
        "speedup_low": "low end of the speedup band",
        "speedup_high": "high end of the speedup band",
        "task": "workload task",
        "batch_size": "requested concurrent sequences",
        "hardware": "accelerator id",
        "tp": "tensor-parallel size",
        "fits_memory": "whether the target fits with the speculator (heads and MTP share its pool)",
    },
    "config": {
        "file": "the checked file",
        "engine": "engine the config launches (vllm, sglang, trtllm, llamacpp, tgi, ollama)",
        "engine_version": "engine version from the container image tag or the deployment file",
        "engine_version_known": "whether the engine version is known",
        "engine_version_source": "where the version was read (image tag, a pin such as requirements.txt:3, .specadvisor.yaml)",
        "target_resolved": "catalog id the target resolved to (cache paths, local dirs, quantized repos, GGUF files)",
        "draft_resolved": "catalog id the draft resolved to",
        "target_placeholder": "the target is a shell variable or template expression",
        "draft_placeholder": "the draft is a shell variable or template expression",
        "draft_head_kind": "speculator kind the draft's name announces (eagle3, eagle, medusa, mtp, ...)",
        "sglang_algorithm": "SGLang --speculative-algorithm as written",
        "target": "target model as written",
        "draft": "draft model as written",
        "target_known": "whether the target resolves to a catalog model",
        "draft_known": "whether the draft resolves to a catalog model",
        "target_params_b": "target parameters, billions",
        "draft_params_b": "draft parameters, billions",
        "relation": "same-family | other-generation | shared-tokenizer | different-tokenizer",
        "tokenizer": "identical | identical-padded | superset | different",
        "engine_accepts": "whether the engine's start-up checks accept the pair",
        "engine_note": "what the engine does with the pair",
        "target_quantized": "whether the target's weights are quantized",
        "draft_quantized": "whether the draft's weights are quantized",
        "target_precision": "weight format of the target",
        "draft_precision": "weight format of the draft",
        "method": "speculative method in specadvisor.vocab.Method terms (draft_model, eagle, eagle3, mtp, ngram, ...)",
        "k": "drafted tokens per round as configured",
        "k_runtime": "k is a shell variable or template expression, set at run time",
        "k_best": "draft length with the highest predicted speedup",
        "k_loss": "share of the best predicted speedup that the configured k gives up",
        "speedup": "predicted speedup at the configured k and batch",
        "speedup_best": "predicted speedup at the best k",
        "alpha": "estimated per-token acceptance",
        "batch_size": "declared concurrency (specadvisor.yaml or .specadvisor.yaml defaults)",
        "batch_declared": "whether the concurrency was declared",
        "hardware": "accelerator the prediction assumes",
        "tp": "target tensor-parallel size",
        "draft_tp": "draft tensor-parallel size",
        "spec_config": "whether a speculative config is present",
        "spec_has_tp_key": "tensor_parallel_size appears inside speculative_config",
        "legacy_spec_flags": "whether removed vLLM V0 speculative flags are used",
        "legacy_flag_names": "the removed flags used",
        "spec_max_model_len": "speculative max_model_len",
        "draft_max_context": "the draft's max_position_embeddings",
        "disable_padded_drafter_batch": "disable_padded_drafter_batch set in speculative_config",
        "sglang_spec_params_set": "how many of SGLang's num-steps/eagle-topk/num-draft-tokens are set",
        "sglang_steps": "SGLang --speculative-num-steps",
        "sglang_topk": "SGLang --speculative-eagle-topk",
        "sglang_num_draft_tokens": "SGLang --speculative-num-draft-tokens",
        "sglang_chain_tokens": "tokens a chain of --speculative-num-steps verifies (steps + 1)",
        "trtllm_decoding_type": "TensorRT-LLM speculative_config.decoding_type",
        "trtllm_has_speculative_model": "whether TensorRT-LLM's speculative_model is set",
        "trtllm_disable_overlap": "TensorRT-LLM disable_overlap_scheduler",
        "llamacpp_draft_min": "llama.cpp --draft-min",
        "llamacpp_refactored": "the launch uses llama.cpp's 2026 --spec-draft-* flag names (PR #22397)",
        "llamacpp_spec_enabled": "llama.cpp --spec-type or --spec-default is given",
        "llamacpp_p_min": "llama.cpp --draft-p-min (drafting stops where the draft is less sure)",
        "k_adaptive": "whether k is a cap the engine drafts up to (llama.cpp with p-min > 0), not a fixed length",
        "tgi_draft_requested": "a TGI launch asks for a draft model",
        "ollama_draft_requested": "an Ollama config asks for a draft model",
        "problem_kind": "parse-error | config-parse-error | broken-continuation (unreadable, or flags cut off a launch)",
        "problem": "what could not be read",
    },
}

def _version(v: Any) -> tuple[int, ...]:
    parts = []
    for piece in str(v).strip().lstrip("vb").split("."):  # v0.11.0; llama.cpp builds b6700
        digits = re.match(r"\d+", piece)  # leading digits: 1.1.0rc2 is 1.1.0 (a pre-release of it)
        if not digits:
            break
        parts.append(int(digits.group(0)))
    if not parts:
        raise TypeError(f"not a version: {v!r}")
    return tuple(parts) + (0,) * (3 - len(parts))


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    "eq": operator.eq, "ne": operator.ne,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
    # versions compare numerically: "0.10.1" > "0.9"
    "version_lt": lambda a, b: _version(a) < _version(b),
    "version_ge": lambda a, b: _version(a) >= _version(b),
    # `missing: true` holds when the fact is absent (None); `missing: false` when it is present
    "missing": lambda a, b: (a is None) == bool(b),
}

_RANGE_OPS = {">=": "ge", "<": "lt", "<=": "le", ">": "gt", "==": "eq"}


def parse_version_range(text: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """`">=0.10.0,<0.14.0"` -> ((">=", (0, 10, 0)), ("<", (0, 14, 0))); `"*"` -> () (every version)."""
    text = text.strip()
    if text in ("*", ""):
        return ()
    out = []
    for part in text.split(","):
        part = part.strip()
        op = next((o for o in (">=", "<=", "==", ">", "<") if part.startswith(o)), None)
        if op is None:
            raise ValueError(f"{part!r} is not a bound (use >=, <, <=, >, == and a version)")
        out.append((op, _version(part[len(op):].strip())))
    return tuple(out)


_RULE_FIELDS: dict[str, Field] = {
    "id": Field(str, required=True),
    "name": Field(str, required=True),
    "severity": Field(str, required=True, choices=SEVERITIES),
    "scope": Field(str, required=True, choices=tuple(SCOPE_FACTS)),
    "summary": Field(str, required=True),
    "rationale": Field(str, required=True),
    "remediation": Field(str, required=True),
    "source": Field(str, required=True),
    "check": Field(str, required=True),
    "params": Field(dict, required=True),
    "verdict": Field(str, choices=VERDICTS + WORKLOAD_VERDICTS),
    "examples": Field(dict, required=True),
    "aliases": Field(list, item_kind=str),
    "locate": Field(str),  # config rules: the fact whose file position a finding points at
    "settings": Field(dict),  # named thresholds that conditions read as "$name"; .specadvisor.yaml may override
    "engines": Field(dict),  # config rules: engine -> version range the rule applies to ("*" = every version)
    "if_version_unknown": Field(str, choices=("apply", "skip")),  # config rules: fire when the version is unknown?
    "methods": Field(list, item_kind=str),  # config rules: speculative methods the rule applies to (default: any)
}
_CONDITION_FIELDS = {"fact": Field(str, required=True), "op": Field(str, required=True, choices=tuple(_OPS)),
                     "value": Field(object), "other": Field(str)}
_GUIDE_ROW_FIELDS = {"alpha_min": Field(float, required=True, minimum=0, maximum=1),
                     "k_min": Field(int, required=True, minimum=1), "k_max": Field(int, required=True, minimum=1)}


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    value: Any = None
    other: str | None = None

    def holds(self, facts: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> bool:
        left = facts.get(self.fact)
        right = facts.get(self.other) if self.other else self.value
        if isinstance(right, str) and right.startswith("$") and settings is not None:
            right = settings.get(right[1:])
        if self.op == "missing":
            return _OPS["missing"](left, right)
        if left is None or right is None:
            return False
        try:
            return bool(_OPS[self.op](left, right))
        except (TypeError, ValueError):
            return False


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    scope: str
    summary: str
    rationale: str
    remediation: str
    source: str
    check: str
    params: Mapping[str, Any]
    examples: Mapping[str, Any]
    verdict: str | None = None
    aliases: tuple[str, ...] = ()
    locate: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    origin: str = field(default="", compare=False)
    engines: Mapping[str, tuple[tuple[str, tuple[int, ...]], ...]] = field(default_factory=dict)
    engine_ranges: Mapping[str, str] = field(default_factory=dict)  # as written, for docs and --help
    if_version_unknown: str = "apply"
    methods: tuple[str, ...] = ()

    def applies_to(self, facts: Mapping[str, Any]) -> bool:
        """Whether a config rule covers this launch's engine, engine version and speculative method.

        A rule lists the engines it describes and, for each, the version range its behaviour holds
        in; outside that range (or on another engine) it does not fire. When the version is unknown
        the rule fires unless it says `if_version_unknown: skip` (a rule about a bug fixed later would
        otherwise report every unversioned launch).
        """
        if self.methods and facts.get("method") not in self.methods:
            return False
        if not self.engines or "problem_kind" in facts:
            return True
        ranges = self.engines.get(str(facts.get("engine")), self.engines.get("any"))
        if ranges is None:
            return False
        version = facts.get("engine_version")
        if version is None:
            return not ranges or self.if_version_unknown == "apply"
        try:
            v = _version(version)
        except TypeError:
            return self.if_version_unknown == "apply"
        return all(_OPS[_RANGE_OPS[op]](v, bound) for op, bound in ranges)


@dataclass(frozen=True)
class Reason:
    """A rule that fired; its message is rendered from the facts only when someone reads it."""

    rule: str
    name: str
    severity: str
    summary_template: str = field(repr=False)
    remediation_template: str = field(repr=False)
    values: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def message(self) -> str:
        return render(self.summary_template, self.values)

    @property
    def remediation(self) -> str:
        return render(self.remediation_template, self.values)

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "name": self.name, "severity": self.severity,
                "message": self.message, "remediation": self.remediation}


# -- message templates -----------------------------------------------------------------------------


class _SafeFormatter(string.Formatter):
    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not field_name.isidentifier():
            raise KeyError(field_name)
        return kwargs[field_name], field_name


_FORMATTER = _SafeFormatter()


def template_fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def render(template: str, values: Mapping[str, Any]) -> str:
    shown = {k: ("n/a" if v is None else v) for k, v in values.items()}
    try:
        return _FORMATTER.vformat(template, (), shown)
    except (KeyError, ValueError, TypeError):
        return template


# -- check kinds -----------------------------------------------------------------------------------


def _parse_conditions(raw: Any, path: str, where: str, scope: str, line: int | None = None) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise InputFileError(path, line_of(raw) or line, where, "expected a non-empty list of conditions")
    out = []
    for i, item in enumerate(raw):
        v = validate_mapping(item, _CONDITION_FIELDS, path, f"{where}[{i}]")
        for key in ("fact", "other"):
            name = v[key]
            if name is not None and name not in SCOPE_FACTS[scope]:
                raise InputFileError(path, line_of(item, key), f"{where}[{i}].{key}",
                                     f"unknown {scope} fact {name!r}{did_you_mean(name, SCOPE_FACTS[scope])}")
        if (v["value"] is None) == (v["other"] is None):
            raise InputFileError(path, line_of(item), f"{where}[{i}]", "give exactly one of 'value' or 'other'")
        out.append(Condition(v["fact"], v["op"], v["value"], v["other"]))
    return tuple(out)


def _validate_facts_params(params: Mapping[str, Any], path: str, where: str, scope: str) -> dict[str, Any]:
    keys = set(params)
    if keys - {"all", "any"} or not keys:
        bad = sorted(keys - {"all", "any"})
        raise InputFileError(path, line_of(params), f"{where}", f"'facts' takes 'all' and/or 'any'; got {bad or 'nothing'}")
    return {k: _parse_conditions(params[k], path, f"{where}.{k}", scope, line_of(params, k)) for k in keys}


def _eval_facts(params: Mapping[str, Any], facts: Mapping[str, Any],
                settings: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    for c in params.get("all", ()):
        if not c.holds(facts, settings):
            return None
    if "any" in params and not any(c.holds(facts, settings) for c in params["any"]):
        return None
    return {}


def _validate_k_guidance(params: Mapping[str, Any], path: str, where: str, scope: str) -> dict[str, Any]:
    if scope != "candidate":
        raise InputFileError(path, line_of(params), where, "'k-guidance' applies to candidates only")
    table = params.get("table")
    if set(params) != {"table"} or not isinstance(table, list) or not table:
        raise InputFileError(path, line_of(params), where, "'k-guidance' takes one key, 'table': a list of rows")
    rows = [validate_mapping(r, _GUIDE_ROW_FIELDS, path, f"{where}.table[{i}]") for i, r in enumerate(table)]
    for i, r in enumerate(rows):
        if r["k_min"] > r["k_max"]:
            raise InputFileError(path, line_of(table[i]), f"{where}.table[{i}]",
                                 f"k_min {r['k_min']} is larger than k_max {r['k_max']}")
    return {"table": tuple(sorted((r["alpha_min"], r["k_min"], r["k_max"]) for r in rows))}


def _eval_k_guidance(params: Mapping[str, Any], facts: Mapping[str, Any],
                     settings: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    alpha, k = facts.get("alpha"), facts.get("k")
    if alpha is None or k is None:
        return None
    rows = [r for r in params["table"] if alpha >= r[0]]
    if not rows:
        return None
    _, k_min, k_max = rows[-1]
    if k_min <= k <= k_max:
        return None
    return {"k_guide_min": k_min, "k_guide_max": k_max}


PROBLEM_KINDS = ("parse-error", "config-parse-error", "broken-continuation")


def _validate_problem(params: Mapping[str, Any], path: str, where: str, scope: str) -> dict[str, Any]:
    if scope != "config" or set(params) != {"kind"} or params["kind"] not in PROBLEM_KINDS:
        raise InputFileError(path, line_of(params), where,
                             f"'problem' applies to config rules and takes kind: one of {', '.join(PROBLEM_KINDS)}")
    return {"kind": params["kind"]}


def _eval_problem(params: Mapping[str, Any], facts: Mapping[str, Any],
                  settings: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Problems found while reading a file arrive as facts `problem_kind` and `problem`."""
    return {} if facts.get("problem_kind") == params["kind"] else None


_KINDS: dict[str, tuple[Callable[..., dict[str, Any]], Callable[..., dict[str, Any] | None], tuple[str, ...]]] = {
    # kind: (validate params, evaluate -> extra template values or None, extra template names)
    "facts": (_validate_facts_params, _eval_facts, ()),
    "k-guidance": (_validate_k_guidance, _eval_k_guidance, ("k_guide_min", "k_guide_max")),
    "problem": (_validate_problem, _eval_problem, ()),
}
CHECK_KINDS = tuple(_KINDS)


def evaluate(rule: Rule, facts: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> Reason | None:
    """The rule's reason if it fires on `facts`; `settings` override the rule's own named thresholds."""
    _, run, _ = _KINDS[rule.check]
    if rule.scope == "config" and not rule.applies_to(facts):
        return None
    merged = {**rule.settings, **settings} if settings else rule.settings
    extra = run(rule.params, facts, merged)
    if extra is None:
        return None
    values = {**facts, **extra} if extra else facts
    if merged:
        values = {**merged, **values}
    return Reason(rule.id, rule.name, rule.severity, rule.summary, rule.remediation, values)


# -- loading ---------------------------------------------------------------------------------------


def _rule_from_mapping(raw: Any, path: str, index: int, line: int | None = None) -> Rule:
    label = f"rules[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        label += f" ({raw['id']})"
    v = validate_mapping(raw, _RULE_FIELDS, path, label, line)
    if v["check"] not in _KINDS:
        raise InputFileError(path, line_of(raw, "check"), f"{label}.check",
                             f"unknown check kind {v['check']!r}{did_you_mean(v['check'], CHECK_KINDS)}")
    validate, _, extra_names = _KINDS[v["check"]]
    params = validate(v["params"], path, f"{label}.params", v["scope"])
    settings = dict(v["settings"] or {})
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise InputFileError(path, line_of(v["settings"], name), f"{label}.settings.{name}",
                                 f"a setting is a finite number or a string, got {value!r}")
    for cond in (*params.get("all", ()), *params.get("any", ())) if v["check"] == "facts" else ():
        if isinstance(cond.value, str) and cond.value.startswith("$") and cond.value[1:] not in settings:
            raise InputFileError(path, line_of(raw, "params"), f"{label}.params",
                                 f"{cond.value} names no entry of the rule's settings{did_you_mean(cond.value[1:], settings)}")
    if v["locate"] is not None and v["locate"] not in SCOPE_FACTS[v["scope"]]:
        raise InputFileError(path, line_of(raw, "locate"), f"{label}.locate",
                             f"unknown {v['scope']} fact {v['locate']!r}{did_you_mean(v['locate'], SCOPE_FACTS[v['scope']])}")
    allowed = set(SCOPE_FACTS[v["scope"]]) | set(extra_names) | set(settings)
    for key in ("summary", "remediation"):
        try:
            names = template_fields(v[key])
        except ValueError as exc:
            raise InputFileError(path, line_of(raw, key), f"{label}.{key}", f"bad template: {exc}") from None
        for name in names:
            if name not in allowed:
                raise InputFileError(path, line_of(raw, key), f"{label}.{key}",
                                     f"template names unknown fact {{{name}}}{did_you_mean(name, allowed)}")
    verdict = v["verdict"]
    if verdict is not None:
        ok = VERDICTS if v["scope"] in ("candidate", "method") else WORKLOAD_VERDICTS
        if verdict not in ok:
            raise InputFileError(path, line_of(raw, "verdict"), f"{label}.verdict",
                                 f"{verdict!r} is not a {v['scope']} verdict ({', '.join(ok)})")
    examples = v["examples"]
    if set(examples) != {"pass", "fail"}:
        raise InputFileError(path, line_of(raw, "examples"), f"{label}.examples",
                             "needs exactly two keys, 'pass' and 'fail' (facts for which the rule stays quiet / fires)")
    engines, engine_ranges = _parse_engines(v, raw, path, label)
    return Rule(id=v["id"], name=v["name"], severity=v["severity"], scope=v["scope"], summary=v["summary"],
                rationale=v["rationale"], remediation=v["remediation"], source=v["source"], check=v["check"],
                params=params, examples=examples, verdict=verdict, aliases=tuple(v["aliases"] or ()),
                locate=v["locate"], settings=settings, origin=f"{path}:{line_of(raw) or 0}",
                engines=engines, engine_ranges=engine_ranges,
                if_version_unknown=v["if_version_unknown"] or "apply", methods=tuple(v["methods"] or ()))


def _parse_engines(v: Mapping[str, Any], raw: Any, path: str, label: str) -> tuple[
        dict[str, tuple[tuple[str, tuple[int, ...]], ...]], dict[str, str]]:
    """Validate a config rule's `engines` (engine -> version range) and `methods` against the vocabulary."""
    from specadvisor.vocab import Method

    has = [k for k in ("engines", "methods", "if_version_unknown") if v[k] is not None]
    if has and v["scope"] != "config":
        raise InputFileError(path, line_of(raw, has[0]), f"{label}.{has[0]}", "applies to config rules only")
    known_methods = [m.value for m in Method]
    for m in v["methods"] or ():
        if m not in known_methods:
            raise InputFileError(path, line_of(raw, "methods"), f"{label}.methods",
                                 f"unknown method {m!r}{did_you_mean(m, known_methods)}")
    engines: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = {}
    written: dict[str, str] = {}
    for engine, text in (v["engines"] or {}).items():
        if engine not in CONFIG_ENGINES:
            raise InputFileError(path, line_of(v["engines"], engine), f"{label}.engines.{engine}",
                                 f"unknown engine{did_you_mean(str(engine), CONFIG_ENGINES)}")
        try:
            engines[str(engine)] = parse_version_range(str(text))
        except (ValueError, TypeError) as exc:
            raise InputFileError(path, line_of(v["engines"], engine), f"{label}.engines.{engine}", str(exc)) from None
        written[str(engine)] = str(text).strip() or "*"
    return engines, written


# Engines whose launches `check` reads (specadvisor.vocab.Engine plus the two servers it only warns about),
# and `any` for a range that holds whatever the engine.
CONFIG_ENGINES = ("vllm", "sglang", "trtllm", "llamacpp", "transformers", "mlx", "jax", "tgi", "ollama", "any")


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        by_scope: dict[str, tuple[Rule, ...]] = {}
        for scope in SCOPE_FACTS:
            by_scope[scope] = tuple(r for r in self.rules if r.scope == scope)
            by_scope[scope + ":verdict"] = tuple(r for r in by_scope[scope] if r.verdict)
        object.__setattr__(self, "_by_scope", by_scope)

    def for_scope(self, scope: str, verdict_only: bool = False) -> tuple[Rule, ...]:
        """The rules of a scope; `verdict_only` keeps those that can change a verdict (for ranking)."""
        return self._by_scope[scope + ":verdict" if verdict_only else scope]  # type: ignore[attr-defined]

    def get(self, rule_id: str) -> Rule:
        key = rule_id.lower()
        for r in self.rules:
            if key in (r.id.lower(), r.name.lower(), *(a.lower() for a in r.aliases)):
                return r
        raise KeyError(rule_id)

    def fire(self, scope: str, facts: Mapping[str, Any], verdict_only: bool = False) -> list[tuple[Rule, Reason]]:
        out = []
        for rule in self.for_scope(scope, verdict_only):
            reason = evaluate(rule, facts)
            if reason is not None:
                out.append((rule, reason))
        return out


def load_rules_file(path: Path) -> list[Rule]:
    doc = load_yaml_file(path)
    p = str(path)
    if doc is None:
        return []
    top = validate_mapping(doc, {"rules": Field(list, required=True)}, p, "file")
    lines = getattr(top["rules"], "item_lines", [])
    return [_rule_from_mapping(raw, p, i, lines[i] if i < len(lines) else None) for i, raw in enumerate(top["rules"])]


@lru_cache(maxsize=4)
def load_rules(directory: str | None = None) -> RuleSet:
    d = Path(directory) if directory else paths.rules_dir()
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for f in sorted(d.glob("*.yaml")):
        for r in load_rules_file(f):
            for key in (r.id, r.name, *r.aliases):
                if key.lower() in seen:
                    raise InputFileError(str(f), int(r.origin.rsplit(":", 1)[1]) or None, "id",
                                         f"{key!r} is already used by {seen[key.lower()]}")
                seen[key.lower()] = r.origin
            rules.append(r)
    return RuleSet(tuple(rules))
