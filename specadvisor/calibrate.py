"""`specadvisor calibrate-model`: load measurements, fit, report residuals, write fitted.yaml."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from specadvisor.calibration import load_calibration, rows_summary
from specadvisor.catalog import Catalog
from specadvisor.fidelity import leave_one_source_out, metrics
from specadvisor.fit import fit, write_fitted


def calibrate(files: Sequence[Path], catalog: Catalog, out: Path | None, loso: bool = False,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    rows = [r for f in files for r in load_calibration(f, catalog)]
    result = fit(rows, catalog)
    m = metrics(result.residuals)
    summary: dict[str, Any] = {**rows_summary(rows), "in_sample": m.as_dict()}
    if loso:
        summary["leave_one_source_out"] = metrics(leave_one_source_out(rows, catalog, progress), False).as_dict()
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
