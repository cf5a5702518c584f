"""Speculators beyond a separate draft (issue #12): per-position acceptance, heads, MTP and n-gram in
recommend/compare, the --method filter and --emit per method and engine.

Published figures are rows of docs/research/speculators-2026.md (named per test); the heads and MTP
layer counts are in heads_catalog.yaml / model_catalog.yaml with their sources.
"""

from __future__ import annotations

import json
import statistics

import pytest
from cliutil import invoke
from hypothesis import given
from hypothesis import strategies as st

from specadvisor.advise.advisor import Workload, compare, recommend
from specadvisor.catalog.heads import load_heads, load_heads_file
from specadvisor.errors import InputFileError
from specadvisor.hub.config import mtp_layers_of
from specadvisor.model.methods import AcceptanceCurve, acceptance_curve
from specadvisor.model.speedup import tokens_per_round

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
DSV3 = "deepseek-ai/DeepSeek-V3"

# -- the curve ---------------------------------------------------------------------------------------

probs = st.floats(min_value=0.0, max_value=0.99)


@given(a1=probs, tail=probs, rho=st.floats(min_value=0.0, max_value=1.0), k=st.integers(1, 32),
       m=st.floats(min_value=0.0, max_value=1.0))
def test_tau_is_bounded_and_non_decreasing_in_k(a1: float, tail: float, rho: float, k: int, m: float) -> None:
    c = AcceptanceCurve("eagle3", a1, tail, rho, "test", match_rate=m)
    assert 1.0 <= c.tau(k) <= k + 1 + 1e-9
    assert c.tau(k + 1) >= c.tau(k) - 1e-12
    cum = c.cumulative(k)
    assert all(x >= y - 1e-15 for x, y in zip(cum, cum[1:], strict=False))  # c_i is non-increasing


@given(a=probs, k=st.integers(1, 32))
def test_flat_curve_is_the_iid_formula(a: float, k: int) -> None:
    """a_1 = a_tail reduces the per-position model to the i.i.d. alpha of Leviathan et al."""
    assert AcceptanceCurve("draft_model", a, a, 0.5, "test").tau(k) == pytest.approx(tokens_per_round(a, k))


@given(k=st.integers(1, 16))
def test_band_brackets_the_curve(k: int) -> None:
    c = acceptance_curve("ngram", "edit")
    assert c.shifted(-1).tau(k) <= c.tau(k) <= c.shifted(+1).tau(k)


@pytest.mark.parametrize(("method", "task", "published", "tol"), [
    # G13: Llama-3.1-8B <- EAGLE-3 (yuhuili), vLLM, MT-Bench, AL at k = 2..7
    ("eagle3", "chat", {2: 2.36, 3: 2.79, 4: 3.08, 5: 3.32, 6: 3.46, 7: 3.54}, 0.05),
    # G14: the same target <- EAGLE-1
    ("eagle", "chat", {2: 2.10, 3: 2.29, 4: 2.39, 5: 2.43, 6: 2.45, 7: 2.47}, 0.1),
    # G6: Kimi-K2.5 <- EAGLE-3, coding
    ("eagle3", "code", {1: 1.83, 2: 2.43, 4: 3.24, 8: 3.77}, 0.1),
])
def test_priors_reproduce_published_al_curves(method: str, task: str, published: dict[int, float], tol: float) -> None:
    c = acceptance_curve(method, task)
    for k, al in published.items():
        assert c.al(k) == pytest.approx(al, abs=tol), (method, k)


def test_multi_layer_mtp_prior_lies_between_glm_and_qwen_curves() -> None:
    """G3 (GLM-5.2 MTP) and G4 (Qwen3.5 MTP), InferenceX AL at k = 1..8: the prior sits between them."""
    glm = [1.84, 2.50, 2.99, 3.33, 3.61, 3.78, 3.91, 4.06]
    qwen = [1.93, 2.73, 3.39, 3.97, 4.41, 4.80, 5.04, 5.21]
    c = acceptance_curve("mtp", "code")
    for k in range(1, 9):
        assert glm[k - 1] - 0.05 <= c.al(k) <= qwen[k - 1] + 0.05, k


