"""Append a model entry to a user catalog YAML file without disturbing anything else in it.

The edit is textual: the new entry's lines are inserted after the last entry of the top-level
`models:` block (or a `models:` block is appended), so every other byte, comment and blank line of
the file stays as it was. The result is validated with `load_catalog_file` before it atomically
replaces the original (same directory, same permissions); on any problem the file is untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from specadvisor.catalog.core import ModelSpec, load_catalog_file
from specadvisor.errors import InputFileError, UsageError

# Schema order of a catalog entry (see catalog._MODEL_FIELDS); `origin` is not a catalog field.
_ORDER = ("id", "aliases", "family", "generation", "arch", "params_b", "active_params_b", "layers", "hidden_size",
          "intermediate_size", "heads", "kv_heads", "head_dim", "vocab_size", "tie_embeddings", "mlp", "norm",
          "norms_per_layer", "linear_bias", "qk_norm", "learned_pos", "embed_proj_dim", "moe", "max_context",
          "sliding_window", "tokenizer", "tokenizer_extends", "tokenizer_len", "bos_id", "eos_ids", "precision",
          "distilled_from", "domain", "source", "params_source", "verified", "note")
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*|\"[^\"]*\"|'[^']*')\s*:")
_MODELS_KEY = re.compile(r"^(models|\"models\"|'models')\s*:\s*(#.*)?$")


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if v is None:
        return "null"
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def entry_lines(spec: ModelSpec, indent: str = "  ", comment: str | None = None) -> list[str]:
    """The YAML lines of one `models:` list item, `indent` before the dash."""
    values = {f.name: getattr(spec, f.name) for f in fields(spec)}
    lines = [f"{indent}# {comment}"] if comment else []
    inner = indent + "  "
    first = True
    for key in _ORDER:
        v = values.get(key)
        if v is None or v == () or (key == "aliases" and not v):
            continue
        prefix = f"{indent}- " if first else inner
        first = False
        if key == "moe":
            lines.append(f"{prefix}moe:")
            for mf in fields(v):
                lines.append(f"{inner}  {mf.name}: {_scalar(getattr(v, mf.name))}")
        elif isinstance(v, tuple | list):
            lines.append(f"{prefix}{key}: [{', '.join(_scalar(x) for x in v)}]")
        else:
            lines.append(f"{prefix}{key}: {_scalar(v)}")
    return lines


def _models_block(lines: Sequence[str]) -> tuple[int, int, str | None] | None:
    """(index of `models:`, index after its last content line, item indent) or None when absent."""
    start = next((i for i, ln in enumerate(lines) if _MODELS_KEY.match(ln.rstrip("\r\n"))), None)
    if start is None:
        return None
    last_content = start
    indent = None
    for i in range(start + 1, len(lines)):
        raw = lines[i].rstrip("\r\n")
        if raw.strip() == "" or raw.lstrip().startswith("#"):
            continue  # blank lines and comments neither end the block nor belong to the last entry
        if _TOP_KEY.match(raw) or raw.startswith("---") or raw.startswith("..."):
            break
        last_content = i
        if indent is None:
            m = re.match(r"^(\s*)- ", raw)
            if m:
                indent = m.group(1)
    return start, last_content + 1, indent


def _flow_models(lines: Sequence[str]) -> bool:
    return any(re.match(r"^models\s*:\s*\[", ln) for ln in lines)


def add_entry(path: Path | str, spec: ModelSpec, comment: str | None = None) -> str:
    """Append `spec` to the catalog at `path` (created when missing); returns the text inserted.

    Read, edit and replace happen under `atomicwrite.locked_update`'s lock, so two `catalog add --to`
    of the same file at once both land (the second re-reads the first's result)."""
    from specadvisor.atomicwrite import locked_update
    from specadvisor.yamlio import MAX_YAML_BYTES

    p = Path(path)

    def update(current: str | None) -> tuple[str, str]:
        return _edited(p, current, spec, comment)

    def validate(tmp: Path) -> None:
        try:
            load_catalog_file(tmp)
        except InputFileError as exc:
            raise InputFileError(str(p), exc.line, exc.field, f"the edited catalog would be invalid: {exc.problem}") from None

    return locked_update(p, update, cap=MAX_YAML_BYTES, validate=validate, make_parents=True)


def _edited(p: Path, current: str | None, spec: ModelSpec, comment: str | None) -> tuple[str, str]:
    """(new text, inserted text) for the catalog whose current text is `current` (None: no file yet)."""
    exists = current is not None
    text = current or ""
    if exists:
        models, _hw = load_catalog_file(p)  # refuse to edit a file that is already invalid
        if any(m.id.lower() == spec.id.lower() for m in models):
            raise UsageError(f"{p}: already has a model {spec.id!r}; edit it by hand or remove it first")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if _flow_models(lines):
        raise UsageError(f"{p}: 'models' is written in flow style ([...]); add the entry by hand")
    block = _models_block(lines)
    if block is None:
        body = entry_lines(spec, "  ", comment)
        insert = ("models:" + newline) + "".join(ln + newline for ln in body)
        sep = "" if not text or text.endswith(("\n", "\r")) else newline
        new_text = text + sep + insert
    else:
        _start, end, indent = block
        body = entry_lines(spec, indent if indent is not None else "  ", comment)
        insert = "".join(ln + newline for ln in body)
        before = "".join(lines[:end])
        if before and not before.endswith(("\n", "\r")):
            before += newline
        new_text = before + insert + "".join(lines[end:])
    return new_text, insert
