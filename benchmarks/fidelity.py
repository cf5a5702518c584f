"""How close are specadvisor's predictions to published measurements?

Prints, for benchmarks/data/calibration.yaml (../shared/calibration/published-dev.csv mapped onto the
catalog), computed in this run:
  - specadvisor as shipped (fitted coefficients), end to end: estimated alpha, the row's k or the best k;
  - specadvisor with the priors only (coefficients.yaml, before calibrate-model);
  - specadvisor leave-one-source-out: refit without each source, predict that source;
  - anchor (a): the article's headline formula with its alpha guidance and c = parameter ratio;
  - anchor (b): fixed alpha 0.8 (+0.1 same family), speedup (1 + a*k) / (1 + k * ratio^0.65).
Metrics: median relative error of speedup, share of rows within 25%, median signed error (> 0: the model
over-predicts), alpha MAE, band coverage; then the speedup error by batch-size bucket (1, 2-7, 8-31, 32+)
and by engine, for the shipped model and (without --no-loso) for each source held out of its own fit.
Targets (issue 3): median <= 15% (in sample and leave-one-source-out), >= 75% within 25%,
alpha MAE <= 0.06, band coverage >= 70%.

Usage: python benchmarks/fidelity.py [--no-loso] [--by-source] [--data FILE ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from specadvisor import paths  # noqa: E402
from specadvisor.calibration.csv_import import import_csv  # noqa: E402
from specadvisor.calibration.fidelity import (  # noqa: E402
    BATCH_BUCKETS,
    Metrics,
    anchor_article,
    anchor_fixed,
    by_batch,
    by_engine,
    group_errors,
    held_out,
    loso_folds,
    metrics,
)
from specadvisor.calibration.fit import Residual, predict, prior_document  # noqa: E402
from specadvisor.calibration.load import load_rows  # noqa: E402
from specadvisor.catalog.core import load_catalog  # noqa: E402
from specadvisor.errors import SpecAdvisorError  # noqa: E402
from specadvisor.yamlio import load_yaml_file  # noqa: E402


def _fmt(label: str, m: Metrics) -> str:
    cov = "   -  " if m.band_coverage is None else f"{m.band_coverage:6.0%}"
    return (f"  {label:44s} {m.median_rel_error:8.1%} {m.within_25pct:9.0%} {m.median_signed_error:+8.1%}"
            f" {m.alpha_mae:9.3f} {cov}   ({m.speedup_rows} speedup rows, {m.alpha_rows} alpha rows)")


def _print_groups(title: str, columns: list[tuple[str, list[Residual]]], key: Callable[[Residual], str]) -> None:
    """One line per group: rows, median |error|, median signed error, share within 25% and 30%, worst."""
    tables = [(name, group_errors(res, key)) for name, res in columns]
    print(f"  by {title}: rows, median |err|, median signed, <=25%, <=30%, worst |err|"
          + ("  [" + " | ".join(n for n, _ in tables) + "]" if len(tables) > 1 else ""))
    for group in sorted({g for _, t in tables for g in t}, key=_group_order):
        cells = []
        for _, t in tables:
            g = t.get(group)
            cells.append("   -" if g is None else
                         f"{g.rows:3d} {g.median_abs:6.1%} {g.median_signed:+7.1%} {g.within_25pct:5.0%} "
                         f"{g.within_30pct:5.0%} {g.max_abs:6.1%}")
        print(f"    {group:14s} " + "  |  ".join(cells))


def _group_order(name: str) -> tuple[int, str]:
    buckets = [b[0] for b in BATCH_BUCKETS]
    return (buckets.index(name), "") if name in buckets else (len(buckets), name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-loso", action="store_true", help="skip the leave-one-source-out refits (~1 min)")
    ap.add_argument("--by-source", action="store_true", help="also print the shipped model's error per source")
    ap.add_argument("--data", action="append", type=Path, metavar="FILE",
                    help="score these calibration files (e.g. measurements the fit never saw) instead of the "
                         "shipped set; implies --no-loso (repeatable)")
    args = ap.parse_args()
    start = time.perf_counter()
    catalog = load_catalog()
    files = args.data or paths.calibration_paths()
    rows = []
    try:
        for f in files:
            if str(f).lower().endswith(".csv"):
                imp = import_csv(f, catalog)
                rows += imp.rows
                for line, why in imp.skipped:
                    print(f"  skipped {f}:{line}: {why}", file=sys.stderr)
            else:
                rows += load_rows(f, catalog)
    except SpecAdvisorError as e:
        sys.exit(f"fidelity.py: {e}")
    if args.data:
        args.no_loso = True
    prior = prior_document()
    fitted = load_yaml_file(paths.fitted_path()) if paths.fitted_path().exists() else None
    from specadvisor.model.coefficients import merge

    shipped_doc = merge(prior, fitted["overrides"]) if fitted else prior
    shipped = predict(rows, catalog, shipped_doc)
    results = [
        ("specadvisor, fitted (as shipped)", metrics(shipped)),
        ("specadvisor, priors only", metrics(predict(rows, catalog, prior))),
    ]
    if not args.no_loso:
        # Each held-out source is predicted by the fit without it, with the shipped band widths.
        folds = loso_folds(rows, catalog, lambda s: print(f"  refit without {s}", file=sys.stderr))
        co = shipped_doc
        held = held_out(folds, catalog, co["acceptance"]["band_logit"], co["cost"]["cost_uncertainty"])
        results.append(("specadvisor, leave-one-source-out", metrics(held, with_band=True)))
    results += [
        ("anchor (a): article formula + guidance", metrics(anchor_article(rows, catalog), with_band=False)),
        ("anchor (b): fixed alpha 0.8/0.9, ratio^0.65", metrics(anchor_fixed(rows, catalog), with_band=False)),
    ]
    n_sources = len({r.source_id for r in rows if r.fits_speedup or r.fits_alpha})
    label = "calibration set" if not args.data else ", ".join(str(f) for f in files)
    print(f"{label}: {len(rows)} rows, {n_sources} sources used "
          f"({sum(r.fits_speedup for r in rows)} with speedup, {sum(r.fits_alpha for r in rows)} with alpha)")
    print(f"  {'model':44s} {'median':>8s} {'<=25%':>9s} {'signed':>8s} {'alpha MAE':>9s} {'band':>6s}")
    for label, m in results:
        print(_fmt(label, m))
    columns = [("shipped", shipped)] + ([("held out", held)] if not args.no_loso else [])
    _print_groups("batch size", columns, by_batch)
    _print_groups("engine", columns, by_engine)
    if args.by_source:
        by: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for name, res in columns:
            for r in res:
                if r.speedup_meas and r.speedup_pred:
                    by[r.row.source_id][name].append(abs(r.speedup_pred - r.speedup_meas) / r.speedup_meas)
        print("  per source: median relative speedup error  " + "  ".join(f"{n:>9s}" for n, _ in columns))
        for src, errs in sorted(by.items()):
            cells = "  ".join(f"{statistics.median(errs[n]):9.1%}" for n, _ in columns)
            print(f"    {src:42s} {cells}   ({len(errs['shipped'])} rows)")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
