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
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from specadvisor.calibration.rows import DEFAULT_CONTEXT, CalibrationRow
from specadvisor.catalog.core import Catalog, Hardware, ModelSpec
from specadvisor.catalog.weights import WEIGHT_FORMATS, canonical_format
from specadvisor.errors import InputFileError
from specadvisor.measure.counts import K_MAX
from specadvisor.model.coefficients import ENGINES

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


# Words a description may carry beyond a model's id without naming another model: packaging, format
# and quantization tags ("Qwen2.5-32B-Instruct-MLX-4bit", "...-Q4_K_M.gguf") and uploader names.
_NOISE_WORDS = {
    "mlx", "gguf", "bit", "bits", "awq", "gptq", "fp", "bf", "int", "q", "k", "m", "s", "l", "xl", "xs", "iq", "ud",
    "community", "lmstudio", "bartowski", "unsloth", "thebloke", "model", "instruct", "chat", "it", "hf", "base",
}
# Quantization tags inside a file or repo name ("-Q4_K_M.gguf", "-MLX-4bit", "-FP8", "-AWQ"): not model words.
_QUANT_TAG = re.compile(r"(?<![a-z0-9])(i?q\d(?:_[0-9a-z]+)*|\d+-?bits?|fp\d+|bf16|int\d+|[mn]vfp4|w\d+a\d+)(?![a-z0-9])",
                        re.IGNORECASE)
# Words that say the "model" is a head, a method or a variant the catalog entry is not.
_NOT_A_PLAIN_MODEL = {"eagle", "medusa", "hydra", "mtp", "head", "heads", "lookahead", "ngram", "lora", "adapter"}


def match_model(text: str, catalog: Catalog) -> ModelSpec | None:
    """The catalog model a source's description names, or None unless the evidence is unambiguous.

    An `org/name` id the catalog knows wins. Otherwise a catalog id matches when all of its words and sizes
    appear in the text and every word written outside parentheses belongs to that id, its organisation, or
    packaging/quantization tags - so "Qwen2.5-Math-7B", "Phi-4 mini" and "EAGLE-3 head (Llama 3.1 8B)" name
    no catalog model. Among several matches the most specific wins; a tie is no match.
    """
    for hf_id in _HF_ID.findall(text):
        spec = catalog.find_model(hf_id)
        if spec is not None:
            return spec
    words = _text_words(text)
    outside = _words(_QUANT_TAG.sub(" ", re.sub(r"\([^)]*\)", " ", text)))
    if outside & _NOT_A_PLAIN_MODEL or re.search(r"\d\s*[bm]?\s*[/+&]\s*\d", text.lower()):
        return None  # a draft head, or two models in one cell ("Llama-2-7B/13B")
    sizes = {w for w in outside if _SIZE.fullmatch(w)}
    scored: list[tuple[int, ModelSpec]] = []
    for spec in catalog.models:
        for name in (spec.id, *spec.aliases):
            need = _words(name.rsplit("/", 1)[-1]) - _OPTIONAL_WORDS
            if not need or not need <= words or (sizes and not sizes <= need):
                continue
            own = _words(name) | _text_words(name) | _OPTIONAL_WORDS | _NOISE_WORDS
            if not outside <= own:
                continue
            scored.append((sum(len(w) for w in need), spec))  # "3.1" outranks "3": the most specific id wins
    if not scored:
        return None
    scored.sort(key=lambda t: -t[0])
    top = [spec for score, spec in scored if score == scored[0][0]]
    return top[0] if len({s.id for s in top}) == 1 else None


# Words that distinguish variants of one accelerator; a description carrying one the catalog entry lacks
# names a different part (an A100 PCIe is not the SXM4 entry, an RTX 3060 Ti is not the 3060).
_VARIANT_WORDS = {"pcie", "sxm", "sxm4", "sxm5", "nvl", "ti", "super", "laptop", "mobile", "max", "pro", "ultra"}
_GENERIC_ALIASES = {"cpu"}  # too vague to identify a part in a published row


def _hw_words(text: str) -> list[str]:
    # "4xA100" and "A100x8" carry a count glued to the name: split it off
    low = re.sub(r"\b(\d{1,2})\s*[x×*]\s*(?=[a-z])", r"\1 x ", text.lower())
    low = re.sub(r"(?<=[a-z0-9])\s*[x×*]\s*(\d{1,2})\b", r" x \1", low)
    return re.findall(r"[a-z0-9+]+", low)


