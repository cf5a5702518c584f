"""Command-line interface: parses arguments and renders; the logic lives in plain functions.

Exit codes: 0 success, 1 findings at or above --fail-on (check), 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from specadvisor import __version__
from specadvisor.errors import EXIT_USAGE, SpecAdvisorError


class _OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr with exit 2 (the README's promise), not click's boxed panel.

    Click formats a bad option as a 5-6 line block (usage, hint, a rich box); a user or a script reads
    one line naming the option and the problem. Help, exit codes and everything else are click's.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        kwargs["standalone_mode"] = False
        if not standalone:
            return super().main(*args, **kwargs)
        try:
            rv = super().main(*args, **kwargs)
        except typer.Abort:
            raise KeyboardInterrupt from None
        except typer.TyperException as exc:  # typer's vendored click exceptions (usage, bad parameter, ...)
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            typer.echo(f"specadvisor: error: {' '.join(text.split())}{hint}", err=True)
            sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)))
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="specadvisor",
    help="Pick a draft model and draft length k for speculative decoding, and predict the speedup.\n\n"
    "Predictions are estimates with a band. Exit codes: 0 ok, 1 findings (check), 2 bad input.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)

T = TypeVar("T")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


class Engine(StrEnum):
    vllm = "vllm"
    sglang = "sglang"
    trtllm = "trtllm"
    transformers = "transformers"
    llamacpp = "llamacpp"
    mlx = "mlx"
    jax = "jax"


class Task(StrEnum):
    general = "general"
    chat = "chat"
    code = "code"
    math = "math"
    summarization = "summarization"
    translation = "translation"
    edit = "edit"


class EmitEngine(StrEnum):
    vllm = "vllm"
    sglang = "sglang"
    trtllm = "trtllm"
    transformers = "transformers"
    llamacpp = "llamacpp"


def _err(message: str) -> None:
    typer.echo(f"specadvisor: error: {message}", err=True)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn domain errors into a one-line message and a documented exit code; never a traceback."""
    try:
        yield
    except SpecAdvisorError as exc:
        _err(exc.message)
        raise typer.Exit(exc.exit_code) from None
    except FileNotFoundError as exc:  # an incomplete installation
        _err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"specadvisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Pick a draft model and draft length k for speculative decoding, and predict the speedup."""


# -- shared options --------------------------------------------------------------------------------

CatalogOpt = Annotated[list[Path] | None, typer.Option(
    "--catalog", help="Extra catalog YAML (same schema as model_catalog.yaml); repeatable, extends the embedded one.")]
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
HardwareOpt = Annotated[str, typer.Option("--hardware", help="Accelerator id or alias (see `specadvisor hardware`).")]
TpOpt = Annotated[int | None, typer.Option(
    "--tp", help="Tensor-parallel size [default: smallest of 1/2/4/8 that holds the target].")]
BatchOpt = Annotated[int, typer.Option("--batch-size", "-b", help="Concurrent sequences (1 = latency-bound).")]
ContextOpt = Annotated[int, typer.Option(
    "--context-len", help="Average tokens in context per sequence (prompt + generated); sets KV-cache traffic.")]
TaskOpt = Annotated[Task, typer.Option("--task", help="Traffic type; structured tasks accept more draft tokens.")]
TempOpt = Annotated[float, typer.Option("--temperature", help="Sampling temperature (0 = greedy).")]
ThinkOpt = Annotated[bool, typer.Option(
    "--thinking/--no-thinking", help="A reasoning target (Qwen3, R1 distills, gpt-oss) writes its trace, as by default; "
    "--no-thinking: served with thinking off, so --task applies.")]
EngineOpt = Annotated[Engine, typer.Option("--engine", help="Serving engine (overheads and vocab checks differ).")]
AlphaOpt = Annotated[float | None, typer.Option("--alpha", help="Measured per-token acceptance; replaces the estimate.")]
KOpt = Annotated[int | None, typer.Option("--k", help="Fix the number of drafted tokens instead of choosing the best.")]
MaxKOpt = Annotated[int, typer.Option("--max-k", help="Largest k to consider.")]
DraftHwOpt = Annotated[str | None, typer.Option(
    "--draft-hardware", help="llama.cpp --device-draft: the accelerator the draft runs on [default: the target's].")]


