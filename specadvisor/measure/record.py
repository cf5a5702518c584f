"""Append a measurement to a calibration file, as one row `calibrate-model --data FILE` reads.

The row follows `specadvisor.calibration.rows._ROW_FIELDS`. When the file ends with its `rows:` block (as the
files this command creates do), the row is appended as text, so comments and layout survive; otherwise
the document is rewritten with every key kept. The new file is checked with `load_calibration` before it
atomically replaces the old one, so a failed write never leaves a half-written file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from specadvisor.errors import UsageError

_HEADER = ("# Acceptance measured on your own traffic by `specadvisor measure --save`; one row per measurement.\n"
           "# Refit the acceptance model with: specadvisor calibrate-model --data <this file> --dry-run\n")


def calibration_row(m: Any, *, target: str, draft: str, engine: str, hardware: str | None = None, tp: int | None = None,
                    batch_size: int | None = None, context_len: int | None = None, task: str | None = None,
                    temperature: float | None = None, catalog: Any = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """A calibration row (without its `row` number) for a measurement with an alpha."""
    from specadvisor.catalog.core import load_catalog

    if m.alpha is None or m.tau is None or m.k is None:
        raise UsageError(f"--save needs a per-token alpha, tau and k; {m.location} gives no alpha "
                         f"({'; '.join(m.missing) or 'not enough data'})")
    cat = catalog if catalog is not None else load_catalog()
    t, d = cat.model(target), cat.model(draft)
    hw = cat.hardware_by_name(hardware).id if hardware else None
    when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    window = f"window {m.window_s:.0f} s" if m.window_s is not None else (
        "two scrapes" if m.scrapes == 2 else "counters since server start" if m.kind == "prometheus" else
        f"{m.samples} log line(s)")
    note = (f"{m.fmt}; {window}; drafts {m.drafts:.0f}; accepted/drafted {m.rate:.4f}"
            if m.drafts is not None and m.rate is not None else f"{m.fmt}; {window}")
    if m.tau_approximate:
        note += "; tau approximate"
    return {
        "source_id": m.source_id,
        "source_where": m.location,
        "target": t.spec.id,
        "draft": d.spec.id,
        "target_format": t.weight_format,
        "draft_format": d.weight_format,
        "hardware": hw,
        "tp": tp,
        "batch_size": batch_size,
        "k": m.k_int,
        "temperature": temperature,
        "task": task,
        "engine": engine,
        "context_len": context_len,
        "alpha": round(min(m.alpha, 1.0), 4),
        "tau": round(max(m.tau, 1.0), 4),
        "speedup": None,
        "use_for": ["alpha", "tau"],
        "note": note,
        "measured_at": when.isoformat().replace("+00:00", "Z"),
    }


def _dump_item(row: dict[str, Any], indent: str) -> str:
    text = yaml.safe_dump([row], sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)
    return "".join(indent + line + "\n" for line in text.splitlines())


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def append_row(path: Path, row: dict[str, Any]) -> tuple[int, bool]:
    """Append `row` to the calibration file at `path` (created when missing). Returns (row number, whether
    the file had to be rewritten rather than appended to).

    The row number is chosen from the file as read under `atomicwrite.locked_update`'s lock, so two
    `measure --save` of the same file at once both land, with distinct row numbers."""
    from specadvisor.atomicwrite import locked_update
    from specadvisor.calibration.rows import load_calibration
    from specadvisor.errors import InputFileError
    from specadvisor.yamlio import MAX_YAML_BYTES

    if path.suffix.lower() in (".csv", ".json"):
        raise UsageError(f"--save writes YAML calibration rows (what calibrate-model --data reads); {path} is not .yaml")
    expect = [0]

    def update(current: str | None) -> tuple[str, tuple[int, bool]]:
        new_text, number, rewritten, before = _appended(path, current or "", row)
        expect[0] = before + 1
        return new_text, (number, rewritten)

    def validate(tmp: Path) -> None:
        got = load_calibration(tmp)
        if len(got) != expect[0]:  # pragma: no cover - a bug guard, never user input
            raise UsageError(f"--save {path}: internal check failed ({len(got)} rows, expected {expect[0]})")

    try:
        return locked_update(path, update, cap=MAX_YAML_BYTES, validate=validate, make_parents=True)
    except InputFileError as exc:
        if exc.problem.startswith(("not valid UTF-8", "binary file")):
            raise UsageError(f"--save {exc.path}: not a UTF-8 text file; refusing to touch it") from None
        raise


def _appended(path: Path, text: str, row: dict[str, Any]) -> tuple[str, int, bool, int]:
    """(new text, row number, rewritten, rows before) for a calibration file whose current text is `text`."""
    from specadvisor.calibration.rows import load_calibration
    from specadvisor.yamlio import load_yaml_file

    rewritten = False
    if not text.strip():
        number = 1
        return _HEADER + "rows:\n" + _dump_item({"row": number, **row}, "  "), number, False, 0
    existing = load_calibration(path)  # malformed files stop here, with file, line and field
    before = len(existing)
    number = max((r.row for r in existing), default=0) + 1
    doc = load_yaml_file(path)
    item = {"row": number, **row}
    rows = doc["rows"]
    lines = text.splitlines()
    item_lines = getattr(rows, "item_lines", [])
    block = bool(item_lines) and lines[item_lines[0] - 1].lstrip().startswith("-")
    if block and list(doc)[-1] == "rows":
        first = lines[item_lines[0] - 1]
        indent = first[: len(first) - len(first.lstrip())]
        new_text = text + ("" if text.endswith("\n") else "\n") + _dump_item(item, indent)
    else:
        plain = _plain(doc)
        plain["rows"] = [*plain["rows"], item]
        new_text = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=1000)
        rewritten = True
    return new_text, number, rewritten, before
