"""The process entry point (`specadvisor` console script and `python -m specadvisor`).

It imports nothing at module level, so that a Ctrl-C (SIGINT) arriving while the CLI and its libraries are
still being imported, which takes a few hundred milliseconds, ends the process with exit code 130 and one
line on stderr instead of a traceback through importlib.
"""

from __future__ import annotations

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C (cli/app.py uses the same code)


def main() -> None:
    try:
        from specadvisor.cli.app import main as cli_main
    except KeyboardInterrupt:
        import sys

        sys.stderr.write("specadvisor: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    cli_main()
