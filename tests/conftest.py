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


# Whole modules that wait out real timeouts, start subprocesses or build 50 MB inputs. CI runs them; the
# inner loop (`pytest -m "not slow"`) skips them. A single slow test elsewhere takes @pytest.mark.slow.
SLOW_MODULES = frozenset({"test_hub_faults.py", "test_bad_input.py", "test_internal_error.py"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: over a few seconds; the inner loop is `pytest -m 'not slow'`")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_network_hub(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test starts with the Hub pointed at a closed loopback port and a private Hub cache, so a test
    that forgets its fake Hub fails fast instead of reaching huggingface.co or the user's cache. Tests that
    serve a fake Hub set HF_ENDPOINT themselves (monkeypatch undoes both after each test)."""
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("SPECADVISOR_HUB_CACHE_DIR", str(tmp_path_factory.mktemp("hubcache")))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


_CLOSED_PORT: list[int] = []


def _closed_port() -> int:
    """A loopback port with nothing listening: bound once, then released (connections are refused)."""
    if not _CLOSED_PORT:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            _CLOSED_PORT.append(s.getsockname()[1])
    return _CLOSED_PORT[0]


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
