"""config.json (+ the Hub's model info) -> `ModelSpec`: shapes, MoE, MLA, precision, parameter counts.

Parameter counts come from the config shapes (`specadvisor.catalog.params.count_params`; MLA attention is
counted here), cross-checked with the safetensors totals the Hub reports. Those totals count packed
quantized tensors (GPTQ/AWQ I32, MLX U32, FP4 U8) as stored elements, so for quantized repos the
config count is used and the safetensors figure is only reported. `Derivation` records which source
each fact came from, for `specadvisor inspect`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from specadvisor.catalog.core import ModelSpec, MoESpec
from specadvisor.catalog.params import count_params
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format
from specadvisor.errors import SpecAdvisorError

AGREEMENT = 0.03  # config count and safetensors total agree within 3% (the catalog test's tolerance)
PACKED_DTYPES = ("I32", "U32", "U8", "I8", "U4", "I4", "F4")

# model_type -> catalog family (catalog names where the catalog has the family)
_FAMILY = {
    "llama": "llama", "mllama": "llama", "llama4": "llama", "llama4_text": "llama", "qwen2": "qwen", "qwen2_moe": "qwen",
    "qwen3": "qwen", "qwen3_moe": "qwen", "qwen2_vl": "qwen", "qwen2_5_vl": "qwen", "gemma": "gemma", "gemma2": "gemma",
    "gemma3": "gemma", "gemma3_text": "gemma", "mistral": "mistral", "mixtral": "mistral", "mistral3": "mistral",
    "phi3": "phi", "phi": "phi", "phimoe": "phi", "deepseek_v2": "deepseek", "deepseek_v3": "deepseek", "gpt_oss": "gpt-oss",
    "opt": "opt", "gpt_bigcode": "starcoder", "starcoder2": "starcoder", "codegen": "codegen",
}
_TIED_BY_DEFAULT = ("gemma", "gemma2", "gemma3", "gemma3_text", "opt", "gpt_bigcode", "codegen")
_PLAIN_MLP = ("opt", "gpt2", "gpt_bigcode", "starcoder2", "codegen", "phi", "falcon", "gpt_neox")
_LAYERNORM = ("opt", "gpt2", "gpt_bigcode", "starcoder2", "codegen", "phi", "falcon", "gpt_neox")
_QKV_BIAS = ("qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl")
_QK_NORM = ("qwen3", "qwen3_moe")
_SIZE = re.compile(r"(?<![A-Za-z0-9])(\d+(?:\.\d+)?)\s*[bB](?![A-Za-z])")
_MILLION = re.compile(r"(?<![A-Za-z0-9])(\d+(?:\.\d+)?)\s*[mM](?![A-Za-z])")


class HubConfigError(SpecAdvisorError):
    """config.json lacks what the estimator needs."""


@dataclass
class Derivation:
    """Where each derived fact came from (shown by `specadvisor inspect`)."""

    params_source: str = ""
    precision_source: str = ""
    config_params: int | None = None
    config_active_params: int | None = None
    safetensors_params: int | None = None
    safetensors_dtypes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"params_source": self.params_source, "precision_source": self.precision_source,
                "config_params": self.config_params, "config_active_params": self.config_active_params,
                "safetensors_params": self.safetensors_params, "safetensors_dtypes": dict(self.safetensors_dtypes),
                "notes": list(self.notes)}


# No real dimension comes near 2**53 (the largest exact float): a bigger value (`hidden_size: 10**400`)
# would overflow the first float multiplication, so it counts as absent rather than as a number.
MAX_CONFIG_INT = 2**53


def derived_max_context(cfg: Mapping[str, Any]) -> int | None:
    """The model's longest context as vLLM derives it: max_position_embeddings (or n_positions /
    max_seq_len), times the rope_scaling factor unless the type already states the scaled length
    (llama3, longrope/su); yarn scales original_max_position_embeddings (vllm/config.py
    _get_and_verify_max_len, v0.4-v0.11; Gemma 3 is already scaled and skipped)."""
    base = _int(cfg, "max_position_embeddings", "n_positions", "max_seq_len")
    rs = cfg.get("rope_scaling")
    if base is None or not isinstance(rs, Mapping) or "gemma3" in str(cfg.get("model_type", "")):
        return base
    kind = rs.get("rope_type") or rs.get("type")
    factor = rs.get("factor", 1.0)
    if kind in ("su", "longrope", "llama3") or not isinstance(factor, int | float) or isinstance(factor, bool) \
            or not 1.0 <= factor <= 1024.0:  # a hostile or broken factor (inf, nan, 1e300) scales nothing
        return base
    orig = rs.get("original_max_position_embeddings")
    if kind == "yarn" and isinstance(orig, int):
        base = orig
    return int(base * factor)


def _int(cfg: Mapping[str, Any], *names: str) -> int | None:
    for n in names:
        v = cfg.get(n)
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) <= MAX_CONFIG_INT:
            return v
    return None


# Fields holding a model's own MTP layer count, as vLLM's SpeculativeConfig.hf_config_override reads
# them (docs/research/speculators-2026.md section 6: DeepSeek/GLM/MiMo/Qwen3-Next/Nemotron-H
# num_nextn_predict_layers; Qwen3.5/3.6 mtp_num_hidden_layers; MiniMax-M3 num_mtp_modules; Inkling
# mtp_config.num_nextn_predict_layers). A re-upload may have dropped the MTP weights (research 6 note).
MTP_FIELDS = ("num_nextn_predict_layers", "mtp_num_hidden_layers", "num_mtp_modules")


def mtp_layers_of(cfg: Mapping[str, Any]) -> tuple[int, str]:
    """(MTP layer count, the field it came from); (0, "") when the config declares none."""
    for name in MTP_FIELDS:
        n = _int(cfg, name)
        if n and n > 0:
            return n, name
    nested = cfg.get("mtp_config")
    if isinstance(nested, dict):
        n = _int(nested, "num_nextn_predict_layers")
        if n and n > 0:
            return n, "mtp_config.num_nextn_predict_layers"
    return 0, ""


def text_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The language model's config: `text_config` of a VLM/omni wrapper, else the config itself."""
    inner = config.get("text_config")
    if isinstance(inner, dict) and _int(inner, "hidden_size", "d_model", "n_embd") is not None:
        merged = {k: v for k, v in config.items() if k not in ("text_config", "vision_config", "audio_config")}
        merged.update(inner)
        if "quantization_config" not in inner and "quantization_config" in config:
            merged["quantization_config"] = config["quantization_config"]
        return merged, True
    return dict(config), False


