"""The realistic sample corpus in tests/corpus/measure/: every file is read, and tau, the per-token alpha,
k and the early/late verdict match the hand figures written in its header.

Each sample was written for these tests in the form of a public engine output (named, with the engine
version, in its header); none is a captured page. The hand figures come from the definitions (tau =
1 + accepted / drafts, alpha solving tau = (1 - a^(k+1)) / (1 - a)), not from specadvisor. A JSON sample,
which cannot carry a comment, has its header in a sidecar `<name>.expect`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from specadvisor.errors import SpecAdvisorError
from specadvisor.measure import analysis
from specadvisor.measure.analysis import measure

CORPUS = Path(__file__).parent / "corpus" / "measure"
SAMPLES = sorted(p for p in CORPUS.iterdir() if p.suffix != ".expect")
TAU_TOL = 0.005  # tighter than the 0.02: these are our own samples and hand figures
ALPHA_TOL = 0.005


def expectations(path: Path) -> dict[str, str]:
    side = path.with_suffix(".expect")
    header = (side if side.exists() else path).read_text(encoding="utf-8")
    line = next(x for x in header.splitlines() if x.startswith("# expect:"))
    out = dict(item.split("=", 1) for item in line[len("# expect:"):].split() if "=" in item)
    if "error" in out:
        out["error"] = line.split("error=", 1)[1].strip()
    return out


def test_every_sample_has_a_header_naming_what_it_mimics():
    assert len(SAMPLES) >= 25
    for p in SAMPLES:
        side = p.with_suffix(".expect")
        header = (side if side.exists() else p).read_text(encoding="utf-8")
        assert header.startswith("# Mimics:"), p.name
        assert "# expect:" in header, p.name


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_reads_to_its_hand_figures(path: Path):
    exp = expectations(path)
    if "error" in exp:
        with pytest.raises(SpecAdvisorError, match=re.escape(exp["error"])):
            measure(str(path))
        return
    kwargs = {}
    if "args" in exp:
        flag, value = exp["args"].split(",")
        assert flag == "--k"
        kwargs["k"] = int(value)
    m = measure(str(path), **kwargs)
    assert m.engine == exp["engine"]
    if exp.get("k", "none") == "none":
        assert m.k is None
    else:
        assert m.k == pytest.approx(float(exp["k"]), abs=0.01)
    if exp["tau"] == "none":
        assert m.tau is None
    else:
        assert m.tau == pytest.approx(float(exp["tau"]), abs=TAU_TOL)
    if exp["alpha"] == "none":
        assert m.alpha is None
    else:
        assert m.alpha == pytest.approx(float(exp["alpha"]), abs=ALPHA_TOL)
    if "where" in exp:
        assert m.rejections.where == exp["where"], m.rejections.message
    if "cliff" in exp:
        assert m.rejections.cliff_after == int(exp["cliff"])
    if "rate" in exp:
        assert m.rate == pytest.approx(float(exp["rate"]), abs=5e-4)
    assert m.tree == (exp.get("tree") == "yes")
    assert m.broken == (exp.get("broken") == "yes")
    assert any("small sample" in w for w in m.warnings) == (exp.get("small") == "yes")


def test_unknown_input_names_every_engine_and_no_parser_internals():
    with pytest.raises(SpecAdvisorError) as exc:
        measure(str(CORPUS / "unknown-format.txt"))
    msg = str(exc.value)
    for engine in ("vLLM", "SGLang", "llama.cpp", "TensorRT-LLM"):
        assert engine in msg
    assert "could not convert" not in msg and "Prometheus text exposition" not in msg


def test_unknown_input_on_the_cli_is_one_line_with_exit_code_2():
    from specadvisor.cli.app import app

    r = CliRunner().invoke(app, ["measure", str(CORPUS / "unknown-format.txt")])
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "unknown-format.txt:" in err and "Traceback" not in err


# -- behaviour the corpus shows, asserted directly ------------------------------------------------


def test_sglang_accept_rate_is_not_accepted_per_drafted():
    # the printed rate (0.71-0.78) includes the bonus token; accepted/drafted is (tau - 1) / k
    m = measure(str(CORPUS / "sglang-0.5.4-decode-log.txt"))
    assert m.rate == pytest.approx((2.89 - 1) / 3, abs=1e-3)


def test_sglang_lines_are_not_weighted_by_throughput(tmp_path):
    lines = [f"Decode batch, #running-req: 1, accept len: {L:.2f}, accept rate: {L / 4:.2f}, gen throughput "
             f"(token/s): {t:.2f}, #queue-req: 0" for L, t in ((2.0, 100.0), (3.0, 1000.0))]
    p = tmp_path / "sg.log"
    p.write_text("\n".join(lines) + "\n")
    assert measure(str(p)).tau == pytest.approx(2.5)


def test_sglang_tree_claims_no_alpha_and_says_so():
    m = measure(str(CORPUS / "sglang-0.5-tree-log.txt"))
    d = analysis.report_dict(m, None)
    assert d["alpha"] is None and d["tree"] is True
    assert any("tree" in w for w in d["warnings"])
    assert d["diagnostics"] == []


def test_llamacpp_statistics_are_running_totals_not_summed():
    m = measure(str(CORPUS / "llamacpp-b6xxx-server-old.txt"))
    assert m.drafts == 280 and m.accepted == 562  # not 150 + 280 drafts


def test_llamacpp_implementations_are_kept_apart():
    m = measure(str(CORPUS / "llamacpp-2026-statistics-two-impls.txt"))
    assert m.drafts == 300 and m.accepted == 600  # draft-mtp alone
    assert any("ngram-mod" in n and "kept apart" in n for n in m.notes)


def test_llamacpp_timings_fire_no_wrong_draft_rule():
    m = measure(str(CORPUS / "llamacpp-b5xxx-timings.json"))
    d = analysis.report_dict(m, None)
    assert d["alpha"] is None and d["tau"] is None and d["diagnostics"] == []
    assert d["accepted_per_drafted"] == pytest.approx(301 / 520, abs=1e-4)


def test_broken_run_is_not_a_weak_draft():
    m = measure(str(CORPUS / "vllm-0.11-v1-log-zero-accept.txt"))
    d = analysis.report_dict(m, None, draft="some/draft")
    assert d["broken_run"] is True
    assert d["diagnostics"] == []  # the low-acceptance rule stays quiet
    assert "broken run" in d["warnings"][0]
    assert d["k_guidance"] is None


def test_cliff_k_advice_follows_the_positions_not_a_constant_alpha():
    m = measure(str(CORPUS / "vllm-0.11-v1-log-eagle-cliff.txt"))
    g = analysis.k_guidance(m.alpha, m)
    assert g is not None and (g[0], g[1]) == (2, 2)  # positions 0-1 hold, the rest does not
    # the table at the constant alpha (0.74) would say 4-6, which the positions refute
    assert analysis.k_guidance(m.alpha)[:2] == (4, 6)
    tau2, extrapolated = m.tau_by_k[2]
    assert tau2 == pytest.approx(1 + 0.9 + 0.792, abs=2e-3) and not extrapolated
    assert m.tau_by_k[5][0] == pytest.approx(m.tau, abs=1e-9)
    assert m.tau_by_k[8][1] is True


def test_prediction_uses_measured_tau_by_k():
    m = measure(str(CORPUS / "vllm-0.11-v1-log-eagle-cliff.txt"))
    p = analysis.predict(m, "meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.2-1B-Instruct", "h100-sxm", tp=4)
    assert p.k_basis == "measured per-position acceptance"
    # at the deployed k the measured and the constant-alpha tau agree by construction
    assert p.speedup_by_k[5] == pytest.approx(p.speedup_deployed, rel=1e-6)
    # past the cliff each extra position adds little: the measured curve peaks at a shorter k
    assert p.k_recommended <= 3
    d = analysis.report_dict(m, p)
    assert d["prediction"]["k_basis"] == "measured per-position acceptance"
    json.dumps(d)


def test_positions_no_draft_reached_are_no_evidence():
    m = measure(str(CORPUS / "vllm-0.11-v1-log-dflash-k15.txt"))
    assert m.rejections.where == "even"
    reached = [p for p in m.per_position if p.conditional is not None]
    assert len(reached) < len(m.per_position)  # positions 6-14: no trials, no conditional rate


def test_other_implementations_are_reported_apart_in_json():
    m = measure(str(CORPUS / "llamacpp-2026-statistics-two-impls.txt"))
    others = analysis.report_dict(m, None)["other_implementations"]
    assert [o["impl"] for o in others] == ["ngram-mod"]
    assert others[0]["drafts"] == 44 and others[0]["tau"] == pytest.approx(1 + 50 / 44, abs=1e-4)
