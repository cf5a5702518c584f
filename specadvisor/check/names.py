"""Model names as deployment files write them, resolved to a catalog model and the weight format it runs in.

Why this exists: real configs rarely write the Hub id the catalog is keyed on. They point at a Hugging
Face cache snapshot (`/root/.cache/huggingface/hub/models--org--name/snapshots/<hash>`), a local
directory named after the repo (`/models/Llama-3.1-8B-Instruct`), a re-hosted quantized repo
(`RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic`, `bartowski/Qwen3-8B-GGUF`), a GGUF file
(`Qwen3-0.6B-Q8_0.gguf`), an old id (`meta-llama/Meta-Llama-3.1-8B-Instruct`) or any of these in
another case. When none of them resolves, every catalog rule (tokenizer, size, speedup) stays silent,
so a checker that only knows exact ids finds nothing on real repositories.

Resolution never guesses between two catalog models: a name whose bare model part matches more than
one model (after the organisation is dropped) resolves to none, and the caller reports it as
unresolved instead of judging the wrong pair. The weight format read from the name (an -AWQ, -FP8 or
Q4_K_M suffix) is returned with the model, so the quantization rules see what actually runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from specadvisor.catalog.core import Catalog, ModelRef, ModelSpec
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format
from specadvisor.vocab import Method

# Name suffixes that quantizers (RedHatAI/neuralmagic, unsloth, bartowski, TheBloke, lmstudio-community,
# the model vendors' own -AWQ/-GPTQ-Int4/-FP8 repos, MLX community) append to the model they quantized,
# mapped to the weight format they imply (None: a packaging word that says nothing about the format).
_QUANT_TOKENS: dict[str, str | None] = {
    "awq": "int4", "gptq": "int4", "int4": "int4", "int8": "int8", "w4a16": "int4", "w8a16": "int8",
    "w8a8": "int8", "w4a4": "int4", "fp8": "fp8", "nvfp4": "nvfp4", "mxfp4": "mxfp4", "fp4": "nvfp4",
    "4bit": "int4", "8bit": "int8", "bnb": "int4", "nf4": "int4", "marlin": None, "dynamic": None,
    "static": None, "block": None, "kv": None, "quantized": None, "gguf": None, "mlx": None,
    "unsloth": None, "ud": None, "exl2": None, "hqq": None, "torchao": None, "compressed": None,
}
_QUANT_SUFFIX = re.compile(r"(?:[-._](?:" + "|".join(sorted(_QUANT_TOKENS, key=len, reverse=True)) + r"))+$",
                           re.IGNORECASE)
# GGUF quantization names at the end of a file stem: Q8_0, Q4_K_M, IQ4_XS, F16, BF16 (llama.cpp
# tools/quantize), optionally followed by a shard suffix -00001-of-00003.
_GGUF_QUANT = re.compile(r"[-._](i?q\d(?:_[a-z0-9]+)*|f16|f32|bf16|fp16)(?:-\d{5}-of-\d{5})?$", re.IGNORECASE)
_SHARD = re.compile(r"-\d{5}-of-\d{5}$")
# Hugging Face hub cache layout (huggingface_hub file_download.py: repo_folder_name = models--{org}--{name}).
_HF_CACHE = re.compile(r"(?:^|/)models--([^/]+?)--([^/]+)(?:/|$)")
_URL_PREFIX = re.compile(r"^(?:https?://)?(?:hf\.co|huggingface\.co)/", re.IGNORECASE)
# Values a file leaves to the environment or a template: nothing to resolve.
_PLACEHOLDER = re.compile(r"\$\{?[A-Za-z_]|\{\{|<[A-Za-z_][\w-]*>")


@dataclass(frozen=True)
class Resolved:
    """A name that resolved: the catalog model, the format it runs in and how the name was read."""

    ref: ModelRef
    how: str  # id | hf-cache | path | quantized-repo | gguf-file | old-id

    @property
    def id(self) -> str:
        return self.ref.spec.id

    @property
    def weight_format(self) -> str:
        return self.ref.weight_format


def is_placeholder(name: Any) -> bool:
    """True when the model part of the value is a shell variable, a template expression or a <placeholder>.

    `$MODELS/Qwen3-8B-Q4_K_M.gguf` is not one: the directory is left to the environment, the model is named.
    """
    if not isinstance(name, str):
        return False
    tail = re.split(r"[/\\]", name.strip().rstrip("/\\"))[-1]
    return bool(_PLACEHOLDER.search(tail)) or not tail


def _gguf_format(tag: str) -> str | None:
    """The catalog weight format of a GGUF quantization name; the nearest one for types it lacks."""
    t = tag.lower()
    if t in WEIGHT_FORMATS():
        return t
    c = canonical_format(t)
    if c in WEIGHT_FORMATS():
        return c
    m = re.match(r"i?q(\d)", t)
    if not m:
        return None
    bits = int(m.group(1))
    # 2/3-bit types have no row of their own in constants.yaml: q4_0 is the nearest cost the model has.
    return {8: "q8_0", 6: "q6_k", 5: "q5_k_m", 4: "q4_k_m" if "_k" in t or t.startswith("iq") else "q4_0"}.get(
        bits, "q4_0")


def _strip_quant(tail: str) -> tuple[str, str | None]:
    """`Llama-3.1-8B-Instruct-GPTQ-Int4` -> (`Llama-3.1-8B-Instruct`, `int4`)."""
    fmt: str | None = None
    m = _GGUF_QUANT.search(tail)
    if m:
        fmt = _gguf_format(m.group(1))
        tail = tail[: m.start()]
    m = _QUANT_SUFFIX.search(tail)
    if m:
        for token in re.split(r"[-._]", m.group(0).lower()):
            implied = _QUANT_TOKENS.get(token)
            if implied and fmt is None:
                fmt = implied
        tail = tail[: m.start()]
    return tail, fmt


def _tail_index(catalog: Catalog) -> dict[str, list[ModelSpec]]:
    """Lower-cased model part of every id and alias (the organisation dropped) -> models."""
    cached = _TAILS.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index: dict[str, list[ModelSpec]] = {}
    for m in catalog.models:
        for key in (m.id, *m.aliases):
            bucket = index.setdefault(key.rsplit("/", 1)[-1].lower(), [])
            if m not in bucket:
                bucket.append(m)
    _TAILS[id(catalog)] = (catalog, index)
    return index


_TAILS: dict[int, tuple[Catalog, dict[str, list[ModelSpec]]]] = {}
_SQUASHED: dict[int, tuple[Catalog, dict[str, list[ModelSpec]]]] = {}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _squashed_index(catalog: Catalog) -> dict[str, list[ModelSpec]]:
    """Model parts with every separator removed -> models (only a unique match is used)."""
    cached = _SQUASHED.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index: dict[str, list[ModelSpec]] = {}
    for tail, models in _tail_index(catalog).items():
        bucket = index.setdefault(_squash(tail), [])
        bucket += [m for m in models if m not in bucket]
    _SQUASHED[id(catalog)] = (catalog, index)
    return index


def _by_tail(catalog: Catalog, tail: str, org: str | None) -> ModelSpec | None:
    found = _tail_index(catalog).get(tail.lower(), [])
    if len(found) == 1:
        return found[0]
    if org:  # the same model name under two organisations: the written organisation decides
        same = [m for m in found if m.id.lower().startswith(org.lower() + "/")]
        if len(same) == 1:
            return same[0]
    return None


def _candidates(text: str) -> tuple[list[tuple[str | None, str]], str]:
    """(organisation, model part) pairs to try, most specific first, and how the name was written."""
    m = _HF_CACHE.search(text)
    if m:
        return [(m.group(1), m.group(2))], "hf-cache"
    parts = [p for p in re.split(r"[/\\]", text) if p and p not in (".", "..")]
    if not parts:
        return [], "id"
    how = "path" if text.startswith(("/", ".", "~")) or re.match(r"^[A-Za-z]:[\\/]", text) or len(parts) > 2 else "id"
    out: list[tuple[str | None, str]] = []
    if len(parts) >= 2:
        out.append((parts[-2], parts[-1]))
    out.append((None, parts[-1]))
    if len(parts) >= 2 and parts[-1].lower().endswith(".gguf"):
        # org/repo-GGUF/file.gguf: the repo directory names the model too
        out.append((parts[-3] if len(parts) >= 3 else None, parts[-2]))
    return out, how


def resolve_name(catalog: Catalog, name: Any, fmt: str | None = None) -> Resolved | None:
    """The catalog model a config's model value names, or None when it names none (or more than one).

    `fmt` is a weight format the config states separately (vLLM --quantization, SGLang
    --speculative-draft-model-quantization); it wins over a format read from the name.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > 1024 or is_placeholder(name):
        return None  # (no model path is a kilobyte long; the suffix patterns stay linear on what is left)
    text = _URL_PREFIX.sub("", name.strip().strip("'\"").rstrip("/\\"))
    if _PLACEHOLDER.search(text):  # ${MODEL_DIR}/org/name: keep what follows the last variable
        text = re.split(r"\$\{?[A-Za-z_][\w]*\}?|\{\{.*?\}\}", text)[-1].lstrip("/\\")
    tag_fmt: str | None = None
    if ":" in text and not re.match(r"^[A-Za-z]:[\\/]", text):  # llama.cpp -hf org/repo-GGUF:Q4_K_M
        head, _, tag = text.rpartition(":")
        if head and "/" not in tag:
            text, tag_fmt = head, _gguf_format(tag) or _format_word(tag)
    spec = catalog.find_model(text)
    how = "id"
    name_fmt: str | None = None
    if spec is None:
        cands, how = _candidates(text)
        for org, part in cands:
            spec, name_fmt, how = _resolve_part(catalog, org, part, how)
            if spec is not None:
                break
    if spec is None:
        return None
    base = catalog.model(spec.id)
    for candidate in (fmt, tag_fmt, name_fmt):
        if candidate:
            c = canonical_format(candidate)
            if c in WEIGHT_FORMATS():
                return Resolved(ModelRef(spec, c, virtual=c != base.weight_format), how)
    return Resolved(base, how)


