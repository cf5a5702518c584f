"""`models`, `hardware` and `rules`: list what the catalog and the rule set hold."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from specadvisor.cli.common import (
    CatalogOpt,
    FormatOpt,
    OutputFormat,
    dump,
    load_catalog_opt,
    run_guarded,
)


def models(
    family: Annotated[str | None, typer.Option("--family", help="Only this family (e.g. llama, qwen).")] = None,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List catalog models with their shapes, tokenizer and source."""

    def go() -> None:
        from dataclasses import asdict

        cat = load_catalog_opt(catalog)
        rows = [m for m in cat.models if family is None or m.family.lower() == family.lower()]
        if family is not None and not rows:
            from specadvisor.errors import UsageError

            fams = sorted({m.family for m in cat.models})
            raise UsageError(f"no models in family {family!r} (families: {', '.join(fams)})")
        if fmt is OutputFormat.table:
            from specadvisor.formats.advice_table import render_models

            render_models(rows)
        else:
            data = [{k: v for k, v in asdict(m).items() if k != "origin"} for m in rows]
            dump({"schema_version": 1, "models": data}, fmt)

    run_guarded(go)


def hardware(catalog: CatalogOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """List accelerators with memory, bandwidth and dense TFLOPs."""

    def go() -> None:
        from dataclasses import asdict

        cat = load_catalog_opt(catalog)
        if fmt is OutputFormat.table:
            from specadvisor.formats.advice_table import render_hardware

            render_hardware(list(cat.hardware))
        else:
            dump({"schema_version": 1, "hardware": [asdict(h) for h in cat.hardware]}, fmt)

    run_guarded(go)


class RulesFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


def rules(
    rule_id: Annotated[str | None, typer.Argument(help="Show one rule (id or name).")] = None,
    fmt: Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")] = RulesFormat.table,
) -> None:
    """List the rules (from rules/*.yaml) or show one in full (what, why, how to fix, source)."""

    def go() -> None:
        from specadvisor.errors import UsageError
        from specadvisor.rules.engine import load_rules

        rs = load_rules()
        selected = list(rs.rules)
        if rule_id is not None:
            try:
                selected = [rs.get(rule_id)]
            except KeyError:
                from specadvisor.schema import did_you_mean

                names = [r.id for r in rs.rules] + [r.name for r in rs.rules]
                raise UsageError(f"unknown rule {rule_id!r}{did_you_mean(rule_id, names)}") from None
        if fmt is RulesFormat.table:
            from specadvisor.formats.advice_table import render_rules

            render_rules(selected, full=rule_id is not None)
        elif fmt is RulesFormat.markdown:
            from specadvisor.rules.doc import rules_markdown

            sys.stdout.write(rules_markdown(selected))
        else:
            data = [{"id": r.id, "name": r.name, "severity": r.severity, "scope": r.scope, "summary": r.summary,
                     "rationale": r.rationale, "remediation": r.remediation, "source": r.source,
                     "verdict": r.verdict} for r in selected]
            dump({"schema_version": 1, "rules": data}, OutputFormat(fmt.value))

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command()(models)
    app.command()(hardware)
    app.command()(rules)
