"""Fidelity reporting by batch-size bucket and by engine (issue 16): an average error can hide a model that is
right at batch 1 and wrong at every concurrency, or right for vLLM and wrong for llama.cpp."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from specadvisor.calibration.fidelity import batch_bucket, by_batch, by_engine, group_errors, metrics
from specadvisor.calibration.fit import Residual, default_params, prior_document
from specadvisor.calibration.rows import CalibrationRow

ROOT = Path(__file__).resolve().parent.parent


def _row(n: int, batch: int, engine: str, fmt: str | None = None) -> CalibrationRow:
    return CalibrationRow(row=n, source_id=f"s{n % 3}", target="Qwen/Qwen2.5-14B-Instruct", draft="Qwen/Qwen2.5-0.5B-Instruct",
                          target_format=fmt, draft_format=None, hardware="apple-m4-max", tp=1, batch_size=batch, k=4,
                          temperature=0.0, task="general", engine=engine, context_len=1024, alpha=None, tau=None,
                          speedup=2.0, use_for=("speedup",))


def _res(row: CalibrationRow, pred: float, meas: float) -> Residual:
    return Residual(row, 0.7, None, pred, pred * 0.8, pred * 1.2, meas, row.k)


@pytest.mark.parametrize(("batch", "bucket"), [(1, "1"), (2, "2-7"), (7, "2-7"), (8, "8-31"), (31, "8-31"),
                                               (32, "32+"), (256, "32+")])
def test_batch_buckets(batch, bucket):
    assert batch_bucket(batch) == bucket


def test_group_errors_show_where_the_model_is_wrong():
    res = [_res(_row(1, 1, "vllm"), 2.0, 2.0), _res(_row(2, 1, "vllm"), 2.2, 2.0),
           _res(_row(3, 16, "vllm"), 1.0, 2.0), _res(_row(4, 64, "llamacpp"), 3.0, 2.0)]
    by_b = group_errors(res, by_batch)
    assert set(by_b) == {"1", "8-31", "32+"}
    assert by_b["1"].rows == 2 and by_b["1"].median_abs == pytest.approx(0.05)
    assert by_b["8-31"].median_signed == pytest.approx(-0.5)  # under-predicted
    assert by_b["8-31"].within_30pct == 0.0
    assert by_b["32+"].median_signed == pytest.approx(0.5)  # over-predicted
    by_e = group_errors(res, by_engine)
    assert by_e["vllm"].rows == 3 and by_e["vllm"].max_abs == pytest.approx(0.5)
    # the overall signed median sees the bias the absolute median hides
    assert metrics(res).median_signed_error == pytest.approx(0.05)


def test_the_dequantization_term_is_fitted_only_for_engines_with_quantized_targets(catalog):
    rows = [_row(1, 1, "llamacpp", "q4_k_m"), _row(2, 1, "vllm", None)]
    names = {p.name for p in default_params(prior_document(), rows, catalog)}
    assert "cost.engines.llamacpp.dequant_per_token" in names
    assert "cost.engines.vllm.dequant_per_token" not in names


def test_fidelity_script_prints_the_breakdowns():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fidelity.py"), "--no-loso"],
                         capture_output=True, text=True, env=env, timeout=600, check=True).stdout
    assert "by batch size" in out and "by engine" in out
    for label in ("    1 ", "    8-31 ", "    32+ ", "    llamacpp ", "    vllm ", "    trtllm "):
        assert label in out, label
    assert "signed" in out
