"""A metadata source over `huggingface_hub`, imported lazily, with a disk cache in front.

One `ModelRecord` per repo and revision: the Hub's model info (safetensors totals, API config subset,
card base_model, baseModels, gated, tags, file names), config.json, generation_config.json,
tokenizer_config.json and a fingerprint of tokenizer.json. No weights are downloaded.

Every request is one GET through our own client on huggingface_hub's httpx (proxy and CA settings from
the environment; HF_HUB_OFFLINE honoured): each wait (connect, send, each read) is bounded by `timeout`,
and the whole request, connect to last byte, headers included, by `deadline` (default 3 x timeout), so
a server that stalls or drips bytes cannot hang the CLI. `hf_hub_download` is not used: after a timeout
with nothing cached it retries the HEAD with a 60-second timeout and backoff. Nor is `build_hf_headers`,
which fetches `/api/agent-harnesses` from the Hub behind the caller's back (see `_headers`).

HTTP 429 and 5xx are retried a bounded number of times with exponential backoff and jitter,
honouring Retry-After (capped); nothing else is retried. Once the Hub has proved unreachable (timeout,
connection failure, 5xx or 429 after the retries), later requests of the same source fail at once
with the same message instead of each waiting out its own timeout. Failures become one-line
`HubError`s (exit code 2) naming the repo and the endpoint, built without the original exception
chain (which holds the request and its Authorization header). The token comes from `HF_TOKEN` or
`hf auth login` through huggingface_hub and never appears in a message.

A record is fetched as separate tasks on a caller's thread pool (`submit_record`): the model info,
then its files concurrently, so a bounded pool stays busy without a worker ever waiting on another.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from specadvisor import __version__
from specadvisor.guards import loads_bounded
from specadvisor.hub.cache import HubCache
from specadvisor.hub.errors import (
    OFFLINE_HINT,
    HubError,
    HubGatedError,
    HubNotFoundError,
    HubOfflineMissError,
    HubUnavailableError,
)
from specadvisor.hub.tokenizers import TokenizerInfo, fingerprint

DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT = 10.0
MAX_FILE_BYTES = 64 * 1024 * 1024
EXPAND = ["author", "sha", "tags", "gated", "safetensors", "config", "cardData", "baseModels", "pipeline_tag",
          "library_name", "gguf", "siblings"]
LIST_EXPAND = ["safetensors", "tags", "pipeline_tag", "gated"]
FILES = ("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json")
RECORD_VERSION = 1
RETRY_STATUSES = (429, 500, 502, 503, 504)
DEADLINE_FACTOR = 3.0  # a whole request may take this many timeouts
ERROR_BODY_BYTES = 64 * 1024


@dataclass
class ModelRecord:
    """Everything read from the Hub about one repo at one revision (JSON-serialisable, cached)."""

    id: str
    revision: str
    sha: str | None = None
    author: str | None = None
    tags: list[str] = field(default_factory=list)
    gated: Any = False
    pipeline_tag: str | None = None
    library_name: str | None = None
    safetensors: dict[str, Any] | None = None
    gguf: dict[str, Any] | None = None
    base_models: list[str] = field(default_factory=list)
    base_relation: str | None = None
    files: list[str] = field(default_factory=list)
    config: dict[str, Any] | None = None
    generation_config: dict[str, Any] | None = None
    tokenizer_config: dict[str, Any] | None = None
    tokenizer: dict[str, Any] | None = None  # TokenizerInfo.to_dict()
    missing: list[str] = field(default_factory=list)
    endpoint: str = DEFAULT_ENDPOINT
    fetched_at: float = 0.0

    @property
    def tokenizer_info(self) -> TokenizerInfo | None:
        return TokenizerInfo.from_dict(self.tokenizer) if self.tokenizer else None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelRecord:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def file_url(self, name: str) -> str:
        return f"{self.endpoint}/{self.id}/blob/{self.sha or self.revision}/{name}"


# Parsing a tokenizer.json costs about ten times its size in memory (measured: a synthetic 1,000,000-token BPE
# file of 37.6 MB peaked at ~370 MB); 40 MiB with at most MAX_VOCAB_IDS ids (hub/tokenizers.py) holds the
# largest vocabularies in use (262,144 tokens, Gemma 3/4) with room to spare; unbounded, a hostile
# 2M-token file cost 640 MB (issue #15).
MAX_TOKENIZER_BYTES = 40 * 1024 * 1024
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")


def _why(exc: BaseException) -> str:
    return str(getattr(exc, "msg", None) or exc or type(exc).__name__)[:160]


def _returned_id(returned: Any, requested: str) -> str:
    """The id to record: the Hub's spelling only when it is the same id (case aside) and a well-formed one; the
    requested id otherwise. A hostile or confused server cannot rename the model written to the user's catalog."""
    if isinstance(returned, str) and returned.casefold() == requested.casefold() and _REPO_ID.match(returned):
        return returned
    return requested


