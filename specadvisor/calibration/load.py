"""Read calibration measurements from either form a user has: calibration YAML or a published-dev CSV sheet.

The two readers live apart (`rows` for YAML, `csv_import` for the sheet, which builds `CalibrationRow`s
from `rows`); this module picks one by the file's suffix, so neither reader has to know the other.
"""

from __future__ import annotations

from pathlib import Path

from specadvisor.calibration.csv_import import import_csv
from specadvisor.calibration.rows import CalibrationRow, load_calibration
from specadvisor.catalog.core import Catalog, load_catalog


def load_rows(path: Path | str, catalog: Catalog | None = None) -> list[CalibrationRow]:
    """The validated rows of `path`: a `.csv` in the layout of published-dev.csv is mapped onto the catalog
    (rows it cannot map are left out; `import_csv` says which and why), anything else is calibration YAML."""
    if str(path).lower().endswith(".csv"):
        return import_csv(path, catalog if catalog is not None else load_catalog()).rows
    return load_calibration(path, catalog)