def _workload(hardware: str, tp: int | None, batch_size: int, context_len: int, task: Task, temperature: float,
              engine: Engine, alpha: float | None, k: int | None, max_k: int,
              measured: str | None = None, draft: str | None = None, thinking: bool = True,
              draft_hardware: str | None = None) -> Any:
    from specadvisor.advisor import Workload

    measured_alpha = None
    if measured is not None:
        if alpha is not None:
            from specadvisor.errors import UsageError

            raise UsageError("--alpha and --measured both set alpha; give one")
        from specadvisor.measure.analysis import measured_alpha as read_alpha

        measured_alpha = read_alpha(measured)
    return Workload(hardware=hardware, tp=tp, batch_size=batch_size, context_len=context_len, task=task.value,
                    temperature=temperature, engine=engine.value, alpha=alpha, k=k, max_k=max_k,
                    measured_alpha=measured_alpha, measured_draft=draft, thinking=thinking,
                    draft_hardware=draft_hardware)


MeasuredOpt = Annotated[str | None, typer.Option(
    "--measured", help="Metrics or log of the deployed pair (file, '-' or http URL): its per-token alpha anchors the "
    "estimates (see `specadvisor measure`).")]


def _catalog(extra: list[Path] | None) -> Any:
    from specadvisor.catalog import load_catalog

    return load_catalog(extra or ())


def _run(fn: Callable[[], T]) -> T:
    with _user_errors():
        return fn()


# -- recommend / compare ---------------------------------------------------------------------------

_RECOMMEND_EPILOG = """\
Examples:

  specadvisor recommend --target meta-llama/Llama-3.1-70B-Instruct --hardware h100-sxm --tp 4

  specadvisor recommend --target Qwen/Qwen3-32B --batch-size 64 --task code --format json

  specadvisor recommend --target meta-llama/Llama-3.1-8B-Instruct@fp8 --hardware l40s --emit vllm
"""


@app.command(epilog=_RECOMMEND_EPILOG)
def recommend(
    target: Annotated[str, typer.Option(
        "--target", "-t", help="Target model id; ID@fp8, ID@int4, ID@q4_k_m ask 'what if quantized'.")],
    hardware: HardwareOpt = "h100-sxm",
    tp: TpOpt = None,
    batch_size: BatchOpt = 1,
    context_len: ContextOpt = 1024,
    task: TaskOpt = Task.general,
    temperature: TempOpt = 0.0,
    thinking: ThinkOpt = True,
    engine: EngineOpt = Engine.vllm,
    alpha: AlphaOpt = None,
    k: KOpt = None,
    max_k: MaxKOpt = 16,
    top: Annotated[int, typer.Option("--top", help="Show the N best candidates (0 = all).")] = 10,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    emit: Annotated[EmitEngine | None, typer.Option("--emit", help="Print a ready-to-paste config for the top pick.")] = None,
    hub: Annotated[bool, typer.Option("--hub", help="Also read models and discover drafts on the Hugging Face Hub.")] = False,
    hub_only: Annotated[bool, typer.Option("--hub-only", help="Like --hub, ignoring catalog models.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Hub metadata from the cache only.")] = False,
    max_candidates: Annotated[int, typer.Option("--max-candidates", help="With --hub: most Hub drafts to fetch.")] = 24,
    measured: MeasuredOpt = None,
    draft_hardware: DraftHwOpt = None,
    draft: Annotated[str | None, typer.Option("--draft", help="The deployed draft that --measured measured.")] = None,
) -> None:
    """Rank every smaller catalog model (and its quantized variants in the engine's formats) as a draft for TARGET."""

    def go() -> None:
        from specadvisor.advisor import recommend as do_recommend

        if top < 0:
            from specadvisor.errors import UsageError

            raise UsageError(f"--top must be >= 0, got {top}")
        cat = _catalog(catalog)
        eng = _engine_for(engine, emit)
        w = _workload(hardware, tp, batch_size, context_len, task, temperature, eng, alpha, k, max_k, measured, draft,
                      thinking, draft_hardware)
        res = None
        if hub or hub_only or offline:
            from specadvisor.cli_hub import hub_extend

            res = hub_extend(cat, target, None, hub_only=hub_only, offline=offline, max_candidates=max_candidates,
                             engine=eng.value)
            cat = res.catalog
        advice = do_recommend(cat, target, w, top=top or None)
        if res is not None:
            from specadvisor.cli_hub import render_with_hub

            render_with_hub(advice, fmt, emit, cat, res)
            return
        _emit_or_render(advice, fmt, emit, cat)

    _run(go)