def precision_of(config: Mapping[str, Any], filenames: list[str] | None = None) -> tuple[str, str]:
    """(weight format, where it came from) from quantization_config / MLX quantization / dtype / GGUF names."""
    q = config.get("quantization_config")
    if isinstance(q, dict):
        method = str(q.get("quant_method") or "").lower().replace("_", "-")
        bits = q.get("bits")
        if method in ("fp8", "fbgemm-fp8"):
            return "fp8", f"quantization_config.quant_method={method}"
        if method == "mxfp4":
            return "mxfp4", "quantization_config.quant_method=mxfp4"
        if method == "bitsandbytes" or q.get("load_in_4bit") or q.get("load_in_8bit"):
            fmt = "int4" if q.get("load_in_4bit") else "int8"
            return fmt, f"quantization_config bitsandbytes ({'load_in_4bit' if fmt == 'int4' else 'load_in_8bit'})"
        if method == "compressed-tensors":
            for group in (q.get("config_groups") or {}).values():
                w = (group or {}).get("weights") or {}
                nb, kind = w.get("num_bits"), str(w.get("type") or "int")
                if nb == 8:
                    return ("fp8" if kind == "float" else "int8"), f"compressed-tensors weights {kind}{nb}"
                if nb == 4:
                    return ("nvfp4" if kind == "float" else "int4"), f"compressed-tensors weights {kind}{nb}"
        if bits in (4, 8):
            return ("int4" if bits == 4 else "int8"), f"quantization_config {method or 'unknown method'} bits={bits}"
    mlx = config.get("quantization")
    if isinstance(mlx, dict) and mlx.get("bits") in (4, 8):
        return ("int4" if mlx["bits"] == 4 else "int8"), f"MLX quantization bits={mlx['bits']}"
    for name in filenames or ():
        if name.lower().endswith(".gguf"):
            m = re.search(r"(q\d_k_[sml]|q\d_k|q\d_\d|iq\d_\w+|f16|bf16)\.gguf$", name.lower())
            if m and canonical_format(m.group(1)) in WEIGHT_FORMATS():
                return canonical_format(m.group(1)), f"GGUF file name {name}"
    for key in ("dtype", "torch_dtype"):
        v = config.get(key)
        if isinstance(v, str) and canonical_format(v) in WEIGHT_FORMATS():
            return canonical_format(v), f"config.json {key}={v}"
    return "bf16", "not stated; assumed bf16"


def family_generation(repo_id: str, model_type: str) -> tuple[str, str]:
    name = repo_id.rsplit("/", 1)[-1]
    family = _FAMILY.get(model_type, model_type.split("_")[0] or "unknown")
    # The version after the family word in the repo name: Qwen2.5 -> 2.5, Llama-3.1 -> 3.1, gemma-2 -> 2
    m = re.search(r"[A-Za-z]+[-_ ]?v?(\d+(?:\.\d+)?)(?![\d.]*[bBmMkK](?![a-z]))", name)
    if m is None:  # no version in the name (MoE-30B-A3B): the model type's (qwen3_moe -> 3)
        m = re.search(r"(\d+(?:\.\d+)?)", model_type)
    generation = m.group(1) if m else model_type
    if family == "llama" and generation.startswith("2"):
        family = "llama2"
    return family, generation


