"""Each engine's spelling of the speculative method, mapped onto `specadvisor.vocab.Method`.

Why: the config rules depend on the method in use. Draft-size, draft-tokenizer and draft-speed rules
are about a separate draft LM; applied to MTP layers, EAGLE heads or n-gram lookup they are false
positives (a head is "smaller than the size floor", an MTP launch "has no draft"). So every form an
engine accepts is read into one vocabulary first. A method the vocabulary does not have (vLLM's
`mlp_speculator`, `dflash`; TensorRT-LLM's `Lookahead`) is kept as the engine wrote it, lower-cased,
so it is shown to the user and matches no rule written for a known method.

Sources (what each table covers):
- vLLM: `vllm/config/speculative.py` `SpeculativeMethod` (engines.md 1.1) and the per-architecture MTP
  names the CLI lists (deepseek_mtp, qwen3_next_mtp, qwen3_5_mtp, glm4_moe_mtp, ernie_mtp, mimo_mtp,
  longcat_flash_mtp, pangu_ultra_moe_mtp, step3p5_mtp, nemotron_h_mtp: gpustack/gpustack-ui PR #1232
  option list, 2026-06); a `model` without `method` is auto-detected from its name, else draft_model.
- SGLang: `--speculative-algorithm` EAGLE, EAGLE3, NEXTN (alias of EAGLE, for MTP layers), STANDALONE
  (separate draft LM), NGRAM (engines.md 2.1; SGLang docs advanced_features/speculative_decoding.md).
- TensorRT-LLM: `speculative_config.decoding_type` of the LLM API (`tensorrt_llm/llmapi/llm_args.py`):
  DraftTarget / Draft_Target, Eagle, Eagle3, MTP, NGram, Medusa, Lookahead, UserProvided, AUTO.
- llama.cpp: `--spec-type` of the 2026 `common/arg.cpp` (a comma-separated list): none, draft-simple,
  draft-eagle3, draft-mtp, draft-dflash and the model-free ngram-cache, ngram-simple, ngram-map-k,
  ngram-map-k4v, ngram-mod (engines.md 5.1; llama.cpp docs/speculative.md).
"""

from __future__ import annotations

from specadvisor.check.names import head_kind
from specadvisor.vocab import Method

_VLLM = {
    "draft_model": Method.draft_model, "eagle": Method.eagle, "eagle3": Method.eagle3, "medusa": Method.medusa,
    "mtp": Method.mtp, "ngram": Method.ngram, "[ngram]": Method.ngram, "ngram_gpu": Method.ngram,
    "suffix": Method.suffix,
}
_SGLANG = {
    "EAGLE": Method.eagle, "EAGLE3": Method.eagle3, "NEXTN": Method.mtp, "MTP": Method.mtp,
    "STANDALONE": Method.draft_model, "NGRAM": Method.ngram, "LOOKAHEAD": Method.ngram,
}
_TRTLLM = {
    "draft_target": Method.draft_model, "drafttarget": Method.draft_model, "eagle": Method.eagle,
    "eagle3": Method.eagle3, "mtp": Method.mtp, "ngram": Method.ngram, "medusa": Method.medusa,
}
_LLAMACPP = {
    "draft-simple": Method.draft_model, "draft": Method.draft_model, "draft-eagle3": Method.eagle3,
    "draft-eagle": Method.eagle3, "eagle3": Method.eagle3, "draft-mtp": Method.mtp, "mtp": Method.mtp,
}


def vllm_method(raw: object, draft: object = None) -> str | None:
    """vLLM's method: as written, or as vLLM infers it from the draft's name when `method` is absent."""
    if isinstance(raw, str) and raw.strip():
        r = raw.strip().lower()
        if r in _VLLM:
            return _VLLM[r].value
        return Method.mtp.value if r.endswith("_mtp") else r
    if isinstance(draft, str) and draft.strip():
        if draft.strip().lower() in ("[ngram]", "ngram"):  # V0: --speculative-model '[ngram]'
            return Method.ngram.value
        # vLLM auto-detects eagle/eagle3/medusa/mlp_speculator/mtp from the draft; a name that says
        # nothing leaves draft_model (vllm/config/speculative.py, engines.md 1.1)
        return head_kind(draft) or Method.draft_model.value
    return None


def sglang_method(raw: object, draft: object) -> str | None:
    """SGLang's algorithm; EAGLE/NEXTN without a draft path load the target's own MTP (NextN) layers."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    key = raw.strip().upper()
    method = _SGLANG.get(key)
    if method is None:
        return raw.strip().lower()
    if method in (Method.eagle, Method.eagle3) and not draft:
        return Method.mtp.value  # DeepSeek-V3/R1, GLM, MiMo recipes: --speculative-algorithm EAGLE, no draft path
    if method is Method.eagle and head_kind(draft) == Method.mtp.value:
        return Method.mtp.value  # a NextN/MTP checkpoint given as the draft path
    return method.value


def trtllm_method(decoding_type: object, draft: object) -> str | None:
    """TensorRT-LLM's decoding_type; `Eagle` with an EAGLE-3 head runs EAGLE-3 (eagle3_one_model)."""
    if not isinstance(decoding_type, str) or not decoding_type.strip():
        return Method.draft_model.value if draft else None
    key = decoding_type.strip().lower()
    method = _TRTLLM.get(key)
    if method is None:
        return key
    if method is Method.eagle and head_kind(draft) == Method.eagle3.value:
        return Method.eagle3.value
    return method.value


def llamacpp_methods(spec_types: list[str], draft: object) -> list[str]:
    """The methods a llama.cpp `--spec-type` list asks for; a draft model alone is a draft-simple draft.

    Without `--spec-type` the 2026 server picks the type from the draft GGUF (an MTP sidecar, an
    EAGLE-3 head); its file name is the evidence a config has.
    """
    out: list[str] = []
    for t in spec_types:
        key = t.strip().lower()
        if not key or key == "none":
            continue
        if key.startswith("ngram"):
            out.append(Method.ngram.value)
        else:
            out.append(_LLAMACPP[key].value if key in _LLAMACPP else key.removeprefix("draft-"))
    if draft and not any(m != Method.ngram.value for m in out):
        kind = head_kind(draft)
        out.append(kind if kind in (Method.mtp.value, Method.eagle3.value) else Method.draft_model.value)
    return list(dict.fromkeys(out))


def is_separate_draft(method: object) -> bool:
    """Whether the method runs a separate draft LM (the only one the draft-model rules describe)."""
    return method == Method.draft_model.value
