"""Will the draft and target share token ids, and will the chosen engine accept the pair?

These are two different questions. Engines mostly compare `vocab_size` (embedding rows), so they reject
pairs with an identical tokenizer but padded embeddings (Qwen2.5 0.5B vs 72B) and accept pairs whose
ids mean different strings. Facts: ../shared/reference/engines.md sections 1.3, 2.2, 3.3, 4, 5.2, 10.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from specadvisor.catalog.core import ModelSpec

# identical: same tokenizer and same embedding rows. identical-padded: same tokenizer, different rows.
# superset: one tokenizer adds tokens to the other; shared ids agree. different: ids do not agree.
TOKENIZER_VERDICTS = ("identical", "identical-padded", "superset", "different")

# llama.cpp common/speculative.cpp: SPEC_VOCAB_MAX_SIZE_DIFFERENCE (engines.md 5.2).
LLAMACPP_MAX_VOCAB_DIFFERENCE = 128

# Hugging Face model_types whose checkpoints are encoder-decoders (config.json is_encoder_decoder: true).
ENCODER_DECODER_ARCHES = frozenset({
    "t5", "mt5", "umt5", "longt5", "switch_transformers", "bart", "mbart", "marian", "pegasus", "pegasus_x",
    "bigbird_pegasus", "m2m_100", "nllb_moe", "whisper", "prophetnet", "led", "blenderbot", "fsmt",
})

# vLLM's heterogeneous-vocabulary drafting (token-level intersection): speculative_config
# use_heterogeneous_vocab: true with method draft_model, greedy draft sampling only. Added by
# vllm-project/vllm PR #38174 (merged 2026-07-02), first released in v0.25.0 (release notes of
# 2026-07-11); docs/features/speculative_decoding: "Probabilistic draft sampling is unsupported".
VLLM_HETEROGENEOUS_VOCAB_SINCE = "0.25.0"


def is_encoder_decoder(spec: ModelSpec) -> bool:
    return (spec.arch or "").lower() in ENCODER_DECODER_ARCHES


def tokenizer_verdict(target: ModelSpec, draft: ModelSpec) -> str:
    if target.tokenizer == draft.tokenizer:
        return "identical" if target.vocab_size == draft.vocab_size else "identical-padded"
    if _extends(draft.tokenizer_extends, target.tokenizer) or _extends(target.tokenizer_extends, draft.tokenizer):
        return "superset"
    return "different"


def _extends(child_base: str | None, other: str) -> bool:
    return child_base is not None and child_base == other


@dataclass(frozen=True)
class EngineVerdict:
    accepts: bool
    note: str
    heterogeneous: bool = False  # the engine translates between different tokenizers (slower, lower alpha)


def engine_verdict(engine: str, target: ModelSpec, draft: ModelSpec, tok: str,
                   temperature: float | None = None) -> EngineVerdict:
    """What `engine` does with this pair at start-up, from its source (version ranges in rules/advice.yaml).

    `temperature` is the workload's sampling temperature when the advice may choose an engine mode
    (vLLM's heterogeneous-vocabulary drafting runs greedy only); None: the engine's default mode, as
    a launch config that does not ask for the mode gets.
    """
    same_rows = target.vocab_size == draft.vocab_size
    rows = f"vocab_size {target.vocab_size} vs {draft.vocab_size}"
    if is_encoder_decoder(draft) and not is_encoder_decoder(target):
        # transformers' AssistedCandidateGenerator feeds an encoder-decoder assistant the target's input as
        # encoder input and drafts from its decoder: it pairs encoder-decoders (Whisper + Distil-Whisper),
        # not a T5 with a decoder-only target; vLLM, SGLang, TensorRT-LLM, llama.cpp and MLX load
        # decoder-only drafts only.
        return EngineVerdict(False, f"{engine} cannot run an encoder-decoder draft ({draft.arch}) for a "
                                    "decoder-only target")
    if engine == "mlx":
        # mlx_lm compares the tokenizers' vocab_size (tokenizer entries, not config.json embedding rows):
        # mlx_lm/generate.py raises "Draft model tokenizer does not match model tokenizer", the server warns.
        if tok in ("identical", "identical-padded"):
            return EngineVerdict(True, f"mlx_lm accepts the pair: the tokenizers match ({rows} embedding rows "
                                       "are not compared)")
        return EngineVerdict(False, "mlx_lm compares tokenizer sizes and rejects the pair (different tokenizers)")
    if engine == "vllm" and tok != "different" and not same_rows and temperature == 0.0:
        return EngineVerdict(True, f"vllm rejects unequal {rows} in its default mode; speculative_config "
                                   f"use_heterogeneous_vocab: true (vLLM >= {VLLM_HETEROGENEOUS_VOCAB_SINCE}, "
                                   "greedy draft sampling) runs it", heterogeneous=True)
    # A draft with another tokenizer also starts under use_heterogeneous_vocab (token-level intersection),
    # but no published run measures its acceptance, so the advice does not assume it (note below).
    if engine in ("vllm", "sglang", "trtllm", "jax"):
        if tok == "different":
            if same_rows:
                return EngineVerdict(False, f"{engine} compares only vocab_size ({rows}) and would start, "
                                            "but the token ids mean different strings")
            extra = (f"; vLLM >= {VLLM_HETEROGENEOUS_VOCAB_SINCE} can draft over the shared tokens with "
                     "use_heterogeneous_vocab (greedy), acceptance unmeasured") if engine == "vllm" else ""
            return EngineVerdict(False, f"{engine} rejects the pair ({rows}){extra}")
        if not same_rows:
            return EngineVerdict(False, f"{engine} requires equal vocab_size and rejects the pair ({rows}) "
                                        "although the tokenizers agree")
        return EngineVerdict(True, f"{engine} accepts the pair ({rows})")
    if engine == "transformers":
        if same_rows and tok != "different":
            return EngineVerdict(True, f"transformers treats the pair as one tokenizer ({rows})")
        return EngineVerdict(True, "transformers treats the pair as different tokenizers: pass tokenizer= and "
                                   "assistant_tokenizer= (universal assisted generation)", heterogeneous=True)
    if engine == "llamacpp":
        diff = abs(target.vocab_size - draft.vocab_size)
        if tok == "different":
            return EngineVerdict(False, "llama.cpp compares token texts from id 5 on and rejects the pair")
        if diff > LLAMACPP_MAX_VOCAB_DIFFERENCE:
            return EngineVerdict(False, f"llama.cpp rejects vocab sizes differing by {diff} "
                                        f"(> {LLAMACPP_MAX_VOCAB_DIFFERENCE})")
        return EngineVerdict(True, f"llama.cpp accepts the pair ({rows}, difference {diff} <= "
                                   f"{LLAMACPP_MAX_VOCAB_DIFFERENCE}, same token texts)")
    raise ValueError(f"unknown engine {engine!r}")
