"""Value distributions on [0, 1] with positive density (THEORY.md, "Values").

Each distribution has vectorized ``cdf``, ``ppf`` (quantile function F^-1),
``pdf`` and ``sample(rng, size)``; samples are drawn by inverse cdf of uniforms
so that every engine turns the same uniforms into the same values. Built from
SPEC strings (``uniform``, ``beta(2,5)``, ``triangular(0.3)``,
``truncnorm(0.5,0.15)``, ``piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])``).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from abm.errors import InputError
from abm.quadrature import integrate
from abm.spec import Call, expect_numbers, parse_spec

FloatArray = NDArray[np.float64]

DISTRIBUTION_USAGE = "uniform, beta(a,b), triangular(mode), truncnorm(mean,sd), piecewise([0,...,1],[densities])"
MIN_TRUNCNORM_SD = 1e-3
_TINY = 1e-300


class Distribution(ABC):
    """A distribution of values on [0, 1] with a positive density on (0, 1)."""

    spec: str

    @abstractmethod
    def cdf(self, x: ArrayLike) -> FloatArray:
        """F(x), clipped to [0, 1] outside the support."""

    @abstractmethod
    def ppf(self, u: ArrayLike) -> FloatArray:
        """F^-1(u) for u in [0, 1]."""

    @abstractmethod
    def pdf(self, x: ArrayLike) -> FloatArray:
        """Density f(x) (0 outside [0, 1])."""

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
        """Draw values by inverse cdf of ``rng.random(size)``."""
        return self.ppf(rng.random(size))

    def breakpoints(self) -> tuple[float, ...]:
        """Points in (0, 1) where the density is not smooth (quadrature splits there)."""
        return ()

    def mean(self) -> float:
        """E[theta] = integral of 1 - F over [0, 1]."""
        return integrate(lambda y: 1.0 - self.cdf(y), 0.0, 1.0, self.breakpoints())

    def median(self) -> float:
        return float(self.ppf(0.5))

    def __repr__(self) -> str:
        return f"Distribution({self.spec!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Distribution) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)


def _clip01(x: ArrayLike) -> FloatArray:
    return np.clip(np.asarray(x, dtype=float), 0.0, 1.0)


def _inside(x: ArrayLike) -> NDArray[np.bool_]:
    array = np.asarray(x, dtype=float)
    return (array >= 0.0) & (array <= 1.0)


class Uniform(Distribution):
    """Uniform on [0, 1]."""

    spec = "uniform"

    def cdf(self, x: ArrayLike) -> FloatArray:
        return _clip01(x)

    def ppf(self, u: ArrayLike) -> FloatArray:
        return _clip01(u)

    def pdf(self, x: ArrayLike) -> FloatArray:
        return np.where(_inside(x), 1.0, 0.0)

    def mean(self) -> float:
        return 0.5


@dataclass(frozen=True, eq=False)
class Beta(Distribution):
    """Beta(a, b) on [0, 1]; a, b > 0."""

    a: float
    b: float

    @property
    def spec(self) -> str:  # type: ignore[override]
        return f"beta({self.a:g},{self.b:g})"

    def cdf(self, x: ArrayLike) -> FloatArray:
        return np.asarray(special.betainc(self.a, self.b, _clip01(x)), dtype=float)

    def ppf(self, u: ArrayLike) -> FloatArray:
        return np.asarray(special.betaincinv(self.a, self.b, _clip01(u)), dtype=float)

    def pdf(self, x: ArrayLike) -> FloatArray:
        array = np.asarray(x, dtype=float)
        inner = np.clip(array, 1e-300, 1.0 - 1e-16)
        log_density = (
            (self.a - 1.0) * np.log(inner) + (self.b - 1.0) * np.log1p(-inner) - special.betaln(self.a, self.b)
        )
        return np.where(_inside(array), np.exp(log_density), 0.0)

    def mean(self) -> float:
        return self.a / (self.a + self.b)


@dataclass(frozen=True, eq=False)
class Triangular(Distribution):
    """Triangular on [0, 1] with the given mode in [0, 1]."""

    mode: float

    @property
    def spec(self) -> str:  # type: ignore[override]
        return f"triangular({self.mode:g})"

    def cdf(self, x: ArrayLike) -> FloatArray:
        y = _clip01(x)
        c = self.mode
        left = y * y / max(c, _TINY)
        right = 1.0 - (1.0 - y) ** 2 / max(1.0 - c, _TINY)
        return np.clip(np.where(y <= c, left, right), 0.0, 1.0)

    def ppf(self, u: ArrayLike) -> FloatArray:
        q = _clip01(u)
        c = self.mode
        left = np.sqrt(q * c)
        right = 1.0 - np.sqrt((1.0 - q) * (1.0 - c))
        return np.asarray(np.where(q <= c, left, right), dtype=float)

    def pdf(self, x: ArrayLike) -> FloatArray:
        y = np.asarray(x, dtype=float)
        c = self.mode
        left = 2.0 * y / max(c, _TINY)
        right = 2.0 * (1.0 - y) / max(1.0 - c, _TINY)
        return np.where(_inside(y), np.where(y <= c, left, right), 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        return (self.mode,) if 0.0 < self.mode < 1.0 else ()

    def mean(self) -> float:
        return (1.0 + self.mode) / 3.0


@dataclass(frozen=True, eq=False)
class TruncNorm(Distribution):
    """Normal(mean, sd) truncated to [0, 1]; mean in [0, 1], sd >= 1e-3."""

    mu: float
    sd: float

    @property
    def spec(self) -> str:  # type: ignore[override]
        return f"truncnorm({self.mu:g},{self.sd:g})"

    @property
    def _bounds(self) -> tuple[float, float]:
        return (0.0 - self.mu) / self.sd, (1.0 - self.mu) / self.sd

    def cdf(self, x: ArrayLike) -> FloatArray:
        # Work on the side of the mean where the normal tail is small, for accuracy.
        lo, hi = self._bounds
        z = (_clip01(x) - self.mu) / self.sd
        mass = special.ndtr(hi) - special.ndtr(lo)
        from_below = (special.ndtr(z) - special.ndtr(lo)) / mass
        from_above = 1.0 - (special.ndtr(-z) - special.ndtr(-hi)) / mass
        return np.clip(np.where(z < 0, from_below, from_above), 0.0, 1.0)

    def ppf(self, u: ArrayLike) -> FloatArray:
        lo, hi = self._bounds
        q = _clip01(u)
        phi_lo, phi_hi = special.ndtr(lo), special.ndtr(hi)
        mass = phi_hi - phi_lo
        below = special.ndtri(np.clip(phi_lo + q * mass, 0.0, 1.0))
        above = -special.ndtri(np.clip(special.ndtr(-hi) + (1.0 - q) * mass, 0.0, 1.0))
        z = np.where(q < self.cdf(self.mu), below, above)
        return np.clip(self.mu + self.sd * z, 0.0, 1.0)

    def pdf(self, x: ArrayLike) -> FloatArray:
        lo, hi = self._bounds
        y = np.asarray(x, dtype=float)
        z = (y - self.mu) / self.sd
        density = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi) / self.sd
        return np.where(_inside(y), density / (special.ndtr(hi) - special.ndtr(lo)), 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        points = [self.mu - 4 * self.sd, self.mu, self.mu + 4 * self.sd]
        return tuple(p for p in points if 0.0 < p < 1.0)


class Piecewise(Distribution):
    """Piecewise-constant density: ``densities[k]`` on ``[breaks[k], breaks[k+1])``.

    Breaks run from 0 to 1, strictly increasing; every density is > 0 and the
    whole is normalised to mass 1 (the form of the Theorem 1(a) example).
    """

    def __init__(self, breaks: ArrayLike, densities: ArrayLike) -> None:
        self.breaks = np.asarray(breaks, dtype=float)
        raw = np.asarray(densities, dtype=float)
        widths = np.diff(self.breaks)
        self.densities = raw / float(np.sum(raw * widths))
        self.cum = np.concatenate([[0.0], np.cumsum(self.densities * widths)])
        self.cum[-1] = 1.0
        self.spec = (
            "piecewise(["
            + ",".join(f"{b:.17g}" for b in self.breaks)
            + "],["
            + ",".join(f"{d:.17g}" for d in raw)
            + "])"
        )

    def _piece_of_value(self, y: FloatArray) -> NDArray[np.intp]:
        return np.clip(np.searchsorted(self.breaks, y, side="right") - 1, 0, len(self.densities) - 1)

    def cdf(self, x: ArrayLike) -> FloatArray:
        y = _clip01(x)
        k = self._piece_of_value(y)
        return np.clip(self.cum[k] + self.densities[k] * (y - self.breaks[k]), 0.0, 1.0)

    def ppf(self, u: ArrayLike) -> FloatArray:
        q = _clip01(u)
        k = np.clip(np.searchsorted(self.cum, q, side="right") - 1, 0, len(self.densities) - 1)
        return np.clip(self.breaks[k] + (q - self.cum[k]) / self.densities[k], 0.0, 1.0)

    def pdf(self, x: ArrayLike) -> FloatArray:
        y = np.asarray(x, dtype=float)
        return np.where(_inside(y), self.densities[self._piece_of_value(np.clip(y, 0, 1))], 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(float(b) for b in self.breaks[1:-1])

    def mean(self) -> float:
        lefts, rights = self.breaks[:-1], self.breaks[1:]
        return float(np.sum(self.densities * (rights**2 - lefts**2) / 2.0))


def _build_beta(call: Call) -> Distribution:
    a, b = expect_numbers(call, 2, "beta(a,b) with a, b > 0")
    if a <= 0 or b <= 0:
        raise InputError(f"{call.text!r} needs a > 0 and b > 0")
    if a < 0.01 or b < 0.01 or a > 1e4 or b > 1e4:
        raise InputError(f"{call.text!r} parameters must lie in [0.01, 10000]")
    return Beta(a, b)


def _build_triangular(call: Call) -> Distribution:
    (mode,) = expect_numbers(call, 1, "triangular(mode) with mode in [0, 1]")
    if not 0.0 <= mode <= 1.0:
        raise InputError(f"{call.text!r} needs a mode in [0, 1]")
    return Triangular(mode)


def _build_truncnorm(call: Call) -> Distribution:
    mu, sd = expect_numbers(call, 2, "truncnorm(mean,sd) with mean in [0, 1], sd > 0")
    if not 0.0 <= mu <= 1.0:
        raise InputError(f"{call.text!r} needs a mean in [0, 1]")
    if sd < MIN_TRUNCNORM_SD or sd > 100.0:
        raise InputError(f"{call.text!r} needs sd in [{MIN_TRUNCNORM_SD:g}, 100]")
    return TruncNorm(mu, sd)


def _build_piecewise(call: Call) -> Distribution:
    usage = "piecewise([0,b1,...,1],[d1,...]) with increasing breaks and densities > 0"
    if call.kwargs or len(call.args) != 2 or not all(isinstance(a, tuple) for a in call.args):
        raise InputError(f"{call.text!r} takes two lists", valid=usage)
    breaks, densities = call.args  # type: ignore[misc]
    if len(breaks) < 2 or breaks[0] != 0.0 or breaks[-1] != 1.0:  # type: ignore[arg-type]
        raise InputError(f"{call.text!r}: breaks must start at 0 and end at 1", valid=usage)
    if any(b <= a for a, b in itertools.pairwise(breaks)):  # type: ignore[arg-type]
        raise InputError(f"{call.text!r}: breaks must be strictly increasing", valid=usage)
    if len(densities) != len(breaks) - 1:  # type: ignore[arg-type]
        raise InputError(
            f"{call.text!r}: {len(breaks) - 1} pieces need {len(breaks) - 1} densities",  # type: ignore[arg-type]
            valid=usage,
        )
    if any(d <= 0 for d in densities):  # type: ignore[union-attr]
        raise InputError(f"{call.text!r}: every density must be > 0", valid=usage)
    if len(breaks) > 65:  # type: ignore[arg-type]
        raise InputError(f"{call.text!r}: at most 64 pieces", valid=usage)
    return Piecewise(breaks, densities)  # type: ignore[arg-type]


def _build_uniform(call: Call) -> Distribution:
    expect_numbers(call, 0, "uniform")
    return Uniform()


_BUILDERS = {
    "uniform": _build_uniform,
    "beta": _build_beta,
    "triangular": _build_triangular,
    "truncnorm": _build_truncnorm,
    "piecewise": _build_piecewise,
}


def parse_distribution(text: object) -> Distribution:
    """Build a :class:`Distribution` from a SPEC string (no ``eval``)."""
    call = parse_spec(text)
    builder = _BUILDERS.get(call.name)
    if builder is None:
        raise InputError(f"unknown distribution {call.name!r}", valid=DISTRIBUTION_USAGE)
    return builder(call)
