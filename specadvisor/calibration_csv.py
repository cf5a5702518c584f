"""Published measurements in the CSV layout of `../shared/calibration/published-dev.csv`, as calibration rows.

The CSV names models and hardware as their sources wrote them ("Llama3-70B (Instruct)", "4x H100
(TP=4)"), has no engine column, and gives precision in prose. This module maps each row onto the
catalog by rules a reader can check - a Hugging Face id in the text, else every word and size of a
catalog id found in the text - and says, per row, what it could not map and why, so that
`calibrate-model --data FILE.csv` and `benchmarks/fidelity.py --data FILE.csv` score a new set of
published rows without a hand-written mapping. The hand mapping (`benchmarks/data/calibration.yaml`)
stays the reference: it also records exclusions that need judgement (a draft with a sparse KV cache,
an alpha solved for a k the engine did not use), which no column states.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from specadvisor.calibration import DEFAULT_CONTEXT, CalibrationRow
from specadvisor.catalog import Catalog, Hardware, ModelSpec
from specadvisor.coefficients import ENGINES
from specadvisor.errors import InputFileError
from specadvisor.weights import WEIGHT_FORMATS, canonical_format

REQUIRED_COLUMNS = ("source_id", "target_model", "draft_model", "hardware", "speedup")
KNOWN_COLUMNS = (
    "source_id", "source_url", "source_where", "target_model", "target_params_b", "draft_model", "draft_params_b",
    "same_family", "draft_distilled", "draft_precision", "target_precision", "hardware", "batch_size",
    "k_draft_tokens", "temperature", "task_or_dataset", "acceptance_rate_alpha", "mean_accepted_tokens_tau",
    "speedup", "notes", "alpha_per_token", "alpha_per_token_how",
)
# Columns published-dev.csv does not have but a sheet may add, to state what the prose leaves implicit.
OPTIONAL_COLUMNS = ("engine", "tp", "context_len", "k_adaptive")
MAX_BYTES = 20_000_000  # a published-measurements sheet is kilobytes; refuse anything absurd before parsing

# Words a catalog id carries that a source's prose often leaves out; they do not decide a match.
_OPTIONAL_WORDS = {"meta", "hf", "instruct", "chat", "it"}
# Task keywords, first match wins: benchmark names first (MT-Bench has a coding category but is chat),
# then words ("code-edit" is edit, before "code").
_TASKS = (
    ("chat", ("mt-bench", "mt bench", "mtbench", "sharegpt", "alpaca", "lmsys-chat", "dialog")),
    ("code", ("humaneval", "mbpp", "instructcoder", "livecodebench")),
    ("math", ("gsm8k", "math500", "aime")),
    ("summarization", ("cnn", "xsum", "scrolls", "pg-19", "pg19")),
    ("translation", ("wmt",)),
    ("edit", ("edit", "rewrite", "refactor", "apply")),
    ("code", ("code", "humaneval", "mbpp", "python", "coder")),
    ("summarization", ("summar", "cnn", "xsum", "scrolls")),
    ("translation", ("translat", "wmt")),
    ("math", ("math", "gsm8k", "reasoning")),
    ("chat", ("chat", "conversation", "instruct")),
)
# Engine keywords in the source id, notes and hardware, first match wins; the CSV has no engine column.
_ENGINES = (
    ("sglang", ("sglang",)),
    ("trtllm", ("tensorrt", "trt-llm", "trtllm")),
    ("vllm", ("vllm",)),
    ("mlx", ("mlx",)),
    ("llamacpp", ("llama.cpp", "llamacpp", "gguf", "llama-server", "llama-speculative", "ggml")),
    ("jax", ("t5x", "tpu", "jax")),
)
_PRECISION_WORDS = (
    ("q4_k_m", ("q4_k_m",)), ("q8_0", ("q8_0",)), ("q4_0", ("q4_0",)), ("fp8", ("fp8",)), ("nvfp4", ("nvfp4",)),
    ("mxfp4", ("mxfp4",)), ("int4", ("int4", "4-bit", "4bit", "awq", "gptq")), ("int8", ("int8", "8-bit", "8bit")),
    ("bf16", ("bf16", "bfloat16")), ("fp16", ("fp16", "float16", "half")), ("fp32", ("fp32", "float32")),
)
_HF_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
# Sizes ("1.5b", "68m"), dotted versions ("3.1") and plain words/numbers are each one word.
_WORD = re.compile(r"\d+(?:\.\d+)?[bm](?![a-z])|\d+(?:\.\d+)+|[a-z]+|\d+")
_SIZE = re.compile(r"\d+(?:\.\d+)?[bm]")


@dataclass(frozen=True)
class Imported:
    """A CSV file's rows as calibration rows, and the rows (1-based data line numbers) left out, with why."""

    rows: list[CalibrationRow]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # partial mappings: what was assumed


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _text_words(text: str) -> set[str]:
    """A description's words, dotted versions also split ("T5 v1.1" must match `t5-v1_1`)."""
    words = _words(text)
    return words | {part for w in words if "." in w and not _SIZE.fullmatch(w) for part in w.split(".")}


