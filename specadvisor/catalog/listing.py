"""The `models` and `hardware` listings as typed reports (schema_version 1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from specadvisor.catalog.core import Hardware, ModelSpec

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ModelListing:
    models: tuple[ModelSpec, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION,
                "models": [{k: v for k, v in asdict(m).items() if k != "origin"} for m in self.models]}


@dataclass(frozen=True)
class HardwareListing:
    hardware: tuple[Hardware, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "hardware": [asdict(h) for h in self.hardware]}
