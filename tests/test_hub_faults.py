"""Hub faults against the loopback fake Hub (tests/fakehub.py): HTTP errors, truncated and HTML bodies, slow drips,
resets, DNS failure and refused connections.

Each fault must give a one-line message naming the repo and the endpoint, exit code 2 through the CLI, retries only
for 429/5xx and a bounded number of them (counted on the server), no hang (wall time, with a small
SPECADVISOR_HUB_TIMEOUT), and the token must never appear in any output, log record or exception text.
"""

from __future__ import annotations

import logging
import re
import socket
import time
import traceback
from collections.abc import Iterator

import pytest
from cliutil import invoke as cli_invoke
from fakehub import FakeHub, Fault

from specadvisor.hub.cache import HubCache
from specadvisor.hub.discover import fetch_records
from specadvisor.hub.errors import HubError, HubNotFoundError, HubUnavailableError
from specadvisor.hub.source import HubSource, default_source

TOKEN = "hf_FaultSuiteMarker7c3e91NeverShown"
Q05 = "Qwen/Qwen2.5-0.5B-Instruct"
TIMEOUT = 0.5  # SPECADVISOR_HUB_TIMEOUT for the CLI; the whole-request deadline is 3 x this
DEADLINE = 3 * TIMEOUT
MAX_WALL = DEADLINE + 2.5  # "no hang": every CLI run below ends well within this
RETRIES = 3  # HubSource default: 4 attempts at most
FILES_FETCHED = 3  # Q05 lists config.json, tokenizer_config.json, tokenizer.json (no generation_config.json)

COMMANDS = {
    "inspect": ("inspect", Q05),
    "recommend": ("recommend", "--target", Q05, "--hub-only"),
}

# (id, fault factory, message pattern for the api scope, for the file scope, retried?)
CASES = [
    ("401", dict(kind="status", status=401), r"no such model on .* \(or it is private",
     r"access denied by .* \(HTTP 401", False),
    ("403", dict(kind="status", status=403), r"access denied by .* \(HTTP 403", r"access denied by .* \(HTTP 403", False),
    ("404", dict(kind="status", status=404), r"no such model on", r"has no config\.json", False),
    ("429", dict(kind="status", status=429, retry_after="0"), r"rate-limiting requests .*gave up after 4 attempts",
     r"rate-limiting requests .*gave up after 4 attempts", True),
    ("500", dict(kind="status", status=500, retry_after="0"), r"answered HTTP 500 .*gave up after 4 attempts",
     r"answered HTTP 500 .*gave up after 4 attempts", True),
    ("503", dict(kind="status", status=503, retry_after="0"), r"answered HTTP 503 .*gave up after 4 attempts",
     r"answered HTTP 503 .*gave up after 4 attempts", True),
    ("truncated", dict(kind="truncate"), r"closed the connection in the middle of .* \(truncated response\)",
     r"closed the connection in the middle of .* \(truncated response\)", False),
    ("html-200", dict(kind="html"), r"sent an HTML page instead of .* \(HTTP 200, Content-Type text/html\)",
     r"sent an HTML page instead of .* \(HTTP 200, Content-Type text/html\)", False),
    ("wrong-json", dict(kind="wrong-json"), r"unexpected answer for .* model info", r"config\.json from .* is not a JSON object",
     False),
    ("slow-drip", dict(kind="drip", drip_interval=0.1), rf"too slow sending .*not complete within {DEADLINE:g}s",
     rf"too slow sending .*not complete within {DEADLINE:g}s", False),
    ("slow-drip-headers", dict(kind="drip-headers", drip_interval=0.1),
     rf"too slow sending .*not complete within {DEADLINE:g}s", rf"too slow sending .*not complete within {DEADLINE:g}s",
     False),
    ("reset", dict(kind="reset"), r"connection to .* was reset|closed the connection without answering",
     r"connection to .* was reset|closed the connection without answering", False),
]
# the endpoint is named in every message except a repo whose files are all missing (a repo problem, not the Hub's)
NO_ENDPOINT = {("404", "file")}


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub() as h:
        yield h


@pytest.fixture(autouse=True)
def clean(hub: FakeHub) -> Iterator[None]:
    hub.fault = None
    hub.reset()
    yield
    hub.fault = None


