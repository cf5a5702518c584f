"""Run the config rules over files and directories; plain functions returning `CheckResult`."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specadvisor.catalog.core import Catalog
from specadvisor.check import kinds
from specadvisor.check.config import CheckConfig
from specadvisor.check.extract import MAX_LAUNCHES_PER_FILE, extract_file
from specadvisor.check.facts import site_facts
from specadvisor.check.sites import Loc, Site
from specadvisor.errors import SpecAdvisorError, UsageError
from specadvisor.model.coefficients import Coefficients
from specadvisor.rules.engine import SEVERITY_ORDER, Rule, RuleSet, evaluate
from specadvisor.yamlio import read_text_file

# Files a directory walk picks up (specadvisor.check.kinds); a file named on the command line is always checked.
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"}
# The facts of a problem event (a file or launch that could not be read as written), for the config rules.
PROBLEM_FACTS = ("file", "problem_kind", "problem", "engine")
# What extract_file returns for one file: its launches and the problems found while reading it.
Extracted = tuple[list[Site], list[tuple[str, Loc, str]]]
_SUPPRESS = re.compile(r"#\s*specadvisor:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: str
    message: str
    remediation: str
    path: str
    line: int
    col: int


@dataclass(frozen=True)
class Launch:
    """One server launch as `check` read it, so a report can tell "all fine" from "saw nothing".

    Models are shown as written and, when they resolved, as the catalog id and weight format the
    rules judged; `version_source` says where the engine version came from.
    """

    file: str
    line: int
    engine: str
    engine_version: str | None
    version_source: str | None
    target: str | None
    target_resolved: str | None
    target_format: str | None
    method: str | None
    draft: str | None
    draft_resolved: str | None
    draft_format: str | None
    k: int | None
    tp: int | None
    concurrency: int | None  # declared (specadvisor.yaml, .specadvisor.yaml or --batch-size)
    max_seqs: int | None  # the engine's own cap: --max-num-seqs, --max-running-requests, -np, max_batch_size
    spec_form: str | None  # which form the speculative settings were read from

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "engine": self.engine, "engine_version": self.engine_version,
                "engine_version_source": self.version_source, "target": self.target,
                "target_resolved": self.target_resolved, "target_format": self.target_format,
                "method": self.method, "draft": self.draft, "draft_resolved": self.draft_resolved,
                "draft_format": self.draft_format, "k": self.k, "tp": self.tp,
                "declared_concurrency": self.concurrency, "max_num_seqs": self.max_seqs,
                "speculative_form": self.spec_form}


def _launch(site: Site, facts: dict[str, object]) -> Launch:
    v = site.values

    def num(value: object) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return Launch(
        file=site.path, line=site.start.line, engine=site.engine, engine_version=text(facts.get("engine_version")),
        version_source=text(facts.get("engine_version_source")), target=text(v.get("target")),
        target_resolved=text(facts.get("target_resolved")), target_format=text(facts.get("target_precision")),
        method=text(facts.get("method")), draft=text(v.get("draft")), draft_resolved=text(facts.get("draft_resolved")),
        draft_format=text(facts.get("draft_precision")), k=num(v.get("k")), tp=num(v.get("tp")),
        concurrency=num(facts.get("batch_size")) if facts.get("batch_declared") else None,
        max_seqs=num(v.get("max_num_seqs")), spec_form=text(v.get("spec_form")))


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    suppressed: int
    launches: tuple[Launch, ...] = ()

    def failed(self, fail_on: str) -> bool:
        return any(SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[fail_on] for f in self.findings)


def expand(paths: Sequence[str], markdown: bool = False) -> list[Path]:
    """Files, directories (walked) and globs, in a stable order, each once."""
    out: dict[str, Path] = {}
    for raw in paths:
        matches = sorted(glob.glob(raw, recursive=True)) if any(c in raw for c in "*?[") else [raw]
        if not matches:
            raise UsageError(f"no files match {raw!r}")
        for m in matches:
            p = Path(m)
            if os.path.isdir(p):  # os.path: False, not OSError, for a name over 255 bytes
                for root, dirs, files in os.walk(p):
                    dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                    for f in sorted(files):
                        if kinds.file_kind(Path(root) / f, markdown=markdown) is not None:
                            fp = Path(root) / f
                            out.setdefault(str(fp), fp)
            elif os.path.lexists(p):
                out.setdefault(str(p), p)
            else:
                raise UsageError(f"{raw}: no such file or directory")
    return list(out.values())


def _suppressions(text: str) -> dict[int, set[str] | None]:
    """line -> rule ids/names/prefixes ignored there (None: all), from `# specadvisor: ignore[...]`.

    A comment applies to its own line and, when it stands alone on a line, to the next line.
    """
    out: dict[int, set[str] | None] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = _SUPPRESS.search(line)
        if not m:
            continue
        ids = None if m.group(1) is None else {s.strip().lower() for s in m.group(1).split(",") if s.strip()}
        targets = [n, n + 1] if line[: m.start()].strip() == "" else [n]
        for t in targets:
            prev = out.get(t, set())
            out[t] = None if ids is None or prev is None else prev | ids
    return out


def _suppressed(rule: Rule, line: int, sup: dict[int, set[str] | None]) -> bool:
    if line not in sup:
        return False
    ids = sup[line]
    if ids is None:
        return True
    return any(rule.id.lower().startswith(i) or rule.name.lower() == i for i in ids)


def check_paths(paths: Sequence[str], catalog: Catalog, coeffs: Coefficients, rules: RuleSet,
                config: CheckConfig, extract: Callable[[Path], Extracted] = extract_file) -> CheckResult:
    """Findings for every file under `paths`; `extract` lets a caller that already read the files pass them in."""
    files = expand(paths, config.markdown)
    active = [r for r in rules.for_scope("config") if config.enabled(r)]
    findings: list[Finding] = []
    launches: list[Launch] = []
    suppressed = 0
    for path in files:
        sites, problems = extract(path)
        try:
            sup = _suppressions(read_text_file(path))
        except (SpecAdvisorError, OSError, UnicodeDecodeError):  # unreadable files were already reported as problems
            sup = {}
        events: list[tuple[dict[str, object], dict[str, Loc], Loc]] = []
        if len(sites) > MAX_LAUNCHES_PER_FILE:  # a bound against hostile input: reported, never a stall
            problems = [*problems, ("parse-error", sites[MAX_LAUNCHES_PER_FILE].start,
                                    f"more than {MAX_LAUNCHES_PER_FILE:,} server launches in one file; only the "
                                    f"first {MAX_LAUNCHES_PER_FILE:,} are checked")]
            sites = sites[:MAX_LAUNCHES_PER_FILE]
        memo: dict[str, dict[str, Any]] = {}
        for kind, loc, msg in problems:
            events.append(({"file": str(path), "problem_kind": kind, "problem": msg}, {}, loc))
        for site in sites:
            for kind, loc, msg in site.problems:
                events.append(({"file": str(path), "problem_kind": kind, "problem": msg, "engine": site.engine}, {}, loc))
            if site.engine == "unknown":  # a launch that could not be read: its problems are the report
                continue
            key = repr((site.engine, sorted(site.values.items(), key=lambda kv: kv[0])))
            if key not in memo:  # identical launches (a generated script) are evaluated once
                memo[key] = site_facts(site, catalog, coeffs, rules, config.defaults)
            facts = memo[key]
            launches.append(_launch(site, facts))
            events.append((facts, site.locs, site.start))
        for facts, locs, start in events:
            for rule in active:
                reason = evaluate(rule, facts, config.settings.get(rule.id))
                if reason is None:
                    continue
                loc = locs.get(rule.locate, start) if rule.locate else start
                if "problem_kind" in facts:
                    loc = start
                if _suppressed(rule, loc.line, sup):
                    suppressed += 1
                    continue
                findings.append(Finding(rule.id, rule.name, config.severity.get(rule.id, rule.severity),
                                        reason.message, reason.remediation, str(path), loc.line, loc.col))
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.rule))
    return CheckResult(tuple(findings), tuple(str(f) for f in files), suppressed, tuple(launches))


def rules_for_output(rules: RuleSet, config: CheckConfig) -> Iterable[Rule]:
    return [r for r in rules.for_scope("config") if config.enabled(r)]
