"""Parameter counts from a model's shape fields.

Used to cross-check catalog facts (a test fails when shapes and `params_b` disagree by more than 3%)
and, later, to count parameters of Hub models whose safetensors totals are unreliable. The structure
follows the transformers implementations of Llama-like decoders; the formulas are written out in
../shared/reference/hub-and-cost.md section 3.2 and reproduce published totals.
"""

from __future__ import annotations

from dataclasses import dataclass

from specadvisor.catalog.core import ModelSpec


@dataclass(frozen=True)
class ParamCount:
    total: int
    active: int
    embedding: int


def has_shapes(m: ModelSpec) -> bool:
    """True when the entry has every field the count needs (user catalogs may omit them)."""
    return m.intermediate_size is not None and m.heads is not None


def count_params(m: ModelSpec) -> ParamCount:
    h = m.hidden_size
    hd = m.dim_per_head
    nh, nkv = m.n_heads, m.n_kv_heads
    inter = m.intermediate_size or 4 * h
    norm_w = 2 if m.norm == "layernorm" else 1

    attn = h * nh * hd + 2 * h * nkv * hd + nh * hd * h
    if m.linear_bias in ("qkv", "attn", "all"):
        attn += nh * hd + 2 * nkv * hd
    if m.linear_bias in ("attn", "all"):
        attn += h
    if m.qk_norm:
        attn += 2 * hd

    def dense_mlp(width: int) -> int:
        gated = m.mlp == "gated"
        n = (3 if gated else 2) * h * width
        if m.linear_bias == "all":
            n += (2 * width + h) if gated else (width + h)
        return n

    norms = m.norms_per_layer * h * norm_w
    dense_layer = attn + dense_mlp(inter) + norms

    if m.moe is None:
        layers_total = layers_active = m.layers * dense_layer
    else:
        e = m.moe
        expert = 3 * h * e.expert_intermediate + ((2 * e.expert_intermediate + h) if e.expert_bias else 0)
        router = h * e.experts + (e.experts if e.expert_bias else 0)
        shared = e.shared_experts * 3 * h * (e.shared_intermediate or e.expert_intermediate)
        moe_total = attn + norms + router + e.experts * expert + shared
        moe_active = attn + norms + router + e.top_k * expert + shared
        n_moe = m.layers - e.dense_layers
        layers_total = e.dense_layers * dense_layer + n_moe * moe_total
        layers_active = e.dense_layers * dense_layer + n_moe * moe_active

    if m.embed_proj_dim:
        d = m.embed_proj_dim
        embedding = m.vocab_size * d + 2 * d * h
    else:
        embedding = m.vocab_size * h * (1 if m.tie_embeddings else 2)
    embedding += m.learned_pos * h
    final_norm = h * norm_w
    total = layers_total + embedding + final_norm
    active = layers_active + embedding + final_norm
    return ParamCount(total=total, active=active, embedding=embedding)
