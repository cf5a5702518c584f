"""A small declarative validator for the mappings we read from YAML files.

Catalog entries, rule definitions and deployment files are all "a mapping with known fields". One
validator gives them the same behaviour: unknown keys are errors (with a did-you-mean, because a typo
that silently disables a field is the worst outcome), wrong types and out-of-range numbers are errors,
and every error names the file, the line and the field.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from specadvisor.errors import InputFileError
from specadvisor.yamlio import LineDict

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a mapping"}


@dataclass(frozen=True)
class Field:
    """One allowed key: its type, whether it is required, and its allowed values or range."""

    kind: type
    required: bool = False
    nullable: bool = False
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    item_kind: type | None = None


def line_of(obj: Any, key: str | None = None) -> int | None:
    if isinstance(obj, LineDict):
        return obj.line_of(key) if key is not None else obj.line
    return getattr(obj, "line", None)


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_value(value: Any, spec: Field, path: str, line: int | None, name: str) -> Any:
    if value is None:
        if spec.nullable or not spec.required:
            return None
        raise InputFileError(path, line, name, "must not be empty")
    kind = spec.kind
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputFileError(path, line, name, f"expected a number, got {value!r}")
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            raise InputFileError(path, line, name, f"must be a finite number, got {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputFileError(path, line, name, f"expected an integer, got {value!r}")
    elif kind is str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # e.g. generation: 3.1 written without quotes
        if not isinstance(value, str):
            raise InputFileError(path, line, name, f"expected a string, got {value!r}")
    elif kind is bool:
        if not isinstance(value, bool):
            raise InputFileError(path, line, name, f"expected true or false, got {value!r}")
    elif kind is list:
        if isinstance(value, str) and spec.item_kind is str:
            value = [value]
        if not isinstance(value, list):
            raise InputFileError(path, line, name, f"expected a list, got {value!r}")
        if spec.item_kind is not None:
            item = Field(spec.item_kind, required=True)
            value = [_check_value(v, item, path, line, f"{name}[{i}]") for i, v in enumerate(value)]
    elif kind is dict:
        if not isinstance(value, Mapping):
            raise InputFileError(path, line, name, f"expected a mapping, got {value!r}")
    if spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(str(c) for c in spec.choices)
        hint = did_you_mean(str(value), [str(c) for c in spec.choices])
        raise InputFileError(path, line, name, f"{value!r} is not one of: {allowed}{hint}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None:
            too_small = value <= spec.minimum if spec.exclusive_minimum else value < spec.minimum
            if too_small:
                rel = ">" if spec.exclusive_minimum else ">="
                raise InputFileError(path, line, name, f"must be {rel} {spec.minimum:g}, got {value:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise InputFileError(path, line, name, f"must be <= {spec.maximum:g}, got {value:g}")
    return value


def _kind(obj: Any) -> str:
    if obj is None:
        return "nothing"
    if isinstance(obj, list):
        return "a list"
    return _TYPE_NAMES.get(type(obj), type(obj).__name__)


def shown(key: Any) -> str:
    """A key as it can appear in a one-line message (control characters escaped)."""
    text = str(key)
    return text if text.isprintable() else repr(text)[1:-1]


def validate_mapping(obj: Any, fields: Mapping[str, Field], path: str, where: str,
                     line: int | None = None) -> dict[str, Any]:
    """Check `obj` against `fields` and return a plain dict with every declared key present.

    `where` names the object in messages (e.g. "models[3] (Qwen/Qwen3-8B)"); `line` locates `obj`
    when it is a scalar, which does not carry its own line.
    """
    if not isinstance(obj, Mapping):
        raise InputFileError(path, line_of(obj) or line, where, f"expected a mapping, got {_kind(obj)}")
    out: dict[str, Any] = {}
    for key in obj:
        if not isinstance(key, str) or key not in fields:
            hint = did_you_mean(str(key), list(fields))
            raise InputFileError(path, line_of(obj, str(key)), f"{where}.{shown(key)}", f"unknown field{hint}")
    for name, spec in fields.items():
        if name not in obj:
            if spec.required:
                raise InputFileError(path, line_of(obj), f"{where}.{name}", "required field is missing")
            out[name] = None
            continue
        out[name] = _check_value(obj[name], spec, path, line_of(obj, name), f"{where}.{name}")
    return out


def check_value(value: Any, spec: Field, path: str, line: int | None, name: str) -> Any:
    """One value against its field spec (type, range, choices): the check `validate_mapping` applies to each key,
    for callers that validate data of their own (cache entries) without a mapping's line bookkeeping."""
    return _check_value(value, spec, path, line, name)
