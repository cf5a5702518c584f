"""The model and hardware catalog: loading, validation, merging and lookup.

The embedded `model_catalog.yaml` is the default; users extend it with `--catalog FILE` (same schema;
an entry whose id matches an earlier one replaces it, so a user can correct or pin a fact).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from specadvisor import __version__, paths
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format, format_spec
from specadvisor.errors import InputFileError, UnknownHardwareError, UnknownModelError
from specadvisor.schema import Field, line_of, validate_mapping
from specadvisor.yamlio import load_yaml_file

DOMAINS = ("general", "chat", "code", "math", "reasoning", "speech", "translation")

_MOE_FIELDS: dict[str, Field] = {
    "experts": Field(int, required=True, minimum=1),
    "top_k": Field(int, required=True, minimum=1),
    "expert_intermediate": Field(int, required=True, minimum=1),
    "shared_experts": Field(int, minimum=0),
    "shared_intermediate": Field(int, minimum=0),
    "dense_layers": Field(int, minimum=0),
    "expert_bias": Field(bool),
}

_MODEL_FIELDS: dict[str, Field] = {
    "id": Field(str, required=True),
    "aliases": Field(list, item_kind=str),
    "family": Field(str, required=True),
    "generation": Field(str, required=True),
    "arch": Field(str),
    "params_b": Field(float, required=True, minimum=0.0, exclusive_minimum=True, maximum=100000),
    "active_params_b": Field(float, minimum=0.0, exclusive_minimum=True, maximum=100000),
    "layers": Field(int, required=True, minimum=1, maximum=10000),
    "hidden_size": Field(int, required=True, minimum=1),
    "intermediate_size": Field(int, minimum=1),
    "heads": Field(int, minimum=1),
    "kv_heads": Field(int, minimum=1),
    "head_dim": Field(int, minimum=1),
    "vocab_size": Field(int, required=True, minimum=1),
    "tie_embeddings": Field(bool),
    "mlp": Field(str, choices=("gated", "plain")),
    "norm": Field(str, choices=("rmsnorm", "layernorm")),
    "norms_per_layer": Field(int, minimum=0),
    "linear_bias": Field(str, choices=("none", "qkv", "attn", "all")),
    "qk_norm": Field(bool),
    "learned_pos": Field(int, minimum=0),
    "embed_proj_dim": Field(int, minimum=1),
    "moe": Field(dict, nullable=True),
    "max_context": Field(int, minimum=1),
    "sliding_window": Field(int, nullable=True, minimum=1),
    "tokenizer": Field(str, required=True),
    "tokenizer_extends": Field(str, nullable=True),
    "tokenizer_len": Field(int, nullable=True, minimum=1),
    "bos_id": Field(int, nullable=True, minimum=0),
    "eos_ids": Field(list, item_kind=int),
    "precision": Field(str, required=True),
    "distilled_from": Field(str, nullable=True),
    "domain": Field(str, required=True, choices=DOMAINS),
    # true: the model writes a reasoning trace before it answers unless told not to (Qwen3's default
    # thinking mode, DeepSeek-R1 distills, gpt-oss), so its output is mostly prose whatever the task
    "reasoning": Field(bool),
    "source": Field(str, required=True),
    "params_source": Field(str),
    "verified": Field(str, choices=("tool", "reference", "recalled", "hub")),
    "verified_via": Field(str),
    "vision_params_b": Field(float, minimum=0.0),
    # the target's own multi-token-prediction layers (config.json num_nextn_predict_layers,
    # mtp_num_hidden_layers, num_mtp_modules; docs/research/speculators-2026.md section 6)
    "mtp_layers": Field(int, minimum=0, maximum=64),
    "mtp_source": Field(str),
    "note": Field(str),
}

_HARDWARE_FIELDS: dict[str, Field] = {
    "id": Field(str, required=True),
    "name": Field(str, required=True),
    "vendor": Field(str, required=True),
    "kind": Field(str, required=True, choices=("gpu", "apple", "tpu", "cpu", "asic")),
    "aliases": Field(list, item_kind=str),
    # GiB (2**30 bytes) per device: vendors' "80GB" HBM, GDDR and Apple unified memory are binary
    # gigabytes (an H100 80GB reports 79.2 GiB to CUDA after its context); bandwidth_gbs is 1e9 B/s.
    "memory_gb": Field(float, required=True, minimum=0.0, exclusive_minimum=True),
    # Apple only: the share of unified memory Metal lets the GPU wire (recommendedMaxWorkingSetSize);
    # unset, a default by memory size from data/constants.yaml memory.apple_working_set
    "working_set_fraction": Field(float, nullable=True, minimum=0.0, exclusive_minimum=True, maximum=1.0),
    "bandwidth_gbs": Field(float, required=True, minimum=0.0, exclusive_minimum=True),
    "bf16_tflops": Field(float, required=True, minimum=0.0, exclusive_minimum=True),
    "fp8_tflops": Field(float, nullable=True, minimum=0.0, exclusive_minimum=True),
    "int8_tops": Field(float, nullable=True, minimum=0.0, exclusive_minimum=True),
    "interconnect_gbs": Field(float, nullable=True, minimum=0.0, exclusive_minimum=True),
    # false: the GPU has no bfloat16 units and emulates bf16 arithmetic (Apple M1/M2)
    "bf16_native": Field(bool),
    "source": Field(str, required=True),
    "note": Field(str),
    "verified": Field(str, choices=("tool", "reference", "recalled")),
    "verified_via": Field(str),
}

_TOP_FIELDS = {"models": Field(list), "hardware": Field(list), "schema_version": Field(int)}


@dataclass(frozen=True)
class MoESpec:
    experts: int
    top_k: int
    expert_intermediate: int
    shared_experts: int = 0
    shared_intermediate: int = 0
    dense_layers: int = 0
    expert_bias: bool = False


@dataclass(frozen=True)
class ModelSpec:
    """One model as its config.json describes it (shapes, tokenizer, shipped precision)."""

    id: str
    family: str
    generation: str
    params_b: float
    active_params_b: float
    layers: int
    hidden_size: int
    vocab_size: int
    tokenizer: str
    precision: str
    domain: str
    source: str
    aliases: tuple[str, ...] = ()
    arch: str | None = None
    intermediate_size: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    tie_embeddings: bool = False
    reasoning: bool = False
    mlp: str = "gated"
    norm: str = "rmsnorm"
    norms_per_layer: int = 2
    linear_bias: str = "none"
    qk_norm: bool = False
    learned_pos: int = 0
    embed_proj_dim: int | None = None
    moe: MoESpec | None = None
    max_context: int | None = None
    sliding_window: int | None = None
    tokenizer_extends: str | None = None
    tokenizer_len: int | None = None
    bos_id: int | None = None
    eos_ids: tuple[int, ...] = ()
    distilled_from: str | None = None
    params_source: str | None = None
    verified: str | None = None
    mtp_layers: int = 0
    mtp_source: str | None = None
    note: str | None = None
    origin: str = field(default="", compare=False)  # file:line the entry came from

    @property
    def n_heads(self) -> int:
        if self.heads:
            return self.heads
        return max(1, self.hidden_size // 128)

    @property
    def n_kv_heads(self) -> int:
        return self.kv_heads or self.n_heads

    @property
    def dim_per_head(self) -> int:
        return self.head_dim or max(1, self.hidden_size // self.n_heads)

    def kv_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """KV-cache bytes one token adds across all layers (keys and values)."""
        return self.layers * 2 * self.n_kv_heads * self.dim_per_head * bytes_per_value


@dataclass(frozen=True)
class Hardware:
    """One accelerator (per device: a TP group of N devices is N of these)."""

    id: str
    name: str
    vendor: str
    kind: str
    memory_gb: float
    bandwidth_gbs: float
    bf16_tflops: float
    source: str
    fp8_tflops: float | None = None
    int8_tops: float | None = None
    interconnect_gbs: float | None = None
    aliases: tuple[str, ...] = ()
    note: str | None = None
    verified: str | None = None
    bf16_native: bool = True
    working_set_fraction: float | None = None

    @property
    def memory_bytes(self) -> float:
        """Device memory in bytes: `memory_gb` is GiB (see the catalog header)."""
        return self.memory_gb * 2**30


@dataclass(frozen=True)
class ModelRef:
    """A catalog model plus the weight format it is asked to run in (`ID@fp8`)."""

    spec: ModelSpec
    weight_format: str
    virtual: bool = False  # True when the format differs from what the repo ships

    @property
    def label(self) -> str:
        return f"{self.spec.id}@{self.weight_format}" if self.virtual else self.spec.id

    @property
    def bits_per_weight(self) -> float:
        return format_spec(self.weight_format).bits

    @property
    def quantized(self) -> bool:
        return format_spec(self.weight_format).quantized


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelSpec, ...]
    hardware: tuple[Hardware, ...]
    sources: tuple[str, ...] = ()

    # -- lookup ------------------------------------------------------------------------------------

    @cached_property
    def _index(self) -> dict[str, ModelSpec]:
        index: dict[str, ModelSpec] = {}
        for m in self.models:
            for key in (m.id, *m.aliases):
                index[key.lower()] = m
        return index

    def _model_index(self) -> dict[str, ModelSpec]:
        return self._index

    def find_model(self, model_id: str) -> ModelSpec | None:
        return self._model_index().get(model_id.strip().lower())

    def model(self, ref: str) -> ModelRef:
        """Resolve `ID` or `ID@format`; unknown ids raise with the closest known ids."""
        name, fmt = split_model_ref(ref)
        spec = self.find_model(name)
        if spec is None:
            raise UnknownModelError(_unknown_message("model", name, [m.id for m in self.models]))
        shipped = canonical_format(spec.precision)
        if fmt is None:
            return ModelRef(spec, shipped, virtual=False)
        return ModelRef(spec, fmt, virtual=(fmt != shipped))

    def hardware_by_name(self, name: str) -> Hardware:
        key = _norm_hw(name)
        for hw in self.hardware:
            if key == _norm_hw(hw.id) or key in {_norm_hw(a) for a in hw.aliases}:
                return hw
        names = [h.id for h in self.hardware]
        raise UnknownHardwareError(_unknown_message("hardware", name, names))


def _norm_hw(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _unknown_message(kind: str, name: str, display: Sequence[str]) -> str:
    lowered = {d.lower(): d for d in display}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.5)
    if not close:  # fall back to substring matches on the last path component
        tail = name.lower().rsplit("/", 1)[-1]
        close = [k for k in lowered if tail and tail in k][:3]
    hint = f"; closest: {', '.join(lowered[c] for c in close)}" if close else ""
    return f"unknown {kind} {name!r}{hint}"


def split_model_ref(ref: str) -> tuple[str, str | None]:
    """Split `org/name@fmt` into its id and canonical weight format (None when absent)."""
    ref = ref.strip()
    if "@" not in ref:
        return ref, None
    name, _, fmt = ref.rpartition("@")
    canon = canonical_format(fmt)
    if canon not in WEIGHT_FORMATS():
        known = ", ".join(sorted(WEIGHT_FORMATS()))
        raise UnknownModelError(f"unknown weight format {fmt!r} in {ref!r} (known: {known})")
    return name, canon


# -- loading ---------------------------------------------------------------------------------------


def _no_controls(raw: Any, v: dict[str, Any], keys: tuple[str, ...], path: str, label: str) -> None:
    """Names are printed in tables, error lines and CI annotations: a control character (a newline) in one could
    forge output, so it is refused where the name is read."""
    from specadvisor.textsafe import has_controls

    for key in keys:
        values = v.get(key)
        for value in values if isinstance(values, list | tuple) else [values]:
            if isinstance(value, str) and has_controls(value):
                raise InputFileError(path, line_of(raw, key), f"{label}.{key}",
                                     f"control characters are not allowed in names (got {escape_for_message(value)})")


def escape_for_message(value: str) -> str:
    from specadvisor.textsafe import escape_controls

    return repr(escape_controls(value))[:120]


def _model_from_mapping(raw: Any, path: str, index: int, line: int | None = None) -> ModelSpec:
    label = f"models[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        label += f" ({raw['id']})"
    v = validate_mapping(raw, _MODEL_FIELDS, path, label, line)
    _no_controls(raw, v, ("id", "aliases", "family", "tokenizer"), path, label)
    moe = None
    if v["moe"] is not None:
        m = validate_mapping(v["moe"], _MOE_FIELDS, path, f"{label}.moe")
        moe = MoESpec(**{k: val for k, val in m.items() if val is not None})
        if moe.top_k > moe.experts:
            raise InputFileError(path, line_of(v["moe"], "top_k"), f"{label}.moe.top_k",
                                 f"top_k {moe.top_k} exceeds experts {moe.experts}")
    precision = canonical_format(v["precision"])
    if precision not in WEIGHT_FORMATS():
        raise InputFileError(path, line_of(raw, "precision"), f"{label}.precision",
                             f"unknown weight format {v['precision']!r} (known: {', '.join(sorted(WEIGHT_FORMATS()))})")
    active = v["active_params_b"] if v["active_params_b"] is not None else v["params_b"]
    if active > v["params_b"] * 1.0001:
        raise InputFileError(path, line_of(raw, "active_params_b"), f"{label}.active_params_b",
                             f"active parameters {active:g}B exceed total {v['params_b']:g}B")
    kwargs: dict[str, Any] = {k: val for k, val in v.items()
                              if val is not None and k not in ("moe", "aliases", "eos_ids", "verified_via",
                                                               "vision_params_b", "precision", "active_params_b")}
    return ModelSpec(
        **kwargs,
        precision=precision,
        active_params_b=active,
        moe=moe,
        aliases=tuple(v["aliases"] or ()),
        eos_ids=tuple(v["eos_ids"] or ()),
        origin=f"{path}:{line_of(raw) or 0}",
    )


def validate_spec(spec: ModelSpec, where: str) -> ModelSpec:
    """`spec` put through the same field validation as a catalog entry (types, ranges, MoE, precision).

    For specs built from data the user did not write (Hub config.json): a negative layer count or an absurd
    width must be refused the way a catalog line would be, not turned into a confident estimate. Raises
    InputFileError naming `where` and the field."""
    raw = {k: v for k, v in asdict(spec).items() if k in _MODEL_FIELDS and v is not None and v != ()}
    for k, v in list(raw.items()):
        if isinstance(v, tuple):
            raw[k] = list(v)
    checked = _model_from_mapping(raw, where, 0)
    return replace(checked, origin=spec.origin)


def _hardware_from_mapping(raw: Any, path: str, index: int, line: int | None = None) -> Hardware:
    label = f"hardware[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        label += f" ({raw['id']})"
    v = validate_mapping(raw, _HARDWARE_FIELDS, path, label, line)
    _no_controls(raw, v, ("id", "name", "aliases"), path, label)
    kwargs = {k: val for k, val in v.items() if val is not None and k not in ("aliases", "verified_via")}
    return Hardware(**kwargs, aliases=tuple(v["aliases"] or ()))


def load_catalog_file(path: Path | str) -> tuple[list[ModelSpec], list[Hardware]]:
    p = str(path)
    doc = load_yaml_file(path)
    if doc is None:
        raise InputFileError(p, None, None, "empty file; expected a mapping with 'models' and/or 'hardware'")
    top = validate_mapping(doc, _TOP_FIELDS, p, "catalog")
    models = [_model_from_mapping(raw, p, i, _item_line(top["models"], i)) for i, raw in enumerate(top["models"] or [])]
    hardware = [_hardware_from_mapping(raw, p, i, _item_line(top["hardware"], i))
                for i, raw in enumerate(top["hardware"] or [])]
    _reject_duplicates([m.id for m in models], [line_of(r) for r in (top["models"] or [])], p, "models")
    _reject_duplicates([h.id for h in hardware], [line_of(r) for r in (top["hardware"] or [])], p, "hardware")
    return models, hardware


def _item_line(seq: Any, index: int) -> int | None:
    lines = getattr(seq, "item_lines", None)
    return lines[index] if lines and index < len(lines) else None


def _reject_duplicates(ids: list[str], lines: list[int | None], path: str, what: str) -> None:
    seen: dict[str, int | None] = {}
    for ident, line in zip(ids, lines, strict=True):
        key = ident.lower()
        if key in seen:
            raise InputFileError(path, line, f"{what}.id", f"duplicate id {ident!r} (first on line {seen[key]})")
        seen[key] = line


# -- parsed-catalog cache ---------------------------------------------------------------------------
# Parsing the 3,000-line embedded catalog with PyYAML costs ~25 ms on every start; reading the same
# validated data back from JSON costs ~1 ms. The cache is keyed on the file's path, size, mtime and
# specadvisor's version, lives in specadvisor's own cache directory, is written atomically, and any
# problem with it falls back to parsing the YAML. It never holds anything but data.


def cache_dir() -> Path | None:
    if os.environ.get("SPECADVISOR_NO_CACHE"):
        return None
    base = os.environ.get("SPECADVISOR_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "specadvisor"


def _cache_file(path: str) -> Path | None:
    d = cache_dir()
    if d is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    shape = ",".join(f.name for f in (*fields(ModelSpec), *fields(MoESpec), *fields(Hardware)))
    key = f"{__version__}|{shape}|{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}"
    return d / f"catalog-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def _fields_ok(entry: Any, schema: dict[str, Field]) -> bool:
    """Whether a cached entry's fields have the types and ranges the catalog schema allows (NaN, a string for a
    number or a negative layer count in a tampered cache make it a miss, never a wrong answer)."""
    from specadvisor.schema import check_value

    if not isinstance(entry, dict):
        return False
    try:
        for k, v in entry.items():
            if k in ("origin", "moe"):
                continue
            spec = schema.get(k)
            if spec is None:
                return False
            check_value(list(v) if isinstance(v, tuple) else v, spec, "cache", None, k)
    except InputFileError:
        return False
    moe = entry.get("moe")
    return moe is None or _fields_ok(moe, _MOE_FIELDS)


def _from_cache(cache: Path) -> tuple[list[ModelSpec], list[Hardware]] | None:
    """The cached parse, or None (a miss, so the file is parsed and the entry rewritten) when the entry is not a
    regular file within the size cap, is not plain finite JSON, or fails the schema's field checks."""
    from specadvisor.guards import loads_checked
    from specadvisor.safeio import read_bytes_bounded
    from specadvisor.yamlio import MAX_YAML_BYTES

    try:
        data = loads_checked(read_bytes_bounded(cache, 4 * MAX_YAML_BYTES))
        if not isinstance(data, dict):
            return None
        if not all(_fields_ok(m, _MODEL_FIELDS) for m in data["models"]):
            return None
        if not all(_fields_ok(h, _HARDWARE_FIELDS) for h in data["hardware"]):
            return None
        models = []
        for m in data["models"]:
            raw_moe = m.pop("moe", None)
            models.append(_model_from_cache(m, MoESpec(**raw_moe) if raw_moe else None))
        hardware = [Hardware(**{**h, "aliases": tuple(h["aliases"])}) for h in data["hardware"]]
        return models, hardware
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InputFileError):
        return None


