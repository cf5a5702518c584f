"""The command-line interface, driven through typer's CliRunner (click >= 8.2 keeps stderr apart)."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml
from cliutil import invoke

from specadvisor import __version__

LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
LLAMA_3X_DRAFTS = ("meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct", "meta-llama/Llama-3.1-8B-Instruct")
CANDIDATE_KEYS = {
    "draft",
    "rank",
    "compatible",
    "relation",
    "alpha",
    "alpha_low",
    "alpha_high",
    "cost_ratio",
    "k",
    "tokens_per_round",
    "speedup",
    "speedup_low",
    "speedup_high",
    "speedup_by_k",
    "verdict",
    "reasons",
}
WORKLOAD_KEYS = {"hardware", "tp", "batch_size", "context_len", "task", "temperature", "engine"}


def assert_usage_error(result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture(scope="module")
def recommend_json():
    result = invoke(
        "recommend", "--target", LLAMA_70B, "--hardware", "h100-sxm", "--tp", "4", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# -- recommend: machine-readable output ------------------------------------------------------------


def test_recommend_json_schema(recommend_json):
    data = recommend_json
    assert data["schema_version"] == 1
    assert data["target"]["id"] == LLAMA_70B
    assert WORKLOAD_KEYS <= set(data["workload"])
    assert data["workload"]["hardware"] == "h100-sxm"
    assert data["workload"]["tp"] == 4
    assert data["workload"]["batch_size"] == 1
    assert data["workload"]["engine"] == "vllm"
    assert data["verdict"] == "speculate"
    assert isinstance(data["reasons"], list)
    assert 1 <= len(data["candidates"]) <= 10  # --top defaults to 10
    assert data["total_candidates"] >= len(data["candidates"])


def test_recommend_json_candidates(recommend_json):
    cands = recommend_json["candidates"]
    for i, c in enumerate(cands, start=1):
        assert CANDIDATE_KEYS <= set(c), CANDIDATE_KEYS - set(c)
        assert c["rank"] == i
        assert isinstance(c["compatible"], bool)
        assert c["alpha_low"] <= c["alpha"] <= c["alpha_high"]
        assert c["speedup_low"] <= c["speedup"] <= c["speedup_high"]
        assert list(c["speedup_by_k"]) == [str(k) for k in range(1, 17)]
        assert c["speedup_by_k"][str(c["k"])] == pytest.approx(c["speedup"], abs=1e-3)
        for r in c["reasons"]:
            assert {"rule", "severity", "message"} <= set(r)
            assert r["severity"] in ("error", "warning", "info")
    best = cands[0]
    # a Llama 3.x draft of 1-8B: the MI300X measurements put 1B, 3B and 8B drafts within 10% of each other
    assert best["draft"].startswith(LLAMA_3X_DRAFTS)
    assert 4 <= best["k"] <= 8 and 2.0 <= best["speedup"] <= 3.5
    assert best["verdict"] == "recommended"


def test_recommend_yaml_matches_json(recommend_json):
    result = invoke(
        "recommend", "--target", LLAMA_70B, "--hardware", "h100-sxm", "--tp", "4", "--format", "yaml"
    )
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert data["schema_version"] == 1
    assert data["target"]["id"] == LLAMA_70B
    assert [c["draft"] for c in data["candidates"]] == [c["draft"] for c in recommend_json["candidates"]]
    assert data["verdict"] == recommend_json["verdict"]


def test_recommend_table():
    result = invoke("recommend", "--target", LLAMA_70B, "--tp", "4")
    assert result.exit_code == 0, result.stderr
    assert "Llama-3.2" in result.stdout and "Verdict: speculate" in result.stdout


def test_recommend_high_batch_verdict():
    result = invoke(
        "recommend", "--target", LLAMA_70B, "--tp", "4", "--batch-size", "256", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "skip-speculation"
    assert "SPEC220" in {r["rule"] for r in data["reasons"]}


def test_recommend_top_zero_shows_all():
    result = invoke(
        "recommend", "--target", "meta-llama/Llama-3.1-8B-Instruct", "--top", "0", "--format", "json"
    )
    data = json.loads(result.stdout)
    assert len(data["candidates"]) == data["total_candidates"] > 10


def test_recommend_alpha_marks_measured():
    result = invoke(
        "recommend", "--target", LLAMA_70B, "--tp", "4", "--alpha", "0.8", "--format", "json"
    )
    data = json.loads(result.stdout)
    assert data["workload"]["alpha"] == 0.8
    assert all(c["alpha_source"] == "measured" and c["alpha"] == 0.8 for c in data["candidates"])


def test_recommend_with_user_catalog(tmp_path, model_entry):
    path = tmp_path / "extra.yaml"
    path.write_text(model_entry, encoding="utf-8")
    result = invoke(
        "recommend",
        "--target",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--catalog",
        str(path),
        "--top",
        "0",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    drafts = {c["draft"] for c in json.loads(result.stdout)["candidates"]}
    assert "acme/tiny-1b" in drafts


# -- bad input: exit 2, one line, no traceback -----------------------------------------------------


def test_unknown_model_is_a_clean_error():
    result = invoke("recommend", "--target", "meta-llama/Llama-3.1-70B-Instrct")
    assert_usage_error(result, "meta-llama/Llama-3.1-70B-Instrct", "closest", LLAMA_70B)
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_hardware_is_a_clean_error():
    result = invoke("recommend", "--target", LLAMA_70B, "--hardware", "h1000")
    assert_usage_error(result, "h1000", "h100-sxm")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ("--batch-size", "0"),
        ("--batch-size", "-3"),
        ("--engine", "foo"),
        ("--alpha", "1.5"),
        ("--alpha", "-0.2"),
        ("--tp", "0"),
        ("--k", "0"),
        ("--max-k", "100"),
        ("--temperature", "-1"),
        ("--task", "poetry"),
        ("--top", "-1"),
        ("--context-len", "0"),
        ("--batch-size", "lots"),
        ("--format", "xml"),
        ("--emit", "ollama"),
    ],
)
def test_bad_option_values_exit_2(args):
    result = invoke("recommend", "--target", LLAMA_70B, *args)
    assert_usage_error(result)
    assert result.stderr.strip()


def test_bad_catalog_file_is_a_clean_error(tmp_path, model_entry):
    path = tmp_path / "bad.yaml"
    path.write_text(model_entry.replace("layers: 16", 'layers: "sixteen"'), encoding="utf-8")
    result = invoke("recommend", "--target", LLAMA_70B, "--catalog", str(path))
    assert_usage_error(result, f"{path}:6:", "layers")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_catalog_file_is_a_clean_error(tmp_path):
    result = invoke("models", "--catalog", str(tmp_path / "nope.yaml"))
    assert_usage_error(result, "nope.yaml")


def test_missing_target_option():
    assert_usage_error(invoke("recommend"))


# -- --emit ----------------------------------------------------------------------------------------


def test_emit_vllm():
    result = invoke(
        "recommend", "--target", LLAMA_70B, "--hardware", "h100-sxm", "--tp", "4", "--emit", "vllm"
    )
    assert result.exit_code == 0, result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("vllm serve")]
    assert len(lines) == 1, result.stdout
    argv = shlex.split(lines[0])
    assert argv[:3] == ["vllm", "serve", LLAMA_70B]
    assert argv[argv.index("--tensor-parallel-size") + 1] == "4"
    spec = json.loads(argv[argv.index("--speculative-config") + 1])
    assert spec["method"] == "draft_model"
    assert spec["model"].startswith(LLAMA_3X_DRAFTS)
    assert "@" not in spec["model"]
    assert 4 <= spec["num_speculative_tokens"] <= 8
    # every other stdout line is a comment, so the whole output can be pasted into a shell
    for ln in result.stdout.splitlines():
        assert ln.startswith(("#", "vllm serve")), ln
    assert "predicted" in result.stderr


@pytest.mark.parametrize(
    ("engine", "marker"),
    [
        ("sglang", "sglang.launch_server"),
        ("trtllm", "DraftTarget"),
        ("transformers", "assistant_model"),
        ("llamacpp", "llama-server"),
    ],
)
def test_emit_other_engines(engine, marker):
    result = invoke("recommend", "--target", LLAMA_70B, "--tp", "4", "--emit", engine)
    assert result.exit_code == 0, result.stderr
    assert marker in result.stdout


def test_emit_without_usable_draft():
    result = invoke(
        "recommend", "--target", LLAMA_70B, "--tp", "4", "--batch-size", "256", "--emit", "vllm"
    )
    assert_usage_error(result, "no usable draft")


# -- compare ---------------------------------------------------------------------------------------


def test_compare_table():
    result = invoke(
        "compare",
        "--target",
        LLAMA_70B,
        "meta-llama/Llama-3.2-1B-Instruct",
        "Qwen/Qwen2.5-0.5B-Instruct",
        "--temperature",
        "0.7",  # sampling: vLLM's heterogeneous-vocab mode (greedy only) does not apply
    )
    assert result.exit_code == 0, result.stderr
    assert "incompatible" in result.stdout and "speedup by k" in result.stdout


def test_compare_json():
    result = invoke(
        "compare",
        "--target",
        LLAMA_70B,
        "meta-llama/Llama-3.2-1B-Instruct",
        "Qwen/Qwen2.5-0.5B-Instruct",
        "--temperature",
        "0.7",  # sampling: vLLM's heterogeneous-vocab mode (greedy only) does not apply
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    by = {c["draft"]: c for c in json.loads(result.stdout)["candidates"]}
    assert by["Qwen/Qwen2.5-0.5B-Instruct"]["compatible"] is False
    assert by["meta-llama/Llama-3.2-1B-Instruct"]["compatible"] is True


def test_compare_engine_changes_compatibility():
    args = [
        "compare",
        "--target",
        "Qwen/Qwen2.5-72B-Instruct",
        "Qwen/Qwen2.5-0.5B-Instruct",
        "--format",
        "json",
        "--temperature",
        "0.7",
    ]
    vllm = json.loads(invoke(*args, "--engine", "vllm").stdout)["candidates"][0]
    llamacpp = json.loads(invoke(*args, "--engine", "llamacpp").stdout)["candidates"][0]
    assert vllm["compatible"] is False and "SPEC102" in {r["rule"] for r in vllm["reasons"]}
    assert llamacpp["compatible"] is True


def test_compare_fixed_k():
    result = invoke(
        "compare",
        "--target",
        LLAMA_70B,
        "meta-llama/Llama-3.2-1B-Instruct",
        "--k",
        "3",
        "--format",
        "json",
    )
    assert json.loads(result.stdout)["candidates"][0]["k"] == 3


def test_compare_without_drafts():
    assert_usage_error(invoke("compare", "--target", LLAMA_70B))


def test_compare_unknown_draft():
    result = invoke("compare", "--target", LLAMA_70B, "Qwen/Qwen2.5-0.5B-Instrcut")
    assert_usage_error(result, "Qwen/Qwen2.5-0.5B-Instruct")


# -- listings --------------------------------------------------------------------------------------


def test_models_family_json():
    result = invoke("models", "--family", "qwen", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    ids = [m["id"] for m in data["models"]]
    assert "Qwen/Qwen3-32B" in ids and "Qwen/Qwen2.5-0.5B-Instruct" in ids
    assert all(m["family"] == "qwen" for m in data["models"])
    assert all("origin" not in m for m in data["models"])


def test_models_family_is_case_insensitive():
    result = invoke("models", "--family", "QWEN", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["models"]


def test_models_yaml_and_table():
    result = invoke("models", "--format", "yaml")
    assert result.exit_code == 0, result.stderr
    assert len(yaml.safe_load(result.stdout)["models"]) >= 45
    table = invoke("models", "--family", "gemma")
    assert table.exit_code == 0 and "google/gemma-3-270m-it" in table.stdout


def test_models_unknown_family():
    assert_usage_error(invoke("models", "--family", "nope"), "nope", "qwen")


def test_hardware_json():
    result = invoke("hardware", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    ids = {h["id"] for h in data["hardware"]}
    assert {"h100-sxm", "rtx-4090", "mi300x"} <= ids
    assert all(h["source"].startswith("https://") for h in data["hardware"])


def test_hardware_table():
    result = invoke("hardware")
    assert result.exit_code == 0 and "h100-sxm" in result.stdout


def test_rules_list():
    result = invoke("rules")
    assert result.exit_code == 0, result.stderr
    assert "SPEC101" in result.stdout and "SPEC220" in result.stdout


def test_rules_one():
    result = invoke("rules", "SPEC201")
    assert result.exit_code == 0, result.stderr
    assert "draft-below-size-floor" in result.stdout
    assert "rationale" in result.stdout and "source" in result.stdout


def test_rules_by_name_json():
    result = invoke("rules", "draft-below-size-floor", "--format", "json")
    assert result.exit_code == 0
    (rule,) = json.loads(result.stdout)["rules"]
    assert rule["id"] == "SPEC201"


def test_rules_unknown():
    assert_usage_error(invoke("rules", "SPEC999"), "SPEC999")


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"specadvisor {__version__}"


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("recommend", "--help"),
        ("compare", "--help"),
        ("models", "--help"),
        ("hardware", "--help"),
        ("rules", "--help"),
    ],
)
def test_help(args):
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_no_args_shows_help():
    result = invoke()
    assert "Usage" in result.output
    assert "Traceback" not in result.output


def test_unknown_command():
    result = invoke("recomend")
    assert result.exit_code == 2 and "Traceback" not in result.output
