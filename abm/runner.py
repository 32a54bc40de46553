"""`abm run`: simulate a scenario with either engine and write its results atomically."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from abm import plots
from abm.analysis import estimate, paired_gain
from abm.engine import run_vectorized
from abm.errors import InputError
from abm.io import atomic_directory, output_dir, write_json, write_parquet
from abm.model import DissolutionModel
from abm.rounds import Setup
from abm.scenario import Scenario
from abm.tables import RunLog, agents_table, rounds_table

DEFICIT_TOLERANCE = 1e-12


@dataclass(frozen=True)
class RunResult:
    """A finished simulation: its setup, log, tables and summary."""

    scenario: Scenario
    setup: Setup
    log: RunLog
    rounds: pd.DataFrame
    agents: pd.DataFrame
    summary: dict[str, object]


def simulate(scenario: Scenario, progress: Callable[[int], None] | None = None) -> RunResult:
    """Run the scenario's rounds on its engine (Mesa by default) and summarise them."""
    setup = Setup.from_scenario(scenario)
    if scenario.engine == "vectorized":
        log = run_vectorized(setup, scenario.rounds, scenario.seed, progress=progress)
    else:
        model = DissolutionModel(scenario, rng=scenario.seed, setup=setup)
        for step in range(scenario.rounds):
            model.step()
            if progress is not None and (step + 1) % 250 == 0:
                progress(250)
        if progress is not None:
            progress(scenario.rounds % 250)
        log = model.run_log()
    rounds = rounds_table(setup, log)
    agents = agents_table(setup, log)
    return RunResult(scenario, setup, log, rounds, agents, summarize(scenario, setup, log))


def theory_summary(setup: Setup) -> dict[str, object]:
    """The exact side of summary.json (DESIGN.md, "Contracts"), partners by name."""
    th = setup.theory
    return th.as_dict() | {
        "partner_utility": dict(zip(setup.names, th.partner_utility, strict=True)),
        "ex_ante_ir": dict(zip(setup.names, th.ex_ante_ir, strict=True)),
    }


def summarize(scenario: Scenario, setup: Setup, log: RunLog) -> dict[str, object]:
    """summary.json: theory, commitment, simulated means with 95% CIs, deviations."""
    s = log.settlement
    revenue = s.revenue
    simulated = {
        "rounds": log.rounds,
        "committed_rounds": log.rounds if log.committed else 0,
        "deficit_rounds": int(np.count_nonzero(revenue < -DEFICIT_TOLERANCE)),
        "min_round_revenue": float(revenue.min()),
        "broker_revenue": estimate(revenue).as_dict(),
        "gains_from_trade": estimate(s.gains).as_dict(),
        "partner_utility": {name: estimate(s.utility[:, i]).as_dict() for i, name in enumerate(setup.names)},
    }
    deviations = {
        setup.names[i]: {"strategy": setup.strategies[i].spec}
        | paired_gain(s.utility[:, i], s.utility_if_truthful[:, i]).as_dict()
        for i in setup.liars
    }
    commitment = {
        name: {
            "belief": setup.beliefs[i].spec,
            "believed_utility": setup.believed_utility[i],
            "true_utility": setup.theory.partner_utility[i],
            "commits": setup.partner_commits[i],
        }
        for i, name in enumerate(setup.names)
    }
    return {
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "seed": scenario.seed,
            "rounds": scenario.rounds,
            "engine": scenario.engine,
            "values": setup.distribution.spec,
            "kappa_policy": scenario.kappa,
            "n": setup.n,
            "shares": dict(zip(setup.names, setup.shares.tolist(), strict=True)),
            "strategies": {name: setup.strategies[i].spec for i, name in enumerate(setup.names)},
        },
        "theory": theory_summary(setup),
        "commitment": {"partners": commitment, "broker_commits": setup.broker_commits, "committed": log.committed},
        "simulated": simulated,
        "deviations": deviations,
    }


def draw_plots(
    result_dir: Path, summary: dict, rounds: pd.DataFrame, agents: pd.DataFrame, plots_dir: Path | None = None
) -> list[Path]:
    """Write plots/payoffs.png, plots/broker_revenue.png and, with misreports, plots/deviation.png."""
    folder = plots_dir if plots_dir is not None else result_dir / "plots"
    folder.mkdir(exist_ok=True)
    name = summary["scenario"]["name"]  # type: ignore[index]
    theory = summary["theory"]
    expected = theory["partner_utility"] if summary["commitment"]["committed"] else {}  # type: ignore[index]
    expected = {p: expected.get(p, 0.0) for p in summary["scenario"]["strategies"]}  # type: ignore[index]
    written = [folder / "payoffs.png", folder / "broker_revenue.png"]
    plots.plot_payoffs(agents, expected, name, written[0])
    revenue = theory["broker_revenue"] if summary["commitment"]["committed"] else 0.0  # type: ignore[index]
    plots.plot_revenue(rounds, revenue, name, written[1])
    liars = {p: d["strategy"] for p, d in summary["deviations"].items()}  # type: ignore[union-attr]
    if liars:
        written.append(folder / "deviation.png")
        plots.plot_deviation(agents, liars, name, written[2])
    return written


def write_run(result: RunResult, out_root: str | Path, with_plots: bool = True) -> Path:
    """Write outputs/<name>/ atomically: scenario.toml, summary.json, two parquet tables, plots."""
    target = output_dir(out_root, result.scenario.name)
    with atomic_directory(target) as tmp:
        (tmp / "scenario.toml").write_text(result.scenario.to_toml(), encoding="utf-8")
        write_json(result.summary, tmp / "summary.json")
        write_parquet(result.rounds, tmp / "rounds.parquet")
        write_parquet(result.agents, tmp / "agents.parquet")
        if with_plots:
            draw_plots(tmp, result.summary, result.rounds, result.agents)
    return target


def redraw_plots(run_dir: str | Path) -> list[Path]:
    """Redraw plots/ of an existing run from its tables, replacing the folder atomically."""
    folder = Path(run_dir)
    needed = [folder / "summary.json", folder / "rounds.parquet", folder / "agents.parquet"]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise InputError(f"not a run folder: missing {', '.join(missing)}", source=str(folder))
    try:
        summary = json.loads(needed[0].read_text(encoding="utf-8"))
        rounds = pd.read_parquet(needed[1])
        agents = pd.read_parquet(needed[2])
        names = summary["scenario"]["strategies"]
    except (ValueError, KeyError, TypeError, OSError) as error:
        raise InputError(f"unreadable run folder ({type(error).__name__})", source=str(folder)) from None
    if set(agents["name"].unique()) != set(names):
        raise InputError("tables and summary.json disagree on the partners", source=str(folder))
    target = output_dir(folder.parent, folder.name) / "plots"
    with atomic_directory(target) as tmp:
        written = draw_plots(tmp.parent, summary, rounds, agents, plots_dir=tmp)
    return [target / p.name for p in written]
