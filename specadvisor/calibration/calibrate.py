"""`specadvisor calibrate-model`: load measurements, fit, report residuals, write fitted.yaml."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from specadvisor.calibration.csv_import import import_csv
from specadvisor.calibration.fidelity import held_out, loso_folds, metrics
from specadvisor.calibration.fit import choose_bands, fit, rebanded, write_fitted
from specadvisor.calibration.load import load_rows
from specadvisor.calibration.rows import rows_summary
from specadvisor.catalog.core import Catalog

# Share of rows whose measured speedup the band should contain.
BAND_COVERAGE = 0.75


def calibrate(files: Sequence[Path], catalog: Catalog, out: Path | None, loso: bool = True,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Fit on every row; with `loso` (the default) also refit once per source left out, report that
    error, and set the bands from those held-out predictions, so that a band covers a source the fit has
    not seen - which is what every user's deployment is. Without it the bands come from the fit's own
    residuals and are narrower than the error on new data (a quick mode for experiments)."""
    rows, skipped = [], []
    for f in files:
        if str(f).lower().endswith(".csv"):  # a published-measurements sheet: say what could not be mapped
            imp = import_csv(f, catalog)
            rows += imp.rows
            skipped += [{"file": str(f), "line": line, "reason": why} for line, why in imp.skipped]
        else:
            rows += load_rows(f, catalog)
    result = fit(rows, catalog, coverage_target=BAND_COVERAGE)
    summary: dict[str, Any] = {**rows_summary(rows)}
    if skipped:
        summary["skipped"] = skipped
    basis = "in-sample"
    held = None
    folds = loso_folds(rows, catalog, progress) if loso and len({r.source_id for r in rows}) >= 2 else []
    if len(folds) >= 2:
        band, u = choose_bands(lambda b, c: held_out(folds, catalog, b, c), result.band_logit, BAND_COVERAGE)
        result = rebanded(result, rows, catalog, band, u)
        held = held_out(folds, catalog, band, u)
        basis = "leave-one-source-out"
    summary["in_sample"] = metrics(result.residuals).as_dict()
    if held is not None:
        summary["leave_one_source_out"] = metrics(held).as_dict()
    summary["bands_from"] = basis
    if out is not None:
        write_fitted(result, out, [str(f) for f in files], summary)
    return {
        "schema_version": 1,
        "summary": summary,
        "coefficients": [{"name": p.name, "prior": round(result.priors[p.name], 4),
                          "fitted": round(result.values[p.name], 4)} for p in result.params],
        "band_logit": round(result.band_logit, 3),
        "cost_uncertainty": round(result.cost_uncertainty, 2),
        "residuals": [{
            "row": r.row.row, "source": r.row.source_id, "target": r.row.target, "draft": r.row.draft,
            "alpha_pred": round(r.alpha_pred, 3),
            "alpha_meas": None if r.alpha_meas is None else round(r.alpha_meas, 3),
            "speedup_pred": None if r.speedup_pred is None else round(r.speedup_pred, 3),
            "speedup_low": None if r.speedup_low is None else round(r.speedup_low, 3),
            "speedup_high": None if r.speedup_high is None else round(r.speedup_high, 3),
            "speedup_meas": r.speedup_meas, "k": r.k,
        } for r in result.residuals],
    }
