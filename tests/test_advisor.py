"""Library-level behaviour of recommend() and compare()."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specadvisor.advise.advisor import Workload, compare, recommend
from specadvisor.catalog.core import load_catalog
from specadvisor.errors import UnknownHardwareError, UnknownModelError, UsageError
from specadvisor.model.coefficients import ENGINES, TASKS

LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
LLAMA_1B = "meta-llama/Llama-3.2-1B-Instruct"
LLAMA_3B = "meta-llama/Llama-3.2-3B-Instruct"
QWEN_05B = "Qwen/Qwen2.5-0.5B-Instruct"
QWEN_72B = "Qwen/Qwen2.5-72B-Instruct"


@pytest.fixture(scope="module")
def advice_70b(catalog):
    return recommend(catalog, LLAMA_70B, Workload(hardware="h100-sxm", tp=4), top=None)


@pytest.fixture(scope="module")
def advice_70b_batch256(catalog):
    return recommend(catalog, LLAMA_70B, Workload(hardware="h100-sxm", tp=4, batch_size=256), top=None)


# -- the headline recommendation -------------------------------------------------------------------


def test_llama_70b_on_4_h100_picks_a_small_llama_3_draft(advice_70b):
    """A Llama 3.x draft of 1-8B (the MI300X measurements put 1B, 3B and 8B drafts within 10% of each other)."""
    best = advice_70b.candidates[0]
    assert best.rank == 1
    assert re.match(r"meta-llama/Llama-3\.(2-[13]B|1-8B)-Instruct(@\w+)?$", best.draft), best.draft
    assert best.compatible and best.engine_accepts
    assert best.verdict == "recommended"
    assert 4 <= best.k <= 8
    assert 2.0 <= best.speedup <= 3.5
    assert best.alpha_source == "estimate"
    assert advice_70b.verdict == "speculate"
    assert advice_70b.workload.tp == 4 and advice_70b.workload.tp_source == "given"
    assert advice_70b.workload.hardware.id == "h100-sxm"
    assert advice_70b.target.spec.id == LLAMA_70B


def test_the_bf16_8b_ranks_below_the_bf16_1b_and_3b(advice_70b):
    """The AMD MI300X measurements (70B + 1B 2.31x, + 3B 2.28x, + 8B 2.04x): at equal precision the 8B costs
    more than its extra acceptance returns. (Quantized 8B drafts land within the band of the 1B.)"""
    rank = {c.draft: c.rank for c in advice_70b.candidates}
    assert rank["meta-llama/Llama-3.2-3B-Instruct"] < rank["meta-llama/Llama-3.1-8B-Instruct"]
    assert rank["meta-llama/Llama-3.2-1B-Instruct"] < rank["meta-llama/Llama-3.1-8B-Instruct"]


def _standing(c) -> int:
    return 0 if c.verdict in ("recommended", "marginal") else 2 if c.verdict == "incompatible" else 1


def test_ranking_is_by_usability_then_speedup_groups(advice_70b):
    """Usable, then runs-but-does-not-pay, then incompatible; inside a standing the tie groups come fastest
    first, and a tie group is ordered toward what deploys as is (released before what-if, less memory)."""
    cands = advice_70b.candidates
    assert [c.rank for c in cands] == list(range(1, len(cands) + 1))
    assert advice_70b.total_candidates == len(cands)
    assert [_standing(c) for c in cands] == sorted(_standing(c) for c in cands)
    groups: list[list] = []
    for c in cands:
        if c.tie and groups and groups[-1][0].tie_group == c.tie_group:
            groups[-1].append(c)
        else:
            groups.append([c])
    for standing in (0, 1):
        leads = [max(x.speedup for x in g) for g in groups if _standing(g[0]) == standing]
        assert leads == sorted(leads, reverse=True)
    for g in groups:
        keys = [(c.virtual, c.facts.get("engine_mode", "default") != "default", c.facts.get("draft_memory_gb", 0.0))
                for c in g]
        assert keys == sorted(keys)
        lead = max(g, key=lambda c: c.speedup)
        assert all(c.speedup >= 0.85 * lead.speedup for c in g)


def test_candidates_are_all_smaller_catalog_models(catalog, advice_70b):
    target = catalog.find_model(LLAMA_70B)
    ids = {c.draft_id for c in advice_70b.candidates if c.method == "draft_model"}  # heads, MTP, n-gram: test_methods.py
    expected = {m.id for m in catalog.models if m.params_b < target.params_b and m.domain != "speech"}
    assert ids == expected  # speech decoders (Whisper) never draft for a text model
    assert LLAMA_70B not in ids
    assert "meta-llama/Llama-3.3-70B-Instruct" not in ids  # same size as the target: not a draft
    assert "meta-llama/Llama-3.1-405B-Instruct" not in ids
    for c in advice_70b.candidates:
        assert c.params_b < target.params_b


def test_virtual_variants_are_offered_for_unquantized_drafts(advice_70b):
    labels = {c.draft for c in advice_70b.candidates}
    assert {LLAMA_1B, f"{LLAMA_1B}@fp8", f"{LLAMA_1B}@int4"} <= labels
    # gpt-oss ships MXFP4 (4.25 bits): no fp8 what-if (more bits), and int4 is not fewer bits either
    assert "openai/gpt-oss-20b" in labels
    assert "openai/gpt-oss-20b@fp8" not in labels and "openai/gpt-oss-20b@int4" not in labels


def test_top_limits_shown_candidates(catalog):
    a = recommend(catalog, LLAMA_70B, Workload(hardware="h100-sxm", tp=4), top=3)
    assert len(a.candidates) == 3 and a.total_candidates > 3


def test_high_batch_skips_speculation(advice_70b_batch256):
    a = advice_70b_batch256
    assert a.verdict == "skip-speculation"
    ids = {r.rule for r in a.reasons}
    assert "SPEC220" in ids  # no usable draft beats 1.0x
    assert "SPEC221" in ids  # throughput-bound batch
    usable = [c for c in a.candidates if c.compatible]
    assert all(c.speedup <= 1.0 for c in usable)
    assert a.workload.batch_size == 256
    assert 1 <= a.workload.effective_batch <= 256


def test_speedup_falls_with_batch(catalog, advice_70b, advice_70b_batch256):
    best1 = {c.draft: c.speedup for c in advice_70b.candidates}
    best256 = {c.draft: c.speedup for c in advice_70b_batch256.candidates}
    for draft in (LLAMA_1B, LLAMA_3B, f"{LLAMA_1B}@fp8"):
        assert best256[draft] < best1[draft]


# -- per-candidate invariants ----------------------------------------------------------------------


def test_candidate_invariants(advice_70b):
    for c in advice_70b.candidates:
        assert list(c.speedup_by_k) == list(range(1, 17)), c.draft
        assert c.alpha_low <= c.alpha <= c.alpha_high, c.draft
        assert 0.0 < c.alpha_low and c.alpha_high < 1.0
        assert c.speedup_low <= c.speedup <= c.speedup_high, c.draft
        assert c.k == c.k_best
        assert c.speedup == pytest.approx(c.speedup_by_k[c.k])
        cap = c.facts.get("k_cap") or len(c.speedup_by_k)  # n-gram / single-layer MTP: k is capped
        assert c.speedup == pytest.approx(max(v for k, v in c.speedup_by_k.items() if k <= cap))
        assert 1.0 <= c.tokens_per_round <= c.k + 1
        assert c.cost_ratio > 0 and c.draft_step_ms > 0 and c.target_step_ms > 0
        assert c.compatible == (c.verdict != "incompatible")
        assert c.verdict in ("recommended", "marginal", "not-worth-it", "incompatible")
        assert c.reasons, f"{c.draft}: every verdict should be explained by at least one rule"
        for r in c.reasons:
            assert re.fullmatch(r"SPEC\d{3}", r.rule)
            assert "{" not in r.message, r.message


def test_quantized_draft_is_cheaper(advice_70b):
    by = {c.draft: c for c in advice_70b.candidates}
    plain, fp8, int4 = by[LLAMA_1B], by[f"{LLAMA_1B}@fp8"], by[f"{LLAMA_1B}@int4"]
    assert int4.cost_ratio < fp8.cost_ratio < plain.cost_ratio
    assert int4.alpha < fp8.alpha < plain.alpha  # quantization costs a little acceptance
    assert fp8.virtual and int4.virtual and not plain.virtual


def test_bigger_same_family_draft_accepts_more(advice_70b):
    by = {c.draft: c for c in advice_70b.candidates}
    assert by[LLAMA_3B].alpha > by[LLAMA_1B].alpha
    assert by["meta-llama/Llama-3.1-8B-Instruct"].alpha > by[LLAMA_3B].alpha


def test_speedup_by_k_keys_follow_max_k(catalog):
    a = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, max_k=7))
    assert list(a.candidates[0].speedup_by_k) == list(range(1, 8))
    assert 1 <= a.candidates[0].k <= 7


# -- compare and compatibility ---------------------------------------------------------------------


def test_vllm_heterogeneous_vocab_is_not_assumed_across_tokenizers(catalog):
    """vLLM >= 0.25.0 can draft over the shared tokens of two tokenizers, but no published run measures that
    acceptance: a Qwen draft for a Llama target stays incompatible, and the note names the mode."""
    a = compare(catalog, LLAMA_70B, [QWEN_05B, LLAMA_1B], Workload(hardware="h100-sxm", tp=4, temperature=0.0))
    qwen = {c.draft: c for c in a.candidates}[QWEN_05B]
    assert not qwen.compatible and "use_heterogeneous_vocab" in qwen.engine_note
    assert a.candidates[0].draft == LLAMA_1B


def test_compare_flags_qwen_draft_for_llama_target(catalog):
    a = compare(catalog, LLAMA_70B, [LLAMA_1B, QWEN_05B], Workload(hardware="h100-sxm", tp=4, temperature=0.7))
    by = {c.draft: c for c in a.candidates}
    qwen = by[QWEN_05B]
    assert not qwen.compatible and qwen.verdict == "incompatible"
    assert qwen.tokenizer == "different" and qwen.relation == "different-tokenizer"
    assert not qwen.engine_accepts
    assert "SPEC101" in {r.rule for r in qwen.reasons}
    assert by[LLAMA_1B].compatible
    assert a.candidates[0].draft == LLAMA_1B and a.candidates[-1].draft == QWEN_05B
    assert a.verdict == "speculate"


def test_qwen_padded_vocab_rejected_by_vllm(catalog):
    """Sampling (T > 0): vLLM's heterogeneous-vocab mode drafts greedily only, so the default check applies."""
    a = compare(catalog, QWEN_72B, [QWEN_05B], Workload(engine="vllm", temperature=0.7))
    c = a.candidates[0]
    assert c.tokenizer == "identical-padded" and c.relation == "same-family"
    assert not c.engine_accepts and not c.compatible and c.verdict == "incompatible"
    assert "SPEC102" in {r.rule for r in c.reasons}
    assert "SPEC101" not in {r.rule for r in c.reasons}
    assert "151936" in c.engine_note and "152064" in c.engine_note


