"""Fitting the acceptance and cost coefficients to measurements (`specadvisor calibrate-model`).

One objective covers both models: squared logit errors of alpha on rows that measured it, plus squared
log errors of the end-to-end speedup (estimated alpha, as `recommend` predicts) on rows that measured
speedup, each source weighted by 1/sqrt(its rows) so that no single paper dominates, plus a penalty
pulling every coefficient toward its sourced prior (a MAP fit: coefficients the data cannot see stay
where the sources put them). A bounded coordinate search minimises it with numpy; the fit is
deterministic. After the fit, the bands are set from the residuals: alpha's band to the RMS logit
residual, the cost uncertainty to the smallest value whose speedup band covers 75% of the rows.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specadvisor import paths
from specadvisor.advise.advisor import ResolvedWorkload, round_costs, speedup_band
from specadvisor.calibration.rows import CalibrationRow, row_alpha_features, row_ref
from specadvisor.catalog.core import Catalog, ModelRef
from specadvisor.model.acceptance import logit, sigmoid
from specadvisor.model.coefficients import Coefficients, parse_coefficients
from specadvisor.model.costs import dequantizes_per_token
from specadvisor.model.speedup import RoundCosts, speedup_curve
from specadvisor.yamlio import load_yaml_file

ALPHA_SCALE = 0.3  # typical logit residual: puts alpha and speedup errors on comparable scales
SPEEDUP_SCALE = 0.2  # typical log-speedup residual
ACCEPT_PRIOR_SIGMA = 0.75  # logit units
COST_PRIOR_SIGMA = 1.0  # natural-log units (a factor of e)


@dataclass(frozen=True)
class Param:
    """One fitted coefficient: a path into the coefficients document, and how it may move."""

    path: tuple[str, ...]
    log_scale: bool  # cost terms move multiplicatively, acceptance terms additively
    low: float
    high: float

    @property
    def name(self) -> str:
        return ".".join(self.path)


def _get(doc: dict[str, Any], path: tuple[str, ...]) -> float:
    node: Any = doc
    for p in path:
        node = node[p]
    return float(node)


def _set(doc: dict[str, Any], path: tuple[str, ...], value: float) -> None:
    node: Any = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = float(value)


def default_params(doc: dict[str, Any], rows: Sequence[CalibrationRow], catalog: Catalog | None = None) -> list[Param]:
    """The coefficients the calibration rows can inform; everything else stays at its prior."""
    out: list[Param] = [
        Param(("acceptance", "intercept"), False, -3, 6),
        Param(("acceptance", "log10_size_ratio"), False, 0.0, 3.0),
        Param(("acceptance", "below_floor_per_decade"), False, 0.0, 3.0),
        Param(("acceptance", "distilled"), False, 0.0, 2.0),
        Param(("acceptance", "domain_mismatch"), False, -2.0, 0.0),  # a mismatch cannot help
        Param(("acceptance", "temperature"), False, -2.0, 0.5),
    ]
    for rel in ("other-generation", "shared-tokenizer", "different-tokenizer"):
        out.append(Param(("acceptance", "relation", rel), False, -4.0, 0.0))  # never better than same-family
    reasoning = catalog is not None and any(
        (m := catalog.find_model(r.target)) is not None and m.reasoning for r in rows if r.target)
    tasks = ({r.task for r in rows} | ({"reasoning"} if reasoning else set())) - {"general"}
    out += [Param(("acceptance", "task", t), False, -2.0, 4.0) for t in sorted(tasks)]
    # Upper bounds: llm-analysis calls 0.9 of HBM bandwidth aggressive and 0.7 of FLOPs typical (hub-and-cost.md 4.2).
    kinds = {"gpu", "apple", "cpu", "tpu"}
    out += [Param(("cost", "flops_efficiency", k), True, 0.1, 0.8) for k in sorted(kinds)]
    if catalog is not None and any(not catalog.hardware_by_name(r.hardware).bf16_native and r.engine != "llamacpp"
                                   for r in rows if r.fits_speedup and r.hardware):
        out += [Param(("cost", "bf16_emulation"), True, 0.1, 1.0)]
    out += [Param(("cost", "bandwidth_efficiency", k), True, 0.2, 0.9) for k in sorted(kinds)]
    for engine in sorted({r.engine for r in rows if r.fits_speedup}):
        e = doc["cost"]["engines"][engine]
        keys = ["forward_overhead_ms", "draft_step_overhead_ms", "layer_overhead_us", "round_overhead_ms"]
        if any(r.engine == engine and r.fits_speedup and r.batch_size > 1 for r in rows):
            keys += ["spec_overhead_per_seq_us", "draft_step_per_seq_us"]  # only concurrency shows per-sequence costs
        if catalog is not None and any(r.engine == engine and _weight_only_quantized(r, catalog) for r in rows):
            keys.append("dequant_per_token")  # only a quantized target shows the per-token dequantization
        for key in keys:
            prior = float(e.get(key, 0.0))
            if prior > 0:  # a zero prior is a structural zero, not a value to scale
                out.append(Param(("cost", "engines", engine, key), True, prior / 20, prior * 20))
    return out


def _weight_only_quantized(row: CalibrationRow, catalog: Catalog) -> bool:
    """Whether a speedup row verifies on weights the engine dequantizes per token (see costs.py)."""
    if not (row.fits_speedup and row.target and row.hardware):
        return False
    return dequantizes_per_token(row_ref(catalog, row.target, row.target_format), catalog.hardware_by_name(row.hardware))


@dataclass
class _Prepared:
    row: CalibrationRow
    feats: dict[str, float]
    target: ModelRef | None
    draft: ModelRef | None
    rw: ResolvedWorkload | None


def _prepare(rows: Sequence[CalibrationRow], catalog: Catalog, base: Coefficients) -> list[_Prepared]:
    out = []
    for r in rows:
        if not (r.fits_alpha or r.fits_speedup):
            continue
        feats = row_alpha_features(r, catalog, base)
        target = draft = rw = None
        if r.fits_speedup:
            assert r.target and r.draft and r.hardware
            target, draft = row_ref(catalog, r.target, r.target_format), row_ref(catalog, r.draft, r.draft_format)
            rw = ResolvedWorkload(hardware=catalog.hardware_by_name(r.hardware), tp=r.tp, tp_source="given",
                                  batch_size=r.batch_size, effective_batch=r.batch_size, context_len=r.context_len,
                                  task=r.task, temperature=r.temperature, engine=r.engine, max_k=16, k=r.k, alpha=None)
        out.append(_Prepared(r, feats, target, draft, rw))
    return out


@dataclass(frozen=True)
class Residual:
    row: CalibrationRow
    alpha_pred: float
    alpha_meas: float | None
    speedup_pred: float | None
    speedup_low: float | None
    speedup_high: float | None
    speedup_meas: float | None
    k: int | None


class Objective:
    """Evaluates the fit objective for a coefficients document; caches costs between evaluations."""

    def __init__(self, prepared: list[_Prepared], base_doc: dict[str, Any], params: list[Param]) -> None:
        self.prepared = prepared
        self.params = params
        self.base_doc = base_doc
        self.prior = np.array([_get(base_doc, p.path) for p in params])
        counts_a = Counter(p.row.source_id for p in prepared if p.row.fits_alpha)
        counts_s = Counter(p.row.source_id for p in prepared if p.row.fits_speedup)
        self.w_alpha = {s: 1 / math.sqrt(n) for s, n in counts_a.items()}
        self.w_speed = {s: 1 / math.sqrt(n) for s, n in counts_s.items()}
        self._cost_key: tuple[float, ...] | None = None
        self._costs: list[RoundCosts | None] = []

    def doc_for(self, x: np.ndarray) -> dict[str, Any]:
        doc = copy.deepcopy(self.base_doc)
        for p, v in zip(self.params, x, strict=True):
            _set(doc, p.path, v)
        return doc

    def coefficients(self, x: np.ndarray) -> Coefficients:
        return parse_coefficients(self.doc_for(x), "fit")

    def _round_costs(self, x: np.ndarray, co: Coefficients) -> list[RoundCosts | None]:
        key = tuple(float(v) for p, v in zip(self.params, x, strict=True) if p.path[0] == "cost")
        if key != self._cost_key:
            self._costs = [round_costs(p.target, p.draft, p.rw, co.cost) if p.rw and p.target and p.draft else None
                           for p in self.prepared]
            self._cost_key = key
        return self._costs

    def residuals(self, x: np.ndarray, co: Coefficients | None = None) -> list[Residual]:
        co = co or self.coefficients(x)
        from specadvisor.model.acceptance import coefficient_vector

        cv = coefficient_vector(co.acceptance)
        band = co.acceptance.band_logit
        u = co.cost.cost_uncertainty
        costs = self._round_costs(x, co)
        out = []
        for p, c in zip(self.prepared, costs, strict=True):
            z = sum(cv.get(k, 0.0) * v for k, v in p.feats.items())
            a = sigmoid(z)
            s = lo = hi = None
            k = p.row.k
            if c is not None:
                if k is None or p.row.k_adaptive:
                    k = p.row.draft_length(speedup_curve(a, c, max_k=max(16, k or 0)))
                s, lo, hi = speedup_band(a, sigmoid(z - band), sigmoid(z + band), k, c, u)
            out.append(Residual(p.row, a, p.row.measured_alpha if p.row.fits_alpha else None, s, lo, hi,
                                p.row.speedup if c is not None else None, k))
        return out

    use_alpha = True
    use_speedup = True

    def __call__(self, x: np.ndarray) -> float:
        total = 0.0
        for r in self.residuals(x):
            if r.alpha_meas is not None and self.use_alpha:
                e = (logit(r.alpha_pred) - logit(r.alpha_meas)) / ALPHA_SCALE
                total += self.w_alpha[r.row.source_id] * e * e
            if r.speedup_pred is not None and r.speedup_meas is not None and self.use_speedup:
                e = math.log(max(r.speedup_pred, 1e-6) / r.speedup_meas) / SPEEDUP_SCALE
                total += self.w_speed[r.row.source_id] * e * e
        for p, v, v0 in zip(self.params, x, self.prior, strict=True):
            if p.log_scale:
                d = math.log(v / v0) / COST_PRIOR_SIGMA
            else:
                d = (v - v0) / ACCEPT_PRIOR_SIGMA
            total += d * d
        return total


def coordinate_search(f: Callable[[np.ndarray], float], x0: np.ndarray, params: list[Param],
                      steps: Sequence[float] = (0.8, 0.4, 0.2, 0.1, 0.05, 0.02), max_passes: int = 4) -> np.ndarray:
    """Bounded coordinate descent: additive steps for acceptance terms, multiplicative for costs."""
    x = x0.astype(float).copy()
    best = f(x)
    for step in steps:
        for _ in range(max_passes):
            improved = False
            for i, p in enumerate(params):
                for direction in (1.0, -1.0):
                    trial = x.copy()
                    trial[i] = x[i] * math.exp(direction * step) if p.log_scale else x[i] + direction * step
                    trial[i] = min(max(trial[i], p.low), p.high)
                    if trial[i] == x[i]:
                        continue
                    val = f(trial)
                    if val < best - 1e-12:
                        x, best, improved = trial, val, True
                        break
            if not improved:
                break
    return x


def follow_engines(doc: dict[str, Any], prior_doc: dict[str, Any], params: Sequence[Param]) -> dict[tuple[str, ...], float]:
    """Move each engine that has no fitted coefficients of its own by the factors its `follows` engine moved.

    SGLang and TensorRT-LLM share vLLM's design (CUDA graphs, a separate draft runner) but have no
    published rows in the calibration set; left at their priors they would disagree with the fitted vLLM
    by whatever the fit learned about vLLM. Returns the values set, by path, for fitted.yaml.
    """
    fitted_engines = {p.path[2] for p in params if p.path[:2] == ("cost", "engines")}
    engines = prior_doc["cost"]["engines"]
    out: dict[tuple[str, ...], float] = {}
    for name, raw in engines.items():
        leader = raw.get("follows")
        if not leader or name in fitted_engines or leader not in fitted_engines:
            continue
        for key, v0 in raw.items():
            if key in ("source", "follows"):
                continue
            lead0, lead = float(engines[leader].get(key, 0.0)), float(doc["cost"]["engines"][leader].get(key, 0.0))
            if lead0 > 0 and float(v0) > 0:
                value = float(v0) * lead / lead0
                doc["cost"]["engines"][name][key] = value
                out[("cost", "engines", name, key)] = value
    return out


@dataclass(frozen=True)
class FitResult:
    doc: dict[str, Any]
    params: list[Param]
    values: dict[str, float]
    priors: dict[str, float]
    residuals: list[Residual]
    band_logit: float
    cost_uncertainty: float
    derived: dict[tuple[str, ...], float] = field(default_factory=dict)  # follower engines' values

    def coefficients(self) -> Coefficients:
        return parse_coefficients(self.doc, "fit")


def prior_document() -> dict[str, Any]:
    return _plain(load_yaml_file(paths.coefficients_path()))


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x


def fit(rows: Sequence[CalibrationRow], catalog: Catalog, base_doc: dict[str, Any] | None = None,
        coverage_target: float = 0.75) -> FitResult:
    doc = _plain(base_doc) if base_doc is not None else prior_document()
    base = parse_coefficients(doc, "prior")
    params = default_params(doc, rows, catalog)
    prepared = _prepare(rows, catalog, base)
    obj = Objective(prepared, doc, params)
    x = coordinate_search(obj, obj.prior.copy(), params)
    fitted_doc = obj.doc_for(x)
    derived = follow_engines(fitted_doc, doc, params)

    def in_sample(band: float | None, u: float | None) -> list[Residual]:
        return obj.residuals(x, parse_coefficients(with_bands(fitted_doc, band, u), "fit"))

    band, chosen = choose_bands(in_sample, float(doc["acceptance"]["band_logit"]), coverage_target)
    fitted_doc = with_bands(fitted_doc, band, chosen)
    final = parse_coefficients(fitted_doc, "fit")
    return FitResult(doc=fitted_doc, params=params, values={p.name: float(v) for p, v in zip(params, x, strict=True)},
                     priors={p.name: float(v) for p, v in zip(params, obj.prior, strict=True)},
                     residuals=obj.residuals(x, final), band_logit=band, cost_uncertainty=chosen, derived=derived)


# Candidate cost uncertainties for the speedup band (relative change of the speculative costs).
COST_UNCERTAINTY_GRID = tuple(round(0.05 * i, 2) for i in range(1, 17))


def with_bands(doc: dict[str, Any], band_logit: float | None, cost_uncertainty: float | None) -> dict[str, Any]:
    """A copy of a coefficients document with the band widths replaced (None keeps the document's)."""
    out = copy.deepcopy(doc)
    if band_logit is not None:
        out["acceptance"]["band_logit"] = round(band_logit, 3)
    if cost_uncertainty is not None:
        out["cost"]["cost_uncertainty"] = round(cost_uncertainty, 2)
    return out


def choose_bands(predict_with: Callable[[float | None, float | None], list[Residual]], default_band: float,
                 coverage_target: float) -> tuple[float, float]:
    """Band widths from residuals: alpha's to the RMS logit residual, the cost uncertainty to the smallest
    value whose speedup band covers `coverage_target` of the rows.

    `predict_with(band_logit, cost_uncertainty)` gives the residuals under those widths; given held-out
    predictions (leave-one-source-out) the bands describe the error on a source the fit has not seen,
    which is what a user's own deployment is.
    """
    res = predict_with(None, None)
    logit_res = [logit(r.alpha_pred) - logit(r.alpha_meas) for r in res if r.alpha_meas is not None]
    band = float(np.sqrt(np.mean(np.square(logit_res)))) if logit_res else default_band
    for u in COST_UNCERTAINTY_GRID:
        rows = [r for r in predict_with(band, u) if r.speedup_meas is not None and r.speedup_low is not None]
        covered = sum(r.speedup_low <= r.speedup_meas <= r.speedup_high for r in rows)  # type: ignore[operator]
        if not rows or covered >= coverage_target * len(rows):
            return band, u
    return band, COST_UNCERTAINTY_GRID[-1]


def rebanded(result: FitResult, rows: Sequence[CalibrationRow], catalog: Catalog, band_logit: float,
             cost_uncertainty: float) -> FitResult:
    """The same fit with other band widths (and its residuals recomputed under them)."""
    doc = with_bands(result.doc, band_logit, cost_uncertainty)
    return dataclasses.replace(result, doc=doc, residuals=predict(rows, catalog, doc), band_logit=band_logit,
                               cost_uncertainty=cost_uncertainty)


def predict(rows: Sequence[CalibrationRow], catalog: Catalog, doc: dict[str, Any]) -> list[Residual]:
    """Residuals of `rows` under a coefficients document (no fitting)."""
    base = parse_coefficients(doc, "eval")
    prepared = _prepare(rows, catalog, base)
    obj = Objective(prepared, _plain(doc), [])
    return obj.residuals(np.array([]), base)


def overrides(result: FitResult) -> dict[str, Any]:
    """Only the fitted values (and the bands), as a document to lay over the priors."""
    out: dict[str, Any] = {}
    for p in result.params:
        node = out
        for key in p.path[:-1]:
            node = node.setdefault(key, {})
        node[p.path[-1]] = round(result.values[p.name], 4)
    for path, value in result.derived.items():
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = round(value, 4)
    out.setdefault("acceptance", {})["band_logit"] = round(result.band_logit, 3)
    out.setdefault("cost", {})["cost_uncertainty"] = round(result.cost_uncertainty, 2)
    return out


def _relative(f: str) -> str:
    """Data files as the README names them (relative to the checkout), so fitted.yaml is reproducible."""
    p = Path(f).resolve()
    for shipped in paths.calibration_paths():
        if p == shipped.resolve():
            return f"benchmarks/data/{shipped.name}"
    try:
        return str(p.relative_to(Path.cwd().resolve()))
    except ValueError:
        return f


def write_fitted(result: FitResult, path: Path, data_files: Sequence[str], summary: dict[str, Any]) -> None:
    """Write fitted.yaml atomically (a temporary file, then a rename)."""
    import datetime

    import yaml

    doc = {
        "status": "fitted",
        "fitted_on": datetime.date.today().isoformat(),
        "method": "MAP fit: ridge toward the sourced priors in coefficients.yaml; bounded coordinate search "
                  "(specadvisor/fit.py)",
        "data": [_relative(f) for f in data_files],
        "summary": summary,
        "overrides": overrides(result),
    }
    header = ("# Written by `specadvisor calibrate-model`; do not edit by hand. Each value here replaces the\n"
              "# prior of the same name in coefficients.yaml, where its source and meaning are documented.\n")
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(header + yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
