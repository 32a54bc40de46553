"""Exact expectations of Theorem 2, three independent ways: closed form, quadrature, Monte Carlo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate

from abm.distributions import Uniform, parse_distribution
from abm.errors import InputError
from abm.mechanism.dissolution import groves_outcome, lottery, net_utilities, realised_gains, x_star
from abm.mechanism.theory import (
    dissolution_theory,
    kappa_for,
    parse_kappa,
    partner_kappa_interval,
    role_terms,
    validate_shares,
)


def test_uniform_two_partners_closed_form() -> None:
    th = dissolution_theory(2, Uniform())
    assert th.p_star == pytest.approx(0.5, abs=1e-15)
    assert th.gains_from_trade == pytest.approx(1 / 6, abs=1e-12)
    assert th.broker_revenue == pytest.approx(1 / 12, abs=1e-12)
    assert th.partner_utility == pytest.approx((1 / 24, 1 / 24), abs=1e-12)
    assert th.kappa == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 20, 100])
def test_uniform_closed_forms_for_any_n(n: int) -> None:
    terms = role_terms(n, Uniform())
    x = x_star(n)
    assert terms.gains_from_trade == pytest.approx((n - 1) / (2 * (n + 1)), abs=1e-11)
    assert terms.top_two_gap == pytest.approx(1 / (n + 1), abs=1e-11)
    assert terms.seller_charge == pytest.approx((1 - x) - (1 - x**n) / n, abs=1e-11)
    buyer = ((n - 2) * x ** (n - 1) / (n - 1) - (n - 3) * x**n / n) / (n - 1)
    assert terms.buyer_charge == pytest.approx(buyer, abs=1e-11)


def quantile_space_terms(n: int, spec: str) -> dict[str, float]:
    """The paper's own integrals against F^-1 (a different integrand from the code's)."""
    dist = parse_distribution(spec)
    x = x_star(n)
    p = float(dist.ppf(x))
    inv = lambda u: float(dist.ppf(u))  # noqa: E731
    quad = lambda f, a, b: integrate.quad(f, a, b, limit=400, epsabs=1e-13, epsrel=1e-13)[0]  # noqa: E731
    gt = quad(lambda u: (n * u ** (n - 1) - 1) * inv(u), 0, 1)
    seller = quad(lambda u: (inv(u) - p) * (n - 1) * u ** (n - 2), x, 1)
    density_z = lambda z: (n - 2) ** 2 * z ** (n - 3) - (n - 1) * (n - 3) * z ** (n - 2) if n > 2 else 1.0  # noqa: E731
    buyer = quad(lambda z: (p - inv(z)) * density_z(z), 0, x) / (n - 1)
    first = quad(lambda u: inv(u) * n * u ** (n - 1), 0, 1)
    second = quad(lambda u: inv(u) * n * (n - 1) * u ** (n - 2) * (1 - u), 0, 1)
    return {"gt": gt, "seller": seller, "buyer": buyer, "gap": first - second}


@pytest.mark.parametrize(
    ("n", "spec"),
    [(2, "beta(2,5)"), (3, "triangular(0.3)"), (4, "truncnorm(0.5,0.15)"), (6, "beta(2,2)"), (9, "uniform")],
)
def test_value_space_matches_quantile_space(n: int, spec: str) -> None:
    terms = role_terms(n, parse_distribution(spec))
    reference = quantile_space_terms(n, spec)
    assert terms.gains_from_trade == pytest.approx(reference["gt"], abs=1e-9)
    assert terms.seller_charge == pytest.approx(reference["seller"], abs=1e-9)
    assert terms.buyer_charge == pytest.approx(reference["buyer"], abs=1e-9)
    assert terms.top_two_gap == pytest.approx(reference["gap"], abs=1e-9)


def test_piecewise_matches_exact_polynomial_integration() -> None:
    """On a piecewise density, F is linear per piece: integrate F^k exactly with Gauss-Legendre."""
    spec = "piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])"
    dist = parse_distribution(spec)
    n = 4
    terms = role_terms(n, dist)
    nodes, weights = np.polynomial.legendre.leggauss(20)
    edges = sorted({0.0, 0.1, 0.9, 1.0, terms.p_star})

    def exact(func, lo: float, hi: float) -> float:  # type: ignore[no-untyped-def]
        total = 0.0
        for a, b in itertools.pairwise(edges):
            a, b = max(a, lo), min(b, hi)
            if b > a:
                y = (b - a) / 2 * nodes + (a + b) / 2
                total += (b - a) / 2 * float(np.sum(weights * func(dist.cdf(y))))
        return total

    assert terms.gains_from_trade == pytest.approx(exact(lambda x: x - x**n, 0, 1), abs=1e-12)
    assert terms.seller_charge == pytest.approx(exact(lambda x: 1 - x ** (n - 1), terms.p_star, 1), abs=1e-12)


def test_equal_split_gives_every_partner_the_same_utility() -> None:
    th = dissolution_theory(5, parse_distribution("beta(2,5)"), (0.6, 0.1, 0.1, 0.1, 0.1))
    expected = (th.gains_from_trade - th.broker_revenue) / 5
    assert th.partner_utility == pytest.approx((expected,) * 5, abs=1e-13)
    assert th.seller_utility == pytest.approx(th.buyer_utility, abs=1e-13)
    assert all(th.ex_ante_ir)


def test_n_two_equal_split_is_theorem_1b_kappa() -> None:
    from abm.mechanism import bilateral

    dist = parse_distribution("beta(2,3)")
    assert dissolution_theory(2, dist).kappa == pytest.approx(bilateral.theory(dist, dist).kappa, abs=1e-12)


def test_kappa_policies_and_intervals() -> None:
    dist = parse_distribution("triangular(0.4)")
    terms = role_terms(4, dist)
    lo, hi = kappa_for("seller_zero", terms), kappa_for("buyers_zero", terms)
    assert terms.seller_utility(lo) == pytest.approx(0.0, abs=1e-14)
    assert terms.buyer_utility(hi) == pytest.approx(0.0, abs=1e-14)
    assert lo < kappa_for("equal", terms) < hi
    assert kappa_for(0.25, terms) == 0.25
    shares = np.array([0.7, 0.1, 0.1, 0.1])
    plo, phi = partner_kappa_interval(terms, shares)
    assert plo <= lo and phi >= hi
    for kappa, inside in [(plo - 1e-4, False), (plo + 1e-4, True), (phi - 1e-4, True), (phi + 1e-4, False)]:
        th = dissolution_theory(4, dist, tuple(shares), kappa)
        assert all(th.ex_ante_ir) is inside


def test_large_n_is_finite_and_ir() -> None:
    th = dissolution_theory(1000, parse_distribution("beta(2,2)"))
    values = [th.p_star, th.gains_from_trade, th.broker_revenue, *th.partner_utility[:3]]
    assert np.all(np.isfinite(values))
    assert th.broker_revenue >= 0 and all(th.ex_ante_ir)


@pytest.mark.parametrize(
    ("n", "spec", "shares"),
    [
        (2, "uniform", (0.5, 0.5)),
        (3, "beta(2,5)", (0.7, 0.2, 0.1)),
        (5, "triangular(0.3)", (0.98, 0.005, 0.005, 0.005, 0.005)),
        (8, "piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])", (0.3, 0.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2)),
    ],
)
def test_monte_carlo_agrees_within_four_standard_errors(n: int, spec: str, shares: tuple) -> None:
    """10^6 truthful profiles through the kernels; every mean within 4 standard errors."""
    dist = parse_distribution(spec)
    th = dissolution_theory(n, dist, shares, "equal")
    rng = np.random.default_rng(20251)
    rounds, chunk = 1_000_000, 250_000
    utilities, revenue, gains = [], [], []
    for _ in range(rounds // chunk):
        values = dist.sample(rng, (chunk, n))
        owner = lottery(rng.random(chunk), shares)
        out = groves_outcome(values, owner, th.p_star, th.kappa)
        utilities.append(net_utilities(values, out.allocation, out.transfers, np.asarray(shares)))
        revenue.append(out.revenue)
        gains.append(realised_gains(values, out.winner, owner))
    checks = {
        "revenue": (np.concatenate(revenue), th.broker_revenue),
        "gains": (np.concatenate(gains), th.gains_from_trade),
    }
    u = np.concatenate(utilities)
    for i in range(n):
        checks[f"partner {i}"] = (u[:, i], th.partner_utility[i])
    for name, (sample, exact) in checks.items():
        standard_error = sample.std() / np.sqrt(sample.size)
        assert abs(sample.mean() - exact) <= 4 * standard_error + 1e-12, name
    assert np.concatenate(revenue).min() >= -1e-12


@pytest.mark.parametrize(
    ("shares", "n", "fragment"),
    [
        ((0.5, 0.5), 3, "2 shares given for 3"),
        ((0.5, 0.6, -0.1), 3, ">= 0"),
        ((0.5, 0.4, 0.05), 3, "sum to"),
        ((float("nan"), 0.5, 0.5), 3, "finite"),
    ],
)
def test_bad_shares(shares: tuple, n: int, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        validate_shares(shares, n)


def test_shares_within_tolerance_are_accepted() -> None:
    assert validate_shares((0.3, 0.3, 0.4 + 5e-10), 3)


@pytest.mark.parametrize("bad", ["foo", "nan", "inf", True, None, [1], "1e7"])
def test_bad_kappa(bad: object) -> None:
    with pytest.raises(InputError):
        parse_kappa(bad)


def test_kappa_numbers_and_policies() -> None:
    assert parse_kappa(" Equal ") == "equal"
    assert parse_kappa("-0.01") == -0.01
    assert parse_kappa(3) == 3.0
