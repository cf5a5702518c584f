"""Ranking and verdicts (issue #16): usable first, ties said and broken toward deployable, real 'best'."""

from __future__ import annotations

import re

from specadvisor.advise.advisor import Workload, recommend
from specadvisor.catalog.core import load_catalog

CAT = load_catalog()
L70 = "meta-llama/Llama-3.1-70B-Instruct"
USABLE = ("recommended", "marginal")


def test_unusable_candidates_rank_below_usable_ones():
    """Before: on one H100 an FP8 70B ranked a draft that does not fit above usable ones."""
    a = recommend(CAT, f"{L70}@fp8", Workload(hardware="h100-sxm", tp=1), top=None)
    seen_unusable = False
    for c in a.candidates:
        if c.verdict in USABLE:
            assert not seen_unusable, f"{c.draft} ({c.verdict}) ranked below an unusable candidate"
        else:
            seen_unusable = True
    assert a.candidates[0].verdict in USABLE


def test_ties_prefer_a_released_checkpoint_and_less_memory():
    a = recommend(CAT, L70, Workload(hardware="h100-sxm", tp=4), top=None)
    first = a.candidates[0]
    assert first.tie and not first.virtual
    group = [c for c in a.candidates if c.tie_group == first.tie_group]
    assert len(group) > 1
    released = [c for c in group if not c.virtual]
    assert [c.facts["draft_memory_gb"] for c in released] == sorted(c.facts["draft_memory_gb"] for c in released)
    assert group.index(released[-1]) < min((group.index(c) for c in group if c.virtual), default=len(group))


def test_skip_speculation_names_the_real_best():
    """Before: SPEC220 always printed 'best: 0.00x' (the best among usable candidates, of which there were none)."""
    a = recommend(CAT, L70, Workload(hardware="h100-sxm", tp=4, batch_size=256), top=None)
    assert a.verdict == "skip-speculation"
    msg = next(r.message for r in a.reasons if r.rule == "SPEC220")
    m = re.search(r"best: (\S+) at (\d+\.\d\d)x", msg)
    assert m and m.group(2) != "0.00"
    best = max((c for c in a.candidates if c.compatible and c.facts["fits_memory"]), key=lambda c: c.speedup)
    assert m.group(1) == best.draft and float(m.group(2)) == round(best.speedup, 2)


def test_a_thinking_target_says_its_task_was_replaced():
    """Before: --task code was replaced by the reasoning term for Qwen3 without a word."""
    a = recommend(CAT, "Qwen/Qwen3-32B", Workload(task="code", tp=1), top=3)
    msg = [r.message for r in a.reasons if r.rule == "SPEC227"]
    assert msg and "--task code" in msg[0] and "reasoning" in msg[0]
    off = recommend(CAT, "Qwen/Qwen3-32B", Workload(task="code", tp=1, thinking=False), top=3)
    assert "SPEC227" not in {r.rule for r in off.reasons}
