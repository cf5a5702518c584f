"""Every speculative form by engine version, method awareness, name resolution and the launches `check` reads.

tests/corpus/configs/forms/ holds one realistic file per form (each names the public pattern and engine
version it mimics). For every file the exact findings and what was read of each launch (engine, version
and where it came from, resolved models, method, k) are written down here.

The prediction rules (SPEC240/SPEC243 predicted slowdown, SPEC241 k-far-from-optimum) are left out of the
exact tables: they follow the fitted estimator, which another part of the project refits. The tables
pin what this module decides: which form is read, which method is in use, which rules apply to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from specadvisor.check.config import CheckConfig
from specadvisor.check.methods import llamacpp_methods, sglang_method, trtllm_method, vllm_method
from specadvisor.check.names import head_kind, is_placeholder, resolve_name
from specadvisor.check.run import check_paths
from specadvisor.check.versions import pinned_version, version_from_image
from specadvisor.cli.app import app
from specadvisor.model.coefficients import load_coefficients
from specadvisor.rules.engine import _version, load_rules, parse_version_range

FORMS = Path(__file__).parent / "corpus" / "configs" / "forms"
PREDICTIONS = {"SPEC240", "SPEC241", "SPEC243"}

# relative path -> findings (rule, line, column), prediction rules excluded
FINDINGS: dict[str, list[tuple[str, int, int]]] = {
    "legacy-image/Dockerfile": [],  # V0 flags on vLLM 0.6.3 (image tag): valid there
    "legacy-image/Dockerfile.upgraded": [("SPEC303", 3, 115)],  # the same flags on 0.9.2
    "kserve-mtp.yaml": [],
    "llamacpp-2026-draft.sh": [("SPEC330", 7, 43)],
    "llamacpp-2026-mtp.sh": [],
    "llamacpp-ngram.sh": [],
    "llamacpp-old-mismatch.sh": [("SPEC110", 4, 63), ("SPEC113", 4, 63)],
    "pinned-repo/deploy/serve.sh": [("SPEC304", 5, 26)],  # vllm==0.11.0 in the repository's requirements.txt
    "sglang-config.yaml": [],
    "sglang-eagle3-under-eagle.sh": [("SPEC312", 6, 27)],
    "sglang-nextn-mtp.sh": [],
    "sglang-standalone-local.compose.yaml": [],
    "trtllm-eagle3.yaml": [],  # no speculative_model / overlap-scheduler rules outside DraftTarget
    "trtllm-mtp.yaml": [],
    "trtllm-ngram.yaml": [],
    "vllm-awq-padded-pair.sh": [("SPEC111", 7, 51), ("SPEC113", 7, 51), ("SPEC242", 7, 51)],
    "vllm-eagle-config.yaml": [],  # string numbers are what vLLM's pydantic config accepts
    "vllm-eagle3-deployment.yaml": [],  # an EAGLE-3 head on 0.11: not the draft_model gap of 0.10-0.13
    "vllm-fp8-target-bf16-draft.sh": [("SPEC242", 5, 26)],
    "vllm-mtp-dotted.sh": [],  # MTP: no draft rules, no unknown-model finding for the target
    "vllm-ngram.sh": [],
    "vllm-runtime-vars.sh": [],  # $DRAFT and ${K:-4} are set in the same file (launch discovery expands them)
    "vllm-spec-aliases.sh": [],
}

# relative path -> (engine, version, method, k, target resolved, draft as read, draft resolved)
LAUNCHES: dict[str, tuple[str, str | None, str | None, int | None, str | None, str | None, str | None]] = {
    "legacy-image/Dockerfile": ("vllm", "0.6.3", "ngram", 5, "meta-llama/Llama-3.1-8B-Instruct", None, None),
    "legacy-image/Dockerfile.upgraded": ("vllm", "0.9.2", "ngram", 5, "meta-llama/Llama-3.1-8B-Instruct", None, None),
    "kserve-mtp.yaml": ("vllm", None, "mtp", 2, None, None, None),
    "llamacpp-2026-draft.sh": ("llamacpp", None, "draft_model", 8, "Qwen/Qwen3-8B", "/models/Qwen3-0.6B-Q8_0.gguf",
                               "Qwen/Qwen3-0.6B"),
    "llamacpp-2026-mtp.sh": ("llamacpp", None, "mtp", 3, "Qwen/Qwen3-8B", None, None),
    "llamacpp-ngram.sh": ("llamacpp", None, "ngram", None, "google/gemma-3-12b-it", None, None),
    "llamacpp-old-mismatch.sh": ("llamacpp", None, "draft_model", 16, "meta-llama/Llama-3.1-70B-Instruct",
                                 "./Qwen2.5-0.5B-Instruct-Q8_0.gguf", "Qwen/Qwen2.5-0.5B-Instruct"),
    "pinned-repo/deploy/serve.sh": ("vllm", "0.11.0", "draft_model", 4, "Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B",
                                    "Qwen/Qwen3-0.6B"),
    "sglang-config.yaml": ("sglang", None, "eagle3", 3, "meta-llama/Llama-3.1-8B-Instruct",
                           "lmsys/SGLang-EAGLE3-Llama-3.1-8B-Instruct-SpecForge", None),
    "sglang-eagle3-under-eagle.sh": ("sglang", None, "eagle", 5, "meta-llama/Llama-3.1-8B-Instruct",
                                     "lmsys/sglang-EAGLE3-LLaMA3.1-Instruct-8B", None),
    "sglang-nextn-mtp.sh": ("sglang", None, "mtp", 3, None, None, None),
    "sglang-standalone-local.compose.yaml": ("sglang", "0.5.4", "draft_model", 3, "Qwen/Qwen3-8B", "/models/Qwen3-0.6B",
                                             "Qwen/Qwen3-0.6B"),
    "trtllm-eagle3.yaml": ("trtllm", None, "eagle3", 3, None, "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", None),
    "trtllm-mtp.yaml": ("trtllm", None, "mtp", 3, None, None, None),
    "trtllm-ngram.yaml": ("trtllm", None, "ngram", 4, None, None, None),
    "vllm-awq-padded-pair.sh": ("vllm", None, "draft_model", 4, "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-0.5B-Instruct",
                                "Qwen/Qwen2.5-0.5B-Instruct"),
    "vllm-eagle-config.yaml": ("vllm", None, "eagle", 3, "mistralai/Mistral-7B-Instruct-v0.3",
                               "my-org/Mistral-7B-Instruct-v0.3-EAGLE", None),
    "vllm-eagle3-deployment.yaml": ("vllm", "0.11.0", "eagle3", 3, "meta-llama/Llama-3.1-8B-Instruct",
                                    "RedHatAI/Llama-3.1-8B-Instruct-speculator.eagle3", None),
    "vllm-fp8-target-bf16-draft.sh": ("vllm", None, "draft_model", 4, "meta-llama/Llama-3.3-70B-Instruct",
                                      "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B-Instruct"),
    "vllm-mtp-dotted.sh": ("vllm", None, "mtp", 1, None, None, None),
    "vllm-ngram.sh": ("vllm", None, "ngram", 5, "meta-llama/Llama-3.1-8B-Instruct", None, None),
    "vllm-runtime-vars.sh": ("vllm", None, "draft_model", 4, "Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B"),
    "vllm-spec-aliases.sh": ("vllm", None, "draft_model", 4, "Qwen/Qwen3-32B", "Qwen/Qwen3-1.7B", "Qwen/Qwen3-1.7B"),
}


def _files() -> list[str]:
    return sorted(p.relative_to(FORMS).as_posix() for p in FORMS.rglob("*") if p.is_file()
                  and not p.name.startswith("requirements"))


@pytest.fixture(scope="module")
def result(catalog):
    return check_paths([str(FORMS)], catalog, load_coefficients(), load_rules(), CheckConfig())


def test_every_form_file_is_described_and_notes_what_it_mimics():
    assert _files() == sorted(FINDINGS) == sorted(LAUNCHES)
    for rel in _files():
        head = (FORMS / rel).read_text().splitlines()[:4]
        assert any("Mimics:" in line for line in head), f"{rel}: say which public pattern the file mimics"


@pytest.mark.parametrize("rel", sorted(FINDINGS))
def test_findings(result, rel):
    got = sorted((f.rule, f.line, f.col) for f in result.findings
                 if Path(f.path) == FORMS / rel and f.rule not in PREDICTIONS)
    assert got == sorted(FINDINGS[rel])


@pytest.mark.parametrize("rel", sorted(LAUNCHES))
def test_launch_read(result, rel):
    launches = [la for la in result.launches if Path(la.file) == FORMS / rel]
    assert len(launches) == 1, launches
    la = launches[0]
    assert (la.engine, la.engine_version, la.method, la.k, la.target_resolved, la.draft, la.draft_resolved) == LAUNCHES[rel]


def test_no_error_on_mtp_eagle_or_ngram_launches(result):
    """The issue's bar: MTP/EAGLE/n-gram configs are not errors; only flags the engine itself refuses are."""
    by_file = {la.file: la.method for la in result.launches}
    refused = {"SPEC303", "SPEC312"}  # removed V0 flags on 0.9.2; an EAGLE-3 head under EAGLE (a real mistake)
    for f in result.findings:
        if by_file.get(f.path) in ("mtp", "eagle", "eagle3", "ngram") and f.severity == "error" and f.rule not in refused:
            pytest.fail(f"{f.path}:{f.line}: {f.rule} on a {by_file[f.path]} launch")


