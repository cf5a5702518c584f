"""`recommend/compare --hub`, `inspect` and `catalog add` end to end against the fake Hub (tests/fakehub.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakehub import FakeHub
from typer.testing import CliRunner

from specadvisor.catalog.core import load_catalog_file
from specadvisor.cli.app import app
from specadvisor.hub.source import EXPAND

Q72 = "Qwen/Qwen2.5-72B-Instruct"
PADDED = ("Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-3B-Instruct")
TOKEN = "hf_specadvisorTestTokenNeverShown"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as h:
        yield h


@pytest.fixture
def env(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("SPECADVISOR_HUB_CACHE_DIR", str(tmp_path / "hubcache"))
    monkeypatch.setenv("SPECADVISOR_HUB_TIMEOUT", "1")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return hub


def run(*args: str):
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"specadvisor {' '.join(args)} crashed") from result.exception
    assert TOKEN not in result.output and TOKEN not in result.stderr
    return result


def test_recommend_hub_ranks_padded_qwen_drafts_and_second_run_is_free(env):
    hub = env
    before = hub.count()
    first = run("recommend", "--target", Q72, "--hub-only", "--top", "0", "--format", "json")
    assert first.exit_code == 0, first.stderr
    assert hub.count() > before
    assert ("GET", "/api/models/Qwen/Qwen2.5-72B-Instruct?" + "&".join(f"expand={e}" for e in EXPAND)) in hub.requests
    data = json.loads(first.stdout)
    by_id = {c["draft"]: c for c in data["candidates"]}
    checks = {c["draft"]: c for c in data["hub"]["tokenizer_checks"]}
    for d in PADDED:
        assert by_id[d]["tokenizer"] == "identical-padded"
        # greedy advice assumes vLLM >= 0.25.0's heterogeneous-vocab mode; the hub's own check is the default mode
        assert by_id[d]["engine_accepts"] is True and "use_heterogeneous_vocab" in by_id[d]["engine_note"]
        assert checks[d]["verdict"] == "identical-padded"
        assert checks[d]["engines"]["vllm"]["accepts"] is False
        assert checks[d]["engines"]["llamacpp"]["accepts"] is True
    assert by_id["drafts-org/Qwen2.5-72B-Instruct-DRAFT-0.5B"]["tokenizer"] == "identical"
    assert by_id["Qwen/Qwen2.5-1.5B-Instruct-AWQ"]["weight_format"] == "int4"
    assert data["hub"]["concurrency"] > 1

    after_first = hub.count()
    second = run("recommend", "--target", Q72, "--hub-only", "--top", "0", "--format", "json")
    assert second.exit_code == 0 and json.loads(second.stdout)["candidates"] == data["candidates"]
    offline = run("recommend", "--target", Q72, "--hub-only", "--offline", "--top", "0", "--format", "json")
    assert offline.exit_code == 0, offline.stderr
    assert hub.count() == after_first  # zero requests on the second and the offline run


def test_recommend_hub_table_notes_vllm_rejects_llamacpp_accepts(env):
    r = run("recommend", "--target", Q72, "--hub-only", "--top", "0")
    assert r.exit_code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "Qwen/Qwen2.5-0.5B-Instruct " in ln and "identical-padded" in ln
                and "rejects" in ln)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    assert cells[-5:] == ["rejects", "rejects", "rejects", "accepts", "accepts"]  # vllm sglang trtllm transformers llamacpp
    assert "use_heterogeneous_vocab" in r.stdout


def test_llamacpp_engine_accepts_padded_pair(env):
    r = run("recommend", "--target", Q72, "--hub-only", "--engine", "llamacpp", "--top", "0", "--format", "json")
    by_id = {c["draft"]: c for c in json.loads(r.stdout)["candidates"]}
    assert by_id["Qwen/Qwen2.5-0.5B-Instruct"]["engine_accepts"] is True
    assert by_id["Qwen/Qwen2.5-0.5B-Instruct"]["compatible"] is True


def test_compare_hub_superset_and_different(env):
    r = run("compare", "--target", Q72, "--hub-only", "Qwen/Qwen3-0.6B", "meta-llama/Llama-3.2-1B-Instruct",
            "--format", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    by_id = {c["draft"]: c for c in data["candidates"]}
    assert by_id["Qwen/Qwen3-0.6B"]["tokenizer"] == "superset"
    assert by_id["meta-llama/Llama-3.2-1B-Instruct"]["tokenizer"] == "different"
    assert by_id["meta-llama/Llama-3.2-1B-Instruct"]["verdict"] == "incompatible"


def test_compare_different_ids(env):
    r = run("compare", "--target", "acme/Mapper-7B", "--hub-only", "other/Mapper-1B", "--format", "json")
    data = json.loads(r.stdout)
    assert data["hub"]["tokenizer_checks"][0]["verdict"] == "different-ids"
    assert data["candidates"][0]["tokenizer"] == "different" and data["candidates"][0]["verdict"] == "incompatible"


def test_finetune_target_adopts_catalog_tokenizer(env):
    r = run("recommend", "--target", "my-org/qwen72-support-ft", "--hub", "--top", "0", "--format", "json")
    assert r.exit_code == 0, r.stderr
    by_id = {c["draft"]: c for c in json.loads(r.stdout)["candidates"]}
    assert by_id["Qwen/Qwen2.5-0.5B-Instruct"]["tokenizer"] == "identical-padded"  # a catalog draft
    assert by_id["Qwen/Qwen2.5-7B-Instruct"]["tokenizer"] == "identical"


def test_moe_target_inspect(env):
    r = run("inspect", "moe-org/MoE-30B-A3B", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["derived"]["moe"]["experts"] == 128
    assert d["derived"]["params_b"] == pytest.approx(30.53, abs=0.01)
    assert d["derived"]["active_params_b"] == pytest.approx(3.35, abs=0.01)
    assert d["tokenizer"]["model_type"] == "BPE"


def test_gated_exits_2_with_access_hint(env):
    for args in (("inspect", "gated-org/Gated-8B"),
                 ("recommend", "--target", "gated-org/Gated-8B", "--hub")):
        r = run(*args)
        assert r.exit_code == 2 and r.stdout == ""
        assert "request access" in r.stderr and "HF_TOKEN" in r.stderr and "hf auth login" in r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert env.authorized > 0  # HF_TOKEN was sent to the (loopback) Hub, and `run` checked it was never shown


def test_stalled_server_errors_within_timeout(env):
    start = time.monotonic()
    r = run("recommend", "--target", "stall/Stalled-1B", "--hub")
    assert r.exit_code == 2 and "did not answer within 1s" in r.stderr and "--offline" in r.stderr
    assert time.monotonic() - start < 5


def test_not_found_has_catalog_suggestions(env):
    r = run("recommend", "--target", "Qwen/Qwen2.5-72B-Instruc", "--hub")
    assert r.exit_code == 2 and "no such model" in r.stderr and "Qwen/Qwen2.5-72B-Instruct" in r.stderr


def test_malformed_and_offline_miss(env):
    r = run("inspect", "broken/Broken-1B")
    assert r.exit_code == 2 and "not valid JSON" in r.stderr
    r = run("inspect", "Qwen/Qwen2.5-14B-Instruct", "--offline")
    assert r.exit_code == 2 and "not in the Hub cache" in r.stderr


def test_unreachable_hub_falls_back_to_catalog_for_catalog_target(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("SPECADVISOR_HUB_CACHE_DIR", str(tmp_path))
    r = run("recommend", "--target", Q72, "--hub", "--format", "json")
    assert r.exit_code == 0 and "discovery failed, using the catalog only" in r.stderr
    r = run("recommend", "--target", "my-org/not-in-catalog", "--hub")
    assert r.exit_code == 2 and "cannot reach" in r.stderr and "--offline" in r.stderr


def test_bad_max_candidates(env):
    r = run("recommend", "--target", Q72, "--hub", "--max-candidates", "0")
    assert r.exit_code == 2 and "--max-candidates" in r.stderr


# -- catalog add -------------------------------------------------------------------------------------

USER_CATALOG = """\
# My team's models   (a comment that must survive)
schema_version: 1

