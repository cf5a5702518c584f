"""Fuzz and fault suite for issue #15: hostile input, concurrent writers and faults (loopback only, a few seconds).

Every item of the issue has a test here; each asserts behaviour that fails on the code before the fix:

* readers: FIFO, /dev/zero (and a link to it), a directory, names over 255 bytes, invalid UTF-8 names, the
  size cap, through every command that reads a file (one line, exit 2, or a `check` finding; never a block);
* writers (`catalog add --to`, `measure --save`, `check --output`): no lost update with concurrent writers,
  one-line exit 2 for a directory, `..`, a file as parent, a long name, a full disk, an immutable directory;
  a symlinked target stays a link and the mode is kept; SIGTERM leaves no temporary file;
* `check` on untrusted content: deep JSON, 5,000-digit integers, 60,000 spaces, 20,000 launches, 500,000
  continuation lines, alias bombs and a big block list: a finding or a clean run, in bounded time;
* control characters are escaped in text output and error lines;
* a hostile Hub (deep JSON, huge integers, invalid configs, cross-port redirects, a renamed id, a huge
  Retry-After, a huge tokenizer) gives one-line errors; poisoned caches are ignored and rewritten;
* small: COLUMNS=abc, `check --config` on a directory, SIGINT at start-up.
"""

from __future__ import annotations

import errno
import json
import math
import multiprocessing
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    DRAFT,
    SERVE,
    TARGET,
    HostileServer,
    deep_json,
    hostile_configs,
    small_config,
    spec_json,
    special_paths,
    tokenizer_json,
)
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from specadvisor.cli.app import app
from specadvisor.errors import InputFileError, SpecAdvisorError

ROOT = Path(__file__).resolve().parent.parent
PROM = ROOT / "tests" / "fixtures" / "measure" / "vllm_v1.prom"
PAIR = ("--target", TARGET, "--draft", DRAFT, "--hardware", "h100-sxm", "--tp", "4")
_FINDING = re.compile(r"^.+:\d+:\d+: (error|warning|info) SPEC\d{3} \[[\w-]+\] ")
WALL_S = 10.0  # no single case below may take longer (a hang or a quadratic path fails here, not in CI)


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = WALL_S) -> Any:
    """Run the CLI in-process on a thread, so a blocking read fails the test instead of hanging it."""
    out: dict[str, Any] = {}

    def go() -> None:
        out["r"] = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})

    t = threading.Thread(target=go, daemon=True)
    start = time.monotonic()
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"specadvisor {' '.join(args)[:200]} did not finish within {timeout}s"
    r = out["r"]
    r.wall = time.monotonic() - start
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise AssertionError(f"specadvisor {' '.join(args)[:200]} crashed: {r.exception!r}") from r.exception
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    return r


