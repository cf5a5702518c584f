"""The best k per concurrency range for a head, MTP or n-gram, and where to turn speculation off.

Why: every method's speedup falls with batch (research 7.3: DeepSeek MTP 1.8x -> 1.5x from bs 1 to 32,
EAGLE-3 2.7x -> 1.6x from bs 1 to 8, no gain at bs 256 on Gaudi), so one k is wrong for a server whose
concurrency moves. The schedule re-prices the candidate at each batch of a ladder and keeps, per
range, the k with the highest predicted speedup, or 0 (off) where no k beats plain decoding. The
emitters write it in each engine's own form: vLLM `num_speculative_tokens_per_batch_size`
([[start, end, K], ...], K = 0 disables, docs dynamic_speculative_decoding.md @015a47e), TensorRT-LLM
`draft_len_schedule` ({batch upper bound: k}, 0 beyond; NVIDIA/TensorRT-LLM#10860), and for SGLang,
which has no schedule, the batch above which to launch without speculation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from specadvisor.advise.methods import MethodOption, evaluate_method
from specadvisor.catalog.core import ModelRef
from specadvisor.catalog.heads import HeadCatalog
from specadvisor.model.coefficients import Coefficients
from specadvisor.rules.engine import RuleSet

BATCH_LADDER = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

Schedule = list[tuple[int, int, int]]  # (first batch, last batch, k); k = 0: speculation off


def k_schedule(target: ModelRef, option: MethodOption, rw: Any, coeffs: Coefficients, rules: RuleSet,
               heads: HeadCatalog, ladder: tuple[int, ...] = BATCH_LADDER) -> Schedule:
    """Ranges of concurrency with the best k (0 where the prediction is not above 1.0x)."""
    out: Schedule = []
    lo = 1
    for b in ladder:
        fields = evaluate_method(target, option, replace(rw, batch_size=b, effective_batch=b, k=None), coeffs,
                                 rules, heads)
        k = fields["k"] if fields["speedup"] > 1.0 else 0
        if out and out[-1][2] == k:
            out[-1] = (out[-1][0], b, k)
        else:
            out.append((lo, b, k))
        lo = b + 1
    return out


def off_above(schedule: Schedule) -> int | None:
    """The batch above which no k pays (None: speculation pays over the whole ladder)."""
    for first, _, k in schedule:
        if k == 0:
            return first - 1
    return None


def vllm_form(schedule: Schedule) -> str:
    return "[" + ",".join(f"[{a},{b},{k}]" for a, b, k in schedule) + "]"


def trtllm_form(schedule: Schedule) -> str:
    """{upper: k} for the ranges that speculate; TensorRT-LLM drafts 0 tokens beyond the last key."""
    return "{" + ", ".join(f"{b}: {k}" for _, b, k in schedule if k > 0) + "}"
