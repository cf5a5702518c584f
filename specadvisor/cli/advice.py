"""`recommend` and `compare`: rank drafts for a target, or compare given drafts, and render the advice."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from specadvisor.cli.common import (
    AlphaOpt,
    BatchOpt,
    CatalogOpt,
    ContextOpt,
    DraftHwOpt,
    EmitEngine,
    EngineOpt,
    FormatOpt,
    HardwareOpt,
    KOpt,
    MaxKOpt,
    MeasuredOpt,
    OutputFormat,
    Task,
    TaskOpt,
    TempOpt,
    ThinkOpt,
    TpOpt,
    build_workload,
    engine_for,
    load_catalog_opt,
    render_or_emit,
    run_guarded,
)
from specadvisor.vocab import Engine, Method

MethodOpt = Annotated[list[Method] | None, typer.Option(
    "--method", help="Only these speculator methods (repeatable): draft_model, eagle, eagle3, mtp, ngram, ...")]


def _with_methods(w: Any, methods: list[Method] | None) -> Any:
    """The workload with the --method filter (kept out of build_workload so its signature stays put)."""
    from dataclasses import replace

    return replace(w, methods=tuple(m.value for m in methods)) if methods else w

_RECOMMEND_EPILOG = """\
Examples:

  specadvisor recommend --target meta-llama/Llama-3.1-70B-Instruct --hardware h100-sxm --tp 4

  specadvisor recommend --target Qwen/Qwen3-32B --batch-size 64 --task code --format json

  specadvisor recommend --target meta-llama/Llama-3.1-8B-Instruct@fp8 --hardware l40s --emit vllm
"""


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
    method: MethodOpt = None,
) -> None:
    """Rank every smaller catalog model (and its quantized variants in the engine's formats) as a draft for TARGET,
    beside the heads trained for TARGET, its own MTP layers and n-gram prompt lookup."""

    def go() -> None:
        if top < 0:
            from specadvisor.errors import UsageError

            raise UsageError(f"--top must be >= 0, got {top}")
        w = build_workload(hardware, tp, batch_size, context_len, task, temperature, engine_for(engine, emit), alpha, k,
                           max_k, measured, draft, thinking, draft_hardware)
        _advise(target, None, _with_methods(w, method), catalog, fmt, emit, hub, hub_only, offline, max_candidates,
                top=top or None)

    run_guarded(go)


_COMPARE_EPILOG = """\
Examples:

  specadvisor compare --target meta-llama/Llama-3.1-70B-Instruct meta-llama/Llama-3.2-1B-Instruct Qwen/Qwen2.5-0.5B-Instruct

  specadvisor compare --target Qwen/Qwen3-32B Qwen/Qwen3-1.7B Qwen/Qwen3-1.7B@fp8 --batch-size 32 --alpha 0.72
"""


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
    method: MethodOpt = None,
) -> None:
    """Compare the given drafts for TARGET side by side, with the speedup for every k."""

    def go() -> None:
        w = build_workload(hardware, tp, batch_size, context_len, task, temperature, engine_for(engine, emit), alpha, k,
                           max_k, measured, draft, thinking, draft_hardware)
        _advise(target, drafts, _with_methods(w, method), catalog, fmt, emit, hub, hub_only, offline, 1)

    run_guarded(go)


def _advise(target: str, drafts: list[str] | None, w: Any, catalog: Any, fmt: OutputFormat, emit: Any, hub: bool,
            hub_only: bool, offline: bool, max_candidates: int, top: int | None = None) -> None:
    """The body both commands share: the catalog (extended from the Hub when asked), the advice, its rendering.
    `drafts=None` ranks every candidate (recommend); a list compares those drafts with the speedup for every k."""
    from specadvisor.advise.advisor import compare, recommend

    cat = load_catalog_opt(catalog)
    res = None
    if hub or hub_only or offline:
        from specadvisor.cli.hub import hub_extend

        res = hub_extend(cat, target, drafts, hub_only=hub_only, offline=offline, max_candidates=max_candidates,
                         engine=w.engine)
        cat = res.catalog
    by_k = drafts is not None
    advice = compare(cat, target, drafts, w) if drafts is not None else recommend(cat, target, w, top=top)
    if res is not None:
        from specadvisor.cli.hub import render_with_hub

        render_with_hub(advice, fmt, emit, cat, res, by_k=by_k)
        return
    render_or_emit(advice, fmt, emit, cat, by_k=by_k)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(epilog=_RECOMMEND_EPILOG)(recommend)
    app.command(epilog=_COMPARE_EPILOG)(compare)
