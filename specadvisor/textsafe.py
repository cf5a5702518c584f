"""One escaping rule for everything a human reads: no control character from input reaches a terminal or a CI log raw.

A model id, file name or log line can carry a newline, a carriage return or an ANSI escape. Printed raw by
`--format text` or in an error line, a newline followed by `::error ...` becomes a forged GitHub Actions
annotation, and an escape sequence rewrites the terminal. File names that are not valid UTF-8 arrive as lone
surrogates (`os.fsdecode`'s surrogateescape) and would make `print` raise. `escape_controls` makes every such
character visible as a backslash escape and leaves all other text as it was (the machine formats, JSON and
SARIF, are escaped by their own encoders and do not use this).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, lone surrogates (undecodable bytes of a file name), the Unicode line and
# paragraph separators and the bidirectional overrides/isolates ("Trojan Source", CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _replace(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control, separator, bidi-override and undecodable character shown as an escape.

    Linear in the length of `text`; returns `text` itself when nothing needs escaping.
    """
    return _UNSAFE.sub(_replace, text) if _UNSAFE.search(text) else text


def has_controls(text: str) -> bool:
    """Whether `escape_controls` would change `text`."""
    return _UNSAFE.search(text) is not None


MAX_COLUMNS = 1000  # wider than any terminal; an absurd COLUMNS would only make rich pad lines to it


def columns_from_env() -> int | None:
    """`COLUMNS` as a width when it is a plain positive integer (capped at MAX_COLUMNS), else None: `COLUMNS=abc`
    or `COLUMNS=-5` is ignored rather than a crash."""
    import os

    raw = os.environ.get("COLUMNS", "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or int(raw) <= 0:
        return None
    return min(int(raw), MAX_COLUMNS)
