"""The `rules` listing as a typed report (schema_version 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specadvisor.rules.engine import Rule

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RuleListing:
    rules: tuple[Rule, ...]
    full: bool = False  # one rule asked for by id: the table shows every field

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "rules": [
            {"id": r.id, "name": r.name, "severity": r.severity, "scope": r.scope, "summary": r.summary,
             "rationale": r.rationale, "remediation": r.remediation, "source": r.source, "verdict": r.verdict}
            for r in self.rules]}