def _valid_record(d: Any, repo_id: str) -> ModelRecord | None:
    """A cached record, or None when the entry has the wrong shape (then it is re-fetched and rewritten)."""
    if not isinstance(d, dict) or not isinstance(d.get("id"), str) or d["id"].casefold() != repo_id.casefold():
        return None
    shapes: dict[str, tuple[type, ...]] = {"revision": (str,), "tags": (list,), "files": (list,), "missing": (list,),
                                           "base_models": (list,), "config": (dict, type(None)),
                                           "generation_config": (dict, type(None)),
                                           "tokenizer_config": (dict, type(None)), "tokenizer": (dict, type(None)),
                                           "safetensors": (dict, type(None)), "fetched_at": (int, float)}
    if any(k in d and not isinstance(d[k], t) for k, t in shapes.items()):
        return None
    try:
        rec = ModelRecord.from_dict(d)
        if rec.tokenizer:
            TokenizerInfo.from_dict(rec.tokenizer)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return rec


def _base_models(info: Any) -> tuple[list[str], str | None]:
    ids: list[str] = []
    relation = None
    raw = getattr(info, "base_models", None) or getattr(info, "baseModels", None)
    if isinstance(raw, dict):
        relation = raw.get("relation") if isinstance(raw.get("relation"), str) else None
        for m in raw.get("models") or []:
            if isinstance(m, dict) and isinstance(m.get("id"), str):
                ids.append(m["id"])
    card = getattr(info, "card_data", None)
    if card is not None:
        bm = card.get("base_model") if hasattr(card, "get") else None
        for b in [bm] if isinstance(bm, str) else bm if isinstance(bm, list) else []:
            if isinstance(b, str) and b not in ids:
                ids.append(b)
        rel = card.get("base_model_relation") if hasattr(card, "get") else None
        relation = relation or (rel if isinstance(rel, str) else None)
    for tag in getattr(info, "tags", None) or []:
        parts = tag.split(":") if isinstance(tag, str) and tag.startswith("base_model:") else []
        if len(parts) >= 2 and parts[-1] not in ids and "/" in parts[-1]:
            ids.append(parts[-1])
            if len(parts) == 3 and relation is None:
                relation = parts[1]
    return ids, relation


_DEADLINE: ContextVar[float | None] = ContextVar("specadvisor_hub_deadline", default=None)
_CLIENT: Any = None
_CLIENT_LOCK = threading.Lock()


def _capped(timeout: float | None, exc: str) -> float | None:
    """`timeout` for one socket wait, cut to the time left before the current request's deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        import httpcore2

        raise getattr(httpcore2, exc)("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


_ORIGIN: ContextVar[tuple[str, str, int] | None] = ContextVar("specadvisor_hub_origin", default=None)
# Where huggingface.co itself sends large (LFS/Xet) files: its CDN hosts, all under these domains. Only the
# default endpoint may redirect there; any other HF_ENDPOINT may redirect only to its own scheme, host and port.
_HUB_CDN_SUFFIXES = (".hf.co", ".huggingface.co")


class _CrossOriginRedirect(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def _origin_of(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return scheme.lower(), host.lower(), port if port is not None else (443 if scheme.lower() == "https" else 80)


def _same_origin(request: Any) -> None:
    """httpx request hook, run before every request, redirects included: refuse any other host or port than
    HF_ENDPOINT's (so a redirect cannot send the Authorization header, or our time, elsewhere)."""
    allowed = _ORIGIN.get()
    if allowed is None:
        return
    url = request.url
    got = _origin_of(url.scheme, url.host, url.port)
    if got == allowed:
        return
    if (allowed == ("https", "huggingface.co", 443) and got[0] == "https" and got[2] == 443
            and got[1].endswith(_HUB_CDN_SUFFIXES)):
        return
    raise _CrossOriginRedirect(f"{got[0]}://{got[1]}:{got[2]}")


