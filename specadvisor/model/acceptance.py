"""A prior for the per-token acceptance rate alpha of a draft/target pair, with a band.

alpha = sigmoid(sum of coefficient x feature) with features for the pair's relation, the log size
ratio, the size floor, distillation, domain mismatch, task, temperature and the draft's quantisation.
Keeping the model linear on the logit scale makes it fittable by (ridge) least squares, which is what
`specadvisor calibrate-model` does; the coefficients and their sources are in
`specadvisor/data/coefficients.yaml`. alpha depends only on the pair and the workload, never on k:
longer drafts lose tokens only through the tau formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from specadvisor.catalog.core import Catalog, ModelRef, ModelSpec
from specadvisor.model.coefficients import AcceptanceCoefficients


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


def features(
    *,
    target_params_b: float,
    draft_params_b: float,
    rel: str,
    distilled: bool,
    domain_mismatch: bool,
    task: str,
    temperature: float,
    draft_format: str | None,
    floor_params_b: float,
) -> dict[str, float]:
    """The acceptance model's inputs, by coefficient name (see `coefficient_vector`)."""
    f: dict[str, float] = {
        "intercept": 1.0,
        "log10_size_ratio": math.log10(draft_params_b / target_params_b),
        f"relation:{rel}": 1.0,
        f"task:{task}": 1.0,
        "temperature": temperature,
    }
    if draft_params_b < floor_params_b:
        f["size_floor"] = math.log10(floor_params_b / draft_params_b)
    if distilled:
        f["distilled"] = 1.0
    if domain_mismatch:
        f["domain_mismatch"] = 1.0
    if draft_format:
        f[f"quantization:{draft_format}"] = 1.0
    return f


def coefficient_vector(c: AcceptanceCoefficients) -> dict[str, float]:
    """The coefficients under the same names as `features` uses."""
    v = {
        "intercept": c.intercept,
        "log10_size_ratio": c.log10_size_ratio,
        "size_floor": -c.below_floor_per_decade,
        "distilled": c.distilled,
        "domain_mismatch": c.domain_mismatch,
        "temperature": c.temperature,
    }
    v.update({f"relation:{k}": x for k, x in c.relation.items()})
    v.update({f"task:{k}": x for k, x in c.task.items()})
    v.update({f"quantization:{k}": x for k, x in c.quantization.items()})
    return v


def effective_task(target: ModelSpec, task: str, thinking: bool = True) -> str:
    """What the draft has to predict: a reasoning target's trace is prose whatever the prompt asked for,
    so with thinking on its acceptance follows the `reasoning` term instead of the task's."""
    return "reasoning" if thinking and target.reasoning else task


def pair_features(target: ModelRef, draft: ModelRef, rel: str, task: str, temperature: float,
                  coeffs: AcceptanceCoefficients, catalog: Catalog | None = None,
                  thinking: bool = True) -> dict[str, float]:
    t, d = target.spec, draft.spec
    task = effective_task(t, task, thinking)
    return features(
        target_params_b=t.params_b, draft_params_b=d.params_b, rel=rel,
        distilled=is_distilled_for(t, d, catalog),
        domain_mismatch=(t.domain == "code") != (d.domain == "code"),
        task=task, temperature=temperature,
        draft_format=draft.weight_format if draft.quantized else None,
        floor_params_b=coeffs.floor_params_b,
    )


@dataclass(frozen=True)
class AlphaEstimate:
    alpha: float
    low: float
    high: float
    terms: dict[str, float]  # each contribution on the logit scale, for explanations


_VECTORS: dict[int, tuple[AcceptanceCoefficients, dict[str, float]]] = {}


def _cached_vector(coeffs: AcceptanceCoefficients) -> dict[str, float]:
    """coefficient_vector, built once per coefficients object (a recommend call scores hundreds of pairs)."""
    hit = _VECTORS.get(id(coeffs))
    if hit is None or hit[0] is not coeffs:
        hit = (coeffs, coefficient_vector(coeffs))
        _VECTORS[id(coeffs)] = hit
    return hit[1]


def alpha_from_features(f: dict[str, float], coeffs: AcceptanceCoefficients) -> AlphaEstimate:
    cv = _cached_vector(coeffs)
    terms = {name: cv.get(name, 0.0) * x for name, x in f.items()}
    z = sum(terms.values())
    band = coeffs.band_logit
    return AlphaEstimate(sigmoid(z), sigmoid(z - band), sigmoid(z + band), terms)


def estimate_alpha(
    target: ModelRef,
    draft: ModelRef,
    rel: str,
    task: str,
    temperature: float,
    coeffs: AcceptanceCoefficients,
    catalog: Catalog | None = None,
    thinking: bool = True,
) -> AlphaEstimate:
    return alpha_from_features(pair_features(target, draft, rel, task, temperature, coeffs, catalog, thinking), coeffs)
