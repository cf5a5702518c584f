"""`specadvisor check`: argument parsing and rendering only; the work is in specadvisor.check."""

from __future__ import annotations

import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from specadvisor.cli import CatalogOpt, _catalog, _run, app
from specadvisor.errors import EXIT_FINDINGS, EXIT_OK


class CheckFormat(StrEnum):
    auto = "auto"
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


_EPILOG = """\
Examples:

  specadvisor check deploy/                                  # every config under deploy/

  specadvisor check k8s/*.yaml --format sarif --output specadvisor.sarif

  specadvisor check serve.sh --fail-on warning --batch-size 64 --hardware h100-sxm

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or configuration error.
Suppress one finding with a comment on its line (or the line above): # specadvisor: ignore[SPEC241] reason
"""


@app.command(epilog=_EPILOG)
def check(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or globs to check.")],
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
) -> None:
    """Lint speculative-decoding deployment configs (vLLM, SGLang, TensorRT-LLM, llama.cpp, Kubernetes)."""

    def go() -> int:
        import dataclasses

        from specadvisor.check.config import CheckConfig, find_config, load_config, rule_matches
        from specadvisor.check.output import render_github, render_json, render_sarif, render_text
        from specadvisor.check.run import check_paths, rules_for_output
        from specadvisor.coefficients import load_coefficients
        from specadvisor.errors import SpecAdvisorError, UsageError
        from specadvisor.rules import load_rules

        rules = load_rules()
        cfg_path = config or find_config(Path.cwd())
        if config is not None and not os.path.isfile(config):  # never raises (a name over 255 bytes)
            from specadvisor.errors import InputFileError
            from specadvisor.safeio import display, read_bytes_bounded

            try:  # the precise reason: no such file, a directory, a FIFO, a device...
                read_bytes_bounded(config)
            except InputFileError as exc:
                raise UsageError(f"--config {display(config)}: {exc.problem}") from None
            raise UsageError(f"--config {display(config)}: not a regular file")
        cfg = load_config(cfg_path, rules) if cfg_path else CheckConfig()
        defaults = cfg.defaults
        if hardware:
            defaults = dataclasses.replace(defaults, hardware=hardware)
        if batch_size is not None:
            if batch_size < 1:
                raise UsageError(f"--batch-size must be >= 1, got {batch_size}")
            defaults = dataclasses.replace(defaults, batch_size=batch_size)
        cfg = dataclasses.replace(cfg, defaults=defaults, select=tuple(select or cfg.select),
                                  ignore=tuple(cfg.ignore) + tuple(ignore or ()),
                                  fail_on=fail_on.value if fail_on else cfg.fail_on)
        for sel in (*(select or ()), *(ignore or ())):
            if not any(rule_matches(r, sel) for r in rules.rules):
                raise UsageError(f"--select/--ignore: no rule matches {sel!r}")
        cat = _catalog(catalog)
        try:
            cat.hardware_by_name(cfg.defaults.hardware)  # fail early on a bad hardware name
        except SpecAdvisorError as exc:
            if hardware or not cfg.path:
                raise
            from specadvisor.errors import InputFileError

            raise InputFileError(cfg.path, cfg.hardware_line, "defaults.hardware", exc.message) from None
        if hub or offline:
            cat = _extend_from_hub(paths, cat, offline)
        result = check_paths(paths, cat, load_coefficients(), rules, cfg)
        chosen = fmt.value
        if chosen == "auto":
            chosen = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
        if chosen == "sarif":
            payload = render_sarif(result, list(rules_for_output(rules, cfg)))
        elif chosen == "json":
            payload = render_json(result)
        elif chosen == "github":
            payload = render_github(result)
        else:
            payload = render_text(result)
        if output is not None:
            _write_atomic(output, payload)
        else:
            sys.stdout.write(payload)
        n = len(result.findings)
        by = {s: sum(f.severity == s for f in result.findings) for s in ("error", "warning", "info")}
        summary = (f"specadvisor: {len(result.files)} file(s) checked, {n} finding(s) "
                   f"({by['error']} error, {by['warning']} warning, {by['info']} info)")
        if result.suppressed:
            summary += f", {result.suppressed} suppressed"
        typer.echo(summary, err=True)
        return EXIT_FINDINGS if result.failed(cfg.fail_on) and not exit_zero else EXIT_OK

    code = _run(go)
    raise typer.Exit(code)


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def _extend_from_hub(paths: list[str], cat: Any, offline: bool) -> Any:
    """The catalog plus the Hub models that the checked configs name and the catalog lacks.

    Each unknown target/draft pair is read once; a pair the Hub cannot give is a warning, so one
    private model does not stop the check of every other file.
    """
    from specadvisor.check.extract import extract_file
    from specadvisor.check.facts import resolve_model
    from specadvisor.check.run import expand
    from specadvisor.hub.errors import HubError
    from specadvisor.hub.resolve import extend_catalog
    from specadvisor.hub.source import default_source

    pairs: set[tuple[str, str]] = set()
    for f in expand(paths):
        for site in extract_file(f)[0]:
            t, d = site.values.get("target"), site.values.get("draft")
            if not (isinstance(t, str) and isinstance(d, str)):
                continue
            unknown = [m for m in (t, d) if resolve_model(cat, m) is None]
            if unknown and all(_HUB_ID.match(m) for m in unknown):
                pairs.add((t, d))
    source = default_source(offline=offline)
    for t, d in sorted(pairs):
        try:
            cat = extend_catalog(cat, t, [d], source=source, progress=False).catalog
        except HubError as exc:
            typer.echo(f"specadvisor: warning: {exc.message}", err=True)
    return cat


def _write_atomic(path: Path, text: str) -> None:
    """The report through the shared locked atomic writer (keeps mode and symlinks; one-line exit-2 errors)."""
    from specadvisor.atomicwrite import write_text

    write_text(path, text)