@pytest.mark.parametrize("engine", ["sglang", "trtllm"])
def test_qwen_padded_vocab_rejected_by_other_vocab_checking_engines(catalog, engine):
    c = compare(catalog, QWEN_72B, [QWEN_05B], Workload(engine=engine)).candidates[0]
    assert not c.compatible and "SPEC102" in {r.rule for r in c.reasons}


def test_qwen_padded_vocab_accepted_by_llamacpp(catalog):
    a = compare(catalog, QWEN_72B, [QWEN_05B], Workload(engine="llamacpp"))
    c = a.candidates[0]
    assert c.compatible and c.engine_accepts and c.verdict != "incompatible"
    assert "SPEC102" not in {r.rule for r in c.reasons}
    assert "SPEC101" not in {r.rule for r in c.reasons}


def test_qwen_same_vocab_pair_accepted_by_vllm(catalog):
    c = compare(catalog, QWEN_72B, ["Qwen/Qwen2.5-7B-Instruct"], Workload(engine="vllm")).candidates[0]
    assert c.tokenizer == "identical" and c.engine_accepts and c.compatible


def test_transformers_translates_different_tokenizers(catalog):
    c = compare(catalog, LLAMA_70B, [QWEN_05B], Workload(engine="transformers", tp=4)).candidates[0]
    assert c.engine_accepts and c.compatible
    assert "SPEC105" in {r.rule for r in c.reasons}


