"""Means with 95% confidence intervals, and paired deviation gains against the truth."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

Z_95 = 1.959963984540054
GAIN_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Estimate:
    """Sample mean with its standard error and normal 95% confidence interval."""

    mean: float
    se: float
    ci_low: float
    ci_high: float
    count: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def within(self, exact: float, standard_errors: float = 4.0, slack: float = 1e-12) -> bool:
        """Is ``exact`` within ``standard_errors`` standard errors of the mean?"""
        return abs(self.mean - exact) <= standard_errors * self.se + slack


def estimate(sample: ArrayLike) -> Estimate:
    """Mean, standard error and 95% CI of a sample (se 0 for fewer than two points)."""
    x = np.asarray(sample, dtype=float)
    count = int(x.size)
    if count == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    se = float(x.std(ddof=1) / np.sqrt(count)) if count > 1 else 0.0
    return Estimate(mean, se, mean - Z_95 * se, mean + Z_95 * se, count)


@dataclass(frozen=True)
class PairedGain:
    """Gain of a deviation over the truthful report on the same draws, round by round."""

    gain: Estimate
    max_gain: float
    rounds_with_positive_gain: int

    def as_dict(self) -> dict[str, object]:
        return {
            "mean_gain": self.gain.mean,
            "se": self.gain.se,
            "ci_low": self.gain.ci_low,
            "ci_high": self.gain.ci_high,
            "rounds": self.gain.count,
            "max_gain": self.max_gain,
            "rounds_with_positive_gain": self.rounds_with_positive_gain,
        }


def paired_gain(utility: ArrayLike, utility_if_truthful: ArrayLike) -> PairedGain:
    """Per-round gain u(deviation) - u(truth); a gain above 1e-12 would refute truthfulness."""
    return gain_summary(np.asarray(utility, dtype=float) - np.asarray(utility_if_truthful, dtype=float))


def gain_summary(gains: ArrayLike) -> PairedGain:
    """Summary of per-round paired gains: mean with CI, largest gain, rounds above 1e-12."""
    gains = np.asarray(gains, dtype=float)
    return PairedGain(
        gain=estimate(gains),
        max_gain=float(gains.max()) if gains.size else float("nan"),
        rounds_with_positive_gain=int(np.count_nonzero(gains > GAIN_TOLERANCE)),
    )
