"""The one way tests run the CLI in-process: Typer's runner, a fixed width, and a crash is a failure.

Every test module calls `invoke`; a module with a command prefix (`measure`, `check`) wraps it in one
line. An exception that is not a clean exit (SystemExit) fails the test with the exception chained, so
a traceback can never hide behind an exit code.
"""

from __future__ import annotations

from collections.abc import Mapping

from click.testing import Result
from typer.testing import CliRunner

from specadvisor.cli.app import app

DEFAULT_COLUMNS = "200"


def invoke(*args: str, input: str | None = None, env: Mapping[str, str] | None = None,
           columns: str = DEFAULT_COLUMNS) -> Result:
    """Run `specadvisor ARGS...` and return the result; fail the test on a crash."""
    full_env = {"COLUMNS": columns, **(env or {})}
    result = CliRunner().invoke(app, list(args), input=input, catch_exceptions=True, env=full_env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"specadvisor {' '.join(args)} crashed") from result.exception
    return result
