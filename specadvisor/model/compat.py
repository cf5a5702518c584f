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


def engine_verdict(engine: str, target: ModelSpec, draft: ModelSpec, tok: str) -> EngineVerdict:
    """What `engine` does with this pair at start-up, from its documented checks."""
    same_rows = target.vocab_size == draft.vocab_size
    rows = f"vocab_size {target.vocab_size} vs {draft.vocab_size}"
    if engine in ("vllm", "sglang", "trtllm", "mlx", "jax"):
        if tok == "different":
            if same_rows:
                return EngineVerdict(False, f"{engine} compares only vocab_size ({rows}) and would start, "
                                            "but the token ids mean different strings")
            return EngineVerdict(False, f"{engine} rejects the pair ({rows})")
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
