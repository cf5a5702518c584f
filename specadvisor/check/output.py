"""Formats for `specadvisor check`: text, json, sarif (2.1.0) and GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specadvisor import __version__
from specadvisor.check.run import CheckResult
from specadvisor.rules.engine import Rule
from specadvisor.textsafe import escape_controls

CHECK_FORMATS = ("text", "json", "sarif", "github")
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
HELP_URI = "https://github.com/specadvisor/specadvisor/blob/main/docs/rules.md#{anchor}"


def render_text(result: CheckResult, launches: bool = True) -> str:
    """Findings, one per line; then (unless `launches` is False) what was read, as `#` comment lines.

    The launch list is what tells "all fine" from "saw nothing": a clean report over files in which no
    launch was found says so instead of printing nothing.
    """
    # control characters from file names or config values are escaped (textsafe), so a newline in a model id
    # cannot forge a second line (a `::error` annotation in a CI log)
    lines = [f"{escape_controls(f.path)}:{f.line}:{f.col}: {f.severity} {f.rule} [{f.name}] {escape_controls(f.message)}"
             for f in result.findings]
    if launches:
        if lines:
            lines.append("")
        lines += launch_lines(result)
    return "\n".join(lines) + ("\n" if lines else "")


def launch_lines(result: CheckResult) -> list[str]:
    """`# file:line: engine version (source) target ... method ... draft ... k tp` for every launch read."""
    n_files = len(result.files)
    if not result.launches:
        return [f"# no server launch found in {n_files} file(s): nothing was checked"]
    idle = _files_without_launch(result)
    out = [f"# {len(result.launches)} launch(es) read in {n_files - len(idle)} of {n_files} file(s)"
           + (f" ({len(idle)} with none, listed by --format json)" if idle else "") + ":"]
    for la in result.launches:
        version = la.engine_version or "version unknown"
        if la.engine_version and la.version_source:
            version += f" ({la.version_source})"
        parts = [f"# {la.file}:{la.line}: {la.engine} {version}",
                 f"target={_model(la.target, la.target_resolved, la.target_format)}"]
        parts.append(f"method={la.method or 'none'}")
        if la.draft is not None:
            parts.append(f"draft={_model(la.draft, la.draft_resolved, la.draft_format)}")
        parts += [f"k={_dash(la.k)}", f"tp={_dash(la.tp)}", f"concurrency={_dash(la.concurrency)}"]
        if la.max_seqs is not None:
            parts.append(f"max_seqs={la.max_seqs}")
        out.append(escape_controls(" ".join(parts)))  # file names and model ids come from the input
    return out


def _files_without_launch(result: CheckResult) -> list[str]:
    seen = {la.file for la in result.launches}
    return [f for f in result.files if f not in seen]


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def _model(written: str | None, resolved: str | None, fmt: str | None) -> str:
    if written is None:
        return "-"
    if resolved is None:
        return f"{written} (unresolved)"
    if written.strip().lower() == resolved.lower():
        return written
    return f"{written} (= {resolved if fmt is None else f'{resolved}@{fmt}'})"


def render_json(result: CheckResult) -> str:
    """Schema 1, extended compatibly: `launches` lists what was read (fields were only added)."""
    data = {
        "schema_version": 1,
        "files_checked": len(result.files),
        "suppressed": result.suppressed,
        "findings": [{"rule": f.rule, "name": f.name, "severity": f.severity, "message": f.message,
                      "remediation": f.remediation, "file": f.path, "line": f.line, "column": f.col}
                     for f in result.findings],
        "launches_found": len(result.launches),
        "launches": [la.as_dict() for la in result.launches],
        "files_without_launch": _files_without_launch(result),
    }
    return json.dumps(data, indent=2) + "\n"


def _uri(path: str) -> str:
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def sarif_document(result: CheckResult, rules: Sequence[Rule]) -> dict[str, Any]:
    index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = [{
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.name.replace("-", " ")},
        "fullDescription": {"text": r.rationale},
        "help": {"text": f"{r.remediation} Source: {r.source}"},
        "helpUri": HELP_URI.format(anchor=r.id.lower()),
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
    } for r in rules]
    results = []
    for f in result.findings:
        res: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}. {f.remediation}" if not f.message.endswith(".") else
                        f"{f.message} {f.remediation}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path)},
                "region": {"startLine": max(f.line, 1), "startColumn": max(f.col, 1)},
            }}],
        }
        if f.rule in index:
            res["ruleIndex"] = index[f.rule]
        results.append(res)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "specadvisor", "version": __version__,
                                "informationUri": "https://github.com/specadvisor/specadvisor", "rules": driver_rules}},
            "results": results,
        }],
    }


def render_sarif(result: CheckResult, rules: Sequence[Rule]) -> str:
    return json.dumps(sarif_document(result, rules), indent=2) + "\n"


def _escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return s.replace(":", "%3A").replace(",", "%2C") if prop else s


def render_github(result: CheckResult) -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}
    lines = [f"::{level[f.severity]} file={_escape(f.path, True)},line={f.line},col={f.col},"
             f"title={_escape(f.rule + ' ' + f.name, True)}::{_escape(f.message + '. ' + f.remediation)}"
             for f in result.findings]
    return "\n".join(lines) + ("\n" if lines else "")
