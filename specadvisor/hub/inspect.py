"""`inspect`: what the Hub says about a model and what specadvisor derives from it, as one document.

The CLI only renders the document (formats/hub_tables.py or JSON/YAML); building it lives here so the
library gives the same answer as the command.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from specadvisor.catalog.core import Catalog
from specadvisor.hub.interface import ModelSource
from specadvisor.hub.resolve import model_from_record

SCHEMA_VERSION = 1
FILES = ("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json")


def spec_dict(spec: Any) -> dict[str, Any]:
    """A ModelSpec as a plain dict, without empty fields and its origin."""
    d = asdict(spec)
    d.pop("origin", None)
    return {k: v for k, v in d.items() if v not in (None, (), [])}


def inspect_model(model_id: str, revision: str, source: ModelSource, catalog: Catalog) -> dict[str, Any]:
    """The inspect document for MODEL_ID at REVISION (schema_version 1; README, "inspect")."""
    rec = source.record(model_id, revision)
    hm = model_from_record(rec, catalog.find_model, source)
    tok = rec.tokenizer_info
    return {
        "schema_version": SCHEMA_VERSION,
        "id": rec.id, "revision": rec.revision, "sha": rec.sha, "endpoint": rec.endpoint,
        "gated": rec.gated, "pipeline_tag": rec.pipeline_tag, "base_models": rec.base_models,
        "base_relation": rec.base_relation, "files_read": [f for f in FILES if f not in rec.missing],
        "files_missing": rec.missing,
        "derived": spec_dict(hm.spec),
        "derivation": hm.derivation.to_dict(),
        "tokenizer": None if tok is None else {
            "key": tok.key, "model_type": tok.model_type, "fingerprint": tok.fingerprint[:16],
            "base_fingerprint": tok.base_fingerprint[:16], "vocab_entries": tok.vocab_len, "length": tok.length,
            "added_tokens": len(tok.added), "special_tokens": sum(1 for a in tok.added if a[2]),
            "bos_id": tok.bos_id, "eos_ids": list(tok.eos_ids), "pad_id": tok.pad_id,
            "chat_template": tok.chat_template, "tokenizer_class": tok.tokenizer_class},
        "requests": source.requests,
    }
