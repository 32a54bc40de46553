"""Exact expectations of Proposition 1 / Theorem 2 by quadrature, and the kappa policies.

The paper's quantile integrals ``int g(x) dF^-1(x)`` are computed in value space
as ``int_0^1 g(F(y)) dy`` (substitute x = F(y)), split at p*, at the kinks of
the density and where F^(N-1) rises, so piecewise densities integrate piece by
piece. With p* fixed, the same integrals under another distribution G give what
a partner who *believes* G expects from the designer's mechanism.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from abm.distributions import Distribution
from abm.errors import InputError
from abm.mechanism import dissolution
from abm.quadrature import integrate

KAPPA_POLICIES = ("equal", "seller_zero", "buyers_zero")
KAPPA_USAGE = "equal, seller_zero, buyers_zero, or a number"
IR_TOLERANCE = 1e-12


@dataclass(frozen=True)
class RoleTerms:
    """The kappa-free terms of Section 4 for N agents, values ~ dist, price p*.

    gains_from_trade  GT  = int (x - x^N) dF^-1                       (6)
    top_two_gap       E[theta(1) - theta(2)] = N int (x^(N-1) - x^N) dF^-1
    vcg_deficit       VCG = (N-1) int (x^(N-1) - x^N) dF^-1           (7)
    seller_charge     c_S = int_{x*}^1 (1 - x^(N-1)) dF^-1            (Step 3)
    buyer_charge      c_B = int_0^{x*} ((N-2)x^(N-2) - (N-3)x^(N-1)) dF^-1 / (N-1)
    """

    n: int
    p_star: float
    gains_from_trade: float
    top_two_gap: float
    vcg_deficit: float
    seller_charge: float
    buyer_charge: float

    @property
    def broker_revenue(self) -> float:
        """E[sum t] = c_S + (N-1) c_B - VCG: total charge minus the VCG deficit, from (5)."""
        return self.seller_charge + (self.n - 1) * self.buyer_charge - self.vcg_deficit

    def seller_utility(self, kappa: float) -> float:
        """E[u_seller] = GT - c_S + (N-1) kappa."""
        return self.gains_from_trade - self.seller_charge + (self.n - 1) * kappa

    def buyer_utility(self, kappa: float) -> float:
        """E[u_buyer] = E[theta(1) - theta(2)]/N - c_B - kappa."""
        return self.top_two_gap / self.n - self.buyer_charge - kappa

    def partner_utility(self, share: float, kappa: float) -> float:
        """Theorem 2: E[U_i] = r_i E[u_seller] + (1 - r_i) E[u_buyer]."""
        return share * self.seller_utility(kappa) + (1.0 - share) * self.buyer_utility(kappa)


def role_terms(n: int, dist: Distribution, price: float | None = None) -> RoleTerms:
    """Compute :class:`RoleTerms`; ``price`` defaults to the designer's p* for ``dist``."""
    if n < 2:
        raise ValueError("N must be at least 2")
    price = dissolution.p_star(dist, n) if price is None else float(price)
    quantiles = [0.5, dissolution.x_star(n)] + [1.0 - c / n for c in (0.25, 1.0, 4.0, 16.0)]
    points = [price, *dist.breakpoints(), *(float(dist.ppf(q)) for q in quantiles if 0 < q < 1)]

    def over(func, lower: float = 0.0, upper: float = 1.0) -> float:  # type: ignore[no-untyped-def]
        return integrate(lambda y: func(float(dist.cdf(y))), lower, upper, points)

    gains = over(lambda x: x - x**n)
    gap = n * over(lambda x: x ** (n - 1) - x**n)
    seller_charge = over(lambda x: 1.0 - x ** (n - 1), price, 1.0)
    buyer_charge = over(lambda x: (n - 2) * x ** (n - 2) - (n - 3) * x ** (n - 1), 0.0, price) / (n - 1)
    return RoleTerms(
        n=n,
        p_star=price,
        gains_from_trade=gains,
        top_two_gap=gap,
        vcg_deficit=(n - 1) / n * gap,
        seller_charge=seller_charge,
        buyer_charge=buyer_charge,
    )


def parse_kappa(value: object) -> str | float:
    """A kappa policy name or a finite number; InputError otherwise."""
    if isinstance(value, bool):
        raise InputError(f"kappa {value!r} is neither a policy nor a number", valid=KAPPA_USAGE)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in KAPPA_POLICIES:
            return text
        try:
            number = float(text)
        except ValueError:
            raise InputError(f"unknown kappa {value!r}", valid=KAPPA_USAGE) from None
    else:
        raise InputError(f"kappa {value!r} is neither a policy nor a number", valid=KAPPA_USAGE)
    if not math.isfinite(number) or abs(number) > 1e6:
        raise InputError(f"kappa {value!r} must be a finite number of size at most 1e6", valid=KAPPA_USAGE)
    return number


