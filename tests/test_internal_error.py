"""A bug is not a finding (#11): an unexpected exception exits 3 with one line, through the real process.

Each case starts a real interpreter that breaks one core function on purpose (a monkeypatch inside the
child, so nothing in the package carries a test hook) and runs the console entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from specadvisor.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE

ROOT = Path(__file__).resolve().parent.parent

_DRIVER = """
import sys
import {module} as target
def broken(*args, **kwargs):
    raise {exc}
setattr(target, {name!r}, broken)
from specadvisor.cli.app import main
sys.argv = ["specadvisor", *sys.argv[1:]]
main()
"""


def _run(module: str, name: str, exc: str, args: list[str], cwd: Path, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SPECADVISOR_DEBUG"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["HF_HUB_OFFLINE"] = "1"
    if debug:
        env["SPECADVISOR_DEBUG"] = "1"
    code = _DRIVER.format(module=module, name=name, exc=exc)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    f = tmp_path / "serve.sh"
    f.write_text("vllm serve meta-llama/Llama-3.1-8B-Instruct --speculative-config '{\"method\": \"draft_model\", "
                 "\"model\": \"meta-llama/Llama-3.2-1B-Instruct\", \"num_speculative_tokens\": 4}'\n")
    return f


def test_a_crash_inside_check_exits_3_not_1(config: Path, tmp_path: Path) -> None:
    out = _run("specadvisor.check.run", "site_facts", "RuntimeError('boom')", ["check", str(config)], tmp_path)
    assert out.returncode == EXIT_INTERNAL
    assert out.returncode not in (EXIT_FINDINGS, EXIT_USAGE)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("specadvisor: internal error: RuntimeError: boom")
    assert "Traceback" not in out.stderr
    assert out.stdout == ""  # no partial report that a CI step could mistake for findings


def test_debug_variable_shows_the_traceback(config: Path, tmp_path: Path) -> None:
    out = _run("specadvisor.check.run", "site_facts", "RuntimeError('boom')", ["check", str(config)], tmp_path,
               debug=True)
    assert out.returncode == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in out.stderr
    assert "RuntimeError: boom" in out.stderr


def test_debug_flag_shows_the_traceback(config: Path, tmp_path: Path) -> None:
    out = _run("specadvisor.check.run", "site_facts", "KeyError('x')", ["--debug", "check", str(config)], tmp_path)
    assert out.returncode == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in out.stderr


def test_a_crash_inside_recommend_exits_3(tmp_path: Path) -> None:
    out = _run("specadvisor.advise.advisor", "recommend", "ZeroDivisionError('x')",
               ["recommend", "--target", "meta-llama/Llama-3.1-8B-Instruct"], tmp_path)
    assert out.returncode == EXIT_INTERNAL, out.stderr
    assert "internal error: ZeroDivisionError" in out.stderr


def test_user_errors_keep_exit_2(tmp_path: Path) -> None:
    out = _run("specadvisor.errors", "_unused", "RuntimeError()", ["recommend", "--target", "no/such-model"], tmp_path)
    assert out.returncode == EXIT_USAGE
    assert "internal error" not in out.stderr


def test_interrupt_exits_130_without_a_traceback(config: Path, tmp_path: Path) -> None:
    out = _run("specadvisor.check.run", "site_facts", "KeyboardInterrupt()", ["check", str(config)], tmp_path)
    assert out.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in out.stderr
    assert "internal error" not in out.stderr
