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
        from specadvisor.advise.advisor import recommend as do_recommend

        if top < 0:
            from specadvisor.errors import UsageError

            raise UsageError(f"--top must be >= 0, got {top}")
        cat = load_catalog_opt(catalog)
        eng = engine_for(engine, emit)
        w = build_workload(hardware, tp, batch_size, context_len, task, temperature, eng, alpha, k, max_k, measured, draft,
                           thinking, draft_hardware)
        w = _with_methods(w, method)
        res = None
        if hub or hub_only or offline:
            from specadvisor.cli.hub import hub_extend

            res = hub_extend(cat, target, None, hub_only=hub_only, offline=offline, max_candidates=max_candidates,
                             engine=eng.value)
            cat = res.catalog
        advice = do_recommend(cat, target, w, top=top or None)
        if res is not None:
            from specadvisor.cli.hub import render_with_hub

            render_with_hub(advice, fmt, emit, cat, res)
            return
        render_or_emit(advice, fmt, emit, cat)

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
        from specadvisor.advise.advisor import compare as do_compare

        cat = load_catalog_opt(catalog)
        eng = engine_for(engine, emit)
        w = build_workload(hardware, tp, batch_size, context_len, task, temperature, eng, alpha, k, max_k, measured, draft,
                           thinking, draft_hardware)
        w = _with_methods(w, method)
        res = None
        if hub or hub_only or offline:
            from specadvisor.cli.hub import hub_extend

            res = hub_extend(cat, target, drafts, hub_only=hub_only, offline=offline, max_candidates=1,
                             engine=eng.value)
            cat = res.catalog
        advice = do_compare(cat, target, drafts, w)
        if res is not None:
            from specadvisor.cli.hub import render_with_hub

            render_with_hub(advice, fmt, emit, cat, res, by_k=True)
            return
        render_or_emit(advice, fmt, emit, cat, by_k=True)

    run_guarded(go)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command(epilog=_RECOMMEND_EPILOG)(recommend)
    app.command(epilog=_COMPARE_EPILOG)(compare)