def kappa_for(policy: str | float, terms: RoleTerms) -> float:
    """The lump-sum kappa of a policy.

    equal:       E[u_seller] = E[u_buyer] = (GT - E[revenue]) / N
    seller_zero: E[u_seller] = 0 (the lower end of the role interval)
    buyers_zero: E[u_buyer] = 0 (the upper end)
    """
    n = terms.n
    if policy == "equal":
        return (terms.top_two_gap / n - terms.buyer_charge - terms.gains_from_trade + terms.seller_charge) / n
    if policy == "seller_zero":
        return (terms.seller_charge - terms.gains_from_trade) / (n - 1)
    if policy == "buyers_zero":
        return terms.top_two_gap / n - terms.buyer_charge
    return float(policy)


def role_kappa_interval(terms: RoleTerms) -> tuple[float, float]:
    """[kappa_lo, kappa_hi] where both roles are ex ante IR (so every partner, whatever the shares)."""
    return kappa_for("seller_zero", terms), kappa_for("buyers_zero", terms)


def partner_kappa_interval(terms: RoleTerms, shares: np.ndarray) -> tuple[float, float]:
    """The kappa for which every partner with these shares is ex ante IR.

    E[U_i](kappa) = E[U_i](0) + kappa (N r_i - 1): partners with r_i > 1/N bound
    kappa from below, those with r_i < 1/N from above. Unbounded ends are +-inf.
    """
    lower, upper = -math.inf, math.inf
    for share in shares:
        base = terms.partner_utility(float(share), 0.0)
        slope = terms.n * float(share) - 1.0
        if abs(slope) < 1e-12:
            if base < -IR_TOLERANCE:
                return math.nan, math.nan
            continue
        bound = -base / slope
        if slope > 0:
            lower = max(lower, bound)
        else:
            upper = min(upper, bound)
    return lower, upper


@dataclass(frozen=True)
class Theory:
    """Exact ex ante quantities of Theorem 2 for N partners with given shares and kappa."""

    n: int
    shares: tuple[float, ...]
    p_star: float
    x_star: float
    kappa: float
    kappa_interval: tuple[float, float]
    partner_kappa_interval: tuple[float, float]
    gains_from_trade: float
    vcg_deficit: float
    broker_revenue: float
    seller_utility: float
    buyer_utility: float
    partner_utility: tuple[float, ...]
    ex_ante_ir: tuple[bool, ...]
    terms: RoleTerms

    def as_dict(self) -> dict[str, object]:
        """The public fields (the JSON of ``abm theory``)."""
        return {
            "n": self.n,
            "shares": list(self.shares),
            "p_star": self.p_star,
            "x_star": self.x_star,
            "kappa": self.kappa,
            "kappa_interval": list(self.kappa_interval),
            "partner_kappa_interval": [_finite_or_none(v) for v in self.partner_kappa_interval],
            "gains_from_trade": self.gains_from_trade,
            "vcg_deficit": self.vcg_deficit,
            "broker_revenue": self.broker_revenue,
            "seller_utility": self.seller_utility,
            "buyer_utility": self.buyer_utility,
            "partner_utility": list(self.partner_utility),
            "ex_ante_ir": list(self.ex_ante_ir),
        }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def validate_shares(shares: object, n: int) -> tuple[float, ...]:
    """Shares r_i >= 0 with sum 1 (tolerance 1e-9), one per partner."""
    values = tuple(float(s) for s in shares)  # type: ignore[union-attr]
    if len(values) != n:
        raise InputError(f"{len(values)} shares given for {n} partners", valid=f"{n} shares summing to 1")
    if any(not math.isfinite(s) for s in values):
        raise InputError("shares must be finite numbers", valid="numbers >= 0 summing to 1")
    if any(s < 0 for s in values):
        raise InputError("shares must be >= 0", valid="numbers >= 0 summing to 1")
    if abs(sum(values) - 1.0) > 1e-9:
        raise InputError(f"shares sum to {sum(values):.12g}, not 1", valid="numbers >= 0 summing to 1")
    return values


def dissolution_theory(
    n: int,
    dist: Distribution,
    shares: tuple[float, ...] | None = None,
    kappa: str | float = "equal",
) -> Theory:
    """Exact expectations of Theorem 2 (Proposition 1 after the lottery by shares)."""
    shares = validate_shares(shares, n) if shares is not None else tuple([1.0 / n] * n)
    terms = role_terms(n, dist)
    kappa_value = kappa_for(kappa, terms)
    partner = tuple(terms.partner_utility(r, kappa_value) for r in shares)
    return Theory(
        n=n,
        shares=shares,
        p_star=terms.p_star,
        x_star=dissolution.x_star(n),
        kappa=kappa_value,
        kappa_interval=role_kappa_interval(terms),
        partner_kappa_interval=partner_kappa_interval(terms, np.asarray(shares)),
        gains_from_trade=terms.gains_from_trade,
        vcg_deficit=terms.vcg_deficit,
        broker_revenue=terms.broker_revenue,
        seller_utility=terms.seller_utility(kappa_value),
        buyer_utility=terms.buyer_utility(kappa_value),
        partner_utility=partner,
        ex_ante_ir=tuple(u >= -IR_TOLERANCE for u in partner),
        terms=terms,
    )