def test_compare_keeps_given_order_of_drafts_in_ranking_only(catalog):
    a = compare(catalog, LLAMA_70B, [LLAMA_3B, LLAMA_1B, f"{LLAMA_1B}@int4"], Workload(tp=4))
    assert {c.draft for c in a.candidates} == {LLAMA_3B, LLAMA_1B, f"{LLAMA_1B}@int4"}
    assert a.total_candidates == 3


def test_compare_needs_drafts(catalog):
    with pytest.raises(UsageError):
        compare(catalog, LLAMA_70B, [], Workload())


def test_compare_unknown_draft(catalog):
    with pytest.raises(UnknownModelError) as exc:
        compare(catalog, LLAMA_70B, ["meta-llama/Llama-3.2-1B-Instrct"], Workload())
    assert LLAMA_1B in exc.value.message


# -- workload options ------------------------------------------------------------------------------


def test_measured_alpha_override(catalog):
    a = compare(catalog, LLAMA_70B, [LLAMA_1B, QWEN_05B], Workload(tp=4, alpha=0.8))
    for c in a.candidates:
        assert c.alpha_source == "measured"
        assert c.alpha == c.alpha_low == c.alpha_high == 0.8
    reason = next(r for c in a.candidates if c.draft == LLAMA_1B for r in c.reasons if r.rule == "SPEC213")
    assert "measured" in reason.message


