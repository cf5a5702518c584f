"""Every report kind wires every format its command offers (#11), and renders through one call."""

from __future__ import annotations

import json

import pytest
import yaml

from specadvisor.catalog.listing import HardwareListing, ModelListing
from specadvisor.formats import registry
from specadvisor.formats.reports import CalibrationReport
from specadvisor.rules.engine import load_rules
from specadvisor.rules.listing import RuleListing


@pytest.mark.parametrize("kind", registry.KINDS, ids=lambda k: k.name)
def test_every_format_of_every_kind_is_wired(kind: registry.ReportKind) -> None:
    offered = {m.value for m in kind.formats} - registry.RESOLVED_BEFORE_RENDERING.get(kind.name, frozenset())
    assert set(kind.formatters) == offered


def test_unknown_format_is_a_value_error_not_a_silent_default() -> None:
    with pytest.raises(ValueError, match="no 'sarif' format"):
        registry.MODELS.render(ModelListing(()), "sarif")


def test_structured_formats_are_the_reports_dict(catalog) -> None:
    listing = HardwareListing(tuple(catalog.hardware[:2]))
    as_json = json.loads(registry.HARDWARE.render(listing, "json"))
    as_yaml = yaml.safe_load(registry.HARDWARE.render(listing, "yaml"))
    assert as_json == as_yaml == json.loads(json.dumps(listing.to_dict()))
    assert as_json["schema_version"] == 1 and len(as_json["hardware"]) == 2


def test_tables_are_captured_as_text(catalog) -> None:
    text = registry.MODELS.render(ModelListing(tuple(catalog.models[:1])), "table")
    assert catalog.models[0].id in text


def test_rules_markdown_and_table() -> None:
    listing = RuleListing(tuple(load_rules().rules[:2]))
    md = registry.RULES.render(listing, "markdown")
    assert listing.rules[0].id in md
    assert listing.rules[0].id in registry.RULES.render(listing, "table")


def test_calibration_report_json_round_trips() -> None:
    doc = {"summary": {"rows": 0}, "coefficients": [], "residuals": []}
    assert json.loads(registry.CALIBRATION.render(CalibrationReport(doc), "json")) == doc
