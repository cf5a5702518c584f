"""Every file of the bad-input corpus (tests/corpus/bad) through the command that reads it.

`tests/corpus/bad/expected.yaml` says, next to each file, what must happen: the exit code, the line and
field the one-line error names, and what the output contains. Whatever the file, every case also
asserts:

* no traceback and no uncaught exception (bad input is never a crash);
* exit 2 (catalog, rules, `.specadvisor.yaml`, metrics/logs, calibration data): exactly one line on
  stderr, `specadvisor: error: FILE[:LINE]: ...`, naming the file (and the line and field when given);
* `check` (deployment configs): a file that cannot be read is a finding, one line each,
  `FILE:LINE:COL: severity SPECnnn [name] message`; the summary is the only line on stderr;
* the input file's bytes are the same afterwards (sha256 before and after).

Cases marked `bounded` (alias bombs, deep nesting) and the generated 50 MB files run in a subprocess,
so that their CPU time and peak RSS are their own (`os.wait4`), and must stay under 10 s of CPU and
500 MB. Cases whose `xfail` names a product bug are `xfail(strict=True)`: fixing the bug turns them
into failures that ask for the mark to go.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import specadvisor
from specadvisor.cli.app import app

CORPUS = Path(__file__).parent / "corpus" / "bad"
SPEC = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
COMMANDS: dict[str, list[str]] = SPEC["commands"]
CASES: dict[str, dict[str, Any]] = SPEC["cases"]

MAX_CPU_S = 10.0
MAX_RSS_MB = 500.0
# Safety nets for the subprocess, well above the asserted bounds, so that a runaway input fails the
# test instead of hanging the suite or exhausting the machine.
WALL_LIMIT_S = 60.0
RLIMIT_CPU_S = 30
RLIMIT_AS_BYTES = 3 * 1024**3 // 2

# The deployment `.specadvisor.yaml` cases configure: k=4 for Llama 3.1 70B with a Llama 3.2 1B draft,
# which gives up ~11% of the best predicted speedup (SPEC241, a warning).
SERVE = ("vllm serve meta-llama/Llama-3.1-70B-Instruct --speculative-config "
         "'{\"model\": \"meta-llama/Llama-3.2-1B-Instruct\", \"num_speculative_tokens\": 30}'\n")

_FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|info) (?P<rule>SPEC\d{3}) \[")
_SUMMARY = re.compile(r"^specadvisor: \d+ file\(s\) checked, \d+ finding\(s\)")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None
    cpu_s: float | None = None
    max_rss_mb: float | None = None


# -- running ---------------------------------------------------------------------------------------


def _clear_caches() -> None:
    from specadvisor.catalog.core import _load
    from specadvisor.rules.engine import load_rules

    load_rules.cache_clear()
    _load.cache_clear()


def run_in_process(args: list[str], cwd: Path, rules_dir: Path | None, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    if rules_dir is not None:
        import specadvisor.paths

        monkeypatch.setattr(specadvisor.paths, "rules_dir", lambda: rules_dir)
    _clear_caches()
    try:
        res = CliRunner().invoke(app, args)
    finally:
        _clear_caches()
    exc = res.exception if res.exception is not None and not isinstance(res.exception, SystemExit) else None
    return Outcome(res.exit_code, res.stdout, res.stderr, exc)


# The CLI in a fresh interpreter; SPECADVISOR_TEST_RULES_DIR points the rules loader at a test directory.
_DRIVER = """\
import os, sys
from pathlib import Path
rules = os.environ.get("SPECADVISOR_TEST_RULES_DIR")
if rules:
    import specadvisor.paths
    specadvisor.paths.rules_dir = lambda: Path(rules)
