"""One round of DESIGN.md, batch-first, shared by the Mesa model and the vectorized engine.

:class:`Setup` fixes everything a run decides before values exist (the designer's
p* and kappa, each partner's ex ante commitment under its belief); :func:`settle`
turns drawn values, the lottery and the reports into the logged quantities for
any number of rounds at once. Both engines call it, so both log the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from abm.distributions import Distribution
from abm.mechanism.dissolution import (
    GrovesDissolution,
    groves_outcome,
    net_utilities,
    realised_gains,
    utility_with_report,
)
from abm.mechanism.theory import IR_TOLERANCE, Theory, dissolution_theory, role_terms
from abm.scenario import Scenario
from abm.strategies import Strategy

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class Setup:
    """What is fixed ex ante: mechanism parameters and every commitment decision."""

    names: tuple[str, ...]
    shares: FloatArray
    distribution: Distribution
    strategies: tuple[Strategy, ...]
    beliefs: tuple[Distribution, ...]
    theory: Theory
    believed_utility: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def p_star(self) -> float:
        return self.theory.p_star

    @property
    def kappa(self) -> float:
        return self.theory.kappa

    @cached_property
    def partner_commits(self) -> tuple[bool, ...]:
        """Step 1: partner i commits iff its expected utility under its belief is >= 0."""
        return tuple(u >= -IR_TOLERANCE for u in self.believed_utility)

    @cached_property
    def broker_commits(self) -> bool:
        """The broker commits iff its expected revenue is >= 0 (always, by no deficit)."""
        return self.theory.broker_revenue >= -IR_TOLERANCE

    @cached_property
    def committed(self) -> bool:
        return all(self.partner_commits) and self.broker_commits

    @cached_property
    def liars(self) -> tuple[int, ...]:
        """Partners whose strategy may differ from the truth (their counterfactual is computed)."""
        return tuple(i for i, s in enumerate(self.strategies) if not s.is_truthful)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Setup:
        theory = dissolution_theory(scenario.size, scenario.distribution, scenario.shares, scenario.kappa)
        return cls(
            names=scenario.names,
            shares=np.asarray(scenario.shares, dtype=float),
            distribution=scenario.distribution,
            strategies=scenario.strategies,
            beliefs=scenario.beliefs,
            theory=theory,
            believed_utility=believed_utilities(theory, scenario.beliefs),
        )


def believed_utilities(theory: Theory, beliefs: tuple[Distribution, ...]) -> tuple[float, ...]:
    """Each partner's E[U_i] of the designer's mechanism (p*, kappa fixed) under its own belief."""
    cache: dict[Distribution, object] = {}
    utilities = []
    for share, belief in zip(theory.shares, beliefs, strict=True):
        if belief not in cache:
            cache[belief] = role_terms(theory.n, belief, theory.p_star)
        terms = cache[belief]
        utilities.append(terms.partner_utility(share, theory.kappa))  # type: ignore[attr-defined]
    return tuple(utilities)


@dataclass(frozen=True)
class Settlement:
    """Logged quantities of a batch of rounds: (rounds, N) per partner, (rounds,) per round."""

    allocation: FloatArray
    transfer: FloatArray
    utility: FloatArray
    utility_if_truthful: FloatArray
    owner: IntArray
    revenue: FloatArray
    gains: FloatArray


def settle(setup: Setup, values: FloatArray, owner: IntArray, reports: FloatArray) -> Settlement:
    """Steps 5-6 of a committed round: Proposition 1 on the reports, utilities against shares.

    ``utility_if_truthful`` replaces only partner i's report by its value, with the
    same values, lottery and reports of the others (a paired counterfactual).
    """
    outcome = groves_outcome(reports, owner, setup.p_star, setup.kappa)
    utility = net_utilities(values, outcome.allocation, outcome.transfers, setup.shares)
    if_truthful = utility.copy()
    mechanism = GrovesDissolution(setup.p_star, setup.kappa, setup.shares)
    for i in setup.liars:
        if_truthful[:, i] = utility_with_report(mechanism, values, owner, reports, i, values[:, i])
    return Settlement(
        allocation=outcome.allocation,
        transfer=outcome.transfers,
        utility=utility,
        utility_if_truthful=if_truthful,
        owner=owner,
        revenue=outcome.revenue,
        gains=realised_gains(values, outcome.winner, owner),
    )


def status_quo(setup: Setup, rounds: int) -> Settlement:
    """A round nobody committed to: everyone keeps its share, no money moves."""
    zeros = np.zeros((rounds, setup.n))
    return Settlement(
        allocation=np.tile(setup.shares, (rounds, 1)),
        transfer=zeros,
        utility=zeros.copy(),
        utility_if_truthful=zeros.copy(),
        owner=np.full(rounds, -1, dtype=np.intp),
        revenue=np.zeros(rounds),
        gains=np.zeros(rounds),
    )