def _format_word(word: str) -> str | None:
    c = canonical_format(word)
    return c if c in WEIGHT_FORMATS() else _QUANT_TOKENS.get(word.lower())


def _resolve_part(catalog: Catalog, org: str | None, part: str, how: str) -> tuple[ModelSpec | None, str | None, str]:
    """Try one (organisation, model part): exact id, then quantization suffixes off, then old spellings."""
    stem = part[:-5] if part.lower().endswith(".gguf") else part
    is_gguf = stem != part
    stem = _SHARD.sub("", stem)
    if org and catalog.find_model(f"{org}/{stem}"):
        return catalog.find_model(f"{org}/{stem}"), None, how
    bare, fmt = _strip_quant(stem)
    label = "gguf-file" if is_gguf else ("quantized-repo" if bare != stem and how == "id" else how)
    # TheBloke-style re-hosts drop the `-hf` of Meta's Llama 2 repos (Llama-2-7B-Chat-GGUF for Llama-2-7b-chat-hf)
    for variant, kind in ((stem, how), (bare, label), (bare + "-hf", label)):
        if org and catalog.find_model(f"{org}/{variant}"):
            return catalog.find_model(f"{org}/{variant}"), fmt if variant != stem else None, kind
        spec = _by_tail(catalog, variant, org)
        if spec is not None:
            return spec, fmt if variant != stem else None, kind
    # Separators dropped or changed (/models/llama3.1-8b-instruct, qwen2_5_7b_instruct): compare letters and digits
    for variant in (bare, bare[5:] if bare.lower().startswith("meta-") else ""):
        if variant:
            found = _squashed_index(catalog).get(_squash(variant), [])
            if len(found) == 1:
                return found[0], fmt, how
    # Old spellings: Meta's 2024 repos were `Meta-Llama-3.1-8B-Instruct`, renamed `Llama-3.1-8B-Instruct`
    # (the catalog keeps the Llama 3 (not 3.1) repos under their Meta- names, which match above).
    if re.match(r"(?i)^meta-llama-3\.[1-9]", bare):
        spec = _by_tail(catalog, bare[5:], None)
        if spec is not None:
            return spec, fmt, "old-id"
    return None, None, how


