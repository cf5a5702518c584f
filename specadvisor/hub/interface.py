"""What the rest of specadvisor needs from a model-metadata source: the interface, not the HTTP client.

`HubSource` (hub/source.py) is the real one (the Hugging Face Hub API over HTTP, with its cache,
deadlines and retries). Discovery, resolution and `inspect` are typed against `ModelSource`, so a
library user or a test can hand in any object with these members, e.g. records held in memory,
without a server.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from specadvisor.hub.source import ModelRecord


class ModelSource(Protocol):
    """A source of model records and listings."""

    endpoint: str  # shown to the user (credentials redacted)
    offline: bool  # True: answers only from what is already held
    requests: int  # requests made so far (reported by `inspect` and --hub runs)

    def record(self, repo_id: str, revision: str = "main") -> ModelRecord:
        """The model's metadata and the config/tokenizer files read; HubError subclasses for failures."""
        ...

    def submit_record(self, pool: Executor, repo_id: str, revision: str = "main") -> Future[ModelRecord]:
        """`record` as a future run on `pool` (discovery fetches many records at once)."""
        ...

    def list_models(self, *, author: str | None = None, search: str | None = None, filters: Iterable[str] = (),
                    limit: int = 100) -> list[dict[str, Any]]:
        """One page of model listings as the Hub's JSON objects (each with an `id`)."""
        ...