def _client() -> Any:
    """Our HTTP client (one per process, thread-safe): huggingface_hub's httpx, honouring proxy and CA settings from
    the environment, with every socket wait (connect, TLS, each read and write, headers included) bounded by the
    current request's deadline. httpx alone re-arms its read timeout on every chunk, so a server dripping bytes,
    even in the headers, would never time out."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            from huggingface_hub.utils import httpx

            client = httpx.Client(follow_redirects=True, timeout=None, event_hooks={"request": [_same_origin]})
            # private attributes: if a future httpx2 renames them, the per-wait timeouts and the body check remain
            for transport in [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]:
                pool = getattr(transport, "_pool", None)
                if pool is not None and hasattr(pool, "_network_backend"):
                    pool._network_backend = _deadline_backend(pool._network_backend)
            _CLIENT = client
        return _CLIENT


def _deadline_backend(inner: Any) -> Any:
    import httpcore2

    class Stream(httpcore2.NetworkStream):
        def __init__(self, stream: Any) -> None:
            self._s = stream

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._s.read(max_bytes, _capped(timeout, "ReadTimeout"))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._s.write(buffer, _capped(timeout, "WriteTimeout"))

        def close(self) -> None:
            self._s.close()

        def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
            return Stream(self._s.start_tls(ssl_context, server_hostname, _capped(timeout, "ConnectTimeout")))

        def get_extra_info(self, info: str) -> Any:
            return self._s.get_extra_info(info)

    class Backend(httpcore2.NetworkBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                        socket_options: Iterable[Any] | None = None) -> Any:
            return Stream(inner.connect_tcp(host, port, _capped(timeout, "ConnectTimeout"), local_address, socket_options))

        def connect_unix_socket(self, path: str, timeout: float | None = None,
                                socket_options: Iterable[Any] | None = None) -> Any:
            return Stream(inner.connect_unix_socket(path, _capped(timeout, "ConnectTimeout"), socket_options))

        def sleep(self, seconds: float) -> None:
            inner.sleep(seconds)

    return Backend()


class _DeadlineExceeded(Exception):
    pass


@dataclass
class _Failure:
    """A request that did not produce a body: the HubError to raise, and whether to retry it."""

    error: HubError
    retry: bool = False
    wait: float = 0.0
    down: bool = False  # the Hub itself is unavailable: later requests fail fast


def _redact(endpoint: str) -> str:
    """The endpoint without user:password@ (never shown, logged or cached)."""
    parts = urlsplit(endpoint)
    if parts.username is None and parts.password is None:
        return endpoint
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _looks_html(ctype: str, body: bytes) -> bool:
    head = body[:256].lstrip().lower()
    return "html" in ctype.lower() or head.startswith((b"<!doctype html", b"<html"))


class HubSource:
    """Reads model records from the Hub (or the cache); thread-safe, so discovery can fetch concurrently."""

    def __init__(self, endpoint: str | None = None, *, token: str | bool | None = None, timeout: float = DEFAULT_TIMEOUT,
                 cache: HubCache | None = None, offline: bool = False, refresh: bool = False, max_retries: int = 3,
                 max_retry_wait: float = 10.0, deadline: float | None = None, backoff: float = 1.0) -> None:
        self._base = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.endpoint = _redact(self._base)
        self.token = token
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else timeout * DEADLINE_FACTOR
        self.cache = cache if cache is not None else HubCache()
        self.offline = offline
        self.refresh = refresh
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self.requests = 0
        self._down: str | None = None  # set once the Hub proved unavailable
        self._lock = threading.Lock()
        self._tokenizers: dict[str, dict[str, Any]] = {}  # by content hash: identical files are parsed once
        self._inflight: dict[tuple[str, str], Future[ModelRecord]] = {}
        self._header_cache: dict[str, str] | None = None

    def __repr__(self) -> str:  # no token
        return f"HubSource({self.endpoint!r}, offline={self.offline})"

    # -- low level -------------------------------------------------------------------------------

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _request(self, url: str, params: list[tuple[str, str]] | None, what: str, repo_id: str | None, *,
                 file: bool = False) -> bytes | None:
        """The body of one GET (None: a file the repo does not have), retrying 429/5xx; failures are HubErrors."""
        attempt = 0
        while True:
            if self._down is not None:
                raise HubUnavailableError(self._down)
            attempt += 1
            self._count()
            result = self._attempt(url, params, what, repo_id, file=file, attempt=attempt)
            if not isinstance(result, _Failure):
                return result
            if result.retry and attempt <= self.max_retries:
                time.sleep(result.wait)
                continue
            if result.down:
                with self._lock:
                    self._down = self._down or result.error.message
            raise result.error  # built outside any `except`: no chain back to the request and its headers

    def _attempt(self, url: str, params: list[tuple[str, str]] | None, what: str, repo_id: str | None, *,
                 file: bool, attempt: int) -> bytes | None | _Failure:
        from huggingface_hub import constants
        from huggingface_hub.utils import httpx

        ep = self.endpoint
        if constants.is_offline_mode():
            return _Failure(HubUnavailableError(f"HF_HUB_OFFLINE is set, so {what} cannot be fetched; {OFFLINE_HINT}"),
                            down=True)
        deadline = time.monotonic() + self.deadline
        token = _DEADLINE.set(deadline)
        base = urlsplit(self._base)
        origin_token = _ORIGIN.set(_origin_of(base.scheme or "https", base.hostname or "", base.port))
        try:
            with _client().stream("GET", url, params=params, headers=self._headers(), timeout=self.timeout) as r:
                if r.status_code >= 400:
                    try:
                        self._read(r, deadline, ERROR_BODY_BYTES)  # drain a little, for connection reuse
                    except Exception:  # noqa: BLE001 - the status is what matters
                        pass
                    return self._status_failure(r.status_code, r.headers, what, repo_id, file=file, attempt=attempt)
                ctype = r.headers.get("Content-Type", "")
                body = self._read(r, deadline, MAX_FILE_BYTES)
                if body is None:
                    return _Failure(HubUnavailableError(f"{what} from {ep} is larger than {MAX_FILE_BYTES >> 20} MB"))
                if _looks_html(ctype, body):
                    return _Failure(HubUnavailableError(
                        f"{ep} sent an HTML page instead of {what} (HTTP {r.status_code}, Content-Type "
                        f"{ctype.split(';')[0] or 'none'}): is HF_ENDPOINT a Hugging Face Hub? {OFFLINE_HINT}"))
                return body
        except _CrossOriginRedirect as exc:
            return _Failure(HubUnavailableError(
                f"{ep} redirected {what} to another host or port ({_redact(exc.target)}); specadvisor follows "
                f"redirects only within HF_ENDPOINT; {OFFLINE_HINT}"))
        except _DeadlineExceeded:
            return self._too_slow(what)
        except httpx.TimeoutException:
            if time.monotonic() >= deadline - 0.01:  # each wait was cut short by the request's deadline
                return self._too_slow(what)
            return _Failure(HubUnavailableError(f"{ep} did not answer within {self.timeout:g}s ({what}); {OFFLINE_HINT}"),
                            down=True)
        except httpx.RemoteProtocolError as exc:
            text = str(exc)
            if "complete message body" in text or "incomplete" in text.lower():
                msg = f"{ep} closed the connection in the middle of {what} (truncated response)"
            else:
                msg = f"{ep} closed the connection without answering ({what})"
            return _Failure(HubUnavailableError(f"{msg}; {OFFLINE_HINT}"), down=True)
        except (httpx.HTTPError, OSError) as exc:
            return _Failure(HubUnavailableError(f"{self._transport_problem(exc)} ({what}); {OFFLINE_HINT}"), down=True)
        finally:
            _DEADLINE.reset(token)
            _ORIGIN.reset(origin_token)

    def _too_slow(self, what: str) -> _Failure:
        return _Failure(HubUnavailableError(
            f"{self.endpoint} was too slow sending {what}: not complete within {self.deadline:g}s, the limit for a "
            f"whole request (a slow link: raise SPECADVISOR_HUB_TIMEOUT); {OFFLINE_HINT}"), down=True)

    def _transport_problem(self, exc: BaseException) -> str:
        import socket

        ep = self.endpoint
        for e in _chain(exc):
            if isinstance(e, socket.gaierror):
                return f"cannot reach {ep}: host {urlsplit(self._base).hostname} not found (DNS; check HF_ENDPOINT)"
            if isinstance(e, ConnectionRefusedError):
                return f"cannot reach {ep}: connection refused"
            if isinstance(e, ConnectionResetError):
                return f"connection to {ep} was reset"
        return f"cannot reach {ep} ({type(exc).__name__})"

    def _read(self, r: Any, deadline: float, limit: int) -> bytes | None:
        """The body, or None when it is larger than `limit`; raises _DeadlineExceeded past the deadline."""
        chunks, size = [], 0
        for chunk in r.iter_bytes():
            if time.monotonic() > deadline:
                raise _DeadlineExceeded
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        if time.monotonic() > deadline:
            raise _DeadlineExceeded
        return b"".join(chunks)

    def _status_failure(self, status: int, headers: Any, what: str, repo_id: str | None, *, file: bool,
                        attempt: int) -> None | _Failure:
        ep = self.endpoint
        code = headers.get("X-Error-Code")
        if code == "EntryNotFound" or (file and status == 404 and code is None):
            return None  # the repo has no such file
        if code == "GatedRepo":
            return _Failure(HubGatedError(repo_id or what, ep))
        if code == "RevisionNotFound":
            return _Failure(HubNotFoundError(f"{repo_id}: revision not found on {ep}"))
        if code == "RepoNotFound" or (status == 404 and repo_id) or (status == 401 and not file and repo_id and (
                headers.get("X-Error-Message") != "Invalid credentials in Authorization header")):
            return _Failure(HubNotFoundError(f"{repo_id}: no such model on {ep} (or it is private: set HF_TOKEN or run "
                                             "`hf auth login`)"))
        if status in (401, 403):
            return _Failure(HubNotFoundError(f"{repo_id or what}: access denied by {ep} (HTTP {status}, {what}); check "
                                             "that HF_TOKEN is valid and has access, or run `hf auth login`"))
        if status in RETRY_STATUSES:
            wait = self._retry_after(headers, attempt)
            if status == 429:
                error = HubUnavailableError(f"{ep} is rate-limiting requests ({what}; gave up after {attempt} attempts): "
                                            f"wait and retry, set HF_TOKEN for a higher limit, or {OFFLINE_HINT}")
            else:
                error = HubUnavailableError(f"{ep} answered HTTP {status} for {what} (gave up after {attempt} attempts); "
                                            f"{OFFLINE_HINT}")
            return _Failure(error, retry=True, wait=wait, down=True)
        return _Failure(HubUnavailableError(f"{ep} answered HTTP {status} for {what}; {OFFLINE_HINT}"))

    def _retry_after(self, headers: Any, attempt: int) -> float:
        """Retry-After (seconds or an HTTP date) if given, else exponential backoff with jitter; capped."""
        value = headers.get("Retry-After") if headers is not None else None
        wait: float | None = None
        if value is not None:
            try:
                wait = float(value)
            except ValueError:
                try:
                    wait = parsedate_to_datetime(value).timestamp() - time.time()
                except (TypeError, ValueError, IndexError):
                    wait = None
        if wait is None:
            wait = self.backoff * 2.0 ** (attempt - 1) * random.uniform(0.5, 1.0)
        if not math.isfinite(wait):
            wait = self.max_retry_wait
        # never longer than one request may wait: a 429 with Retry-After: 30 under a 2 s timeout waits 2 s
        return max(0.0, min(wait, self.max_retry_wait, self.timeout))

    def _headers(self) -> dict[str, str]:
        """User-Agent and Authorization, built once. Not `build_hf_headers`: since huggingface_hub 2.x it detects
        "AI agents" for the User-Agent by fetching `{HF_ENDPOINT}/api/agent-harnesses` (and caching it under HF_HOME),
        a hidden request outside our timeouts, counts and deadline."""
        with self._lock:
            if self._header_cache is None:
                import platform

                from huggingface_hub import __version__ as hf_version
                from huggingface_hub import constants, get_token

                if self.token is False:
                    token = None
                elif isinstance(self.token, str):
                    token = self.token
                elif self.token is True or not constants.HF_HUB_DISABLE_IMPLICIT_TOKEN:
                    token = get_token()  # HF_TOKEN, else `hf auth login`
                else:
                    token = None
                ua = f"specadvisor/{__version__}; hf_hub/{hf_version}; python/{platform.python_version()}"
                self._header_cache = {"user-agent": ua}
                if token:
                    self._header_cache["authorization"] = f"Bearer {token}"
            return dict(self._header_cache)

    def _get_json(self, url: str, params: list[tuple[str, str]] | None, what: str, repo_id: str | None) -> Any:
        body = self._request(url, params, what, repo_id)
        try:
            return loads_bounded(body or b"")  # depth, size and integer-length bounds (guards.py)
        except ValueError as exc:
            raise HubUnavailableError(f"{self.endpoint} sent malformed JSON for {what}: {_why(exc)}") from None

    def _get_file(self, repo_id: str, revision: str, filename: str) -> bytes | None:
        """The file's bytes, or None when the repo has no such file."""
        url = f"{self._base}/{repo_id}/resolve/{quote(revision, safe='')}/{filename}"
        return self._request(url, None, f"{repo_id}/{filename}", repo_id, file=True)

    # -- records ---------------------------------------------------------------------------------

    def _cached(self, kind: str, *parts: str) -> Any | None:
        if self.refresh and not self.offline:
            return None
        return self.cache.get(kind, self.endpoint, *parts)

    @staticmethod
    def _check_id(repo_id: str) -> str:
        repo_id = repo_id.strip().strip("/")
        if repo_id.count("/") != 1 or any(not p for p in repo_id.split("/")):
            raise HubNotFoundError(f"{repo_id!r} is not a Hub model id (expected owner/name)")
        return repo_id

    def record(self, repo_id: str, revision: str = "main") -> ModelRecord:
        """One record: from the cache, else the model info and then its files, concurrently."""
        repo_id = self._check_id(repo_id)
        hit = self._from_cache(repo_id, revision)
        if hit is not None:
            return hit
        with ThreadPoolExecutor(max_workers=len(FILES), thread_name_prefix="specadvisor-hub") as pool:
            fut = self.submit_record(pool, repo_id, revision)
            exc = fut.exception()
        if exc is not None:
            raise exc
        return fut.result()

    def _from_cache(self, repo_id: str, revision: str) -> ModelRecord | None:
        hit = self._cached("model", str(RECORD_VERSION), repo_id, revision)
        rec = _valid_record(hit, repo_id) if hit is not None else None
        if rec is not None:
            return rec
        if self.offline:
            raise HubOfflineMissError(f"{repo_id} is not in the Hub cache ({self.cache.root}); run once without "
                                      "--offline to fetch it")
        return None

    def submit_record(self, pool: Executor, repo_id: str, revision: str = "main") -> Future[ModelRecord]:
        """The record as a future, fetched as tasks on `pool`: the model info, then each missing file as its own
        task. No task waits on another, so any bounded pool stays busy; a repo already in flight is not fetched twice."""
        out: Future[ModelRecord] = Future()
        try:
            repo_id = self._check_id(repo_id)
            hit = self._from_cache(repo_id, revision)
        except HubError as exc:
            out.set_exception(exc)
            return out
        if hit is not None:
            out.set_result(hit)
            return out
        with self._lock:
            running = self._inflight.get((repo_id, revision))
            if running is not None:
                return running
            self._inflight[(repo_id, revision)] = out
        settle_lock = threading.Lock()

        def settle(result: ModelRecord | None, exc: BaseException | None) -> bool:
            with settle_lock:
                if out.done():
                    return False
                with self._lock:
                    self._inflight.pop((repo_id, revision), None)
                if exc is not None:
                    out.set_exception(exc)
                else:
                    out.set_result(result)  # type: ignore[arg-type]
                return True

        def on_info(f: Future[tuple[ModelRecord, list[str]]]) -> None:
            if f.exception() is not None:
                settle(None, f.exception())
                return
            rec, names = f.result()

            def finish(data: dict[str, bytes | None]) -> None:
                try:
                    done = self._finish(repo_id, rec, data)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                    settle(None, exc)
                    return
                settle(done, None)

            if not names:
                finish({})
                return
            files: dict[str, Future[bytes | None]] = {}
            left = [len(names)]

            def on_file(ff: Future[bytes | None]) -> None:
                if not ff.cancelled() and ff.exception() is not None and settle(None, ff.exception()):
                    for other in files.values():
                        other.cancel()  # the record failed: do not spend requests on the rest
                with settle_lock:
                    left[0] -= 1
                    last = left[0] == 0
                if last and not out.done():
                    finish({n: ff.result() for n, ff in files.items()})

            try:
                rev = rec.sha or revision
                for n in names:
                    files[n] = pool.submit(self._get_file, repo_id, rev, n)
            except RuntimeError as exc:  # the pool was shut down under us
                settle(None, exc)
                return
            for ff in list(files.values()):
                ff.add_done_callback(on_file)

        try:
            pool.submit(self._info, repo_id, revision).add_done_callback(on_info)
        except RuntimeError as exc:
            settle(None, exc)
        return out

    def _info(self, repo_id: str, revision: str) -> tuple[ModelRecord, list[str]]:
        """The model info as a record without files, and the files to fetch for it."""
        from huggingface_hub.hf_api import ModelInfo

        path = f"{self._base}/api/models/{repo_id}"
        if revision != "main":
            path += f"/revision/{quote(revision, safe='')}"
        what = f"{repo_id} model info"
        data = self._get_json(path, [("expand", e) for e in EXPAND], what, repo_id)
        try:
            if not isinstance(data, dict):
                raise TypeError
            info = ModelInfo(**data)
            bases, relation = _base_models(info)
            st = getattr(info, "safetensors", None)
            files = [s.rfilename for s in (getattr(info, "siblings", None) or [])
                     if isinstance(getattr(s, "rfilename", None), str)]
            rec = ModelRecord(
                id=_returned_id(info.id, repo_id), revision=revision,
                sha=getattr(info, "sha", None),
                author=getattr(info, "author", None) or repo_id.split("/")[0], tags=list(getattr(info, "tags", None) or []),
                gated=getattr(info, "gated", False) or False, pipeline_tag=getattr(info, "pipeline_tag", None),
                library_name=getattr(info, "library_name", None),
                safetensors={"parameters": dict(st.parameters or {}), "total": st.total} if st is not None else None,
                gguf=getattr(info, "gguf", None), base_models=bases, base_relation=relation, files=files,
                endpoint=self.endpoint, fetched_at=time.time(),
            )
            json.dumps(rec.to_dict())  # cacheable
        except (TypeError, ValueError, KeyError, AttributeError):
            raise HubUnavailableError(f"{self.endpoint} sent an unexpected answer for {what} (not a model info "
                                      "object); is HF_ENDPOINT a Hugging Face Hub?") from None
        names = []
        for name in FILES:
            if files and name not in files:
                rec.missing.append(name)  # the listing says it is absent: no request
            else:
                names.append(name)
        return rec, names

    def _finish(self, repo_id: str, rec: ModelRecord, data: dict[str, bytes | None]) -> ModelRecord:
        """Parse the fetched files into the record (tokenizer.json last: its special ids need the others), cache it."""
        for name in FILES:
            if name not in data:
                continue
            body = data[name]
            if body is None:
                rec.missing.append(name)
                continue
            if name == "tokenizer.json":
                continue
            try:
                parsed = loads_bounded(body)
            except ValueError as exc:
                raise HubUnavailableError(f"{rec.id}/{name} from {self.endpoint} is not valid JSON: {_why(exc)}") from None
            if not isinstance(parsed, dict):
                raise HubUnavailableError(f"{rec.id}/{name} from {self.endpoint} is not a JSON object")
            if name == "config.json":
                rec.config = parsed
            elif name == "generation_config.json":
                rec.generation_config = parsed
            else:
                rec.tokenizer_config = {k: v for k, v in parsed.items() if k != "added_tokens_decoder"}
        tok = data.get("tokenizer.json")
        if tok is not None:
            rec.tokenizer = self._fingerprint(rec.id, tok, rec)
        rec.missing.sort(key=FILES.index)
        self.cache.put("model", (self.endpoint, str(RECORD_VERSION), repo_id, rec.revision), rec.to_dict())
        return rec

    def _fingerprint(self, repo_id: str, data: bytes, rec: ModelRecord) -> dict[str, Any]:
        import hashlib

        key = hashlib.sha256(data).hexdigest() + json.dumps([rec.tokenizer_config, rec.config and {
            k: rec.config.get(k) for k in ("bos_token_id", "eos_token_id")}, rec.generation_config and {
            k: rec.generation_config.get(k) for k in ("bos_token_id", "eos_token_id")}], sort_keys=True, default=str)
        with self._lock:
            hit = self._tokenizers.get(key)
        if hit is not None:
            return hit
        if len(data) > MAX_TOKENIZER_BYTES:
            raise HubUnavailableError(f"{repo_id}/tokenizer.json from {self.endpoint} is {len(data):,} bytes; the limit "
                                      f"is {MAX_TOKENIZER_BYTES:,}")
        try:
            parsed = loads_bounded(data, max_bytes=MAX_TOKENIZER_BYTES)
            info = fingerprint(parsed, rec.tokenizer_config, rec.config, rec.generation_config).to_dict()
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
            raise HubUnavailableError(f"{repo_id}/tokenizer.json from {self.endpoint} is not a valid tokenizers file: "
                                      f"{_why(exc)}") from None
        with self._lock:
            self._tokenizers[key] = info
        return info

    # -- listings --------------------------------------------------------------------------------

    def list_models(self, *, author: str | None = None, search: str | None = None, filters: Iterable[str] = (),
                    limit: int = 100) -> list[dict[str, Any]]:
        """One page of `GET /api/models` (cached); entries are the Hub's raw JSON objects."""
        params: list[tuple[str, str]] = []
        if author:
            params.append(("author", author))
        if search:
            params.append(("search", search))
        params += [("filter", f) for f in filters]
        params += [("expand", e) for e in LIST_EXPAND]
        params.append(("limit", str(limit)))
        key = json.dumps(params)
        hit = self._cached("list", key)
        if hit is not None:
            return list(hit)
        if self.offline:
            return []  # discovery from the cache only: an uncached query finds nothing
        what = "model listing " + "&".join(f"{k}={v}" for k, v in params if k in ("author", "search", "filter"))
        data = self._get_json(f"{self._base}/api/models", params, what, None)
        if not isinstance(data, list):
            raise HubUnavailableError(f"{self.endpoint} sent an unexpected answer for {what} (not a list)")
        entries = [e for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
        self.cache.put("list", (self.endpoint, key), entries)
        return entries


def default_source(*, offline: bool = False, refresh: bool = False) -> HubSource:
    """The CLI's source: endpoint from HF_ENDPOINT, timeout from SPECADVISOR_HUB_TIMEOUT (seconds, default 10)."""
    raw = os.environ.get("SPECADVISOR_HUB_TIMEOUT", "")
    try:
        timeout = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    if not math.isfinite(timeout) or timeout <= 0:
        timeout = DEFAULT_TIMEOUT  # nan, inf, 0 or negative would mean no bound at all
    return HubSource(timeout=timeout, offline=offline, refresh=refresh)
