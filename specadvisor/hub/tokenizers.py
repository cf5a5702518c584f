"""Tokenizer compatibility from `tokenizer.json` content, and what each engine will do with a pair.

Engines decide from `config.json` `vocab_size` (embedding rows, padding included); the question that
matters for speculative decoding is whether token ids mean the same strings. A `TokenizerInfo` is a
fingerprint of a tokenizer.json (model type, base vocabulary, merges, normalizer, pre-tokenizer) plus
its added/special tokens, BOS/EOS ids and a chat-template hash, small enough to cache.

Verdicts for a (target, draft) pair:
  identical         same tokenizer and the same embedding rows
  identical-padded  same tokenizer, different embedding rows (Qwen2.5 0.5B 151936 vs 72B 152064)
  superset          one adds tokens to the other; every shared id means the same string
  different-ids     same size, but ids map to different strings
  different         anything else
Engine checks: ../shared/reference/engines.md 1.3 (vLLM), 2.2 (SGLang), 3.3 (TRT-LLM), 4 (transformers),
5.2 (llama.cpp), 10.1 (Qwen padding).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from specadvisor.vocab import EMIT_ENGINES

PAIR_VERDICTS = ("identical", "identical-padded", "superset", "different-ids", "different")
BLOCK = 256  # ids per block hash (prefix comparisons between vocabularies of different lengths)
LLAMACPP_MAX_VOCAB_DIFFERENCE = 128
LLAMACPP_CHECK_START_ID = 5
# Engines whose start-up tokenizer checks are modelled from tokenizer.json: the ones `--emit` writes for.
ENGINES = tuple(e.value for e in EMIT_ENGINES)
# Four times the largest vocabulary in use, 262,144 tokens (Gemma 3 and 4: "262 144 pieces" in the tokenizer
# derived from onnx-community/gemma-4-E2B-it-ONNX, hf.co/omote-ai/gemma-4-e2b-tokenizer README; "~262K" for
# Gemma 3, dhruvpatel.dev): bounds the memory a hostile tokenizer.json costs.
MAX_VOCAB_IDS = 1_048_576


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class TokenizerInfo:
    model_type: str
    fingerprint: str  # everything: base vocabulary, merges, normalisation, added tokens
    base_fingerprint: str  # without added tokens
    vocab_len: int  # entries in model.vocab
    length: int  # highest id + 1 over vocab and added tokens (len(tokenizer))
    blocks: tuple[str, ...]  # digest of each BLOCK ids of model.vocab, for prefix checks
    added: tuple[tuple[int, str, bool], ...]  # (id, content, special)
    bos_id: int | None = None
    eos_ids: tuple[int, ...] = ()
    pad_id: int | None = None
    chat_template: str | None = None  # sha256 prefix of the template text
    tokenizer_class: str | None = None

    @property
    def key(self) -> str:
        return f"hub:{self.fingerprint[:16]}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["blocks"] = list(self.blocks)
        d["added"] = [list(a) for a in self.added]
        d["eos_ids"] = list(self.eos_ids)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TokenizerInfo:
        return cls(**{**d, "blocks": tuple(d["blocks"]), "added": tuple((int(i), str(c), bool(s)) for i, c, s in d["added"]),
                      "eos_ids": tuple(d.get("eos_ids") or ())})


def _vocab_by_id(model: Mapping[str, Any]) -> list[str | None]:
    vocab = model.get("vocab")
    if isinstance(vocab, dict | list) and len(vocab) > MAX_VOCAB_IDS:
        raise ValueError(f"vocabulary of {len(vocab):,} tokens; the limit is {MAX_VOCAB_IDS:,}")
    if isinstance(vocab, dict):  # BPE / WordPiece / WordLevel: token -> id
        size = max((int(i) for i in vocab.values()), default=-1) + 1
        if size > MAX_VOCAB_IDS or min((int(i) for i in vocab.values()), default=0) < 0:
            # one id of 10**9 would otherwise allocate a list of a billion entries
            raise ValueError(f"token ids outside 0..{MAX_VOCAB_IDS:,}")
        out: list[str | None] = [None] * size
        for tok, i in vocab.items():
            out[int(i)] = str(tok)
        return out
    if isinstance(vocab, list):  # Unigram: [[token, score], ...] in id order
        return [str(e[0]) if isinstance(e, list | tuple) and e else str(e) for e in vocab]
    return []


def _merges(model: Mapping[str, Any]) -> list[str]:
    merges = model.get("merges") or []
    return [" ".join(m) if isinstance(m, list | tuple) else str(m) for m in merges]


def _token_id(token: Any, ids: Mapping[str, int]) -> int | None:
    if isinstance(token, dict):  # {"content": "<s>", ...} in older tokenizer_config files
        token = token.get("content")
    return ids.get(token) if isinstance(token, str) else None


def _ints(value: Any) -> tuple[int, ...]:
    if isinstance(value, bool) or value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return ()


def fingerprint(tokenizer_json: Mapping[str, Any], tokenizer_config: Mapping[str, Any] | None = None,
                config: Mapping[str, Any] | None = None,
                generation_config: Mapping[str, Any] | None = None) -> TokenizerInfo:
    """Fingerprint a parsed tokenizer.json; BOS/EOS come from the configs that engines read."""
    model = tokenizer_json.get("model") or {}
    if not isinstance(model, dict):
        raise ValueError("tokenizer.json has no 'model' object")
    model_type = str(model.get("type") or "unknown")
    vocab = _vocab_by_id(model)
    base = {
        "type": model_type, "vocab": vocab, "merges": _merges(model),
        "normalizer": tokenizer_json.get("normalizer"), "pre_tokenizer": tokenizer_json.get("pre_tokenizer"),
        "byte_fallback": model.get("byte_fallback"), "unk": model.get("unk_token"),
    }
    base_fp = _digest(base)
    added = tuple(sorted((int(t["id"]), str(t.get("content", "")), bool(t.get("special", False)))
                         for t in tokenizer_json.get("added_tokens") or [] if isinstance(t, dict) and "id" in t))
    full_fp = _digest([base_fp, [list(a) for a in added]])
    blocks = tuple(_digest(vocab[i:i + BLOCK])[:16] for i in range(0, len(vocab), BLOCK))
    length = max(len(vocab), max((a[0] + 1 for a in added), default=0))

    ids = {tok: i for i, tok in enumerate(vocab) if tok is not None}
    ids.update({content: i for i, content, _ in added})
    tc = tokenizer_config or {}
    cfg = config or {}
    gen = generation_config or {}
    bos = _token_id(tc.get("bos_token"), ids)
    if bos is None:
        bos = next(iter(_ints(gen.get("bos_token_id")) or _ints(cfg.get("bos_token_id"))), None)
    eos: list[int] = []
    for source in (_ints(gen.get("eos_token_id")), _ints(cfg.get("eos_token_id"))):
        eos += [e for e in source if e not in eos]
    tc_eos = _token_id(tc.get("eos_token"), ids)
    if tc_eos is not None:  # the tokenizer's own EOS first: it is what llama.cpp's conversion keeps
        eos = [tc_eos] + [e for e in eos if e != tc_eos]
    template = tc.get("chat_template")
    if isinstance(template, list):  # named templates
        template = json.dumps(template, sort_keys=True)
    return TokenizerInfo(
        model_type=model_type, fingerprint=full_fp, base_fingerprint=base_fp, vocab_len=len(vocab), length=length,
        blocks=blocks, added=added, bos_id=bos, eos_ids=tuple(eos), pad_id=_token_id(tc.get("pad_token"), ids),
        chat_template=hashlib.sha256(template.encode()).hexdigest()[:12] if isinstance(template, str) else None,
        tokenizer_class=tc.get("tokenizer_class") if isinstance(tc.get("tokenizer_class"), str) else None,
    )


# -- pair verdicts ---------------------------------------------------------------------------------


def _vocab_prefix_agrees(short: TokenizerInfo, long: TokenizerInfo) -> bool:
    """True when `short`'s base vocabulary is a prefix of `long`'s (checked block by block)."""
    if short.base_fingerprint == long.base_fingerprint:
        return True
    if short.vocab_len > long.vocab_len or short.vocab_len % BLOCK:
        return False  # a partial last block cannot be compared with hashes alone: say no
    return short.blocks == long.blocks[: len(short.blocks)]


def _added_agree(short: TokenizerInfo, long: TokenizerInfo) -> bool:
    s = {i: c for i, c, _ in short.added}
    ll = {i: c for i, c, _ in long.added}
    if any(ll.get(i, c) != c for i, c in s.items()):
        return False
    if any(i not in ll for i in s if i >= long.vocab_len):  # short defines an id long leaves empty
        return False
    # ids long adds must lie beyond short's range or inside the (agreeing) base vocabulary
    return all(i in s or i >= short.length or i < short.vocab_len for i in ll)


def pair_verdict(target: TokenizerInfo, draft: TokenizerInfo, target_rows: int, draft_rows: int) -> str:
    if target.fingerprint == draft.fingerprint:
        return "identical" if target_rows == draft_rows else "identical-padded"
    if target.model_type == draft.model_type:
        short, long = (target, draft) if target.length <= draft.length else (draft, target)
        if _vocab_prefix_agrees(short, long) and _added_agree(short, long):
            return "superset"
    if target.length == draft.length or target_rows == draft_rows:
        return "different-ids"
    return "different"


def advisor_verdict(verdict: str) -> str:
    """The advisor's four-way tokenizer verdict (`different-ids` is a kind of `different`)."""
    return "different" if verdict == "different-ids" else verdict


