"""The roofline cost model's hardware-specific terms: emulated bf16 on Apple M1/M2, per-kind FLOP efficiency."""

from __future__ import annotations

import dataclasses

import pytest

from specadvisor.calibration.fit import prior_document
from specadvisor.errors import InputFileError
from specadvisor.model.coefficients import load_coefficients, parse_coefficients
from specadvisor.model.costs import Deployment, forward_cost


def _verify_ratio(catalog, model_id: str, hw_id: str, engine: str, tokens: int = 5) -> float:
    """Target forward over `tokens` tokens / over 1 token: what verifying k+1 = `tokens` drafts costs."""
    co = load_coefficients().cost
    dep = Deployment(catalog.hardware_by_name(hw_id), 1, 1, 1024, engine)
    model = catalog.model(model_id)
    return forward_cost(model, dep, tokens, co).ms / forward_cost(model, dep, 1, co).ms


def test_catalog_marks_m1_and_m2_as_emulating_bf16(catalog):
    emulated = {h.id for h in catalog.hardware if not h.bf16_native}
    assert {"apple-m1-pro", "apple-m1-ultra", "apple-m2-ultra"} <= emulated
    assert not emulated & {"apple-m3-pro", "apple-m4", "apple-m4-max", "h100-sxm", "rtx-4090"}


def test_emulated_bf16_makes_verification_costlier_for_bf16_checkpoints_in_mlx(catalog):
    """On an M1 Ultra, MLX computes a bf16 checkpoint in emulated bf16: k+1 tokens cost more than on the
    same chip under llama.cpp (fp16/fp32 compute) and more than on an M4 Max (native bf16)."""
    qwen = "Qwen/Qwen2.5-32B-Instruct"  # a bf16 checkpoint
    mlx_m1 = _verify_ratio(catalog, f"{qwen}@int4", "apple-m1-ultra", "mlx")
    llamacpp_m1 = _verify_ratio(catalog, f"{qwen}@int4", "apple-m1-ultra", "llamacpp")
    mlx_native = dataclasses.replace(catalog.hardware_by_name("apple-m1-ultra"), bf16_native=True)
    co = load_coefficients().cost
    model = catalog.model(f"{qwen}@int4")
    dep = Deployment(mlx_native, 1, 1, 1024, "mlx")
    native_ratio = forward_cost(model, dep, 5, co).ms / forward_cost(model, dep, 1, co).ms
    assert mlx_m1 > llamacpp_m1
    assert mlx_m1 > native_ratio


def test_fp16_checkpoints_are_not_affected_by_bf16_emulation(catalog):
    opt = "facebook/opt-6.7b"  # float16 checkpoint
    assert catalog.model(opt).spec.precision in ("fp16", "float16")
    co = load_coefficients().cost
    hw = catalog.hardware_by_name("apple-m1-ultra")
    model = catalog.model(opt)
    for tokens in (1, 5):
        a = forward_cost(model, Deployment(hw, 1, 1, 1024, "mlx"), tokens, co).ms
        b = forward_cost(model, Deployment(dataclasses.replace(hw, bf16_native=True), 1, 1, 1024, "mlx"), tokens, co).ms
        assert a == pytest.approx(b)


def test_flops_efficiency_is_per_device_kind_and_a_single_number_still_reads():
    doc = prior_document()
    assert set(parse_coefficients(doc, "c.yaml").cost.flops_efficiency) >= {"gpu", "apple", "cpu", "tpu"}
    doc["cost"]["flops_efficiency"] = 0.5  # a fitted file written before the split
    assert parse_coefficients(doc, "c.yaml").cost.flops_efficiency["apple"] == 0.5
    doc["cost"]["flops_efficiency"] = {"gpu": "fast"}
    with pytest.raises(InputFileError, match="flops_efficiency.gpu"):
        parse_coefficients(doc, "c.yaml")


def test_bf16_native_must_be_a_boolean(tmp_path):
    from specadvisor.catalog.core import load_catalog_file

    bad = tmp_path / "hw.yaml"
    bad.write_text(
        "hardware:\n"
        "  - {id: x1, name: X1, vendor: acme, kind: apple, memory_gb: 16, bandwidth_gbs: 100, bf16_tflops: 4,\n"
        "     source: https://example.com, bf16_native: maybe}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="bf16_native"):
        load_catalog_file(bad)


def test_pre_ampere_cuda_cards_have_no_bf16_but_do_not_emulate_it(catalog):
    """V100 (cc 7.0) and P40 (cc 6.1) have no bf16 units (sourced in the catalog); engines run bf16
    checkpoints in fp16 there (vLLM refuses bf16 below cc 8.0), so no Metal-style emulation slows them."""
    co = load_coefficients().cost
    for hw_id in ("tesla-v100", "tesla-p40"):
        hw = catalog.hardware_by_name(hw_id)
        assert hw.bf16_native is False
        model = catalog.model("meta-llama/Llama-3.1-8B-Instruct")  # a bf16 checkpoint
        dep = Deployment(hw, 1, 1, 1024, "vllm")
        as_if_native = Deployment(dataclasses.replace(hw, bf16_native=True), 1, 1, 1024, "vllm")
        assert forward_cost(model, dep, 5, co).ms == forward_cost(model, as_if_native, 5, co).ms


def test_h100_nvl_bandwidth_is_sourced(catalog):
    hw = catalog.hardware_by_name("h100-nvl")
    assert hw.bandwidth_gbs == 3900 and hw.memory_gb == 94
    assert "3.9" in (hw.note or "") and hw.source.startswith("https://")
