"""Reports that are documents already (a calibration fit, a measurement, a Hub inspection): a typed wrapper
with `to_dict()`, so every report kind offers the same face to the formatter map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocumentReport:
    """A report whose content is a JSON-shaped document built by its producer (schema in the README)."""

    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.data


class CalibrationReport(DocumentReport):
    """`calibrate-model`: summary, coefficients (prior and fitted) and residuals."""


class MeasureReport(DocumentReport):
    """`measure`: the source, the counts, tau, per-token alpha, positions, diagnosis and prediction."""


class InspectReport(DocumentReport):
    """`inspect`: what the Hub says about a model and what specadvisor derives from it."""
