"""`specadvisor check` through typer's CliRunner: exit codes, formats, --output, .specadvisor.yaml, suppressions.

Every test runs in its own empty working directory (so no .specadvisor.yaml from the checkout's parents
is picked up) with GITHUB_ACTIONS unset (so `--format auto` means text even when CI is GitHub Actions).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from specadvisor.cli.app import app

CORPUS = Path(__file__).parent / "corpus" / "configs"
CLEAN = CORPUS / "clean" / "serve-llama.sh"
MALFORMED = CORPUS / "broken" / "malformed.yaml"
SUPPRESSED = CORPUS / "vllm" / "serve-suppressed.sh"
INFO_ONLY = CORPUS / "sglang" / "launch_chain.sh"  # one SPEC311 (info)

# k=12 for Qwen3-8B + Qwen3-0.6B: one SPEC241 warning at batch 1, SPEC240 too at batch 64.
WARNING_ONLY = """\
#!/bin/sh
vllm serve Qwen/Qwen3-8B --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 12}'
"""
# A cross-tokenizer pair (SPEC110) with a draft TP that vLLM refuses (SPEC301).
ERRORS = """\
vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4 \\
  --speculative-config '{"model": "Qwen/Qwen2.5-1.5B-Instruct", "num_speculative_tokens": 4, "draft_tensor_parallel_size": 2}'