def match_hardware(text: str, catalog: Catalog) -> tuple[Hardware | None, int]:
    """The catalog accelerator a hardware description names, and the device count.

    The alias with the most words all present in the text wins; a memory size or variant word in the text
    that the entry does not carry (PCIe, Ti, 40GB on an 80GB entry) means another part: no match.
    """
    low = text.lower()
    count = 1
    m = (re.match(r"\s*(\d{1,2})\s*[x×*]", low) or re.search(r"[x×*]\s*(\d{1,2})\b(?!\s*gb)", low)
         or re.search(r"\((\d{1,2})x\)", low))
    if m:
        count = int(m.group(1))
    tp = re.search(r"tp\s*=\s*(\d{1,2})\b", low)
    if tp:
        count = int(tp.group(1))
    words = set(_hw_words(text))
    best: tuple[int, Hardware] | None = None
    for hw in catalog.hardware:
        for alias in (hw.id, hw.name, *hw.aliases):
            if alias.lower() in _GENERIC_ALIASES:
                continue
            need = set(_hw_words(alias))
            if need and need <= words and (best is None or len(need) > best[0]):
                best = (len(need), hw)
    if best is None:
        return None, count
    hw = best[1]
    own = {w for alias in (hw.id, hw.name, *hw.aliases) for w in _hw_words(alias)}
    if any(w in _VARIANT_WORDS and w not in own for w in words):
        return None, count
    if hw.kind == "gpu" and any(re.fullmatch(r"\d+gb", w) and w not in own for w in words):
        return None, count  # a data-centre part's memory size names the part
    return hw, min(count, 64)


