"""Formats for `specadvisor check`: text, json, sarif (2.1.0) and GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specadvisor import __version__
from specadvisor.check.run import CheckResult
from specadvisor.rules.engine import Rule

CHECK_FORMATS = ("text", "json", "sarif", "github")
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
HELP_URI = "https://github.com/specadvisor/specadvisor/blob/main/docs/rules.md#{anchor}"


def render_text(result: CheckResult) -> str:
    lines = [f"{f.path}:{f.line}:{f.col}: {f.severity} {f.rule} [{f.name}] {f.message}" for f in result.findings]
    return "\n".join(lines) + ("\n" if lines else "")


def render_json(result: CheckResult) -> str:
    data = {
        "schema_version": 1,
        "files_checked": len(result.files),
        "suppressed": result.suppressed,
        "findings": [{"rule": f.rule, "name": f.name, "severity": f.severity, "message": f.message,
                      "remediation": f.remediation, "file": f.path, "line": f.line, "column": f.col}
                     for f in result.findings],
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
