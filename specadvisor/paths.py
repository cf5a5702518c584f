"""Where the embedded catalog, rules and model coefficients live.

A wheel carries `model_catalog.yaml` and `rules/` under `specadvisor/_bundled/` (see pyproject.toml);
a source checkout or an editable install reads them from the repository top level. Looking in both
places keeps one layout for developers and one for users without copying files around.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE_DIR / "_bundled"
_REPO_TOP = _PACKAGE_DIR.parent
DATA_DIR = _PACKAGE_DIR / "data"


def _first_existing(name: str) -> Path:
    for base in (_BUNDLED, _REPO_TOP):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"specadvisor cannot find its embedded {name!r}; the installation is incomplete "
        f"(looked in {_BUNDLED} and {_REPO_TOP})"
    )


def catalog_path() -> Path:
    return _first_existing("model_catalog.yaml")


def heads_catalog_path() -> Path:
    """Trained heads and per-engine method support (issue #12), beside model_catalog.yaml."""
    return _first_existing("heads_catalog.yaml")


def rules_dir() -> Path:
    return _first_existing("rules")


def coefficients_path() -> Path:
    return DATA_DIR / "coefficients.yaml"


def calibration_path(name: str = "calibration.yaml") -> Path:
    """A published-measurements file of benchmarks/data (bundled into wheels too)."""
    bundled = _BUNDLED / name
    return bundled if bundled.exists() else _REPO_TOP / "benchmarks" / "data" / name


def calibration_paths() -> list[Path]:
    """What `calibrate-model` fits by default: the rows of ../shared/calibration/published-dev.csv
    (calibration.yaml) and the published rows added beside them (added.yaml)."""
    return [calibration_path("calibration.yaml"), calibration_path("added.yaml")]


def fitted_path() -> Path:
    return DATA_DIR / "fitted.yaml"


def constants_path() -> Path:
    return DATA_DIR / "constants.yaml"
