"""The memory model: how many sequences fit in the KV cache beside the weights, the way engines size it.

vLLM sizes its KV cache at start-up as `total device memory x gpu_memory_utilization - weights -
activation peak - non-torch memory (CUDA context, NCCL) - CUDA graphs`, and a draft model shares that
budget: its weights and its own KV cache (one cache block per draft layer for every token) come out of
the same pool (vllm/v1/worker/gpu_worker.py determine_available_memory; kv_cache_utils). The running
batch is then at most `KV tokens / tokens per sequence`: requests beyond it wait. Everything here is in
bytes: catalog device memory is GiB (2**30; the catalog header says so), weights are params x bits / 8.

A workload that cannot run at all (the target does not fit, the context exceeds the model's maximum,
no sequence of this context fits) is reported as such, never turned into a speedup.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from specadvisor import paths
from specadvisor.catalog.core import Hardware, ModelRef, ModelSpec
from specadvisor.errors import InputFileError
from specadvisor.yamlio import load_yaml_file

GIB = float(2**30)


@dataclass(frozen=True)
class MemoryConstants:
    reserve_gib: dict[str, float]
    apple_working_set: tuple[tuple[float, float], ...]  # (max_memory_gb, fraction), ascending
    utilization: dict[str, float]  # per engine; engines not listed use coefficients' memory_utilization


@lru_cache(maxsize=1)
def memory_constants() -> MemoryConstants:
    """The `memory:` section of data/constants.yaml (sourced there)."""
    path = paths.constants_path()
    doc = load_yaml_file(path)
    sec = doc.get("memory") if isinstance(doc, dict) else None
    if not isinstance(sec, dict) or not isinstance(sec.get("reserve_gib"), dict):
        raise InputFileError(str(path), None, "memory.reserve_gib", "missing mapping")
    rows = sec.get("apple_working_set") or []
    try:
        ws = tuple(sorted((float(r["max_memory_gb"]), float(r["fraction"])) for r in rows))
        reserve = {str(k): float(v) for k, v in sec["reserve_gib"].items()}
        util = {str(k): float(v) for k, v in (sec.get("utilization") or {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputFileError(str(path), None, "memory", f"malformed entry ({exc})") from None
    return MemoryConstants(reserve, ws, util)


def weight_bytes_stored(model: ModelRef) -> float:
    """Bytes the model's weights occupy in device memory (params x stored bits per weight)."""
    return model.spec.params_b * 1e9 * model.bits_per_weight / 8.0


def device_share(hw: Hardware, utilization: float, engine: str | None = None) -> float:
    """Fraction of one device's memory the engine may fill.

    A discrete GPU: the engine's utilization share (vLLM gpu_memory_utilization, default 0.9, passed in
    as `utilization`; other engines' shares in data/constants.yaml). Apple GPUs: Metal's working-set
    limit (recommendedMaxWorkingSetSize), a fraction of unified memory set by macOS, or the entry's own
    `working_set_fraction`.
    """
    if hw.kind != "apple":
        return memory_constants().utilization.get(engine or "", utilization)
    if hw.working_set_fraction is not None:
        return hw.working_set_fraction
    for max_gb, fraction in memory_constants().apple_working_set:
        if hw.memory_gb <= max_gb:
            return fraction
    return utilization


def model_max_context(spec: ModelSpec) -> int | None:
    """The longest context the model serves (its derived max_position_embeddings; None: unknown)."""
    return spec.max_context


def _kv_per_seq(spec: ModelSpec, context: int, bytes_per_value: float) -> float:
    per_seq = min(context, spec.sliding_window) if spec.sliding_window else context
    return per_seq * spec.kv_bytes_per_token(bytes_per_value)


@dataclass(frozen=True)
class MemoryBudget:
    """One deployment's memory, in bytes across the TP group, and what it leaves for sequences."""

    usable_bytes: float  # device memory x devices x the share the engine may use
    reserve_bytes: float  # activations, CUDA graphs, non-torch allocations
    target_weight_bytes: float
    draft_weight_bytes: float
    kv_per_seq_target: float
    kv_per_seq_draft: float
    context_len: int
    max_context: int | None
    draft_max_context: int | None = None

    @property
    def kv_free_without_draft(self) -> float:
        return self.usable_bytes - self.reserve_bytes - self.target_weight_bytes

    @property
    def kv_free_with_draft(self) -> float:
        return self.kv_free_without_draft - self.draft_weight_bytes

    @property
    def seqs_without_draft(self) -> int:
        """Sequences of `context_len` tokens plain decoding runs at once."""
        return max(int(self.kv_free_without_draft // self.kv_per_seq_target), 0) if self.kv_free_without_draft > 0 else 0

    @property
    def seqs_with_draft(self) -> int:
        """Sequences speculation runs at once: the draft's weights and KV cache share the pool."""
        per = self.kv_per_seq_target + self.kv_per_seq_draft
        return max(int(self.kv_free_with_draft // per), 0) if self.kv_free_with_draft > 0 else 0

    @property
    def target_fits(self) -> bool:
        return self.target_weight_bytes + self.reserve_bytes <= self.usable_bytes

    @property
    def context_too_long(self) -> bool:
        return self.max_context is not None and self.context_len > self.max_context

    def problem(self) -> str | None:
        """Why plain decoding of this workload cannot run at all (None: it can)."""
        if self.context_too_long:
            return f"context {self.context_len} exceeds the model's maximum of {self.max_context} tokens"
        if not self.target_fits:
            return (f"the weights ({self.target_weight_bytes / GIB:.1f} GiB) and the engine's reserve "
                    f"({self.reserve_bytes / GIB:.1f} GiB) exceed the {self.usable_bytes / GIB:.1f} GiB usable")
        if self.seqs_without_draft < 1:
            return (f"no sequence of {self.context_len} tokens fits: {self.kv_free_without_draft / GIB:.2f} GiB "
                    f"left for the KV cache, one sequence needs {self.kv_per_seq_target / GIB:.2f} GiB")
        return None


def memory_budget(target: ModelRef, draft: ModelRef | None, hw: Hardware, tp: int, context_len: int,
                  engine: str, utilization: float, kv_bytes_per_value: float) -> MemoryBudget:
    """The deployment's memory budget, as the engine computes it at start-up (see the module doc)."""
    share = device_share(hw, utilization, engine)
    reserve = memory_constants().reserve_gib.get(engine, 1.5) * GIB * tp
    return MemoryBudget(
        usable_bytes=hw.memory_gb * GIB * tp * share,
        reserve_bytes=reserve,
        target_weight_bytes=weight_bytes_stored(target),
        draft_weight_bytes=weight_bytes_stored(draft) if draft is not None else 0.0,
        kv_per_seq_target=_kv_per_seq(target.spec, context_len, kv_bytes_per_value),
        kv_per_seq_draft=_kv_per_seq(draft.spec, context_len, kv_bytes_per_value) if draft is not None else 0.0,
        context_len=context_len,
        max_context=model_max_context(target.spec),
        draft_max_context=model_max_context(draft.spec) if draft is not None else None,
    )


def budget_summary(b: MemoryBudget) -> dict[str, Any]:
    """The budget as plain numbers for JSON reports and rule facts (GiB, sequences)."""
    return {
        "usable_gib": round(b.usable_bytes / GIB, 2), "reserve_gib": round(b.reserve_bytes / GIB, 2),
        "target_weights_gib": round(b.target_weight_bytes / GIB, 2),
        "draft_weights_gib": round(b.draft_weight_bytes / GIB, 2),
        "sequences_without_draft": b.seqs_without_draft, "sequences_with_draft": b.seqs_with_draft,
    }