def one_line_error(r: Any, *needles: str) -> str:
    assert r.exit_code == 2, (r.exit_code, r.stdout[-500:], r.stderr[-500:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("specadvisor: error: "), lines[0]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# -- the bounded reader ------------------------------------------------------------------------------

READER_REASONS = {
    "fifo": "FIFO", "dev-zero-link": "device", "dev-zero": "device", "directory": "directory",
    "long-name": "too long", "invalid-utf8-name": "no such file", "missing": "no such file",
    "dangling-link": "no such file", "symlink-loop": "symbolic links", "under-a-file": "not a directory",
}


@pytest.mark.parametrize("kind", sorted(READER_REASONS))
def test_safe_reader_refuses_without_blocking(tmp_path: Path, kind: str) -> None:
    from specadvisor.safeio import read_text_bounded

    path = special_paths(tmp_path)[kind]
    done: dict[str, Any] = {}

    def go() -> None:
        try:
            read_text_bounded(path)
        except InputFileError as exc:
            done["msg"] = exc.message

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), f"reading a {kind} blocked"
    assert READER_REASONS[kind] in done["msg"], done
    assert "\n" not in done["msg"]
    done["msg"].encode("utf-8")  # printable: undecodable bytes of a name are escaped, no lone surrogate


def test_safe_reader_caps_size_even_when_the_file_grows(tmp_path: Path) -> None:
    from specadvisor.safeio import read_bytes_bounded

    p = tmp_path / "big.yaml"
    p.write_bytes(b"x" * 1001)
    with pytest.raises(InputFileError, match="limit"):
        read_bytes_bounded(p, 1000)
    assert read_bytes_bounded(p, 1001) == b"x" * 1001


READER_COMMANDS: dict[str, Callable[[Path], tuple[str, ...]]] = {
    "catalog": lambda p: ("models", "--catalog", str(p)),
    "calibration": lambda p: ("calibrate-model", "--data", str(p), "--dry-run"),
    "measure": lambda p: ("measure", str(p)),
    "check-config": lambda p: ("check", str(ROOT / "tests" / "fixtures"), "--config", str(p)),
}


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link", "directory", "long-name", "invalid-utf8-name"])
@pytest.mark.parametrize("command", sorted(READER_COMMANDS))
def test_every_reader_gives_one_line_for_special_files(tmp_path: Path, command: str, kind: str) -> None:
    path = special_paths(tmp_path)[kind]
    r = cli(*READER_COMMANDS[command](path))
    one_line_error(r)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link"])
def test_check_reports_special_files_as_findings(tmp_path: Path, kind: str) -> None:
    path = special_paths(tmp_path)[kind]
    r = cli("check", str(path))
    assert r.exit_code == 1 and "SPEC391" in r.stdout, (r.stdout, r.stderr)


def test_check_config_on_a_directory_says_directory(tmp_path: Path) -> None:
    one_line_error(cli("check", str(PROM), "--config", str(tmp_path)), "directory")


def test_a_4mb_block_list_is_not_an_alias_bomb(tmp_path: Path) -> None:
    p = tmp_path / "cat.yaml"
    p.write_text("models: []\nhardware: []\nnote_list:\n" + "- x\n" * 1_000_000)  # 4 MB, no alias at all
    msg = one_line_error(cli("models", "--catalog", str(p)), "lines and flow items")
    assert "alias" not in msg
    small = tmp_path / "small.yaml"
    small.write_text("models: []\nnote_list:\n" + "- x\n" * 50_000)  # under the bound: parsed, no alias report
    assert "alias" not in one_line_error(cli("models", "--catalog", str(small)), "note_list")


# -- the locked atomic writer ------------------------------------------------------------------------


def _add(path: str, i: int) -> None:
    from dataclasses import replace

    from specadvisor.catalog.core import load_catalog
    from specadvisor.catalog.edit import add_entry

    base = load_catalog().model(DRAFT).spec
    add_entry(path, replace(base, id=f"test-org/draft-{i}", aliases=()))


def _save(path: str, i: int) -> None:
    from specadvisor.measure.record import append_row

    row = {"source_id": f"measured:w{i}", "source_where": "x", "target": TARGET, "draft": DRAFT,
           "target_format": "bf16", "draft_format": "bf16", "hardware": None, "tp": None, "batch_size": None, "k": 4,
           "temperature": None, "task": None, "engine": "vllm", "context_len": None, "alpha": 0.7, "tau": 2.8,
           "speedup": None, "use_for": ["alpha", "tau"], "note": f"writer {i}", "measured_at": "2026-01-01T00:00:00Z"}
    append_row(Path(path), row)


def _many(fn: Callable[[str, int], None], path: str, start: int, n: int) -> None:
    for i in range(start, start + n):
        fn(path, i)


@pytest.mark.parametrize("writer", ["catalog-add", "measure-save"])
def test_concurrent_writers_lose_no_update(tmp_path: Path, writer: str) -> None:
    target = tmp_path / "shared.yaml"
    fn = _add if writer == "catalog-add" else _save
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_many, args=(fn, str(target), w * 10, 3)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    if writer == "catalog-add":
        from specadvisor.catalog.core import load_catalog_file

        ids = {m.id for m in load_catalog_file(target)[0]}
        assert ids == {f"test-org/draft-{w * 10 + i}" for w in range(4) for i in range(3)}
    else:
        from specadvisor.calibration.rows import load_calibration

        rows = load_calibration(target)
        assert sorted(r.row for r in rows) == list(range(1, 13))  # 12 rows, distinct numbers, none lost
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.yaml"]  # no lock or temp file left


def _writer_args(writer: str, target: Path) -> tuple[str, ...]:
    if writer == "check-output":
        return ("check", str(PROM), "--output", str(target))
    return ("measure", str(PROM), *PAIR, "--save", str(target))


BAD_TARGETS = {
    "directory": (lambda tmp: tmp / "adir.yaml", "directory"),
    "dotdot": (lambda tmp: tmp / "adir.yaml" / "..", "not a file name"),
    "under-a-file": (lambda tmp: tmp / "plain.txt" / "out.yaml", "not a directory"),
    "long-name": (lambda tmp: tmp / ("n" * 300 + ".yaml"), "limit is 255"),
    "fifo": (lambda tmp: tmp / "fifo.yaml", "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
@pytest.mark.parametrize("writer", ["check-output", "measure-save"])
def test_writers_refuse_bad_targets_in_one_line(tmp_path: Path, writer: str, case: str) -> None:
    special_paths(tmp_path)
    make, needle = BAD_TARGETS[case]
    one_line_error(cli(*_writer_args(writer, make(tmp_path))), needle)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith((".tmp", ".lock"))]


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_catalog_add_refuses_bad_targets(tmp_path: Path, case: str) -> None:
    special_paths(tmp_path)
    make, needle = BAD_TARGETS[case]
    with pytest.raises(SpecAdvisorError, match=needle):
        _add(str(make(tmp_path)), 1)


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EDQUOT, errno.EPERM, errno.EROFS])
@pytest.mark.parametrize("writer", ["check-output", "measure-save"])
def test_disk_faults_leave_the_original_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str,
                                                    fault: int) -> None:
    target = tmp_path / "out.yaml"
    original = "rows: []\n" if writer == "measure-save" else "old report\n"
    target.write_text(original)

    def failing(*_a: Any) -> None:
        raise OSError(fault, os.strerror(fault))

    # a full disk shows at fsync (delayed allocation); an immutable/read-only directory at the rename
    monkeypatch.setattr("specadvisor.atomicwrite.os.fsync" if fault in (errno.ENOSPC, errno.EDQUOT)
                        else "specadvisor.atomicwrite.os.replace", failing)
    one_line_error(cli(*_writer_args(writer, target)), "cannot write")
    assert target.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_immutable_directory_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def eperm(*_a: Any, **_k: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr("specadvisor.atomicwrite.os.open", eperm)  # chattr +i: even the lock file cannot be made
    one_line_error(cli(*_writer_args("check-output", tmp_path / "r.txt")), "not permitted")


@pytest.mark.parametrize("writer", ["check-output", "measure-save"])
def test_symlinked_target_stays_a_link_and_keeps_its_mode(tmp_path: Path, writer: str) -> None:
    real = tmp_path / "real" / "report.yaml"
    real.parent.mkdir()
    real.write_text("rows: []\n" if writer == "measure-save" else "old\n")
    os.chmod(real, 0o644)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    r = cli(*_writer_args(writer, link))
    assert r.exit_code in (0, 1), r.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert real.read_text() not in ("old\n", "rows: []\n")


def test_new_output_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    target = tmp_path / "fresh.txt"
    old = os.umask(0o022)
    try:
        cli(*_writer_args("check-output", target))
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


_SLOW_WRITER = """
import sys, time
from pathlib import Path
from specadvisor.atomicwrite import locked_update
def slow(tmp):
    print("writing", flush=True)
    time.sleep(30)
locked_update(Path(sys.argv[1]), lambda cur: ((cur or "") + "new\\n", None), validate=slow)
"""


def test_sigterm_mid_write_leaves_no_temp_and_the_original(tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    target.write_text("original\n")
    p = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "writing"
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 128 + signal.SIGTERM
    assert target.read_text() == "original\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["t.yaml"]


# -- JSON and integer guards -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(alphabet='ab[]{}"\\ \n', max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet='k[{"\\', max_size=3),
                                                                       children, max_size=3),
    max_leaves=40)


