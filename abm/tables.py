"""The two logs of a run as pandas tables, built the same way by every engine.

``rounds``: one row per round (committed, owner, p_star, kappa, broker_revenue,
gains_from_trade, cumulative_revenue). ``agents``: one row per round and partner
(value, report, role, allocation, transfer, utility, utility_if_truthful,
cumulative_utility).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from abm.rounds import Settlement, Setup

ROLE_NAMES = np.array(["none", "buyer", "seller"])


@dataclass(frozen=True)
class RunLog:
    """Everything a run logged, as arrays over all rounds."""

    values: NDArray[np.float64]
    reports: NDArray[np.float64]
    settlement: Settlement
    committed: bool
    cumulative_utility: NDArray[np.float64]
    cumulative_revenue: NDArray[np.float64]

    @property
    def rounds(self) -> int:
        return int(self.values.shape[0])


def running_sum(increments: NDArray[np.float64], start: NDArray[np.float64] | float = 0.0) -> NDArray[np.float64]:
    """Sequential running sum along rounds, start + x1, (start + x1) + x2, ... (as a loop would add)."""
    first = np.broadcast_to(np.asarray(start, dtype=float), increments.shape[1:])[None, ...]
    return np.cumsum(np.concatenate([first, increments], axis=0), axis=0)[1:]


def rounds_table(setup: Setup, log: RunLog) -> pd.DataFrame:
    """One row per round."""
    owner = log.settlement.owner
    names = np.array([*setup.names, ""], dtype=object)
    return pd.DataFrame(
        {
            "round": np.arange(1, log.rounds + 1, dtype=np.int64),
            "committed": np.full(log.rounds, log.committed),
            "owner": owner.astype(np.int64),
            "owner_name": names[owner],
            "p_star": np.full(log.rounds, setup.p_star),
            "kappa": np.full(log.rounds, setup.kappa),
            "broker_revenue": log.settlement.revenue,
            "gains_from_trade": log.settlement.gains,
            "cumulative_revenue": log.cumulative_revenue,
        }
    )


def agents_table(setup: Setup, log: RunLog) -> pd.DataFrame:
    """One row per round and partner, ordered by round then partner."""
    rounds, n = log.values.shape
    owner = log.settlement.owner
    is_seller = np.arange(n)[None, :] == owner[:, None]
    role_code = np.where(owner[:, None] < 0, 0, np.where(is_seller, 2, 1))
    s = log.settlement
    return pd.DataFrame(
        {
            "round": np.repeat(np.arange(1, rounds + 1, dtype=np.int64), n),
            "partner": np.tile(np.arange(n, dtype=np.int64), rounds),
            "name": np.tile(np.array(setup.names, dtype=object), rounds),
            "share": np.tile(setup.shares, rounds),
            "value": log.values.ravel(),
            "report": log.reports.ravel(),
            "role": ROLE_NAMES[role_code.ravel()],
            "allocation": s.allocation.ravel(),
            "transfer": s.transfer.ravel(),
            "utility": s.utility.ravel(),
            "utility_if_truthful": s.utility_if_truthful.ravel(),
            "cumulative_utility": log.cumulative_utility.ravel(),
        }
    )
