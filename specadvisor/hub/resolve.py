"""Resolve Hub models into extra `ModelSpec`s merged into a `Catalog`, so the advisor runs unchanged.

Catalog first, Hub for what is missing (`hub_only=True` skips the catalog's models but keeps its
hardware). Tokenizer keys are rewritten relative to the target from the tokenizer.json comparison:
a draft whose tokenizer is identical to the target's gets the target's key (the advisor then reports
`identical` or `identical-padded` from vocab_size), a superset gets `tokenizer_extends`, and anything
else keeps its own fingerprint key (`different`). A Hub model whose tokenizer matches a catalog
ancestor's (base_model lineage) adopts that ancestor's catalog key, so catalog candidates compare
correctly with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from specadvisor.catalog.core import Catalog, ModelSpec, split_model_ref
from specadvisor.hub.config import Derivation, HubConfigError, spec_from_config
from specadvisor.hub.discover import DEFAULT_MAX_CANDIDATES, fetch_records, find_candidates
from specadvisor.hub.errors import HubError, HubGatedError, HubUnavailableError
from specadvisor.hub.interface import ModelSource
from specadvisor.hub.source import HubSource, ModelRecord
from specadvisor.hub.tokenizers import PairCheck, TokenizerInfo, advisor_verdict, check_pair, pair_verdict


@dataclass
class HubModel:
    spec: ModelSpec
    record: ModelRecord
    derivation: Derivation

    @property
    def tokenizer(self) -> TokenizerInfo | None:
        return self.record.tokenizer_info


@dataclass
class HubResolution:
    catalog: Catalog
    target_id: str
    models: dict[str, HubModel] = field(default_factory=dict)  # Hub-read models by id
    checks: dict[str, PairCheck] = field(default_factory=dict)  # draft id -> tokenizer check against the target
    found_by: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    workers: int = 0
    endpoint: str = ""
    offline: bool = False

    def to_dict(self, shown: Sequence[str] | None = None) -> dict[str, Any]:
        ids = list(dict.fromkeys(shown)) if shown is not None else list(self.checks)
        return {
            "endpoint": self.endpoint, "offline": self.offline, "requests": self.requests, "concurrency": self.workers,
            "models": [{"id": m.spec.id, "found_by": self.found_by.get(m.spec.id, "requested"),
                        "params_b": m.spec.params_b, "precision": m.spec.precision, **m.derivation.to_dict()}
                       for m in self.models.values()],
            "tokenizer_checks": [self.checks[i].to_dict() for i in ids if i in self.checks],
            "warnings": list(self.warnings),
        }


def model_from_record(rec: ModelRecord, base_lookup: Callable[[str], ModelSpec | None] | None = None,
                      source: ModelSource | None = None) -> HubModel:
    """A ModelSpec for one record; a config-less repo (GGUF) borrows its base model's config."""
    config = rec.config
    note = None
    if config is None:
        if rec.gated and "config.json" in rec.missing:
            raise HubGatedError(rec.id, rec.endpoint)
        if source is not None and rec.base_models:
            base = source.record(rec.base_models[0])
            config = base.config
            note = f"config.json read from the base model {rec.base_models[0]}"
        if config is None:
            raise HubConfigError(f"{rec.id} has no config.json (not a transformers repo?); describe it in a --catalog file")
    tok = rec.tokenizer_info

    def ancestor() -> ModelSpec | None:
        if base_lookup is None:
            return None
        for b in rec.base_models:
            spec = base_lookup(b)
            if spec is not None:
                return spec
        return None

    spec, der = spec_from_config(
        rec.id, config, tokenizer_key=tok.key if tok else f"hub-unknown:{rec.id}",
        tokenizer_len=tok.length if tok else None, safetensors=rec.safetensors, filenames=rec.files,
        generation_config=rec.generation_config, source=rec.file_url("config.json"), base=ancestor)
    if note:
        der.notes.append(note)
    if tok is None:
        der.notes.append("no tokenizer.json: token ids cannot be compared")
    return HubModel(spec, rec, der)


def _adopt_catalog_key(hm: HubModel, base: Catalog, source: ModelSource, res: HubResolution) -> None:
    """Give a Hub model the catalog tokenizer key of a catalog ancestor whose tokenizer it shares."""
    tok = hm.tokenizer
    if tok is None:
        return
    for b in hm.record.base_models:
        anc = base.find_model(b)
        if anc is None:
            continue
        try:
            anc_tok = source.record(anc.id).tokenizer_info
        except HubError as exc:
            res.warnings.append(f"could not read the tokenizer of {anc.id} ({exc.message})")
            return
        if anc_tok is None:
            return
        verdict = pair_verdict(anc_tok, tok, anc.vocab_size, hm.spec.vocab_size)
        if verdict in ("identical", "identical-padded"):
            hm.spec = replace(hm.spec, tokenizer=anc.tokenizer, tokenizer_extends=anc.tokenizer_extends)
        elif verdict == "superset":
            hm.spec = replace(hm.spec, tokenizer_extends=anc.tokenizer)
        return


