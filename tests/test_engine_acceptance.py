"""Engine acceptance of a pair, from each engine's source (issue #16; version ranges in rules/advice.yaml)."""

from __future__ import annotations

from specadvisor.advise.advisor import Workload, compare, recommend
from specadvisor.catalog.core import load_catalog
from specadvisor.model.compat import engine_verdict, tokenizer_verdict

CAT = load_catalog()
Q7, Q05, Q72 = "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-72B-Instruct"


def test_mlx_compares_tokenizers_not_embedding_rows():
    """mlx_lm checks tokenizer vocab sizes: Qwen2.5-7B (152064 rows) + 0.5B (151936 rows) runs."""
    c = compare(CAT, Q7, [Q05], Workload(hardware="apple-m2-max", engine="mlx")).candidates[0]
    assert c.tokenizer == "identical-padded"
    assert c.engine_accepts and c.compatible
    assert "SPEC108" in {r.rule for r in c.reasons} and "SPEC102" not in {r.rule for r in c.reasons}


def test_mlx_still_rejects_a_different_tokenizer():
    c = compare(CAT, Q7, ["meta-llama/Llama-3.2-1B-Instruct"], Workload(hardware="apple-m2-max", engine="mlx"))
    assert not c.candidates[0].compatible


def test_vllm_heterogeneous_vocab_is_greedy_only():
    greedy = compare(CAT, Q72, [Q05], Workload(engine="vllm", temperature=0.0)).candidates[0]
    sampled = compare(CAT, Q72, [Q05], Workload(engine="vllm", temperature=0.8)).candidates[0]
    assert greedy.engine_accepts and greedy.facts["engine_mode"] == "heterogeneous_vocab"
    assert ">= 0.25.0" in greedy.engine_note
    assert not sampled.engine_accepts and "SPEC102" in {r.rule for r in sampled.reasons}


def test_a_launch_without_the_mode_keeps_the_default_check():
    """`check` reads configs that do not ask for heterogeneous vocab: the default verdict is unchanged."""
    t, d = CAT.find_model(Q72), CAT.find_model(Q05)
    assert not engine_verdict("vllm", t, d, tokenizer_verdict(t, d)).accepts


def test_transformers_cannot_draft_with_an_encoder_decoder_for_a_decoder_only_target():
    a = recommend(CAT, "meta-llama/Llama-3.1-70B-Instruct", Workload(engine="transformers", tp=4), top=None)
    t5 = [c for c in a.candidates if "t5" in c.draft_id.lower()]
    assert t5, "the catalog carries T5 checkpoints"
    assert all(c.verdict == "incompatible" and "SPEC107" in {r.rule for r in c.reasons} for c in t5)
    assert all(c.verdict != "recommended" for c in t5)
