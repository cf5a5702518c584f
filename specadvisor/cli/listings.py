"""`models`, `hardware` and `rules`: list what the catalog and the rule set hold."""

from __future__ import annotations

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
from specadvisor.vocab import RulesFormat


def models(
    family: Annotated[str | None, typer.Option("--family", help="Only this family (e.g. llama, qwen).")] = None,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List catalog models with their shapes, tokenizer and source."""

    def go() -> None:
        cat = load_catalog_opt(catalog)
        rows = [m for m in cat.models if family is None or m.family.lower() == family.lower()]
        if family is not None and not rows:
            from specadvisor.errors import UsageError

            fams = sorted({m.family for m in cat.models})
            raise UsageError(f"no models in family {family!r} (families: {', '.join(fams)})")
        from specadvisor.catalog.listing import ModelListing
        from specadvisor.formats.registry import MODELS

        render(MODELS, ModelListing(tuple(rows)), fmt)

    run_guarded(go)


def hardware(catalog: CatalogOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """List accelerators with memory, bandwidth and dense TFLOPs."""

    def go() -> None:
        from specadvisor.catalog.listing import HardwareListing
        from specadvisor.formats.registry import HARDWARE

        render(HARDWARE, HardwareListing(tuple(load_catalog_opt(catalog).hardware)), fmt)

    run_guarded(go)


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
        from specadvisor.formats.registry import RULES
        from specadvisor.rules.listing import RuleListing

        render(RULES, RuleListing(tuple(selected), full=rule_id is not None), fmt)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command()(models)
    app.command()(hardware)
    app.command()(rules)