"""


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def check(*args: str):
    result = CliRunner().invoke(app, ["check", *args], catch_exceptions=True, env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"specadvisor check {' '.join(args)} crashed") from result.exception
    assert "Traceback" not in result.output
    return result


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


def findings(result) -> list[dict]:
    return json.loads(result.stdout)["findings"]


def assert_usage_error(result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    for needle in needles:
        assert needle in result.stderr, result.stderr


# -- exit codes ------------------------------------------------------------------------------------


def test_clean_file_exits_0_with_no_payload():
    result = check(str(CLEAN))
    assert result.exit_code == 0, result.output
    assert all(line.startswith("# ") for line in result.stdout.splitlines())  # only the launches read
    assert check(str(CLEAN), "--no-launches").stdout == ""
    assert "1 file(s) checked, 0 finding(s)" in result.stderr


def test_errors_exit_1(tmp_path):
    path = write(tmp_path / "serve.sh", ERRORS)
    result = check(path, "--format", "json")
    assert result.exit_code == 1
    assert {f["rule"] for f in findings(result)} == {"SPEC110", "SPEC301"}
    assert "(2 error, 0 warning, 0 info)" in result.stderr


def test_warnings_pass_by_default_and_fail_with_fail_on_warning(tmp_path):
    path = write(tmp_path / "serve.sh", WARNING_ONLY)
    default = check(path, "--format", "json")
    assert default.exit_code == 0
    assert [f["rule"] for f in findings(default)] == ["SPEC241"]
    assert check(path, "--fail-on", "warning").exit_code == 1
    assert check(path, "--fail-on", "error").exit_code == 0


def test_fail_on_info():
    assert check(str(INFO_ONLY)).exit_code == 0
    assert check(str(INFO_ONLY), "--fail-on", "warning").exit_code == 0
    assert check(str(INFO_ONLY), "--fail-on", "info").exit_code == 1


def test_exit_zero_still_reports(tmp_path):
    path = write(tmp_path / "serve.sh", ERRORS)
    result = check(path, "--exit-zero", "--format", "text")
    assert result.exit_code == 0
    assert "SPEC110" in result.stdout and "SPEC301" in result.stdout
    assert "2 finding(s)" in result.stderr


def test_missing_path_is_a_usage_error(tmp_path):
    assert_usage_error(check(str(tmp_path / "nope.yaml")), "nope.yaml", "no such file or directory")


def test_glob_matching_nothing_is_a_usage_error(tmp_path):
    assert_usage_error(check(str(tmp_path / "deploy" / "*.yaml")), "no files match")


def test_missing_config_file_is_a_usage_error(tmp_path):
    assert_usage_error(check(str(CLEAN), "--config", str(tmp_path / "missing.yaml")), "--config", "missing.yaml")


def test_unknown_rule_in_select_is_a_usage_error():
    assert_usage_error(check(str(CLEAN), "--select", "SPEC999"), "no rule matches 'SPEC999'")
    assert_usage_error(check(str(CLEAN), "--ignore", "no-such-rule"), "no rule matches 'no-such-rule'")


def test_bad_numbers_and_names_are_usage_errors():
    assert_usage_error(check(str(CLEAN), "--batch-size", "0"), "--batch-size")
    assert_usage_error(check(str(CLEAN), "--hardware", "tpu-v9"), "tpu-v9")
    assert check(str(CLEAN), "--format", "xml").exit_code == 2


def test_malformed_yaml_is_a_finding_not_a_crash():
    result = check(str(MALFORMED), "--format", "json")
    assert result.exit_code == 1
    (f,) = findings(result)
    assert (f["rule"], f["name"], f["severity"], f["line"]) == ("SPEC391", "unreadable-config", "error", 8)
    assert "invalid YAML" in f["message"]


def test_non_utf8_file_is_a_finding(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_bytes(b"model: Qwen/Qwen3-8B\nspeculative_config: \xff\xfe\n")
    result = check(str(path), "--format", "json")
    assert result.exit_code == 1
    assert [f["rule"] for f in findings(result)] == ["SPEC391"]


def test_parse_errors_do_not_stop_other_files(tmp_path):
    ok = write(tmp_path / "a" / "serve.sh", ERRORS)
    result = check(str(MALFORMED), ok, "--format", "json")
    assert result.exit_code == 1
    assert sorted(f["rule"] for f in findings(result)) == ["SPEC110", "SPEC301", "SPEC391"]
    assert "2 file(s) checked" in result.stderr


# -- formats and --output --------------------------------------------------------------------------


def test_text_format_lines(tmp_path):
    path = write(tmp_path / "serve.sh", ERRORS)
    result = check(path, "--format", "text")
    lines = [ln for ln in result.stdout.splitlines() if ln and not ln.startswith("# ")]
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:2:26: error SPEC110 [config-tokenizer-mismatch] ")
    assert lines[1].startswith(f"{path}:2:")
    assert " error SPEC301 [vllm-draft-tp-mismatch] " in lines[1]


def test_json_format_has_a_schema_version_and_every_field(tmp_path):
    path = write(tmp_path / "serve.sh", ERRORS)
    doc = json.loads(check(path, "--format", "json").stdout)
    assert doc["schema_version"] == 1
    assert doc["files_checked"] == 1 and doc["suppressed"] == 0
    f = doc["findings"][0]
    assert set(f) == {"rule", "name", "severity", "message", "remediation", "file", "line", "column"}
    assert (f["rule"], f["file"], f["line"], f["column"]) == ("SPEC110", path, 2, 26)
    assert f["remediation"].endswith(".")


def test_json_for_a_clean_file_is_still_a_document():
    doc = json.loads(check(str(CLEAN), "--format", "json").stdout)
    assert doc["schema_version"] == 1 and doc["findings"] == [] and doc["files_checked"] == 1


def test_github_format_lines(tmp_path):
    path = write(tmp_path / "serve.sh", ERRORS)
    result = check(path, "--format", "github")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"::error file={path},line=2,col=26,title=SPEC110 config-tokenizer-mismatch::")
    assert lines[1].startswith(f"::error file={path},line=2,")
    assert all("\n" not in line for line in lines)


def test_github_levels_and_property_escaping(tmp_path):
    path = write(tmp_path / "a,b:c" / "serve.sh", WARNING_ONLY)
    line = check(path, "--format", "github").stdout.strip()
    assert line.startswith("::warning file=")
    assert "a%2Cb%3Ac" in line  # ',' and ':' are escaped inside properties
    assert check(str(INFO_ONLY), "--format", "github").stdout.startswith("::notice file=")


def test_auto_format_is_github_under_github_actions(tmp_path, monkeypatch):
    path = write(tmp_path / "serve.sh", ERRORS)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert check(path).stdout.startswith("::error file=")
    assert check(path, "--format", "auto").stdout.startswith("::error file=")
    assert check(path, "--format", "text").stdout.startswith(f"{path}:2:26: error SPEC110")


def test_auto_format_is_text_elsewhere(tmp_path, monkeypatch):
    path = write(tmp_path / "serve.sh", ERRORS)
    assert check(path).stdout.startswith(f"{path}:2:26: error SPEC110")
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert check(path).stdout.startswith(f"{path}:2:26: error SPEC110")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path, fmt):
    path = write(tmp_path / "in" / "serve.sh", ERRORS)
    out = tmp_path / "out" / f"report.{fmt}"
    out.parent.mkdir()
    result = check(path, "--format", fmt, "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "2 finding(s)" in result.stderr
    assert out.read_text() == check(path, "--format", fmt).stdout
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left behind


def test_output_file_is_replaced_not_appended(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("stale\n")
    assert check(str(CLEAN), "--format", "json", "--output", str(out)).exit_code == 0
    assert json.loads(out.read_text())["findings"] == []


# -- .specadvisor.yaml -----------------------------------------------------------------------------


def _two_kinds(tmp_path) -> str:
    """SPEC110 + SPEC301 (errors) and SPEC241 (warning) in one script."""
    return write(tmp_path / "deploy" / "serve.sh", ERRORS + WARNING_ONLY.split("\n", 1)[1])


def test_config_is_discovered_in_the_working_directory(tmp_path):
    path = _two_kinds(tmp_path)
    write(tmp_path / ".specadvisor.yaml", "select: [SPEC3]\n")
    result = check(path, "--format", "json")
    assert [f["rule"] for f in findings(result)] == ["SPEC301"]


def test_config_is_discovered_in_a_parent_directory(tmp_path, monkeypatch):
    _two_kinds(tmp_path)
    write(tmp_path / ".specadvisor.yml", "ignore: [SPEC110, vllm-draft-tp-mismatch]\n")
    monkeypatch.chdir(tmp_path / "deploy")
    result = check("serve.sh", "--format", "json")
    assert [f["rule"] for f in findings(result)] == ["SPEC241"]
    assert result.exit_code == 0


def test_explicit_config_wins_over_discovery(tmp_path):
    path = _two_kinds(tmp_path)
    write(tmp_path / ".specadvisor.yaml", "select: [SPEC3]\n")
    other = write(tmp_path / "ci" / "strict.yaml", "select: [SPEC2]\n")
    result = check(path, "--config", other, "--format", "json")
    assert [f["rule"] for f in findings(result)] == ["SPEC241"]


def test_command_line_select_and_ignore_combine_with_the_config(tmp_path):
    path = _two_kinds(tmp_path)
    write(tmp_path / ".specadvisor.yaml", "select: [SPEC3]\nignore: [SPEC241]\n")
    assert [f["rule"] for f in findings(check(path, "--select", "SPEC1", "--format", "json"))] == ["SPEC110"]
    assert findings(check(path, "--ignore", "SPEC301", "--format", "json")) == []


def test_config_severity_override(tmp_path):
    path = write(tmp_path / "serve.sh", WARNING_ONLY)
    write(tmp_path / ".specadvisor.yaml", "rules:\n  k-far-from-optimum: {severity: error}\n")
    result = check(path, "--format", "json")
    assert result.exit_code == 1
    assert [(f["rule"], f["severity"]) for f in findings(result)] == [("SPEC241", "error")]


def test_config_params_override(tmp_path):
    path = write(tmp_path / "serve.sh", WARNING_ONLY)
    write(tmp_path / ".specadvisor.yaml", "rules:\n  SPEC241:\n    params: {max_loss: 0.5}\n")
    assert findings(check(path, "--format", "json")) == []
    write(tmp_path / ".specadvisor.yaml", "rules:\n  SPEC241:\n    params: {max_loss: 0.05}\n")
    assert [f["rule"] for f in findings(check(path, "--format", "json"))] == ["SPEC241"]


def test_config_fail_on_and_defaults(tmp_path):
    path = write(tmp_path / "serve.sh", WARNING_ONLY)
    write(tmp_path / ".specadvisor.yaml", "fail_on: warning\n")
    assert check(path).exit_code == 1
    assert check(path, "--fail-on", "error").exit_code == 0  # the command line wins
    write(tmp_path / ".specadvisor.yaml", "defaults: {batch_size: 64, hardware: h100-sxm}\n")
    result = check(path, "--format", "json")
    assert sorted(f["rule"] for f in findings(result)) == ["SPEC240", "SPEC241"]
    assert "batch 64" in findings(result)[0]["message"]


@pytest.mark.parametrize(
    ("config", "line", "needles"),
    [
        ("selct: [SPEC2]\n", 1, ["config.selct", "unknown field", "did you mean 'select'"]),
        ("select: [SPEC2]\nrules:\n  SPEC999: {severity: error}\n", 3, ["rules.SPEC999", "unknown rule"]),
        ("rules:\n  SPEC241:\n    params:\n      max_los: 0.5\n", 4,
         ["rules.SPEC241.params.max_los", "unknown parameter", "max_loss"]),
        ("rules:\n  SPEC241:\n    params: {max_loss: lots}\n", 3, ["max_loss", "expected a number"]),
        ("rules:\n  SPEC241: {severity: fatal}\n", 2, ["rules.SPEC241.severity", "fatal"]),
        ("rules:\n  SPEC110: {params: {min_speedup: 2}}\n", 2, ["unknown parameter", "this rule takes: none"]),
        ("ignore:\n  - SPEC24\n  - no-such-rule\n", 1, ["no rule matches 'no-such-rule'"]),
        ("defaults: {batch_size: 0}\n", 1, ["batch_size"]),
        ("defaults: {gpus: 8}\n", 1, ["defaults.gpus", "unknown field"]),
        ("rules: [\n", 2, ["invalid YAML"]),
    ],
    ids=["unknown-key", "unknown-rule", "unknown-param", "param-not-a-number", "bad-severity", "param-of-a-rule-without-params",
         "unknown-rule-in-ignore", "defaults-out-of-range", "unknown-default", "malformed"],
)
def test_config_errors_name_the_file_and_line(tmp_path, config, line, needles):
    cfg = write(tmp_path / ".specadvisor.yaml", config)
    result = check(str(CLEAN))
    assert_usage_error(result, f"{cfg}:{line}", *needles)


def test_empty_config_is_fine(tmp_path):
    write(tmp_path / ".specadvisor.yaml", "")
    assert check(str(CLEAN)).exit_code == 0


# -- inline suppressions ---------------------------------------------------------------------------


def test_inline_suppressions_are_counted():
    result = check(str(SUPPRESSED), "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["findings"] == [] and doc["suppressed"] == 2
    assert "0 finding(s) (0 error, 0 warning, 0 info), 2 suppressed" in check(str(SUPPRESSED)).stderr


def test_suppression_covers_only_the_named_rule_and_line(tmp_path):
    path = write(tmp_path / "serve.sh", """\
        # specadvisor: ignore[SPEC240] accepted for the batch job
        vllm serve Qwen/Qwen3-8B --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 12}'
        vllm serve Qwen/Qwen3-8B --speculative-config '{"model": "Qwen/Qwen3-0.6B", "num_speculative_tokens": 12}'
        """)
    doc = json.loads(check(path, "--format", "json", "--batch-size", "64").stdout)
    assert doc["suppressed"] == 1
    assert sorted((f["rule"], f["line"]) for f in doc["findings"]) == [
        ("SPEC240", 3), ("SPEC241", 2), ("SPEC241", 3)]


def test_bare_ignore_suppresses_every_rule_on_the_line(tmp_path):
    path = write(tmp_path / "serve.sh", ERRORS.replace("\\\n", "") + "\n")
    text = Path(path).read_text().rstrip("\n") + "  # specadvisor: ignore\n"
    Path(path).write_text(text)
    result = check(path, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["suppressed"] == 2


def test_suppression_comment_in_yaml(tmp_path):
    path = write(tmp_path / "vllm.yaml", """\
        model: Qwen/Qwen3-8B
        speculative_config:
          model: Qwen/Qwen3-0.6B
          num_speculative_tokens: 12  # specadvisor: ignore[SPEC2] tuned on our traffic
        """)
    doc = json.loads(check(path, "--format", "json").stdout)
    assert doc["findings"] == [] and doc["suppressed"] == 1