@pytest.mark.parametrize(("task", "tokens_per_step"), [("edit", 2.96), ("code", 1.95)])
def test_ngram_match_rate_reproduces_seq_normalised_al(task: str, tokens_per_step: float) -> None:
    """P11 (Blazedit) and P10 (InstructCoder): vLLM n-gram k=5, tokens per step over all steps."""
    assert acceptance_curve("ngram", task).tau(5) == pytest.approx(tokens_per_step, abs=0.05)


def test_ngram_depends_on_how_grounded_the_task_is() -> None:
    taus = {t: acceptance_curve("ngram", t).tau(5) for t in ("edit", "summarization", "code", "chat")}
    assert taus["edit"] > taus["code"] > taus["chat"]
    assert taus["summarization"] > taus["chat"]


def test_single_layer_mtp_collapses_after_position_three() -> None:
    """DeepSeek re-runs one MTP layer for k > 1 (G1/G2: AL flat after k 3)."""
    from specadvisor.catalog.core import load_catalog

    c = acceptance_curve("mtp", "general", load_catalog().find_model(DSV3))
    assert c.k_cap == 3
    assert c.al(8) - c.al(3) < 0.2
    assert c.al(1) == pytest.approx(1.85, abs=0.05)  # P15: 85-90% second-token acceptance


# -- the check cases -------------------------------------------------------------------------


def test_llama_8b_sglang_ranks_eagle3_beside_drafts_within_30pct_of_published(catalog) -> None:
    """S1: SGLang docs, Llama-3.1-8B-Instruct <- EAGLE-3 on 1x H100, MT-Bench: 2.36x."""
    a = recommend(catalog, LLAMA_8B, Workload(hardware="h100-sxm", engine="sglang"), top=None)
    methods = {c.method for c in a.candidates}
    assert {"eagle3", "draft_model"} <= methods
    heads = [c for c in a.candidates if c.method == "eagle3" and c.compatible]
    assert heads and all(c.verdict == "recommended" for c in heads)
    best_head = heads[0]
    assert abs(best_head.speedup - 2.36) / 2.36 <= 0.30, best_head.speedup
    best_draft = next(c for c in a.candidates if c.method == "draft_model")
    assert best_head.rank < best_draft.rank  # the head is ranked above the best separate draft
    # the speculators-format head is vLLM's only: SGLang does not list it as runnable
    rh = next(c for c in a.candidates if c.draft.startswith("RedHatAI/"))
    assert rh.verdict == "incompatible"


def test_deepseek_v3_on_8_h200_offers_its_own_mtp(catalog) -> None:
    a = recommend(catalog, DSV3, Workload(hardware="h200", tp=8, engine="sglang"), top=None)
    mtp = [c for c in a.candidates if c.method == "mtp"]
    assert len(mtp) == 1 and mtp[0].draft == f"{DSV3}#mtp"
    assert mtp[0].verdict == "recommended" and mtp[0].speedup > 1.25
    assert mtp[0].k <= 3  # single re-run layer (SPEC255)
    assert any(r.rule == "SPEC255" for r in mtp[0].reasons)
    usable = [c for c in a.candidates if c.verdict == "recommended"]
    assert usable[0].method in ("mtp", "ngram")  # no separate draft shares DeepSeek's tokenizer


def test_deepseek_v3_mtp_within_30pct_of_sglang_published(catalog) -> None:
    """M0: SGLang docs, DeepSeek-V3 MTP on 8x H200, batch 1: 1.8x. The prediction (~1.34x) is low: the
    roofline puts a DeepSeek-V3 step at ~3.3 ms where SGLang ran ~23 ms (M2: 77 tok/s at 1.76x), so the
    MTP step's fixed costs weigh too much; within 30% nonetheless."""
    a = recommend(catalog, DSV3, Workload(hardware="h200", tp=8, engine="sglang", methods=("mtp",)), top=None)
    assert abs(a.candidates[0].speedup - 1.8) / 1.8 <= 0.30


