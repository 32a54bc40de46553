"""Report strategies: formulas, clipping, role dependence and stream consumption."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.errors import InputError
from abm.strategies import parse_strategy

VALUES = np.array([0.0, 0.1, 0.5, 0.9, 1.0])


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("truthful", VALUES),
        ("shade(0.8)", 0.8 * VALUES),
        ("exaggerate(1.3)", np.minimum(1.3 * VALUES, 1.0)),
        ("bias(-0.1)", np.clip(VALUES - 0.1, 0, 1)),
        ("bias(0.2)", np.clip(VALUES + 0.2, 0, 1)),
        ("constant(0.6)", np.full(5, 0.6)),
    ],
)
def test_deterministic_strategies(spec: str, expected: np.ndarray) -> None:
    strategy = parse_strategy(spec)
    assert strategy.deterministic and strategy.n_uniforms == 0
    np.testing.assert_allclose(strategy.report(VALUES, False, np.random.default_rng(0)), expected)
    assert parse_strategy(strategy.spec).spec == strategy.spec


def test_noise_is_normal_and_clipped() -> None:
    strategy = parse_strategy("noise(0.05)")
    reports = strategy.report(np.full(200_000, 0.5), False, np.random.default_rng(1))
    assert reports.min() >= 0 and reports.max() <= 1
    # Mean within 4 standard errors (0.05/sqrt(n)), sd within 1%.
    assert abs(reports.mean() - 0.5) < 4 * 0.05 / np.sqrt(reports.size)
    assert reports.std() == pytest.approx(0.05, rel=0.01)


def test_random_ignores_the_value() -> None:
    reports = parse_strategy("random").report(np.zeros(100_000), False, np.random.default_rng(2))
    assert abs(reports.mean() - 0.5) < 4 * np.sqrt(1 / 12 / reports.size)


def test_role_dependent_strategy() -> None:
    strategy = parse_strategy("role(seller=exaggerate(1.5),buyer=shade(0.5))")
    is_seller = np.array([True, False, True, False, False])
    expected = np.where(is_seller, np.minimum(1.5 * VALUES, 1), 0.5 * VALUES)
    np.testing.assert_allclose(strategy.report(VALUES, is_seller, np.random.default_rng(0)), expected)
    half = parse_strategy("role(seller=shade(0.5))")
    np.testing.assert_allclose(half.apply(VALUES, False), VALUES)
    assert not half.is_truthful and parse_strategy("role(buyer=truthful)").is_truthful


@given(st.integers(1, 50), st.integers(0, 2**32 - 1))
def test_one_batch_consumes_the_stream_like_many_single_rounds(rounds: int, seed: int) -> None:
    """The Mesa path (one round per call) and the engine (all at once) get the same reports."""
    strategy = parse_strategy("role(seller=noise(0.1),buyer=random)")
    values = np.random.default_rng(seed).random(rounds)
    is_seller = values > 0.5
    batch = strategy.report(values, is_seller, np.random.default_rng(seed))
    rng = np.random.default_rng(seed)
    single = [strategy.report(values[k : k + 1], is_seller[k : k + 1], rng)[0] for k in range(rounds)]
    np.testing.assert_array_equal(batch, single)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("lie", "unknown strategy"),
        ("shade(1.5)", "in [0, 1]"),
        ("shade", "takes 1"),
        ("shade(0.5,0.6)", "takes 1"),
        ("exaggerate(0.5)", "in [1, 10]"),
        ("noise(0)", "in (0, 1]"),
        ("bias(2)", "in [-1, 1]"),
        ("constant(-0.1)", "in [0, 1]"),
        ("random(1)", "takes 0"),
        ("role(seller=role(buyer=shade(0.5)))", "cannot be nested"),
        ("role(owner=shade(0.5))", "seller= and/or buyer="),
        ("role(seller=0.5)", "must be a strategy"),
        ("role()", "seller= and/or buyer="),
    ],
)
def test_bad_strategies(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=re.escape(fragment)):
        parse_strategy(text)