# -- speculator heads named by their repos ---------------------------------------------------------

_HEAD_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # EAGLE-3 heads: yuhuili/EAGLE3-LLaMA3.1-Instruct-8B, lmsys/SGLang-EAGLE3-..., RedHatAI/...-speculator.eagle3,
    # nvidia/...-Eagle3, AngelSlim/Qwen3-8B_eagle3
    (re.compile(r"eagle[-_.]?3", re.IGNORECASE), Method.eagle3.value),
    (re.compile(r"eagle", re.IGNORECASE), Method.eagle.value),
    (re.compile(r"medusa", re.IGNORECASE), Method.medusa.value),
    (re.compile(r"(?:^|[-_./])(?:mtp|nextn)(?:$|[-_./])", re.IGNORECASE), Method.mtp.value),
    (re.compile(r"dflash", re.IGNORECASE), "dflash"),
    (re.compile(r"mlp[-_]?speculator|-accelerator$", re.IGNORECASE), "mlp_speculator"),
    # the speculators library's repos (RedHatAI/*-speculator*) hold a head whose kind is in its config
    (re.compile(r"speculator", re.IGNORECASE), "speculators"),
)


def head_kind(name: Any) -> str | None:
    """The speculator kind a draft repo or file name announces (eagle3, eagle, medusa, mtp, ...), or None.

    Head repositories carry their method in the name by convention (the EAGLE authors' EAGLE3-*,
    SpecForge's SGLang-EAGLE3-*, the speculators library's *-speculator.eagle3); vLLM itself picks the
    method from `eagle-`/`eagle3-` in the draft name when `method` is absent (vllm/config/speculative.py).
    """
    if not isinstance(name, str):
        return None
    for pattern, kind in _HEAD_PATTERNS:
        if pattern.search(name):
            return kind
    return None