@pytest.fixture
def env(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("SPECADVISOR_HUB_CACHE_DIR", str(tmp_path / "hubcache"))
    monkeypatch.setenv("SPECADVISOR_HUB_TIMEOUT", str(TIMEOUT))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return hub


def cli(*args: str):
    start = time.monotonic()
    result = cli_invoke(*args, columns="250")
    wall = time.monotonic() - start
    assert TOKEN not in result.stdout and TOKEN not in result.stderr
    return result, wall


def assert_one_line_error(r, pattern: str, *names: str) -> str:
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    msg = lines[0]
    assert re.search(pattern, msg), msg
    for name in names:
        assert name in msg, (name, msg)
    return msg


def assert_no_token(exc: BaseException) -> None:
    """Neither the exception nor anything it chains to mentions the token, however it is printed."""
    seen, cur = set(), exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        assert TOKEN not in str(cur) and TOKEN not in repr(cur)
        assert TOKEN not in "".join(str(a) for a in getattr(cur, "args", ()))
        cur = cur.__cause__ or cur.__context__
    assert TOKEN not in "".join(traceback.format_exception(exc))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the block ends: nothing listens there


# -- the matrix: every fault on the model-info API and on the file endpoints, through both commands ----------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("scope", ["api", "file"])
@pytest.mark.parametrize("case, fault, api_pattern, file_pattern, retried", CASES, ids=[c[0] for c in CASES])
def test_fault_is_one_clear_line_exit_2_bounded(env, command, scope, case, fault, api_pattern, file_pattern, retried):
    hub = env
    hub.fault = Fault(scope=scope, **fault)
    r, wall = cli(*COMMANDS[command])
    names = [Q05] if (case, scope) in NO_ENDPOINT else [Q05, hub.url]
    assert_one_line_error(r, api_pattern if scope == "api" else file_pattern, *names)
    assert wall < MAX_WALL, f"{case} on {scope} took {wall:.1f}s"
    assert hub.authorized > 0  # the token was sent, and `cli` checked it was never shown

    attempts = 1 + RETRIES if retried else 1
    if scope == "api":
        assert hub.count_scope("api") == attempts
        assert hub.count() == attempts, hub.requests  # the failure stops the run: no listing, no file request
    else:
        assert hub.count_scope("api") == 1
        files = hub.count_scope("file")
        # the files are fetched concurrently; once one has failed for good, the others stop (no new attempts)
        assert attempts <= files <= attempts * FILES_FETCHED, files
        assert hub.count() == 1 + files


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_dns_failure_for_hf_endpoint(env, monkeypatch, command):
    endpoint = "http://hub.specadvisor.invalid"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    r, wall = cli(*COMMANDS[command])
    assert_one_line_error(r, r"cannot reach .*: host hub\.specadvisor\.invalid not found \(DNS; check HF_ENDPOINT\)",
                          endpoint, Q05)
    assert "--offline" in r.stderr and wall < MAX_WALL


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_connection_refused(env, monkeypatch, command):
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    r, wall = cli(*COMMANDS[command])
    assert_one_line_error(r, r"cannot reach .*: connection refused", endpoint, Q05)
    assert wall < MAX_WALL


def test_listing_fault_names_the_query_and_target(env):
    hub = env
    hub.fault = Fault("status", scope="list", status=503, retry_after="0")
    r, wall = cli(*COMMANDS["recommend"])
    # the listings run concurrently: the message names whichever query gave up first, each one about the target
    assert_one_line_error(r, r"answered HTTP 503 for model listing (search=Qwen2\.5-0\.5B-Instruct-DRAFT|search=Qwen2-DRAFT|"
                             r"author=Qwen&search=Qwen2) \(gave up after 4 attempts\)", hub.url)
    assert wall < MAX_WALL
    # the listings of a wave run concurrently: each retried at most 3 times, then the breaker stops the rest
    assert 1 + RETRIES <= hub.count_scope("list") <= 3 * (1 + RETRIES)


def test_catalog_target_with_hub_warns_and_falls_back_on_faults(env):
    hub = env
    hub.fault = Fault("status", scope="list", status=500, retry_after="0")
    r, _wall = cli("recommend", "--target", "Qwen/Qwen2.5-72B-Instruct", "--hub", "--format", "json")
    assert r.exit_code == 0 and "discovery failed, using the catalog only" in r.stderr and hub.url in r.stderr


def test_user_userinfo_in_hf_endpoint_is_never_shown(env, monkeypatch):
    hub = env
    secret_url = hub.url.replace("http://", f"http://user:{TOKEN}@")
    monkeypatch.setenv("HF_ENDPOINT", secret_url)
    hub.fault = Fault("status", scope="api", status=500, retry_after="0")
    r, _wall = cli("inspect", Q05)
    assert_one_line_error(r, r"answered HTTP 500", hub.url)


# -- retries: only 429/5xx, bounded, with backoff, Retry-After honoured and capped ----------------------------------


@pytest.fixture
def source(hub, tmp_path):
    return HubSource(hub.url, token=TOKEN, timeout=TIMEOUT, cache=HubCache(tmp_path / "hub"), backoff=0.1)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 501])
