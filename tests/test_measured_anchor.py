"""`recommend`/`compare --measured`: a measured pair anchors every estimate (issue 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cliutil import invoke

from specadvisor.advise.advisor import Workload, compare
from specadvisor.model.acceptance import logit

FIXTURE = Path(__file__).parent / "fixtures" / "measure" / "vllm_v1.prom"
TARGET = "meta-llama/Llama-3.1-70B-Instruct"
D1, D3 = "meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct"


def _json(args: list[str]) -> dict:
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_compare_measured_anchors_other_drafts(catalog):
    out = _json(["compare", "--target", TARGET, D1, D3, "--tp", "4", "--measured", str(FIXTURE), "--format", "json"])
    by = {c["draft"]: c for c in out["candidates"]}
    assert by[D1]["alpha_source"] == "measured"
    assert by[D1]["alpha"] == pytest.approx(0.7135, abs=0.002)
    assert by[D1]["alpha_low"] == by[D1]["alpha_high"] == by[D1]["alpha"]
    assert by[D3]["alpha_source"] == "anchored"
    # the same logit shift moves the deployed draft's estimate onto the measurement and the other draft alike
    est = {c.draft: c.alpha for c in compare(catalog, TARGET, [D1, D3], Workload(tp=4)).candidates}
    shift_1 = logit(by[D1]["alpha"]) - logit(est[D1])
    shift_3 = logit(by[D3]["alpha"]) - logit(est[D3])
    assert shift_3 == pytest.approx(shift_1, abs=0.01)


def test_recommend_measured_needs_the_deployed_draft():
    res = invoke("recommend", "--target", TARGET, "--measured", str(FIXTURE))
    assert res.exit_code == 2 and "--draft" in res.stderr and "Traceback" not in res.output


def test_recommend_measured_with_draft_marks_it_measured():
    out = _json(["recommend", "--target", TARGET, "--tp", "4", "--measured", str(FIXTURE), "--draft", D1,
                 "--format", "json", "--top", "0"])
    sources = {c["draft"]: c["alpha_source"] for c in out["candidates"]}
    assert sources[D1] == "measured"
    assert sources[D3] == "anchored"


def test_alpha_and_measured_are_exclusive():
    res = invoke("compare", "--target", TARGET, D1, "--alpha", "0.7", "--measured", str(FIXTURE))
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_unreadable_measurement_is_a_usage_error(tmp_path):
    bad = tmp_path / "m.prom"
    bad.write_text("this is not an exposition {{{\n")
    res = invoke("compare", "--target", TARGET, D1, "--measured", str(bad))
    assert res.exit_code == 2 and str(bad) in res.stderr