def match_model(text: str, catalog: Catalog) -> ModelSpec | None:
    """The catalog model a source's description names, or None when no id or every-word match exists.

    Only unambiguous evidence counts: an `org/name` id the catalog knows, else a catalog id all of whose
    words and sizes appear in the text (ignoring `Instruct`, `hf`, ...); among several, the most specific.
    """
    for hf_id in _HF_ID.findall(text):
        spec = catalog.find_model(hf_id)
        if spec is not None:
            return spec
    words = _text_words(text)
    # A size written outside parentheses is the model's own ("Qwen 2.5 '1B' (no such model; 0.5B or
    # 1.5B exist)" names no catalog model); a match must carry it.
    sizes = {w for w in _words(re.sub(r"\([^)]*\)", " ", text)) if _SIZE.fullmatch(w)}
    best: tuple[int, ModelSpec] | None = None
    for spec in catalog.models:
        for name in (spec.id, *spec.aliases):
            need = _words(name.rsplit("/", 1)[-1]) - _OPTIONAL_WORDS
            if not need or not need <= words or (sizes and not sizes & need):
                continue
            score = sum(len(w) for w in need)  # "3.1" outranks "3": the most specific id wins
            if best is None or score > best[0]:
                best = (score, spec)
    return best[1] if best else None


def match_hardware(text: str, catalog: Catalog) -> tuple[Hardware | None, int]:
    """The catalog accelerator a hardware description names (longest alias found in it) and the device count."""
    low = text.lower()
    count = 1
    m = re.match(r"\s*(\d+)\s*x\s*", low)
    if m:
        count = int(m.group(1))
    tp = re.search(r"tp\s*=\s*(\d+)", low)
    if tp:
        count = int(tp.group(1))
    flat = " " + re.sub(r"[^a-z0-9+]+", " ", low) + " "
    best: tuple[int, Hardware] | None = None
    for hw in catalog.hardware:
        for alias in (hw.id, hw.name, *hw.aliases):
            key = " " + re.sub(r"[^a-z0-9+]+", " ", alias.lower()).strip() + " "
            if len(key) > 3 and key in flat and (best is None or len(key) > best[0]):
                best = (len(key), hw)
    return (best[1] if best else None), count


