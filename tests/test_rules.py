"""Rules as data: every shipped rule's own examples, rule-set integrity, and the loader's refusals."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from specadvisor import paths
from specadvisor.errors import InputFileError
from specadvisor.rules.engine import (
    CHECK_KINDS,
    SCOPE_FACTS,
    SEVERITIES,
    VERDICTS,
    WORKLOAD_VERDICTS,
    Reason,
    evaluate,
    load_rules,
    load_rules_file,
    render,
)
from specadvisor.yamlio import load_yaml_file


def _shipped_rules():
    return load_rules().rules


SHIPPED = _shipped_rules()


def test_rules_are_loaded_from_every_yaml_file():
    files = sorted(paths.rules_dir().glob("*.yaml"))
    assert files, "rules/ holds no *.yaml"
    from_files = [r.id for f in files for r in load_rules_file(f)]
    assert from_files == [r.id for r in SHIPPED]
    # every raw rule entry in the files became a Rule
    raw = [item["id"] for f in files for item in (load_yaml_file(f) or {}).get("rules", [])]
    assert raw == from_files
    assert len(SHIPPED) >= 20


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda r: r.id)
def test_pass_example_does_not_fire(rule):
    assert evaluate(rule, rule.examples["pass"]) is None


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda r: r.id)
def test_fail_example_fires(rule):
    reason = evaluate(rule, rule.examples["fail"])
    assert isinstance(reason, Reason)
    assert reason.rule == rule.id and reason.name == rule.name and reason.severity == rule.severity


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda r: r.id)
def test_examples_only_name_known_facts(rule):
    for which in ("pass", "fail"):
        facts = rule.examples[which]
        assert isinstance(facts, dict) and facts, f"{rule.id} examples.{which} is empty"
        unknown = set(facts) - set(SCOPE_FACTS[rule.scope])
        assert not unknown, f"{rule.id} examples.{which} uses unknown facts {unknown}"


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda r: r.id)
def test_rule_is_documented(rule):
    for attr in ("name", "summary", "rationale", "remediation", "source"):
        value = getattr(rule, attr)
        assert isinstance(value, str) and value.strip(), f"{rule.id}.{attr} is empty"
    assert rule.severity in SEVERITIES
    assert rule.scope in SCOPE_FACTS
    assert rule.check in CHECK_KINDS
    if rule.verdict is not None:
        assert rule.verdict in (VERDICTS if rule.scope in ("candidate", "method") else WORKLOAD_VERDICTS)
    assert rule.origin and ":" in rule.origin


@pytest.mark.parametrize("rule", SHIPPED, ids=lambda r: r.id)
def test_message_renders_fully_with_all_facts(rule):
    """With every fact of its scope present, neither template is left with a raw {placeholder}."""
    facts = _full_facts(rule.scope)
    facts.update(rule.examples["fail"])
    for cond in (*rule.params.get("all", ()), *rule.params.get("any", ())) if rule.check == "facts" else ():
        if cond.op == "missing" and cond.value:
            facts.pop(cond.fact, None)  # the rule fires on an absent fact
    reason = evaluate(rule, facts)
    assert reason is not None
    for text in (reason.message, reason.remediation):
        assert "{" not in text and "}" not in text, f"{rule.id}: unrendered template {text!r}"


def _full_facts(scope: str) -> dict:
    sample = {
        "target": "meta-llama/Llama-3.1-70B-Instruct",
        "draft": "meta-llama/Llama-3.2-1B-Instruct",
        "target_params_b": 70.6,
        "draft_params_b": 1.24,
        "size_ratio": 57.0,
        "relation": "same-family",
        "tokenizer": "identical",
        "engine": "vllm",
        "engine_accepts": True,
        "engine_note": "vllm accepts",
        "alpha": 0.7,
        "alpha_low": 0.6,
        "alpha_high": 0.8,
        "alpha_source": "estimate",
        "k": 5,
        "k_best": 5,
        "tau": 2.9,
        "cost_ratio": 0.05,
        "speedup": 2.2,
        "speedup_low": 1.6,
        "speedup_high": 2.9,
        "draft_precision": "bf16",
        "target_precision": "bf16",
        "draft_quantized": False,
        "target_quantized": False,
        "draft_virtual": False,
        "distilled": False,
        "task": "general",
        "temperature": 0.0,
        "batch_size": 1,
        "hardware": "h100-sxm",
        "tp": 4,
        "draft_domain": "general",
        "target_domain": "general",
        "fits_memory": True,
        "draft_memory_gb": 2.5,
        "effective_batch": 1,
        "best_speedup": 2.2,
        "best_draft": "meta-llama/Llama-3.2-1B-Instruct",
        "usable_candidates": 3, "compatible_candidates": 4,
        "target_memory_gb": 141.1,
        "usable_memory_gb": 288.0,
    }
    sample.update({  # memory, ranking and task facts (issue #16)
        "running_batch": 18, "running_batch_base": 32, "engine_mode": "default", "encoder_decoder_draft": False,
        "draft_hardware": "tesla-p40",
        "rank_low": 1.9, "rank_high": 2.6,
        "target_memory_gib": 131.4, "usable_memory_gib": 141.0, "runnable_candidates": 4, "target_fits": True,
        "context_len": 1024, "max_context": 131072, "sequences_fit": 30, "kv_free_gib": 9.6, "seq_kv_gib": 0.31,
        "cannot_run": False, "cannot_run_reason": None, "effective_task": "reasoning", "task_replaced": True,
    })
    sample.update({
        # config scope (specadvisor check)
        "file": "deploy/serve.sh", "engine_version": "0.15.1", "engine_version_known": True, "target_known": True,
        "draft_known": True, "method": "draft_model", "k_loss": 0.25, "speedup_best": 2.4, "batch_declared": True,
        "draft_tp": 4, "spec_config": True, "spec_has_tp_key": False, "legacy_spec_flags": False,
        "legacy_flag_names": "--speculative-model", "spec_max_model_len": 8192, "draft_max_context": 131072,
        "disable_padded_drafter_batch": False, "sglang_spec_params_set": 3, "sglang_steps": 4, "sglang_topk": 1,
        "sglang_num_draft_tokens": 5, "sglang_chain_tokens": 5, "trtllm_decoding_type": "DraftTarget",
        "trtllm_has_speculative_model": True, "trtllm_disable_overlap": True, "llamacpp_draft_min": 1,
        "llamacpp_p_min": 0.0, "k_adaptive": False,
        "tgi_draft_requested": False, "ollama_draft_requested": False, "problem_kind": None,
        "problem": "invalid YAML", "engine_version_source": "requirements.txt:3",
        "target_resolved": "meta-llama/Llama-3.1-70B-Instruct", "draft_resolved": "meta-llama/Llama-3.2-1B-Instruct",
        "target_placeholder": False, "draft_placeholder": False, "draft_head_kind": None, "sglang_algorithm": "EAGLE",
        "llamacpp_refactored": True, "llamacpp_spec_enabled": True, "k_runtime": None,
    })
    sample.update({
        # method scope (heads, MTP, n-gram: advise/methods.py)
        "speculator": "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "engine_supports": True, "engine_method": "eagle3",
        "engine_since": "vllm#16937", "trained_for_target": True, "match_rate": 1.0, "k_cap": 0,
    })
    assert set(SCOPE_FACTS[scope]) <= set(sample)
    return {k: sample[k] for k in SCOPE_FACTS[scope]}


def test_rule_ids_and_names_unique():
    keys = [k.lower() for r in SHIPPED for k in (r.id, r.name, *r.aliases)]
    assert len(keys) == len(set(keys))


def test_rule_ids_follow_the_pattern():
    import re

    for r in SHIPPED:
        assert re.fullmatch(r"SPEC\d{3}", r.id), r.id


def test_ruleset_get_by_id_name_and_case():
    rs = load_rules()
    assert rs.get("SPEC201").name == "draft-below-size-floor"
    assert rs.get("spec201").id == "SPEC201"
    assert rs.get("draft-below-size-floor").id == "SPEC201"
    with pytest.raises(KeyError):
        rs.get("SPEC999")


def test_both_scopes_have_rules_and_verdicts():
    rs = load_rules()
    cand, work = rs.for_scope("candidate"), rs.for_scope("workload")
    assert cand and work
    assert {r.verdict for r in cand} >= {"recommended", "marginal", "not-worth-it", "incompatible"}
    assert any(r.verdict == "skip-speculation" for r in work)


def test_speedup_verdict_rules_partition_speedups():
    """Exactly one of the speedup verdict rules (SPEC210/211/212/213) fires for any speedup/band."""
    rs = load_rules()
    verdict_rules = [rs.get(i) for i in ("SPEC210", "SPEC211", "SPEC212", "SPEC213")]
    for speedup in (0.5, 0.99, 1.0, 1.01, 1.2, 1.25, 1.5, 3.0):
        for low in (0.4, 0.99, 1.0, 1.2):
            low = min(low, speedup)
            fired = [r.id for r in verdict_rules if evaluate(r, {"speedup": speedup, "speedup_low": low})]
            assert len(fired) == 1, (speedup, low, fired)


def test_fire_returns_rules_of_one_scope():
    rs = load_rules()
    fired = rs.fire("workload", {"best_speedup": 0.5, "batch_size": 256, "effective_batch": 256, "compatible_candidates": 3,
                                 "runnable_candidates": 3, "cannot_run": False})
    ids = {r.id for r, _ in fired}
    assert "SPEC220" in ids and "SPEC221" in ids
    assert all(r.scope == "workload" for r, _ in fired)


def test_k_guidance_reports_the_range():
    rule = load_rules().get("SPEC206")
    reason = evaluate(rule, {"alpha": 0.6, "k": 10, "k_best": 4, "draft": "d"})
    assert reason is not None and "3-4" in reason.message
    assert evaluate(rule, {"alpha": 0.6, "k": 3}) is None
    assert evaluate(rule, {"alpha": 0.3, "k": 40}) is None  # below the table: no advice
    assert evaluate(rule, {"alpha": 0.95, "k": 12}) is None
    assert evaluate(rule, {"k": 3}) is None


def test_missing_facts_never_fire_and_never_raise():
    for rule in SHIPPED:
        assert evaluate(rule, {}) is None, rule.id


def test_mistyped_fact_values_do_not_raise():
    rule = load_rules().get("SPEC201")
    assert evaluate(rule, {"draft_params_b": "small"}) is None


# -- templates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", ["{alpha.__class__}", "{alpha[0]}", "{alpha.__class__.__mro__}", "{0}"])
def test_render_refuses_attribute_and_index_access(template):
    values = {"alpha": [0.5], "draft": "x"}
    out = render(template, values)
    assert out == template
    assert "class" not in out.replace("__class__", "")


def test_render_formats_plain_fields():
    assert render("alpha {alpha:.2f} for {draft}", {"alpha": 0.756, "draft": "d"}) == "alpha 0.76 for d"
    assert render("{draft}", {"draft": None}) == "n/a"


# -- the loader's refusals -------------------------------------------------------------------------

GOOD_RULE = textwrap.dedent("""\
    rules:
      - id: TEST001
        name: test-low-alpha
        severity: warning
        scope: candidate
        summary: "alpha {alpha:.2f} is low for {draft}"
        rationale: "because"
        remediation: "fix it"
        source: "test"
        check: facts
        params:
          all: [{fact: alpha, op: lt, value: 0.5}]
        verdict: marginal
        examples:
          pass: {alpha: 0.9}
          fail: {alpha: 0.1}
    """)


def _rules_dir(tmp_path: Path, name: str, *texts: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    for i, text in enumerate(texts):
        (d / f"r{i}.yaml").write_text(text, encoding="utf-8")
    return d


def _load_error(d: Path) -> InputFileError:
    with pytest.raises(InputFileError) as exc:
        load_rules(str(d))
    assert "\n" not in exc.value.message
    return exc.value


def test_good_rule_loads(tmp_path):
    rs = load_rules(str(_rules_dir(tmp_path, "good", GOOD_RULE)))
    (rule,) = rs.rules
    assert rule.id == "TEST001" and rule.verdict == "marginal"
    assert evaluate(rule, {"alpha": 0.1, "draft": "d"}).message == "alpha 0.10 is low for d"


def test_unknown_fact_with_did_you_mean(tmp_path):
    d = _rules_dir(tmp_path, "fact", GOOD_RULE.replace("fact: alpha,", "fact: alpah,"))
    err = _load_error(d)
    assert str(d / "r0.yaml") in err.message and err.line == 12
    assert "unknown candidate fact 'alpah'" in err.message and "did you mean 'alpha'" in err.message


def test_unknown_other_fact(tmp_path):
    d = _rules_dir(tmp_path, "other", GOOD_RULE.replace("value: 0.5}", "other: alpha_hgih}"))
    err = _load_error(d)
    assert "alpha_hgih" in err.message and "did you mean 'alpha_high'" in err.message


def test_workload_fact_in_candidate_rule(tmp_path):
    d = _rules_dir(tmp_path, "scope", GOOD_RULE.replace("fact: alpha,", "fact: best_speedup,"))
    err = _load_error(d)
    assert "unknown candidate fact 'best_speedup'" in err.message


def test_unknown_check_kind(tmp_path):
    d = _rules_dir(tmp_path, "kind", GOOD_RULE.replace("check: facts", "check: fact"))
    err = _load_error(d)
    assert err.line == 10
    assert "unknown check kind 'fact'" in err.message and "did you mean 'facts'" in err.message


@pytest.mark.parametrize(
    "template",
    [
        "{alpha.__class__}",
        "{alpha.__class__.__init__.__globals__}",
        "{alpha[0]}",
        "{0}",
        "{}",
        "{nonexistent_fact}",
    ],
)
def test_template_with_attribute_or_unknown_name_rejected(tmp_path, template):
    d = _rules_dir(tmp_path, "tmpl", GOOD_RULE.replace("alpha {alpha:.2f} is low for {draft}", template))
    err = _load_error(d)
    assert err.line == 6 and "summary" in err.message
    assert "template names unknown fact" in err.message


def test_template_in_remediation_rejected(tmp_path):
    d = _rules_dir(tmp_path, "remed", GOOD_RULE.replace('"fix it"', '"{draft.__class__}"'))
    err = _load_error(d)
    assert err.line == 8 and "remediation" in err.message


def test_malformed_template_rejected(tmp_path):
    d = _rules_dir(
        tmp_path, "brace", GOOD_RULE.replace("alpha {alpha:.2f} is low for {draft}", "alpha {alpha")
    )
    err = _load_error(d)
    assert "bad template" in err.message


def test_duplicate_ids_across_files(tmp_path):
    d = _rules_dir(tmp_path, "dup2", GOOD_RULE, GOOD_RULE.replace("name: test-low-alpha", "name: other-name"))
    err = _load_error(d)
    assert "TEST001" in err.message and "already used" in err.message
    assert str(d / "r1.yaml") in err.message and str(d / "r0.yaml") in err.message


def test_duplicate_ids_in_one_file(tmp_path):
    second = GOOD_RULE.split("rules:\n", 1)[1].replace("name: test-low-alpha", "name: other-name")
    d = _rules_dir(tmp_path, "dup1", GOOD_RULE + second)
    err = _load_error(d)
    assert "TEST001" in err.message and "already used" in err.message and err.line == 17


def test_duplicate_names_rejected(tmp_path):
    d = _rules_dir(tmp_path, "dupname", GOOD_RULE, GOOD_RULE.replace("id: TEST001", "id: TEST002"))
    err = _load_error(d)
    assert "test-low-alpha" in err.message and "already used" in err.message


def test_missing_examples(tmp_path):
    d = _rules_dir(tmp_path, "noex", GOOD_RULE.split("    examples:")[0])
    err = _load_error(d)
    assert "examples" in err.message and "required field is missing" in err.message


def test_examples_need_pass_and_fail(tmp_path):
    d = _rules_dir(tmp_path, "oneex", GOOD_RULE.replace("      fail: {alpha: 0.1}\n", ""))
    err = _load_error(d)
    assert "examples" in err.message and "'pass' and 'fail'" in err.message


@pytest.mark.parametrize(
    ("field", "edit", "needle"),
    [
        ("severity", lambda t: t.replace("severity: warning", "severity: warn"), "did you mean 'warning'"),
        ("scope", lambda t: t.replace("scope: candidate", "scope: candidat"), "did you mean 'candidate'"),
        (
            "verdict",
            lambda t: t.replace("verdict: marginal", "verdict: skip-speculation"),
            "not a candidate verdict",
        ),
        ("op", lambda t: t.replace("op: lt", "op: less"), "is not one of"),
        (
            "unknown-field",
            lambda t: t.replace('    source: "test"\n', '    sorce: "test"\n'),
            "did you mean 'source'",
        ),
        (
            "value-and-other",
            lambda t: t.replace("value: 0.5}", "value: 0.5, other: alpha_low}"),
            "exactly one of",
        ),
        (
            "empty-all",
            lambda t: t.replace("all: [{fact: alpha, op: lt, value: 0.5}]", "all: []"),
            "non-empty list",
        ),
        ("bad-params-key", lambda t: t.replace("all: [", "every: ["), "'facts' takes 'all' and/or 'any'"),
    ],
)
def test_other_loader_refusals(tmp_path, field, edit, needle):
    d = _rules_dir(tmp_path, field, edit(GOOD_RULE))
    err = _load_error(d)
    assert str(d / "r0.yaml") in err.message and err.line is not None
    assert needle in err.message


def test_k_guidance_only_for_candidates(tmp_path):
    text = (
        GOOD_RULE.replace("scope: candidate", "scope: workload")
        .replace("check: facts", "check: k-guidance")
        .replace("all: [{fact: alpha, op: lt, value: 0.5}]", "table: [{alpha_min: 0.5, k_min: 2, k_max: 4}]")
        .replace("alpha {alpha:.2f} is low for {draft}", "k")
        .replace("    verdict: marginal\n", "")
    )
    err = _load_error(_rules_dir(tmp_path, "kg", text))
    assert "candidates only" in err.message


def test_empty_rules_file_is_allowed(tmp_path):
    assert load_rules(str(_rules_dir(tmp_path, "empty", ""))).rules == ()


def test_rules_file_with_duplicate_yaml_key(tmp_path):
    d = _rules_dir(
        tmp_path, "dupkey", GOOD_RULE.replace('    source: "test"\n', '    source: "test"\n    source: "x"\n')
    )
    err = _load_error(d)
    assert err.line == 10 and "duplicate key" in err.message