def test_edit_task_offers_ngram_first_and_chat_does_not(catalog) -> None:
    edit = recommend(catalog, LLAMA_8B, Workload(hardware="h100-sxm", task="edit"), top=None)
    ng_edit = next(c for c in edit.candidates if c.method == "ngram")
    assert ng_edit.verdict == "recommended"
    # N12 (SpecDecode-Bench, vLLM H100): n-gram is optimal for code editing; it beats the trained head there
    assert ng_edit.speedup > max(c.speedup for c in edit.candidates if c.method == "eagle3")
    chat = recommend(catalog, LLAMA_8B, Workload(hardware="h100-sxm", task="chat"), top=None)
    ng = next(c for c in chat.candidates if c.method == "ngram")
    head = next(c for c in chat.candidates if c.method == "eagle3")
    assert head.speedup > ng.speedup
    assert any(r.rule == "SPEC254" for r in ng.reasons)  # says n-gram needs grounded input


# Published same-setup pairs (research 2d and 2a), better first: (target, hw, engine, k, better, worse, pub).
# Spec-Bench ran research code; the test prices both members on vLLM's costs (only the order is compared).
PAIRS = [
    ("lmsys/vicuna-7b-v1.3", "a100-80gb", "vllm", None, "yuhuili/EAGLE-Vicuna-7B-v1.3", "double7/vicuna-68m",
     (2.29, 1.49)),  # H1
    ("lmsys/vicuna-13b-v1.3", "a100-80gb", "vllm", None, "yuhuili/EAGLE-Vicuna-13B-v1.3", "double7/vicuna-68m",
     (2.34, 1.49)),  # H2
    ("lmsys/vicuna-33b-v1.3", "a100-80gb", "vllm", None, "yuhuili/EAGLE-Vicuna-33B-v1.3", "double7/vicuna-68m",
     (2.47, 1.61)),  # H3
    ("lmsys/vicuna-7b-v1.3", "rtx-3090", "vllm", None, "yuhuili/EAGLE-Vicuna-7B-v1.3", "double7/vicuna-68m",
     (2.16, 1.83)),  # H4
    (LLAMA_8B, "h100-sxm", "vllm", 2, "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "yuhuili/EAGLE-LLaMA3.1-Instruct-8B",
     (1.65, 1.51)),  # S3/S4, K = 2
    (LLAMA_8B, "h100-sxm", "vllm", None, "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "yuhuili/EAGLE-LLaMA3.1-Instruct-8B",
     (1.75, 1.65)),  # S4b, each at its best K
    (LLAMA_8B, "h100-sxm", "sglang", None, "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "yuhuili/EAGLE-LLaMA3.1-Instruct-8B",
     (2.36, 1.54)),  # S1 (EAGLE-2 runs the EAGLE-1 head with a dynamic tree)
]


def test_published_pairs_order_and_error(catalog) -> None:
    right, errors = 0, []
    for target, hw, engine, k, better, worse, pub in PAIRS:
        a = compare(catalog, target, [better, worse], Workload(hardware=hw, engine=engine, k=k, task="chat"))
        by = {c.draft: c for c in a.candidates}
        assert by[better].method != "draft_model"
        right += by[better].speedup > by[worse].speedup
        errors += [abs(by[better].speedup - pub[0]) / pub[0], abs(by[worse].speedup - pub[1]) / pub[1]]
    assert right / len(PAIRS) >= 0.8
    # the advice model's bar (README "How accurate is it?"): median error and share within 25%
    assert statistics.median(errors) <= 0.20
    assert sum(e <= 0.25 for e in errors) / len(errors) >= 0.75


def test_heads_are_offered_only_for_their_target(catalog) -> None:
    qwen = recommend(catalog, "Qwen/Qwen3-8B", Workload(hardware="h100-sxm"), top=None)
    heads = {c.draft for c in qwen.candidates if c.method in ("eagle", "eagle3")}
    assert heads == {h.id for h in load_heads().heads if h.target == "Qwen/Qwen3-8B"}
    llama70 = recommend(catalog, "meta-llama/Llama-3.1-70B-Instruct", Workload(hardware="h100-sxm", tp=4), top=None)
    assert not [c for c in llama70.candidates if c.method in ("eagle", "eagle3")]  # heads exist for 3.3-70B only
    assert not [c for c in llama70.candidates if c.method == "mtp"]  # Llama has no MTP layers


