"""Bounds at every boundary where untrusted JSON or integers are parsed.

Python's `json` recurses once per nesting level, so a 50,000-deep array raises RecursionError (or,
below the limit, makes every later recursive walk raise); `int()` of 5,000 digits raises ValueError
("Exceeds the limit ... for integer string conversion"), and a 400-digit integer parses but overflows
the first float multiplication. `loads_bounded` refuses documents over a size cap or a depth cap and
integers over `MAX_INT_DIGITS` digits *before* any of that can happen, and reports the refusal as a
`json.JSONDecodeError`, so every caller that already turns bad JSON into a finding or a one-line error
handles these the same way, with no new except clause. All checks are linear in the input.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_JSON_BYTES = 64 * 1024 * 1024  # the Hub's largest metadata file we accept (see hub/source.py)
MAX_JSON_DEPTH = 64  # real config.json/tokenizer.json/model info nest at most ~6 deep
# tokenizer_config.json files commonly carry `model_max_length: 1000000000000000019884624838656` (1e30
# written as an integer, 31 digits); nothing meaningful needs more than 40.
MAX_INT_DIGITS = 40

_STRUCTURE = re.compile(r'[][{}"]')


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit`.

    Linear and vectorised: escaped backslashes and escaped quotes are removed (left to right, as JSON reads
    them), after which every remaining quote delimits a string, so the parity of the running quote count says
    whether a byte is inside one. Cheap when the text has few brackets (the common case: one str.count).
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    cleaned = text.replace("\\\\", "").replace('\\"', "")
    if len(cleaned) < 1 << 18:  # small documents: a scan over the structural characters (no numpy import)
        depth = 0
        inside = False
        for m in _STRUCTURE.finditer(cleaned):
            c = m.group()
            if c == '"':
                inside = not inside
            elif inside:
                continue
            elif c in "[{":
                depth += 1
                if depth > limit:
                    return True
            else:
                depth -= 1
        return False
    import numpy as np

    raw = cleaned.encode("utf-8", "surrogatepass")
    b = np.frombuffer(raw, dtype=np.uint8)
    outside = (np.cumsum(b == 34, dtype=np.uint8) & 1) == 0  # wraps at 256: only the parity matters
    sel = b[outside & ((b == 91) | (b == 123) | (b == 93) | (b == 125))]
    if len(sel) <= limit:
        return False
    opens = (sel == 91) | (sel == 123)
    return bool(np.cumsum(opens.astype(np.int32) * 2 - 1).max() > limit)


def _int(limit: int) -> Any:
    def parse(s: str) -> int:
        if len(s.lstrip("-")) > limit:
            raise _TooLong(len(s.lstrip("-")))
        return int(s)
    return parse


class _TooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def loads_bounded(data: str | bytes | bytearray, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH,
                  max_digits: int = MAX_INT_DIGITS, allow_nan: bool = True) -> Any:
    """`json.loads` with a size cap, a nesting cap, an integer-length cap and (optionally) no NaN/Infinity.

    Raises `json.JSONDecodeError` for every refusal, with a message that names the bound.
    """
    if isinstance(data, bytes | bytearray):
        if len(data) > max_bytes:
            raise json.JSONDecodeError(f"document is {len(data):,} bytes; the limit is {max_bytes:,}", "", 0)
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("not valid UTF-8", "", exc.start) from None
    else:
        text = data
        if len(text) > max_bytes:
            raise json.JSONDecodeError(f"document is {len(text):,} characters; the limit is {max_bytes:,}", "", 0)
    if json_depth_exceeds(text, max_depth):
        raise json.JSONDecodeError(f"nested deeper than {max_depth} levels", "", 0)
    kwargs: dict[str, Any] = {"parse_int": _int(max_digits)}
    if not allow_nan:
        kwargs["parse_constant"] = _no_constant
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError:
        raise
    except _TooLong as exc:
        raise json.JSONDecodeError(f"an integer of {exc.digits:,} digits (the limit is {max_digits})", "", 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    except ValueError as exc:
        raise json.JSONDecodeError(str(exc)[:200], "", 0) from None


def bounded_int(text: str, max_digits: int = MAX_INT_DIGITS) -> int | None:
    """An integer written in `text` (optional sign, digits, underscores as Python allows), or None when it is not
    one or has more than `max_digits` digits. Never raises."""
    s = text.strip()
    if len(s.lstrip("+-").replace("_", "")) > max_digits:
        return None
    try:
        return int(s)
    except ValueError:
        return None


def finite_number(x: Any) -> bool:
    """A real int or float (not bool) that is finite: what a cached or fetched numeric field must be."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # an int beyond float range
        return False


def plain_json_ok(obj: Any, max_depth: int = MAX_JSON_DEPTH, max_nodes: int = 5_000_000) -> bool:
    """Whether `obj` is plain JSON data (dict with str keys, list, str, finite number, bool, None) within a depth and
    a node budget. Iterative, so a deep object cannot raise RecursionError here."""
    stack: list[tuple[Any, int]] = [(obj, 0)]
    nodes = 0
    while stack:
        x, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes or depth > max_depth:
            return False
        if isinstance(x, dict):
            if not all(isinstance(k, str) for k in x):
                return False
            stack.extend((v, depth + 1) for v in x.values())
        elif isinstance(x, list):
            stack.extend((v, depth + 1) for v in x)
        elif isinstance(x, float | int) and not isinstance(x, bool):
            if not finite_number(x):
                return False
        elif not (x is None or isinstance(x, str | bool)):
            return False
    return True


def loads_checked(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, max_nodes: int = 5_000_000) -> Any:
    """Plain, finite JSON within a depth and a node budget, or None. For our own caches: parsed first (the C
    parser stops a pathological depth with RecursionError), then checked by one iterative walk, which is cheaper
    than the bracket scan for the many-small-containers shape of a cache entry. Never raises."""
    try:
        obj = json.loads(data, parse_int=_int(MAX_INT_DIGITS), parse_constant=_no_constant)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    return obj if plain_json_ok(obj, max_depth, max_nodes) else None
