"""How well the model predicts measurements: the metrics `calibrate-model` and benchmarks/fidelity.py print.

Besides specadvisor's own predictions (as shipped, priors only, and leave-one-source-out), two anchors
are computed on the same rows so the figures have a reference:
  (a) the practitioner article's headline formula (1 + a + ... + a^k) / (1 + c) with its acceptance
      guidance (same family 0.80, other generation 0.77, other family 0.55, below 0.5B 0.40, distilled
      +0.075) and c = draft/target parameters;
  (b) a fixed alpha = 0.8 (+0.1 for the same family) with speedup (1 + a*k) / (1 + k * ratio^0.65).
Where a row does not state k, (a) uses the article's k for its alpha and (b) uses k = 5.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from specadvisor.calibration.fit import Residual, fit, predict, with_bands
from specadvisor.calibration.rows import CalibrationRow, row_ref
from specadvisor.catalog.core import Catalog
from specadvisor.model.acceptance import relation
from specadvisor.model.compat import tokenizer_verdict


@dataclass(frozen=True)
class Metrics:
    speedup_rows: int
    median_rel_error: float
    within_25pct: float
    alpha_rows: int
    alpha_mae: float
    band_coverage: float | None
    # median of (predicted - measured) / measured: a model that is right on average but biased shows here
    median_signed_error: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: a figure with no rows behind it is null, not NaN."""
        def r(x: float | None) -> float | None:
            return None if x is None or math.isnan(x) else round(x, 4)

        return {"speedup_rows": self.speedup_rows, "median_rel_error": r(self.median_rel_error),
                "within_25pct": r(self.within_25pct), "alpha_rows": self.alpha_rows,
                "alpha_mae": r(self.alpha_mae), "band_coverage": r(self.band_coverage),
                "median_signed_error": r(self.median_signed_error)}


def metrics(res: Sequence[Residual], with_band: bool = True) -> Metrics:
    s = [r for r in res if r.speedup_meas is not None and r.speedup_pred is not None]
    errs = [abs(r.speedup_pred - r.speedup_meas) / r.speedup_meas for r in s]  # type: ignore[operator]
    a = [abs(r.alpha_pred - r.alpha_meas) for r in res if r.alpha_meas is not None]
    cov = None
    if with_band and s:
        cov = sum(r.speedup_low <= r.speedup_meas <= r.speedup_high for r in s) / len(s)  # type: ignore[operator]
    return Metrics(len(s), statistics.median(errs) if errs else float("nan"),
                   sum(e <= 0.25 for e in errs) / len(errs) if errs else float("nan"),
                   len(a), statistics.mean(a) if a else float("nan"), cov,
                   statistics.median(e for _, e in signed_errors(s)) if s else float("nan"))


# Batch-size buckets of the breakdown: batch 1, light concurrency, the 8-31 a single replica serves, 32+.
BATCH_BUCKETS: tuple[tuple[str, int, int | None], ...] = (("1", 1, 1), ("2-7", 2, 7), ("8-31", 8, 31), ("32+", 32, None))


def batch_bucket(batch_size: int) -> str:
    for label, low, high in BATCH_BUCKETS:
        if batch_size >= low and (high is None or batch_size <= high):
            return label
    raise ValueError(f"batch size {batch_size} below 1")


@dataclass(frozen=True)
class GroupError:
    """Speedup error of one group of rows: where the model is wrong, not only how wrong on average."""

    rows: int
    median_abs: float
    median_signed: float  # > 0: the model over-predicts the group
    within_25pct: float
    within_30pct: float
    max_abs: float


def signed_errors(res: Sequence[Residual]) -> list[tuple[Residual, float]]:
    """(residual, (predicted - measured) / measured) for every row with both speedups."""
    return [(r, (r.speedup_pred - r.speedup_meas) / r.speedup_meas)  # type: ignore[operator]
            for r in res if r.speedup_meas is not None and r.speedup_pred is not None]


