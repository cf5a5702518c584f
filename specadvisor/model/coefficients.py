"""Loading the cost and acceptance coefficients from `specadvisor/data/coefficients.yaml`.

The coefficients live in data so that `calibrate-model` can refit them without touching code, and so
that each value can carry its source next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from specadvisor import paths
from specadvisor.errors import InputFileError
from specadvisor.vocab import Engine, Task, values
from specadvisor.yamlio import load_yaml_file

ENGINES = values(Engine)
RELATIONS = ("same-family", "other-generation", "shared-tokenizer", "different-tokenizer")
TASKS = values(Task)


@dataclass(frozen=True)
class EngineCosts:
    forward_overhead_ms: float
    draft_step_overhead_ms: float
    layer_overhead_us: float
    round_overhead_ms: float
    spec_overhead_per_seq_us: float
    source: str
    # An engine with no measurements of its own moves with this one when `calibrate-model` refits
    # (same design, e.g. CUDA-graph servers), keeping its prior ratio to it.
    follows: str | None = None
    # Weight-only quantized formats (GGUF k-quants, INT4/INT8 W*A16, MXFP4/NVFP4 without FP4 units): the extra
    # time each further token of one forward costs, as a share of reading the weights once. The engine's
    # matrix-vector kernels dequantize every weight block again for each token, so verifying k+1 tokens on a
    # Q4 target costs well over one decode step (see coefficients.yaml). 0 = the kernels amortize it.
    dequant_per_token: float = 0.0
    # Host-side cost per running sequence of each draft forward (input and cache-slot preparation), so k
    # draft steps at concurrency b cost k*b of it; 0 = none (engines that run one sequence).
    draft_step_per_seq_us: float = 0.0


@dataclass(frozen=True)
class CostCoefficients:
    bandwidth_efficiency: dict[str, float]
    flops_efficiency: dict[str, float]
    bf16_emulation: float
    kv_bytes_per_value: float
    tp_allreduce_us: float
    cost_uncertainty: float
    memory_utilization: float
    engines: dict[str, EngineCosts]
    # Tokens per forward up to which the per-token dequantization grows; beyond it engines switch to
    # dequantize-once GEMM kernels (llama.cpp's MMVQ_MAX_BATCH_SIZE).
    dequant_tokens_max: int = 8


@dataclass(frozen=True)
class AcceptanceCoefficients:
    intercept: float
    log10_size_ratio: float
    floor_params_b: float
    below_floor_per_decade: float
    relation: dict[str, float]
    distilled: float
    domain_mismatch: float
    task: dict[str, float]
    temperature: float
    quantization: dict[str, float]
    band_logit: float


@dataclass(frozen=True)
class Coefficients:
    status: str
    cost: CostCoefficients
    acceptance: AcceptanceCoefficients


def _req(d: Any, key: str, path: str, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise InputFileError(path, getattr(d, "line", None), f"{where}.{key}", "required field is missing")
    return d[key]


def _floats(d: Any, path: str, where: str) -> dict[str, float]:
    if not isinstance(d, dict):
        raise InputFileError(path, getattr(d, "line", None), where, "expected a mapping of numbers")
    out = {}
    for k, v in d.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputFileError(path, d.line_of(k) if hasattr(d, "line_of") else None, f"{where}.{k}",
                                 f"expected a number, got {v!r}")
        out[str(k)] = float(v)
    return out


def _per_kind(d: Any, path: str, where: str) -> dict[str, float]:
    """A mapping by device kind; a single number (fitted files before 0.1.1) applies to every kind."""
    if isinstance(d, int | float) and not isinstance(d, bool):
        return {k: float(d) for k in ("gpu", "apple", "cpu", "tpu", "asic")}
    return _floats(d, path, where)


def parse_coefficients(doc: Any, path: str) -> Coefficients:
    c = _req(doc, "cost", path, "")
    a = _req(doc, "acceptance", path, "")
    engines = {}
    for name, raw in _req(c, "engines", path, "cost").items():
        nums = _floats({k: v for k, v in raw.items() if k not in ("source", "follows")}, path, f"cost.engines.{name}")
        follows = raw.get("follows")
        if follows is not None and (follows not in ENGINES or follows == name):
            raise InputFileError(path, raw.line_of("follows") if hasattr(raw, "line_of") else None,
                                 f"cost.engines.{name}.follows",
                                 f"expected another engine ({', '.join(ENGINES)}), got {follows!r}")
        engines[str(name)] = EngineCosts(source=str(raw.get("source", "")), follows=follows, **nums)
    missing = [e for e in ENGINES if e not in engines]
    if missing:
        raise InputFileError(path, None, "cost.engines", f"missing engines: {', '.join(missing)}")
    cost = CostCoefficients(
        bandwidth_efficiency=_floats(_req(c, "bandwidth_efficiency", path, "cost"), path, "cost.bandwidth_efficiency"),
        flops_efficiency=_per_kind(_req(c, "flops_efficiency", path, "cost"), path, "cost.flops_efficiency"),
        bf16_emulation=float(_req(c, "bf16_emulation", path, "cost")),
        kv_bytes_per_value=float(_req(c, "kv_bytes_per_value", path, "cost")),
        tp_allreduce_us=float(_req(c, "tp_allreduce_us", path, "cost")),
        cost_uncertainty=float(_req(c, "cost_uncertainty", path, "cost")),
        memory_utilization=float(_req(c, "memory_utilization", path, "cost")),
        engines=engines,
        dequant_tokens_max=int(c.get("dequant_tokens_max", 8)),
    )
    acc = AcceptanceCoefficients(
        intercept=float(_req(a, "intercept", path, "acceptance")),
        log10_size_ratio=float(_req(a, "log10_size_ratio", path, "acceptance")),
        floor_params_b=float(_req(a, "floor_params_b", path, "acceptance")),
        below_floor_per_decade=float(_req(a, "below_floor_per_decade", path, "acceptance")),
        relation=_floats(_req(a, "relation", path, "acceptance"), path, "acceptance.relation"),
        distilled=float(_req(a, "distilled", path, "acceptance")),
        domain_mismatch=float(_req(a, "domain_mismatch", path, "acceptance")),
        task=_floats(_req(a, "task", path, "acceptance"), path, "acceptance.task"),
        temperature=float(_req(a, "temperature", path, "acceptance")),
        quantization=_floats(_req(a, "quantization", path, "acceptance"), path, "acceptance.quantization"),
        band_logit=float(_req(a, "band_logit", path, "acceptance")),
    )
    return Coefficients(status=str(doc.get("status", "prior")), cost=cost, acceptance=acc)


def merge(base: Any, over: Any) -> Any:
    """`over` laid on `base`, mapping by mapping (fitted values replace priors key by key)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v)
        return out
    return over


@lru_cache(maxsize=4)
def load_coefficients(path: str | None = None, fitted: str | None = None) -> Coefficients:
    """The prior coefficients, overlaid by `fitted.yaml` when `calibrate-model` has written one."""
    p = Path(path) if path else paths.coefficients_path()
    doc = load_yaml_file(p)
    f = Path(fitted) if fitted else paths.fitted_path()
    if f.exists():
        fit = load_yaml_file(f)
        if isinstance(fit, dict) and isinstance(fit.get("overrides"), dict):
            doc = merge(doc, fit["overrides"])
            doc["status"] = str(fit.get("status", "fitted"))
    return parse_coefficients(doc, str(p))