def test_higher_measured_alpha_means_higher_speedup(catalog):
    lo = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, alpha=0.5)).candidates[0]
    hi = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, alpha=0.9)).candidates[0]
    assert hi.speedup > lo.speedup
    assert hi.k >= lo.k


@pytest.mark.parametrize("k", [1, 3, 12, 20])
def test_fixed_k_is_honoured(catalog, k):
    a = compare(catalog, LLAMA_70B, [LLAMA_1B, LLAMA_3B], Workload(tp=4, k=k))
    for c in a.candidates:
        assert c.k == k
        if k <= 16:
            assert c.speedup == pytest.approx(c.speedup_by_k[k])
        assert c.tokens_per_round <= k + 1
        assert c.k_best == max(c.speedup_by_k, key=c.speedup_by_k.__getitem__)


def test_fixed_k_in_recommend(catalog):
    a = recommend(catalog, LLAMA_70B, Workload(tp=4, k=2), top=5)
    assert all(c.k == 2 for c in a.candidates)
    assert a.workload.k == 2


def test_auto_tp_fits_the_target(catalog):
    a = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(hardware="h100-sxm"))
    assert a.workload.tp_source == "auto" and a.workload.tp in (2, 4)
    small = compare(catalog, "meta-llama/Llama-3.1-8B-Instruct", [LLAMA_1B], Workload(hardware="h100-sxm"))
    assert small.workload.tp == 1


def test_hardware_alias_in_workload(catalog):
    a = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(hardware="H100", tp=4))
    assert a.workload.hardware.id == "h100-sxm"


def test_unknown_hardware_in_workload(catalog):
    with pytest.raises(UnknownHardwareError):
        compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(hardware="h1000"))


