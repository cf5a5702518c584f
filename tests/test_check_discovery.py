"""Launch discovery (issue 13 part 1): every launch in the discovery corpus is found, with its model and flags.

The corpus files (tests/corpus/configs/discovery, tests/corpus/markdown) each note the public form they
mimic. Here each file's launches are listed with the engine, the line of the launch and the settings
read from it; the parser and the expansion rules are tested on their own below, with hypothesis for
the round trips.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specadvisor.check.extract import extract_file
from specadvisor.check.launch import Launch, Nested, find_launch, infer_program
from specadvisor.check.shell import LineIndex, Word, line_col, parse_commands
from specadvisor.check.shellenv import Env, assign, expand, read_env_file

CORPUS = Path(__file__).parent / "corpus"
D = CORPUS / "configs" / "discovery"

# file -> [(engine, launch line, {setting: value})]; every launch in the file, in order.
LAUNCHES: dict[str, list[tuple[str, int, dict[str, object]]]] = {
    "llamacpp-vars.sh": [("llamacpp", 15, {"target": "$HOME/models/Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf",
                                           "draft": "$HOME/models/Qwen2.5-Coder-0.5B-Instruct-Q8_0.gguf", "k": 8,
                                           "llamacpp_draft_min": 2})],
    "dotenv/serve.sh": [("llamacpp", 8, {"target": "/srv/models/Llama-3.1-8B-Instruct-Q4_K_M.gguf",
                                         "draft": "/srv/models/Llama-3.2-1B-Instruct-Q8_0.gguf", "k": 6})],
    "vllm-array.sh": [("vllm", 18, {"target": "meta-llama/Llama-3.1-70B-Instruct", "tp": 4, "max_num_seqs": 64,
                                    "draft": "meta-llama/Llama-3.2-1B-Instruct", "k": 4})],
    "sglang-conda.sh": [("sglang", 8, {"target": "meta-llama/Llama-3.1-8B-Instruct", "method": "eagle",
                                       "draft": "yuhuili/EAGLE-LLaMA3.1-Instruct-8B", "sglang_steps": 5,
                                       "sglang_topk": 8, "sglang_num_draft_tokens": 32})],
    "wrappers.sh": [
        ("vllm", 4, {"target": "Qwen/Qwen3-8B", "method": "ngram", "k": 4}),
        ("vllm", 7, {"target": "Qwen/Qwen2.5-32B-Instruct", "tp": 2, "draft": "Qwen/Qwen2.5-1.5B-Instruct", "k": 3}),
        ("llamacpp", 11, {"target": "/models/gemma-3-27b-it-Q4_K_M.gguf", "draft": "/models/gemma-3-1b-it-Q8_0.gguf",
                          "k": 4}),
    ],
    "docker-run.sh": [
        ("vllm", 11, {"target": "Qwen/Qwen3-32B", "draft": "Qwen/Qwen3-1.7B", "k": 4, "engine_version": "0.10.1",
                      "image": "vllm/vllm-openai:v0.10.1"}),
        ("llamacpp", 15, {"target": "/models/Qwen3-8B-Q4_K_M.gguf", "draft": "/models/Qwen3-0.6B-Q8_0.gguf", "k": 8,
                          "image": "ghcr.io/ggml-org/llama.cpp:server-cuda"}),
        ("sglang", 18, {"target": "Qwen/Qwen3-14B", "method": "draft_model", "draft": "Qwen/Qwen3-0.6B", "k": 3,
                        "engine_version": "0.5.2"}),
        ("trtllm", 23, {"target": "meta-llama/Llama-3.1-8B-Instruct", "tp": 1, "engine_version": "1.0.0",
                        "trtllm_config_file": "/app/spec.yaml"}),
    ],
    "heredoc-trtllm.sh": [("trtllm", 15, {"target": "meta-llama/Llama-3.1-8B-Instruct", "trtllm_decoding_type":
                                          "DraftTarget", "k": 4, "draft": "meta-llama/Llama-3.2-1B-Instruct",
                                          "trtllm_disable_overlap": True})],
    "heredoc-kubectl.sh": [("vllm", 19, {"target": "Qwen/Qwen3-8B", "method": "ngram", "k": 3,
                                         "engine_version": "0.11.0"})],
    "broken-continuation.sh": [
        ("vllm", 4, {"target": "meta-llama/Llama-3.1-8B-Instruct", "max_num_seqs": 32,
                     "draft": "meta-llama/Llama-3.2-1B-Instruct", "k": 4}),
        ("llamacpp", 8, {"target": "/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf",
                         "draft": "/models/Qwen2.5-0.5B-Instruct-Q8_0.gguf", "k": 8}),
    ],
    "compose-env/docker-compose.yml": [("vllm", 9, {"target": "Qwen/Qwen3-14B", "draft": "Qwen/Qwen3-0.6B", "k": 3,
                                                    "engine_version": "0.10.2"})],
    "helm/spec-chart/templates/deployment.yaml": [("vllm", 15, {"target": "meta-llama/Llama-3.1-8B-Instruct", "tp": 1,
                                                                "engine_version": "0.10.2"})],
    "helm/spec-chart/values.yaml": [("vllm", 8, {"target": "meta-llama/Llama-3.1-8B-Instruct",
                                                 "draft": "meta-llama/Llama-3.2-1B-Instruct", "k": 4,
                                                 "engine_version": "0.10.2"})],
    "helm/spec-chart/Chart.yaml": [],
    "helm/values-production-stack.yaml": [("vllm", 10, {"target": "meta-llama/Llama-3.1-8B-Instruct", "tp": 1,
                                                        "max_num_seqs": 32, "method": "eagle", "k": 3,
                                                        "draft": "yuhuili/EAGLE-LLaMA3.1-Instruct-8B",
                                                        "engine_version": "0.9.2"})],
    "kustomize/overlays/eagle/kustomization.yaml": [("vllm", 18, {"target": "Qwen/Qwen3-8B", "max_num_seqs": 16,
                                                                  "draft": "Qwen/Qwen3-0.6B", "k": 4,
                                                                  "engine_version": "0.11.0"})],
    "kustomize/overlays/draft/kustomization.yaml": [],
    "kustomize/overlays/draft/patch-args.yaml": [("sglang", 12, {"target": "Qwen/Qwen2.5-14B-Instruct",
                                                                 "method": "draft_model",
                                                                 "draft": "Qwen/Qwen2.5-1.5B-Instruct", "k": 3})],
    "kustomize/overlays/draft/patch-6902.yaml": [("vllm", 6, {"target": "mistralai/Mistral-7B-Instruct-v0.3", "tp": 2,
                                                              "method": "ngram", "k": 5})],
    "systemd/llama-server.service": [("llamacpp", 8, {"target": "/var/lib/models/Llama-3.3-70B-Instruct-Q4_K_M.gguf",
                                                      "draft": "/var/lib/models/Llama-3.2-1B-Instruct-Q8_0.gguf",
                                                      "k": 16, "llamacpp_draft_min": 4})],
    "docker/Dockerfile.sglang": [("sglang", 7, {"target": "Qwen/Qwen3-32B", "tp": 2, "draft": "Qwen/Qwen3-1.7B",
                                                "k": 4, "engine_version": "0.5.2"})],
    "docker/Dockerfile.vllm-args": [("vllm", 3, {"target": "Qwen/Qwen3-8B", "draft": "Qwen/Qwen3-0.6B", "k": 4,
                                                 "engine_version": "0.10.2"})],
    "k8s-env-args.yaml": [
        ("vllm", 16, {"target": "meta-llama/Llama-3.1-8B-Instruct", "draft": "meta-llama/Llama-3.2-1B-Instruct"}),
        ("sglang", 27, {"target": "Qwen/Qwen3-8B", "draft": "Qwen/Qwen3-0.6B", "k": 3, "engine_version": "0.5.2"}),
    ],
    "compose-env/.env": [],
    "dotenv/.env": [],
    "windows/serve.bat": [("llamacpp", 5, {"target": "/d/models/Qwen2.5-14B-Instruct-Q4_K_M.gguf",
                                           "draft": "/d/models/Qwen2.5-0.5B-Instruct-Q8_0.gguf", "k": 8})],
    "windows/serve.ps1": [("llamacpp", 3, {"target": "/c/llm/models/gemma-3-12b-it-Q4_K_M.gguf",
                                           "draft": "/c/llm/models/gemma-3-1b-it-Q8_0.gguf", "k": 6})],
    "ci/bench-workflow.yml": [("vllm", 12, {"target": "Qwen/Qwen3-8B", "method": "ngram", "k": 3})],
    "ci/dstack-service.yml": [("sglang", 7, {"target": "meta-llama/Llama-3.1-8B-Instruct", "method": "eagle",
                                             "engine_version": "0.5.2"})],
    "k8s-configmap-argo.yaml": [
        ("vllm", 11, {"target": "meta-llama/Llama-3.1-8B-Instruct", "draft": "meta-llama/Llama-3.2-1B-Instruct", "k": 4}),
        ("vllm", 23, {"target": "Qwen/Qwen3-8B", "method": "ngram", "engine_version": "0.11.0"}),
    ],
    "kserve-storage-uri.yaml": [("vllm", 12, {"target": "Qwen/Qwen3-8B", "method": "ngram", "k": 3})],
    "make/Makefile": [("vllm", 11, {"target": "Qwen/Qwen3-32B", "tp": 2, "draft": "Qwen/Qwen3-1.7B", "k": 4})],
    "bench-functions.sh": [  # one launch per call of the function, with that call's arguments
        ("sglang", 9, {"target": "Qwen/Qwen3-8B", "draft": "Qwen/Qwen3-0.6B", "tp": 1, "k": 3}),
        ("sglang", 9, {"target": "Qwen/Qwen3-32B", "draft": "Qwen/Qwen3-1.7B", "tp": 2, "k": 3}),
    ],
}


def test_every_discovery_file_is_listed():
    files = sorted(p.relative_to(D).as_posix() for p in D.rglob("*") if p.is_file())
    assert files == sorted(LAUNCHES)


@pytest.mark.parametrize("rel", sorted(LAUNCHES))
def test_each_launch_is_found_with_its_model_and_flags(rel):
    sites, problems = extract_file(D / rel)
    assert not [p for p in problems if p[0] == "parse-error"]
    got = [(s.engine, s.start.line) for s in sites]
    assert got == [(e, line) for e, line, _ in LAUNCHES[rel]], [(s.engine, s.start, s.values) for s in sites]
    for site, (_, _, want) in zip(sites, LAUNCHES[rel], strict=True):
        for key, value in want.items():
            assert site.values.get(key) == value, (rel, key, site.values)


def test_the_flag_lines_after_a_broken_continuation_are_a_finding_at_that_line():
    sites, _ = extract_file(D / "broken-continuation.sh")
    problems = [(kind, loc.line, loc.col) for s in sites for kind, loc, _ in s.problems]
    assert problems == [("broken-continuation", 5, 21), ("broken-continuation", 9, 3)]


def test_markdown_blocks_are_read_only_when_asked():
    md = CORPUS / "markdown" / "README.md"
    sites, _ = extract_file(md, markdown=True)
    assert [(s.engine, s.start.line, s.values.get("target"), s.values.get("k")) for s in sites] == [
        ("vllm", 8, "Qwen/Qwen3-8B", 4), ("llamacpp", 15, "Qwen3-8B-Q4_K_M.gguf", 8)]
    from specadvisor.check import kinds

    assert kinds.file_kind(md) is None  # a directory walk skips Markdown without --markdown
    assert kinds.file_kind(md, markdown=True) == "markdown"


def test_check_markdown_flag_and_help(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from specadvisor.cli.app import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "README.md").write_text((CORPUS / "markdown" / "README.md").read_text())
    plain = CliRunner().invoke(app, ["check", str(tmp_path), "--format", "json"])
    asked = CliRunner().invoke(app, ["check", str(tmp_path), "--format", "json", "--markdown"])
    assert "0 file(s) checked" in plain.stderr
    assert "1 file(s) checked" in asked.stderr
    help_text = CliRunner().invoke(app, ["check", "--help"]).output
    assert "directory" in help_text and "--markdown" in help_text


def test_a_helm_template_that_does_not_parse_is_never_unreadable(tmp_path):
    tpl = tmp_path / "chart" / "templates" / "deploy.yaml"
    tpl.parent.mkdir(parents=True)
    tpl.write_text("spec:\n  containers:\n    - name: x\n      image: vllm/vllm-openai:v0.11.0\n"
                   "      args: [--model, {{ .Values.model }}]\n{{- if .Values.x }}\n  bad: [\n{{- end }}\n")
    sites, problems = extract_file(tpl)
    assert problems == []


# -- the parser ------------------------------------------------------------------------------------


def _texts(script: str) -> list[list[str]]:
    return [[w.text for w in c.words] for c in parse_commands(script)]


def test_heredoc_bodies_and_redirections_are_not_commands():
    script = "cat > a.yaml <<'EOF'\nvllm serve x\nEOF\nnohup vllm serve m > log 2>&1 &\necho ok\n"
    assert _texts(script) == [["cat"], ["nohup", "vllm", "serve", "m"], ["echo", "ok"]]
    cmds = parse_commands(script)
    assert cmds[0].redirects[0][0] == ">" and cmds[0].heredocs[0].expand is False
    assert script[cmds[0].heredocs[0].start:cmds[0].heredocs[0].end] == "vllm serve x\n"


def test_an_array_spans_lines_and_comments():
    cmds = parse_commands("args=(\n  --model m   # the target\n  --tp 2\n)\nvllm serve \"${args[@]}\"\n")
    assert [w.text for w in cmds[0].words[0].array or ()] == ["--model", "m", "--tp", "2"]


def test_backslash_then_blanks_ends_the_command_and_is_recorded():
    text = "vllm serve m \\  \n  --tp 2\n"
    cmds = parse_commands(text)
    assert [[w.text for w in c.words] for c in cmds] == [["vllm", "serve", "m"], ["--tp", "2"]]
    assert cmds[0].broken == text.index("\\")


def test_line_index_agrees_with_line_col():
    text = "a\nbb\n\nccc\n"
    idx = LineIndex(text)
    assert all(idx.line_col(o) == line_col(text, o) for o in range(len(text) + 1))


# -- expansion -------------------------------------------------------------------------------------


def _run(script: str) -> tuple[Env, list[list[str]]]:
    """Assignments applied in order; the expanded fields of every other command."""
    env = Env()
    out = []
    for c in parse_commands(script):
        if c.words and all(assign(w, env) for w in c.words if "=" in w.text) and all("=" in w.text for w in c.words):
            continue
        out.append([f.text for w in c.words for f in expand(w, env)])
    return env, out


def test_defaults_assignments_and_unknowns():
    _, out = _run('M=${M:-"Qwen/Qwen3-8B"}\nD=${UNSET:-$HOME/d}\nE=\necho $M "$D" ${E:-e} ${M#Qwen/} $NOPE "$@"\n')
    assert out == [["echo", "Qwen/Qwen3-8B", "$HOME/d", "e", "Qwen3-8B", "$NOPE"]]


def test_unquoted_expansion_splits_and_quoted_array_keeps_elements():
    _, out = _run("X='--tp 2'\nA=('a b' c)\nvllm serve $X \"${A[@]}\" ${A[@]}\n")
    assert out == [["vllm", "serve", "--tp", "2", "a b", "c", "a", "b", "c"]]


def test_a_pure_expansion_points_at_the_assignment():
    text = "MODEL=Qwen/Qwen3-8B\nvllm serve $MODEL\n"
    env = Env()
    cmds = parse_commands(text)
    assign(cmds[0].words[0], env)
    fields = [f for w in cmds[1].words for f in expand(w, env)]
    assert fields[2].offset == text.index("Qwen")


def test_env_file_lines():
    env = read_env_file("# c\nexport A=1\nB='x y'\nC=\"q\" \nD=v # note\n")
    assert {k: w.text for k, w in env.items()} == {"A": "1", "B": "x y", "C": "q", "D": "v"}


_safe = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters="-_./:=,{}\" "),
                min_size=1, max_size=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(_safe, min_size=1, max_size=8))
def test_a_quoted_array_round_trips(elements):
    quoted = " ".join("'" + e.replace("'", "'\\''") + "'" for e in elements)
    _, out = _run(f"a=(\n {quoted}\n)\nvllm serve m \"${{a[@]}}\"\n")
    assert out == [["vllm", "serve", "m", *elements]]


@settings(max_examples=60, deadline=None)
@given(_safe, st.booleans())
def test_a_default_applies_only_when_unset(value, preset):
    pre = "X=set\n" if preset else ""
    _, out = _run(pre + "X=${X:-'" + value.replace("'", "'\\''") + "'}\necho \"$X\"\n")
    assert out == [["echo", "set" if preset else value]]


# -- launches --------------------------------------------------------------------------------------


def _w(*texts: str) -> list[Word]:
    return [Word(t, i) for i, t in enumerate(texts)]


@pytest.mark.parametrize(("words", "program"), [
    (("exec", "nohup", "vllm", "serve", "m"), ["vllm", "serve", "m"]),
    (("conda", "run", "-n", "vllm", "--no-capture-output", "vllm", "serve", "m"), ["vllm", "serve", "m"]),
    (("uv", "run", "--with", "sglang", "python", "-m", "sglang.launch_server", "--model-path", "m"),
     ["python3", "-m", "sglang.launch_server", "--model-path", "m"]),
    (("$PY", "-u", "-m", "vllm.entrypoints.openai.api_server", "--model", "m"),
     ["python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "m"]),
    (("kubectl", "exec", "pod", "--", "llama-server", "-m", "x.gguf"), ["llama-server", "-m", "x.gguf"]),
    (("A=1", "taskset", "-c", "0-7", "/opt/bin/llama-server", "-m", "x.gguf"), ["/opt/bin/llama-server", "-m", "x.gguf"]),
    (("docker", "run", "--rm", "-it", "--gpus", "all", "vllm/vllm-openai:v0.11.0", "--model", "m"),
     ["vllm", "serve", "--model", "m"]),
    (("podman", "run", "ghcr.io/ggml-org/llama.cpp:full", "--server", "-m", "x.gguf"), ["llama-server", "-m", "x.gguf"]),
    (("mpirun", "-np", "8", "-x", "HF_HOME=/hf", "$VBIN/trtllm-llmapi-launch", "$VBIN/trtllm-serve", "serve", "m"),
     ["$VBIN/trtllm-serve", "m"]),
])
def test_find_launch_strips_wrappers(words, program):
    found = find_launch(_w(*words))
    assert isinstance(found, Launch) and [w.text for w in found.words] == program


@pytest.mark.parametrize("words", [
    ("pip", "install", "vllm"), ("cmake", "--build", "build", "--target", "llama-server"),
    ("pkill", "-f", "llama-server"), ("echo", "vllm serve m"), ("which", "vllm"),
])
def test_find_launch_ignores_commands_that_only_mention_an_engine(words):
    assert find_launch(_w(*words)) is None


@pytest.mark.parametrize("words", [("sudo", "-E", "bash", "-c", "vllm serve m"), ("bash", "-lc", "vllm serve m"),
                                   ("tmux", "send-keys", "-t", "s", "vllm serve m", "C-m"),
                                   ("eval", "vllm serve m"), ("tmux", "new", "-d", "-s", "x", "vllm serve m"),
                                   ("ssh", "gpu1", "vllm serve m")])
def test_shell_strings_are_nested_scripts(words):
    found = find_launch(_w(*words))
    assert isinstance(found, Nested) and found.script.text == "vllm serve m"


def test_eval_of_a_command_string_built_with_conditional_flags(tmp_path):
    p = tmp_path / "run.sh"
    p.write_text('CMD="vllm serve m --port 8000"\nif [ "$SPEC" = 1 ]; then\n  CMD="$CMD --speculative-config '
                 "'{\\\"model\\\": \\\"d\\\", \\\"num_speculative_tokens\\\": 3}'\"\nfi\neval \"$CMD\"\n")
    sites, _ = extract_file(p)
    assert [(s.values.get("target"), s.values.get("draft"), s.values.get("k")) for s in sites] == [("m", "d", 3)]


def test_flags_alone_name_their_engine():
    assert infer_program(["--model-path", "m", "--speculative-algorithm", "EAGLE"])[-1] == "sglang.launch_server"
    assert infer_program(["-m", "a.gguf", "-md", "b.gguf"]) == ("llama-server",)
    assert infer_program(["--model", "m"]) == ()


def test_discovery_stays_linear_on_a_large_script(tmp_path):
    """20x the lines must not cost much more than 20x the time (no quadratic step)."""
    unit = ('M=${M:-Qwen/Qwen3-8B}\nargs=(--model "$M" --tp 2)\nvllm serve "${args[@]}" \\\n'
            "  --speculative-config '{\"model\": \"Qwen/Qwen3-0.6B\", \"num_speculative_tokens\": 4}'\n"
            "echo $(date) `x`\n")
    small, large = tmp_path / "small.sh", tmp_path / "large.sh"
    small.write_text(unit * 100 + "echo $(\n")
    large.write_text(unit * 2000 + "echo $(\n")

    def cost(p: Path) -> float:
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            sites, _ = extract_file(p)
            best = min(best, time.perf_counter() - t0)
        return best

    assert len(extract_file(large)[0]) == 2000
    assert cost(large) < 60 * cost(small) + 0.5


def test_a_line_this_parser_cannot_read_is_skipped_unless_it_is_a_launch(tmp_path):
    p = tmp_path / "run.sh"
    p.write_text("echo 'it is\nvllm serve Qwen/Qwen3-8B --tensor-parallel-size 2\n")
    sites, _ = extract_file(p)
    assert [(s.engine, s.values.get("target"), s.problems) for s in sites] == [("vllm", "Qwen/Qwen3-8B", [])]
    p.write_text("vllm serve Qwen/Qwen3-8B --speculative-config '{\"model\": \"Qwen/Qwen3-0.6B\"}\n")
    sites, _ = extract_file(p)
    assert [(kind, loc.line, loc.col) for s in sites for kind, loc, _ in s.problems] == [("parse-error", 1, 47)]


def test_chart_values_with_a_model_key_beside_the_flag_list(tmp_path):
    p = tmp_path / "values.yaml"
    p.write_text("llm:\n  image:\n    repository: vllm/vllm-openai\n    tag: v0.11.2\n  model: Qwen/Qwen3-8B\n"
                 "  extraArgs:\n    - --speculative-config\n    - '{\"method\": \"ngram\", \"num_speculative_tokens\": 4}'\n")
    sites, problems = extract_file(p)
    assert problems == []
    assert [(s.engine, s.values.get("target"), s.values.get("method"), s.values.get("engine_version")) for s in sites] \
        == [("vllm", "Qwen/Qwen3-8B", "ngram", "0.11.2")]


def test_a_helm_if_else_keeps_the_first_branch_only(tmp_path):
    tpl = tmp_path / "chart" / "templates" / "deploy.yaml"
    tpl.parent.mkdir(parents=True)
    tpl.write_text("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
                   "        - name: vllm\n          image: vllm/vllm-openai:v0.11.0\n          command:\n"
                   "          {{- if .Values.lmcache }}\n          - /opt/venv/bin/vllm\n          {{- else }}\n"
                   "          - vllm\n          {{- end }}\n          - serve\n          - {{ .Values.model | quote }}\n")
    sites, problems = extract_file(tpl)
    assert problems == [] and [(s.engine, s.values.get("target")) for s in sites] == [("vllm", "${HELM}")]


_FRAGMENTS = ["vllm serve m ", "llama-server -m a.gguf -md b.gguf ", "docker run img ", "A=1 ", "${A:-x} ", '"${a[@]}" ',
              "a=(", ")", "<<EOF\n", "EOF\n", "<<'X'\n", "X\n", "$(", "`", "'", '"', "\\\n", "\\  \n", "\n", "  --tp 2",
              "{{ .Values.x }}", "{{- if .a }}\n", "{{- end }}\n", "```bash\n", "```\n", "f() {", "}", "; ", "| ", "&& ",
              "eval ", "bash -c ", "--speculative-config '{\"model\": \"d\"}' ", "#", "$1 ", "shift ", "export X=y "]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40), st.sampled_from(["s.sh", "Makefile", "x.bat", "README.md",
                                                                           "templates/t.yaml", "Dockerfile"]))
def test_discovery_never_raises_on_any_text(tmp_path_factory, parts, name):
    d = tmp_path_factory.mktemp("fuzz")
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(parts))
    sites, problems = extract_file(p, markdown=True)
    for s in sites:
        for _, loc, _ in s.problems:
            assert loc.line >= 1 and loc.col >= 1


@pytest.mark.parametrize(("name", "text", "reported"), [
    ("mkdocs.yml", "site_name: x\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:m.twemoji\n",
     False),
    ("stack.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Name: !Sub \"${AWS::StackName}\"\n",
     False),
    ("compose.yaml", "services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    command: [--model, x\n", True),
])
def test_broken_yaml_of_another_tool_is_not_a_finding(tmp_path, name, text, reported):
    p = tmp_path / name
    p.write_text(text)
    _, problems = extract_file(p)
    assert bool(problems) is reported


def test_getopts_defaults_a_sourced_file_and_an_env_example(tmp_path):
    (tmp_path / "common.sh").write_text("TP=2\n")
    (tmp_path / ".env.example").write_text("DRAFT=Qwen/Qwen3-0.6B\n")
    p = tmp_path / "run.sh"
    p.write_text('MODEL=Qwen/Qwen3-8B\nwhile getopts "m:" o; do case $o in m) MODEL=$OPTARG ;; esac; done\n'
                 'DIR=$(cd "$(dirname "$0")" && pwd)\nsource "$DIR/common.sh"\n'
                 'vllm serve $MODEL -tp $TP '
                 '--speculative-config "{\\"model\\": \\"$DRAFT\\", \\"num_speculative_tokens\\": 4}"\n')
    sites, _ = extract_file(p)
    assert [(s.values.get("target"), s.values.get("tp"), s.values.get("draft")) for s in sites] == [
        ("Qwen/Qwen3-8B", 2, "Qwen/Qwen3-0.6B")]


def test_a_walk_reads_extensionless_scripts_with_a_shell_shebang(tmp_path):
    from specadvisor.check.run import expand

    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "serve").write_text("#!/usr/bin/env bash\nvllm serve Qwen/Qwen3-8B\n")
    (tmp_path / "scripts" / "notes").write_text("vllm serve is how we start it\n")
    (tmp_path / "LICENSE").write_text("MIT\n")
    assert [p.name for p in expand([str(tmp_path)])] == ["serve"]
