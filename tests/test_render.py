"""What a user sees (issue #16): the advice table readable at 80 and 120 columns, usage errors on one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from specadvisor.cli.app import app

L70 = "meta-llama/Llama-3.1-70B-Instruct"
DRAFTS = ["meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct@fp8",
          "meta-llama/Llama-3.1-8B-Instruct@int4", "Qwen/Qwen2.5-0.5B-Instruct"]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("columns", [80, 120])
def test_compare_table_fits_and_hides_nothing(runner, columns):
    """Before: draft ids cut to 'meta-…' hid @fp8, and the speedup-by-k headers read '1… 2…'."""
    r = runner.invoke(app, ["compare", "--target", f"{L70}@fp8", *DRAFTS, "--tp", "2", "--temperature", "0.5"],
                      env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(ln) <= columns for ln in lines), max(lines, key=len)
    assert "…" not in r.stdout
    assert r.stdout.count("@fp8") >= 2 and "@int4" in r.stdout  # the target line and the fp8/int4 draft rows
    assert "Llama-3.2-1B-Instruct" in r.stdout and "speedup by k" in r.stdout
    assert "k=1" in r.stdout or " 1 " in r.stdout


def test_recommend_table_at_80_columns(runner):
    r = runner.invoke(app, ["recommend", "--target", L70, "--tp", "4", "--top", "6"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.stderr
    assert all(len(ln) <= 80 for ln in r.stdout.splitlines())
    assert "…" not in r.stdout


@pytest.mark.parametrize("args", [
    ["recommend"],  # a missing option
    ["recommend", "--target", L70, "--batch-size", "abc"],  # a bad value
    ["recomend"],  # an unknown command
    ["recommend", "--target", L70, "--engine", "nope"],  # a bad choice
])
def test_usage_errors_are_one_line(runner, args):
    """Before: click printed a 5-6 line boxed panel; the README promises one line and exit 2."""
    r = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert r.exit_code == 2
    assert r.stdout == ""
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("specadvisor: error: "), r.stderr
    assert "╭" not in r.stderr and "Traceback" not in r.stderr


def test_help_still_works(runner):
    r = runner.invoke(app, ["recommend", "--help"])
    assert r.exit_code == 0 and "--target" in r.stdout