@dataclass(frozen=True)
class EngineCheck:
    accepts: bool
    note: str


@dataclass(frozen=True)
class PairCheck:
    draft: str
    verdict: str
    target_rows: int
    draft_rows: int
    engines: dict[str, EngineCheck] = field(default_factory=dict)
    advice: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"draft": self.draft, "verdict": self.verdict, "target_vocab_size": self.target_rows,
                "draft_vocab_size": self.draft_rows, "advice": self.advice,
                "engines": {k: {"accepts": v.accepts, "note": v.note} for k, v in self.engines.items()}}


def engine_checks(verdict: str, target: TokenizerInfo | None, draft: TokenizerInfo | None,
                  target_rows: int, draft_rows: int) -> dict[str, EngineCheck]:
    """What each engine's start-up check does with the pair (documented checks only)."""
    same_rows = target_rows == draft_rows
    rows = f"vocab_size {target_rows} vs {draft_rows}"
    garbage = verdict in ("different", "different-ids")
    out: dict[str, EngineCheck] = {}
    for eng in ("vllm", "trtllm"):
        if not same_rows:
            out[eng] = EngineCheck(False, f"rejects: requires equal vocab_size ({rows})")
        elif garbage:
            out[eng] = EngineCheck(False, f"starts ({rows}) but the ids mean different strings: drafts are garbage")
        else:
            out[eng] = EngineCheck(True, f"accepts ({rows})")
    if not same_rows:
        out["sglang"] = EngineCheck(False, f"rejects: STANDALONE needs equal vocab_size ({rows})")
    elif verdict != "identical":
        out["sglang"] = EngineCheck(False, "rejects: vocab sizes match but the token-to-id maps differ")
    else:
        out["sglang"] = EngineCheck(True, f"accepts ({rows}, same token map)")
    if same_rows and not garbage:
        out["transformers"] = EngineCheck(True, "accepts as one tokenizer (equal vocab_size)")
    elif same_rows:
        out["transformers"] = EngineCheck(False, "treats the pair as one tokenizer (equal vocab_size) although ids differ")
    else:
        out["transformers"] = EngineCheck(True, "treats them as different tokenizers: pass tokenizer= and "
                                                "assistant_tokenizer= (slower, lower acceptance)")
    out["llamacpp"] = _llamacpp(verdict, target, draft, target_rows, draft_rows)
    return out


