"""Bilateral trade (Theorem 1): the Groves mechanism of Theorem 1(b) and the exact feasibility test.

Buyer value theta_B ~ F_B, seller value theta_S ~ F_S. Trade iff theta_B > theta_S
(the seller keeps the good on ties, the tie rule of THEORY.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from abm.distributions import Distribution, Piecewise
from abm.quadrature import integrate

FloatArray = NDArray[np.float64]


def p_star(buyer: Distribution, seller: Distribution) -> float:
    """Replica-economy price: the p* solving F_B(p*) + F_S(p*) = 1 (paper, footnote 3)."""
    excess = lambda p: float(buyer.cdf(p) + seller.cdf(p)) - 1.0  # noqa: E731
    return float(optimize.brentq(excess, 0.0, 1.0, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def outcome(
    buyer_reports: ArrayLike, seller_reports: ArrayLike, price: float, kappa: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Allocation q and transfers (t_B, t_S) of Theorem 1(b) for arrays of report profiles.

    Equation (1) with the charges of the proof of Theorem 1(b)::

        t_B = theta_S q + max(p* - theta_S, 0) + kappa
        t_S = -theta_B q + max(theta_B - p*, 0) - kappa
    """
    b = np.asarray(buyer_reports, dtype=float)
    s = np.asarray(seller_reports, dtype=float)
    q = (b > s).astype(float)
    t_buyer = s * q + np.maximum(price - s, 0.0) + kappa
    t_seller = -b * q + np.maximum(b - price, 0.0) - kappa
    return q, t_buyer, t_seller


def utilities(
    buyer_values: ArrayLike,
    seller_values: ArrayLike,
    q: ArrayLike,
    t_buyer: ArrayLike,
    t_seller: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Buyer utility theta_B q - t_B and seller utility -theta_S q - t_S (Section 2)."""
    q = np.asarray(q, dtype=float)
    return (
        np.asarray(buyer_values) * q - np.asarray(t_buyer),
        -np.asarray(seller_values) * q - np.asarray(t_seller),
    )


@dataclass(frozen=True)
class BilateralTheory:
    """Exact expectations of the Theorem 1(b) mechanism with the equal-split kappa."""

    p_star: float
    gains_from_trade: float
    kappa: float
    buyer_charge: float
    seller_charge: float
    buyer_utility: float
    seller_utility: float
    broker_revenue: float
    replica_gains: float
    feasible: bool
    shortfall: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _kinks(*dists: Distribution) -> list[float]:
    return [point for dist in dists for point in dist.breakpoints()]


def gains_from_trade(buyer: Distribution, seller: Distribution) -> float:
    """GT = int_0^1 F_S(y) (1 - F_B(y)) dy (proof of Theorem 1(b))."""
    return integrate(lambda y: seller.cdf(y) * (1.0 - buyer.cdf(y)), 0.0, 1.0, _kinks(buyer, seller))


def replica_gains(buyer: Distribution, seller: Distribution) -> float:
    """R = int_0^1 (F_B^-1(u) - F_S^-1(1 - u))^+ du: gains under the countermonotone coupling.

    By Kantorovich duality R is the least E[h_B] + E[h_S] over Groves charges with
    no deficit (Lemma 1(a)); computed in quantile space, independently of the
    charges of Theorem 1(b), which attain it.
    """
    crossing = float(buyer.cdf(p_star(buyer, seller)))
    points = [float(buyer.cdf(k)) for k in _kinks(buyer)]
    points += [1.0 - float(seller.cdf(k)) for k in _kinks(seller)]
    surplus = lambda u: max(float(buyer.ppf(u)) - float(seller.ppf(1.0 - u)), 0.0)  # noqa: E731
    return integrate(surplus, crossing, 1.0, points)


def theory(buyer: Distribution, seller: Distribution) -> BilateralTheory:
    """Exact expectations of Theorem 1(b), equation (3) and the kappa of its proof."""
    price = p_star(buyer, seller)
    kinks = _kinks(buyer, seller)
    gt = gains_from_trade(buyer, seller)
    seller_base = integrate(lambda y: 1.0 - buyer.cdf(y), price, 1.0, kinks)
    buyer_base = integrate(lambda y: seller.cdf(y), 0.0, price, kinks)
    kappa = 0.5 * (seller_base - buyer_base)
    charge = 0.5 * (seller_base + buyer_base)
    replica = replica_gains(buyer, seller)
    feasible = replica <= 2.0 * gt + 1e-12
    return BilateralTheory(
        p_star=price,
        gains_from_trade=gt,
        kappa=kappa,
        buyer_charge=charge,
        seller_charge=charge,
        buyer_utility=gt - charge,
        seller_utility=gt - charge,
        broker_revenue=2.0 * charge - gt,
        replica_gains=replica,
        feasible=feasible,
        shortfall=None if feasible else replica - 2.0 * gt,
    )


def theorem_1a_distributions(delta: float) -> tuple[Piecewise, Piecewise]:
    """The (F_B, F_S) of the proof of Theorem 1(a), for delta in (0, 1).

    f_B = 9 - 9 delta, delta, 1 + delta and f_S = 1 + delta, delta, 9 - 9 delta on
    [0, 0.1), [0.1, 0.9), [0.9, 1].
    """
    if not 0.0 < delta < 1.0:
        raise ValueError("delta must lie in (0, 1)")
    breaks = [0.0, 0.1, 0.9, 1.0]
    return (
        Piecewise(breaks, [9 - 9 * delta, delta, 1 + delta]),
        Piecewise(breaks, [1 + delta, delta, 9 - 9 * delta]),
    )
