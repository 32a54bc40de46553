"""Value distributions: cdf/ppf/pdf consistency, closed forms, and SPEC validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from abm.distributions import Beta, Piecewise, Triangular, TruncNorm, Uniform, parse_distribution
from abm.errors import InputError

SPECS = [
    "uniform",
    "beta(2,5)",
    "beta(0.5,0.5)",
    "beta(0.05,0.05)",
    "triangular(0.3)",
    "triangular(0)",
    "triangular(1)",
    "truncnorm(0.5,0.15)",
    "truncnorm(0.9,0.01)",
    "truncnorm(0,0.3)",
    "piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])",
]


@pytest.mark.parametrize("spec", SPECS)
def test_ppf_inverts_cdf_and_pdf_integrates_to_cdf(spec: str) -> None:
    dist = parse_distribution(spec)
    u = np.linspace(0.001, 0.999, 199)
    x = dist.ppf(u)
    assert np.all(np.diff(x) >= 0)
    # Near 0 and 1 a double cannot resolve x finely enough to invert (beta(0.05,0.05)).
    resolvable = (x > 1e-6) & (x < 1 - 1e-6)
    np.testing.assert_allclose(dist.cdf(x[resolvable]), u[resolvable], atol=1e-9)
    assert not np.isnan(x).any()
    assert dist.cdf(0.0) == pytest.approx(0.0, abs=1e-12)
    assert dist.cdf(1.0) == pytest.approx(1.0, abs=1e-12)
    for point in (0.2, 0.5, 0.8):
        mass, _ = integrate.quad(lambda y: float(dist.pdf(y)), 0.0, point, points=dist.breakpoints() or None, limit=200)
        assert mass == pytest.approx(float(dist.cdf(point)), abs=1e-6)


@pytest.mark.parametrize(
    ("dist", "reference"),
    [
        (Beta(2, 5), stats.beta(2, 5)),
        (Triangular(0.3), stats.triang(0.3)),
        (TruncNorm(0.5, 0.15), stats.truncnorm(-0.5 / 0.15, 0.5 / 0.15, loc=0.5, scale=0.15)),
        (TruncNorm(0.2, 0.4), stats.truncnorm(-0.2 / 0.4, 0.8 / 0.4, loc=0.2, scale=0.4)),
    ],
)
def test_agrees_with_scipy_stats(dist, reference) -> None:  # type: ignore[no-untyped-def]
    x = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(dist.cdf(x), reference.cdf(x), atol=1e-12)
    np.testing.assert_allclose(dist.pdf(x[1:-1]), reference.pdf(x[1:-1]), rtol=1e-9)
    u = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(dist.ppf(u), reference.ppf(u), atol=1e-9)
    assert dist.mean() == pytest.approx(reference.mean(), abs=1e-10)


def test_piecewise_closed_forms() -> None:
    dist = Piecewise([0, 0.5, 1], [3, 1])  # normalised to densities 1.5 and 0.5
    assert dist.cdf(0.5) == pytest.approx(0.75)
    assert dist.ppf(0.75) == pytest.approx(0.5)
    assert dist.ppf(0.875) == pytest.approx(0.75)
    assert dist.mean() == pytest.approx(1.5 * 0.125 + 0.5 * 0.375)


def test_uniform_is_identity_and_sample_uses_inverse_cdf() -> None:
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    beta = Beta(2, 5)
    np.testing.assert_array_equal(beta.sample(rng_a, 10), beta.ppf(rng_b.random(10)))
    assert Uniform().ppf(0.3) == 0.3


def test_sample_mean_matches_exact_mean() -> None:
    rng = np.random.default_rng(3)
    for spec in SPECS:
        dist = parse_distribution(spec)
        draws = dist.sample(rng, 200_000)
        standard_error = draws.std() / np.sqrt(draws.size)
        assert abs(draws.mean() - dist.mean()) < 4 * standard_error + 1e-12, spec


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("gamma(2)", "unknown distribution"),
        ("beta(0,1)", "a > 0"),
        ("beta(-1,1)", "a > 0"),
        ("beta(2)", "takes 2"),
        ("beta(2,3,4)", "takes 2"),
        ("triangular(1.5)", "mode in"),
        ("truncnorm(0.5,0)", "sd in"),
        ("truncnorm(2,0.1)", "mean in"),
        ("piecewise([0,0.5,1],[1,0])", "density must be > 0"),
        ("piecewise([0,0.5,1],[1])", "need 2 densities"),
        ("piecewise([0,0.6,0.5,1],[1,1,1])", "strictly increasing"),
        ("piecewise([0.1,1],[1])", "start at 0"),
        ("piecewise(1,2)", "two lists"),
        ("uniform(1)", "takes 0"),
        ("beta(nan,1)", "plain numbers"),
        ("beta(inf,1)", "plain numbers"),
    ],
)
def test_bad_specs_are_rejected(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_distribution(text)


@given(
    st.lists(st.floats(0.01, 10.0), min_size=1, max_size=6),
    st.lists(st.floats(0.05, 1.0), min_size=6, max_size=6),
)
def test_random_piecewise_round_trips(densities: list[float], widths: list[float]) -> None:
    edges = np.concatenate([[0.0], np.cumsum(widths[: len(densities)])])
    edges = edges / edges[-1]
    dist = Piecewise(edges, densities)
    u = np.linspace(0, 1, 51)
    np.testing.assert_allclose(dist.cdf(dist.ppf(u)), u, atol=1e-12)
    assert parse_distribution(dist.spec).spec == dist.spec
