"""Theorem 1: Groves mechanism of 1(b), the 1(a) counterexample and the exact feasibility test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from abm.distributions import Beta, Piecewise, Uniform, parse_distribution
from abm.mechanism import bilateral


def test_uniform_closed_forms() -> None:
    th = bilateral.theory(Uniform(), Uniform())
    assert th.p_star == pytest.approx(0.5, abs=1e-15)
    assert th.gains_from_trade == pytest.approx(1 / 6, abs=1e-12)
    assert th.replica_gains == pytest.approx(1 / 4, abs=1e-12)
    assert th.kappa == pytest.approx(0.0, abs=1e-12)
    assert th.buyer_utility == pytest.approx(1 / 24, abs=1e-12)
    assert th.broker_revenue == pytest.approx(1 / 12, abs=1e-12)
    assert th.feasible and th.shortfall is None


@pytest.mark.parametrize("delta", [1e-4, 1e-3, 0.01])
def test_theorem_1a_example_is_infeasible(delta: float) -> None:
    buyer, seller = bilateral.theorem_1a_distributions(delta)
    th = bilateral.theory(buyer, seller)
    # The proof: GT = 3/250 + O(delta), while no-deficit charges need 8/100 + O(delta).
    assert th.gains_from_trade == pytest.approx(3 / 250, abs=0.2 * delta + 1e-9)
    assert not th.feasible
    assert th.shortfall == pytest.approx(th.replica_gains - 2 * th.gains_from_trade)
    assert th.replica_gains >= 0.08 * (1 - delta) - 1e-12


def test_theorem_1a_example_becomes_feasible_for_large_delta() -> None:
    buyer, seller = bilateral.theorem_1a_distributions(0.9)
    assert bilateral.theory(buyer, seller).feasible


def test_replica_gains_equal_theorem_1b_charges() -> None:
    """R by quantile integral equals int_0^p* F_S + int_p*^1 (1 - F_B), the 1(b) charges."""
    for b_spec, s_spec in [("beta(2,5)", "uniform"), ("triangular(0.7)", "beta(3,2)")]:
        th = bilateral.theory(parse_distribution(b_spec), parse_distribution(s_spec))
        assert th.replica_gains == pytest.approx(th.buyer_charge + th.seller_charge, abs=1e-10)


def lp_least_charges(pb: np.ndarray, ps: np.ndarray, grid: np.ndarray) -> float:
    """min E[h_B] + E[h_S] s.t. h_B(s) + h_S(b) >= (b - s)^+ on a discrete grid (Lemma 1(a))."""
    k = grid.size
    cost = np.concatenate([ps, pb])  # h_B indexed by seller value, h_S by buyer value
    rows, rhs = [], []
    for b in range(k):
        for s in range(k):
            row = np.zeros(2 * k)
            row[s] = row[k + b] = -1.0
            rows.append(row)
            rhs.append(-max(grid[b] - grid[s], 0.0))
    result = linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=(None, None), method="highs")
    assert result.status == 0
    return float(result.fun)


def discrete_replica(pb: np.ndarray, ps: np.ndarray, grid: np.ndarray) -> float:
    """Countermonotone coupling of two discrete laws, evaluated exactly by a merge."""
    u = np.unique(np.concatenate([[0.0, 1.0], np.cumsum(pb), 1 - np.cumsum(ps)]).clip(0, 1))
    mid = (u[:-1] + u[1:]) / 2
    b = grid[np.minimum(np.searchsorted(np.cumsum(pb), mid), grid.size - 1)]
    s = grid[np.minimum(np.searchsorted(np.cumsum(ps), 1 - mid), grid.size - 1)]
    return float(np.sum(np.diff(u) * np.maximum(b - s, 0.0)))


@given(st.integers(0, 2**32 - 1))
def test_duality_replica_value_equals_lp_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grid = np.linspace(0, 1, 12)
    pb, ps = rng.dirichlet(np.ones(12)), rng.dirichlet(np.ones(12))
    assert lp_least_charges(pb, ps, grid) == pytest.approx(discrete_replica(pb, ps, grid), abs=1e-8)


@given(st.floats(0.3, 8), st.floats(0.3, 8), st.floats(0.3, 8), st.floats(0.3, 8))
def test_median_condition_implies_feasible(a: float, b: float, c: float, d: float) -> None:
    buyer, seller = Beta(a, b), Beta(c, d)
    if buyer.median() < seller.median():
        buyer, seller = seller, buyer
    th = bilateral.theory(buyer, seller)
    assert th.feasible
    assert th.buyer_utility >= -1e-12 and th.seller_utility >= -1e-12


@given(st.integers(0, 2**32 - 1), st.floats(-0.3, 0.3))
def test_no_deficit_and_dominance_on_random_profiles(seed: int, kappa: float) -> None:
    rng = np.random.default_rng(seed)
    price = float(rng.random())
    b, s = rng.random(200), rng.random(200)
    q, tb, ts = bilateral.outcome(b, s, price, kappa)
    assert np.all(tb + ts >= -1e-12)
    np.testing.assert_array_equal(q, b > s)
    grid = np.linspace(0, 1, 101)
    for k in range(10):
        qb, tbb, _ = bilateral.outcome(grid, s[k], price, kappa)
        ub, _ = bilateral.utilities(b[k], s[k], qb, tbb, 0.0)
        truth_b, _ = bilateral.utilities(b[k], s[k], *bilateral.outcome(b[k], s[k], price, kappa))
        assert truth_b >= ub.max() - 1e-12
        qs, _, tss = bilateral.outcome(b[k], grid, price, kappa)
        _, us = bilateral.utilities(b[k], s[k], qs, 0.0, tss)
        _, truth_s = bilateral.utilities(b[k], s[k], *bilateral.outcome(b[k], s[k], price, kappa))
        assert truth_s >= us.max() - 1e-12


def test_monte_carlo_matches_exact_expectations() -> None:
    buyer, seller = parse_distribution("beta(3,2)"), parse_distribution("triangular(0.4)")
    th = bilateral.theory(buyer, seller)
    rng = np.random.default_rng(11)
    b, s = buyer.sample(rng, 1_000_000), seller.sample(rng, 1_000_000)
    q, tb, ts = bilateral.outcome(b, s, th.p_star, th.kappa)
    ub, us = bilateral.utilities(b, s, q, tb, ts)
    for sample, exact in [(ub, th.buyer_utility), (us, th.seller_utility), (tb + ts, th.broker_revenue)]:
        assert abs(sample.mean() - exact) <= 4 * sample.std() / np.sqrt(sample.size)


def test_piecewise_spec_of_theorem_1a_round_trips() -> None:
    buyer, _ = bilateral.theorem_1a_distributions(0.01)
    assert isinstance(parse_distribution(buyer.spec), Piecewise)
    with pytest.raises(ValueError):
        bilateral.theorem_1a_distributions(0.0)
