"""`abm deviate`: verdicts, files, commitment under beliefs, kappa sweep and heat map."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.cli import main
from abm.commitment import interval_against_n, interval_against_share
from abm.deviation import parse_battery
from abm.distributions import parse_distribution
from abm.lab import gain_heatmap, run_lab
from abm.mechanism.theory import role_kappa_interval, role_terms
from abm.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_deviate_json_verdict_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        capsys,
        "deviate",
        SCENARIOS / "liars-among-liars.toml",
        "--rounds",
        "2000",
        "--profiles",
        "20",
        "--out",
        tmp_path,
        "--json",
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["verdict"]["truthful"] is True
    assert payload["verdict"]["rounds_with_positive_gain"] == 0
    assert payload["verdict"]["max_best_response_regret"] <= 1e-12
    assert set(payload["others_misreporting"]) == {"shader", "booster", "noisy", "fixed"}
    assert len(payload["battery"]) == 4 * len(parse_battery(None))
    folder = tmp_path / "liars-among-liars-deviate"
    assert sorted(p.name for p in (folder / "plots").iterdir()) == [
        "commitment.png",
        "deviation_battery.png",
        "kappa_sweep.png",
    ]
    battery = pd.read_parquet(folder / "battery.parquet")
    assert (battery["max_gain"] <= 1e-12).all() and (battery["mean_gain"] <= 1e-12).all()
    assert json.loads((folder / "deviate.json").read_text())["scenario"] == "liars-among-liars"


def test_exact_gain_is_reported_only_against_truthful_others() -> None:
    scenario = load_scenario(SCENARIOS / "liar-shade.toml")
    result = run_lab(scenario, parse_battery("shade(0.8),random"), "ana,ben", rounds=3000, profiles=5)
    rows = result.battery.set_index(["partner", "strategy"])
    assert np.isnan(rows.loc[("ana", "shade(0.8)"), "exact_gain"])  # ben lies, so ana's others are not truthful
    exact = rows.loc[("ben", "shade(0.8)"), "exact_gain"]
    simulated = rows.loc[("ben", "shade(0.8)")]
    assert abs(simulated["mean_gain"] - exact) <= 4 * simulated["se"]
    assert np.isnan(rows.loc[("ben", "random"), "exact_gain"])


def test_table_output_and_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = SCENARIOS / "role-liar.toml"
    code, out, _ = run_cli(
        capsys,
        "deviate",
        scenario,
        "--rounds",
        "500",
        "--profiles",
        "5",
        "--strategies",
        "shade(0.9)",
        "--out",
        tmp_path,
        "--no-plots",
    )
    assert code == 0 and "verdict: no misreport gained" in out
    for args, fragment in [
        (["--partners", "nobody"], "--partners: unknown partner 'nobody'"),
        (["--strategies", "bluff(1)"], "--strategies: unknown strategy 'bluff'"),
        (["--rounds", "0"], "--rounds"),
        (["--profiles", "-1"], "--profiles"),
    ]:
        code, _, err = run_cli(capsys, "deviate", scenario, *args, "--out", tmp_path / "bad")
        assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()


def test_wrong_beliefs_predicted_vs_realised() -> None:
    wrong = run_lab(load_scenario(SCENARIOS / "wrong-belief.toml"), parse_battery("shade(0.9)"), "ben", 20_000, 0)
    row = wrong.commitment.set_index("partner").loc["ben"]
    assert row["belief"] == "beta(2,2)" and row["commits"]
    assert row["believed_utility"] < row["true_utility"]
    assert abs(row["realised_utility"] - row["true_utility"]) <= 4 * row["realised_se"]

    pessimist = run_lab(load_scenario(SCENARIOS / "pessimist-refuses.toml"), parse_battery("shade(0.9)"), "ben", 500, 0)
    row = pessimist.commitment.set_index("partner").loc["ben"]
    assert not row["commits"] and row["would_commit_if_it_knew"]
    assert pessimist.payload["committed"] is False


def test_kappa_sweep_marks_refusals_outside_the_interval() -> None:
    result = run_lab(load_scenario(SCENARIOS / "kappa-outside.toml"), parse_battery("shade(0.9)"), "major", 200, 0)
    lo, hi = result.intervals["partner_kappa_lo"], result.intervals["partner_kappa_hi"]
    sweep = result.sweep
    inside = sweep[(sweep["kappa"] >= lo + 1e-9) & (sweep["kappa"] <= hi - 1e-9)]
    outside = sweep[(sweep["kappa"] < lo - 1e-9) | (sweep["kappa"] > hi + 1e-9)]
    assert inside["commits"].all()
    assert len(outside) and not outside.groupby("kappa")["commits"].all().any()
    refusing = {tuple(r["refuse"]) for r in result.payload["refusals_by_kappa"] if r["kappa"] > hi}
    assert refusing == {("minor-a", "minor-b")}


def test_interval_against_n_and_shares() -> None:
    dist = parse_distribution("uniform")
    by_n = interval_against_n(dist, range(2, 6)).set_index("n")
    for n in range(2, 6):
        assert (by_n.loc[n, "kappa_lo"], by_n.loc[n, "kappa_hi"]) == role_kappa_interval(role_terms(n, dist))
    assert by_n.loc[2, "kappa_lo"] == pytest.approx(-1 / 24) and by_n.loc[2, "kappa_hi"] == pytest.approx(1 / 24)
    by_share = interval_against_share(dist, 3, points=31)
    equal = by_share.iloc[(by_share["largest_share"] - 1 / 3).abs().argmin()]
    assert equal["kappa_hi"] - equal["kappa_lo"] > 1.0  # near equal shares kappa barely matters
    sole = by_share.iloc[-1]  # sole owner: exactly the role interval
    lo, hi = role_kappa_interval(role_terms(3, dist))
    assert sole["kappa_lo"] == pytest.approx(lo) and sole["kappa_hi"] == pytest.approx(hi)


def test_heatmap_never_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table, largest = gain_heatmap(parse_distribution("beta(2,5)"), seed=1, rounds=1500)
    assert largest <= 1e-12
    assert (table.to_numpy() <= 1e-12).all()
    assert table[1.0].abs().max() == 0.0  # factor 1 is the truth
    code, _, _ = run_cli(
        capsys,
        "deviate",
        SCENARIOS / "two-partners.toml",
        "--rounds",
        "300",
        "--profiles",
        "3",
        "--strategies",
        "shade(0.8)",
        "--grid",
        "--out",
        tmp_path,
    )
    assert code == 0
    folder = tmp_path / "two-partners-deviate"
    assert (folder / "plots" / "deviation_heatmap.png").is_file()
    assert set(pd.read_parquet(folder / "heatmap.parquet")["values"]) == {"uniform", "beta(2,5)"}