def test_unknown_target(catalog):
    with pytest.raises(UnknownModelError):
        recommend(catalog, "meta-llama/Llama-3.1-70B-Instrct", Workload())


def test_quantized_target_ref(catalog):
    a = compare(catalog, f"{LLAMA_70B}@fp8", [LLAMA_1B], Workload(hardware="h100-sxm"))
    assert a.target.weight_format == "fp8" and a.target.virtual
    assert a.workload.tp <= 2  # 70 GB of FP8 weights fit on fewer GPUs than 141 GB of BF16


def test_temperature_lowers_alpha(catalog):
    cold = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, temperature=0.0)).candidates[0]
    hot = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, temperature=1.0)).candidates[0]
    assert hot.alpha < cold.alpha


def test_task_moves_alpha_by_its_coefficient(catalog):
    """The task enters alpha only through its (fitted) logit coefficient; 'edit' traffic accepts most."""
    from specadvisor.model.acceptance import logit
    from specadvisor.model.coefficients import load_coefficients

    task_coef = load_coefficients().acceptance.task
    gen = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, task="general")).candidates[0]
    for task in ("code", "edit", "chat"):
        other = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, task=task)).candidates[0]
        shift = logit(other.alpha) - logit(gen.alpha)
        assert shift == pytest.approx(task_coef[task] - task_coef["general"], abs=1e-6)
    edit = compare(catalog, LLAMA_70B, [LLAMA_1B], Workload(tp=4, task="edit")).candidates[0]
    assert edit.alpha > gen.alpha


@pytest.mark.parametrize(
    "field, value",
    [
        ("batch_size", 0),
        ("batch_size", -1),
        ("batch_size", 100_001),
        ("tp", 0),
        ("tp", -2),
        ("tp", 65),
        ("context_len", 0),
        ("temperature", -0.1),
        ("temperature", 11.0),
        ("temperature", math.nan),
        ("alpha", 1.0),
        ("alpha", 1.5),
        ("alpha", -0.1),
        ("alpha", math.nan),
        ("k", 0),
        ("k", 65),
        ("max_k", 0),
        ("max_k", 65),
        ("engine", "foo"),
        ("engine", "VLLM"),
        ("task", "poetry"),
    ],
)
def test_bad_workload_values_raise_usage_error(catalog, field, value):
    w = Workload(**{"hardware": "h100-sxm", "tp": 4, field: value})
    with pytest.raises(UsageError) as exc:
        w.validate()
    assert "\n" not in exc.value.message
    with pytest.raises(UsageError):
        compare(catalog, LLAMA_70B, [LLAMA_1B], w)


def test_usage_error_exit_code():
    assert UsageError("x").exit_code == 2


# -- properties over random pairs and workloads ----------------------------------------------------

_CAT = load_catalog()
_IDS = sorted(m.id for m in _CAT.models)
_HW = sorted(h.id for h in _CAT.hardware)

