"""What every command shares: its options, the handling of user errors, and the plain renderers.

Nothing here knows a particular command; each command module (advice, listings, calibrate, check,
hub, measure) imports from this module, and `app` composes them. Closed choices come from
`specadvisor.vocab`, so the CLI never lists an engine, a task or a format of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from specadvisor.errors import EXIT_USAGE, SpecAdvisorError
from specadvisor.vocab import EMIT_ENGINES, Engine, OutputFormat, Task

T = TypeVar("T")

__all__ = ["Engine", "OutputFormat", "Task", "EmitEngine"]

# The engines `--emit` writes a config for.
EmitEngine = StrEnum("EmitEngine", {e.value: e.value for e in EMIT_ENGINES})  # type: ignore[misc]


def echo_error(message: str) -> None:
    """One line on stderr, in the form every error of the tool takes; control characters (a newline or an escape
    sequence in a model id or file name) are escaped, so input cannot forge a second line."""
    from specadvisor.textsafe import escape_controls

    typer.echo(f"specadvisor: error: {escape_controls(message)}", err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn domain errors into a one-line message and a documented exit code; never a traceback."""
    try:
        yield
    except SpecAdvisorError as exc:
        echo_error(exc.message)
        raise typer.Exit(exc.exit_code) from None
    except FileNotFoundError as exc:  # an incomplete installation
        echo_error(str(exc))
        raise typer.Exit(EXIT_USAGE) from None



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


def build_workload(hardware: str, tp: int | None, batch_size: int, context_len: int, task: Task, temperature: float,
              engine: Engine, alpha: float | None, k: int | None, max_k: int,
              measured: str | None = None, draft: str | None = None, thinking: bool = True,
              draft_hardware: str | None = None) -> Any:
    from specadvisor.advise.advisor import Workload

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


def engine_for(engine: Engine, emit: Any) -> Engine:
    """--emit ENGINE ranks for that engine (its costs, formats and checks): the config is what was predicted.

    --engine left at its default follows --emit; an explicit other engine contradicts it.
    """
    if emit is None or emit.value == engine.value:
        return engine
    if engine is Engine.vllm:
        return Engine(emit.value)
    from specadvisor.errors import UsageError

    raise UsageError(f"--emit {emit.value} ranks for {emit.value}, but --engine is {engine.value}: give one engine")


def load_catalog_opt(extra: list[Path] | None) -> Any:
    from specadvisor.catalog.core import load_catalog

    return load_catalog(extra or ())


def run_guarded(fn: Callable[[], T]) -> T:
    """Run a command body, turning domain errors into one line on stderr and their exit code."""
    with user_errors():
        return fn()


def dump(data: Any, fmt: OutputFormat) -> None:
    """Machine-readable output of a document a command extended (JSON indented, or YAML safe and in order)."""
    from specadvisor.formats.structured import to_json, to_yaml

    sys.stdout.write(to_json(data) if fmt is OutputFormat.json else to_yaml(data))


def render(kind: Any, report: Any, fmt: Any) -> None:
    """Print `report` in `fmt` through the formatter map (specadvisor.formats.registry)."""
    sys.stdout.write(kind.render(report, fmt))


def render_or_emit(advice: Any, fmt: OutputFormat, emit: Any, cat: Any, by_k: bool = False) -> None:
    """Print an advice report in `fmt`, or with `emit`, the engine config of its best usable candidate."""
    if emit is not None:
        from specadvisor.advise.emit import emit_best

        out = emit_best(str(emit.value), advice, cat)
        typer.echo(out.text, nl=False)
        typer.echo(out.prediction, err=True)  # what was predicted, and what the emitted config predicts
        return
    from specadvisor.formats.registry import ADVICE, COMPARISON

    sys.stdout.write((COMPARISON if by_k else ADVICE).render(advice, fmt))
