"""The calibration data set, the fit and calibrate-model: the machinery that sets the model's numbers."""

from __future__ import annotations

import json
import math
import textwrap

import pytest
from cliutil import invoke

from specadvisor import paths
from specadvisor.calibration.fit import default_params, fit, predict, prior_document
from specadvisor.calibration.rows import CalibrationRow, load_calibration
from specadvisor.errors import InputFileError
from specadvisor.model.acceptance import coefficient_vector, features, sigmoid
from specadvisor.model.coefficients import load_coefficients, parse_coefficients
from specadvisor.model.speedup import tokens_per_round


@pytest.fixture(scope="module")
def rows() -> list[CalibrationRow]:
    return load_calibration(paths.calibration_path())


@pytest.fixture(scope="module")
def all_rows() -> list[CalibrationRow]:
    return [r for f in paths.calibration_paths() for r in load_calibration(f)]


def test_added_rows_carry_their_source_and_assumptions(catalog):
    """benchmarks/data/added.yaml: published rows beyond the CSV, each with its URL and what was assumed."""
    import yaml

    raw = yaml.safe_load(paths.calibration_path("added.yaml").read_text())["rows"]
    rows = load_calibration(paths.calibration_path("added.yaml"), catalog)
    assert len({r.source_id for r in rows}) >= 6
    ids = [r["row"] for r in raw]
    assert len(ids) == len(set(ids)) and min(ids) > 100  # no clash with the CSV's row numbers
    for r in raw:
        assert r["source_url"].startswith("https://") and r["note"]
        assert r["use_for"] or r["exclude_reason"]


def test_published_set_is_complete_and_maps_onto_the_catalog(rows, catalog):
    assert len(rows) == 93
    assert len({r.source_id for r in rows}) == 16
    assert sum(r.fits_speedup for r in rows) >= 60
    assert sum(r.fits_alpha for r in rows) >= 30
    for r in rows:
        if r.target:
            catalog.model(r.target)
        if r.draft:
            catalog.model(r.draft)
        if r.hardware:
            catalog.hardware_by_name(r.hardware)
        if r.target is None:
            assert r.fits_speedup is False


def test_excluded_rows_say_why():
    import yaml

    raw = yaml.safe_load(paths.calibration_path().read_text())["rows"]
    for r in raw:
        if not r["use_for"]:
            assert r["exclude_reason"], f"row {r['row']} is excluded without a reason"


def test_measured_alpha_comes_from_tau_when_only_tau_is_reported():
    row = CalibrationRow(row=1, source_id="s", target=None, draft=None, target_format=None, draft_format=None,
                         hardware=None, tp=1, batch_size=1, k=4, temperature=0.0, task="general", engine="vllm",
                         context_len=1024, alpha=None, tau=tokens_per_round(0.72, 4), speedup=None, use_for=("tau",))
    assert row.measured_alpha == pytest.approx(0.72, abs=1e-6)


def test_bad_calibration_file_names_file_line_and_field(tmp_path):
    f = tmp_path / "cal.yaml"
    f.write_text("rows:\n  - row: 1\n    source_id: x\n    speedup: -2\n")
    with pytest.raises(InputFileError) as exc:
        load_calibration(f)
    msg = str(exc.value)
    assert str(f) in msg and ":4:" in msg and "speedup" in msg


def _synthetic_alpha_rows(true_shift: float) -> list[CalibrationRow]:
    """Rows whose alpha follows the prior model with the intercept moved by `true_shift`."""
    doc = prior_document()
    co = parse_coefficients(doc, "t").acceptance
    cv = coefficient_vector(co)
    out = []
    for i, (tp, dp) in enumerate([(70, 1), (70, 8), (32, 1.7), (32, 4), (8, 1), (13, 0.07), (7, 0.07), (405, 8)]):
        f = features(target_params_b=tp, draft_params_b=dp, rel="same-family", distilled=False, domain_mismatch=False,
                     task="general", temperature=0.0, draft_format=None, floor_params_b=co.floor_params_b)
        z = sum(cv.get(k, 0.0) * v for k, v in f.items()) + true_shift
        out.append(CalibrationRow(row=i, source_id=f"src{i % 3}", target=None, draft=None, target_format=None,
                                  draft_format=None, hardware=None, tp=1, batch_size=1, k=None, temperature=0.0,
                                  task="general", engine="vllm", context_len=1024, alpha=sigmoid(z), tau=None,
                                  speedup=None, use_for=("alpha",), target_params_b=tp, draft_params_b=dp,
                                  same_family=True))
    return out


