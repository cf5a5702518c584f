"""`specadvisor check`: argument parsing and rendering only; the work is in specadvisor.check."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from specadvisor.check.kinds import WALK_HELP
from specadvisor.cli.common import CatalogOpt, run_guarded
from specadvisor.errors import EXIT_FINDINGS, EXIT_OK
from specadvisor.textsafe import escape_controls
from specadvisor.vocab import CheckFormat, Severity

_EPILOG = """\
Examples:

  specadvisor check deploy/                                  # every config under deploy/

  specadvisor check k8s/*.yaml --format sarif --output specadvisor.sarif

  specadvisor check serve.sh --fail-on warning --batch-size 64 --hardware h100-sxm

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or configuration error.
Suppress one finding with a comment on its line (or the line above): # specadvisor: ignore[SPEC241] reason
"""


def check(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or globs to check. " + WALK_HELP)],
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="auto = github under GitHub Actions, else text.")]
    = CheckFormat.auto,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here (atomically).")] = None,
    fail_on: Annotated[Severity | None, typer.Option("--fail-on", help="Lowest severity that fails [default: error].")]
    = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Always exit 0 on findings (rollout).")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="A .specadvisor.yaml [default: found upward].")] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only these rules (id, name or prefix).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip these rules (id, name or prefix).")] = None,
    hardware: Annotated[str | None, typer.Option("--hardware", help="Accelerator the predictions assume.")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Declared concurrency for the predictions.")]
    = None,
    catalog: CatalogOpt = None,
    hub: Annotated[bool, typer.Option("--hub", help="Read models missing from the catalog from the Hugging Face Hub.")]
    = False,
    offline: Annotated[bool, typer.Option("--offline", help="With --hub: Hub metadata from the cache only.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Also read fenced shell and YAML blocks of *.md files.")]
    = False,
    launches: Annotated[bool, typer.Option("--launches/--no-launches",
                                           help="Text format: list every launch read (as # lines) after the findings.")]
    = True,
) -> None:
    """Lint speculative-decoding deployment configs (vLLM, SGLang, TensorRT-LLM, llama.cpp, Kubernetes)."""

    def go() -> int:
        import dataclasses

        from specadvisor.check.session import CheckOptions, run_check
        from specadvisor.formats.registry import CHECK

        report = run_check(CheckOptions(
            paths=tuple(paths), config=config, select=tuple(select or ()), ignore=tuple(ignore or ()),
            fail_on=fail_on.value if fail_on else None, hardware=hardware, batch_size=batch_size,
            catalog_files=tuple(catalog or ()), hub=hub, offline=offline, markdown=markdown))
        if not launches:
            report = dataclasses.replace(report, show_launches=False)
        for warning in report.warnings:
            typer.echo(f"specadvisor: warning: {escape_controls(warning)}", err=True)
        chosen = fmt
        if chosen is CheckFormat.auto:
            chosen = CheckFormat.github if os.environ.get("GITHUB_ACTIONS") == "true" else CheckFormat.text
        payload = CHECK.render(report, chosen)
        if output is not None:
            from specadvisor.atomicwrite import write_text  # locked, atomic, keeps mode and symlinks

            write_text(output, payload)
        else:
            sys.stdout.write(payload)
        typer.echo(report.summary(), err=True)
        return EXIT_FINDINGS if report.failed and not exit_zero else EXIT_OK

    code = run_guarded(go)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(epilog=_EPILOG)(check)
