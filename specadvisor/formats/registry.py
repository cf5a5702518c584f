"""Every report kind and the formatter for each of its formats, in one exhaustive map.

A formatter takes the typed report and returns the text to print (or to write to `check --output`), so
every command renders through the same call: `render(KIND, report, fmt)`. JSON and YAML come from the
report's `to_dict()` for every kind; the human formats are the rich tables (captured to text) or the
plain-text/SARIF/GitHub writers. `tests/test_formats.py` checks that each kind wires every member of its
format enum, so a new format is a failing test until it is rendered everywhere it is offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from specadvisor.formats.structured import to_json, to_yaml
from specadvisor.vocab import CheckFormat, MeasureFormat, OutputFormat, RulesFormat

Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class ReportKind:
    """A kind of report, the format enum its command offers, and a formatter per member."""

    name: str
    formats: type[StrEnum]
    formatters: Mapping[str, Formatter]

    def render(self, report: Any, fmt: StrEnum | str) -> str:
        key = str(fmt.value if isinstance(fmt, StrEnum) else fmt)
        try:
            formatter = self.formatters[key]
        except KeyError:
            raise ValueError(f"{self.name} reports have no {key!r} format") from None
        return formatter(report)


def _dict(report: Any) -> dict[str, Any]:
    return dict(report.to_dict())


def _structured(to_dict: Callable[[Any], Any] = _dict) -> dict[str, Formatter]:
    return {"json": lambda r: to_json(to_dict(r)), "yaml": lambda r: to_yaml(to_dict(r))}


# -- the human renderers, imported when used (rich and the report modules stay off the start-up path) --

def captured(render: Callable[[], None]) -> str:
    from specadvisor.formats.console import captured as capture

    return capture(render)


def _advice_table(by_k: bool) -> Formatter:
    def fmt(advice: Any) -> str:
        from specadvisor.formats.advice_table import render_advice

        return captured(lambda: render_advice(advice, by_k=by_k))
    return fmt


def _advice_dict(advice: Any) -> dict[str, Any]:
    from specadvisor.advise.report import advice_to_dict

    return advice_to_dict(advice)


def _models_table(listing: Any) -> str:
    from specadvisor.formats.advice_table import render_models

    return captured(lambda: render_models(listing.models))


def _hardware_table(listing: Any) -> str:
    from specadvisor.formats.advice_table import render_hardware

    return captured(lambda: render_hardware(listing.hardware))


def _rules_table(listing: Any) -> str:
    from specadvisor.formats.advice_table import render_rules

    return captured(lambda: render_rules(listing.rules, full=listing.full))


def _rules_markdown(listing: Any) -> str:
    from specadvisor.rules.doc import rules_markdown

    return rules_markdown(list(listing.rules))


def _calibration_table(report: Any) -> str:
    from specadvisor.formats.advice_table import render_calibration

    return captured(lambda: render_calibration(report.to_dict()))


def _measure_table(report: Any) -> str:
    from specadvisor.measure.render import render_report

    return captured(lambda: render_report(report.to_dict()))


def _inspect_table(report: Any) -> str:
    from specadvisor.formats.hub_tables import render_inspect

    return captured(lambda: render_inspect(report.to_dict()))


def _check(name: str) -> Formatter:
    def fmt(report: Any) -> str:
        from specadvisor.check import output

        if name == "sarif":
            return output.render_sarif(report.result, list(report.rules))
        if name == "text":
            return output.render_text(report.result, launches=getattr(report, "show_launches", True))
        return {"json": output.render_json, "github": output.render_github}[name](report.result)
    return fmt


ADVICE = ReportKind("recommend", OutputFormat, {"table": _advice_table(False), **_structured(_advice_dict)})
COMPARISON = ReportKind("compare", OutputFormat, {"table": _advice_table(True), **_structured(_advice_dict)})
MODELS = ReportKind("models", OutputFormat, {"table": _models_table, **_structured()})
HARDWARE = ReportKind("hardware", OutputFormat, {"table": _hardware_table, **_structured()})
RULES = ReportKind("rules", RulesFormat, {"table": _rules_table, "markdown": _rules_markdown, **_structured()})
CALIBRATION = ReportKind("calibrate-model", OutputFormat, {"table": _calibration_table, **_structured()})
MEASURE = ReportKind("measure", MeasureFormat, {"table": _measure_table, "json": _structured()["json"]})
INSPECT = ReportKind("inspect", OutputFormat, {"table": _inspect_table, **_structured()})
# `auto` is resolved by the check command (github under GitHub Actions, else text) before rendering.
CHECK = ReportKind("check", CheckFormat, {name: _check(name) for name in ("text", "json", "sarif", "github")})

KINDS: tuple[ReportKind, ...] = (ADVICE, COMPARISON, MODELS, HARDWARE, RULES, CALIBRATION, MEASURE, INSPECT, CHECK)
# Format members a kind offers but resolves before rendering (never reach a formatter).
RESOLVED_BEFORE_RENDERING: dict[str, frozenset[str]] = {"check": frozenset({"auto"})}
