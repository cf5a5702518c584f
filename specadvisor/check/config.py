"""`.specadvisor.yaml`: which rules run, at what severity and thresholds, and the workload to assume.

Found in the working directory or its parents (or given with --config). Every key is validated:
unknown keys and unknown rule ids are errors with a did-you-mean, because a typo that silently
disables a check is worse than no check.

    select: [SPEC1, SPEC301]          # ids, names or id prefixes; default: every rule
    ignore: [SPEC322]
    fail_on: error                    # error | warning | info
    rules:
      SPEC241: {severity: error, params: {max_loss: 0.2}}
    defaults: {hardware: h100-sxm, batch_size: 32, context_len: 1024, task: chat, engine_version: "0.15.0",
               engine_versions: {vllm: "0.15.1", sglang: "0.5.4", llamacpp: "b7000"}}
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specadvisor.check.facts import Defaults
from specadvisor.errors import InputFileError
from specadvisor.model.coefficients import TASKS
from specadvisor.rules.engine import CONFIG_ENGINES, SEVERITIES, Rule, RuleSet
from specadvisor.schema import Field, did_you_mean, line_of, validate_mapping
from specadvisor.yamlio import load_yaml_file

CONFIG_NAMES = (".specadvisor.yaml", ".specadvisor.yml")

_TOP = {"select": Field(list, item_kind=str), "ignore": Field(list, item_kind=str),
        "fail_on": Field(str, choices=SEVERITIES), "rules": Field(dict), "defaults": Field(dict)}
_RULE = {"severity": Field(str, choices=SEVERITIES), "params": Field(dict)}
_DEFAULTS = {"hardware": Field(str), "batch_size": Field(int, minimum=1), "context_len": Field(int, minimum=1),
             "task": Field(str, choices=TASKS), "engine_version": Field(str), "engine_versions": Field(dict)}
_VERSION = re.compile(r"^(v?\d+(\.\d+){0,3}([.+-]?[0-9A-Za-z.]+)?|b\d{3,6})$")  # 0.15.1, 1.1.0rc2, llama.cpp b7000


@dataclass(frozen=True)
class CheckConfig:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule id -> overridden settings
    defaults: Defaults = Defaults()
    path: str | None = None
    hardware_line: int | None = None  # where defaults.hardware is written, for errors
    markdown: bool = False  # read fenced shell/YAML blocks of *.md files (check --markdown)

    def enabled(self, rule: Rule) -> bool:
        if self.select and not any(rule_matches(rule, s) for s in self.select):
            return False
        return not any(rule_matches(rule, s) for s in self.ignore)


def rule_matches(rule: Rule, selector: str) -> bool:
    """An id prefix (SPEC1, SPEC301), a name or an alias, in any case."""
    s = selector.lower()
    return rule.id.lower().startswith(s) or rule.name.lower() == s or s in (a.lower() for a in rule.aliases)


def find_config(start: Path) -> Path | None:
    for d in (start, *start.parents):
        for name in CONFIG_NAMES:
            if os.path.isfile(d / name):
                return d / name
    return None


def _known(rules: RuleSet, sel: str) -> bool:
    return any(rule_matches(r, sel) for r in rules.rules)


def load_config(path: Path, rules: RuleSet) -> CheckConfig:
    p = str(path)
    doc = load_yaml_file(path)
    if doc is None:
        return CheckConfig(path=p)
    v = validate_mapping(doc, _TOP, p, "config")
    names = [r.id for r in rules.rules] + [r.name for r in rules.rules]
    for key in ("select", "ignore"):
        for sel in v[key] or ():
            if not _known(rules, sel):
                raise InputFileError(p, line_of(doc, key), key, f"no rule matches {sel!r}{did_you_mean(sel, names)}")
    severity: dict[str, str] = {}
    settings: dict[str, dict[str, Any]] = {}
    for rule_key, raw in (v["rules"] or {}).items():
        try:
            rule = rules.get(str(rule_key))
        except KeyError:
            raise InputFileError(p, line_of(v["rules"], str(rule_key)), f"rules.{rule_key}",
                                 f"unknown rule{did_you_mean(str(rule_key), names)}") from None
        if raw is None:  # `SPEC241:` with nothing under it: no overrides
            continue
        r = validate_mapping(raw, _RULE, p, f"rules.{rule_key}", line_of(v["rules"], str(rule_key)))
        if r["severity"]:
            severity[rule.id] = r["severity"]
        for name, value in (r["params"] or {}).items():
            if name not in rule.settings:
                allowed = ", ".join(rule.settings) or "none"
                raise InputFileError(p, line_of(raw["params"], name), f"rules.{rule_key}.params.{name}",
                                     f"unknown parameter (this rule takes: {allowed}){did_you_mean(name, list(rule.settings))}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputFileError(p, line_of(raw["params"], name), f"rules.{rule_key}.params.{name}",
                                     f"expected a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise InputFileError(p, line_of(raw["params"], name), f"rules.{rule_key}.params.{name}",
                                     f"must be a finite number >= 0, got {value!r}")
            settings.setdefault(rule.id, {})[name] = value
    d = validate_mapping(v["defaults"] or {}, _DEFAULTS, p, "defaults")
    if d["engine_version"] is not None and not _VERSION.match(d["engine_version"]):
        raise InputFileError(p, line_of(v["defaults"], "engine_version"), "defaults.engine_version",
                             f"expected a version such as 0.15.1, got {d['engine_version']!r}")
    per_engine: dict[str, str] = {}
    for engine, version in (d["engine_versions"] or {}).items():
        where = f"defaults.engine_versions.{engine}"
        if engine not in CONFIG_ENGINES or engine == "any":
            raise InputFileError(p, line_of(d["engine_versions"], engine), where,
                                 f"unknown engine{did_you_mean(str(engine), CONFIG_ENGINES[:-1])}")
        if not isinstance(version, str | int | float) or isinstance(version, bool) or not _VERSION.match(str(version)):
            raise InputFileError(p, line_of(d["engine_versions"], engine), where,
                                 f"expected a version such as 0.15.1 (quoted), got {version!r}")
        per_engine[str(engine)] = str(version)
    defaults = Defaults(**{k: val for k, val in d.items() if val is not None and k != "engine_versions"},
                        engine_versions=per_engine)
    hardware_line = line_of(v["defaults"], "hardware") if d["hardware"] is not None else None
    return CheckConfig(select=tuple(v["select"] or ()), ignore=tuple(v["ignore"] or ()),
                       fail_on=v["fail_on"] or "error", severity=severity, settings=settings,
                       defaults=defaults, path=p, hardware_line=hardware_line)