def _depth(x: Any) -> int:
    if isinstance(x, list):
        return 1 + max((_depth(v) for v in x), default=0)
    if isinstance(x, dict):
        return 1 + max((_depth(v) for v in x.values()), default=0)
    return 0


@given(json_values, st.integers(0, 8), st.booleans())
def test_depth_scan_matches_the_real_depth(value: Any, limit: int, big: bool) -> None:
    from specadvisor.guards import json_depth_exceeds

    text = json.dumps(value)
    if big:  # force the vectorised path (documents over 256 KiB) with a long string that holds brackets
        text = json.dumps([value, "[{\\\"" * 70_000])
        value = [value, ""]
    assert json_depth_exceeds(text, limit) == (_depth(value) > limit)


@given(st.integers(min_value=41, max_value=6000))
def test_long_integers_are_a_decode_error_not_a_crash(digits: int) -> None:
    from specadvisor.guards import bounded_int, loads_bounded

    with pytest.raises(json.JSONDecodeError, match="digits"):
        loads_bounded('{"k": ' + "9" * digits + "}")
    assert bounded_int("9" * digits) is None
    assert bounded_int(" 42 ") == 42 and bounded_int("4x") is None


def test_loads_bounded_refuses_depth_size_and_nan() -> None:
    from specadvisor.guards import loads_bounded, loads_checked

    for bad in (b"[" * 100_000, deep_json(100)):
        with pytest.raises(json.JSONDecodeError, match="nested"):
            loads_bounded(bad)
    with pytest.raises(json.JSONDecodeError, match="limit"):
        loads_bounded(b"[1]" * 10, max_bytes=10)
    with pytest.raises(json.JSONDecodeError):
        loads_bounded("[NaN]", allow_nan=False)
    assert loads_bounded('{"model_max_length": 1000000000000000019884624838656}')["model_max_length"] > 1e29
    assert loads_checked("[NaN]") is None and loads_checked(deep_json(100)) is None and loads_checked("[1]") == [1]