def _llamacpp(verdict: str, t: TokenizerInfo | None, d: TokenizerInfo | None, t_rows: int, d_rows: int) -> EngineCheck:
    if t is None or d is None:
        return EngineCheck(False, "cannot tell: no tokenizer.json to compare token texts")
    if t.model_type != d.model_type:
        return EngineCheck(False, f"rejects: vocab type differs ({t.model_type} vs {d.model_type})")
    if t.bos_id != d.bos_id:
        return EngineCheck(False, f"rejects: BOS differs ({t.bos_id} vs {d.bos_id})")
    if t.eos_ids[:1] != d.eos_ids[:1]:
        return EngineCheck(False, f"rejects: EOS differs ({list(t.eos_ids[:1])} vs {list(d.eos_ids[:1])})")
    diff = abs(t_rows - d_rows)
    if diff > LLAMACPP_MAX_VOCAB_DIFFERENCE:
        return EngineCheck(False, f"rejects: vocab sizes differ by {diff} (> {LLAMACPP_MAX_VOCAB_DIFFERENCE})")
    if verdict in ("different", "different-ids"):
        return EngineCheck(False, f"rejects: token texts from id {LLAMACPP_CHECK_START_ID} on differ")
    return EngineCheck(True, f"accepts: same token texts, vocab sizes differ by {diff} (<= {LLAMACPP_MAX_VOCAB_DIFFERENCE})")


def advice_for(verdict: str, checks: Mapping[str, EngineCheck], target_rows: int, draft_rows: int) -> str:
    if verdict in ("different", "different-ids"):
        return ("the ids mean different strings: pick a draft with the target's tokenizer, or use transformers' "
                "universal assisted generation (tokenizer= and assistant_tokenizer=)")
    rejecting = [e for e, c in checks.items() if not c.accepts]
    if not rejecting:
        return "every engine accepts the pair"
    accepting = [e for e, c in checks.items() if c.accepts]
    tips = []
    if verdict == "identical-padded":
        tips.append(f"pad the draft's embedding and lm_head to {max(target_rows, draft_rows)} rows")
        tips.append("vLLM: use_heterogeneous_vocab (greedy only)")
    if verdict == "superset":
        tips.append("check that the target's special tokens exist in the draft")
    if accepting:
        tips.insert(0, "use " + " or ".join(accepting))
    return f"{', '.join(rejecting)} reject the pair: " + "; ".join(tips)


def check_pair(draft_id: str, target: TokenizerInfo | None, draft: TokenizerInfo | None,
               target_rows: int, draft_rows: int) -> PairCheck:
    if target is None or draft is None:
        verdict = "different"
    else:
        verdict = pair_verdict(target, draft, target_rows, draft_rows)
    checks = engine_checks(verdict, target, draft, target_rows, draft_rows)
    if target is None or draft is None:
        adv = "no tokenizer.json to compare: the verdict is unknown, treated as different"
    else:
        adv = advice_for(verdict, checks, target_rows, draft_rows)
    return PairCheck(draft_id, verdict, target_rows, draft_rows, checks, adv)