def group_errors(res: Sequence[Residual], key: Callable[[Residual], str]) -> dict[str, GroupError]:
    """Speedup errors grouped by `key` (engine, batch bucket, source, ...), groups in key order."""
    groups: dict[str, list[float]] = {}
    for r, e in signed_errors(res):
        groups.setdefault(key(r), []).append(e)
    out = {}
    for name in sorted(groups):
        errs = groups[name]
        a = [abs(e) for e in errs]
        out[name] = GroupError(len(errs), statistics.median(a), statistics.median(errs),
                               sum(x <= 0.25 for x in a) / len(a), sum(x <= 0.30 for x in a) / len(a), max(a))
    return out


def by_batch(r: Residual) -> str:
    return batch_bucket(r.row.batch_size)


def by_engine(r: Residual) -> str:
    return r.row.engine


@dataclass(frozen=True)
class Fold:
    """One leave-one-source-out refit: the source held out, its rows, and the coefficients fitted without it."""

    source: str
    rows: list[CalibrationRow]
    doc: dict[str, Any]


def loso_folds(rows: Sequence[CalibrationRow], catalog: Catalog,
               progress: Callable[[str], None] | None = None) -> list[Fold]:
    folds = []
    for src in sorted({r.source_id for r in rows}):
        test = [r for r in rows if r.source_id == src and (r.fits_alpha or r.fits_speedup)]
        if not test:
            continue
        folds.append(Fold(src, test, fit([r for r in rows if r.source_id != src], catalog).doc))
        if progress:
            progress(src)
    return folds


def held_out(folds: Sequence[Fold], catalog: Catalog, band_logit: float | None = None,
             cost_uncertainty: float | None = None) -> list[Residual]:
    """Each fold's source predicted by the fit that did not see it (band widths optionally replaced)."""
    out: list[Residual] = []
    for f in folds:
        out += predict(f.rows, catalog, with_bands(f.doc, band_logit, cost_uncertainty))
    return out


# -- anchors ---------------------------------------------------------------------------------------


def _pair(row: CalibrationRow, catalog: Catalog) -> tuple[float, float, str, bool]:
    if row.target and row.draft:
        t, d = row_ref(catalog, row.target, row.target_format), row_ref(catalog, row.draft, row.draft_format)
        rel = relation(t.spec, d.spec, tokenizer_verdict(t.spec, d.spec))
        return t.spec.params_b, d.spec.params_b, rel, bool(d.spec.distilled_from)
    assert row.target_params_b and row.draft_params_b
    return row.target_params_b, row.draft_params_b, "same-family" if row.same_family else "shared-tokenizer", False


def _article_alpha(tp: float, dp: float, rel: str, distilled: bool) -> float:
    if dp < 0.5:
        a = 0.40
    else:
        a = {"same-family": 0.80, "other-generation": 0.77}.get(rel, 0.55)
    return min(a + (0.075 if distilled else 0.0), 0.95)


def _article_k(a: float) -> int:
    for threshold, k in ((0.9, 8), (0.85, 7), (0.75, 5), (0.0, 4)):
        if a >= threshold:
            return k
    return 4


def anchor_article(rows: Sequence[CalibrationRow], catalog: Catalog) -> list[Residual]:
    out = []
    for r in rows:
        if not (r.fits_alpha or r.fits_speedup):
            continue
        tp, dp, rel, dist = _pair(r, catalog)
        a = _article_alpha(tp, dp, rel, dist)
        s = None
        if r.fits_speedup:
            k = r.k or _article_k(a)
            s = sum(a ** i for i in range(k + 1)) / (1 + dp / tp)
        out.append(Residual(r, a, r.measured_alpha if r.fits_alpha else None, s, None, None,
                            r.speedup if r.fits_speedup else None, r.k))
    return out


def anchor_fixed(rows: Sequence[CalibrationRow], catalog: Catalog) -> list[Residual]:
    out = []
    for r in rows:
        if not (r.fits_alpha or r.fits_speedup):
            continue
        tp, dp, rel, _ = _pair(r, catalog)
        a = 0.8 + (0.1 if rel in ("same-family", "other-generation") else 0.0)
        s = None
        if r.fits_speedup:
            k = r.k or 5
            s = (1 + a * k) / (1 + k * (dp / tp) ** 0.65)
        out.append(Residual(r, a, r.measured_alpha if r.fits_alpha else None, s, None, None,
                            r.speedup if r.fits_speedup else None, r.k))
    return out