# -- check on untrusted content ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(hostile_configs()))
def test_check_is_bounded_on_hostile_configs(tmp_path: Path, name: str) -> None:
    d = tmp_path / name.replace(".", "_")
    d.mkdir()
    p = d / name
    p.write_bytes(hostile_configs()[name])
    r = cli("check", str(p), "--format", "text")
    assert r.exit_code in (0, 1), (r.exit_code, r.stderr)
    assert r.wall < 6.0, f"{name}: {r.wall:.1f}s"
    for line in r.stdout.splitlines():
        assert _FINDING.match(line) or line.startswith("# ") or not line, line[:300]  # findings, then launch lines


def test_check_flags_oversized_inputs_as_findings(tmp_path: Path) -> None:
    cfgs = hostile_configs()
    for name, needle in (("deep-array.sh", "nested deeper"), ("digits.sh", "digits"), ("launches.sh", "launches")):
        p = tmp_path / name
        p.write_bytes(cfgs[name])
        r = cli("check", str(p))
        assert needle in r.stdout, (name, r.stdout[:500])


def test_dockerfile_spaces_are_linear(tmp_path: Path) -> None:
    from specadvisor.check.extract import extract_file

    times = []
    for n in (30_000, 120_000):
        p = tmp_path / f"d{n}" / "Dockerfile"
        p.parent.mkdir()
        p.write_text(f"FROM vllm/vllm-openai\nCMD vllm serve {TARGET} --speculative-config '{spec_json()}'"
                     + " " * n + "\n")
        start = time.perf_counter()
        sites, _ = extract_file(p)
        times.append(time.perf_counter() - start)
        assert sites and sites[0].values.get("k") == 4
    assert times[1] < 0.5, times  # 60,000 spaces took 9.8 s before (quadratic); now a few ms


# -- control characters ------------------------------------------------------------------------------


