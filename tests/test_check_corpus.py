"""`specadvisor check` over a corpus of realistic deployment configs (tests/corpus/configs).

Every file in the corpus has its exact findings, (rule, line, column), written down here: a change
in an extractor, a rule or a position shows up as a diff against this table. Files that expose a
known checker bug carry the findings the checker *should* produce and are marked xfail(strict=True)
with the reason, so that fixing the bug turns them into failures that ask for the mark to go.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from specadvisor.check.config import CheckConfig
from specadvisor.check.run import check_paths
from specadvisor.cli.app import app
from specadvisor.model.coefficients import load_coefficients
from specadvisor.rules.engine import load_rules

CORPUS = Path(__file__).parent / "corpus" / "configs"

# relative path -> findings (rule, line, column); [] means the file must come out clean.
EXPECTED: dict[str, list[tuple[str, int, int]]] = {
    "broken/malformed.yaml": [("SPEC391", 8, 1)],
    "broken/unclosed-flow.yaml": [("SPEC391", 12, 11)],  # PyYAML's problem mark: `ports` on line 12
    "broken/unterminated-json.sh": [("SPEC390", 3, 24)],
    "clean/serve-llama.sh": [],
    "compose/compose.sglang.yaml": [("SPEC310", 9, 31)],
    "compose/docker-compose.vllm.yml": [("SPEC305", 23, 137)],
    "compose/ollama.compose.yml": [("SPEC341", 7, 66)],
    "docker/Dockerfile": [("SPEC242", 5, 117)],
    "docker/Dockerfile.legacy": [("SPEC303", 4, 53)],
    "docker/Dockerfile.multiline": [("SPEC304", 4, 28)],
    "k8s/kserve-custom-container.yaml": [("SPEC111", 23, 15), ("SPEC113", 23, 15)],
    "k8s/kserve-llama3.yaml": [("SPEC306", 16, 56)],
    "k8s/llama-70b-deployment.yaml": [("SPEC301", 26, 137)],
    "k8s/qwen3-stack.yaml": [("SPEC304", 25, 40)],
    "k8s/vllm-default-entrypoint.yaml": [("SPEC304", 22, 17)],
    # an 8B Q4_K_M target is too fast on the default H100 for a 1B Q8_0 draft at k=4 to pay
    "llamacpp/bench-speculative.sh": [("SPEC115", 4, 40), ("SPEC243", 6, 111), ("SPEC330", 6, 125)],
    # --draft-p-min 0.8 makes --draft-max 16 a cap, not the draft length: nothing to flag
    "llamacpp/serve-coder.sh": [],
    "sglang/launch_chain.sh": [("SPEC311", 5, 87)],
    "sglang/launch_standalone.sh": [("SPEC111", 6, 34)],
    "tgi/tgi-deployment.yaml": [("SPEC340", 17, 69)],
    "trtllm/draft-target-broken.yaml": [("SPEC320", 5, 18), ("SPEC321", 4, 3), ("SPEC322", 4, 3)],
    "trtllm/extra-llm-api-config.yml": [],
    "vllm/serve-equals-form.sh": [("SPEC306", 3, 66)],
    "vllm/serve-suppressed.sh": [],
    "vllm/specadvisor.yaml": [("SPEC240", 6, 8), ("SPEC241", 6, 8)],
    "vllm/vllm-config.yaml": [("SPEC302", 10, 25)],
}

# Launch discovery (issue 13 part 1): every file notes the public form it mimics; what each launch reads
# (engine, model, flags) is asserted in tests/test_check_discovery.py. Findings as the rules give them today.
EXPECTED.update({
    "discovery/bench-functions.sh": [],
    "discovery/broken-continuation.sh": [("SPEC113", 9, 7), ("SPEC243", 9, 59), ("SPEC392", 5, 21), ("SPEC392", 9, 3)],
    "discovery/ci/bench-workflow.yml": [],
    "discovery/ci/dstack-service.yml": [("SPEC310", 7, 203)],
    "discovery/compose-env/.env": [],
    "discovery/compose-env/docker-compose.yml": [("SPEC304", 12, 11)],
    "discovery/docker-run.sh": [("SPEC243", 15, 80), ("SPEC304", 12, 26)],
    "discovery/docker/Dockerfile.sglang": [],
    "discovery/docker/Dockerfile.vllm-args": [("SPEC304", 3, 61)],
    "discovery/dotenv/.env": [],
    "discovery/dotenv/serve.sh": [("SPEC243", 12, 15)],
    "discovery/helm/spec-chart/Chart.yaml": [],
    "discovery/helm/spec-chart/templates/deployment.yaml": [],  # a template is never "unreadable"
    "discovery/helm/spec-chart/values.yaml": [("SPEC304", 11, 7)],
    "discovery/helm/values-production-stack.yaml": [],
    "discovery/heredoc-kubectl.sh": [],
    "discovery/heredoc-trtllm.sh": [],
    "discovery/k8s-configmap-argo.yaml": [],
    "discovery/k8s-env-args.yaml": [("SPEC304", 16, 70)],
    "discovery/kserve-storage-uri.yaml": [],
    "discovery/kustomize/overlays/draft/kustomization.yaml": [],
    "discovery/kustomize/overlays/draft/patch-6902.yaml": [],
    "discovery/kustomize/overlays/draft/patch-args.yaml": [("SPEC111", 17, 15), ("SPEC310", 19, 16)],
    "discovery/kustomize/overlays/eagle/kustomization.yaml": [("SPEC304", 24, 38)],
    "discovery/make/Makefile": [],
    "discovery/llamacpp-vars.sh": [("SPEC113", 17, 9)],
    "discovery/sglang-conda.sh": [],
    "discovery/systemd/llama-server.service": [],
    "discovery/vllm-array.sh": [],
    "discovery/windows/serve.bat": [("SPEC113", 6, 7)],
    "discovery/windows/serve.ps1": [],
    "discovery/wrappers.sh": [("SPEC111", 9, 26)],
})

# Subdirectories with their own table in another test module (tests/test_check_forms.py: the speculative
# forms by engine version, method awareness, name resolution and the launches read).
OWN_TABLES = ("forms/",)

# Files whose expected findings above are right but which the checker gets wrong today.
KNOWN_BUGS: dict[str, str] = {
}


def _corpus_files(every: bool = False) -> list[str]:
    """Corpus files a directory walk checks (`every`: those of OWN_TABLES too)."""
    files = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()
                   and not p.name.startswith("requirements"))
    return files if every else [f for f in files if not f.startswith(OWN_TABLES)]


@pytest.fixture(scope="module")
def corpus_result(catalog):
    return check_paths([str(CORPUS)], catalog, load_coefficients(), load_rules(), CheckConfig())


def _found(result, rel: str) -> list[tuple[str, int, int]]:
    path = CORPUS / rel
    return sorted((f.rule, f.line, f.col) for f in result.findings if Path(f.path) == path)


def test_corpus_is_large_and_fully_described():
    files = _corpus_files()
    assert len(files) >= 15
    assert files == sorted(EXPECTED), "every corpus file needs an entry in EXPECTED (and no stale entries)"
    assert set(KNOWN_BUGS) <= set(EXPECTED)


def test_directory_walk_picks_up_every_corpus_file(corpus_result):
    checked = sorted(Path(f).relative_to(CORPUS).as_posix() for f in corpus_result.files)
    assert checked == _corpus_files(every=True)


def test_only_the_inline_suppressions_are_suppressed(corpus_result):
    assert corpus_result.suppressed == 2


def _params():
    out = []
    for rel in sorted(EXPECTED):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[rel])] if rel in KNOWN_BUGS else []
        out.append(pytest.param(rel, id=rel, marks=marks))
    return out


@pytest.mark.parametrize("rel", _params())
def test_corpus_file_findings(corpus_result, rel):
    assert _found(corpus_result, rel) == sorted(EXPECTED[rel])


def test_check_cli_over_the_corpus_exits_1_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = CliRunner().invoke(app, ["check", str(CORPUS), "--format", "text"], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{len(_corpus_files(every=True))} file(s) checked" in result.stderr
    assert "2 suppressed" in result.stderr
