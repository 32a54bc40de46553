"""The truthfulness lab's checks: they pass on Proposition 1 and fail on a mechanism that is not truthful."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from abm.deviation import (
    DEFAULT_BATTERY,
    best_response,
    exact_expected_gain,
    paired_gains,
    parse_battery,
)
from abm.distributions import parse_distribution
from abm.mechanism.dissolution import GrovesDissolution, lottery
from abm.mechanism.theory import dissolution_theory
from abm.strategies import parse_strategy

DISTRIBUTIONS = ("uniform", "beta(2,5)", "piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])")


def draws(n: int, spec: str, rounds: int, seed: int) -> tuple[GrovesDissolution, np.ndarray, np.ndarray]:
    dist = parse_distribution(spec)
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.ones(n))
    theory = dissolution_theory(n, dist, tuple(shares / shares.sum()))
    values = dist.ppf(rng.random((rounds, n)))
    owner = lottery(rng.random(rounds), shares)
    return GrovesDissolution(theory.p_star, theory.kappa, shares), values, owner


@dataclass(frozen=True)
class FirstPriceDissolution:
    """Test double that is NOT truthful: the highest report wins and pays its own report to the seller."""

    shares: np.ndarray

    def utilities(self, values: np.ndarray, reports: np.ndarray, owner: np.ndarray) -> np.ndarray:
        rows = np.arange(len(values))
        winner = np.argmax(reports, axis=1)
        price = reports[rows, winner]
        allocation = np.zeros_like(values)
        allocation[rows, winner] = 1.0
        transfers = np.zeros_like(values)
        transfers[rows, winner] += price
        transfers[rows, owner] -= price
        return (allocation - self.shares) * values - transfers


@dataclass(frozen=True)
class QuadraticPrice:
    """Test double with a closed-form best response: win probability r at price r^2, so r* = v / 2."""

    def utilities(self, values: np.ndarray, reports: np.ndarray, owner: np.ndarray) -> np.ndarray:
        return values * reports - reports**2


def battery_positive_rounds(mechanism, values: np.ndarray, owner: np.ndarray, reports: np.ndarray) -> int:  # type: ignore[no-untyped-def]
    """The lab's check: rounds in which some battery strategy beat the truthful report."""
    rng = np.random.default_rng(0)
    count = 0
    for strategy in parse_battery(None):
        for i in range(values.shape[1]):
            deviation = strategy.report(values[:, i], owner == i, rng)
            gains = paired_gains(mechanism, values, owner, reports, i, deviation)
            count += int(np.count_nonzero(gains > 1e-12))
    return count


@pytest.mark.parametrize("spec", DISTRIBUTIONS)
@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_no_battery_strategy_gains_in_any_round(n: int, spec: str) -> None:
    mechanism, values, owner = draws(n, spec, 1500, seed=n)
    assert battery_positive_rounds(mechanism, values, owner, values.copy()) == 0


def test_no_gain_against_misreporting_others() -> None:
    """Dominance: whatever the others report (here, all of them lie), the truth is best."""
    mechanism, values, owner = draws(4, "beta(2,2)", 3000, seed=8)
    rng = np.random.default_rng(1)
    others = ["shade(0.6)", "exaggerate(1.4)", "random", "constant(0.5)"]
    reports = np.column_stack([parse_strategy(s).report(values[:, i], owner == i, rng) for i, s in enumerate(others)])
    assert battery_positive_rounds(mechanism, values, owner, reports) == 0


def test_first_price_double_is_caught_by_the_same_checks() -> None:
    _, values, owner = draws(3, "uniform", 1500, seed=2)
    double = FirstPriceDissolution(np.full(3, 1 / 3))
    assert battery_positive_rounds(double, values, owner, values.copy()) > 100
    regrets = [best_response(double, values[r], int(owner[r]), values[r], 0).regret for r in range(50)]
    assert max(regrets) > 0.01


def test_best_response_recovers_a_closed_form_optimum() -> None:
    double = QuadraticPrice()
    for v in (0.1, 0.37, 0.8, 1.0):
        values = np.array([v, 0.5])
        found = best_response(double, values, 1, values.copy(), 0)
        assert found.report == pytest.approx(v / 2, abs=1e-7)
        assert found.regret == pytest.approx(v * v / 4, abs=1e-12)


def test_best_response_regret_is_zero_for_groves() -> None:
    mechanism, values, owner = draws(5, "triangular(0.3)", 100, seed=4)
    for r in range(100):
        for i in (0, int(owner[r])):
            found = best_response(mechanism, values[r], int(owner[r]), values[r], i)
            assert found.regret <= 1e-12


@pytest.mark.parametrize("spec", ["uniform", "beta(2,5)"])
@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize(
    "strategy",
    ["shade(0.7)", "exaggerate(1.3)", "bias(0.1)", "constant(0.4)", "role(seller=exaggerate(1.2),buyer=shade(0.8))"],
)
def test_exact_gain_matches_simulated_paired_gain(n: int, spec: str, strategy: str) -> None:
    """Quadrature vs 40 000 paired Monte Carlo rounds: within 4 standard errors."""
    mechanism, values, owner = draws(n, spec, 40_000, seed=17)
    rule = parse_strategy(strategy)
    gains = paired_gains(mechanism, values, owner, values.copy(), 0, rule.apply(values[:, 0], owner == 0))
    exact = exact_expected_gain(rule, parse_distribution(spec), n, float(mechanism.shares[0]))
    assert exact is not None and exact <= 0
    assert abs(gains.mean() - exact) <= 4 * gains.std(ddof=1) / np.sqrt(gains.size) + 1e-12


def test_exact_gain_of_truth_and_random() -> None:
    dist = parse_distribution("uniform")
    assert exact_expected_gain(parse_strategy("truthful"), dist, 3, 0.3) == 0.0
    assert exact_expected_gain(parse_strategy("random"), dist, 3, 0.3) is None
    # Closed form, N = 2 uniform, shade(f): E[-(int_{f t}^{t} (t - y) dy)] = -(1 - f)^2 / 6.
    assert exact_expected_gain(parse_strategy("shade(0.7)"), dist, 2, 0.5) == pytest.approx(-(0.3**2) / 6, abs=1e-12)


def test_battery_parsing() -> None:
    assert len(parse_battery(None)) == len(DEFAULT_BATTERY) >= 25
    specs = [s.spec for s in parse_battery("shade(0.8), role(seller=bias(0.1),buyer=shade(0.5)),random")]
    assert specs == ["shade(0.8)", "role(seller=bias(0.1),buyer=shade(0.5))", "random"]
