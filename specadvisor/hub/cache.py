"""A disk cache of Hub metadata, so a second run makes no request and `--offline` works.

Entries are small JSON documents (model info subset, config.json, the tokenizer *fingerprint* rather
than the multi-megabyte tokenizer.json, listings) keyed on endpoint + repo + revision (or the query).
The directory is `$SPECADVISOR_HUB_CACHE_DIR`, else `$SPECADVISOR_CACHE_DIR/hub`, else
`$XDG_CACHE_HOME/specadvisor/hub` (`~/.cache/specadvisor/hub`). Writes are atomic; a corrupt entry is a
miss. Entries do not expire: delete the directory (or pass `refresh=True`) to re-read the Hub.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1
MAX_ENTRY_BYTES = 16 * 1024 * 1024  # a record with its tokenizer fingerprint is well under 1 MB


def _digest(data: Any) -> str:
    """A checksum of an entry's data, so a value changed after the write (`hidden_size: []`) is a miss, not a belief."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def default_hub_cache_dir() -> Path:
    explicit = os.environ.get("SPECADVISOR_HUB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("SPECADVISOR_CACHE_DIR")
    if base:
        return Path(base) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "specadvisor" / "hub"


class HubCache:
    """JSON documents under `root/<kind>/<hash>.json`; each write is atomic, so concurrent fetches are safe."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_hub_cache_dir()

    @staticmethod
    def _key(parts: tuple[str, ...]) -> str:
        return "\x1f".join(parts)

    def _path(self, kind: str, parts: tuple[str, ...]) -> Path:
        digest = hashlib.sha256(self._key(parts).encode("utf-8")).hexdigest()[:32]
        return self.root / kind / f"{digest}.json"

    def get(self, kind: str, *parts: str) -> Any | None:
        """The cached data, or None (a miss: the caller re-fetches and `put` rewrites the entry) when the entry is
        not a regular file within MAX_ENTRY_BYTES (a FIFO, a link to /dev/zero), not plain finite JSON within the
        depth bound, or not for this key."""
        from specadvisor.errors import InputFileError
        from specadvisor.guards import loads_checked
        from specadvisor.safeio import read_bytes_bounded

        path = self._path(kind, parts)
        try:
            doc = loads_checked(read_bytes_bounded(path, MAX_ENTRY_BYTES))
        except InputFileError:
            return None
        if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT or doc.get("key") != self._key(parts):
            return None
        if doc.get("sha256") != _digest(doc.get("data")):  # edited or damaged since it was written
            return None
        return doc.get("data")

    def put(self, kind: str, parts: tuple[str, ...], data: Any) -> None:
        path = self._path(kind, parts)
        payload = json.dumps({"format": CACHE_FORMAT, "key": self._key(parts), "sha256": _digest(data), "data": data})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(payload)
                os.replace(tmp, path)  # replaces a poisoned entry (even a FIFO or a symlink) instead of writing into it
            finally:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
        except OSError:
            pass  # a cache that cannot be written only costs a re-fetch next time
