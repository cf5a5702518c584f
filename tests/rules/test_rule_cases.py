"""Data-driven rule cases: tests/rules/cases/<RULE>.yaml holds passing and failing configs per rule.

Each case writes `content` to a file named `file` (the name decides how it is parsed), runs
`specadvisor check` on it, and compares the positions (line, column) of that rule's findings with
`expect` ([] for a passing case). Every config rule must have at least one passing and one failing case.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from specadvisor.check.config import CheckConfig
from specadvisor.check.facts import Defaults
from specadvisor.check.run import check_paths
from specadvisor.model.coefficients import load_coefficients
from specadvisor.rules.engine import load_rules

CASES = Path(__file__).parent / "cases"


def _load_cases() -> list[tuple[str, dict]]:
    out = []
    for f in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        for case in doc["cases"]:
            out.append((doc["rule"], case))
    return out


ALL_CASES = _load_cases()


def test_every_config_rule_has_a_passing_and_a_failing_case():
    rules = load_rules()
    have: dict[str, set[bool]] = {}
    for rule_id, case in ALL_CASES:
        have.setdefault(rule_id, set()).add(bool(case["expect"]))
    for r in rules.for_scope("config"):
        assert have.get(r.id) == {True, False}, f"{r.id} needs a passing and a failing case in {CASES}"


def test_every_rule_has_a_remediation_ending_with_a_period():
    for r in load_rules().rules:
        assert r.remediation.rstrip().endswith("."), r.id


@pytest.mark.parametrize(("rule_id", "case"), ALL_CASES, ids=[f"{r}-{c['name']}" for r, c in ALL_CASES])
def test_rule_case(rule_id, case, tmp_path, catalog):
    path = tmp_path / case["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case["content"])
    defaults = Defaults(**case.get("defaults", {}))
    result = check_paths([str(path)], catalog, load_coefficients(), load_rules(), CheckConfig(defaults=defaults))
    got = [[f.line, f.col] for f in result.findings if f.rule == rule_id]
    assert got == case["expect"], [(f.rule, f.line, f.col, f.message) for f in result.findings]
