"""Partnership dissolution: Proposition 1's Groves mechanism and Theorem 2's lottery.

Every kernel is batch-first: reports are shaped ``(rounds, N)`` and the seller
(sole owner after the lottery) is given per round, so one call serves one Mesa
round or a million vectorized rounds alike. :class:`GrovesDissolution` wraps the
kernel as a ``Mechanism`` (values, reports, owner -> net utilities), the form the
round settlement and the truthfulness lab both use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from abm.distributions import Distribution

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def x_star(n: int) -> float:
    """x* = F(p*) solving (N-2) x^(N-2) - (N-4) x^(N-1) = 1 (Section 4; N = 2 gives 1/2).

    Solved in logs, ``(N-2) log x + log((N-2) - (N-4) x) = 0``, which stays
    accurate for N in the thousands where x* is close to 1.
    """
    if n < 2:
        raise ValueError("N must be at least 2")
    if n == 2:
        return 0.5
    if n == 3:
        return float((np.sqrt(5.0) - 1.0) / 2.0)
    if n == 4:
        return float(np.sqrt(0.5))

    def gap(x: float) -> float:
        return (n - 2) * np.log(x) + np.log((n - 2) - (n - 4) * x)

    return float(optimize.brentq(gap, 1e-12, 1.0 - 1e-300, xtol=1e-17, rtol=4 * np.finfo(float).eps))


def p_star(dist: Distribution, n: int) -> float:
    """p* = F^-1(x*) (Section 4, construction of the mechanism)."""
    return float(dist.ppf(x_star(n)))


def lottery(uniforms: ArrayLike, shares: ArrayLike) -> IntArray:
    """Theorem 2's lottery: partner i becomes sole owner with probability r_i.

    ``owner = searchsorted(cumsum(r), u, side='right')`` for u in [0, 1); a
    partner with share 0 is never drawn.
    """
    cumulative = np.cumsum(np.asarray(shares, dtype=float))
    cumulative = cumulative / cumulative[-1]
    cumulative[-1] = np.inf
    return np.searchsorted(cumulative, np.asarray(uniforms, dtype=float), side="right").astype(np.intp)


@dataclass(frozen=True)
class Outcome:
    """Result of Proposition 1 on a batch of report profiles.

    ``allocation[r, i]`` is 1 for the partner who ends with the good, ``transfers``
    are payments to the broker (positive = pays), ``winner`` the partner index.
    """

    allocation: FloatArray
    transfers: FloatArray
    winner: IntArray

    @property
    def revenue(self) -> FloatArray:
        """Broker revenue per round, sum_i t_i (>= 0 by the no-deficit property)."""
        return self.transfers.sum(axis=1)


def groves_outcome(reports: ArrayLike, seller: ArrayLike, price: float, kappa: float) -> Outcome:
    """Allocation and transfers of Proposition 1 for reports shaped (rounds, N).

    With theta the reports, for every buyer i and the seller N::

        t_i = theta^(1)_-i q_i + max(p* - max(theta^(2)_-{i,N}, theta_N), 0)/(N-1) + kappa
        t_N = -theta^(1)_-N (1 - q_N) + max(theta^(1)_-N - p*, 0) - (N-1) kappa

    theta^(2)_-{i,N} is the second-highest report among buyers other than i (0 if
    fewer than two exist). Ties: the seller keeps the good if among the highest
    reports, otherwise the lowest-indexed highest buyer gets it.
    """
    theta = np.atleast_2d(np.asarray(reports, dtype=float))
    rounds, n = theta.shape
    rows = np.arange(rounds)
    seller_idx = np.broadcast_to(np.asarray(seller, dtype=np.intp), (rounds,))
    seller_report = theta[rows, seller_idx]

    # Top three buyer reports (the seller masked out). argmax returns the lowest index on ties.
    buyers = theta.copy()
    buyers[rows, seller_idx] = -1.0
    first_idx = np.argmax(buyers, axis=1)
    first = buyers[rows, first_idx]
    buyers[rows, first_idx] = -1.0
    second_idx = np.argmax(buyers, axis=1)
    second = np.maximum(buyers[rows, second_idx], 0.0)
    buyers[rows, second_idx] = -1.0
    third = np.maximum(buyers.max(axis=1), 0.0)

    seller_keeps = seller_report >= first
    winner = np.where(seller_keeps, seller_idx, first_idx)
    allocation = np.zeros_like(theta)
    allocation[rows, winner] = 1.0

    is_first = np.arange(n)[None, :] == first_idx[:, None]
    is_second = np.arange(n)[None, :] == second_idx[:, None]
    top_other_buyer = np.where(is_first, second[:, None], first[:, None])
    second_other_buyer = np.where(is_first | is_second, third[:, None], second[:, None])
    highest_other = np.maximum(top_other_buyer, seller_report[:, None])

    buyer_charge = np.maximum(price - np.maximum(second_other_buyer, seller_report[:, None]), 0.0)
    transfers = highest_other * allocation + buyer_charge / (n - 1) + kappa

    seller_transfer = -first * (1.0 - allocation[rows, seller_idx]) + np.maximum(first - price, 0.0) - (n - 1) * kappa
    transfers[rows, seller_idx] = seller_transfer
    return Outcome(allocation=allocation, transfers=transfers, winner=winner.astype(np.intp))


def net_utilities(values: ArrayLike, allocation: ArrayLike, transfers: ArrayLike, shares: ArrayLike) -> FloatArray:
    """u_i = (q_i - r_i) theta_i - t_i: utility against the original shares (Section 3)."""
    return (np.asarray(allocation) - np.asarray(shares)) * np.asarray(values) - np.asarray(transfers)


def realised_gains(values: ArrayLike, winner: ArrayLike, seller: ArrayLike) -> FloatArray:
    """Ex post gains from trade theta_winner - theta_seller (0 when the seller keeps the good)."""
    theta = np.atleast_2d(np.asarray(values, dtype=float))
    rows = np.arange(theta.shape[0])
    return theta[rows, np.asarray(winner)] - theta[rows, np.asarray(seller)]


class Mechanism(Protocol):
    """Anything that turns values, reports and the lottery's owner into net utilities."""

    def utilities(self, values: FloatArray, reports: FloatArray, owner: IntArray) -> FloatArray: ...


@dataclass(frozen=True)
class GrovesDissolution:
    """Proposition 1 after Theorem 2's lottery, utilities against the original shares."""

    p_star: float
    kappa: float
    shares: FloatArray

    def utilities(self, values: FloatArray, reports: FloatArray, owner: IntArray) -> FloatArray:
        outcome = groves_outcome(reports, owner, self.p_star, self.kappa)
        return net_utilities(values, outcome.allocation, outcome.transfers, self.shares)


def utility_with_report(
    mechanism: Mechanism, values: FloatArray, owner: IntArray, reports: FloatArray, partner: int, report: FloatArray
) -> FloatArray:
    """Partner's utility per round when only its own report is replaced by ``report``."""
    profile = reports.copy()
    profile[:, partner] = report
    return mechanism.utilities(values, profile, owner)[:, partner]
