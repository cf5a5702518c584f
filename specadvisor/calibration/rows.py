"""Published (or a user's own) speculative-decoding measurements, and the model's prediction for each.

A calibration file holds `rows:`, each one measured configuration: target and draft (catalog ids),
weight formats, hardware, tensor parallelism, batch, k, temperature, task, engine, and what was
measured - per-token alpha, tau (tokens per target pass, bonus token included) and speedup.
`use_for` says which measurements are usable; excluded rows keep their reason. Rows whose models have
no public config may give `target_params_b`/`draft_params_b`/`same_family` for the acceptance fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specadvisor.catalog.core import Catalog, ModelRef
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format
from specadvisor.errors import InputFileError, SpecAdvisorError
from specadvisor.measure.counts import K_MAX
from specadvisor.model.acceptance import features, pair_features, relation
from specadvisor.model.coefficients import ENGINES, TASKS, Coefficients
from specadvisor.model.compat import tokenizer_verdict
from specadvisor.model.speedup import alpha_from_tau
from specadvisor.schema import Field, did_you_mean, line_of, validate_mapping
from specadvisor.yamlio import load_yaml_file

# Typical context of the benchmark prompts when a source does not say (MT-Bench/HumanEval-style
# prompts plus a few hundred generated tokens).
DEFAULT_CONTEXT = 1024
# What a row's measurements may be used for (`use_for`).
USE_FOR = ("alpha", "tau", "speedup")

_ROW_FIELDS: dict[str, Field] = {
    "row": Field(int, required=True, minimum=0),
    "source_id": Field(str, required=True),
    "source_url": Field(str),
    "source_where": Field(str),
    "target": Field(str, nullable=True),
    "draft": Field(str, nullable=True),
    "target_format": Field(str, nullable=True),
    "draft_format": Field(str, nullable=True),
    "hardware": Field(str, nullable=True),
    "tp": Field(int, nullable=True, minimum=1),
    "batch_size": Field(int, nullable=True, minimum=1),
    "k": Field(int, nullable=True, minimum=1),
    # k is a maximum: the engine stops drafting early where the draft is unsure (llama.cpp's p-min)
    "k_adaptive": Field(bool, nullable=True),
    "temperature": Field(float, nullable=True, minimum=0),
    "task": Field(str, nullable=True, choices=TASKS),
    "engine": Field(str, nullable=True, choices=(*ENGINES, "other")),
    "context_len": Field(int, nullable=True, minimum=1),
    "alpha": Field(float, nullable=True, minimum=0, maximum=1),
    "tau": Field(float, nullable=True, minimum=1),
    "speedup": Field(float, nullable=True, minimum=0, exclusive_minimum=True),
    "use_for": Field(list, item_kind=str),
    "exclude_reason": Field(str, nullable=True),
    "note": Field(str, nullable=True),
    "target_params_b": Field(float, nullable=True, minimum=0, exclusive_minimum=True),
    "draft_params_b": Field(float, nullable=True, minimum=0, exclusive_minimum=True),
    "same_family": Field(bool, nullable=True),
    # written by `specadvisor measure --save` (a user's own measurements)
    "measured_at": Field(str, nullable=True),
}


@dataclass(frozen=True)
class CalibrationRow:
    row: int
    source_id: str
    target: str | None
    draft: str | None
    target_format: str | None
    draft_format: str | None
    hardware: str | None
    tp: int
    batch_size: int
    k: int | None
    temperature: float
    task: str
    engine: str
    context_len: int
    alpha: float | None
    tau: float | None
    speedup: float | None
    use_for: tuple[str, ...]
    target_params_b: float | None = None
    draft_params_b: float | None = None
    same_family: bool | None = None
    source_url: str = ""
    k_adaptive: bool = False

    def draft_length(self, curve: dict[int, float]) -> int:
        """The k a row ran: its fixed k; for adaptive drafting, the best k up to its maximum (a stop rule
        that ends drafts where the draft is unsure approximates the best fixed length); unstated, the best k."""
        if self.k is not None and not self.k_adaptive:
            return self.k
        from specadvisor.model.speedup import best_k

        cap = self.k or max(curve)
        return best_k({k: s for k, s in curve.items() if k <= cap})

    @property
    def measured_alpha(self) -> float | None:
        """Per-token alpha as reported, or solved from tau and a fixed k. None for adaptive drafting: with
        drafts cut short where the draft is unsure, neither tau nor accepted/drafted converts."""
        if self.k_adaptive:
            return None
        if self.alpha is not None:
            return self.alpha
        if self.tau is not None and self.k is not None and 1.0 <= self.tau <= self.k + 1:
            return alpha_from_tau(self.tau, self.k)
        return None

    @property
    def fits_alpha(self) -> bool:
        return bool({"alpha", "tau"} & set(self.use_for)) and self.measured_alpha is not None

    @property
    def fits_speedup(self) -> bool:
        return "speedup" in self.use_for and self.speedup is not None and self.target is not None \
            and self.draft is not None and self.hardware is not None


def _check_row(v: dict[str, Any], raw: Any, p: str, where: str, catalog: Catalog | None) -> None:
    """Checks across a row's fields (and, given a catalog, its model and hardware ids), each error naming the
    file, the line and the field."""
    for u in v["use_for"] or ():
        if u not in USE_FOR:
            raise InputFileError(p, line_of(raw, "use_for"), f"{where}.use_for",
                                 f"{u!r} is not one of: {', '.join(USE_FOR)}{did_you_mean(u, USE_FOR)}")
    if v["k"] is not None and v["k"] > K_MAX:
        raise InputFileError(p, line_of(raw, "k"), f"{where}.k",
                             f"{v['k']} lies outside the plausible draft lengths (1 to {K_MAX})")
    if v["tau"] is not None and v["k"] is not None and v["tau"] > v["k"] + 1:
        raise InputFileError(p, line_of(raw, "tau"), f"{where}.tau",
                             f"{v['tau']:g} exceeds k + 1 = {v['k'] + 1}: a target pass emits at most the k drafted "
                             "tokens and its own")
    tp_b, dp_b = v["target_params_b"], v["draft_params_b"]
    if tp_b is not None and dp_b is not None and dp_b > tp_b:
        raise InputFileError(p, line_of(raw, "draft_params_b"), f"{where}.draft_params_b",
                             f"the draft ({dp_b:g}B) is larger than its target ({tp_b:g}B): target and draft swapped?")
    models = v["target"] is not None and v["draft"] is not None
    if {"alpha", "tau"} & set(v["use_for"] or ()) and not models and (tp_b is None or dp_b is None):
        raise InputFileError(p, line_of(raw), where, "a row used for alpha or tau needs its target and draft (catalog "
                             "ids) or, for models without a public config, target_params_b and draft_params_b")
    if catalog is None:
        return
    refs = {}
    for key in ("target", "draft"):
        if v[key] is not None:
            try:
                refs[key] = catalog.model(v[key])
            except SpecAdvisorError as exc:  # unknown id, or an unknown @format
                raise InputFileError(p, line_of(raw, key), f"{where}.{key}", exc.message) from None
    if v["hardware"] is not None:
        try:
            catalog.hardware_by_name(v["hardware"])
        except SpecAdvisorError as exc:
            raise InputFileError(p, line_of(raw, "hardware"), f"{where}.hardware", exc.message) from None
    if len(refs) == 2 and refs["draft"].spec.params_b > refs["target"].spec.params_b:
        t, d = refs["target"].spec, refs["draft"].spec
        raise InputFileError(p, line_of(raw, "draft"), f"{where}.draft",
                             f"the draft {d.id} ({d.params_b:g}B) is larger than its target {t.id} ({t.params_b:g}B): "
                             "target and draft swapped?")


def load_calibration(path: Path | str, catalog: Catalog | None = None) -> list[CalibrationRow]:
    """The rows of a calibration YAML file, validated; with `catalog`, model and hardware ids are checked too.

    CSV sheets go through `specadvisor.calibration.load.load_rows`, which maps them onto the catalog."""
    if str(path).lower().endswith(".csv"):
        raise InputFileError(str(path), None, None, "a CSV sheet, not calibration YAML (read it with "
                             "specadvisor.calibration.load.load_rows)")
    p = str(path)
    doc = load_yaml_file(path)
    top = validate_mapping(doc, {"rows": Field(list, required=True)}, p, "file")
    item_lines = getattr(top["rows"], "item_lines", None) or []
    out = []
    for i, raw in enumerate(top["rows"]):
        where = f"rows[{i}]"
        v = validate_mapping(raw, _ROW_FIELDS, p, where, line=item_lines[i] if i < len(item_lines) else None)
        for key in ("target_format", "draft_format"):
            if v[key] is not None:
                v[key] = canonical_format(v[key])
                if v[key] not in WEIGHT_FORMATS():
                    raise InputFileError(p, line_of(raw, key), f"{where}.{key}", f"unknown weight format {v[key]!r}")
        _check_row(v, raw, p, where, catalog)
        out.append(CalibrationRow(
            row=v["row"], source_id=v["source_id"], target=v["target"], draft=v["draft"],
            target_format=v["target_format"], draft_format=v["draft_format"], hardware=v["hardware"],
            tp=v["tp"] or 1, batch_size=v["batch_size"] or 1, k=v["k"], temperature=v["temperature"] or 0.0,
            task=v["task"] or "general", engine=v["engine"] if v["engine"] not in (None, "other") else "transformers",
            context_len=v["context_len"] or DEFAULT_CONTEXT, alpha=v["alpha"], tau=v["tau"], speedup=v["speedup"],
            use_for=tuple(v["use_for"] or ()), target_params_b=v["target_params_b"],
            draft_params_b=v["draft_params_b"], same_family=v["same_family"], source_url=v["source_url"] or "",
            k_adaptive=bool(v["k_adaptive"]),
        ))
    return out


def row_ref(catalog: Catalog, model_id: str, fmt: str | None) -> ModelRef:
    """The catalog model in the weight format the row ran (a virtual variant when it differs)."""
    base = catalog.model(model_id)
    if fmt is None or fmt == base.weight_format:
        return base
    return ModelRef(base.spec, fmt, virtual=True)


def row_alpha_features(row: CalibrationRow, catalog: Catalog, coeffs: Coefficients) -> dict[str, float]:
    if row.target is not None and row.draft is not None:
        target = row_ref(catalog, row.target, row.target_format)
        draft = row_ref(catalog, row.draft, row.draft_format)
        rel = relation(target.spec, draft.spec, tokenizer_verdict(target.spec, draft.spec))
        return pair_features(target, draft, rel, row.task, row.temperature, coeffs.acceptance, catalog)
    if row.target_params_b is None or row.draft_params_b is None:
        raise ValueError(f"row {row.row}: no models and no inline sizes")
    return features(target_params_b=row.target_params_b, draft_params_b=row.draft_params_b,
                    rel="same-family" if row.same_family else "shared-tokenizer", distilled=False,
                    domain_mismatch=False, task=row.task, temperature=row.temperature, draft_format=None,
                    floor_params_b=coeffs.acceptance.floor_params_b)


def rows_summary(rows: list[CalibrationRow]) -> dict[str, Any]:
    return {"rows": len(rows), "alpha_rows": sum(r.fits_alpha for r in rows),
            "speedup_rows": sum(r.fits_speedup for r in rows),
            "sources": len({r.source_id for r in rows})}
