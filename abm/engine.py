"""Vectorized engine: the rounds of the Mesa model, many at a time, bit-identically.

It reads the same named streams in the same order as the Mesa model (per partner
one value uniform per round, one lottery uniform per round, the strategy's
uniforms per round) and settles rounds with the same kernel, in chunks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from abm.mechanism.dissolution import lottery
from abm.rounds import Settlement, Setup, settle, status_quo
from abm.streams import stream
from abm.tables import RunLog, running_sum

DEFAULT_CHUNK = 65_536


class RoundStreams:
    """The named random streams of one run, and how one batch of rounds consumes them."""

    def __init__(self, setup: Setup, seed: int) -> None:
        self.setup = setup
        self.value_rngs = [stream(seed, "values", i) for i in range(setup.n)]
        self.lottery_rng = stream(seed, "lottery")
        self.strategy_rngs = [stream(seed, "strategy", i) for i in range(setup.n)]

    def draw_values(self, rounds: int) -> np.ndarray:
        """Step 2: values by inverse cdf, column i from partner i's own stream."""
        return np.column_stack([self.setup.distribution.ppf(rng.random(rounds)) for rng in self.value_rngs])

    def draw_owner(self, rounds: int) -> np.ndarray:
        """Step 3: the lottery by shares."""
        return lottery(self.lottery_rng.random(rounds), self.setup.shares)

    def draw_reports(self, values: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """Step 4: each partner's strategy applied to (value, role, its own stream)."""
        columns = [
            strategy.report(values[:, i], owner == i, rng)
            for i, (strategy, rng) in enumerate(zip(self.setup.strategies, self.strategy_rngs, strict=True))
        ]
        return np.column_stack(columns)


def run_vectorized(
    setup: Setup,
    rounds: int,
    seed: int,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> RunLog:
    """Simulate ``rounds`` rounds in chunks; ``progress(k)`` is called after each k rounds."""
    streams = RoundStreams(setup, seed)
    committed = setup.committed
    parts: list[tuple[np.ndarray, np.ndarray, Settlement]] = []
    done = 0
    while done < rounds:
        k = min(chunk, rounds - done)
        values = streams.draw_values(k)
        owner = streams.draw_owner(k)
        reports = streams.draw_reports(values, owner)
        settlement = settle(setup, values, owner, reports) if committed else status_quo(setup, k)
        parts.append((values, reports, settlement))
        done += k
        if progress is not None:
            progress(k)
    return assemble(setup, parts, committed)


def assemble(setup: Setup, parts: list[tuple[np.ndarray, np.ndarray, Settlement]], committed: bool) -> RunLog:
    """Concatenate batches of rounds into one :class:`RunLog` with running totals."""
    values = np.concatenate([p[0] for p in parts])
    reports = np.concatenate([p[1] for p in parts])
    fields = Settlement.__dataclass_fields__
    settlement = Settlement(**{name: np.concatenate([getattr(p[2], name) for p in parts]) for name in fields})
    return RunLog(
        values=values,
        reports=reports,
        settlement=settlement,
        committed=committed,
        cumulative_utility=running_sum(settlement.utility, np.zeros(setup.n)),
        cumulative_revenue=running_sum(settlement.revenue),
    )