def _relative_to_target(target: ModelSpec, t_tok: TokenizerInfo | None, hm: HubModel) -> tuple[ModelSpec, PairCheck]:
    check = check_pair(hm.spec.id, t_tok, hm.tokenizer, target.vocab_size, hm.spec.vocab_size)
    verdict = advisor_verdict(check.verdict)
    spec = hm.spec
    if verdict in ("identical", "identical-padded"):
        spec = replace(spec, tokenizer=target.tokenizer, tokenizer_extends=target.tokenizer_extends)
    elif verdict == "superset":
        spec = replace(spec, tokenizer_extends=target.tokenizer)
    elif spec.tokenizer == target.tokenizer or spec.tokenizer_extends == target.tokenizer:
        spec = replace(spec, tokenizer=f"hub-other:{spec.id}", tokenizer_extends=None)
    return spec, check


def extend_catalog(base: Catalog, target_ref: str, drafts: Sequence[str] | None = None, *, source: ModelSource | None = None,
                   hub_only: bool = False, max_candidates: int = DEFAULT_MAX_CANDIDATES, engine: str = "vllm",
                   progress: bool = True) -> HubResolution:
    """The catalog extended with Hub models for `target_ref` and its drafts (`drafts=None`: discover them)."""
    src = source or HubSource()
    res = HubResolution(catalog=base, target_id="", endpoint=src.endpoint, offline=src.offline)
    lookup = base.find_model if not hub_only else (lambda _i: None)
    target_id, _fmt = split_model_ref(target_ref)
    res.target_id = target_id

    target_spec = lookup(target_id)
    target_hub: HubModel | None = None
    if target_spec is None:
        target_hub = model_from_record(src.record(target_id), base.find_model, src)
        if not hub_only:
            _adopt_catalog_key(target_hub, base, src, res)
        res.models[target_hub.spec.id] = target_hub
        target_spec = target_hub.spec

    # drafts to read from the Hub
    if drafts is not None:
        wanted = [split_model_ref(d)[0] for d in drafts]
        wanted = [d for d in dict.fromkeys(wanted) if lookup(d) is None and d.lower() != target_id.lower()]
        found_by = dict.fromkeys(wanted, "requested")
    else:
        try:
            disc = find_candidates(src, target_hub.record if target_hub else None, target_id, target_spec.params_b,
                                   engine=engine, max_candidates=max_candidates)
        except HubUnavailableError as exc:
            if hub_only or target_hub is not None:
                raise
            res.warnings.append(f"Hub discovery failed, using the catalog only: {exc.message}")
            res.requests = src.requests
            return res
        res.warnings += disc.warnings
        wanted = [d for d in disc.candidates if lookup(d) is None]
        found_by = disc.why
    res.found_by.update(found_by)

    def skip(rid: str, exc: HubError) -> None:
        res.warnings.append(f"skipped {rid}: {exc.message}")

    fail_hard = drafts is not None  # drafts the user named must resolve; discovered ones may be skipped
    sent = src.requests
    records, res.workers = fetch_records(src, wanted, progress=progress, on_error=_raise if fail_hard else skip)
    if src.requests == sent:
        res.workers = 0  # everything came from the cache
    # the target's tokenizer: from its own record, or (catalog target) read from the Hub for comparison
    t_tok = target_hub.tokenizer if target_hub else None
    if target_hub is None and records:
        try:
            t_tok = src.record(target_id).tokenizer_info
        except HubError as exc:
            res.warnings.append(f"could not read the tokenizer of {target_id} from the Hub ({exc.message}); "
                                "Hub drafts are compared by fingerprint only")
    for rid in wanted:
        rec = records.get(rid)
        if rec is None:
            continue
        try:
            hm = model_from_record(rec, base.find_model, src)
        except (HubConfigError, HubError) as exc:
            if fail_hard:
                raise
            res.warnings.append(f"skipped {rid}: {exc.message}")
            continue
        spec, check = _relative_to_target(target_spec, t_tok, hm)
        hm.spec = spec
        res.models[spec.id] = hm
        res.checks[spec.id] = check

    kept = () if hub_only else base.models
    known = {m.id.lower() for m in kept}
    extra = [m.spec for m in res.models.values() if m.spec.id.lower() not in known]
    res.catalog = Catalog(tuple(kept) + tuple(extra), base.hardware, base.sources + (f"hub:{src.endpoint}",))
    res.requests = src.requests
    return res


def _raise(_rid: str, exc: HubError) -> None:
    raise exc