def test_fit_recovers_a_known_acceptance_shift(catalog):
    rows = _synthetic_alpha_rows(-0.6)
    before = predict(rows, catalog, prior_document())
    result = fit(rows, catalog)
    after = result.residuals
    err_before = sum(abs(r.alpha_pred - r.alpha_meas) for r in before)
    err_after = sum(abs(r.alpha_pred - r.alpha_meas) for r in after)
    assert err_after < 0.3 * err_before
    assert result.values["acceptance.intercept"] < result.priors["acceptance.intercept"] - 0.3


def _vllm_rows(catalog, factor: float) -> list[CalibrationRow]:
    """vLLM speedups generated with the draft-step overhead at `factor` x its prior, two sources."""
    doc = prior_document()
    truth = json.loads(json.dumps(doc))
    truth["cost"]["engines"]["vllm"]["draft_step_overhead_ms"] *= factor
    base = [CalibrationRow(row=i, source_id=f"s{i % 2}", target=t, draft=d, target_format=None, draft_format=None,
                           hardware="h100-sxm", tp=tp, batch_size=1, k=k, temperature=0.0, task="general",
                           engine="vllm", context_len=1024, alpha=None, tau=None, speedup=1.0, use_for=("speedup",))
            for i, (t, d, tp, k) in enumerate([
                ("meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.2-1B-Instruct", 4, 5),
                ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.2-1B-Instruct", 1, 4),
                ("Qwen/Qwen3-32B", "Qwen/Qwen3-0.6B", 1, 6),
                ("Qwen/Qwen3-14B", "Qwen/Qwen3-1.7B", 1, 3)])]
    measured = predict(base, catalog, truth)
    return [CalibrationRow(**{**r.__dict__, "speedup": m.speedup_pred}) for r, m in zip(base, measured, strict=True)]


def test_fit_recovers_a_known_engine_overhead(catalog):
    """Speedups generated with vLLM's draft-step overhead at 4x its prior: the fit absorbs the gap."""
    doc = prior_document()
    rows = _vllm_rows(catalog, 4.0)
    before = [abs(r.speedup_pred - r.speedup_meas) / r.speedup_meas for r in predict(rows, catalog, doc)]
    result = fit(rows, catalog)
    after = [abs(r.speedup_pred - r.speedup_meas) / r.speedup_meas for r in result.residuals]
    assert max(before) > 0.08  # the perturbation is visible ...
    assert sum(after) < 0.35 * sum(before)  # ... and the fit removes most of it
    moved = {k for k, v in result.values.items() if k.startswith("cost.") and abs(v / result.priors[k] - 1) > 0.05}
    assert moved, "the fit should move some cost coefficient"


def test_fitted_overlay_is_loaded_and_within_bounds(all_rows):
    co = load_coefficients()
    if not paths.fitted_path().exists():
        pytest.skip("no fitted.yaml shipped")
    assert co.status == "fitted"
    import yaml

    over = yaml.safe_load(paths.fitted_path().read_text())["overrides"]
    for p in default_params(prior_document(), all_rows):
        node = over
        for key in p.path:
            node = node[key]
        assert p.low - 1e-9 <= node <= p.high + 1e-9, p.name
    assert co.acceptance.intercept == pytest.approx(over["acceptance"]["intercept"])


