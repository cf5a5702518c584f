"""The facts each rule scope declares (rules/engine.py SCOPE_FACTS) are exactly the facts its producer fills.

A rule may only read declared facts (the loader refuses others), so a fact produced but not declared is
invisible to rules, and one declared but not produced makes a rule silently never fire. Each producer runs
here on a realistic input: the advisor (candidate and workload scopes) and check's site facts (config).
"""

from __future__ import annotations

from pathlib import Path

from specadvisor.advise.advisor import Workload, recommend
from specadvisor.check.config import CheckConfig
from specadvisor.check.extract import extract_file
from specadvisor.check.facts import site_facts
from specadvisor.check.run import PROBLEM_FACTS, expand
from specadvisor.model.coefficients import load_coefficients
from specadvisor.rules.engine import SCOPE_FACTS, load_rules


def test_candidate_and_workload_facts_match_their_declarations(catalog) -> None:
    advice = recommend(catalog, "meta-llama/Llama-3.1-8B-Instruct", Workload(hardware="h100-sxm"), top=None)
    assert advice.candidates
    assert {c.method for c in advice.candidates} > {"draft_model"}  # heads / n-gram are candidates too
    for c in advice.candidates:
        scope = "candidate" if c.method == "draft_model" else "method"
        assert set(c.facts) == set(SCOPE_FACTS[scope]), c.draft
    assert set(advice.facts) == set(SCOPE_FACTS["workload"])


def test_config_facts_match_their_declaration(catalog) -> None:
    """Over the check corpus (every engine and form it has), the site facts plus the keys of a file-level
    problem event are exactly the declared config facts."""
    corpus = Path(__file__).parent / "corpus" / "configs"
    produced: set[str] = set()
    coeffs, rules, defaults = load_coefficients(), load_rules(), CheckConfig().defaults
    for f in expand([str(corpus)]):
        sites, problems = extract_file(f)
        for site in sites:
            produced |= set(site_facts(site, catalog, coeffs, rules, defaults))
            if site.problems:
                produced |= set(PROBLEM_FACTS)
        if problems:
            produced |= set(PROBLEM_FACTS) - {"engine"}
    assert produced == set(SCOPE_FACTS["config"])
