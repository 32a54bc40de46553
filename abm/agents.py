"""Mesa agents: partners who commit, draw values and report; a broker who runs the mechanism."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from abm.mechanism.dissolution import lottery
from abm.rounds import Settlement, settle, status_quo

if TYPE_CHECKING:
    from abm.model import DissolutionModel


class PartnerAgent(mesa.Agent):
    """Partner i: owns share r_i, believes a value distribution, reports by its strategy.

    Randomness comes from the partner's own named streams (values, strategy), so
    the vectorized engine can reproduce every draw.
    """

    model: DissolutionModel

    def __init__(
        self, model: DissolutionModel, index: int, value_rng: np.random.Generator, strategy_rng: np.random.Generator
    ) -> None:
        super().__init__(model)
        setup = model.setup
        self.index = index
        self.name = setup.names[index]
        self.share = float(setup.shares[index])
        self.strategy = setup.strategies[index]
        self.belief = setup.beliefs[index]
        self.believed_utility = setup.believed_utility[index]
        self.value_rng = value_rng
        self.strategy_rng = strategy_rng
        self.value = float("nan")
        self.reported = float("nan")
        self.role = "none"
        self.allocation = self.share
        self.transfer = 0.0
        self.utility = 0.0
        self.utility_if_truthful = 0.0
        self.cumulative_utility = 0.0

    def commit(self) -> bool:
        """Step 1 (ex ante): commit iff the expected utility under my belief is >= 0."""
        return self.model.setup.partner_commits[self.index]

    def draw_value(self) -> float:
        """Step 2: my private value, by inverse cdf of one uniform from my value stream."""
        self.value = float(self.model.setup.distribution.ppf(self.value_rng.random(1))[0])
        return self.value

    def report(self, owner: int) -> float:
        """Step 4: apply my strategy to (value, role) with my strategy stream."""
        is_seller = owner == self.index
        self.role = "none" if owner < 0 else ("seller" if is_seller else "buyer")
        reports = self.strategy.report(np.array([self.value]), np.array([is_seller]), self.strategy_rng)
        self.reported = float(reports[0])
        return self.reported

    def settle(self, settlement: Settlement) -> None:
        """Step 6: book my allocation, transfer and utility (against my original share)."""
        i = self.index
        self.allocation = float(settlement.allocation[0, i])
        self.transfer = float(settlement.transfer[0, i])
        self.utility = float(settlement.utility[0, i])
        self.utility_if_truthful = float(settlement.utility_if_truthful[0, i])
        self.cumulative_utility += self.utility


class BrokerAgent(mesa.Agent):
    """The broker: commits iff expected revenue >= 0, runs the lottery and Proposition 1."""

    model: DissolutionModel

    def __init__(self, model: DissolutionModel, lottery_rng: np.random.Generator) -> None:
        super().__init__(model)
        self.lottery_rng = lottery_rng
        self.owner = -1
        self.revenue = 0.0
        self.gains = 0.0
        self.cumulative_revenue = 0.0

    def commit(self) -> bool:
        """Step 1: the broker's ex ante participation."""
        return self.model.setup.broker_commits

    def run_lottery(self) -> int:
        """Step 3 (Theorem 2): the sole owner for this round, drawn with probabilities r_i."""
        self.owner = int(lottery(self.lottery_rng.random(1), self.model.setup.shares)[0])
        return self.owner

    def run_mechanism(self, partners: list[PartnerAgent], committed: bool) -> Settlement:
        """Step 5: Proposition 1 on the reports (or the status quo if anyone declined)."""
        setup = self.model.setup
        if committed:
            values = np.array([[p.value for p in partners]])
            reports = np.array([[p.reported for p in partners]])
            settlement = settle(setup, values, np.array([self.owner], dtype=np.intp), reports)
        else:
            settlement = status_quo(setup, 1)
        self.owner = int(settlement.owner[0])
        self.revenue = float(settlement.revenue[0])
        self.gains = float(settlement.gains[0])
        self.cumulative_revenue += self.revenue
        return settlement
