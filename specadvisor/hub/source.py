"""A metadata source over `huggingface_hub`, imported lazily, with a disk cache in front.

One `ModelRecord` per repo and revision: the Hub's model info (safetensors totals, API config subset,
card base_model, baseModels, gated, tags, file names), config.json, generation_config.json,
tokenizer_config.json and a fingerprint of tokenizer.json. No weights are downloaded.

Files are read with one GET on the `resolve/` URL through huggingface_hub's shared session, with our
own timeout. `hf_hub_download` is not used: after a timeout with nothing cached it retries the HEAD
with a 60-second timeout and backoff, so a stalled server would hang the CLI for minutes.

Every request carries `timeout=`; HTTP 429 (and 503) are retried a bounded number of times, honouring
Retry-After (capped). Failures become one-line `HubError`s (exit code 2). The token comes from
`HF_TOKEN` or `hf auth login` through huggingface_hub and never appears in a message.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from specadvisor import __version__
from specadvisor.hub.cache import HubCache
from specadvisor.hub.errors import (
    OFFLINE_HINT,
    HubGatedError,
    HubNotFoundError,
    HubOfflineMissError,
    HubUnavailableError,
)
from specadvisor.hub.tokenizers import TokenizerInfo, fingerprint

T = TypeVar("T")
DEFAULT_ENDPOINT = "https://huggingface.co"
DEFAULT_TIMEOUT = 10.0
MAX_FILE_BYTES = 64 * 1024 * 1024
EXPAND = ["author", "sha", "tags", "gated", "safetensors", "config", "cardData", "baseModels", "pipeline_tag",
          "library_name", "gguf", "siblings"]
LIST_EXPAND = ["safetensors", "tags", "pipeline_tag", "gated"]
FILES = ("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json")
RECORD_VERSION = 1


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


class HubSource:
    """Reads model records from the Hub (or the cache); thread-safe, so discovery can fetch concurrently."""

    def __init__(self, endpoint: str | None = None, *, token: str | bool | None = None, timeout: float = DEFAULT_TIMEOUT,
                 cache: HubCache | None = None, offline: bool = False, refresh: bool = False, max_retries: int = 3,
                 max_retry_wait: float = 10.0) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.token = token
        self.timeout = timeout
        self.cache = cache if cache is not None else HubCache()
        self.offline = offline
        self.refresh = refresh
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.requests = 0
        self._lock = threading.Lock()
        self._tokenizers: dict[str, dict[str, Any]] = {}  # by content hash: identical files are parsed once

    # -- low level -------------------------------------------------------------------------------

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _retrying(self, what: str, repo_id: str | None, call: Callable[[], T]) -> T:
        """Run one request, retrying 429/503 with Retry-After; map every failure to a HubError."""
        from huggingface_hub import errors as hf_errors
        from huggingface_hub.utils import httpx

        attempt = 0
        while True:
            attempt += 1
            self._count()
            try:
                return call()
            except hf_errors.GatedRepoError:
                raise HubGatedError(repo_id or what, self.endpoint) from None
            except hf_errors.RevisionNotFoundError:
                raise HubNotFoundError(f"{repo_id}: revision not found on {self.endpoint}") from None
            except hf_errors.RepositoryNotFoundError:
                raise HubNotFoundError(f"{repo_id}: no such model on {self.endpoint} (or it is private: set HF_TOKEN "
                                       "or run `hf auth login`)") from None
            except hf_errors.HfHubHTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status in (429, 503) and attempt <= self.max_retries:
                    time.sleep(self._retry_after(exc.response, attempt))
                    continue
                if status == 429:
                    raise HubUnavailableError(f"{self.endpoint} is rate-limiting requests ({what}; gave up after "
                                              f"{attempt} attempts): wait and retry, set HF_TOKEN for a higher limit, or "
                                              f"{OFFLINE_HINT}") from None
                if status in (401, 403):
                    raise HubNotFoundError(f"{repo_id}: access denied by {self.endpoint} (HTTP {status}); set HF_TOKEN "
                                           "or run `hf auth login`") from None
                raise HubUnavailableError(f"{self.endpoint} answered HTTP {status} for {what}; {OFFLINE_HINT}") from None
            except hf_errors.OfflineModeIsEnabled:
                raise HubUnavailableError(f"HF_HUB_OFFLINE is set, so {what} cannot be fetched; {OFFLINE_HINT}") from None
            except httpx.TimeoutException:
                raise HubUnavailableError(f"{self.endpoint} did not answer within {self.timeout:g}s ({what}); "
                                          f"{OFFLINE_HINT}") from None
            except (httpx.HTTPError, OSError) as exc:
                kind = type(exc).__name__
                raise HubUnavailableError(f"cannot reach {self.endpoint} ({kind} during {what}); {OFFLINE_HINT}") from None
            except ValueError:
                raise HubUnavailableError(f"{self.endpoint} sent malformed JSON for {what}") from None

    def _retry_after(self, response: Any, attempt: int) -> float:
        value = response.headers.get("Retry-After") if response is not None else None
        try:
            wait = float(value) if value is not None else 2.0 ** (attempt - 1)
        except ValueError:
            wait = 2.0 ** (attempt - 1)
        return max(0.0, min(wait, self.max_retry_wait))

    def _headers(self) -> dict[str, str]:
        from huggingface_hub.utils import build_hf_headers

        return build_hf_headers(token=self.token, library_name="specadvisor", library_version=__version__)

    def _get_json(self, url: str, params: list[tuple[str, str]] | None, what: str, repo_id: str | None) -> Any:
        from huggingface_hub.utils import get_session, hf_raise_for_status

        def call() -> Any:
            r = get_session().get(url, params=params, headers=self._headers(), timeout=self.timeout)
            hf_raise_for_status(r)
            return r.json()

        return self._retrying(what, repo_id, call)

    def _get_file(self, repo_id: str, revision: str, filename: str) -> bytes | None:
        """The file's bytes, or None when the repo has no such file."""
        from huggingface_hub import errors as hf_errors
        from huggingface_hub.utils import get_session, hf_raise_for_status

        url = f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{filename}"

        def call() -> bytes | None:
            with get_session().stream("GET", url, headers=self._headers(), timeout=self.timeout) as r:
                if r.status_code >= 400:
                    r.read()  # the error mapping reads the body
                try:
                    hf_raise_for_status(r)
                except hf_errors.EntryNotFoundError:
                    return None
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise HubUnavailableError(f"{repo_id}/{filename} is larger than {MAX_FILE_BYTES >> 20} MB")
                    chunks.append(chunk)
                return b"".join(chunks)

        return self._retrying(f"{repo_id}/{filename}", repo_id, call)

    # -- records ---------------------------------------------------------------------------------

    def _cached(self, kind: str, *parts: str) -> Any | None:
        if self.refresh and not self.offline:
            return None
        return self.cache.get(kind, self.endpoint, *parts)

    def record(self, repo_id: str, revision: str = "main") -> ModelRecord:
        repo_id = repo_id.strip().strip("/")
        if repo_id.count("/") != 1 or any(not p for p in repo_id.split("/")):
            raise HubNotFoundError(f"{repo_id!r} is not a Hub model id (expected owner/name)")
        hit = self._cached("model", str(RECORD_VERSION), repo_id, revision)
        if hit is not None:
            return ModelRecord.from_dict(hit)
        if self.offline:
            raise HubOfflineMissError(f"{repo_id} is not in the Hub cache ({self.cache.root}); run once without "
                                      "--offline to fetch it")
        rec = self._fetch(repo_id, revision)
        self.cache.put("model", (self.endpoint, str(RECORD_VERSION), repo_id, revision), rec.to_dict())
        return rec

    def _fetch(self, repo_id: str, revision: str) -> ModelRecord:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=self.endpoint, token=self.token, library_name="specadvisor", library_version=__version__)
        info = self._retrying(f"{repo_id} model info", repo_id,
                              lambda: api.model_info(repo_id, revision=None if revision == "main" else revision,
                                                     expand=EXPAND, timeout=self.timeout))  # type: ignore[arg-type]
        bases, relation = _base_models(info)
        st = getattr(info, "safetensors", None)
        files = [s.rfilename for s in (getattr(info, "siblings", None) or []) if getattr(s, "rfilename", None)]
        rec = ModelRecord(
            id=getattr(info, "id", None) or repo_id, revision=revision, sha=getattr(info, "sha", None),
            author=getattr(info, "author", None) or repo_id.split("/")[0], tags=list(getattr(info, "tags", None) or []),
            gated=getattr(info, "gated", False) or False, pipeline_tag=getattr(info, "pipeline_tag", None),
            library_name=getattr(info, "library_name", None),
            safetensors={"parameters": dict(st.parameters or {}), "total": st.total} if st is not None else None,
            gguf=getattr(info, "gguf", None), base_models=bases, base_relation=relation, files=files,
            endpoint=self.endpoint, fetched_at=time.time(),
        )
        rev = rec.sha or revision
        for name in FILES:
            if files and name not in files:
                rec.missing.append(name)  # the listing says it is absent: no request
                continue
            data = self._get_file(repo_id, rev, name)
            if data is None:
                rec.missing.append(name)
                continue
            if name == "tokenizer.json":
                rec.tokenizer = self._fingerprint(repo_id, data, rec)
                continue
            try:
                parsed = json.loads(data)
            except ValueError:
                raise HubUnavailableError(f"{repo_id}/{name} is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise HubUnavailableError(f"{repo_id}/{name} is not a JSON object")
            if name == "config.json":
                rec.config = parsed
            elif name == "generation_config.json":
                rec.generation_config = parsed
            else:
                rec.tokenizer_config = {k: v for k, v in parsed.items() if k != "added_tokens_decoder"}
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
        try:
            parsed = json.loads(data)
            info = fingerprint(parsed, rec.tokenizer_config, rec.config, rec.generation_config).to_dict()
        except (ValueError, TypeError, KeyError, AttributeError):
            raise HubUnavailableError(f"{repo_id}/tokenizer.json is not a valid tokenizers file") from None
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
        data = self._get_json(f"{self.endpoint}/api/models", params, "model listing", None)
        if not isinstance(data, list):
            raise HubUnavailableError(f"{self.endpoint} sent an unexpected model listing")
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
    return HubSource(timeout=timeout if timeout > 0 else DEFAULT_TIMEOUT, offline=offline, refresh=refresh)
