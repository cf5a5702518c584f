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


def rules_dir() -> Path:
    return _first_existing("rules")


def coefficients_path() -> Path:
    return DATA_DIR / "coefficients.yaml"


def calibration_path() -> Path:
    """The published measurements (benchmarks/data/calibration.yaml; bundled into wheels too)."""
    bundled = _BUNDLED / "calibration.yaml"
    return bundled if bundled.exists() else _REPO_TOP / "benchmarks" / "data" / "calibration.yaml"


def fitted_path() -> Path:
    return DATA_DIR / "fitted.yaml"


def constants_path() -> Path:
    return DATA_DIR / "constants.yaml"