def test_text_format_escapes_newlines_from_file_names_and_ids(tmp_path: Path) -> None:
    d = tmp_path / "x\n::error file=a,line=1::forged"
    d.mkdir()
    p = d / "serve.sh"
    p.write_text(SERVE + "'" + json.dumps({"model": "evil/a\n::error::forged", "num_speculative_tokens": 4}) + "'\n")
    r = cli("check", str(p), "--format", "text")
    assert r.stdout, r.stderr
    for line in r.stdout.splitlines() + r.stderr.splitlines():
        assert not line.startswith("::"), line
    for line in r.stdout.splitlines():
        assert _FINDING.match(line) or line.startswith("# ") or not line, line


def test_error_lines_escape_control_characters() -> None:
    r = cli("recommend", "--target", "nope\n::error::forged\x1b[2J", "--hardware", "h100-sxm")
    msg = one_line_error(r)
    assert "\x1b" not in msg and "\\n::error" in msg


@given(st.text())
def test_escape_controls_leaves_one_printable_line(s: str) -> None:
    from specadvisor.textsafe import escape_controls

    out = escape_controls(s)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out
    out.encode("utf-8")  # no lone surrogates left
    if s.isprintable() and s.isascii():
        assert out == s


def test_catalog_names_with_control_characters_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(CATALOG.replace("test-org/cached-1B", '"a/b\\n::error::x"'))
    one_line_error(cli("models", "--catalog", str(p)), "control characters")


# -- a hostile Hub -----------------------------------------------------------------------------------

REPO = "test-org/tiny-1B"


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with HostileServer() as srv:
        monkeypatch.setenv("HF_ENDPOINT", srv.url)
        monkeypatch.setenv("SPECADVISOR_HUB_CACHE_DIR", str(tmp_path / "hubcache"))
        monkeypatch.setenv("SPECADVISOR_HUB_TIMEOUT", "0.5")
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        yield srv


def _source(srv: HostileServer, tmp_path: Path, **kw: Any) -> Any:
    from specadvisor.hub.cache import HubCache
    from specadvisor.hub.source import HubSource

    return HubSource(srv.url, token=False, timeout=0.5, cache=HubCache(tmp_path / "hc"), **kw)


HUB_FAULTS: dict[str, tuple[Callable[[HostileServer], None], str]] = {
    "deep-info": (lambda s: s.model(REPO, info=deep_json(10_000)), "nested"),
    "deep-config": (lambda s: s.model(REPO, files={"config.json": deep_json(10_000)}), "nested"),
    "deep-tokenizer": (lambda s: s.model(REPO, files={"config.json": json.dumps(small_config()).encode(),
                                                      "tokenizer.json": b"[" * 10_000}), "nested"),
    "huge-int": (lambda s: s.model(REPO, files={"config.json": json.dumps(small_config()).encode().replace(
        b'"hidden_size": 2048', b'"hidden_size": 1' + b"0" * 400)}), "digits"),
    "negative-layers": (lambda s: s.model(REPO, files={"config.json": json.dumps(small_config(
        num_hidden_layers=-16)).encode()}), "invalid model"),
    "huge-vocab-id": (lambda s: s.model(REPO, files={"config.json": json.dumps(small_config()).encode(),
                                                     "tokenizer.json": json.dumps({"model": {"type": "BPE", "vocab": {
                                                         "a": 10**9}}}).encode()}), "token ids"),
}


@pytest.mark.parametrize("case", sorted(HUB_FAULTS))
def test_hostile_hub_answers_are_one_line_errors(hostile: HostileServer, case: str) -> None:
    setup, needle = HUB_FAULTS[case]
    setup(hostile)
    one_line_error(cli("inspect", REPO, "--format", "json"), needle)


def test_hub_spec_is_validated_not_recommended(hostile: HostileServer) -> None:
    HUB_FAULTS["negative-layers"][0](hostile)
    r = cli("compare", REPO, "--target", TARGET, "--hub", "--format", "json")
    assert REPO not in r.stdout, r.stdout[:300]  # the invalid draft is never ranked ("recommended, 1.86x" before)
    assert "invalid model" in r.stderr