def test_head_costs_a_few_percent_of_the_target(catalog) -> None:
    a = recommend(catalog, LLAMA_8B, Workload(hardware="h100-sxm", methods=("eagle3", "eagle")), top=None)
    for c in a.candidates:
        assert 0.02 < c.cost_ratio < 0.2, (c.draft, c.cost_ratio)  # C9: EAGLE-3 ~6.6% of a step
    e1 = next(c for c in a.candidates if c.method == "eagle")
    e3 = next(c for c in a.candidates if c.draft == "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B")
    assert e1.draft_step_ms > e3.draft_step_ms * 0.9  # EAGLE-1 computes the full 128K-row head


# -- the CLI -----------------------------------------------------------------------------------------


def test_method_filter_and_json_method_field() -> None:
    r = invoke("recommend", "--target", LLAMA_8B, "--method", "eagle3", "--method", "ngram", "--format", "json",
               "--top", "0")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["schema_version"] == 1
    assert {c["method"] for c in doc["candidates"]} == {"eagle3", "ngram"}


def test_table_shows_the_method() -> None:
    r = invoke("recommend", "--target", LLAMA_8B, "--method", "ngram", "--method", "eagle3", "--top", "3")
    assert r.exit_code == 0, r.output
    assert "ngram (ngram)" in r.output and "(eagle3)" in r.output


def test_unknown_method_is_a_one_line_usage_error() -> None:
    r = invoke("recommend", "--target", LLAMA_8B, "--method", "lookahead")
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_compare_accepts_heads_mtp_and_ngram() -> None:
    r = invoke("compare", "--target", DSV3, "--hardware", "h200", "--tp", "8", "mtp", "ngram", "--format", "json")
    assert r.exit_code == 0, r.output
    assert {c["method"] for c in json.loads(r.output)["candidates"]} == {"mtp", "ngram"}


@pytest.mark.parametrize(("args", "expect"), [
    (["--target", LLAMA_8B, "--method", "eagle3", "--emit", "vllm"], ["eagle3 on vllm", "vllm serve"]),
    (["--target", "meta-llama/Llama-3.3-70B-Instruct", "--tp", "4", "--method", "eagle3", "--emit", "vllm"],
     ["eagle3 on vllm"]),
    (["--target", LLAMA_8B, "--method", "eagle3", "--engine", "sglang", "--emit", "sglang"],
     ["--speculative-algorithm EAGLE3", "--speculative-eagle-topk 1"]),
    (["--target", DSV3, "--hardware", "h200", "--tp", "8", "--method", "mtp", "--engine", "sglang", "--emit", "sglang"],
     ["--speculative-algorithm EAGLE", "--speculative-num-steps"]),
    (["--target", DSV3, "--hardware", "h200", "--tp", "8", "--method", "mtp", "--emit", "vllm"], ['"method":"mtp"']),
    (["--target", DSV3, "--hardware", "h200", "--tp", "8", "--method", "mtp", "--emit", "trtllm"],
     ["decoding_type: MTP", "num_nextn_predict_layers"]),
    (["--target", LLAMA_8B, "--task", "edit", "--method", "ngram", "--emit", "trtllm"], ["decoding_type: NGram"]),
    (["--target", LLAMA_8B, "--task", "edit", "--method", "ngram", "--emit", "llamacpp"], ["--spec-type ngram-mod"]),
    (["--target", DSV3, "--hardware", "h200", "--tp", "8", "--method", "mtp", "--emit", "llamacpp"],
     ["--spec-type draft-mtp", "--spec-draft-n-max"]),
    # the k-per-concurrency schedule in each engine's own form
    (["--target", LLAMA_8B, "--method", "eagle3", "--emit", "vllm"], ["num_speculative_tokens_per_batch_size"]),
    (["--target", LLAMA_8B, "--method", "eagle3", "--emit", "trtllm"], ["draft_len_schedule"]),
])
def test_emit_per_method_and_engine(args: list[str], expect: list[str]) -> None:
    r = invoke("recommend", *args)
    assert r.exit_code == 0, r.output
    for s in expect:
        assert s in r.output, (s, r.output)
    if "--speculative-config" in r.output:
        spec = json.loads(r.output.split("--speculative-config ", 1)[1].split("\n")[0].strip("'"))
        assert spec["num_speculative_tokens"] >= 1


