"""Find candidate drafts for a target on the Hub and fetch their metadata concurrently.

Sources, in priority order: official draft repos (`<target>-DRAFT-<size>`), the target's author and
family (and its base model's, for fine-tunes), and quantized variants of the smallest drafts found
(`base_model:quantized:<id>` lineage). Entries larger than the target, non-text-generation repos and
formats the chosen engine cannot load (GGUF outside llama.cpp, MLX outside mlx) are dropped. Records
are fetched with a bounded thread pool, showing a progress bar on stderr.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from specadvisor.hub.config import size_from_name
from specadvisor.hub.errors import HubError, HubUnavailableError
from specadvisor.hub.interface import ModelSource
from specadvisor.hub.source import ModelRecord

DEFAULT_MAX_CANDIDATES = 24
MAX_WORKERS = 8
QUANTIZED_VARIANTS_OF = 3  # look for quantized variants of this many of the smallest drafts
TEXT_PIPELINES = (None, "text-generation", "image-text-to-text", "text2text-generation")


def family_stem(repo_id: str) -> str:
    """The searchable family part of a name: Qwen2.5-72B-Instruct -> Qwen2, Llama-3.1-70B -> Llama-3."""
    name = repo_id.rsplit("/", 1)[-1]
    m = re.match(r"(.+?)[-_](\d+(?:\.\d+)?[bBmM]|\d+x\d+[bB])(?:[-_]|$)", name)
    stem = m.group(1) if m else re.split(r"[-_]", name)[0]
    if re.search(r"\d+\.\d+$", stem):  # Llama-3.1 -> Llama-3: point releases share a tokenizer
        stem = stem.rsplit(".", 1)[0]
    return stem


def _params_b(entry: dict[str, Any]) -> float | None:
    st = entry.get("safetensors")
    if isinstance(st, dict):
        total = st.get("total")
        if isinstance(total, int) and total > 0:
            return total / 1e9
    return size_from_name(entry["id"])


@dataclass
class Discovery:
    candidates: list[str] = field(default_factory=list)  # ids, by priority
    why: dict[str, str] = field(default_factory=dict)  # id -> how it was found
    records: dict[str, ModelRecord] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    workers: int = 0


def _eligible(entry: dict[str, Any], target_id: str, target_params_b: float, engine: str) -> bool:
    eid = entry["id"]
    if eid.lower() == target_id.lower():
        return False
    if entry.get("pipeline_tag") not in TEXT_PIPELINES:
        return False
    tags = {str(t).lower() for t in entry.get("tags") or []}
    if "gguf" in tags and engine != "llamacpp":
        return False
    if "mlx" in tags and engine != "mlx":
        return False
    size = _params_b(entry)
    return size is None or size < target_params_b


def find_candidates(source: ModelSource, target: ModelRecord | None, target_id: str, target_params_b: float,
                    engine: str = "vllm", max_candidates: int = DEFAULT_MAX_CANDIDATES) -> Discovery:
    """Candidate ids for `target_id` from Hub listings (no per-model requests yet)."""
    out = Discovery()
    seen: dict[str, float] = {}
    quantized_ids: set[str] = set()

    def add(entries: list[dict[str, Any]], why: str, must_contain: str | None = None) -> None:
        for e in entries:
            eid = e["id"]
            if eid in out.why or not _eligible(e, target_id, target_params_b, engine):
                continue
            if must_contain and must_contain.lower() not in eid.lower():
                continue
            out.why[eid] = why
            seen[eid] = _params_b(e) or 0.0
            if any(str(t).startswith("base_model:quantized:") for t in e.get("tags") or []):
                quantized_ids.add(eid)

    name = target_id.rsplit("/", 1)[-1]
    author = (target.author if target else None) or target_id.split("/")[0]
    stem = family_stem(target_id)
    # the listings of one wave are independent: they run concurrently, and are merged in priority order
    wave: list[tuple[dict[str, Any], str]] = [({"search": q}, "official draft repo")
                                               for q in dict.fromkeys((f"{name}-DRAFT", f"{stem}-DRAFT"))]
    n_official = len(wave)
    wave.append(({"author": author, "search": stem}, f"same author and family ({author}, {stem})"))
    for base in (target.base_models if target else [])[:2]:
        b_author, b_stem = base.split("/")[0], family_stem(base)
        if (b_author, b_stem) != (author, stem) and {"author": b_author, "search": b_stem} not in [q for q, _ in wave]:
            wave.append(({"author": b_author, "search": b_stem}, f"family of the base model {base}"))
    results = _listings(source, [q for q, _ in wave])
    for (_q, why), entries in zip(wave[:n_official], results[:n_official], strict=True):
        add(entries, why)
    official = list(out.why)
    for (_q, why), entries in zip(wave[n_official:], results[n_official:], strict=True):
        add(entries, why)
    family = [i for i in out.why if i not in official]
    family.sort(key=lambda i: seen.get(i, 0.0))
    seeds = [i for i in family if i not in quantized_ids][:QUANTIZED_VARIANTS_OF]
    results = _listings(source, [{"filters": [f"base_model:quantized:{d}"]} for d in seeds])
    for draft, entries in zip(seeds, results, strict=True):
        add(entries, f"quantized variant of {draft}")
    quantized = [i for i in out.why if i not in official and i not in family]
    ordered = official + family + quantized
    if len(ordered) > max_candidates:
        out.warnings.append(f"{len(ordered)} Hub candidates found; fetching {max_candidates} (--max-candidates)")
    out.candidates = ordered[:max_candidates]
    return out


def _listings(source: ModelSource, queries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """`source.list_models(**q)` for each query, concurrently (bounded); the first failure is raised."""
    if len(queries) <= 1:
        return [source.list_models(**q) for q in queries]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(queries)), thread_name_prefix="specadvisor-hub") as pool:
        futures = [pool.submit(source.list_models, **q) for q in queries]
        errors = [f.exception() for f in futures]
    first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise first
    return [f.result() for f in futures]


def fetch_records(source: ModelSource, ids: Sequence[str], *, progress: bool = True, max_workers: int = MAX_WORKERS,
                  on_error: Callable[[str, HubError], None] | None = None) -> tuple[dict[str, ModelRecord], int]:
    """Fetch records concurrently (bounded); returns the records that could be read and the pool size."""
    records: dict[str, ModelRecord] = {}
    if not ids:
        return records, 0
    workers = max(1, min(max_workers, len(ids)))
    errors: list[tuple[str, HubError]] = []
    bar = _progress(progress, len(ids))
    # one bounded pool for every request: each record is its model info, then its files as separate tasks, so
    # the pool stays full (no worker waits for another model's files) and concurrency never exceeds `workers`
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="specadvisor-hub") as pool:
        futures = {source.submit_record(pool, i): i for i in dict.fromkeys(ids)}
        for fut in as_completed(futures):
            rid = futures[fut]
            exc = fut.exception()
            if isinstance(exc, HubError):
                errors.append((rid, exc))
            elif exc is not None:
                raise exc
            else:
                records[rid] = fut.result()
            bar(rid)
    bar(None)
    if errors and not records and all(isinstance(e, HubUnavailableError) for _, e in errors):
        raise errors[0][1]  # nothing worked and the Hub is unreachable: a real error, not a per-model skip
    for rid, exc in errors:
        if on_error is not None:
            on_error(rid, exc)
    return records, workers


def _progress(enabled: bool, total: int) -> Callable[[str | None], None]:
    """A transient rich progress bar on stderr (silent when stderr is not a terminal)."""
    if not enabled or not sys.stderr.isatty():
        return lambda _rid: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn("Hub"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.description}"), console=Console(stderr=True), transient=True)
    prog.start()
    task = prog.add_task("", total=total)

    def step(rid: str | None) -> None:
        if rid is None:
            prog.stop()
        else:
            prog.update(task, advance=1, description=rid)

    return step