_COMPARE_EPILOG = """\
Examples:

  specadvisor compare --target meta-llama/Llama-3.1-70B-Instruct meta-llama/Llama-3.2-1B-Instruct Qwen/Qwen2.5-0.5B-Instruct

  specadvisor compare --target Qwen/Qwen3-32B Qwen/Qwen3-1.7B Qwen/Qwen3-1.7B@fp8 --batch-size 32 --alpha 0.72
"""


@app.command(epilog=_COMPARE_EPILOG)
def compare(
    drafts: Annotated[list[str], typer.Argument(help="Draft model ids (ID@fp8 etc. allowed).")],
    target: Annotated[str, typer.Option("--target", "-t", help="Target model id.")],
    hardware: HardwareOpt = "h100-sxm",
    tp: TpOpt = None,
    batch_size: BatchOpt = 1,
    context_len: ContextOpt = 1024,
    task: TaskOpt = Task.general,
    temperature: TempOpt = 0.0,
    thinking: ThinkOpt = True,
    engine: EngineOpt = Engine.vllm,
    alpha: AlphaOpt = None,
    k: KOpt = None,
    max_k: MaxKOpt = 16,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    emit: Annotated[EmitEngine | None, typer.Option("--emit", help="Print a ready-to-paste config for the best draft.")] = None,
    hub: Annotated[bool, typer.Option("--hub", help="Read drafts missing from the catalog from the Hugging Face Hub.")] = False,
    hub_only: Annotated[bool, typer.Option("--hub-only", help="Like --hub, ignoring catalog models.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Hub metadata from the cache only.")] = False,
    measured: MeasuredOpt = None,
    draft_hardware: DraftHwOpt = None,
    draft: Annotated[str | None, typer.Option("--draft", help="The deployed draft --measured measured [default: the first].")]
    = None,
) -> None:
    """Compare the given drafts for TARGET side by side, with the speedup for every k."""

    def go() -> None:
        from specadvisor.advisor import compare as do_compare

        cat = _catalog(catalog)
        eng = _engine_for(engine, emit)
        w = _workload(hardware, tp, batch_size, context_len, task, temperature, eng, alpha, k, max_k, measured, draft,
                      thinking, draft_hardware)
        res = None
        if hub or hub_only or offline:
            from specadvisor.cli_hub import hub_extend

            res = hub_extend(cat, target, drafts, hub_only=hub_only, offline=offline, max_candidates=1,
                             engine=eng.value)
            cat = res.catalog
        advice = do_compare(cat, target, drafts, w)
        if res is not None:
            from specadvisor.cli_hub import render_with_hub

            render_with_hub(advice, fmt, emit, cat, res, by_k=True)
            return
        _emit_or_render(advice, fmt, emit, cat, by_k=True)

    _run(go)


def _engine_for(engine: Engine, emit: EmitEngine | None) -> Engine:
    """--emit ENGINE ranks for that engine (its costs, formats and checks): the config is what was predicted.

    --engine left at its default follows --emit; an explicit other engine contradicts it.
    """
    if emit is None or emit.value == engine.value:
        return engine
    if engine is Engine.vllm:
        return Engine(emit.value)
    from specadvisor.errors import UsageError

    raise UsageError(f"--emit {emit.value} ranks for {emit.value}, but --engine is {engine.value}: give one engine")


def _emit_or_render(advice: Any, fmt: OutputFormat, emit: EmitEngine | None, cat: Any, by_k: bool = False) -> None:
    if emit is not None:
        from specadvisor.emit import plan_emit

        plan = plan_emit(advice, cat, emit.value)
        typer.echo(plan.config, nl=False)
        for msg in plan.messages:
            typer.echo(msg, err=True)
        return
    if fmt is OutputFormat.table:
        from specadvisor.render import render_advice

        render_advice(advice, by_k=by_k)
        return
    from specadvisor.report import advice_to_dict

    _dump(advice_to_dict(advice), fmt)