models:
  # first entry
  - id: "acme/tiny-1b"
    family: "acme"     # trailing comment
    generation: "1"
    params_b: 1.236
    layers: 16
    hidden_size: 2048
    vocab_size: 128256
    tokenizer: "llama3"
    precision: "bf16"
    domain: "general"
    source: "https://example.invalid/acme/tiny-1b"

# hardware we own
hardware:
  - {id: my-gpu, name: My GPU, vendor: nvidia, kind: gpu, memory_gb: 48, bandwidth_gbs: 960,
     bf16_tflops: 180, source: https://example.com/datasheet}
"""


def test_catalog_add_preserves_every_other_byte(env, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(USER_CATALOG)
    r = run("catalog", "add", "Qwen/Qwen2.5-1.5B-Instruct-AWQ", "--to", str(path))
    assert r.exit_code == 0, r.stderr
    new = path.read_text()
    anchor = "    source: \"https://example.invalid/acme/tiny-1b\"\n"
    head, tail = USER_CATALOG.split(anchor)
    assert new.startswith(head + anchor) and new.endswith("\n# hardware we own\n" + tail.split("# hardware we own\n")[1])
    inserted = new[len(head + anchor): len(new) - len(tail)]
    assert inserted.startswith("  # added by specadvisor catalog add")
    assert '  - id: "Qwen/Qwen2.5-1.5B-Instruct-AWQ"' in inserted
    models, hardware = load_catalog_file(path)
    assert [m.id for m in models] == ["acme/tiny-1b", "Qwen/Qwen2.5-1.5B-Instruct-AWQ"] and len(hardware) == 1
    added = models[1]
    assert added.precision == "int4" and added.verified == "hub" and added.vocab_size == 151936
    # usable right away
    r = run("compare", "--target", "Qwen/Qwen2.5-72B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct-AWQ", "--catalog", str(path),
            "--format", "json")
    assert r.exit_code == 0, r.stderr
    # adding it twice is refused and leaves the file alone
    r = run("catalog", "add", "Qwen/Qwen2.5-1.5B-Instruct-AWQ", "--to", str(path))
    assert r.exit_code == 2 and "already has" in r.stderr and path.read_text() == new


def test_catalog_add_new_file_and_file_without_models(env, tmp_path):
    fresh = tmp_path / "sub" / "new.yaml"
    assert run("catalog", "add", "moe-org/MoE-30B-A3B", "--to", str(fresh)).exit_code == 0
    models, _ = load_catalog_file(fresh)
    assert models[0].moe is not None and models[0].moe.experts == 128
    hw_only = tmp_path / "hw.yaml"
    original = "# only hardware\nhardware:\n  - {id: g, name: G, vendor: v, kind: gpu, memory_gb: 1, bandwidth_gbs: 1, " \
               "bf16_tflops: 1, source: s}"  # no final newline
    hw_only.write_text(original)
    assert run("catalog", "add", "Qwen/Qwen2.5-0.5B-Instruct", "--to", str(hw_only)).exit_code == 0
    assert hw_only.read_text().startswith(original + "\nmodels:\n")
    assert len(load_catalog_file(hw_only)[0]) == 1


def test_catalog_add_refuses_invalid_file(env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  - id: x\n    bogus: 1\n")
    r = run("catalog", "add", "Qwen/Qwen2.5-0.5B-Instruct", "--to", str(bad))
    assert r.exit_code == 2 and str(bad) in r.stderr
    assert bad.read_text() == "models:\n  - id: x\n    bogus: 1\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bad.yaml")]  # no temp file left behind


# -- start-up: huggingface_hub stays out of non-Hub paths ----------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["models", "--family", "qwen", "--format", "json"]])
def test_non_hub_paths_do_not_import_huggingface_hub(args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "specadvisor", *args], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "huggingface_hub" not in out.stderr and "httpx" not in out.stderr


def test_check_hub_resolves_models_missing_from_the_catalog(env, tmp_path):
    """SPEC115 (unknown model) goes away with --hub, and the Hub facts drive the compatibility rules."""
    script = tmp_path / "serve.sh"
    script.write_text("vllm serve my-org/qwen72-support-ft --tensor-parallel-size 4 \\\n"
                      "  --speculative-config '{\"model\": \"Qwen/Qwen2.5-0.5B-Instruct\", \"num_speculative_tokens\": 4}'\n")
    plain = run("check", str(script), "--format", "json")
    assert {f["rule"] for f in json.loads(plain.stdout)["findings"]} >= {"SPEC115"}
    with_hub = run("check", str(script), "--format", "json", "--hub")
    rules = {f["rule"] for f in json.loads(with_hub.stdout)["findings"]}
    assert "SPEC115" not in rules
    assert "SPEC111" in rules  # the fine-tune keeps Qwen2.5's 152064 rows: vLLM rejects the 151936-row draft
    offline = run("check", str(script), "--format", "json", "--offline")  # from the cache the first run filled
    assert "SPEC115" not in {f["rule"] for f in json.loads(offline.stdout)["findings"]}


def test_check_hub_warns_and_continues_when_a_model_is_missing(env, tmp_path):
    script = tmp_path / "serve.sh"
    script.write_text("vllm serve nobody/no-such-model --speculative-config "
                      "'{\"model\": \"Qwen/Qwen2.5-0.5B-Instruct\", \"num_speculative_tokens\": 4}'\n")
    res = run("check", str(script), "--format", "json", "--hub")
    assert res.exit_code in (0, 1)
    assert "warning" in res.stderr and "nobody/no-such-model" in res.stderr
    assert "SPEC115" in {f["rule"] for f in json.loads(res.stdout)["findings"]}
