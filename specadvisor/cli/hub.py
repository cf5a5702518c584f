"""Hub commands (`inspect`, `catalog add`) and the Hub part of `recommend`/`compare` output.

Registered by `register` from cli/app.py. Nothing here imports huggingface_hub at
module level: `specadvisor --help` and the catalog-only commands never load it.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from specadvisor.cli.common import OutputFormat, dump, render, render_or_emit, run_guarded

catalog_app = typer.Typer(help="Edit user catalog files.", no_args_is_help=True)

OfflineOpt = Annotated[bool, typer.Option("--offline", help="Read only the Hub metadata cache; make no request.")]
RevisionOpt = Annotated[str, typer.Option("--revision", help="Branch, tag or commit of the repo.")]


def _warn(message: str) -> None:
    from specadvisor.textsafe import escape_controls

    typer.echo(f"specadvisor: warning: {escape_controls(message)}", err=True)


def hub_extend(cat: Any, target: str, drafts: Sequence[str] | None, *, hub_only: bool, offline: bool,
               max_candidates: int, engine: str) -> Any:
    """The catalog extended from the Hub (recommend/compare); prints warnings to stderr."""
    from specadvisor.errors import UsageError
    from specadvisor.hub.errors import HubNotFoundError
    from specadvisor.hub.resolve import extend_catalog
    from specadvisor.hub.source import default_source

    if max_candidates < 1:
        raise UsageError(f"--max-candidates must be >= 1, got {max_candidates}")
    try:
        res = extend_catalog(cat, target, drafts, source=default_source(offline=offline), hub_only=hub_only,
                             max_candidates=max_candidates, engine=engine)
    except HubNotFoundError as exc:
        names = [m.id for m in cat.models]
        close = difflib.get_close_matches(target.split("@")[0], names, n=3, cutoff=0.5)
        hint = f"; closest catalog ids: {', '.join(close)}" if close else ""
        raise HubNotFoundError(exc.message + hint) from None
    for w in res.warnings:
        _warn(w)
    return res


def render_with_hub(advice: Any, fmt: OutputFormat, emit: Any, cat: Any, res: Any, by_k: bool = False) -> None:
    if emit is not None or fmt is OutputFormat.table:
        render_or_emit(advice, fmt, emit, cat, by_k=by_k)
        if emit is None:
            from specadvisor.formats.console import captured
            from specadvisor.formats.hub_tables import render_hub_checks

            sys.stdout.write(captured(lambda: render_hub_checks(advice, res)))
        return
    from specadvisor.advise.report import advice_to_dict

    data = advice_to_dict(advice)
    data["hub"] = res.to_dict(shown=[c.draft_id for c in advice.candidates])
    dump(data, fmt)


# -- inspect ---------------------------------------------------------------------------------------

_INSPECT_EPILOG = """\
Examples:

  specadvisor inspect Qwen/Qwen2.5-7B-Instruct

  specadvisor inspect my-org/my-finetune --revision v2 --format json

  specadvisor inspect Qwen/Qwen2.5-7B-Instruct --offline      # from the cache only
"""


def inspect(
    model_id: Annotated[str, typer.Argument(help="Hub model id (owner/name).")],
    revision: RevisionOpt = "main",
    offline: OfflineOpt = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
) -> None:
    """Show what the Hub says about MODEL_ID and what specadvisor derives from it (no weights downloaded)."""

    def go() -> None:
        from specadvisor.catalog.core import load_catalog
        from specadvisor.formats.registry import INSPECT
        from specadvisor.formats.reports import InspectReport
        from specadvisor.hub.inspect import inspect_model
        from specadvisor.hub.source import default_source

        data = inspect_model(model_id, revision, default_source(offline=offline), load_catalog())
        render(INSPECT, InspectReport(data), fmt)

    run_guarded(go)


# -- catalog add -----------------------------------------------------------------------------------


@catalog_app.command("add")
def catalog_add(
    model_id: Annotated[str, typer.Argument(help="Hub model id (owner/name).")],
    to: Annotated[Path, typer.Option("--to", help="User catalog YAML to append to (created if missing).")],
    revision: RevisionOpt = "main",
    offline: OfflineOpt = False,
) -> None:
    """Read MODEL_ID from the Hub and append it to a user catalog, keeping the file's comments and entries."""

    def go() -> None:
        from datetime import date

        from specadvisor.catalog.core import load_catalog
        from specadvisor.catalog.edit import add_entry
        from specadvisor.hub.resolve import model_from_record
        from specadvisor.hub.source import default_source

        src = default_source(offline=offline)
        rec = src.record(model_id, revision)
        hm = model_from_record(rec, load_catalog().find_model, src)
        comment = f"added by specadvisor catalog add from {rec.endpoint} ({(rec.sha or revision)[:12]}), {date.today()}"
        add_entry(to, hm.spec, comment=comment)
        typer.echo(f"added {hm.spec.id} to {to}", err=True)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(epilog=_INSPECT_EPILOG)(inspect)
    app.add_typer(catalog_app, name="catalog")
