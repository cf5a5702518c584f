"""The memory model (issue #16): device GiB, the KV budget as vLLM sizes it, and workloads that cannot run.

Each test here failed on the code before the fix: catalog "80GB" read as 80e9 bytes left a 70B+1B pair
on 2xH100 about one sequence (0.31x at concurrency 8), a 1M-token context on a 128k model was
"recommended", a target that does not fit answered skip-speculation, and the draft's cost in
concurrency was never said.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specadvisor.advise.advisor import Workload, compare, recommend
from specadvisor.catalog.core import load_catalog
from specadvisor.errors import UsageError
from specadvisor.model.coefficients import load_coefficients
from specadvisor.model.memory import GIB, device_share, memory_budget

CAT = load_catalog()
L70 = "meta-llama/Llama-3.3-70B-Instruct"
L8 = "meta-llama/Llama-3.1-8B-Instruct"
L1 = "meta-llama/Llama-3.2-1B-Instruct"


def _budget(target: str, draft: str | None, hw: str, tp: int, ctx: int = 1024, engine: str = "vllm"):
    c = load_coefficients().cost
    d = CAT.model(draft) if draft else None
    return memory_budget(CAT.model(target), d, CAT.hardware_by_name(hw), tp, ctx, engine,
                         c.memory_utilization, c.kv_bytes_per_value)


def test_device_memory_is_gib():
    """An H100 "80GB" has 80 GiB: vLLM's log reads total_gpu_memory 79.22 GiB after the CUDA context."""
    h100 = CAT.hardware_by_name("h100-sxm")
    assert h100.memory_bytes == 80 * 2**30
    b = _budget(L70, None, "h100-sxm", 2)
    assert b.usable_bytes == pytest.approx(2 * 80 * GIB * 0.9)


def test_70b_with_1b_on_two_h100_still_pays_at_concurrency():
    """Published vLLM V1 runs: ~3x at concurrency 8 and still above 1x at 64 (k = 7)."""
    for batch, floor in ((8, 1.8), (64, 1.0)):
        a = compare(CAT, L70, [L1], Workload(hardware="h100-sxm", tp=2, batch_size=batch, k=7))
        (c,) = a.candidates
        assert a.verdict == "speculate", batch
        assert c.speedup > floor, (batch, c.speedup)
        assert c.facts["running_batch"] >= min(batch, 15)  # ~21 sequences of 1024 tokens beside 141 GB + the draft


def test_the_draft_cost_in_concurrency_is_said():
    """8B + 1B on an L4 at batch 32: the draft's weights and KV leave ~18 sequences running; say so."""
    a = compare(CAT, L8, [L1], Workload(hardware="l4", batch_size=32))
    (c,) = a.candidates
    assert c.facts["running_batch_base"] == 32
    assert 10 <= c.facts["running_batch"] < 32
    msg = [r.message for r in c.reasons if r.rule == "SPEC214"]
    assert msg and f"{c.facts['running_batch']} sequences run at once, 32 without it" in msg[0]


def test_context_beyond_the_model_maximum_cannot_run():
    a = recommend(CAT, L8, Workload(context_len=1_000_000))
    assert a.verdict == "cannot-run"
    assert not a.candidates
    assert [r.rule for r in a.reasons if r.severity == "error"] == ["SPEC225"]
    assert "131072" in a.reasons[0].message


def test_a_target_that_does_not_fit_is_its_own_verdict():
    a = recommend(CAT, "meta-llama/Llama-3.1-70B-Instruct", Workload(hardware="h100-sxm", tp=1))
    assert a.verdict == "cannot-run" and not a.candidates
    assert any(r.rule == "SPEC222" for r in a.reasons)
    assert not any("best:" in r.message for r in a.reasons)


