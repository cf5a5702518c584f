"""One `check` run from typed options to a typed report: config merge, selector validation, the Hub, the rules.

The CLI parses flags into `CheckOptions`, calls `run_check` and renders the `CheckReport` it gets back; the
library does the same without a terminal. Each file is read once: when the Hub is asked for models the
catalog lacks, the launches found for that are the ones the rules then run over.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specadvisor.catalog.core import Catalog, load_catalog
from specadvisor.check.config import CheckConfig, find_config, load_config, rule_matches
from specadvisor.check.extract import extract_file
from specadvisor.check.run import CheckResult, Extracted, check_paths, expand, rules_for_output
from specadvisor.errors import InputFileError, SpecAdvisorError, UsageError
from specadvisor.model.coefficients import load_coefficients
from specadvisor.rules.engine import Rule, load_rules
from specadvisor.vocab import Severity

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class CheckOptions:
    """What a user asks of one check run; None/empty means "as the config file (or the default) says"."""

    paths: tuple[str, ...]
    config: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    hardware: str | None = None
    batch_size: int | None = None
    catalog_files: tuple[Path, ...] = ()
    hub: bool = False
    offline: bool = False
    markdown: bool = False  # a directory walk also reads *.md (their fenced shell and YAML blocks)
    cwd: Path = field(default_factory=Path.cwd)


@dataclass(frozen=True)
class CheckReport:
    """The findings, the effective configuration, the rules the report describes, and warnings for stderr."""

    result: CheckResult
    config: CheckConfig
    rules: tuple[Rule, ...]
    warnings: tuple[str, ...] = ()
    show_launches: bool = True  # text format: end with the `#` list of launches read (--no-launches: off)

    @property
    def failed(self) -> bool:
        """Findings at or above the effective --fail-on."""
        return self.result.failed(self.config.fail_on)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(f.severity == s for f in self.result.findings) for s in reversed(Severity)}

    def summary(self) -> str:
        by = self.counts()
        line = (f"specadvisor: {len(self.result.files)} file(s) checked, {len(self.result.findings)} finding(s) "
                f"({by['error']} error, {by['warning']} warning, {by['info']} info)")
        line += f", {self.result.suppressed} suppressed" if self.result.suppressed else ""
        return line + f"; {len(self.result.launches)} launch(es) read"


def effective_config(options: CheckOptions, rules: Any) -> CheckConfig:
    """The .specadvisor.yaml found (or given), with the command line's overrides on top, selectors checked."""
    if options.config is not None and not os.path.isfile(options.config):  # never raises (a name over 255 bytes)
        from specadvisor.errors import InputFileError
        from specadvisor.safeio import display, read_bytes_bounded

        try:  # the precise reason: no such file, a directory, a FIFO, a device, a name too long...
            read_bytes_bounded(options.config)
        except InputFileError as exc:
            raise UsageError(f"--config {display(options.config)}: {exc.problem}") from None
        raise UsageError(f"--config {display(options.config)}: not a regular file")
    cfg_path = options.config or find_config(options.cwd)
    cfg = load_config(cfg_path, rules) if cfg_path else CheckConfig()
    defaults = cfg.defaults
    if options.hardware:
        defaults = dataclasses.replace(defaults, hardware=options.hardware)
    if options.batch_size is not None:
        if options.batch_size < 1:
            raise UsageError(f"--batch-size must be >= 1, got {options.batch_size}")
        defaults = dataclasses.replace(defaults, batch_size=options.batch_size)
    for sel in (*options.select, *options.ignore):
        if not any(rule_matches(r, sel) for r in rules.rules):
            raise UsageError(f"--select/--ignore: no rule matches {sel!r}")
    return dataclasses.replace(cfg, defaults=defaults, select=tuple(options.select or cfg.select),
                               ignore=tuple(cfg.ignore) + tuple(options.ignore),
                               fail_on=options.fail_on or cfg.fail_on, markdown=options.markdown or cfg.markdown)


def _checked_hardware(cat: Catalog, cfg: CheckConfig, from_flag: bool) -> None:
    """Fail early on a bad hardware name, naming the config file's line when it came from there."""
    try:
        cat.hardware_by_name(cfg.defaults.hardware)
    except SpecAdvisorError as exc:
        if from_flag or not cfg.path:
            raise
        raise InputFileError(cfg.path, cfg.hardware_line, "defaults.hardware", exc.message) from None


def extend_from_hub(cat: Catalog, extracted: dict[Path, Extracted], offline: bool) -> tuple[Catalog, list[str]]:
    """The catalog plus the Hub models that the launches name and the catalog lacks, and a warning per pair
    the Hub could not give (one private model does not stop the check of every other file)."""
    from specadvisor.check.facts import resolve_model
    from specadvisor.hub.errors import HubError
    from specadvisor.hub.resolve import extend_catalog
    from specadvisor.hub.source import default_source

    pairs: set[tuple[str, str]] = set()
    for sites, _problems in extracted.values():
        for site in sites:
            t, d = site.values.get("target"), site.values.get("draft")
            if not (isinstance(t, str) and isinstance(d, str)) or site.values.get("method") not in (None, "draft_model"):
                continue  # heads, MTP and n-gram have no draft LM for the Hub to describe
            unknown = [m for m in (t, d) if resolve_model(cat, m) is None]
            if unknown and all(_HUB_ID.match(m) for m in unknown):
                pairs.add((t, d))
    warnings: list[str] = []
    source = default_source(offline=offline)
    for t, d in sorted(pairs):
        try:
            cat = extend_catalog(cat, t, [d], source=source, progress=False).catalog
        except HubError as exc:
            warnings.append(exc.message)
    return cat, warnings


def run_check(options: CheckOptions, catalog: Catalog | None = None) -> CheckReport:
    """Check `options.paths` and return the report (raises SpecAdvisorError for bad usage or config)."""
    rules = load_rules()
    cfg = effective_config(options, rules)
    cat = catalog if catalog is not None else load_catalog(options.catalog_files)
    _checked_hardware(cat, cfg, from_flag=bool(options.hardware))
    warnings: list[str] = []
    extract: Callable[[Path], Extracted] = extract_file
    if options.hub or options.offline:
        extracted = {f: extract_file(f) for f in expand(options.paths, cfg.markdown)}
        cat, warnings = extend_from_hub(cat, extracted, options.offline)
        extract = extracted.__getitem__
    result = check_paths(options.paths, cat, load_coefficients(), rules, cfg, extract=extract)
    return CheckReport(result, cfg, tuple(rules_for_output(rules, cfg)), tuple(warnings))