def _model_from_cache(m: dict[str, Any], moe: MoESpec | None) -> ModelSpec:
    m = dict(m)
    m["aliases"] = tuple(m.get("aliases", ()))
    m["eos_ids"] = tuple(m.get("eos_ids", ()))
    return ModelSpec(**m, moe=moe)


def _to_cache(cache: Path, models: list[ModelSpec], hardware: list[Hardware]) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"models": [asdict(m) for m in models], "hardware": [asdict(h) for h in hardware]})
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(payload, encoding="utf-8")
            os.replace(tmp, cache)  # replaces a poisoned entry (a FIFO, a link to /dev/zero) rather than writing into it
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass


def _load_file_cached(path: str) -> tuple[list[ModelSpec], list[Hardware]]:
    cache = _cache_file(path)
    if cache is not None and cache.exists():
        hit = _from_cache(cache)
        if hit is not None:
            return hit
    models, hardware = load_catalog_file(path)
    if cache is not None:
        _to_cache(cache, models, hardware)
    return models, hardware


@lru_cache(maxsize=16)
def _load(paths_key: tuple[str, ...]) -> Catalog:
    models: dict[str, ModelSpec] = {}
    hardware: dict[str, Hardware] = {}
    for p in paths_key:
        ms, hs = _load_file_cached(p)
        for m in ms:
            models[m.id.lower()] = m
        for h in hs:
            hardware[h.id.lower()] = h
    return Catalog(tuple(models.values()), tuple(hardware.values()), paths_key)


def load_catalog(extra: Sequence[Path | str] = (), include_embedded: bool = True) -> Catalog:
    """The embedded catalog extended by `extra` files, in order (later entries replace earlier ones)."""
    files = ([str(paths.catalog_path())] if include_embedded else []) + [str(p) for p in extra]
    return _load(tuple(files))