def test_other_statuses_are_not_retried(hub, source, status):
    retryable = status in (429, 500, 502, 503, 504)
    hub.fault = Fault("status", scope="api", status=status, retry_after="0")
    with pytest.raises(HubError) as ei:
        source.record(Q05)
    assert hub.count() == (1 + RETRIES if retryable else 1)
    assert Q05 in ei.value.message
    assert_no_token(ei.value)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_back_off_exponentially(hub, source, status):
    hub.fault = Fault("status", scope="api", status=status)  # no Retry-After: exponential backoff with jitter
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="gave up after 4 attempts") as ei:
        source.record(Q05)
    assert hub.count() == 1 + RETRIES
    gaps = [b - a for a, b in zip(hub.stamps, hub.stamps[1:], strict=False)]
    for i, gap in enumerate(gaps):  # backoff x 2^i x jitter in [0.5, 1]
        assert 0.1 * 2 ** i * 0.5 - 0.02 <= gap <= 0.1 * 2 ** i + 0.25, gaps
    assert gaps[2] > gaps[0]
    assert time.monotonic() - start < 2.0
    assert_no_token(ei.value)


def test_retry_after_is_honoured_then_success(hub, source):
    hub.fault = Fault("status", scope="api", status=503, retry_after="0.3", times=2)
    rec = source.record(Q05)
    assert rec.config is not None
    infos = [t for t, s in zip(hub.stamps, hub.scopes, strict=True) if s == "api"]
    assert len(infos) == 3 and all(b - a >= 0.28 for a, b in zip(infos, infos[1:], strict=False))


def test_retry_after_is_capped(hub, tmp_path):
    src = HubSource(hub.url, token=TOKEN, timeout=TIMEOUT, cache=HubCache(tmp_path), max_retry_wait=0.1)
    hub.fault = Fault("status", scope="api", status=429, retry_after="3600")
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="rate-limiting"):
        src.record(Q05)
    assert time.monotonic() - start < 1.5 and hub.count() == 1 + RETRIES


def test_http_date_retry_after(hub, source):
    from email.utils import formatdate

    hub.fault = Fault("status", scope="api", status=429, retry_after=formatdate(time.time() + 3600, usegmt=True))
    source.max_retry_wait = 0.05
    with pytest.raises(HubUnavailableError):
        source.record(Q05)
    assert hub.count() == 1 + RETRIES


@pytest.mark.parametrize("kind", ["truncate", "html", "reset", "wrong-json"])
def test_transport_and_content_faults_are_not_retried(hub, source, kind):
    hub.fault = Fault(kind, scope="api")
    with pytest.raises(HubError) as ei:
        source.record(Q05)
    assert hub.count() == 1
    assert_no_token(ei.value)


# -- no hang: deadlines, and a Hub that proved unavailable is not asked again ---------------------------------------


@pytest.mark.parametrize("kind", ["drip", "drip-headers"])
def test_slow_drip_hits_the_whole_request_deadline_not_just_the_read_timeout(hub, tmp_path, kind):
    # each byte arrives every 0.1 s, well within the 0.5 s read timeout: only an overall deadline stops it
    src = HubSource(hub.url, token=TOKEN, timeout=0.5, deadline=1.0, cache=HubCache(tmp_path))
    hub.fault = Fault(kind, scope="file", drip_interval=0.1)
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match=r"too slow sending .*not complete within 1s") as ei:
        src.record(Q05)
    assert 0.9 <= time.monotonic() - start < 2.5
    assert_no_token(ei.value)


