"""The `specadvisor` command: the Typer app, its global options, and the composition of the commands.

Exit codes (README, "Exit codes"): 0 success, 1 findings at or above --fail-on (check), 2 bad input or
usage, 3 internal error (a bug in specadvisor, never a finding about the user's files), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from specadvisor import __version__
from specadvisor.cli import advice, calibrate, check, hub, listings, measure
from specadvisor.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE

DEBUG_ENV = "SPECADVISOR_DEBUG"

class _OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr with exit 2 (the README's promise), not click's boxed panel.

    Click formats a bad option as a 5-6 line block (usage, hint, a rich box); a user or a script reads
    one line naming the option and the problem. Help, exit codes and everything else are click's.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        kwargs["standalone_mode"] = False
        if not standalone:
            return super().main(*args, **kwargs)
        try:
            rv = super().main(*args, **kwargs)
        except typer.Abort:
            raise KeyboardInterrupt from None
        except typer.TyperException as exc:  # typer's vendored click exceptions (usage, bad parameter, ...)
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            typer.echo(f"specadvisor: error: {' '.join(text.split())}{hint}", err=True)
            sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)))
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="specadvisor",
    help="Pick a draft model and draft length k for speculative decoding, and predict the speedup.\n\n"
    "Predictions are estimates with a band. Exit codes: 0 ok, 1 findings (check), 2 bad input, 3 internal error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"specadvisor {__version__}")
        raise typer.Exit()


def _debug(value: bool) -> None:
    if value:
        os.environ[DEBUG_ENV] = "1"


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", callback=_debug, is_eager=True,
                                        help=f"On an internal error, print the traceback (or set {DEBUG_ENV}=1).")]
    = False,
) -> None:
    """Pick a draft model and draft length k for speculative decoding, and predict the speedup."""


for _module in (advice, listings, calibrate, check, hub, measure):
    _module.register(app)


def internal_error(exc: BaseException) -> int:
    """Report a bug as a bug: one line (the traceback with --debug), and an exit code no finding uses."""
    if os.environ.get(DEBUG_ENV):
        import traceback

        traceback.print_exception(exc)
    text = str(exc).splitlines()[0][:300] if str(exc) else ""
    typer.echo(f"specadvisor: internal error: {type(exc).__name__}{': ' + text if text else ''} "
               f"(a bug in specadvisor, not a finding; rerun with --debug for the traceback and report it)", err=True)
    return EXIT_INTERNAL


def main() -> None:
    """Console-script entry point: the app, with internal errors and interrupts kept apart from findings."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("specadvisor: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes exit 3
        sys.exit(internal_error(exc))