def domain_of(repo_id: str) -> str:
    low = repo_id.lower()
    if "coder" in low or "code" in low or "starcoder" in low:
        return "code"
    if "math" in low:
        return "math"
    return "general"


def size_from_name(repo_id: str) -> float | None:
    """Billions of parameters written in a repo name (`-0.5B`, `-70b`, `-135M`)."""
    name = repo_id.rsplit("/", 1)[-1]
    m = _SIZE.search(name)
    if m:
        return float(m.group(1))
    m = _MILLION.search(name)
    return float(m.group(1)) / 1000 if m else None


def _moe(cfg: Mapping[str, Any], model_type: str, inter: int | None) -> MoESpec | None:
    experts = _int(cfg, "num_local_experts", "num_experts", "n_routed_experts")
    top_k = _int(cfg, "num_experts_per_tok", "experts_per_token", "num_experts_per_token")
    if not experts or not top_k or experts <= 1:
        return None
    width = _int(cfg, "moe_intermediate_size") or inter
    if not width:
        return None
    shared = _int(cfg, "n_shared_experts") or 0
    shared_width = _int(cfg, "shared_expert_intermediate_size") or 0
    if shared_width and not shared:  # Qwen2-MoE: one shared expert of its own width
        shared = 1
    return MoESpec(experts=experts, top_k=min(top_k, experts), expert_intermediate=width, shared_experts=shared,
                   shared_intermediate=shared_width or (width if shared else 0),
                   dense_layers=_int(cfg, "first_k_dense_replace") or 0, expert_bias=model_type == "gpt_oss")


def _mla_attention(cfg: Mapping[str, Any], h: int, nh: int) -> tuple[int, int] | None:
    """(parameters per layer of MLA attention, cached values per token per layer), or None if not MLA."""
    kv_lora = _int(cfg, "kv_lora_rank")
    if not kv_lora:
        return None
    q_lora = _int(cfg, "q_lora_rank")
    nope = _int(cfg, "qk_nope_head_dim") or 128
    rope = _int(cfg, "qk_rope_head_dim") or 64
    v = _int(cfg, "v_head_dim") or 128
    if q_lora:
        q = h * q_lora + q_lora + q_lora * nh * (nope + rope)
    else:
        q = h * nh * (nope + rope)
    kv = h * (kv_lora + rope) + kv_lora + kv_lora * nh * (nope + v)
    return q + kv + nh * v * h, kv_lora + rope


