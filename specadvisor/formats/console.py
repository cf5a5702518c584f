"""The one rich Console every human format prints through.

Piped output keeps whole rows (rich would otherwise wrap at 80 columns); a terminal keeps its width. A
`COLUMNS` that is not a positive whole number is ignored rather than trusted.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

PIPE_WIDTH = 200


def console_width() -> int | None:
    """The width to render at: the terminal's own (None) on a tty, else COLUMNS if sane, else PIPE_WIDTH."""
    if sys.stdout.isatty():
        return None
    raw = os.environ.get("COLUMNS", "").strip()
    if raw.isdigit() and 0 < int(raw) <= 10_000:
        return int(raw)
    return PIPE_WIDTH


def console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=console_width())