def test_breaker_stops_a_many_model_fetch_from_waiting_out_every_timeout(hub, tmp_path):
    ids = [f"Qwen/Qwen2.5-{s}-Instruct" for s in ("0.5B", "1.5B", "3B", "7B", "14B", "32B")] + [
        "Qwen/Qwen3-0.6B", "meta-llama/Llama-3.2-1B-Instruct", "other/Mapper-1B", "acme/Mapper-7B",
        "RedHatAI/Qwen2.5-3B-Instruct-FP8", "Qwen/Qwen2.5-1.5B-Instruct-AWQ"]
    src = HubSource(hub.url, token=TOKEN, timeout=0.3, deadline=0.6, cache=HubCache(tmp_path))
    hub.fault = Fault("drip", scope="all", drip_interval=0.1)
    start = time.monotonic()
    with pytest.raises(HubUnavailableError, match="too slow") as ei:
        fetch_records(src, ids, progress=False, max_workers=4)
    wall = time.monotonic() - start
    assert wall < 2.0, wall  # one round of deadlines, not len(ids) / 4 rounds
    assert hub.count() <= 4  # only the requests in flight when the Hub proved unavailable
    assert_no_token(ei.value)


def test_breaker_bounds_retries_across_models(hub, tmp_path):
    ids = [f"Qwen/Qwen2.5-{s}-Instruct" for s in ("0.5B", "1.5B", "3B", "7B", "14B", "32B")]
    src = HubSource(hub.url, token=TOKEN, timeout=TIMEOUT, cache=HubCache(tmp_path), backoff=0.01)
    hub.fault = Fault("status", scope="all", status=503)
    with pytest.raises(HubUnavailableError, match="HTTP 503"):
        fetch_records(src, ids, progress=False, max_workers=3)
    assert hub.count() <= 3 * (1 + RETRIES)  # the in-flight ones retry; nothing new starts


def test_invalid_timeout_settings_fall_back_to_the_default(monkeypatch):
    for raw in ("inf", "nan", "-1", "0", "soon"):
        monkeypatch.setenv("SPECADVISOR_HUB_TIMEOUT", raw)
        src = default_source()
        assert src.timeout == 10.0 and src.deadline == 30.0


# -- the token: never in output, logs (DEBUG, every library) or exception text ---------------------------------------


@pytest.mark.parametrize("fault", [
    Fault("status", scope="api", status=401), Fault("status", scope="file", status=403),
    Fault("status", scope="api", status=503, retry_after="0"), Fault("status", scope="file", status=429, retry_after="0"),
    Fault("truncate", scope="file"), Fault("html", scope="api"), Fault("reset", scope="file"),
    Fault("drip", scope="api", drip_interval=0.1), Fault("status", scope="file", status=401, error_code="GatedRepo"),
    None,
], ids=lambda f: "ok" if f is None else f"{f.kind}-{f.status}-{f.scope}")
def test_token_absent_from_logs_output_and_exceptions(env, caplog, tmp_path, fault):
    hub = env
    caplog.set_level(logging.DEBUG)
    for name in ("huggingface_hub", "httpx2", "httpcore2", "specadvisor"):
        caplog.set_level(logging.DEBUG, logger=name)
    hub.fault = fault
    r, _wall = cli("inspect", Q05)  # `cli` checks stdout and stderr
    assert r.exit_code == (0 if fault is None else 2)
    src = HubSource(hub.url, timeout=TIMEOUT, cache=HubCache(tmp_path / "direct"))  # the token from HF_TOKEN
    try:
        src.record(Q05)
    except HubError as exc:
        assert fault is not None
        assert_no_token(exc)
    assert repr(src).count(TOKEN) == 0
    assert caplog.records, "DEBUG logging captured nothing: the check would be vacuous"
    assert any(rec.name.startswith("httpcore2") for rec in caplog.records)
    for rec in caplog.records:
        assert TOKEN not in rec.getMessage() and TOKEN not in str(rec.args)
    assert TOKEN not in caplog.text
    assert hub.authorized > 0


def test_not_found_hint_keeps_the_token_out(env):
    env.fault = Fault("status", scope="api", status=404, error_code="RepoNotFound")
    r, _wall = cli("recommend", "--target", "Qwen/Qwen2.5-72B-Instruc", "--hub")
    assert r.exit_code == 2 and "closest catalog ids" in r.stderr


def test_not_found_error_type(hub, source):
    hub.fault = Fault("status", scope="api", status=404)
    with pytest.raises(HubNotFoundError, match="no such model"):
        source.record(Q05)
