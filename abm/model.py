"""The Mesa model of partnership dissolution: one step is one round of DESIGN.md."""

from __future__ import annotations

import mesa
import numpy as np

from abm.agents import BrokerAgent, PartnerAgent
from abm.rounds import Settlement, Setup
from abm.scenario import Scenario
from abm.streams import stream
from abm.tables import RunLog

PARTNER_COLUMNS = (
    "value",
    "reported",
    "allocation",
    "transfer",
    "utility",
    "utility_if_truthful",
    "cumulative_utility",
)


class DissolutionModel(mesa.Model):
    """N partners and a broker; each step commits, draws, runs the lottery, reports and settles.

    ``rng`` is the run's seed (default: the scenario's). The model's own
    ``self.rng`` is seeded with it too, but every draw of a round comes from the
    named streams of :mod:`abm.streams`, shared with the vectorized engine.
    """

    def __init__(self, scenario: Scenario, rng: int | None = None, setup: Setup | None = None) -> None:
        seed = scenario.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.setup = setup if setup is not None else Setup.from_scenario(scenario)
        self.partners = [
            PartnerAgent(self, i, stream(seed, "values", i), stream(seed, "strategy", i)) for i in range(self.setup.n)
        ]
        self.broker = BrokerAgent(self, stream(seed, "lottery"))
        self.committed = False
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "committed": "committed",
                "owner": lambda m: m.broker.owner,
                "p_star": lambda m: m.setup.p_star,
                "kappa": lambda m: m.setup.kappa,
                "broker_revenue": lambda m: m.broker.revenue,
                "gains_from_trade": lambda m: m.broker.gains,
                "cumulative_revenue": lambda m: m.broker.cumulative_revenue,
            },
            agenttype_reporters={
                PartnerAgent: {column: column for column in PARTNER_COLUMNS} | {"role": "role"},
            },
        )

    def step(self) -> None:
        """One round: commit, draw values, lottery, report, Groves, log.

        Each partner draws from its own streams, so the order in which the
        AgentSet visits them does not change any number.
        """
        partners = self.agents_by_type[PartnerAgent]
        self.committed = all(partners.map("commit")) and self.broker.commit()
        partners.do("draw_value")
        owner = self.broker.run_lottery()
        partners.do("report", owner)
        settlement: Settlement = self.broker.run_mechanism(self.partners, self.committed)
        partners.do("settle", settlement)
        self.datacollector.collect(self)

    def run_log(self) -> RunLog:
        """The DataCollector's records as a :class:`RunLog` (the same layout as the engine's)."""
        model_vars = self.datacollector.get_model_vars_dataframe()
        agent_vars = self.datacollector.get_agenttype_vars_dataframe(PartnerAgent)
        rounds = len(model_vars)
        n = self.setup.n
        agent_vars = agent_vars.sort_index(level=["Step", "AgentID"])

        def grid(column: str) -> np.ndarray:
            return agent_vars[column].to_numpy(dtype=float).reshape(rounds, n)

        settlement = Settlement(
            allocation=grid("allocation"),
            transfer=grid("transfer"),
            utility=grid("utility"),
            utility_if_truthful=grid("utility_if_truthful"),
            owner=model_vars["owner"].to_numpy(dtype=np.intp),
            revenue=model_vars["broker_revenue"].to_numpy(dtype=float),
            gains=model_vars["gains_from_trade"].to_numpy(dtype=float),
        )
        return RunLog(
            values=grid("value"),
            reports=grid("reported"),
            settlement=settlement,
            committed=bool(model_vars["committed"].all()) if rounds else self.setup.committed,
            cumulative_utility=grid("cumulative_utility"),
            cumulative_revenue=model_vars["cumulative_revenue"].to_numpy(dtype=float),
        )