@pytest.mark.parametrize("args", [
    ["--target", LLAMA_8B, "--method", "eagle3", "--emit", "transformers"],
    ["--target", LLAMA_8B, "--method", "eagle", "--emit", "trtllm"],  # EAGLE-1/2 not on the PyTorch backend
    ["--target", LLAMA_8B, "--method", "eagle3", "--emit", "llamacpp"],  # no GGUF of these heads catalogued
])
def test_emit_says_when_an_engine_cannot_run_the_method(args: list[str]) -> None:
    r = invoke("recommend", *args)
    assert r.exit_code != 0 or "--speculative" not in r.output or "eagle" not in r.output.lower()
    assert "Traceback" not in r.output


def test_schedule_turns_speculation_off_where_it_stops_paying(catalog) -> None:
    """research 7.3: speedup falls with batch; the schedule's k never rises above the batch-1 k and is
    0 (off) where the prediction is not above 1.0x."""
    from specadvisor.advise.methods import method_options
    from specadvisor.advise.schedule import k_schedule, off_above
    from specadvisor.model.coefficients import load_coefficients
    from specadvisor.rules.engine import load_rules

    a = recommend(catalog, LLAMA_8B, Workload(hardware="l40s", methods=("ngram",)), top=None)
    target = catalog.model(LLAMA_8B)
    option = method_options(target, load_heads(), ("ngram",))[0]
    sched = k_schedule(target, option, a.workload, load_coefficients(), load_rules(), load_heads())
    assert sched[0][0] == 1 and sched[-1][1] == 512
    assert all(b + 1 == c for (_, b, _), (c, _, _) in zip(sched, sched[1:], strict=False))  # contiguous
    stop = off_above(sched)
    if stop is not None:
        assert all(k == 0 for first, _, k in sched if first > stop)


def test_schedule_forms_in_each_engines_syntax() -> None:
    from specadvisor.advise.schedule import off_above, trtllm_form, vllm_form

    sched = [(1, 16, 5), (17, 64, 3), (65, 128, 1), (129, 512, 0)]
    assert vllm_form(sched) == "[[1,16,5],[17,64,3],[65,128,1],[129,512,0]]"  # vLLM docs example shape
    assert trtllm_form(sched) == "{16: 5, 64: 3, 128: 1}"  # draft_len_schedule: off beyond the last key
    assert off_above(sched) == 128
    assert off_above([(1, 512, 4)]) is None


# -- data --------------------------------------------------------------------------------------------


def test_heads_catalog_rows_are_sourced_and_point_at_catalog_targets(catalog) -> None:
    h = load_heads()
    assert len(h.heads) >= 10
    for head in h.heads:
        assert head.source.startswith("research ")
        assert catalog.find_model(head.target) is not None, head.target
        if head.target_vocab:
            assert head.target_vocab == catalog.find_model(head.target).vocab_size, head.id
        assert (head.vocab_mapping == "d2t") == (head.draft_vocab < (head.target_vocab or head.draft_vocab + 1))


def test_bad_heads_file_names_file_line_and_field(tmp_path) -> None:
    p = tmp_path / "heads.yaml"
    p.write_text("heads:\n  - id: x/y\n    method: lookahead\n    target: t\n    layers: 1\n    draft_vocab: 10\n"
                 "    vocab_mapping: none\n    source: s\nengine_support: {}\n")
    with pytest.raises(InputFileError) as e:
        load_heads_file(p)
    msg = str(e.value)
    assert str(p) in msg and "method" in msg and ":2" in msg or ":3" in msg


@pytest.mark.parametrize(("cfg", "expect"), [
    ({"num_nextn_predict_layers": 1}, (1, "num_nextn_predict_layers")),  # DeepSeek-V3 / GLM-4.5 form
    ({"mtp_num_hidden_layers": 1}, (1, "mtp_num_hidden_layers")),  # Qwen3.5 form
    ({"num_mtp_modules": 3}, (3, "num_mtp_modules")),  # MiniMax-M3 form
    ({"mtp_config": {"num_nextn_predict_layers": 2}}, (2, "mtp_config.num_nextn_predict_layers")),  # Inkling
    ({"num_nextn_predict_layers": 0}, (0, "")),
    ({}, (0, "")),
])
def test_mtp_detected_from_config_fields(cfg: dict, expect: tuple[int, str]) -> None:
    """Field names as vLLM's hf_config_override reads them (research section 6)."""
    assert mtp_layers_of(cfg) == expect
