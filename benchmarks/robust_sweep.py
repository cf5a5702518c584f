"""An adversarial sweep of specadvisor (issue #15): argument fuzzing of every command, filesystem faults,
untrusted config content, poisoned caches, a hostile Hub on loopback and concurrent writers.

Prints: inputs tried, tracebacks, wrong exit codes, hangs, peak memory, files damaged, lost updates. Every
count but the inputs must be 0 (exit status 1 otherwise). Loopback only: HF_ENDPOINT points at a local
server or a closed port; nothing leaves the machine. Deterministic for a given --seed.

Usage: python benchmarks/robust_sweep.py [--seed 15] [--scale 1.0]   (scale 1: about 3,300 inputs)
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile import (  # noqa: E402
    DRAFT,
    TARGET,
    HostileServer,
    deep_json,
    hostile_configs,
    random_launch,
    small_config,
    spec_json,
    special_paths,
)

HANG_S = 15.0
PROM = ROOT / "tests" / "fixtures" / "measure" / "vllm_v1.prom"
CATALOG_OK = ROOT / "tests" / "fixtures"


class Tally:
    def __init__(self) -> None:
        self.inputs = 0
        self.tracebacks = 0
        self.wrong_exit = 0
        self.hangs = 0
        self.damaged = 0
        self.lost = 0
        self.examples: list[str] = []

    def bad(self, kind: str, what: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if sum(e.startswith(kind) for e in self.examples) < 4:
            self.examples.append(f"{kind}: {what[:400]}")


T = Tally()


def cli(args: list[str], allowed: set[int], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """One CLI input, in-process on a thread: counts a traceback, an undocumented exit code or a hang."""
    from typer.testing import CliRunner

    from specadvisor.cli.app import app

    T.inputs += 1
    box: dict[str, Any] = {}
    th = threading.Thread(target=lambda: box.setdefault("r", CliRunner().invoke(app, args, env=env or {})),
                          daemon=True)
    th.start()
    th.join(HANG_S)
    shown = " ".join(repr(a)[:80] for a in args)
    if th.is_alive():
        T.bad("hangs", shown)
        return -1, "", ""
    r = box["r"]
    out, err = r.stdout, r.stderr
    if (r.exception is not None and not isinstance(r.exception, SystemExit)) or "Traceback" in out + err:
        T.bad("tracebacks", f"{shown}: {r.exception!r}")
    elif r.exit_code not in allowed:
        T.bad("wrong_exit", f"{shown}: exit {r.exit_code}: {err[-200:]}")
    elif r.exit_code == 2 and len(err.strip().splitlines()) != 1 and "Try 'specadvisor" not in err:
        # (click's own usage errors, an unknown option or a bad choice, are a usage box by design)
        T.bad("wrong_exit", f"{shown}: exit 2 without exactly one error line: {err[-300:]!r}")
    return r.exit_code, out, err


def library(fn: Callable[[], Any]) -> None:
    """One library-level input: a SpecAdvisorError is a clean refusal; anything else is a traceback."""
    from specadvisor.errors import SpecAdvisorError

    T.inputs += 1
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            fn()
        except SpecAdvisorError:
            pass
        except BaseException as exc:  # noqa: BLE001 - counting them is the point
            box["exc"] = exc

    th = threading.Thread(target=go, daemon=True)
    th.start()
    th.join(HANG_S)
    if th.is_alive():
        T.bad("hangs", repr(fn))
    elif "exc" in box:
        T.bad("tracebacks", repr(box["exc"]))


def sha(p: Path) -> str | None:
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    except OSError:
        return None


# -- 1. argument fuzzing of every command ------------------------------------------------------------

NASTY = ["", "-1", "0", "1", "999999999999999999999999", "9" * 5000, "nan", "inf", "-inf", "1e999", "0.5", "abc",
         "a\nb::error::x", "\x1b[2J", "é", "\udcff\udcfe", "x" * 5000, "--", "-", "../../x", "/dev/zero", "%s%n",
         "{}", "[", "h100-sxm", TARGET, DRAFT, "Qwen/Qwen3-8B@fp8", "llama.cpp", "vllm", "code", "a/b/c", "@@@"]
OPTIONS = {
    "recommend": ["--target", "--hardware", "--tp", "--batch-size", "--context-len", "--task", "--temperature",
                  "--engine", "--alpha", "--k", "--max-k", "--top", "--format", "--catalog", "--emit", "--measured",
                  "--draft"],
    "compare": ["--target", "--hardware", "--tp", "--batch-size", "--task", "--engine", "--format", "--catalog"],
    "models": ["--format", "--catalog", "--family"],
    "hardware": ["--format", "--catalog"],
    "rules": ["--format", "--scope", "--severity"],
    "check": ["--format", "--fail-on", "--select", "--ignore", "--config", "--catalog", "--output"],
    "measure": ["--target", "--draft", "--hardware", "--tp", "--format", "--k", "--save", "--interval"],
    "calibrate-model": ["--catalog", "--out"],
    "inspect": ["--format", "--revision"],
}
PATH_OPTIONS = {"--catalog", "--config", "--output", "--save", "--data", "--out", "--measured"}


def fuzz_arguments(rng: random.Random, n: int, tmp: Path, specials: dict[str, Path]) -> None:
    env = {"HF_ENDPOINT": "http://127.0.0.1:9", "SPECADVISOR_HUB_TIMEOUT": "0.2", "COLUMNS": rng.choice(
        ["200", "abc", "-3", "99999999999"])}
    paths = [str(p) for p in specials.values()] + [str(PROM), str(CATALOG_OK), str(tmp / "new.yaml"),
                                                   str(tmp / "out" / "r.txt")]
    for i in range(n):
        cmd = rng.choice(list(OPTIONS))
        args = cmd.split()
        if cmd in ("compare", "check", "measure", "inspect"):
            args.append(rng.choice(paths + NASTY) if cmd != "inspect" else rng.choice(NASTY + [TARGET]))
        for _ in range(rng.randint(0, 5)):
            opt = rng.choice(OPTIONS[cmd])
            args += [opt, rng.choice(paths) if opt in PATH_OPTIONS else rng.choice(NASTY)]
        if cmd == "calibrate-model":  # always on a named file: the default full refit takes a minute
            args += ["--data", rng.choice(paths), "--dry-run"] if rng.random() < 0.8 else [
                "--data", rng.choice(paths), "--out", str(tmp / f"fit{i}.yaml")]
        if cmd in ("inspect",) or (cmd in ("recommend", "compare") and rng.random() < 0.3):
            args.append("--offline")
        allowed = {0, 1, 2} if cmd == "check" else {0, 2}
        cli(args, allowed, env)


# -- 2. filesystem faults ----------------------------------------------------------------------------


def filesystem_faults(rng: random.Random, rounds: int, tmp: Path) -> None:
    from specadvisor import atomicwrite
    from specadvisor.catalog.core import load_catalog
    from specadvisor.catalog.edit import add_entry

    readers: dict[str, Callable[[str], list[str]]] = {
        "catalog": lambda p: ["models", "--catalog", p],
        "calibration": lambda p: ["calibrate-model", "--data", p, "--dry-run"],
        "measure": lambda p: ["measure", p],
        "check": lambda p: ["check", p],
        "check-config": lambda p: ["check", str(PROM), "--config", p],
        "measured": lambda p: ["recommend", "--target", TARGET, "--measured", p],
    }
    writers: dict[str, Callable[[str], list[str]]] = {
        "check-output": lambda p: ["check", str(PROM), "--output", p],
        "measure-save": lambda p: ["measure", str(PROM), "--target", TARGET, "--draft", DRAFT, "--save", p],
    }
    base = load_catalog().model(DRAFT).spec
    for r in range(rounds):
        d = tmp / f"fs{r}"
        specials = special_paths(d)
        weird = d / ("x" * rng.randint(1, 250) + rng.choice(["\n", "\t", " ", "é", ""]) + ".yaml")
        specials["weird-name"] = weird
        for name, make in readers.items():
            for p in specials.values():
                cli(make(str(p)), {0, 1, 2} if name.startswith("check") else {0, 2})
        targets = {**specials, "dotdot": d / "adir.yaml" / "..", "empty": Path("")}
        for make in writers.values():
            for kind, p in targets.items():
                if kind in ("dev-zero", "missing", "weird-name", "dangling-link", "invalid-utf8-name"):
                    continue  # writable or a real device outside tmp: not a fault case
                cli(make(str(p)), {2})
        for kind in ("directory", "under-a-file", "long-name", "fifo", "symlink-loop"):
            library(lambda p=specials[kind]: add_entry(p, base))
        # disk faults at each step of the write: the original must survive byte for byte
        for fault, where in ((errno.ENOSPC, "fsync"), (errno.EDQUOT, "fsync"), (errno.EPERM, "replace"),
                             (errno.EROFS, "mkstemp"), (errno.EIO, "fdopen")):
            target = d / f"existing-{where}.yaml"
            target.write_text("rows: []\n")
            before = sha(target)
            real = getattr(atomicwrite.os if where != "mkstemp" else atomicwrite.tempfile, where)

            def failing(*_a: Any, _f: int = fault, **_k: Any) -> None:
                raise OSError(_f, os.strerror(_f))

            owner = atomicwrite.os if where != "mkstemp" else atomicwrite.tempfile
            setattr(owner, where, failing)
            try:
                cli(writers["measure-save"](str(target)), {2})
                cli(writers["check-output"](str(target)), {2})
            finally:
                setattr(owner, where, real)
            if sha(target) != before:
                T.bad("damaged", f"{target} after {errno.errorcode[fault]} at {where}")
            left = [p.name for p in d.iterdir() if p.name.endswith((".tmp", ".lock"))]
            if left:
                T.bad("damaged", f"left behind: {left}")


# -- 3. untrusted config content ---------------------------------------------------------------------


def config_content(rng: random.Random, n: int, tmp: Path) -> None:
    d = tmp / "configs"
    d.mkdir()
    for name, data in hostile_configs().items():
        sub = d / f"h-{name.replace('.', '_')}"
        sub.mkdir()
        (sub / name).write_bytes(data)
        cli(["check", str(sub / name), "--format", rng.choice(["text", "json", "sarif", "github"])], {0, 1})
    base = list(hostile_configs().items())
    for i in range(n):
        kind = rng.random()
        if kind < 0.6:
            name, text = f"s{i}.sh", "".join(random_launch(rng) for _ in range(rng.randint(1, 4))).encode("utf-8",
                                                                                                         "replace")
        elif kind < 0.8:
            name, data = rng.choice(base)
            cut = rng.randint(0, min(len(data), 4000))
            text = bytearray(data[:cut])
            for _ in range(rng.randint(0, 5)):
                if text:
                    text[rng.randrange(len(text))] = rng.randrange(256)
            text = bytes(text)
        else:
            spec = rng.choice([spec_json(rng.choice([4, -3, 10**30, "x", None])), "[" * rng.randint(1, 300),
                               json.dumps({"model": DRAFT, "num_speculative_tokens": rng.random() * 1e308}), "{"])
            name = rng.choice(["vllm.yaml", "deploy.yaml", "docker-compose.yaml"])
            text = rng.choice([f"model: {TARGET}\nspeculative-config: '{spec}'\n",
                               f"model: {TARGET}\nspeculative_config: {spec}\n",
                               "services:\n  vllm:\n    image: vllm/vllm-openai\n    command: " + json.dumps(
                                   ["--model", TARGET, "--speculative-config", spec]) + "\n"]).encode()
        sub = d / f"c{i}"
        sub.mkdir()
        (sub / name).write_bytes(text)
        cli(["check", str(sub / name), "--format", rng.choice(["text", "json", "github"])], {0, 1})


# -- 4. poisoned caches ------------------------------------------------------------------------------


def poisoned_caches(rng: random.Random, n: int, tmp: Path, srv: HostileServer) -> None:
    from specadvisor.catalog import core as cat
    from specadvisor.hub.cache import HubCache
    from specadvisor.hub.source import HubSource

    repo = "sweep-org/cached-1B"
    srv.model(repo)
    junk: list[Callable[[Path], None]] = [
        lambda p: p.write_bytes(os.urandom(rng.randint(0, 500))),
        lambda p: p.write_text("[NaN, Infinity]"),
        lambda p: p.write_bytes(deep_json(rng.randint(100, 60_000))),
        lambda p: p.write_text(json.dumps({"format": 1, "key": "x", "data": rng.choice([[], 1, "s", None, {}])})),
        lambda p: (p.unlink(), os.mkfifo(p)),
        lambda p: (p.unlink(), p.symlink_to("/dev/zero")),
        lambda p: (p.unlink(), p.mkdir()),
        lambda p: p.write_text(p.read_text().replace("2048", rng.choice(["-1", "NaN", "1e999", '"x"', "[]"]))),
    ]
    for i in range(n):
        root = tmp / f"hc{i}"
        src = HubSource(srv.url, token=False, timeout=0.3, cache=HubCache(root))
        library(lambda s=src: s.record(repo))
        entries = [p for p in root.rglob("*.json") if p.parent.name == "model"]
        if entries:
            try:
                rng.choice(junk)(entries[0])
            except OSError:
                pass
        T.inputs += 1
        try:
            rec = HubSource(srv.url, token=False, timeout=0.3, cache=HubCache(root)).record(repo)
            if rec.id != repo or (rec.config or {}).get("hidden_size") != 2048:
                T.bad("wrong_exit", f"poisoned hub cache believed: {rec.config}")
        except Exception as exc:  # noqa: BLE001
            T.bad("tracebacks", f"poisoned hub cache: {exc!r}")
    os.environ["SPECADVISOR_CACHE_DIR"] = str(tmp / "catcache")
    user = tmp / "user-catalog.yaml"
    shutil.copy(ROOT / "tests" / "fixtures" / "catalog_user.yaml", user) if (
        ROOT / "tests" / "fixtures" / "catalog_user.yaml").exists() else user.write_text(
        (ROOT / "model_catalog.yaml").read_text())
    for _ in range(n // 2):
        cat._load.cache_clear()
        cat.load_catalog([user])
        entry = cat._cache_file(str(user))
        if entry is None or not os.path.lexists(entry):
            continue
        try:
            rng.choice(junk)(entry)
        except OSError:
            pass
        cat._load.cache_clear()
        library(lambda: cat.load_catalog([user]).model(DRAFT))
        if os.path.isdir(entry):
            shutil.rmtree(entry)


# -- 5. a hostile Hub ----------------------------------------------------------------------------------


def hostile_hub(rng: random.Random, n: int, tmp: Path, srv: HostileServer, other: HostileServer) -> None:
    from specadvisor.hub.cache import HubCache
    from specadvisor.hub.source import HubSource

    def bodies() -> bytes:
        return rng.choice([deep_json(rng.randint(65, 20_000)), b"[" * rng.randint(1, 50_000),
                           json.dumps(small_config(hidden_size=int("1" + "0" * rng.randint(20, 600)))).encode(),
                           json.dumps(small_config(num_hidden_layers=rng.choice([-16, 0, 10**12, 1.5, "16", None]))).encode(),
                           json.dumps(small_config(vocab_size=rng.choice([-1, 0, 2**64]))).encode(),
                           json.dumps(small_config(num_attention_heads=rng.choice([0, -8, 10**9]))).encode(),
                           b"NaN", b'{"hidden_size": NaN}', os.urandom(rng.randint(0, 300)), b"", b"null",
                           json.dumps({"model": {"type": "BPE", "vocab": {"a": rng.choice([10**9, -5, 2**70])}}}).encode(),
                           json.dumps({"model": {"type": "BPE", "vocab": [[str(i), 0.0] for i in range(50)]}}).encode()])

    for i in range(n):
        repo = f"h{i}/m-{i}"
        kind = rng.random()
        info: Any = None
        files = {"config.json": json.dumps(small_config()).encode()}
        if kind < 0.25:
            info = bodies()
        elif kind < 0.55:
            files["config.json"] = bodies()
        elif kind < 0.75:
            files["tokenizer.json"] = bodies()
        elif kind < 0.85:
            info = {"id": rng.choice(["evil/other", "x\n::error::y", 5, None, "", repo.upper()]),
                    "siblings": rng.choice([[{"rfilename": "config.json"}], "x", [1, 2], None])}
        srv.model(repo, info=info, files=files)
        if 0.85 <= kind < 0.93:
            other.model(repo)
            srv.routes[f"/api/models/{repo}"] = (rng.choice([301, 302, 307, 308]),
                                                 {"Location": f"{other.url}/api/models/{repo}"}, b"")
        elif kind >= 0.93:
            srv.routes[f"/api/models/{repo}"] = (rng.choice([429, 503]), {"Retry-After": rng.choice(
                ["30", "99999999999", "-5", "nan", "Wed, 21 Oct 2099 07:28:00 GMT", "x"])}, b"{}")
        src = HubSource(srv.url, token=False, timeout=0.3, cache=HubCache(tmp / f"hh{i}"), max_retries=1)
        start = time.monotonic()
        library(lambda s=src, r=repo: _resolve(s, r))
        if time.monotonic() - start > 5:
            T.bad("hangs", f"hub case {i} took {time.monotonic() - start:.1f}s")
    if other.hits:
        T.bad("wrong_exit", f"a cross-port redirect was followed: {sorted(other.hits)[:3]}")


def _resolve(src: Any, repo: str) -> None:
    from specadvisor.hub.resolve import model_from_record

    model_from_record(src.record(repo))


# -- 6. concurrent writers ---------------------------------------------------------------------------


def _writer(kind: str, path: str, i: int) -> None:
    from dataclasses import replace

    if kind == "catalog":
        from specadvisor.catalog.core import load_catalog
        from specadvisor.catalog.edit import add_entry

        add_entry(path, replace(load_catalog().model(DRAFT).spec, id=f"sweep-org/draft-{i}", aliases=()))
    else:
        from specadvisor.measure.record import append_row

        append_row(Path(path), {"source_id": f"measured:{i}", "source_where": "x", "target": TARGET, "draft": DRAFT,
                                "target_format": "bf16", "draft_format": "bf16", "hardware": None, "tp": None,
                                "batch_size": None, "k": 4, "temperature": None, "task": None, "engine": "vllm",
                                "context_len": None, "alpha": 0.7, "tau": 2.8, "speedup": None,
                                "use_for": ["alpha", "tau"], "note": str(i), "measured_at": "2026-01-01T00:00:00Z"})


def concurrency(trials: int, tmp: Path) -> None:
    from specadvisor.calibration.rows import load_calibration
    from specadvisor.catalog.core import load_catalog_file

    ctx = multiprocessing.get_context("fork")
    for kind in ("catalog", "measure"):
        for t in range(trials):
            path = tmp / f"conc-{kind}-{t}.yaml"
            procs = [ctx.Process(target=_writer, args=(kind, str(path), w)) for w in range(3)]
            for p in procs:
                p.start()
            for p in procs:
                p.join(60)
            T.inputs += 1
            if any(p.exitcode != 0 for p in procs):
                T.bad("tracebacks", f"{kind} writer exited {[p.exitcode for p in procs]}")
                continue
            got = len(load_catalog_file(path)[0]) if kind == "catalog" else len(load_calibration(path))
            if got != 3:
                T.lost += 3 - got
                T.bad("damaged" if got > 3 else "wrong_exit", f"{kind}: {got} of 3 entries") if got > 3 else None
    # check --output twice at once (two processes): the file is one whole report or the other, never a mixture
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for t in range(trials):
        out = tmp / f"conc-out-{t}.json"
        procs = [subprocess.Popen([sys.executable, "-m", "specadvisor", "check", src, "--format", "json", "--output",
                                   str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
                 for src in (str(PROM), str(CATALOG_OK))]
        for p in procs:
            T.inputs += 1
            _o, err = p.communicate(timeout=120)
            if b"Traceback" in err:
                T.bad("tracebacks", err.decode(errors="replace")[-300:])
            elif p.returncode not in (0, 1):
                T.bad("wrong_exit", f"concurrent check --output exit {p.returncode}")
        try:
            json.loads(out.read_text())
        except (OSError, ValueError):
            T.bad("damaged", f"{out} is not one whole report")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    s = args.scale
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="specadvisor-sweep-") as t, HostileServer() as srv, \
            HostileServer() as other:
        tmp = Path(t)
        os.environ["SPECADVISOR_CACHE_DIR"] = str(tmp / "cache")
        os.environ["SPECADVISOR_HUB_CACHE_DIR"] = str(tmp / "hubcache")
        os.environ["HF_ENDPOINT"] = srv.url
        os.environ.pop("HF_TOKEN", None)
        specials = special_paths(tmp / "specials")
        phases: list[tuple[str, Callable[[], None]]] = [
            ("arguments", lambda: fuzz_arguments(rng, int(1200 * s), tmp, specials)),
            ("filesystem", lambda: filesystem_faults(rng, max(1, int(3 * s)), tmp)),
            ("configs", lambda: config_content(rng, int(900 * s), tmp)),
            ("caches", lambda: poisoned_caches(rng, int(120 * s), tmp, srv)),
            ("hub", lambda: hostile_hub(rng, int(300 * s), tmp, srv, other)),
            ("concurrency", lambda: concurrency(max(2, int(12 * s)), tmp)),
        ]
        for name, phase in phases:
            before, t0 = T.inputs, time.monotonic()
            phase()
            print(f"  {name:12s} {T.inputs - before:5d} inputs  {time.monotonic() - t0:6.1f} s", flush=True, file=sys.__stdout__)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"inputs tried:     {T.inputs}", file=sys.__stdout__)
    print(f"tracebacks:       {T.tracebacks}", file=sys.__stdout__)
    print(f"wrong exit codes: {T.wrong_exit}", file=sys.__stdout__)
    print(f"hangs:            {T.hangs}", file=sys.__stdout__)
    print(f"peak memory:      {peak / 1024:.0f} MB", file=sys.__stdout__)
    print(f"files damaged:    {T.damaged}", file=sys.__stdout__)
    print(f"lost updates:     {T.lost}", file=sys.__stdout__)
    print(f"wall:             {time.monotonic() - start:.0f} s", file=sys.__stdout__)
    for e in T.examples:
        print("  " + e, file=sys.__stdout__)
    return 0 if not (T.tracebacks or T.wrong_exit or T.hangs or T.damaged or T.lost) else 1


if __name__ == "__main__":
    raise SystemExit(main())