def test_redirect_to_another_port_is_not_followed(hostile: HostileServer, tmp_path: Path) -> None:
    with HostileServer() as other:
        other.model(REPO)
        hostile.model(REPO)
        hostile.routes[f"/api/models/{REPO}"] = (302, {"Location": f"{other.url}/api/models/{REPO}"}, b"")
        from specadvisor.hub.errors import HubUnavailableError

        with pytest.raises(HubUnavailableError, match="another host or port"):
            _source(hostile, tmp_path).record(REPO)
        assert other.hits == {}


def test_same_origin_redirect_is_followed(hostile: HostileServer, tmp_path: Path) -> None:
    hostile.model("test-org/new-name", info={"id": "test-org/new-name", "siblings": [{"rfilename": "config.json"}]})
    hostile.routes[f"/api/models/{REPO}"] = (307, {"Location": "/api/models/test-org/new-name"}, b"")
    hostile.routes[f"/{REPO}/resolve/main/config.json"] = (200, {}, json.dumps(small_config()).encode())
    rec = _source(hostile, tmp_path).record(REPO)
    assert rec.id == REPO


def test_the_requested_id_is_kept(hostile: HostileServer, tmp_path: Path) -> None:
    hostile.model(REPO, info={"id": "evil/other\n::error::x", "siblings": [{"rfilename": "config.json"}]})
    assert _source(hostile, tmp_path).record(REPO).id == REPO
    hostile.model("test-org/case", info={"id": "Test-Org/Case", "siblings": [{"rfilename": "config.json"}]})
    assert _source(hostile, tmp_path).record("test-org/case").id == "Test-Org/Case"  # same id, canonical spelling


def test_retry_after_is_capped_by_the_timeout(hostile: HostileServer, tmp_path: Path) -> None:
    hostile.routes[f"/api/models/{REPO}"] = (429, {"Retry-After": "30"}, b"{}")
    from specadvisor.hub.errors import HubUnavailableError

    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="rate-limiting"):
        _source(hostile, tmp_path, max_retries=2).record(REPO)
    assert time.monotonic() - start < 3.0  # 2 waits of at most the 0.5 s timeout, not 2 x 30 s


def test_tokenizer_over_the_vocabulary_bound_is_refused_cheaply(hostile: HostileServer, tmp_path: Path) -> None:
    from specadvisor.hub.errors import HubUnavailableError
    from specadvisor.hub.tokenizers import MAX_VOCAB_IDS

    hostile.model(REPO, files={"config.json": json.dumps(small_config()).encode(),
                               "tokenizer.json": tokenizer_json(MAX_VOCAB_IDS + 1)})
    with pytest.raises(HubUnavailableError, match="limit"):
        _source(hostile, tmp_path).record(REPO)


# -- poisoned caches ---------------------------------------------------------------------------------

POISON: dict[str, Callable[[Path], None]] = {
    "wrong-shape": lambda p: p.write_text('{"format": 1, "key": "x", "data": [1, 2]}'),
    "right-key-wrong-record": lambda p: p.write_text(json.dumps({**json.loads(p.read_text()),
                                                                 "data": {"id": 5, "tags": "x"}})),
    "nan": lambda p: p.write_text(p.read_text().replace('"fetched_at": ', '"fetched_at": NaN, "x": ')),
    "deep": lambda p: p.write_bytes(deep_json(50_000)),
    "fifo": lambda p: (p.unlink(), os.mkfifo(p)),
    "dev-zero": lambda p: (p.unlink(), p.symlink_to("/dev/zero")),
}


@pytest.mark.parametrize("kind", sorted(POISON))
def test_poisoned_hub_cache_entry_is_ignored_and_rewritten(hostile: HostileServer, tmp_path: Path, kind: str) -> None:
    hostile.model(REPO)
    first = _source(hostile, tmp_path).record(REPO)
    entries = [p for p in (tmp_path / "hc").rglob("*.json") if p.parent.name == "model"]
    assert len(entries) == 1
    POISON[kind](entries[0])
    before = hostile.hits.get(f"/api/models/{REPO}", 0)
    again = _source(hostile, tmp_path).record(REPO)
    assert again.id == first.id and again.config == first.config
    assert hostile.hits[f"/api/models/{REPO}"] == before + 1  # a miss: fetched again
    assert entries[0].is_file() and not entries[0].is_symlink()
    assert json.loads(entries[0].read_text())["data"]["id"] == REPO  # rewritten, valid


