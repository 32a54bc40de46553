"""The truthfulness lab's measurements: paired deviation gains, their exact expectation, best responses.

Every gain is *paired*: the same values, the same lottery and the same reports
of the others, with only one partner's report changed. A mechanism is anything
with ``utilities(values, reports, owner) -> (rounds, N)``, so the same checks
run on Proposition 1 and on test doubles that are not truthful.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from abm.distributions import Distribution
from abm.mechanism.dissolution import Mechanism, utility_with_report
from abm.quadrature import integrate
from abm.strategies import RoleDependent, Strategy, parse_strategy

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

DEFAULT_BATTERY = (
    "shade(0.5)",
    "shade(0.6)",
    "shade(0.7)",
    "shade(0.8)",
    "shade(0.9)",
    "shade(0.95)",
    "exaggerate(1.05)",
    "exaggerate(1.1)",
    "exaggerate(1.2)",
    "exaggerate(1.3)",
    "exaggerate(1.5)",
    "bias(-0.2)",
    "bias(-0.1)",
    "bias(-0.05)",
    "bias(0.05)",
    "bias(0.1)",
    "bias(0.2)",
    "constant(0)",
    "constant(0.25)",
    "constant(0.5)",
    "constant(0.75)",
    "constant(1)",
    "noise(0.05)",
    "noise(0.2)",
    "random",
    "role(seller=exaggerate(1.2),buyer=shade(0.8))",
    "role(seller=shade(0.8),buyer=exaggerate(1.2))",
    "role(seller=bias(0.1),buyer=bias(-0.1))",
)
BEST_RESPONSE_GRID = 1001


def paired_gains(
    mechanism: Mechanism,
    values: FloatArray,
    owner: IntArray,
    reports: FloatArray,
    partner: int,
    deviation_reports: FloatArray,
) -> FloatArray:
    """Per round: u_i(deviation, others' reports) - u_i(truth, others' reports), same draws."""
    lying = utility_with_report(mechanism, values, owner, reports, partner, deviation_reports)
    return lying - utility_with_report(mechanism, values, owner, reports, partner, values[:, partner])


def exact_expected_gain(strategy: Strategy, dist: Distribution, n: int, share: float) -> float | None:
    """E[gain] of a deterministic strategy against truthful others, by quadrature.

    In either role the partner's participation charge does not depend on its own
    report, so only the allocation term moves. With G = F^(N-1) the law of the
    highest other value, a report x instead of the value theta changes utility by

        g(theta, x) = -int_{min(theta,x)}^{max(theta,x)} |y - theta| dG(y)      (<= 0)

    for a buyer and for the seller alike; E[gain] = E_theta[r g(theta, x_S) + (1-r) g(theta, x_B)].
    Returns None for randomised strategies.
    """
    if not strategy.deterministic:
        return None
    seller_rule = strategy.seller if isinstance(strategy, RoleDependent) else strategy
    buyer_rule = strategy.buyer if isinstance(strategy, RoleDependent) else strategy

    def competitor_cdf(y: float) -> float:
        return float(dist.cdf(y)) ** (n - 1)

    def loss(theta: float, report: float) -> float:
        if report == theta:
            return 0.0
        lo, hi = min(theta, report), max(theta, report)
        area = integrate(competitor_cdf, lo, hi, dist.breakpoints())
        if report > theta:  # int_theta^x (y - theta) dG = (x - theta) G(x) - int G
            return -((report - theta) * competitor_cdf(report) - area)
        return -(-(theta - report) * competitor_cdf(report) + area)  # int_x^theta (theta - y) dG

    def expected(rule: Strategy) -> float:
        if rule.is_truthful:
            return 0.0

        def at_quantile(u: float) -> float:
            theta = float(dist.ppf(u))
            return loss(theta, float(rule.apply(np.array([theta]), np.array([False]))[0]))

        kinks = _strategy_kinks(rule, dist)
        return integrate(at_quantile, 0.0, 1.0, kinks)

    return share * expected(seller_rule) + (1.0 - share) * expected(buyer_rule)


def _strategy_kinks(rule: Strategy, dist: Distribution) -> list[float]:
    """Quantiles where a clipped strategy changes regime (e.g. exaggerate(f) at theta = 1/f)."""
    thetas = np.linspace(0.0, 1.0, 2001)
    reports = rule.apply(thetas, np.zeros_like(thetas, dtype=bool))
    clipped = (reports <= 0.0) | (reports >= 1.0) | np.isclose(reports, thetas)
    changes = thetas[1:][np.diff(clipped.astype(int)) != 0]
    return [float(dist.cdf(t)) for t in changes] + [float(dist.cdf(t)) for t in dist.breakpoints()]


@dataclass(frozen=True)
class BestResponse:
    """The report maximising one partner's ex post utility in one profile."""

    report: float
    utility: float
    truthful_utility: float

    @property
    def regret(self) -> float:
        """How much the partner loses by telling the truth (0 for a truthful mechanism)."""
        return self.utility - self.truthful_utility


def best_response(
    mechanism: Mechanism,
    values: FloatArray,
    owner: int,
    reports: FloatArray,
    partner: int,
    grid_points: int = BEST_RESPONSE_GRID,
) -> BestResponse:
    """Maximise partner's utility over its report: a grid, then bounded refinement around the best point.

    ``values`` and ``reports`` are one profile (length N); the others' reports stay fixed.
    """
    grid = np.linspace(0.0, 1.0, grid_points)
    candidates = np.tile(reports, (grid_points + 1, 1))
    candidates[:-1, partner] = grid
    candidates[-1, partner] = values[partner]
    rows = np.tile(values, (grid_points + 1, 1))
    utility = mechanism.utilities(rows, candidates, np.full(grid_points + 1, owner, dtype=np.intp))[:, partner]
    truthful = float(utility[-1])
    best = int(np.argmax(utility[:-1]))
    best_report, best_utility = float(grid[best]), float(utility[best])

    def negative(report: float) -> float:
        profile = reports.copy()
        profile[partner] = report
        return -float(mechanism.utilities(values[None, :], profile[None, :], np.array([owner]))[0, partner])

    step = 1.0 / (grid_points - 1)
    refined = optimize.minimize_scalar(
        negative,
        bounds=(max(0.0, best_report - step), min(1.0, best_report + step)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    if -refined.fun > best_utility:
        best_report, best_utility = float(refined.x), float(-refined.fun)
    if truthful >= best_utility:
        best_report, best_utility = float(values[partner]), truthful
    return BestResponse(best_report, best_utility, truthful)


def parse_battery(specs: str | None) -> tuple[Strategy, ...]:
    """The strategies to test: a comma-separated SPEC list at top level, or the default battery."""
    texts = DEFAULT_BATTERY if not specs else tuple(_split_top_level(specs))
    return tuple(parse_strategy(text) for text in texts)


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets: 'shade(0.8),role(seller=a,buyer=b)'."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]
