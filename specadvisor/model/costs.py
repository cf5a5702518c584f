"""A roofline cost model for one forward pass of a decoder on a tensor-parallel group.

Per forward: the weight GEMMs take max(weight bytes / bandwidth, GEMM FLOPs / peak); attention takes
max(KV-cache bytes / bandwidth, attention FLOPs / peak) - two separate kernels, each bounded on its own,
as LLM-Viewer sums its per-operator rooflines (../shared/reference/hub-and-cost.md 4.1). Fixed costs
per forward and per layer keep tiny drafts from looking free, and a TP group pays two all-reduces per
layer. Verification of k+1 tokens for b sequences is one forward over b*(k+1) tokens: the same weight
bytes but k+1 times the FLOPs, so it turns compute-bound at high batch. MoE layers read only the
experts the tokens route to, and more tokens touch more experts.
"""

from __future__ import annotations

from dataclasses import dataclass

from specadvisor.catalog.core import Hardware, ModelRef
from specadvisor.catalog.weights import canonical_format, format_spec
from specadvisor.model.coefficients import CostCoefficients
from specadvisor.model.memory import memory_budget


@dataclass(frozen=True)
class Deployment:
    hardware: Hardware
    tp: int
    batch_size: int
    context_len: int
    engine: str


@dataclass(frozen=True)
class ForwardCost:
    ms: float
    gemm_ms: float
    attention_ms: float
    overhead_ms: float
    compute_bound: bool


def weight_bytes(model: ModelRef, tokens: int) -> float:
    """Weight bytes one forward over `tokens` tokens reads (all devices together)."""
    m = model.spec
    bpw = model.bits_per_weight / 8.0
    # The input embedding is a row lookup, not a full read; tied models read it once as the LM head.
    lookup_only = 0.0 if m.tie_embeddings else float(m.vocab_size * (m.embed_proj_dim or m.hidden_size))
    active = m.active_params_b * 1e9
    # The max(..., 5% of active) guards below only keep user catalogs with inconsistent sizes (an
    # embedding larger than the model) from giving zero or negative bytes; real entries never reach them.
    if m.moe is None or m.params_b <= m.active_params_b:
        return max(active - lookup_only, active * 0.05) * bpw
    e = m.moe
    # total = dense + E*X and active = dense + k*X give the per-token expert parameters X.
    per_expert_all_layers = (m.params_b - m.active_params_b) * 1e9 / max(e.experts - e.top_k, 1)
    dense = active - e.top_k * per_expert_all_layers
    touched = e.experts * (1.0 - (1.0 - e.top_k / e.experts) ** max(tokens, 1))
    return max(dense - lookup_only + touched * per_expert_all_layers, active * 0.05) * bpw


def kv_bytes(model: ModelRef, batch: int, context: int, coeffs: CostCoefficients) -> float:
    m = model.spec
    per_seq = min(context, m.sliding_window) if m.sliding_window else context
    return batch * per_seq * m.kv_bytes_per_token(coeffs.kv_bytes_per_value)


def peak_tflops(model: ModelRef, hw: Hardware, coeffs: CostCoefficients, engine: str) -> float:
    if format_spec(model.weight_format).compute == "fp8" and hw.fp8_tflops:
        return hw.fp8_tflops
    if not hw.bf16_native and hw.kind == "apple" and engine != "llamacpp" \
            and canonical_format(model.spec.precision) == "bf16":
        # Quantized or not, MLX and PyTorch on Metal compute in the checkpoint's activation dtype; without
        # bf16 units that arithmetic is emulated (llama.cpp computes in fp16/fp32 and is unaffected).
        # CUDA GPUs without bf16 (V100, P40: compute capability < 8.0) never emulate it: vLLM refuses bf16
        # there and engines run the checkpoint in fp16 at the card's fp16 rate (`--dtype half`).
        return hw.bf16_tflops * coeffs.bf16_emulation
    return hw.bf16_tflops


def forward_cost(
    model: ModelRef,
    dep: Deployment,
    tokens_per_seq: int,
    coeffs: CostCoefficients,
    role: str = "target",
    batch: int | None = None,
) -> ForwardCost:
    """Time of one forward over `tokens_per_seq` new tokens for each of `batch` sequences."""
    m = model.spec
    b = dep.batch_size if batch is None else batch
    hw = dep.hardware
    tp = dep.tp
    tokens = b * tokens_per_seq
    bw = hw.bandwidth_gbs * 1e9 * coeffs.bandwidth_efficiency.get(hw.kind, 0.8) * tp
    peak = peak_tflops(model, hw, coeffs, dep.engine) * 1e12 * coeffs.flops_efficiency.get(hw.kind, 0.6) * tp

    gemm_flops = 2.0 * m.active_params_b * 1e9 * tokens
    gemm_s = max(weight_bytes(model, tokens) / bw, gemm_flops / peak)
    attn_flops = 4.0 * m.layers * m.n_heads * m.dim_per_head * dep.context_len * tokens
    attn_s = max(kv_bytes(model, b, dep.context_len, coeffs) / bw, attn_flops / peak)

    eng = coeffs.engines[dep.engine]
    fixed_ms = eng.forward_overhead_ms if role == "target" else eng.draft_step_overhead_ms
    per_layer_us = eng.layer_overhead_us + (2 * coeffs.tp_allreduce_us if tp > 1 else 0.0)
    overhead_ms = fixed_ms + m.layers * per_layer_us / 1000.0
    return ForwardCost(
        ms=(gemm_s + attn_s) * 1000.0 + overhead_ms,
        gemm_ms=gemm_s * 1000.0,
        attention_ms=attn_s * 1000.0,
        overhead_ms=overhead_ms,
        compute_bound=gemm_flops / peak > weight_bytes(model, tokens) / bw,
    )


def round_overhead_ms(dep: Deployment, coeffs: CostCoefficients, batch: int | None = None) -> float:
    eng = coeffs.engines[dep.engine]
    b = dep.batch_size if batch is None else batch
    return eng.round_overhead_ms + eng.spec_overhead_per_seq_us * b / 1000.0


def memory_gb(model: ModelRef) -> float:
    """Weight memory in decimal GB (1e9 bytes), as reports and rules quote it."""
    return model.spec.params_b * model.bits_per_weight / 8.0


def max_concurrent_sequences(
    target: ModelRef, draft: ModelRef | None, dep: Deployment, coeffs: CostCoefficients
) -> int | None:
    """How many sequences of `context_len` tokens fit in KV memory beside the weights.

    Engines never run more sequences than their KV cache holds (vLLM queues the rest), so throughput
    at a nominal batch beyond this is throughput at this batch. The budget is `specadvisor.model.memory`'s:
    device GiB x the usable share, minus the engine's reserve and the weights; the draft's weights and
    its own KV cache share the pool.
    """
    b = memory_budget(target, draft, dep.hardware, dep.tp, dep.context_len, dep.engine,
                      coeffs.memory_utilization, coeffs.kv_bytes_per_value)
    return b.seqs_with_draft if draft is not None else b.seqs_without_draft
