"""`abm deviate`: the truthfulness lab on one scenario.

For each chosen partner and each candidate misreport it measures the paired gain
over the truthful report on the scenario's own draws (the others keep their
scenario strategies, truthful or not), searches for a best response on sampled
profiles, and reports ex ante commitment under beliefs and across kappa.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from abm import plots
from abm.analysis import GAIN_TOLERANCE, estimate, gain_summary
from abm.commitment import commitment_table, interval_against_n, interval_against_share, kappa_sweep
from abm.deviation import best_response, exact_expected_gain, paired_gains
from abm.distributions import Distribution, parse_distribution
from abm.engine import RoundStreams
from abm.errors import InputError
from abm.io import atomic_directory, output_dir, write_json, write_parquet
from abm.mechanism.dissolution import GrovesDissolution, utility_with_report
from abm.mechanism.theory import dissolution_theory
from abm.rounds import Setup
from abm.scenario import Scenario
from abm.strategies import Strategy
from abm.streams import stream

DEFAULT_LAB_ROUNDS = 20_000
DEFAULT_PROFILES = 200
HEATMAP_SIZES = (2, 3, 5, 10)
HEATMAP_FACTORS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5)
HEATMAP_DISTRIBUTIONS = ("uniform", "beta(2,5)")
HEATMAP_ROUNDS = 5_000


@dataclass(frozen=True)
class LabResult:
    """Tables of one lab run and the JSON payload that summarises them."""

    scenario: Scenario
    battery: pd.DataFrame
    best_responses: pd.DataFrame
    commitment: pd.DataFrame
    sweep: pd.DataFrame
    intervals: dict[str, float]
    against_n: pd.DataFrame
    against_share: pd.DataFrame
    heatmaps: dict[str, pd.DataFrame] | None
    payload: dict[str, object]


def split_names(names: str | None) -> list[str]:
    """Distinct names of a comma-separated list, in order."""
    return list(dict.fromkeys(name.strip() for name in (names or "").split(",") if name.strip()))


def choose_partners(setup: Setup, names: str | None) -> list[int]:
    """Indices of the partners named in a comma-separated list (default: all)."""
    wanted = split_names(names)
    if not wanted:
        return list(range(setup.n))
    unknown = [name for name in wanted if name not in setup.names]
    if unknown:
        raise InputError(f"unknown partner {unknown[0]!r}", key="--partners", valid=", ".join(setup.names))
    return [setup.names.index(name) for name in wanted]


def run_lab(
    scenario: Scenario,
    strategies: tuple[Strategy, ...],
    partner_names: str | None = None,
    rounds: int = DEFAULT_LAB_ROUNDS,
    profiles: int = DEFAULT_PROFILES,
    grid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> LabResult:
    """Measure every (partner, strategy) pair on the same draws; see the module docstring."""
    setup = Setup.from_scenario(scenario)
    partners = choose_partners(setup, partner_names)
    streams = RoundStreams(setup, scenario.seed)
    values = streams.draw_values(rounds)
    owner = streams.draw_owner(rounds)
    reports = streams.draw_reports(values, owner)
    mechanism = GrovesDissolution(setup.p_star, setup.kappa, setup.shares)
    tick = progress or (lambda _k: None)

    rows = []
    for i in partners:
        others_truthful = all(s.is_truthful for j, s in enumerate(setup.strategies) if j != i)
        truthful = utility_with_report(mechanism, values, owner, reports, i, values[:, i])
        for k, strategy in enumerate(strategies):
            deviation = strategy.report(values[:, i], owner == i, stream(scenario.seed, "deviation", i, k))
            gains = utility_with_report(mechanism, values, owner, reports, i, deviation) - truthful
            summary = gain_summary(gains).as_dict()
            exact = (
                exact_expected_gain(strategy, setup.distribution, setup.n, float(setup.shares[i]))
                if others_truthful
                else None
            )
            rows.append({"partner": setup.names[i], "strategy": strategy.spec} | summary | {"exact_gain": exact})
            tick(1)
    battery = pd.DataFrame(rows)

    regrets = []
    count = min(profiles, rounds)
    for i in partners:
        for r in range(count):
            found = best_response(mechanism, values[r], int(owner[r]), reports[r], i)
            regrets.append((setup.names[i], r + 1, found.report, values[r, i], found.regret))
        tick(1)
    best = pd.DataFrame(regrets, columns=["partner", "round", "best_report", "value", "regret"])

    realised = mechanism.utilities(values, reports, owner)
    estimates = [estimate(realised[:, i]) for i in range(setup.n)]
    commitment = commitment_table(setup, np.array([e.mean for e in estimates]), np.array([e.se for e in estimates]))
    sweep, intervals = kappa_sweep(setup)
    against_n = interval_against_n(setup.distribution)
    against_share = interval_against_share(setup.distribution, setup.n)
    heatmaps = gain_heatmaps(scenario.seed) if grid else None
    payload = lab_payload(scenario, setup, battery, best, commitment, sweep, intervals, heatmaps)
    return LabResult(scenario, battery, best, commitment, sweep, intervals, against_n, against_share, heatmaps, payload)


def gain_heatmap(dist: Distribution, seed: int, rounds: int = HEATMAP_ROUNDS) -> tuple[pd.DataFrame, float]:
    """Mean paired gain of partner 1 reporting factor x value, for each N (equal shares, others truthful).

    Returns the (N x factor) table and the largest single-round gain seen anywhere.
    """
    table = pd.DataFrame(index=pd.Index(HEATMAP_SIZES, name="n"), columns=list(HEATMAP_FACTORS), dtype=float)
    largest = -np.inf
    for n in HEATMAP_SIZES:
        shares = np.full(n, 1.0 / n)
        theory = dissolution_theory(n, dist)
        mechanism = GrovesDissolution(theory.p_star, theory.kappa, shares)
        rng = stream(seed, "profiles", n)
        values = dist.ppf(rng.random((rounds, n)))
        owner = np.minimum((rng.random(rounds) * n).astype(np.intp), n - 1)
        for factor in HEATMAP_FACTORS:
            gains = paired_gains(mechanism, values, owner, values, 0, np.clip(factor * values[:, 0], 0.0, 1.0))
            table.loc[n, factor] = float(gains.mean())
            largest = max(largest, float(gains.max()))
    return table, largest


def gain_heatmaps(seed: int) -> dict[str, pd.DataFrame]:
    return {spec: gain_heatmap(parse_distribution(spec), seed)[0] for spec in HEATMAP_DISTRIBUTIONS}


def lab_payload(
    scenario: Scenario,
    setup: Setup,
    battery: pd.DataFrame,
    best: pd.DataFrame,
    commitment: pd.DataFrame,
    sweep: pd.DataFrame,
    intervals: dict[str, float],
    heatmaps: dict[str, pd.DataFrame] | None,
) -> dict[str, object]:
    """The JSON of ``abm deviate``: verdict, battery, best responses, commitment, kappa."""
    positive = int(battery["rounds_with_positive_gain"].sum())
    max_regret = float(best["regret"].max()) if len(best) else 0.0
    truthful = positive == 0 and max_regret <= GAIN_TOLERANCE
    refusals = sweep[~sweep["commits"]].groupby("kappa")["partner"].apply(lambda s: sorted(s)).reset_index()
    liars = [name for name, s in zip(setup.names, setup.strategies, strict=True) if not s.is_truthful]
    return {
        "scenario": scenario.name,
        "rounds": int(battery["rounds"].iloc[0]) if len(battery) else 0,
        "others_misreporting": liars,
        "committed": setup.committed,
        "verdict": {
            "truthful": truthful,
            "rounds_with_positive_gain": positive,
            "max_single_round_gain": float(battery["max_gain"].max()) if len(battery) else None,
            "max_best_response_regret": max_regret,
            "text": (
                "no misreport gained in any round, and no best response beats the truth"
                if truthful
                else "a profitable misreport exists: the mechanism is not truthful here"
            ),
        },
        "battery": battery.to_dict(orient="records"),
        "best_response": {
            name: {"profiles": len(frame), "max_regret": float(frame["regret"].max())}
            for name, frame in best.groupby("partner", sort=False)
        },
        "commitment": commitment.to_dict(orient="records"),
        "kappa": intervals,
        "refusals_by_kappa": [
            {"kappa": float(row.kappa), "refuse": list(row.partner)} for row in refusals.itertuples()
        ],
        "heatmap": None
        if heatmaps is None
        else {spec: {str(n): row.to_dict() for n, row in frame.iterrows()} for spec, frame in heatmaps.items()},
    }


def write_lab(result: LabResult, out_root: str | Path, with_plots: bool = True) -> Path:
    """Write outputs/<name>-deviate/ atomically: deviate.json, tables, and plots."""
    target = output_dir(out_root, f"{result.scenario.name}-deviate")
    with atomic_directory(target) as tmp:
        write_json(result.payload, tmp / "deviate.json")
        write_parquet(result.battery, tmp / "battery.parquet")
        write_parquet(result.best_responses, tmp / "best_response.parquet")
        write_parquet(result.commitment, tmp / "commitment.parquet")
        write_parquet(result.sweep, tmp / "kappa_sweep.parquet")
        if result.heatmaps is not None:
            long = pd.concat(
                {spec: frame.stack().rename("mean_gain") for spec, frame in result.heatmaps.items()}, names=["values"]
            ).reset_index()
            long.columns = ["values", "n", "factor", "mean_gain"]
            write_parquet(long, tmp / "heatmap.parquet")
        if with_plots:
            draw_lab_plots(result, tmp / "plots")
    return target


def draw_lab_plots(result: LabResult, folder: Path) -> None:
    folder.mkdir()
    name = result.scenario.name
    plots.plot_battery(
        result.battery, f"Each misreport against the truth, same draws: {name}", folder / "deviation_battery.png"
    )
    plots.plot_commitment(result.commitment, name, folder / "commitment.png")
    plots.plot_kappa_sweep(
        result.sweep, result.intervals, result.against_n, result.against_share, name, folder / "kappa_sweep.png"
    )
    if result.heatmaps is not None:
        plots.plot_heatmap(
            result.heatmaps,
            "Mean paired gain of reporting factor x value (partner 1, equal shares)",
            folder / "deviation_heatmap.png",
        )