workloads = st.builds(
    Workload,
    hardware=st.sampled_from(_HW),
    tp=st.sampled_from([None, 1, 2, 4, 8]),
    batch_size=st.sampled_from([1, 4, 32, 256, 4096]),
    context_len=st.sampled_from([128, 2048, 32768]),
    task=st.sampled_from(TASKS),
    temperature=st.floats(min_value=0.0, max_value=2.0),
    engine=st.sampled_from(ENGINES),
    alpha=st.one_of(st.none(), st.floats(min_value=0.0, max_value=0.99)),
    k=st.one_of(st.none(), st.integers(min_value=1, max_value=16)),
    max_k=st.integers(min_value=1, max_value=16),
)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(_IDS), st.sampled_from(_IDS), st.sampled_from(["", "@fp8", "@int4", "@q4_k_m"]), workloads
)
def test_pair_invariants_hold_for_any_workload(target, draft, fmt, w):
    from specadvisor.advise.advisor import tp_problem

    if w.tp is not None and tp_problem(_CAT.find_model(target), w.tp, w.engine):
        with pytest.raises(UsageError, match="refuses to shard"):  # engines refuse a TP that splits a head
            compare(_CAT, target, [draft + fmt], w)
        return
    a = compare(_CAT, target, [draft + fmt], w)
    if a.verdict == "cannot-run":  # the workload itself cannot run: no speedup is ever shown
        assert not a.candidates and any(r.severity == "error" for r in a.reasons)
        return
    (c,) = a.candidates
    assert list(c.speedup_by_k) == list(range(1, w.max_k + 1))
    assert c.alpha_low <= c.alpha <= c.alpha_high
    assert c.speedup_low <= c.speedup <= c.speedup_high
    assert all(math.isfinite(s) and s > 0 for s in c.speedup_by_k.values())
    assert 1.0 <= c.tokens_per_round <= c.k + 1
    if w.k is not None:
        assert c.k == w.k
    else:
        assert c.k == c.k_best and c.speedup == pytest.approx(max(c.speedup_by_k.values()))
    if w.alpha is not None:
        assert c.alpha_source == "measured" and c.alpha == w.alpha
        if w.alpha == 0.0:
            assert c.speedup < 1.0
    else:
        assert c.alpha_source == "estimate"
    assert c.compatible == (c.verdict != "incompatible")
    assert a.verdict in ("speculate", "skip-speculation")
    if not any(x.compatible and x.speedup > 1.0 and x.facts["fits_memory"] for x in a.candidates):
        assert a.verdict == "skip-speculation"


def test_what_if_formats_are_the_engines_own(catalog):
    """llama.cpp loads GGUF quants and MLX its 8/4-bit quants: no FP8 candidates there."""
    from specadvisor.advise.advisor import candidate_drafts

    target = catalog.model("Qwen/Qwen2.5-32B-Instruct")
    by_engine = {e: {d.weight_format for d in candidate_drafts(catalog, target, e) if d.virtual}
                 for e in ("vllm", "llamacpp", "mlx")}
    assert by_engine["vllm"] == {"fp8", "int4"}
    assert by_engine["llamacpp"] == {"q8_0", "q4_k_m"}
    assert by_engine["mlx"] == {"int8", "int4"}


def test_a_reasoning_target_drafts_its_trace_whatever_the_task(catalog):
    """Qwen3 thinks by default: what the draft predicts is the reasoning trace, so --task does not move alpha
    until thinking is turned off; a non-reasoning target follows --task."""
    from specadvisor.model.acceptance import effective_task

    qwen3, llama = catalog.model("Qwen/Qwen3-32B").spec, catalog.model("meta-llama/Llama-3.1-70B-Instruct").spec
    assert qwen3.reasoning and not llama.reasoning
    assert not catalog.model("Qwen/Qwen3-Coder-30B-A3B-Instruct").spec.reasoning
    assert effective_task(qwen3, "code") == "reasoning" and effective_task(qwen3, "code", thinking=False) == "code"
    assert effective_task(llama, "code") == "code"

    def alpha(task: str, thinking: bool = True, target: str = "Qwen/Qwen3-32B", draft: str = "Qwen/Qwen3-1.7B") -> float:
        a = compare(catalog, target, [draft], Workload(task=task, thinking=thinking))
        return a.candidates[0].alpha

    assert alpha("code") == alpha("chat")
    assert alpha("code", thinking=False) != alpha("chat", thinking=False)
    llama_pair = {"target": "meta-llama/Llama-3.1-70B-Instruct", "draft": "meta-llama/Llama-3.2-1B-Instruct"}
    assert alpha("code", **llama_pair) != alpha("chat", **llama_pair)


def test_cli_no_thinking_is_reported_in_the_workload():
    import json as _json

    from cliutil import invoke

    res = invoke("compare", "--target", "Qwen/Qwen3-32B", "Qwen/Qwen3-1.7B", "--no-thinking",
                                   "--format", "json")
    assert res.exit_code == 0, res.output
    assert _json.loads(res.stdout)["workload"]["thinking"] is False