def test_no_sequence_fits_is_not_one_sequence():
    """A 128k-token sequence of an 8B model needs 16 GiB of KV: on an L4 none fits beside the weights."""
    a = recommend(CAT, L8, Workload(hardware="l4", tp=1, context_len=131072))
    assert a.verdict == "cannot-run"
    messages = " ".join(r.message for r in a.reasons)
    assert "SPEC226" in {r.rule for r in a.reasons} and "no sequence" in messages
    assert "only 1 sequence" not in messages and "only 0" not in messages


def test_draft_weights_and_kv_share_the_pool():
    b = _budget(L8, L1, "l4", 1)
    assert b.draft_weight_bytes == pytest.approx(CAT.model(L1).spec.params_b * 1e9 * 2)
    assert b.kv_per_seq_draft > 0
    assert b.seqs_with_draft < b.seqs_without_draft


def test_apple_gpus_use_metals_working_set_only():
    """Metal lets the GPU wire ~70-84% of unified memory by default (recommendedMaxWorkingSetSize)."""
    small = replace(CAT.hardware_by_name("apple-m4"), memory_gb=16.0)
    big = replace(small, memory_gb=128.0)
    assert device_share(small, 0.9) == pytest.approx(0.70)
    assert device_share(big, 0.9) == pytest.approx(0.84)
    assert device_share(replace(big, working_set_fraction=0.95), 0.9) == pytest.approx(0.95)
    assert device_share(CAT.hardware_by_name("h100-sxm"), 0.9) == pytest.approx(0.9)


def test_auto_tp_puts_gpt_oss_120b_on_one_h100():
    """gpt-oss-120b's MXFP4 experts take ~61 GB: it runs on one 80 GiB H100."""
    a = recommend(CAT, "openai/gpt-oss-120b", Workload(hardware="h100-sxm"), top=1)
    assert a.workload.tp == 1 and a.workload.tp_source == "auto"


def test_tp_that_splits_a_head_is_refused():
    """vLLM: 'Total number of attention heads (64) must be divisible by tensor parallel size (3)'."""
    with pytest.raises(UsageError) as exc:
        recommend(CAT, L70, Workload(hardware="h100-sxm", tp=3))
    assert "\n" not in exc.value.message and "64 attention heads" in exc.value.message
    # llama.cpp splits by layer, so any device count runs
    assert recommend(CAT, L70, Workload(hardware="h100-sxm", tp=3, engine="llamacpp"), top=1).workload.tp == 3


_HW = sorted(h.id for h in CAT.hardware)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_HW), st.sampled_from([1, 2, 4, 8]), st.sampled_from([128, 1024, 8192, 65536]),
       st.sampled_from(["vllm", "llamacpp", "mlx"]))
def test_budget_invariants(hw: str, tp: int, ctx: int, engine: str) -> None:
    """A draft never adds sequences; more devices never remove them; a longer context never adds them."""
    b = _budget(L8, L1, hw, tp, ctx, engine)
    assert 0 <= b.seqs_with_draft <= b.seqs_without_draft
    assert _budget(L8, L1, hw, tp * 2, ctx, engine).seqs_without_draft >= b.seqs_without_draft
    assert _budget(L8, L1, hw, tp, ctx * 2, engine).seqs_without_draft <= b.seqs_without_draft
    if b.seqs_without_draft == 0:
        assert b.problem() is not None


def test_max_context_follows_rope_scaling():
    """vLLM's derived max_model_len: yarn scales the original length, llama3 is already scaled."""
    from specadvisor.hub.config import derived_max_context

    # mimics a Qwen2.5 config.json with its card's YaRN block enabled (factor 4 over 32768)
    yarn = {"max_position_embeddings": 32768,
            "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}
    assert derived_max_context(yarn) == 131072
    # mimics Llama-3.1's config.json: the rope_scaling block of type llama3 leaves 131072 as is
    llama3 = {"max_position_embeddings": 131072,
              "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192}}
    assert derived_max_context(llama3) == 131072
    assert derived_max_context({"max_position_embeddings": 4096, "rope_scaling": {"type": "linear", "factor": 2.0}}) == 8192
    assert derived_max_context({"n_positions": 2048}) == 2048
