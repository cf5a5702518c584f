"""Shared fixtures for the specadvisor test suite.

No test touches the network: the catalog, rules and coefficients are read from the repository, and
every user file is written to pytest's tmp_path.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# Test the installed package when there is one (CI installs a wheel); fall back to the source tree so
# that a bare `pytest` in a checkout works without PYTHONPATH or an editable install.
try:
    import specadvisor  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# specadvisor caches parsed catalogs under ~/.cache/specadvisor; keep the suite's caches (tmp_path user
# catalogs included) out of the user's home and start every run cold. Set before anything loads a catalog.
_CACHE_DIR = tempfile.mkdtemp(prefix="specadvisor-test-cache-")
os.environ["SPECADVISOR_CACHE_DIR"] = _CACHE_DIR
os.environ.pop("SPECADVISOR_NO_CACHE", None)
atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)

settings.register_profile("specadvisor", max_examples=200, deadline=None)
settings.load_profile("specadvisor")


@pytest.fixture(scope="session")
def catalog():
    from specadvisor.catalog.core import load_catalog

    return load_catalog()


# A complete, valid user-catalog model entry (a small Llama-3-style decoder). Line numbers matter to
# the malformed-catalog tests: "models:" is line 1, "- id:" line 2, "family" line 3, "generation"
# line 4, "params_b" line 5, "layers" line 6, "hidden_size" line 7 ...
MODEL_ENTRY = textwrap.dedent("""\
    models:
      - id: "acme/tiny-1b"
        family: "acme"
        generation: "1"
        params_b: 1.236
        layers: 16
        hidden_size: 2048
        intermediate_size: 8192
        heads: 32
        kv_heads: 8
        head_dim: 64
        vocab_size: 128256
        tie_embeddings: true
        tokenizer: "llama3"
        precision: "bf16"
        domain: "general"
        source: "https://example.invalid/acme/tiny-1b"
    """)


@pytest.fixture
def model_entry() -> str:
    return MODEL_ENTRY