def _first(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    low = text.lower()
    for value, keys in table:
        if any(k in low for k in keys):
            return value
    return None


def _float(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    v = _float(raw)
    return int(v) if v is not None and v >= 1 and v == int(v) else None


def _precision(raw: str | None, spec: ModelSpec | None) -> str | None:
    if not raw or not raw.strip():
        # Not stated: the checkpoint's own precision, except that nobody serves float32 - sources
        # that do not say run half precision.
        return "bf16" if spec is not None and canonical_format(spec.precision) == "fp32" else None
    key = canonical_format(raw.strip())
    if key in WEIGHT_FORMATS():
        return key
    return _first(raw, _PRECISION_WORDS)


def import_csv(path: Path | str, catalog: Catalog) -> Imported:
    """Map every data row; a row that maps to nothing usable is skipped with its reason, never guessed."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InputFileError(str(p), None, "file", f"larger than {MAX_BYTES // 1_000_000} MB; not a measurements sheet")
        data = p.read_bytes()
        if b"\0" in data:
            raise InputFileError(str(p), data[: data.index(b"\0")].count(b"\n") + 1, "file", "binary file (a NUL byte)")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputFileError(str(p), line, "file", f"not valid UTF-8 (byte {e.start})") from None
    except OSError as e:
        raise InputFileError(str(p), None, "file", f"cannot read: {e.strerror}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputFileError(str(p), 1, missing[0], f"required column missing (have: {', '.join(header) or 'none'})")
    allowed = (*KNOWN_COLUMNS, *OPTIONAL_COLUMNS)
    unknown = [c for c in header if c not in allowed]
    if unknown:
        close = difflib.get_close_matches(unknown[0], allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"expected some of: {', '.join(allowed)}"
        raise InputFileError(str(p), 1, unknown[0], f"unknown column; {hint}")
    out = Imported(rows=[])
    try:
        records = list(reader)
    except csv.Error as e:
        raise InputFileError(str(p), reader.line_num, "file", f"malformed CSV: {e}") from None
    for i, rec in enumerate(records, start=1):
        line = i + 1  # the header is line 1 (a quoted field with a newline would shift this; none do in practice)
        row, why = _map(rec, i, catalog, out)
        if row is None:
            out.skipped.append((line, why))
        else:
            out.rows.append(row)
    if not records:
        raise InputFileError(str(p), 1, "rows", "no data rows after the header")
    if not out.rows:
        line, why = out.skipped[0]
        raise InputFileError(str(p), line, "rows", f"no row maps onto the catalog (first: {why}); "
                                                   "add the models/hardware with --catalog")
    return out


def _map(rec: dict[str, str], n: int, catalog: Catalog, out: Imported) -> tuple[CalibrationRow | None, str]:
    g = {k: (v or "").strip() for k, v in rec.items() if k is not None}
    target = match_model(g.get("target_model", ""), catalog)
    draft = match_model(g.get("draft_model", ""), catalog)
    hw, count = match_hardware(g.get("hardware", ""), catalog)
    speedup = _float(g.get("speedup"))
    alpha = _float(g.get("alpha_per_token"))
    tau = _float(g.get("mean_accepted_tokens_tau"))
    k = _int(g.get("k_draft_tokens"))
    if alpha is not None and not 0 < alpha < 1:
        alpha = None
    if tau is not None and (tau < 1 or (k is not None and tau > k + 1)):
        tau = None
    use: list[str] = []
    if alpha is not None or (tau is not None and k is not None):
        use.append("alpha" if alpha is not None else "tau")
    problems = []
    if target is None:
        problems.append(f"target {g.get('target_model')!r} is not in the catalog")
    if draft is None:
        problems.append(f"draft {g.get('draft_model')!r} is not in the catalog")
    if speedup is not None and speedup > 0:
        if hw is None:
            problems.append(f"hardware {g.get('hardware')!r} is not in the catalog")
        if target and draft and hw:
            use.append("speedup")
    tp_b, dp_b = _float(g.get("target_params_b")), _float(g.get("draft_params_b"))
    inline = (target is None or draft is None) and tp_b and dp_b and use[:1] in (["alpha"], ["tau"])
    if not use or (not (target and draft) and not inline):
        return None, "; ".join(problems) or "no usable alpha, tau or speedup"
    if problems:
        out.notes.append((n + 1, "; ".join(problems) + " (used for what it can)"))
    blob = " ".join((g.get("source_id", ""), g.get("notes", ""), g.get("hardware", ""), g.get("source_url", "")))
    engine = g.get("engine", "").lower() or _first(blob, _ENGINES) or "transformers"
    if engine not in ENGINES:
        return None, f"engine {g.get('engine')!r} is not one of {', '.join(ENGINES)}"
    task_text = g.get("task_or_dataset", "")
    # llama.cpp stops drafting where the draft is unsure (p-min): its k column is then a maximum.
    adaptive = engine == "llamacpp" and any(w in g.get("notes", "").lower() for w in ("p-min", "p_min", "adaptive", "is a max"))
    if g.get("k_adaptive"):
        adaptive = g["k_adaptive"].lower() in ("yes", "true", "1")
    tp = _int(g.get("tp")) or (count if hw and hw.kind == "gpu" else 1)
    row = CalibrationRow(
        row=n, source_id=g.get("source_id") or "csv", target=target.id if target and draft else None,
        draft=draft.id if target and draft else None,
        target_format=_precision(g.get("target_precision"), target),
        draft_format=_precision(g.get("draft_precision"), draft),
        hardware=hw.id if hw else None, tp=tp,
        batch_size=_int(g.get("batch_size")) or 1, k=k, temperature=_float(g.get("temperature")) or 0.0,
        task=_first(task_text, _TASKS) or "general", engine=engine, context_len=_int(g.get("context_len")) or DEFAULT_CONTEXT,
        alpha=alpha, tau=tau, speedup=speedup if "speedup" in use else None, use_for=tuple(use),
        target_params_b=tp_b if inline else None, draft_params_b=dp_b if inline else None,
        same_family=(g.get("same_family", "").lower() in ("yes", "true", "1")) if inline else None,
        source_url=g.get("source_url", ""), k_adaptive=adaptive,
    )
    return row, ""