from specadvisor.cli.app import app
app(args=sys.argv[1:], prog_name="specadvisor")
"""


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_CPU, (RLIMIT_CPU_S, RLIMIT_CPU_S))
    resource.setrlimit(resource.RLIMIT_AS, (RLIMIT_AS_BYTES, RLIMIT_AS_BYTES))


def run_subprocess(args: list[str], cwd: Path, rules_dir: Path | None) -> Outcome:
    """Run the CLI in a child process; its own CPU time and peak RSS come from `os.wait4`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(specadvisor.__file__).resolve().parent.parent),
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    env.pop("GITHUB_ACTIONS", None)
    if rules_dir is not None:
        env["SPECADVISOR_TEST_RULES_DIR"] = str(rules_dir)
    out_path, err_path = cwd / ".stdout", cwd / ".stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", _DRIVER, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, preexec_fn=_limits)
        killer = threading.Timer(WALL_LIMIT_S, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    return Outcome(proc.returncode, stdout, stderr, None, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


# -- checking --------------------------------------------------------------------------------------


def _expand(template: list[str], file: Path, serve: Path) -> list[str]:
    return [a.replace("{file}", str(file)).replace("{serve}", str(serve)) for a in template]


def check_outcome(out: Outcome, case: dict[str, Any], command: list[str], named: Path, reported: Path) -> None:
    """`named`: the path the error must name; `reported`: the file `check` findings are about."""
    both = out.stdout + out.stderr
    assert out.exception is None, f"uncaught {type(out.exception).__name__}: {out.exception}"
    assert "Traceback" not in both, both[-3000:]
    assert out.exit_code == case["exit"], f"exit {out.exit_code}, expected {case['exit']}\n{both[-3000:]}"
    if case["exit"] == 2:
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, f"expected a one-line error, got {len(lines)} lines:\n{out.stderr[-3000:]}"
        msg = lines[0]
        assert msg.startswith("specadvisor: error: "), msg
        assert str(named) in msg, f"the error does not name {named}: {msg}"
        if "line" in case:
            assert f"{named}:{case['line']}:" in msg, f"the error does not name line {case['line']}: {msg}"
        if "field" in case:
            assert case["field"] in msg, f"the error does not name field {case['field']!r}: {msg}"
        for s in case.get("stderr", []):
            assert s in msg, f"{s!r} not in {msg}"
        return
    if command[0] == "check":
        errs = [ln for ln in out.stderr.splitlines() if ln.strip()]
        assert len(errs) == 1 and _SUMMARY.match(errs[0]), out.stderr[-3000:]
        findings = []
        for ln in out.stdout.splitlines():
            if not ln.strip() or ln.startswith("# "):  # blank, or the list of launches read
                continue
            m = _FINDING.match(ln)
            assert m, f"not a one-line finding: {ln!r}\n{out.stdout[-3000:]}"
            assert m["path"] == str(reported), ln
            findings.append(m)
        hits = [f for f in findings if f["rule"] == case["rule"]] if "rule" in case else findings
        what = case.get("rule", "any")
        if "rule" in case:
            assert hits, f"no {what} finding:\n{out.stdout}"
        if "line" in case:
            assert any(int(f["line"]) == case["line"] for f in hits), f"no {what} finding at line {case['line']}:\n{out.stdout}"
        for s in case.get("stdout", []):
            assert s in out.stdout, f"{s!r} not in\n{out.stdout}"
        for s in case.get("stdout_not", []):
            assert s not in out.stdout, f"{s!r} in\n{out.stdout}"
        return
    data = json.loads(out.stdout)  # every non-check command here runs with --format json
    assert isinstance(data, dict) and data.get("schema_version") == 1
    for s in case.get("stdout", []):
        assert s in out.stdout, f"{s!r} not in output"


def check_bounds(out: Outcome) -> None:
    assert out.cpu_s is not None and out.max_rss_mb is not None
    assert out.cpu_s < MAX_CPU_S, f"{out.cpu_s:.1f} s of CPU (limit {MAX_CPU_S:g} s)"
    assert out.max_rss_mb < MAX_RSS_MB, f"peak RSS {out.max_rss_mb:.0f} MB (limit {MAX_RSS_MB:g} MB)"


def run_case(kind: str, file: Path, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             bounded: bool) -> None:
    serve = tmp_path / "serve.sh"
    serve.write_text(SERVE, encoding="utf-8")
    rules_dir = None
    named = file
    if kind == "rules":  # the file is the only rule file of a rules directory
        rules_dir = tmp_path / "rules"
        rules_dir.mkdir()
        named = rules_dir / (file.stem + ".yaml")
        named.symlink_to(file)
    command = case.get("command", COMMANDS[kind])
    args = _expand(command, file, serve)
    before = sha256(file)
    if bounded:
        out = run_subprocess(args, tmp_path, rules_dir)
    else:
        out = run_in_process(args, tmp_path, rules_dir, monkeypatch)
    assert sha256(file) == before, f"{file} was modified"
    reported = serve if kind == "config" else file
    check_outcome(out, case, command, named, reported)
    if bounded:
        check_bounds(out)


# -- the corpus ------------------------------------------------------------------------------------


def _corpus_files() -> list[str]:
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.name != "expected.yaml")


def _params() -> Iterator[Any]:
    for rel, case in sorted(CASES.items()):
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
        yield pytest.param(rel, case, id=rel, marks=marks)


def test_every_corpus_file_has_an_expected_outcome():
    files = _corpus_files()
    assert len(files) >= 60
    assert sorted(CASES) == files, (f"without an entry in expected.yaml: {sorted(set(files) - set(CASES))}; "
                                    f"entries without a file: {sorted(set(CASES) - set(files))}")
    for rel, case in CASES.items():
        assert rel.split("/", 1)[0] in COMMANDS, rel
        assert case["exit"] in (0, 1, 2), rel
        unknown = set(case) - {"exit", "line", "field", "rule", "stderr", "stdout", "stdout_not", "bounded", "xfail",
                               "command", "note"}
        assert not unknown, f"{rel}: unknown keys {unknown}"


@pytest.mark.parametrize(("rel", "case"), list(_params()))
def test_bad_input(rel: str, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kind = rel.split("/", 1)[0]
    run_case(kind, CORPUS / rel, case, tmp_path, monkeypatch, bounded=bool(case.get("bounded")))


# -- generated 50 MB files (not committed) ---------------------------------------------------------

_FIFTY_MB = 50 * 1024 * 1024
_MEASURE_FIXTURES = Path(__file__).parent / "fixtures" / "measure"


def _repeat(unit: str, size: int = _FIFTY_MB, head: str = "") -> str:
    n = max(1, (size - len(head)) // len(unit) + 1)
    return head + unit * n


def _big_catalog() -> str:
    return _repeat("  # a comment line that pads a user catalog to fifty megabytes, which is no catalog\n",
                   head="models:\n")


def _big_exposition() -> str:
    page = (_MEASURE_FIXTURES / "vllm_v1.prom").read_text(encoding="utf-8")
    lines = [f'vllm:other_metric{{engine="0",i="{i}"}} {i}.0\n' for i in range(2_000_000)]
    body = page + "".join(lines)
    return body[: body.index("\n", _FIFTY_MB) + 1]


def _big_log() -> str:
    return _repeat((_MEASURE_FIXTURES / "vllm_v1.log").read_text(encoding="utf-8"))


BIG_CASES: dict[str, tuple[str, Any, dict[str, Any]]] = {
    # id: (kind/file name, generator, expected)
    "catalog-50mb": ("catalog/big.yaml", _big_catalog, {"exit": 2, "stderr": ["the limit is"]}),
    "rules-50mb": ("rules/big.yaml", lambda: _repeat("# padding\n", head="rules:\n"),
                   {"exit": 2, "stderr": ["the limit is"]}),
    "config-50mb": ("config/big.yaml", lambda: _repeat("# padding\n", head="fail_on: error\n"),
                    {"exit": 2, "stderr": ["the limit is"]}),
    "calibration-50mb": ("calibration/big.yaml", lambda: _repeat("# padding\n", head="rows:\n"),
                         {"exit": 2, "stderr": ["the limit is"]}),
    "deploy-sh-50mb": ("deploy/big.sh", lambda: _repeat("vllm serve meta-llama/Llama-3.1-70B-Instruct --port 8000\n"),
                       {"exit": 1, "rule": "SPEC391", "line": 1, "stdout": ["the limit is"]}),
    "deploy-yaml-50mb": ("deploy/big.yaml", lambda: _repeat("- {model: x}\n"),
                         {"exit": 1, "rule": "SPEC391", "line": 1, "stdout": ["the limit is"]}),
    "measure-log-50mb": ("measure/big.log", _big_log, {"exit": 0, "stdout": ['"engine": "vllm"']}),
    "measure-junk-50mb": ("measure/big.log", lambda: _repeat("x" * 200 + "\n"), {"exit": 2, "line": 1}),
    "measure-exposition-50mb": (
        "measure/big.prom", _big_exposition,
        {"exit": 0, "stdout": ['"engine": "vllm"']}),
}


def _big_params() -> Iterator[Any]:
    for name, (rel, gen, case) in BIG_CASES.items():
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
        yield pytest.param(rel, gen, case, id=name, marks=marks)


@pytest.mark.parametrize(("rel", "gen", "case"), list(_big_params()))
def test_fifty_megabyte_input(rel: str, gen: Any, case: dict[str, Any], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    kind, name = rel.split("/", 1)
    d = tmp_path / "input"
    d.mkdir()
    file = d / name
    file.write_text(gen(), encoding="utf-8")
    assert file.stat().st_size >= _FIFTY_MB
    try:
        run_case(kind, file, case, tmp_path, monkeypatch, bounded=True)
    finally:
        file.unlink()