def _dump(data: Any, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


# -- catalog listings ------------------------------------------------------------------------------


@app.command()
def models(
    family: Annotated[str | None, typer.Option("--family", help="Only this family (e.g. llama, qwen).")] = None,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List catalog models with their shapes, tokenizer and source."""

    def go() -> None:
        from dataclasses import asdict

        cat = _catalog(catalog)
        rows = [m for m in cat.models if family is None or m.family.lower() == family.lower()]
        if family is not None and not rows:
            from specadvisor.errors import UsageError

            fams = sorted({m.family for m in cat.models})
            raise UsageError(f"no models in family {family!r} (families: {', '.join(fams)})")
        if fmt is OutputFormat.table:
            from specadvisor.render import render_models

            render_models(rows)
        else:
            data = [{k: v for k, v in asdict(m).items() if k != "origin"} for m in rows]
            _dump({"schema_version": 1, "models": data}, fmt)

    _run(go)


@app.command()
def hardware(catalog: CatalogOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """List accelerators with memory, bandwidth and dense TFLOPs."""

    def go() -> None:
        from dataclasses import asdict

        cat = _catalog(catalog)
        if fmt is OutputFormat.table:
            from specadvisor.render import render_hardware

            render_hardware(list(cat.hardware))
        else:
            _dump({"schema_version": 1, "hardware": [asdict(h) for h in cat.hardware]}, fmt)

    _run(go)


class RulesFormat(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


@app.command()
def rules(
    rule_id: Annotated[str | None, typer.Argument(help="Show one rule (id or name).")] = None,
    fmt: Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")] = RulesFormat.table,
) -> None:
    """List the rules (from rules/*.yaml) or show one in full (what, why, how to fix, source)."""

    def go() -> None:
        from specadvisor.errors import UsageError
        from specadvisor.rules import load_rules

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
            from specadvisor.render import render_rules

            render_rules(selected, full=rule_id is not None)
        elif fmt is RulesFormat.markdown:
            from specadvisor.rules_doc import rules_markdown

            sys.stdout.write(rules_markdown(selected))
        else:
            data = [{"id": r.id, "name": r.name, "severity": r.severity, "scope": r.scope, "summary": r.summary,
                     "rationale": r.rationale, "remediation": r.remediation, "source": r.source,
                     "verdict": r.verdict} for r in selected]
            _dump({"schema_version": 1, "rules": data}, OutputFormat(fmt.value))

    _run(go)


_CALIBRATE_EPILOG = """\
Examples:

  specadvisor calibrate-model                      # refit on benchmarks/data/*.yaml, write fitted.yaml (~2 min)

  specadvisor calibrate-model --no-loso --dry-run  # quick: no per-source refits, in-sample bands; write nothing

  specadvisor calibrate-model --data benchmarks/data/calibration.yaml --data my_measurements.yaml --out my_fit.yaml
"""


@app.command("calibrate-model", epilog=_CALIBRATE_EPILOG)
def calibrate_model(
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Calibration YAML, or a CSV in the layout of published-dev.csv (repeatable) "
        "[default: benchmarks/data/calibration.yaml and added.yaml].")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the fitted coefficients "
                                             "[default: specadvisor/data/fitted.yaml].")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fit and report; write nothing.")] = False,
    loso: Annotated[bool, typer.Option(
        "--loso/--no-loso", help="Refit without each source in turn: report the held-out error and set the bands "
        "from it (--no-loso: in-sample bands, faster).")] = True,
    catalog: CatalogOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Fit the acceptance and cost coefficients to measured speedups and acceptance rates."""

    def go() -> None:
        from specadvisor import paths
        from specadvisor.calibrate import calibrate

        files = list(data) if data else paths.calibration_paths()
        for f in files:
            if not f.exists():
                from specadvisor.errors import UsageError

                raise UsageError(f"calibration data {f} not found; pass --data FILE (the published set ships in "
                                 "a source checkout under benchmarks/data/)")
        target = out or paths.fitted_path()
        report = calibrate(files, _catalog(catalog), None if dry_run else target, loso=loso,
                           progress=lambda s: typer.echo(f"  refit without {s}", err=True))
        if fmt is OutputFormat.table:
            from specadvisor.render import render_calibration

            render_calibration(report)
        else:
            _dump(report, fmt)
        if not dry_run:
            typer.echo(f"wrote {target}", err=True)

    _run(go)


def main() -> None:
    app()
from specadvisor import cli_check as _cli_check  # noqa: E402,F401  (registers `check`)
from specadvisor import cli_hub as _cli_hub  # noqa: E402,F401  (registers inspect, catalog)
from specadvisor import cli_measure as _cli_measure  # noqa: E402,F401  (registers `measure`)
