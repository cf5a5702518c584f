"""Where the draft runs (issue #16): llama.cpp --device-draft puts it on a device of its own."""

from __future__ import annotations

import pytest

from specadvisor.advise.advisor import Workload, compare
from specadvisor.catalog.core import load_catalog
from specadvisor.errors import UsageError

CAT = load_catalog()
T = "meta-llama/Llama-3.1-70B-Instruct@q4_k_m"
D = "meta-llama/Llama-3.2-1B-Instruct"


def _one(**kw):
    w = Workload(hardware="rtx-4090", tp=2, engine="llamacpp", **kw)
    return compare(CAT, T, [D], w).candidates[0]


def test_a_slow_draft_device_costs_the_draft_on_that_device():
    """An old card for the draft beside fast ones for the target: the draft step runs at the P40's speed."""
    same = _one()
    p40 = _one(draft_hardware="tesla-p40")
    assert p40.draft_step_ms > 2 * same.draft_step_ms
    assert p40.target_step_ms == pytest.approx(same.target_step_ms)
    assert p40.speedup < same.speedup
    assert "SPEC215" in {r.rule for r in p40.reasons} and "SPEC215" not in {r.rule for r in same.reasons}


def test_the_draft_on_its_own_device_leaves_the_target_its_memory():
    same = _one(batch_size=64)
    own = _one(batch_size=64, draft_hardware="rtx-4090")
    assert own.facts["running_batch"] >= same.facts["running_batch"]
    assert own.facts["running_batch_base"] == same.facts["running_batch_base"]


def test_other_engines_refuse_a_draft_device():
    with pytest.raises(UsageError, match="device-draft"):
        compare(CAT, "meta-llama/Llama-3.1-70B-Instruct", [D], Workload(tp=4, draft_hardware="tesla-p40"))


def test_emit_names_the_draft_device():
    from typer.testing import CliRunner

    from specadvisor.cli.app import app

    r = CliRunner().invoke(app, ["compare", "--target", T, D, "--hardware", "rtx-4090", "--tp", "2",
                                 "--draft-hardware", "tesla-p40", "--emit", "llamacpp"])
    assert r.exit_code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("llama-server"))
    assert "--device-draft" in line