def _first(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The first value whose keyword starts a word of the text ("code" in "code-edit", not in "decode")."""
    low = text.lower()
    for value, keys in table:
        if any(re.search(r"(?<![a-z0-9])" + re.escape(k), low) for k in keys):
            return value
    return None


def _float(raw: str | None) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        v = float(raw.strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _int(raw: str | None) -> int | None:
    v = _float(raw)
    return int(v) if v is not None and v >= 1 and v == int(v) else None


def _precision(raw: str | None, spec: ModelSpec | None) -> tuple[str | None, bool]:
    """(weight format, understood). Not stated: the checkpoint's own precision, except that nobody serves
    float32 - sources that do not say run half precision."""
    if not raw or not raw.strip():
        return ("bf16" if spec is not None and canonical_format(spec.precision) == "fp32" else None), True
    key = canonical_format(raw.strip())
    if key in WEIGHT_FORMATS():
        return key, True
    found = _first(raw.split(",")[0], _PRECISION_WORDS)  # "bf16 weights, fp8 KV cache" is bf16
    return found, found is not None


def import_csv(path: Path | str, catalog: Catalog) -> Imported:
    """Map every data row; a row that maps to nothing usable is skipped with its reason, never guessed."""
    p = Path(path)
    from specadvisor.safeio import read_bytes_bounded

    try:
        try:
            data = read_bytes_bounded(p, MAX_BYTES)
        except InputFileError as exc:
            if exc.problem.startswith("file is"):
                raise InputFileError(exc.path, None, "file", f"larger than {MAX_BYTES // 1_000_000} MB; not a "
                                     "measurements sheet") from None
            raise InputFileError(exc.path, None, "file", exc.problem) from None
        if b"\0" in data:
            raise InputFileError(str(p), data[: data.index(b"\0")].count(b"\n") + 1, "file", "binary file (a NUL byte)")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputFileError(str(p), line, "file", f"not valid UTF-8 (byte {e.start})") from None
    except OSError as e:
        raise InputFileError(str(p), None, "file", f"cannot read: {e.strerror}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out = Imported(rows=[])
    records: list[tuple[int, dict[str, str]]] = []
    try:
        header = [h for h in (reader.fieldnames or []) if h.strip()]  # a trailing comma leaves an empty name
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InputFileError(str(p), 1, missing[0], f"required column missing (have: {', '.join(header) or 'none'})")
        allowed = (*KNOWN_COLUMNS, *OPTIONAL_COLUMNS)
        unknown = [c for c in header if c not in allowed]
        if unknown:
            close = difflib.get_close_matches(unknown[0], allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected some of: {', '.join(allowed)}"
            raise InputFileError(str(p), 1, unknown[0], f"unknown column; {hint}")
        start = reader.line_num + 1
        for rec in reader:
            records.append((start, rec))  # the record's first physical line (quoted fields may span lines)
            start = reader.line_num + 1
    except csv.Error as e:
        raise InputFileError(str(p), reader.line_num, "file", f"malformed CSV: {e}") from None
    for line, rec in records:
        row, why = _map(rec, line, catalog, out)
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


def _map(rec: dict[str, str], line: int, catalog: Catalog, out: Imported) -> tuple[CalibrationRow | None, str]:
    g = {k: (v or "").strip() for k, v in rec.items() if isinstance(k, str) and isinstance(v, str)}
    target = match_model(g.get("target_model", ""), catalog)
    draft = match_model(g.get("draft_model", ""), catalog)
    if target is not None and draft is not None and target.id == draft.id:
        return None, f"target and draft both read as {target.id} (a draft head or self-speculation is not a draft model)"
    hw, count = match_hardware(g.get("hardware", ""), catalog)
    speedup = _float(g.get("speedup"))
    alpha = _float(g.get("alpha_per_token"))
    tau = _float(g.get("mean_accepted_tokens_tau"))
    k = _int(g.get("k_draft_tokens"))
    temperature = _float(g.get("temperature")) or 0.0
    batch = _int(g.get("batch_size")) or 1
    out_of_range = [f"{name} {value}" for name, value, ok in (
        ("k_draft_tokens", k, k is None or k <= K_MAX), ("temperature", temperature, 0.0 <= temperature <= 10.0),
        ("batch_size", batch, batch <= 1_000_000), ("speedup", speedup, speedup is None or 0 < speedup <= 100))
        if not ok]
    if out_of_range:
        return None, f"out of range: {', '.join(out_of_range)}"
    blob = " ".join((g.get("source_id", ""), g.get("notes", ""), g.get("hardware", ""), g.get("source_url", "")))
    engine = g.get("engine", "").lower() or _first(blob, _ENGINES)
    assumed = []
    if engine is None:
        engine = "transformers"
        assumed.append("no engine named: Hugging Face transformers assumed")
    if engine not in ENGINES:
        return None, f"engine {g.get('engine')!r} is not one of {', '.join(ENGINES)}"
    # llama.cpp stops each draft where the draft is unsure unless p-min is 0: its k column is then a
    # maximum, and accepted/drafted or tau do not convert to a per-token alpha.
    notes = g.get("notes", "").lower()
    adaptive = engine == "llamacpp" and not re.search(r"p[-_ ]?min\s*(=\s*)?0(\.0+)?(?![.\d])|fixed", notes)
    if g.get("k_adaptive"):
        adaptive = g["k_adaptive"].lower() in ("yes", "true", "1")
    if alpha is not None and not 0 < alpha < 1:
        alpha = None
    if tau is not None and (tau < 1 or (k is not None and tau > k + 1)):
        tau = None
    if adaptive:
        alpha = tau = None
    use: list[str] = []
    if alpha is not None or (tau is not None and k is not None):
        use.append("alpha" if alpha is not None else "tau")
    problems = []
    if target is None:
        problems.append(f"target {g.get('target_model')!r} is not in the catalog")
    if draft is None:
        problems.append(f"draft {g.get('draft_model')!r} is not in the catalog")
    if speedup is not None:
        if hw is None:
            problems.append(f"hardware {g.get('hardware')!r} is not in the catalog")
        if target and draft and hw:
            use.append("speedup")
    tp_b, dp_b = _float(g.get("target_params_b")), _float(g.get("draft_params_b"))
    inline = (target is None or draft is None) and bool(tp_b and dp_b and tp_b > 0 and dp_b > 0) \
        and use[:1] in (["alpha"], ["tau"])
    if not use or (not (target and draft) and not inline):
        return None, "; ".join(problems) or "no usable alpha, tau or speedup"
    target_format, ok_t = _precision(g.get("target_precision"), target)
    draft_format, ok_d = _precision(g.get("draft_precision"), draft)
    for ok, col in ((ok_t, "target_precision"), (ok_d, "draft_precision")):
        if not ok:
            assumed.append(f"{col} {g.get(col)!r} not understood: the checkpoint's precision assumed")
    if problems or assumed:
        out.notes.append((line, "; ".join(problems + assumed)))
    tp = _int(g.get("tp")) or (count if hw and hw.kind == "gpu" else 1)
    row = CalibrationRow(
        row=line, source_id=g.get("source_id") or "csv", target=target.id if target and draft else None,
        draft=draft.id if target and draft else None, target_format=target_format, draft_format=draft_format,
        hardware=hw.id if hw else None, tp=min(tp, 64), batch_size=batch, k=k, temperature=temperature,
        task=_first(g.get("task_or_dataset", ""), _TASKS) or "general", engine=engine,
        context_len=_int(g.get("context_len")) or DEFAULT_CONTEXT,
        alpha=alpha, tau=tau, speedup=speedup if "speedup" in use else None, use_for=tuple(use),
        target_params_b=tp_b if inline else None, draft_params_b=dp_b if inline else None,
        same_family=(g.get("same_family", "").lower() in ("yes", "true", "1")) if inline else None,
        source_url=g.get("source_url", ""), k_adaptive=adaptive,
    )
    return row, ""
