"""Proposition 1 kernel and Theorem 2 lottery against a literal per-agent implementation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.distributions import Uniform
from abm.mechanism.dissolution import groves_outcome, lottery, net_utilities, p_star, realised_gains, x_star


def reference_transfers(theta: np.ndarray, seller: int, price: float, kappa: float) -> tuple[int, np.ndarray]:
    """Proposition 1 written agent by agent, straight from the paper (Section 4)."""
    n = len(theta)
    buyers = [j for j in range(n) if j != seller]
    top = max(theta[j] for j in buyers)
    winner = seller if theta[seller] >= top else min(j for j in buyers if theta[j] == top)
    t = np.zeros(n)
    for i in buyers:
        highest_other = max(theta[j] for j in range(n) if j != i)
        others = sorted((theta[j] for j in buyers if j != i), reverse=True)
        second_other = others[1] if len(others) >= 2 else 0.0
        q_i = 1.0 if winner == i else 0.0
        t[i] = highest_other * q_i + max(price - max(second_other, theta[seller]), 0.0) / (n - 1) + kappa
    q_seller = 1.0 if winner == seller else 0.0
    t[seller] = -top * (1 - q_seller) + max(top - price, 0.0) - (n - 1) * kappa
    return winner, t


def test_x_star_closed_forms() -> None:
    assert x_star(2) == 0.5
    assert x_star(3) == pytest.approx((np.sqrt(5) - 1) / 2, abs=1e-15)
    assert x_star(4) == pytest.approx(1 / np.sqrt(2), abs=1e-15)


@pytest.mark.parametrize("n", [5, 6, 10, 50, 200, 1000, 5000])
def test_x_star_solves_its_equation(n: int) -> None:
    x = x_star(n)
    assert 0.5 < x < 1
    # Relative residual of (N-2) x^(N-2) - (N-4) x^(N-1) = 1, evaluated in logs.
    log_lhs = (n - 2) * np.log(x) + np.log((n - 2) - (n - 4) * x)
    assert abs(log_lhs) < 1e-13
    assert x_star(n) > x_star(n - 1)


def test_p_star_uniform_equals_x_star() -> None:
    assert p_star(Uniform(), 7) == pytest.approx(x_star(7))


@given(st.integers(2, 12), st.integers(0, 2**32 - 1), st.floats(-0.2, 0.2))
def test_kernel_matches_reference_and_has_no_deficit(n: int, seed: int, kappa: float) -> None:
    rng = np.random.default_rng(seed)
    rounds = 20
    theta = rng.random((rounds, n))
    theta[:5] = np.round(theta[:5] * 4) / 4  # ties
    seller = rng.integers(0, n, rounds)
    price = float(rng.random())
    out = groves_outcome(theta, seller, price, kappa)
    for r in range(rounds):
        winner, t = reference_transfers(theta[r], int(seller[r]), price, kappa)
        assert out.winner[r] == winner
        np.testing.assert_allclose(out.transfers[r], t, atol=1e-13)
    assert np.all(out.revenue >= -1e-12)
    np.testing.assert_array_equal(out.allocation.sum(axis=1), 1.0)
    # Efficiency: the good ends with a highest report.
    assert np.all(theta[np.arange(rounds), out.winner] == theta.max(axis=1))


@given(st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_truthful_report_is_ex_post_dominant(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.random(n)
    others = rng.random(n)  # arbitrary reports of the others
    seller = int(rng.integers(0, n))
    shares = rng.dirichlet(np.ones(n))
    price, kappa = float(rng.random()), float(rng.normal(0, 0.05))
    grid = np.linspace(0, 1, 101)
    for i in range(n):
        reports = np.tile(others, (grid.size + 1, 1))
        reports[:-1, i] = grid
        reports[-1, i] = values[i]
        out = groves_outcome(reports, np.full(grid.size + 1, seller), price, kappa)
        utility = net_utilities(values[i], out.allocation[:, i], out.transfers[:, i], shares[i])
        assert utility[-1] >= utility[:-1].max() - 1e-12


def test_lottery_by_shares() -> None:
    shares = np.array([0.5, 0.0, 0.3, 0.2])
    u = np.array([0.0, 0.49999, 0.5, 0.79999, 0.8, 0.99999999])
    np.testing.assert_array_equal(lottery(u, shares), [0, 0, 2, 2, 3, 3])
    draws = lottery(np.random.default_rng(0).random(400_000), shares)
    freq = np.bincount(draws, minlength=4) / draws.size
    # 4 standard errors of a proportion with n = 400 000 is at most 0.0032.
    np.testing.assert_allclose(freq, shares, atol=0.0032)
    assert lottery(np.array([0.999999999999]), np.array([1 / 3, 1 / 3, 1 / 3]))[0] == 2


def test_realised_gains_and_utilities() -> None:
    values = np.array([[0.2, 0.9, 0.5]])
    assert realised_gains(values, np.array([1]), np.array([0]))[0] == pytest.approx(0.7)
    u = net_utilities(values, np.array([[0, 1, 0]]), np.array([[0.1, 0.6, -0.2]]), np.array([0.5, 0.5, 0]))
    np.testing.assert_allclose(u, [[-0.2, -0.15, 0.2]])