CATALOG = """models:
  - id: test-org/cached-1B
    family: llama
    generation: "3.2"
    params_b: 1.24
    layers: 16
    hidden_size: 2048
    intermediate_size: 8192
    heads: 32
    kv_heads: 8
    head_dim: 64
    vocab_size: 128256
    tokenizer: llama3
    precision: bf16
    domain: general
    source: "a synthetic entry for the cache tests"
"""


@pytest.mark.parametrize("kind", ["garbage", "nan", "negative-layers", "deep", "fifo", "dev-zero"])
def test_poisoned_catalog_cache_is_ignored_and_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         kind: str) -> None:
    from specadvisor.catalog import core as cat

    monkeypatch.setenv("SPECADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    user = tmp_path / "user.yaml"
    user.write_text(CATALOG)
    cat._load.cache_clear()
    assert cat.load_catalog([user]).model("test-org/cached-1B").spec.layers == 16
    entry = cat._cache_file(str(user))
    assert entry is not None and entry.exists()
    good = entry.read_text()
    {"garbage": lambda: entry.write_text("{not json"),
     "nan": lambda: entry.write_text(good.replace('"layers": 16', '"layers": NaN')),
     "negative-layers": lambda: entry.write_text(good.replace('"layers": 16', '"layers": -16')),
     "deep": lambda: entry.write_bytes(deep_json(50_000)),
     "fifo": lambda: (entry.unlink(), os.mkfifo(entry)),
     "dev-zero": lambda: (entry.unlink(), entry.symlink_to("/dev/zero"))}[kind]()
    cat._load.cache_clear()
    done: dict[str, Any] = {}
    t = threading.Thread(target=lambda: done.setdefault("m", cat.load_catalog([user]).model("test-org/cached-1B")),
                         daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "a poisoned cache entry blocked the catalog load"
    assert done["m"].spec.layers == 16
    assert entry.is_file() and not entry.is_symlink() and json.loads(entry.read_text())["models"][0]["layers"] == 16
    cat._load.cache_clear()


# -- small items -------------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", ["abc", "-5", "", "99999999999999", "٣"])
def test_columns_env_never_crashes(columns: str) -> None:
    r = cli("models", env={"COLUMNS": columns})
    assert r.exit_code == 0 and r.stdout


def test_sigint_during_startup_prints_no_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.05, 0.15, 0.3, 0.5):
        p = subprocess.Popen([sys.executable, "-m", "specadvisor", "models"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env, text=True)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=20)
        # A SIGINT inside Python's own start-up (runpy, before any specadvisor line runs) is the interpreter's to
        # report; from the first line of specadvisor on, there must be no traceback.
        frames = re.findall(r'File "([^"]+)"', err)
        assert not any("specadvisor" in f for f in frames), (delay, err[-800:])


def test_hub_timeout_env_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from specadvisor.hub.source import default_source

    for raw in ("nan", "inf", "-1", "abc", "1e999"):
        monkeypatch.setenv("SPECADVISOR_HUB_TIMEOUT", raw)
        assert math.isfinite(default_source().timeout) and default_source().timeout > 0


def test_catalog_add_writes_the_requested_id_not_the_hubs(hostile: HostileServer, tmp_path: Path) -> None:
    hostile.model(REPO, info={"id": "evil/renamed\n::error::x", "siblings": [{"rfilename": "config.json"}]},
                  files={"config.json": json.dumps(small_config()).encode()})
    to = tmp_path / "mine.yaml"
    r = cli("catalog", "add", REPO, "--to", str(to))
    assert r.exit_code == 0, r.stderr
    from specadvisor.catalog.core import load_catalog_file

    assert [m.id for m in load_catalog_file(to)[0]] == [REPO]
    assert "evil" not in to.read_text()
