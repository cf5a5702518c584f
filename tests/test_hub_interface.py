"""The Hub sits behind an interface (#11): resolution and `inspect` take any `ModelSource`, so a source of
records held in memory works with no HTTP server at all."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from specadvisor.hub.errors import HubNotFoundError
from specadvisor.hub.inspect import inspect_model
from specadvisor.hub.interface import ModelSource
from specadvisor.hub.resolve import model_from_record
from specadvisor.hub.source import ModelRecord

# A Llama-3.2-1B-shaped config (values from the model's public config.json, as in tests/fakehub.py).
LLAMA_1B_CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                   "num_hidden_layers": 16, "intermediate_size": 8192, "num_attention_heads": 32,
                   "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256, "tie_word_embeddings": True,
                   "max_position_embeddings": 131072, "torch_dtype": "bfloat16"}


class MemorySource:
    """A ModelSource over a dict: no network, no cache."""

    endpoint = "memory://"
    offline = False

    def __init__(self, records: dict[str, ModelRecord]) -> None:
        self.records = records
        self.requests = 0

    def record(self, repo_id: str, revision: str = "main") -> ModelRecord:
        self.requests += 1
        try:
            return self.records[repo_id]
        except KeyError:
            raise HubNotFoundError(f"{repo_id}: not in memory") from None

    def submit_record(self, pool: Executor, repo_id: str, revision: str = "main") -> Future[ModelRecord]:
        return pool.submit(self.record, repo_id, revision)

    def list_models(self, *, author: str | None = None, search: str | None = None, filters: Iterable[str] = (),
                    limit: int = 100) -> list[dict[str, Any]]:
        return [{"id": i} for i in self.records if not search or search.lower() in i.lower()][:limit]


def _source() -> MemorySource:
    rec = ModelRecord(id="acme/Tiny-Llama-1B", revision="main", sha="0" * 40, config=LLAMA_1B_CONFIG,
                      safetensors={"total": 1_235_814_400}, endpoint="memory://")
    return MemorySource({rec.id: rec})


def test_the_memory_source_satisfies_the_interface() -> None:
    src: ModelSource = _source()  # mypy checks this assignment against the Protocol
    assert src.requests == 0


def test_inspect_runs_on_an_injected_source(catalog) -> None:
    src = _source()
    doc = inspect_model("acme/Tiny-Llama-1B", "main", src, catalog)
    assert doc["id"] == "acme/Tiny-Llama-1B"
    assert doc["derived"]["layers"] == 16 and doc["derived"]["hidden_size"] == 2048
    assert doc["requests"] == 1


def test_resolution_runs_on_an_injected_source(catalog) -> None:
    src = _source()
    hm = model_from_record(src.record("acme/Tiny-Llama-1B"), catalog.find_model, src)
    assert hm.spec.vocab_size == 128256
    with pytest.raises(HubNotFoundError):
        src.record("acme/absent")
