"""Error types and exit codes shared by the library and the CLI.

Every user-facing failure is a `SpecAdvisorError` carrying a one-line message; the CLI prints it to
stderr and exits with the code attached, so no traceback ever reaches the user for bad input.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # `check` found problems at or above --fail-on
EXIT_USAGE = 2  # bad input: unknown model, bad option value, malformed file
EXIT_INTERNAL = 3  # a bug in specadvisor (an unexpected exception), never a finding
EXIT_INTERRUPTED = 130  # SIGINT, as shells report it


class SpecAdvisorError(Exception):
    """A failure caused by the user's input or environment, not by a bug."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputFileError(SpecAdvisorError):
    """A file the user gave us (catalog, rules, config) is unreadable or invalid.

    The message names the file, the line and the field, so that it can be fixed without reading code.
    """

    def __init__(self, path: str, line: int | None, field: str | None, problem: str, column: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        what = f" {field}:" if field else ""
        super().__init__(f"{where}:{what} {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        self.column = column


class UnknownModelError(SpecAdvisorError):
    """A model reference matched no catalog entry."""


class UnknownHardwareError(SpecAdvisorError):
    """A hardware name matched no catalog entry."""


class UsageError(SpecAdvisorError):
    """An option value is out of range or options contradict each other."""
