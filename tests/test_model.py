"""The Mesa model: one round equals the kernels, long runs match the theory, engines agree."""

from __future__ import annotations

import numpy as np
import pytest

from abm.engine import run_vectorized
from abm.io import write_parquet
from abm.mechanism.dissolution import groves_outcome, lottery, net_utilities
from abm.model import DissolutionModel
from abm.rounds import Setup
from abm.scenario import Scenario, scenario_from_dict
from abm.streams import stream
from abm.tables import agents_table, rounds_table


def make(partners: list[tuple[str, float, str]], **fields: object) -> Scenario:
    data = {"name": "t", "rounds": 100, "seed": 5} | fields
    data["partners"] = [{"name": n, "share": r, "strategy": s} for n, r, s in partners]
    return scenario_from_dict(data, "test")


THREE = [("a", 0.5, "truthful"), ("b", 0.3, "shade(0.8)"), ("c", 0.2, "noise(0.05)")]


def test_one_round_equals_a_direct_kernel_call() -> None:
    scenario = make(THREE, values="beta(2,3)")
    model = DissolutionModel(scenario)
    model.step()
    setup = model.setup
    seed = scenario.seed
    values = np.array([[setup.distribution.ppf(stream(seed, "values", i).random(1))[0] for i in range(3)]])
    owner = lottery(stream(seed, "lottery").random(1), setup.shares)
    reports = np.array(
        [
            [
                setup.strategies[i].report(values[0, i : i + 1], owner == i, stream(seed, "strategy", i))[0]
                for i in range(3)
            ]
        ]
    )
    out = groves_outcome(reports, owner, setup.p_star, setup.kappa)
    utility = net_utilities(values, out.allocation, out.transfers, setup.shares)
    for i, partner in enumerate(model.partners):
        assert partner.value == values[0, i]
        assert partner.reported == reports[0, i]
        assert partner.transfer == out.transfers[0, i]
        assert partner.utility == utility[0, i]
        assert partner.role == ("seller" if owner[0] == i else "buyer")
    assert model.broker.revenue == out.revenue[0]
    assert model.broker.owner == owner[0]
    assert partner.unique_id >= 1  # Mesa agent ids start at 1


@pytest.mark.parametrize(
    ("values", "partners"),
    [
        ("uniform", [("a", 0.5, "truthful"), ("b", 0.5, "truthful")]),
        ("beta(2,5)", [("a", 0.7, "truthful"), ("b", 0.2, "truthful"), ("c", 0.1, "truthful")]),
        ("uniform", [(f"p{i}", r, "truthful") for i, r in enumerate([0.4, 0.3, 0.1, 0.1, 0.1])]),
    ],
)
def test_long_mesa_run_matches_exact_theory(values: str, partners: list) -> None:
    """20 000 Mesa rounds: every mean within 4 standard errors of the exact value."""
    scenario = make(partners, values=values, rounds=20_000, seed=99)
    model = DissolutionModel(scenario)
    for _ in range(scenario.rounds):
        model.step()
    log = model.run_log()
    theory = model.setup.theory
    s = log.settlement
    checks = [(s.revenue, theory.broker_revenue), (s.gains, theory.gains_from_trade)]
    checks += [(s.utility[:, i], theory.partner_utility[i]) for i in range(len(partners))]
    for sample, exact in checks:
        assert abs(sample.mean() - exact) <= 4 * sample.std(ddof=1) / np.sqrt(sample.size)
    assert s.revenue.min() >= -1e-12


def test_misreports_never_pay_in_any_row_and_no_deficit() -> None:
    partners = [
        ("a", 0.25, "shade(0.6)"),
        ("b", 0.25, "role(seller=exaggerate(1.4),buyer=bias(-0.1))"),
        ("c", 0.25, "random"),
        ("d", 0.25, "constant(0.5)"),
    ]
    setup = Setup.from_scenario(make(partners))
    log = run_vectorized(setup, 20_000, seed=3)
    s = log.settlement
    assert np.all(s.utility_if_truthful >= s.utility - 1e-12)
    assert np.any(s.utility_if_truthful > s.utility + 1e-6)  # lies do cost something
    assert s.revenue.min() >= -1e-12


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_vectorized_engine_is_bit_identical_to_mesa(chunk: int) -> None:
    scenario = make(
        [("a", 0.4, "role(seller=noise(0.1),buyer=random)"), ("b", 0.35, "truthful"), ("c", 0.25, "shade(0.7)")],
        values="truncnorm(0.4,0.2)",
        rounds=300,
    )
    model = DissolutionModel(scenario)
    for _ in range(scenario.rounds):
        model.step()
    mesa_log = model.run_log()
    engine_log = run_vectorized(model.setup, scenario.rounds, scenario.seed, chunk=chunk)
    setup = model.setup
    assert agents_table(setup, mesa_log).equals(agents_table(setup, engine_log))
    assert rounds_table(setup, mesa_log).equals(rounds_table(setup, engine_log))


def test_same_seed_gives_identical_parquet_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scenario = make(THREE, rounds=200)
    paths = []
    for k in range(2):
        model = DissolutionModel(scenario)
        for _ in range(scenario.rounds):
            model.step()
        path = tmp_path / f"agents{k}.parquet"
        write_parquet(agents_table(model.setup, model.run_log()), path)
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_different_seeds_differ() -> None:
    scenario = make(THREE)
    a, b = DissolutionModel(scenario, rng=1), DissolutionModel(scenario, rng=2)
    a.step()
    b.step()
    assert a.partners[0].value != b.partners[0].value


def test_refusal_gives_status_quo_rounds() -> None:
    scenario = make([("a", 0.6, "truthful"), ("b", 0.2, "truthful"), ("c", 0.2, "truthful")], kappa=0.3)
    model = DissolutionModel(scenario)
    assert model.setup.partner_commits == (True, False, False)
    for _ in range(5):
        model.step()
    log = model.run_log()
    assert not log.committed
    assert np.all(log.settlement.utility == 0) and np.all(log.settlement.owner == -1)
    np.testing.assert_allclose(log.settlement.allocation, np.tile([0.6, 0.2, 0.2], (5, 1)))


def test_datacollector_step_index_and_cumulative_utility() -> None:
    model = DissolutionModel(make(THREE))
    for _ in range(10):
        model.step()
    frame = model.datacollector.get_agenttype_vars_dataframe(type(model.partners[0]))
    assert len(frame) == 30
    model_vars = model.datacollector.get_model_vars_dataframe()
    assert (model_vars["p_star"] == model.setup.p_star).all() and (model_vars["kappa"] == model.setup.kappa).all()
    assert set(model_vars.columns) >= {"committed", "owner", "broker_revenue", "gains_from_trade"}
    log = model.run_log()
    np.testing.assert_allclose(log.cumulative_utility[-1], log.settlement.utility.sum(axis=0), atol=1e-12)
