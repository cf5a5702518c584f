"""The one rich Console every human format prints through, and the capture that turns a print into text.

Piped output keeps whole rows (rich would otherwise wrap at 80 columns); a terminal keeps its width. A
`COLUMNS` that is not a positive whole number is ignored rather than trusted. Every formatter returns
text (so `check --output` and stdout take the same bytes); a rich renderer prints to `console()`, and
`captured` runs it against a recording console and returns what it printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from rich.console import Console

PIPE_WIDTH = 200
_ACTIVE: list[Console] = []  # the capturing console while `captured` runs (a stack: captures may nest)


def console_width() -> int | None:
    """The width to render at: the terminal's own (None) on a tty, else COLUMNS if sane, else PIPE_WIDTH."""
    if sys.stdout.isatty():
        return None
    raw = os.environ.get("COLUMNS", "").strip()
    if raw.isdigit() and len(raw) <= 5 and 0 < int(raw) <= 10_000:  # 5,000 digits would make int() raise
        return int(raw)
    return PIPE_WIDTH


def console() -> Console:
    """The console to print to: the capturing one inside `captured`, else a fresh one on stdout."""
    if _ACTIVE:
        return _ACTIVE[-1]
    return Console(highlight=False, soft_wrap=False, width=console_width())


def captured(render: Callable[[], None]) -> str:
    """What `render` prints to `console()`, as text (ANSI styles kept when stdout is a terminal)."""
    con = Console(highlight=False, soft_wrap=False, width=console_width())
    _ACTIVE.append(con)
    try:
        with con.capture() as cap:
            render()
    finally:
        _ACTIVE.pop()
    return cap.get()
