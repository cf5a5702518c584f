"""`specadvisor measure`: measured acceptance from serving metrics or logs, turned into alpha, k and advice.

Registered on `specadvisor.cli.app` by the import at the end of `specadvisor/cli.py`. Everything heavy
(prometheus_client, the catalog, the estimator) is imported inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from specadvisor.cli.common import CatalogOpt, Engine, Task, render, run_guarded
from specadvisor.vocab import MeasureFormat

_MEASURE_EPILOG = """\
Examples:

  specadvisor measure metrics.txt                                    # a saved vLLM /metrics page

  specadvisor measure http://127.0.0.1:8000/metrics --interval 60 \\
      --target meta-llama/Llama-3.1-70B-Instruct --draft meta-llama/Llama-3.2-1B-Instruct --hardware h100-sxm --tp 4

  specadvisor measure --before scrape1.txt --after scrape2.txt --format json

  specadvisor measure vllm.log --target Qwen/Qwen3-32B --draft Qwen/Qwen3-1.7B --hardware h100 --save mine.yaml
"""


_TpOpt = Annotated[int | None, typer.Option("--tp", help="Tensor-parallel size (default: smallest that holds the target).")]
_EngineOpt = Annotated[Engine | None, typer.Option("--engine", help="Serving engine (default: the one the metrics come from).")]
_BatchOpt = Annotated[int | None, typer.Option("--batch-size", "-b", help="Concurrent sequences served (default: 1).")]
_ContextOpt = Annotated[int | None, typer.Option(
    "--context-len", help="Average tokens in context per sequence (default: 1024).")]
_KOpt = Annotated[int | None, typer.Option(
    "--k", help="Drafted tokens per round, when the source does not say (SGLang, TensorRT-LLM).")]


def measure(
    source: Annotated[str | None, typer.Argument(
        help="Prometheus exposition file, engine log file, '-' for stdin, or an http(s):// /metrics URL.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="A running server's /metrics URL (same as SOURCE).")] = None,
    interval: Annotated[float | None, typer.Option(
        "--interval", help="Scrape the URL twice, this many seconds apart, and measure that window.")] = None,
    before: Annotated[str | None, typer.Option("--before", help="Earlier scrape (file or URL) of a window.")] = None,
    after: Annotated[str | None, typer.Option("--after", help="Later scrape (file or URL) of the same server.")] = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Deployed target model id (for the prediction).")] = None,
    draft: Annotated[str | None, typer.Option("--draft", "-d", help="Deployed draft model id (for the prediction).")] = None,
    hardware: Annotated[str | None, typer.Option("--hardware", help="Accelerator id or alias (for the prediction).")] = None,
    tp: _TpOpt = None,
    engine: _EngineOpt = None,
    batch_size: _BatchOpt = None,
    context_len: _ContextOpt = None,
    task: Annotated[Task | None, typer.Option("--task", help="Traffic type (default: general).")] = None,
    temperature: Annotated[float | None, typer.Option("--temperature", help="Sampling temperature (default: 0).")] = None,
    k: _KOpt = None,
    max_k: Annotated[int, typer.Option("--max-k", help="Largest k in the predicted curve.")] = 16,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for a URL.")] = 10.0,
    save: Annotated[Path | None, typer.Option(
        "--save", help="Append the measurement as a calibration row to this YAML file (calibrate-model --data).")] = None,
    catalog: CatalogOpt = None,
    fmt: Annotated[MeasureFormat, typer.Option("--format", "-f", help="Output format.")] = MeasureFormat.table,
) -> None:
    """Read acceptance metrics (vLLM, SGLang, TensorRT-LLM, llama.cpp) and report tau, the per-token alpha,
    acceptance by position, and the speedup and k the estimator predicts at that alpha."""

    def go() -> None:
        from specadvisor.errors import UsageError
        from specadvisor.measure import analysis

        src = source
        if url is not None:
            if src is not None:
                raise UsageError("give the URL either as SOURCE or with --url, not both")
            src = url
        if not 0 < timeout <= 600:
            raise UsageError(f"--timeout must be between 0 and 600 seconds, got {timeout:g}")
        if save is not None and (target is None or draft is None):
            raise UsageError("--save needs --target and --draft: a calibration row names the measured pair")

        def progress(msg: str) -> None:
            typer.echo(msg, err=True)

        m = analysis.measure(src, before=before, after=after, interval=interval, k=k, timeout=timeout,
                             progress=progress)
        cat = None
        if target or draft or save or catalog:
            from specadvisor.catalog.core import load_catalog

            cat = load_catalog(catalog or ())
        eng = engine.value if engine is not None else m.engine
        missing = [opt for opt, val in (("--target", target), ("--draft", draft), ("--hardware", hardware)) if val is None]
        pred = None
        if m.alpha is not None and not missing:
            assert target is not None and draft is not None and hardware is not None
            pred = analysis.predict(m, target, draft, hardware, tp=tp, engine=eng, batch_size=batch_size,
                                    context_len=context_len, task=task.value if task else None,
                                    temperature=temperature, max_k=max_k, catalog=cat)
        report = analysis.report_dict(m, pred, missing, draft=draft)
        if save is not None:
            from specadvisor.measure.record import append_row, calibration_row

            assert target is not None and draft is not None
            row = calibration_row(m, target=target, draft=draft, engine=eng, hardware=hardware, tp=tp,
                                  batch_size=batch_size, context_len=context_len, task=task.value if task else None,
                                  temperature=temperature, catalog=cat)
            number, rewritten = append_row(save, row)
            report["saved"] = {"file": str(save), "row": number}
            typer.echo(f"appended row {number} to {save}" + (" (file rewritten: its comments were not kept)"
                                                              if rewritten else ""), err=True)
        from specadvisor.formats.registry import MEASURE
        from specadvisor.formats.reports import MeasureReport

        render(MEASURE, MeasureReport(report), fmt)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(epilog=_MEASURE_EPILOG)(measure)
