"""docs/rules.md is generated from rules/*.yaml and must be current (regenerate with the command below)."""

from __future__ import annotations

from pathlib import Path

import pytest

from specadvisor.rules.doc import rules_markdown
from specadvisor.rules.engine import load_rules

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rules_doc_is_current():
    if not DOC.exists():
        pytest.skip("docs/ is not part of this installation")
    expected = rules_markdown(load_rules().rules)
    assert DOC.read_text() == expected, "regenerate: specadvisor rules --format markdown > docs/rules.md"


def test_every_rule_is_documented_with_an_anchor():
    md = rules_markdown(load_rules().rules)
    for r in load_rules().rules:
        assert f"### {r.id}" in md and f"(#{r.id.lower()})" in md
