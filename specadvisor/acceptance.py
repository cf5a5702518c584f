"""A prior for the per-token acceptance rate alpha of a draft/target pair, with a band.

alpha = sigmoid(sum of terms) with terms for the pair's relation, the log size ratio, the size floor,
distillation, domain mismatch, task, temperature and the draft's quantisation. The coefficients and
their sources are in `specadvisor/data/coefficients.yaml`. alpha depends only on the pair and the
workload, never on k: longer drafts lose tokens only through the tau formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from specadvisor.catalog import Catalog, ModelRef, ModelSpec
from specadvisor.coefficients import AcceptanceCoefficients


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def relation(target: ModelSpec, draft: ModelSpec, tokenizer_verdict: str) -> str:
    """same-family / other-generation / shared-tokenizer / different-tokenizer (the article's Trade-off 2)."""
    if tokenizer_verdict == "different":
        return "different-tokenizer"
    if target.family == draft.family:
        return "same-family" if target.generation == draft.generation else "other-generation"
    return "shared-tokenizer"


def is_distilled_for(target: ModelSpec, draft: ModelSpec, catalog: Catalog | None) -> bool:
    """Was the draft distilled from this target, its family, or the same teacher as the target?"""
    teacher = draft.distilled_from
    if not teacher:
        return False
    ids = {target.id.lower(), *(a.lower() for a in target.aliases)}
    if teacher.lower() in ids or (target.distilled_from and target.distilled_from == teacher):
        return True
    if catalog is not None:
        spec = catalog.find_model(teacher)
        return spec is not None and spec.family == target.family
    return False


@dataclass(frozen=True)
class AlphaEstimate:
    alpha: float
    low: float
    high: float
    terms: dict[str, float]  # each contribution on the logit scale, for explanations


def estimate_alpha(
    target: ModelRef,
    draft: ModelRef,
    rel: str,
    task: str,
    temperature: float,
    coeffs: AcceptanceCoefficients,
    catalog: Catalog | None = None,
) -> AlphaEstimate:
    t, d = target.spec, draft.spec
    terms: dict[str, float] = {"intercept": coeffs.intercept}
    terms["size_ratio"] = coeffs.log10_size_ratio * math.log10(d.params_b / t.params_b)
    if d.params_b < coeffs.floor_params_b:
        terms["size_floor"] = -coeffs.below_floor_per_decade * math.log10(coeffs.floor_params_b / d.params_b)
    terms["relation"] = coeffs.relation[rel]
    if is_distilled_for(t, d, catalog):
        terms["distilled"] = coeffs.distilled
    if (t.domain == "code") != (d.domain == "code"):
        terms["domain_mismatch"] = coeffs.domain_mismatch
    terms["task"] = coeffs.task.get(task, 0.0)
    terms["temperature"] = coeffs.temperature * temperature
    if draft.quantized:
        terms["draft_quantization"] = coeffs.quantization.get(draft.weight_format, 0.0)
    z = sum(terms.values())
    band = coeffs.band_logit
    return AlphaEstimate(sigmoid(z), sigmoid(z - band), sigmoid(z + band), terms)
