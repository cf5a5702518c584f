"""The catalog of trained speculator heads and of which engine runs which method (heads_catalog.yaml).

Kept apart from model_catalog.yaml because a head is not a model one can serve: it reads the hidden
states of exactly one target, so the advisor offers it only for that target, and its cost is a few
decoder layers plus an LM head rather than a whole model. The file is data (loaded safely, validated
field by field, each error naming file, line and field), so adding a head is a YAML edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from specadvisor import paths
from specadvisor.errors import InputFileError
from specadvisor.schema import Field, line_of, validate_mapping
from specadvisor.vocab import Engine, Method, values
from specadvisor.yamlio import load_yaml_file

# Methods a catalogued head can have (MTP lives in the target's own config; n-gram has no weights).
HEAD_METHODS = (Method.eagle.value, Method.eagle3.value, Method.medusa.value)

_HEAD_FIELDS: dict[str, Field] = {
    "id": Field(str, required=True),
    "method": Field(str, required=True, choices=HEAD_METHODS),
    "target": Field(str, required=True),
    "layers": Field(int, required=True, minimum=1, maximum=64),
    "hidden_size": Field(int, minimum=1),
    "intermediate_size": Field(int, minimum=1),
    "draft_vocab": Field(int, required=True, minimum=1),
    "target_vocab": Field(int, minimum=1),
    "vocab_mapping": Field(str, required=True, choices=("d2t", "none")),
    "fc_inputs": Field(int, minimum=0, maximum=16),
    "format": Field(str, choices=("eagle", "eagle3", "speculators", "medusa")),
    "params_b": Field(float, minimum=0.0, exclusive_minimum=True),
    "engines": Field(dict),
    # a head-specific prior replacing the method's (model/methods.py) where a published row measures it
    "acceptance": Field(dict),
    "source": Field(str, required=True),
    "note": Field(str),
}
_SUPPORT_FIELDS: dict[str, Field] = {
    "name": Field(str, required=True),
    "since": Field(str, required=True),
    "source": Field(str, required=True),
}
_ACCEPTANCE_FIELDS: dict[str, Field] = {
    "a1": Field(float, required=True, minimum=0.0, maximum=0.99),
    "a_tail": Field(float, required=True, minimum=0.0, maximum=0.99),
    "rho": Field(float, required=True, minimum=0.0, maximum=1.0),
    "source": Field(str, required=True),
}
_TOP_FIELDS = {"schema_version": Field(int), "heads": Field(list, required=True),
               "engine_support": Field(dict, required=True)}


@dataclass(frozen=True)
class HeadSpec:
    """One public head: what it was trained for and the shapes its cost follows from."""

    id: str
    method: str
    target: str
    layers: int
    draft_vocab: int
    vocab_mapping: str
    source: str
    hidden_size: int | None = None  # None: the target's (speculators builds heads at the target's width)
    intermediate_size: int | None = None
    target_vocab: int | None = None
    fc_inputs: int = 0
    format: str = "eagle3"
    params_b: float | None = None  # a published parameter count, when the head's card gives one
    engines: tuple[tuple[str, str], ...] = ()  # (engine, evidence) pairs
    acceptance: tuple[float, float, float, str] | None = None  # (a1, a_tail, rho, source) override
    note: str | None = None


@dataclass(frozen=True)
class EngineSupport:
    """An engine's name for a method and the version/PR it appeared in."""

    name: str
    since: str
    source: str


@dataclass(frozen=True)
class HeadCatalog:
    heads: tuple[HeadSpec, ...]
    support: dict[str, dict[str, EngineSupport]]  # method -> engine -> support

    def for_target(self, target_id: str, aliases: tuple[str, ...] = ()) -> list[HeadSpec]:
        """Heads trained for this target (by id or alias, case-insensitively): only those read its states."""
        keys = {target_id.lower(), *(a.lower() for a in aliases)}
        return [h for h in self.heads if h.target.lower() in keys]

    def engine_support(self, method: str, engine: str) -> EngineSupport | None:
        return self.support.get(method, {}).get(engine)


def _head(raw: Any, path: str, index: int, line: int | None) -> HeadSpec:
    label = f"heads[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        label += f" ({raw['id']})"
    v = validate_mapping(raw, _HEAD_FIELDS, path, label, line)
    engines = v["engines"] or {}
    for name in engines:
        if name not in values(Engine):
            raise InputFileError(path, line_of(raw, "engines"), f"{label}.engines",
                                 f"unknown engine {name!r} (known: {', '.join(values(Engine))})")
    acc = None
    if v["acceptance"] is not None:
        a = validate_mapping(v["acceptance"], _ACCEPTANCE_FIELDS, path, f"{label}.acceptance", line_of(raw, "acceptance"))
        acc = (a["a1"], a["a_tail"], a["rho"], a["source"])
    kwargs = {k: val for k, val in v.items() if val is not None and k not in ("engines", "acceptance")}
    return HeadSpec(**kwargs, engines=tuple((str(k), str(x)) for k, x in engines.items()), acceptance=acc)


def load_heads_file(path: Path | str) -> HeadCatalog:
    p = str(path)
    doc = load_yaml_file(p)
    top = validate_mapping(doc, _TOP_FIELDS, p, "file")
    lines = getattr(top["heads"], "item_lines", [])
    heads = tuple(_head(raw, p, i, lines[i] if i < len(lines) else None) for i, raw in enumerate(top["heads"]))
    seen: set[str] = set()
    for i, h in enumerate(heads):
        if h.id.lower() in seen:
            raise InputFileError(p, lines[i] if i < len(lines) else None, f"heads[{i}].id", f"duplicate head {h.id!r}")
        seen.add(h.id.lower())
    support: dict[str, dict[str, EngineSupport]] = {}
    raw_support = top["engine_support"]
    for method, per_engine in raw_support.items():
        where = f"engine_support.{method}"
        if method not in values(Method):
            raise InputFileError(p, line_of(raw_support, method), where,
                                 f"unknown method {method!r} (known: {', '.join(values(Method))})")
        if not isinstance(per_engine, dict):
            raise InputFileError(p, line_of(raw_support, method), where, "must be a mapping of engine -> support")
        support[method] = {}
        for engine, raw in per_engine.items():
            if engine not in values(Engine):
                raise InputFileError(p, line_of(per_engine, engine), f"{where}.{engine}",
                                     f"unknown engine {engine!r} (known: {', '.join(values(Engine))})")
            s = validate_mapping(raw, _SUPPORT_FIELDS, p, f"{where}.{engine}", line_of(per_engine, engine))
            support[method][engine] = EngineSupport(s["name"], s["since"], s["source"])
    return HeadCatalog(heads, support)


@lru_cache(maxsize=4)
def load_heads(path: str | None = None) -> HeadCatalog:
    """The embedded heads catalog (or `path`), parsed once per process."""
    return load_heads_file(path or paths.heads_catalog_path())