def test_version_source_is_recorded(result):
    src = {Path(la.file).relative_to(FORMS).as_posix(): la.version_source for la in result.launches}
    assert src["vllm-eagle3-deployment.yaml"] == "image vllm/vllm-openai:v0.11.0"
    assert src["pinned-repo/deploy/serve.sh"].endswith("pinned-repo/requirements.txt:2")
    assert src["vllm-ngram.sh"] is None


# -- the CLI shows what it read -------------------------------------------------------------------


def test_json_lists_every_launch_with_its_fields(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(app, ["check", str(FORMS), "--format", "json", "--exit-zero"])
    doc = json.loads(out.stdout)
    assert doc["schema_version"] == 1 and doc["launches_found"] == len(LAUNCHES) == len(doc["launches"])
    keys = {"file", "line", "engine", "engine_version", "engine_version_source", "target", "target_resolved",
            "target_format", "method", "draft", "draft_resolved", "draft_format", "k", "tp",
            "declared_concurrency", "max_num_seqs", "speculative_form"}
    assert all(set(la) == keys for la in doc["launches"])
    nextn = next(la for la in doc["launches"] if la["file"].endswith("sglang-nextn-mtp.sh"))
    assert (nextn["tp"], nextn["max_num_seqs"], nextn["speculative_form"]) == (8, 64, "--speculative-algorithm")


def test_text_tells_saw_nothing_from_all_fine(tmp_path):
    empty = tmp_path / "notes.sh"
    empty.write_text("echo hello\n")
    fine = tmp_path / "fine" / "serve.sh"
    fine.parent.mkdir()
    fine.write_text("vllm serve Qwen/Qwen3-8B --speculative-config '{\"method\": \"ngram\", \"num_speculative_tokens\": 4}'\n")
    nothing = CliRunner().invoke(app, ["check", str(empty), "--format", "text"])
    assert nothing.exit_code == 0 and nothing.stdout == "# no server launch found in 1 file(s): nothing was checked\n"
    ok = CliRunner().invoke(app, ["check", str(fine), "--format", "text"])
    assert ok.exit_code == 0
    assert ok.stdout.splitlines()[0] == "# 1 launch(es) read in 1 of 1 file(s):"
    both = CliRunner().invoke(app, ["check", str(empty), str(fine), "--format", "json"])
    assert json.loads(both.stdout)["files_without_launch"] == [str(empty)]
    assert "vllm version unknown target=Qwen/Qwen3-8B method=ngram k=4" in ok.stdout
    assert "1 launch(es) read" in ok.stderr


# -- name resolution ------------------------------------------------------------------------------

NAMES = [
    ("/root/.cache/huggingface/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/0e9e39f2",
     "meta-llama/Llama-3.1-8B-Instruct", "bf16"),
    ("/models/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "bf16"),
    ("/models/meta-llama/Llama-3.1-8B-Instruct/", "meta-llama/Llama-3.1-8B-Instruct", "bf16"),
    ("RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic", "meta-llama/Llama-3.1-8B-Instruct", "fp8"),
    ("neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w4a16", "meta-llama/Llama-3.1-70B-Instruct", "int4"),
    ("Qwen/Qwen2.5-32B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-32B-Instruct", "int4"),
    ("Qwen/Qwen2.5-7B-Instruct-AWQ", "Qwen/Qwen2.5-7B-Instruct", "int4"),
    ("nvidia/Llama-3.3-70B-Instruct-NVFP4", "meta-llama/Llama-3.3-70B-Instruct", "nvfp4"),
    ("unsloth/Llama-3.2-1B-Instruct-unsloth-bnb-4bit", "meta-llama/Llama-3.2-1B-Instruct", "int4"),
    ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M", "meta-llama/Llama-3.1-8B-Instruct", "q4_k_m"),
    ("Qwen3-0.6B-Q8_0.gguf", "Qwen/Qwen3-0.6B", "q8_0"),
    ("$MODELS/qwen3-0.6b-q8_0.gguf", "Qwen/Qwen3-0.6B", "q8_0"),
    ("/m/llama-2-7b-chat.Q4_K_M.gguf", "meta-llama/Llama-2-7b-hf", "q4_k_m"),
    ("TheBloke/Llama-2-7B-Chat-GGUF", "meta-llama/Llama-2-7b-hf", None),
    ("/w/DeepSeek-R1-Distill-Qwen-1.5B-Q8_0-00001-of-00002.gguf", "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "q8_0"),
    ("meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct", "bf16"),
    ("META-LLAMA/LLAMA-3.1-8B-INSTRUCT", "meta-llama/Llama-3.1-8B-Instruct", "bf16"),
    ("https://huggingface.co/Qwen/Qwen3-8B", "Qwen/Qwen3-8B", "bf16"),
    ("/models/llama3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct", "bf16"),
    ("/models/qwen2_5_7b_instruct-fp8", "Qwen/Qwen2.5-7B-Instruct", "fp8"),
]


@pytest.mark.parametrize(("name", "model", "fmt"), NAMES, ids=[n for n, _, _ in NAMES])
def test_resolve_name(catalog, name, model, fmt):
    found = resolve_name(catalog, name)
    assert found is not None, name
    assert found.id == model
    if fmt is not None:
        assert found.weight_format == fmt


@pytest.mark.parametrize("name", ["/mnt/models", "${MODEL}", "{{ .Values.model }}", "/data/model", "<your-model>",
                                  "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "my-org/qwen72-support-ft", ""])
def test_names_that_do_not_resolve(catalog, name):
    assert resolve_name(catalog, name) is None


def test_a_stated_quantization_wins_over_the_name(catalog):
    assert resolve_name(catalog, "Qwen/Qwen2.5-7B-Instruct-AWQ", "fp8").weight_format == "fp8"


def test_placeholders():
    assert is_placeholder("${MODEL_PATH}") and is_placeholder("{{ .Values.model }}")
    assert not is_placeholder("$MODELS/Qwen3-8B-Q4_K_M.gguf")


def test_head_kinds():
    assert head_kind("yuhuili/EAGLE3-LLaMA3.1-Instruct-8B") == "eagle3"
    assert head_kind("RedHatAI/Llama-3.1-8B-Instruct-speculator.eagle3") == "eagle3"
    assert head_kind("AngelSlim/Qwen3-8B_eagle3") == "eagle3"
    assert head_kind("lmsys/sglang-EAGLE-llama2-chat-7B") == "eagle"
    assert head_kind("mtp-Qwen3-27B-Q4_0.gguf") == "mtp"
    assert head_kind("meta-llama/Llama-3.2-1B-Instruct") is None


# -- methods --------------------------------------------------------------------------------------


def test_method_vocabularies():
    assert vllm_method("deepseek_mtp") == vllm_method("qwen3_next_mtp") == "mtp"
    assert vllm_method(None, "yuhuili/EAGLE-LLaMA3.1-Instruct-8B") == "eagle"
    assert vllm_method(None, "Qwen/Qwen3-0.6B") == "draft_model"
    assert vllm_method(None, "[ngram]") == "ngram"
    assert vllm_method("mlp_speculator") == "mlp_speculator"  # kept as written, matches no method rule
    assert sglang_method("EAGLE", None) == "mtp"  # the target's own layers
    assert sglang_method("STANDALONE", "Qwen/Qwen3-0.6B") == "draft_model"
    assert sglang_method("eagle3", "lmsys/x") == "eagle3"
    assert trtllm_method("Draft_Target", "d") == trtllm_method("DraftTarget", "d") == "draft_model"
    assert trtllm_method("Eagle", "nvidia/x-Eagle3") == "eagle3"
    assert llamacpp_methods(["draft-mtp"], None) == ["mtp"]
    assert llamacpp_methods(["ngram-mod"], "d.gguf") == ["ngram", "draft_model"]
    assert llamacpp_methods([], "mtp-Qwen3-8B-Q8_0.gguf") == ["mtp"]


def test_vllm_forms_merge_and_conflict(tmp_path, catalog):
    f = tmp_path / "serve.sh"
    f.write_text("vllm serve Qwen/Qwen3-8B --speculative-config '{\"method\": \"eagle3\"}' --spec-method mtp\n")
    r = check_paths([str(f)], catalog, load_coefficients(), load_rules(), CheckConfig())
    assert [x.rule for x in r.findings] == ["SPEC390"]  # vLLM: mutually exclusive
    f.write_text("vllm serve Qwen/Qwen3-8B --speculative_config.method=mtp --speculative-config.num-speculative-tokens 2\n")
    la = check_paths([str(f)], catalog, load_coefficients(), load_rules(), CheckConfig()).launches[0]
    assert (la.method, la.k, la.spec_form) == ("mtp", 2, "speculative_config")


# -- versions -------------------------------------------------------------------------------------


def test_image_versions():
    assert version_from_image("vllm/vllm-openai:v0.11.0", "vllm") == "0.11.0"
    assert version_from_image("lmsysorg/sglang:v0.5.4-cu129", "sglang") == "0.5.4"
    assert version_from_image("nvcr.io/nvidia/tensorrt-llm/release:1.1.0rc2", "trtllm") == "1.1.0rc2"
    assert version_from_image("ghcr.io/ggml-org/llama.cpp:server-cuda-b6700", "llamacpp") == "b6700"
    assert version_from_image("myorg/gateway:1.2.3", "vllm") is None  # not the engine's image
    assert version_from_image("vllm/vllm-openai:latest", "vllm") is None
    assert version_from_image("rocm/vllm:rocm6.3.1_vllm_0.8.5_20250521", "vllm") == "0.8.5"
    assert version_from_image("nvcr.io/nvidia/tritonserver:25.01-trtllm-python-py3", "trtllm") is None


@pytest.mark.parametrize(("name", "text", "version"), [
    ("requirements.txt", "torch\nvllm[audio]==0.9.2  # pinned\n", "0.9.2"),
    ("pyproject.toml", '[project]\ndependencies = ["sglang[all]==0.4.6.post4", "vllm==0.10.1.1"]\n', "0.10.1.1"),
    ("pyproject.toml", '[tool.poetry.dependencies]\nvllm = "==0.8.5"\n', "0.8.5"),
    ("Dockerfile", "FROM python:3.11\nRUN pip install --no-cache-dir vllm==0.6.3.post1\n", "0.6.3.post1"),
    ("Dockerfile", "FROM vllm/vllm-openai:v0.12.0 AS base\n", "0.12.0"),
    ("requirements.txt", "# vllm==0.5.0 was too old\nvllm>=0.11\n", None),  # a comment and a bound: no pin
])
def test_repository_pins(tmp_path, name, text, version):
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_text(text)
    launch = tmp_path / "deploy" / "k8s" / "serve.yaml"
    launch.parent.mkdir(parents=True)
    launch.write_text("")
    found = pinned_version(str(launch), "vllm")
    assert (found[0] if found else None) == version


def test_specadvisor_yaml_engine_versions(tmp_path, catalog):
    from specadvisor.check.config import load_config

    cfg = tmp_path / ".specadvisor.yaml"
    cfg.write_text('defaults: {engine_versions: {vllm: "0.12.0"}}\n')
    config = load_config(cfg, load_rules())
    f = tmp_path / "serve.sh"
    f.write_text("vllm serve Qwen/Qwen3-8B "
                 "--speculative-config '{\"model\": \"Qwen/Qwen3-0.6B\", \"num_speculative_tokens\": 3}'\n")
    r = check_paths([str(f)], catalog, load_coefficients(), load_rules(), config)
    assert "SPEC304" in {x.rule for x in r.findings}
    assert r.launches[0].version_source == ".specadvisor.yaml defaults.engine_versions.vllm"


_VERSIONS = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))


@given(_VERSIONS, _VERSIONS, _VERSIONS)
def test_version_ranges_are_half_open_intervals(low, high, v):
    """A rule's `>=low,<high` holds exactly for the versions in [low, high), compared numerically."""
    from specadvisor.rules.engine import _OPS, _RANGE_OPS

    text = ">={}.{}.{},<{}.{}.{}".format(*low, *high)
    bounds = parse_version_range(text)
    inside = all(_OPS[_RANGE_OPS[op]](_version("{}.{}.{}".format(*v)), b) for op, b in bounds)
    assert inside == (low <= v < high)


def test_every_check_rule_carries_its_engines_and_version_range():
    for rule in load_rules().for_scope("config"):
        assert rule.engine_ranges, f"{rule.id}: give `engines:` (engine -> version range) in rules/config.yaml"


def test_a_rule_outside_its_version_range_stays_silent(tmp_path, catalog):
    rules = load_rules()
    spec304 = rules.get("SPEC304")
    base = {"engine": "vllm", "method": "draft_model"}
    assert spec304.applies_to({**base, "engine_version": "0.13.2"})
    assert not spec304.applies_to({**base, "engine_version": "0.14.0"})
    assert not spec304.applies_to({**base, "engine_version": None})  # if_version_unknown: skip
    assert not spec304.applies_to({**base, "engine_version": "0.11.0", "method": "eagle3"})
    assert not spec304.applies_to({**base, "engine": "sglang", "engine_version": "0.11.0"})
    assert rules.get("SPEC303").applies_to({"engine": "vllm", "engine_version": None})  # apply when unknown


@given(data=st.data())
def test_every_catalog_model_resolves_in_every_written_form(catalog, data):
    """Any catalog id, in any case, as a cache snapshot, a local directory, a quantized re-host or a GGUF
    file, resolves to itself (ids whose model part two catalog models share are left out: they must not)."""
    from specadvisor.check.names import _tail_index

    tails = _tail_index(catalog)
    models = [m for m in catalog.models if len(tails[m.id.rsplit("/", 1)[-1].lower()]) == 1]
    model = data.draw(st.sampled_from(models))
    org, _, name = model.id.partition("/")
    cased = "".join(c.upper() if data.draw(st.booleans()) else c.lower() for c in model.id)
    forms = {
        cased: None,
        f"/root/.cache/huggingface/hub/models--{org}--{name}/snapshots/3f2a9c": None,
        f"/srv/models/{name}": None,
        f"SomeQuantizer/{name}-AWQ": "int4",
        f"SomeQuantizer/{name}-FP8-dynamic": "fp8",
        f"/models/{name}-Q8_0.gguf": "q8_0",
        f"someone/{name}-GGUF:Q4_K_M": "q4_k_m",
    }
    for written, fmt in forms.items():
        found = resolve_name(catalog, written)
        assert found is not None and found.id == model.id, (written, found)
        if fmt is not None:
            assert found.weight_format == fmt, written