def spec_from_config(repo_id: str, config: Mapping[str, Any], *, tokenizer_key: str, tokenizer_len: int | None = None,
                     safetensors: Mapping[str, Any] | None = None, filenames: list[str] | None = None,
                     generation_config: Mapping[str, Any] | None = None, source: str = "",
                     base: Callable[[], ModelSpec | None] | None = None) -> tuple[ModelSpec, Derivation]:
    """Build a ModelSpec from a config.json; `base()` may supply family/generation from a catalog ancestor."""
    cfg, nested = text_config(config)
    der = Derivation()
    model_type = str(cfg.get("model_type") or config.get("model_type") or "unknown")
    h = _int(cfg, "hidden_size", "d_model", "n_embd")
    layers = _int(cfg, "num_hidden_layers", "n_layer", "num_layers")
    vocab = _int(cfg, "vocab_size")
    if not h or not layers or not vocab:
        missing = [n for n, v in (("hidden_size", h), ("num_hidden_layers", layers), ("vocab_size", vocab)) if not v]
        raise HubConfigError(f"{repo_id}: config.json has no {', '.join(missing)}; cannot estimate this model")
    heads = _int(cfg, "num_attention_heads", "n_head") or max(1, h // 128)
    kv_heads = _int(cfg, "num_key_value_heads") or heads
    head_dim = _int(cfg, "head_dim") or h // heads
    inter = _int(cfg, "intermediate_size", "n_inner", "ffn_dim")
    tie = cfg.get("tie_word_embeddings")
    tie = bool(tie) if isinstance(tie, bool) else model_type in _TIED_BY_DEFAULT
    if model_type in _QKV_BIAS:
        linear_bias = "qkv"
    elif cfg.get("mlp_bias"):
        linear_bias = "all"
    elif cfg.get("attention_bias"):
        linear_bias = "attn"
    else:
        linear_bias = "none"
    moe = _moe(cfg, model_type, inter)
    fmt, fmt_source = precision_of(cfg, filenames)
    der.precision_source = fmt_source
    family, generation = family_generation(repo_id, model_type)
    domain = domain_of(repo_id)
    distilled = None
    ancestor = base() if base is not None else None
    if ancestor is not None:
        family, generation, domain = ancestor.family, ancestor.generation, ancestor.domain
        distilled = ancestor.distilled_from
        der.notes.append(f"family, generation and domain from the base model {ancestor.id}")
    sliding = _int(cfg, "sliding_window") if cfg.get("use_sliding_window", True) is not False else None
    eos = []
    for src in ((generation_config or {}).get("eos_token_id"), cfg.get("eos_token_id")):
        for e in ([src] if isinstance(src, int) else src if isinstance(src, list) else []):
            if isinstance(e, int) and e not in eos:
                eos.append(e)
    bos = cfg.get("bos_token_id") if isinstance(cfg.get("bos_token_id"), int) else None

    spec = ModelSpec(
        id=repo_id, family=family, generation=generation, params_b=1.0, active_params_b=1.0, layers=layers,
        hidden_size=h, vocab_size=vocab, tokenizer=tokenizer_key, precision=fmt, domain=domain, source=source,
        arch=model_type, intermediate_size=inter, heads=heads, kv_heads=kv_heads, head_dim=head_dim, tie_embeddings=tie,
        mlp="plain" if model_type in _PLAIN_MLP else "gated", norm="layernorm" if model_type in _LAYERNORM else "rmsnorm",
        linear_bias=linear_bias, qk_norm=model_type in _QK_NORM, moe=moe,
        max_context=derived_max_context(cfg), sliding_window=sliding,
        tokenizer_len=tokenizer_len, bos_id=bos, eos_ids=tuple(eos), distilled_from=distilled, verified="hub",
        origin=source,
    )
    pc = count_params(spec)
    total, active = pc.total, pc.active
    mla = _mla_attention(cfg, h, heads)
    if mla is not None:
        plain_attn = h * heads * head_dim + 2 * h * kv_heads * head_dim + heads * head_dim * h
        total += layers * (mla[0] - plain_attn)
        active += layers * (mla[0] - plain_attn)
        # the KV cache holds the compressed latent: one "head" of (kv_lora + rope) / 2 keys and as many values
        spec = replace(spec, kv_heads=1, head_dim=max(1, mla[1] // 2))
        der.notes.append(f"MLA attention: KV cache holds {mla[1]} values per token per layer")
    mtp, mtp_field = mtp_layers_of(cfg)
    if mtp:
        der.notes.append(f"{mtp} MTP layer(s) in the checkpoint are not counted (unused by plain decoding)")
        spec = replace(spec, mtp_layers=mtp, mtp_source=f"config.json {mtp_field}")
    if nested:
        der.notes.append("language model read from text_config; the vision/audio tower is not counted")
    der.config_params, der.config_active_params = total, active

    st_total = None
    if safetensors:
        dtypes = {str(k): int(v) for k, v in (safetensors.get("parameters") or {}).items() if isinstance(v, int)}
        der.safetensors_dtypes = dtypes
        st_total = sum(dtypes.values()) or (safetensors.get("total") if isinstance(safetensors.get("total"), int) else None)
        der.safetensors_params = st_total
    packed = fmt in ("int4", "int8", "mxfp4", "nvfp4") or any(d in der.safetensors_dtypes for d in PACKED_DTYPES)
    if st_total is None:
        der.params_source = "config.json shapes (no safetensors total on the Hub)"
    elif packed:
        der.params_source = (f"config.json shapes; the safetensors total {st_total:,} counts packed quantized "
                             "tensors as stored elements and is ignored")
    elif abs(st_total - total) <= AGREEMENT * total:
        der.params_source = f"config.json shapes (safetensors total {st_total:,} agrees within {AGREEMENT:.0%})"
    elif nested:
        der.params_source = f"config.json text_config shapes (safetensors total {st_total:,} includes other towers)"
    else:
        der.params_source = (f"safetensors total (config.json shapes give {total:,}, "
                             f"{(total - st_total) / st_total:+.1%}: architecture not fully modelled)")
        if moe is None:
            active = st_total
        else:
            active = round(active * st_total / total)
        total = st_total
    spec = replace(spec, params_b=round(total / 1e9, 4), active_params_b=round(min(active, total) / 1e9, 4))
    return _validated(spec, repo_id), der


def _validated(spec: ModelSpec, repo_id: str) -> ModelSpec:
    """The catalog's own validation applied to what the Hub's config.json gave (negative layers, zero heads...)."""
    from specadvisor.catalog.core import validate_spec
    from specadvisor.errors import InputFileError

    try:
        return validate_spec(spec, f"{repo_id} config.json")
    except InputFileError as exc:
        field = (exc.field or "").split(".")[-1]
        raise HubConfigError(f"{repo_id}: config.json gives an invalid model ({field}: {exc.problem}); "
                             "cannot estimate this model") from None
