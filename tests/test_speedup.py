"""Property tests for the Leviathan et al. (2023) arithmetic in specadvisor/speedup.py."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from specadvisor.model.speedup import (
    RoundCosts,
    accepted_rate_to_alpha,
    alpha_from_tau,
    best_k,
    speedup_at,
    speedup_curve,
    tokens_per_round,
)

alphas = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
open_alphas = st.floats(min_value=0.0, max_value=1.0, exclude_max=True, allow_nan=False)
ks = st.integers(min_value=1, max_value=64)
pos_ms = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
nonneg_ms = st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def round_costs(draw, min_draft: float = 0.0) -> RoundCosts:
    """Costs where verifying n tokens costs at least a plain target step and grows with n."""
    target = draw(pos_ms)
    draft = draw(st.floats(min_value=min_draft, max_value=1e3, allow_nan=False, allow_infinity=False))
    per_token = draw(st.floats(min_value=0.0, max_value=2.0, allow_nan=False))
    overhead = draw(nonneg_ms)

    def verify(n: int) -> float:
        return target * (1.0 + per_token * (n - 1))

    return RoundCosts(
        target_step_ms=target, draft_step_ms=draft, verify_ms=verify, round_overhead_ms=overhead
    )


# -- tokens_per_round (tau) ------------------------------------------------------------------------


@given(alphas, st.integers(min_value=0, max_value=64))
def test_tau_between_one_and_k_plus_one(alpha, k):
    tau = tokens_per_round(alpha, k)
    assert 1.0 <= tau <= k + 1


@given(open_alphas, open_alphas, ks)
def test_tau_increases_with_alpha(a, b, k):
    lo, hi = sorted((a, b))
    # Non-decreasing up to float rounding (the closed form loses a few ulps next to alpha = 1) ...
    assert tokens_per_round(lo, k) <= tokens_per_round(hi, k) * (1 + 1e-12)
    # ... and strictly increasing when the alphas are visibly apart.
    if hi - lo > 1e-6:
        assert tokens_per_round(lo, k) < tokens_per_round(hi, k)


@given(open_alphas, ks)
def test_tau_matches_geometric_series(alpha, k):
    assume(alpha < 0.999)  # away from the 0/0 point the closed form equals the plain sum
    series = sum(alpha**i for i in range(k + 1))
    assert tokens_per_round(alpha, k) == pytest.approx(series, rel=1e-9)


@pytest.mark.parametrize("k", [0, 1, 5, 64])
def test_tau_edge_values(k):
    assert tokens_per_round(0.0, k) == 1.0
    assert tokens_per_round(1.0, k) == k + 1
    assert tokens_per_round(0.5, 1) == pytest.approx(1.5)


def test_tau_rejects_negative_k():
    with pytest.raises(ValueError):
        tokens_per_round(0.5, -1)


# -- alpha_from_tau / accepted_rate_to_alpha -------------------------------------------------------


@given(open_alphas, ks)
def test_alpha_from_tau_inverts_tokens_per_round(alpha, k):
    assert alpha_from_tau(tokens_per_round(alpha, k), k) == pytest.approx(alpha, abs=1e-6)


@given(ks, st.floats(min_value=0.0, max_value=1.0))
def test_alpha_from_tau_is_within_unit_interval(k, frac):
    tau = 1.0 + frac * k
    alpha = alpha_from_tau(tau, k)
    assert 0.0 <= alpha <= 1.0
    assert tokens_per_round(alpha, k) == pytest.approx(tau, abs=1e-6)


@pytest.mark.parametrize(("tau", "k"), [(0.99, 3), (4.01, 3), (2.5, 0), (-1.0, 5)])
def test_alpha_from_tau_rejects_out_of_range(tau, k):
    with pytest.raises(ValueError):
        alpha_from_tau(tau, k)


@given(st.floats(min_value=0.0, max_value=1.0), ks)
def test_accepted_rate_to_alpha_consistent_with_tau(rate, k):
    alpha = accepted_rate_to_alpha(rate, k)
    assert 0.0 <= alpha <= 1.0
    assert tokens_per_round(alpha, k) == pytest.approx(1.0 + rate * k, abs=1e-6)


@given(st.floats(min_value=0.01, max_value=0.99), st.integers(min_value=2, max_value=64))
def test_accepted_rate_is_not_alpha(rate, k):
    # The engines' accepted/drafted ratio understates the per-token alpha for k >= 2.
    assert accepted_rate_to_alpha(rate, k) > rate


def test_accepted_rate_known_value():
    # k = 1: tau = 1 + alpha, so the engine ratio equals alpha.
    assert accepted_rate_to_alpha(0.6, 1) == pytest.approx(0.6, abs=1e-9)
    # k = 2, alpha = 0.5: tau = 1.75, rate = 0.375.
    assert accepted_rate_to_alpha(0.375, 2) == pytest.approx(0.5, abs=1e-9)


# -- speedup ---------------------------------------------------------------------------------------


@given(open_alphas, open_alphas, ks, round_costs())
def test_speedup_rises_with_alpha(a, b, k, costs):
    lo, hi = sorted((a, b))
    assert speedup_at(lo, k, costs) <= speedup_at(hi, k, costs) * (1 + 1e-12)
    if hi - lo > 1e-6:
        assert speedup_at(lo, k, costs) < speedup_at(hi, k, costs)


@given(open_alphas, open_alphas, round_costs(), st.integers(min_value=1, max_value=32))
def test_best_speedup_over_k_rises_with_alpha(a, b, costs, max_k):
    lo, hi = sorted((a, b))
    best_lo = max(speedup_curve(lo, costs, max_k).values())
    best_hi = max(speedup_curve(hi, costs, max_k).values())
    assert best_lo <= best_hi * (1 + 1e-12)


@given(ks, round_costs(min_draft=1e-6))
def test_alpha_zero_never_speeds_up(k, costs):
    assert speedup_at(0.0, k, costs) < 1.0


@given(open_alphas, round_costs())
def test_k_zero_is_plain_decoding(alpha, costs):
    assert speedup_at(alpha, 0, costs) == 1.0


@given(alphas, ks, round_costs())
def test_speedup_is_tau_times_step_over_round(alpha, k, costs):
    round_ms = k * costs.draft_step_ms + costs.verify_ms(k + 1) + costs.round_overhead_ms
    expected = tokens_per_round(alpha, k) * costs.target_step_ms / round_ms
    assert speedup_at(alpha, k, costs) == pytest.approx(expected, rel=1e-12)


@given(alphas, round_costs(), st.integers(min_value=1, max_value=32))
def test_speedup_is_bounded_by_k_plus_one(alpha, costs, max_k):
    # verify(k+1) >= one target step, so a round can never beat k+1 plain steps.
    for k, s in speedup_curve(alpha, costs, max_k).items():
        assert 0.0 < s <= k + 1 + 1e-9


@given(open_alphas, round_costs(), st.integers(min_value=1, max_value=32))
def test_speedup_curve_has_keys_one_to_max_k(alpha, costs, max_k):
    curve = speedup_curve(alpha, costs, max_k)
    assert list(curve) == list(range(1, max_k + 1))
    for k, s in curve.items():
        assert s == pytest.approx(speedup_at(alpha, k, costs), rel=1e-12)  # summed series vs closed form


def test_free_draft_perfect_acceptance_gives_k_plus_one():
    costs = RoundCosts(10.0, 0.0, lambda n: 10.0, 0.0)
    assert speedup_at(1.0, 4, costs) == pytest.approx(5.0)


# -- best_k ----------------------------------------------------------------------------------------

speedups = st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False)


@given(st.lists(speedups, min_size=1, max_size=64))
def test_best_k_returns_the_argmax(values):
    curve = {k: v for k, v in enumerate(values, start=1)}
    k = best_k(curve)
    top = max(values)
    assert k in curve
    assert curve[k] == pytest.approx(top, rel=1e-9)
    # ties (within float noise) go to the smallest k
    for smaller in range(1, k):
        assert not math.isclose(curve[smaller], top, rel_tol=1e-9)
        assert curve[smaller] < top


@given(st.lists(speedups, min_size=1, max_size=16, unique=True))
def test_best_k_of_distinct_values_is_exact_argmax(values):
    assume(all(not math.isclose(a, b, rel_tol=1e-9) for i, a in enumerate(values) for b in values[i + 1 :]))
    curve = {k: v for k, v in enumerate(values, start=1)}
    assert best_k(curve) == max(curve, key=curve.__getitem__)


def test_best_k_tie_goes_to_smaller_k():
    assert best_k({1: 1.5, 2: 2.0, 3: 2.0, 4: 1.9}) == 2
    assert best_k({3: 2.0, 5: 2.0}) == 3


@given(open_alphas, round_costs())
def test_best_k_of_curve_maximises_speedup(alpha, costs):
    curve = speedup_curve(alpha, costs, 16)
    k = best_k(curve)
    assert all(curve[k] >= s * (1 - 1e-9) for s in curve.values())
