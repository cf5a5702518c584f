"""`calibrate-model`: refit the acceptance and cost coefficients to published measurements."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from specadvisor.cli.common import (
    CatalogOpt,
    FormatOpt,
    OutputFormat,
    load_catalog_opt,
    render,
    run_guarded,
)

_CALIBRATE_EPILOG = """\
Examples:

  specadvisor calibrate-model                      # refit on benchmarks/data/*.yaml, write fitted.yaml (~2 min)

  specadvisor calibrate-model --no-loso --dry-run  # quick: no per-source refits, in-sample bands; write nothing

  specadvisor calibrate-model --data benchmarks/data/calibration.yaml --data my_measurements.yaml --out my_fit.yaml
"""


def calibrate_model(
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Calibration YAML, or a CSV in the layout of published-dev.csv (repeatable) "
        "[default: benchmarks/data/calibration.yaml and added.yaml].")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the fitted coefficients "
                                             "[default: specadvisor/data/fitted.yaml].")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fit and report; write nothing.")] = False,
    loso: Annotated[bool, typer.Option(
        "--loso/--no-loso", help="Refit without each source in turn: report the held-out error and set the bands "
        "from it (--no-loso: in-sample bands, faster).")] = True,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Fit the acceptance and cost coefficients to measured speedups and acceptance rates."""

    def go() -> None:
        from specadvisor import paths
        from specadvisor.calibration.calibrate import calibrate

        files = list(data) if data else paths.calibration_paths()
        for f in files:
            if not os.path.lexists(f):  # Path.exists raises for a name over 255 bytes
                from specadvisor.errors import UsageError

                raise UsageError(f"calibration data {f} not found; pass --data FILE (the published set ships in "
                                 "a source checkout under benchmarks/data/)")
        target = out or paths.fitted_path()
        report = calibrate(files, load_catalog_opt(catalog), None if dry_run else target, loso=loso,
                           progress=lambda s: typer.echo(f"  refit without {s}", err=True))
        from specadvisor.formats.registry import CALIBRATION
        from specadvisor.formats.reports import CalibrationReport

        render(CALIBRATION, CalibrationReport(report), fmt)
        if not dry_run:
            typer.echo(f"wrote {target}", err=True)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("calibrate-model", epilog=_CALIBRATE_EPILOG)(calibrate_model)