def test_shipped_fit_meets_its_in_sample_targets(all_rows, catalog):
    """The numbers README's accuracy table reports, recomputed (no refit)."""
    from specadvisor.calibration.fidelity import metrics
    from specadvisor.model.coefficients import merge
    from specadvisor.yamlio import load_yaml_file

    if not paths.fitted_path().exists():
        pytest.skip("no fitted.yaml shipped")
    doc = merge(prior_document(), load_yaml_file(paths.fitted_path())["overrides"])
    m = metrics(predict(all_rows, catalog, doc))
    assert m.median_rel_error <= 0.15
    assert m.within_25pct >= 0.75
    assert m.alpha_mae <= 0.06
    assert m.band_coverage is not None and m.band_coverage >= 0.70


def test_calibrate_model_cli_dry_run_and_out(tmp_path):
    data = tmp_path / "cal.yaml"
    data.write_text(textwrap.dedent("""\
        rows:
          - {row: 1, source_id: mine, target: Qwen/Qwen3-32B, draft: Qwen/Qwen3-1.7B, hardware: h100-sxm, tp: 1,
             batch_size: 1, k: 4, temperature: 0, task: code, engine: vllm, alpha: 0.72, speedup: 1.9,
             use_for: [alpha, speedup]}
          - {row: 2, source_id: mine, target: meta-llama/Llama-3.1-70B-Instruct, draft: meta-llama/Llama-3.2-1B-Instruct,
             hardware: h100-sxm, tp: 4, batch_size: 1, k: 5, engine: vllm, speedup: 2.2, use_for: [speedup]}
        """))
    res = invoke("calibrate-model", "--data", str(data), "--dry-run", "--format", "json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["summary"]["speedup_rows"] == 2
    assert not list(tmp_path.glob("*fitted*"))
    out = tmp_path / "fitted.yaml"
    res = invoke("calibrate-model", "--data", str(data), "--out", str(out), "--format", "json")
    assert res.exit_code == 0, res.output
    co = load_coefficients(fitted=str(out))
    assert co.status == "fitted"
    assert not math.isnan(co.cost.flops_efficiency["gpu"])


def test_calibrate_model_missing_data_is_a_usage_error(tmp_path):
    res = invoke("calibrate-model", "--data", str(tmp_path / "nope.yaml"), "--dry-run")
    assert res.exit_code == 2
    assert "not found" in res.stderr and "Traceback" not in res.output


def test_engines_without_rows_follow_their_leader(catalog):
    """SGLang and TRT-LLM have no rows; they move by the factors the fit applied to vLLM, keeping their prior ratio."""
    result = fit(_vllm_rows(catalog, 4.0), catalog)
    prior = prior_document()["cost"]["engines"]
    engines = result.doc["cost"]["engines"]
    factors = {k: engines["vllm"][k] / prior["vllm"][k] for k in prior["vllm"]
               if k not in ("source", "follows") and prior["vllm"][k] > 0}
    assert any(abs(f - 1) > 0.05 for f in factors.values())  # the fit saw the slower drafts ...
    for name in ("sglang", "trtllm"):  # ... and the followers moved by the same factors
        for key, f in factors.items():
            assert engines[name][key] / prior[name][key] == pytest.approx(f)
            assert ("cost", "engines", name, key) in result.derived
    # engines that follow nobody stay at their priors
    assert engines["mlx"]["draft_step_overhead_ms"] == prior["mlx"]["draft_step_overhead_ms"]
    from specadvisor.calibration.fit import overrides

    assert overrides(result)["cost"]["engines"]["sglang"]["draft_step_overhead_ms"] == pytest.approx(
        engines["sglang"]["draft_step_overhead_ms"], rel=1e-3)


def test_an_engine_with_its_own_rows_does_not_follow(catalog):
    rows = [CalibrationRow(**{**r.__dict__, "engine": "sglang"}) for r in _vllm_rows(catalog, 4.0)]
    result = fit(rows, catalog)
    assert not any(p[2] == "sglang" for p in result.derived)
    assert "cost.engines.sglang.draft_step_overhead_ms" in result.values


@pytest.mark.parametrize("value", ["vllm2", "sglang", 3])
def test_follows_must_name_another_engine(value):
    doc = prior_document()
    doc["cost"]["engines"]["sglang"]["follows"] = value
    with pytest.raises(InputFileError, match="follows"):
        parse_coefficients(doc, "coefficients.yaml")


def test_bands_are_chosen_to_cover_the_target_share_of_held_out_rows(catalog):
    from specadvisor.calibration.fit import COST_UNCERTAINTY_GRID, choose_bands, with_bands

    rows = _vllm_rows(catalog, 4.0)
    # Held-out-like predictions: the priors, which miss the 4x slower drafts.
    def predict_with(b, u):
        return predict(rows, catalog, with_bands(prior_document(), b, u))

    band, u = choose_bands(predict_with, 0.5, 0.75)
    res = predict_with(band, u)
    covered = sum(r.speedup_low <= r.speedup_meas <= r.speedup_high for r in res)
    assert covered >= 0.75 * len(res) or u == COST_UNCERTAINTY_GRID[-1]
    smaller = [g for g in COST_UNCERTAINTY_GRID if g < u]
    if smaller:  # the smallest width that covers: one step narrower does not
        res = predict_with(band, smaller[-1])
        assert sum(r.speedup_low <= r.speedup_meas <= r.speedup_high for r in res) < 0.75 * len(res)


def test_calibrate_sets_bands_from_held_out_sources(tmp_path, catalog):
    from specadvisor.calibration.calibrate import calibrate

    rows = _vllm_rows(catalog, 4.0)
    data = tmp_path / "rows.yaml"
    import yaml

    data.write_text(yaml.safe_dump({"rows": [
        {"row": r.row, "source_id": r.source_id, "target": r.target, "draft": r.draft, "hardware": r.hardware,
         "tp": r.tp, "batch_size": 1, "k": r.k, "engine": "vllm", "speedup": round(r.speedup, 4),
         "use_for": ["speedup"]} for r in rows]}))
    quick = calibrate([data], catalog, None, loso=False)
    full = calibrate([data], catalog, None, loso=True)
    assert quick["summary"]["bands_from"] == "in-sample"
    assert full["summary"]["bands_from"] == "leave-one-source-out"
    held = full["summary"]["leave_one_source_out"]
    assert held["band_coverage"] >= 0.75
    # held-out error is larger than in-sample, so the honest band is at least as wide
    assert full["cost_uncertainty"] >= quick["cost_uncertainty"]


def _row(**kw) -> CalibrationRow:
    base = dict(row=1, source_id="s", target=None, draft=None, target_format=None, draft_format=None, hardware=None,
                tp=1, batch_size=1, k=None, temperature=0.0, task="general", engine="llamacpp", context_len=1024,
                alpha=None, tau=None, speedup=None, use_for=())
    return CalibrationRow(**{**base, **kw})


def test_draft_length_fixed_adaptive_and_unstated():
    """A fixed k is what ran; an adaptive k (llama.cpp's p-min) is a cap: the best length under it; none: the best."""
    curve = {1: 1.5, 2: 1.9, 3: 2.1, 4: 2.2, 5: 2.15, 6: 2.0, 7: 1.8, 8: 1.6}
    assert _row(k=8).draft_length(curve) == 8
    assert _row(k=8, k_adaptive=True).draft_length(curve) == 4
    assert _row(k=3, k_adaptive=True).draft_length(curve) == 3  # the cap binds
    assert _row(k=None).draft_length(curve) == 4


def test_adaptive_rows_predict_no_less_than_fixed_ones(catalog):
    """Under the same coefficients, reading k as a cap can only raise the predicted speedup."""
    base = dict(row=1, source_id="s", target="Qwen/Qwen2.5-Coder-32B-Instruct", draft="Qwen/Qwen2.5-Coder-0.5B-Instruct",
                target_format="q4_k_m", draft_format="q8_0", hardware="rtx-3090", tp=1, batch_size=1, k=16,
                temperature=0.0, task="code", engine="llamacpp", context_len=1024, alpha=None, tau=None, speedup=2.0,
                use_for=("speedup",))
    fixed, adaptive = (predict([CalibrationRow(**base, k_adaptive=a)], catalog, prior_document())[0] for a in (False, True))
    assert adaptive.speedup_pred >= fixed.speedup_pred
    assert adaptive.k <= 16 and fixed.k == 16
