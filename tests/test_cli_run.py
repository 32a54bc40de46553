"""`abm run`, `abm validate`, `abm plot`: files written, contents, determinism, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from abm.cli import main

ROOT = Path(__file__).resolve().parent.parent
LIAR = ROOT / "scenarios" / "liar-shade.toml"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_run_writes_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", LIAR, "--rounds", "400", "--out", tmp_path, "--quiet")
    assert code == 0 and out == ""
    folder = tmp_path / "liar-shade"
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == [
        "agents.parquet",
        "plots/broker_revenue.png",
        "plots/deviation.png",
        "plots/payoffs.png",
        "rounds.parquet",
        "scenario.toml",
        "summary.json",
    ]
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("p_star", "x_star", "kappa", "kappa_interval", "gains_from_trade", "broker_revenue"):
        assert key in summary["theory"]
    assert set(summary["theory"]["partner_utility"]) == {"ana", "ben", "cai"}
    simulated = summary["simulated"]
    assert simulated["committed_rounds"] == 400 and simulated["deficit_rounds"] == 0
    assert {"mean", "ci_low", "ci_high"} <= set(simulated["broker_revenue"])
    assert summary["deviations"]["ben"]["rounds_with_positive_gain"] == 0
    agents = pd.read_parquet(folder / "agents.parquet")
    assert len(agents) == 1200 and (agents["utility_if_truthful"] >= agents["utility"] - 1e-12).all()
    rounds = pd.read_parquet(folder / "rounds.parquet")
    assert list(rounds["round"]) == list(range(1, 401))
    assert "rounds = 400" in (folder / "scenario.toml").read_text()


def test_run_prints_theory_against_simulation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "run", LIAR, "--rounds", "300", "--out", tmp_path, "--no-plots")
    assert code == 0
    assert "exact" in out and "broker" in out and "rounds where lying paid: 0" in out
    assert not (tmp_path / "liar-shade" / "plots").exists()


def test_same_seed_gives_byte_identical_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contents = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert run_cli(capsys, "run", LIAR, "--rounds", "300", "--out", out, "--quiet")[0] == 0
        folder = out / "liar-shade"
        contents.append({p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()})
    assert contents[0] == contents[1]
    out = tmp_path / "other-seed"
    run_cli(capsys, "run", LIAR, "--rounds", "300", "--seed", "12345", "--out", out, "--quiet")
    other = (out / "liar-shade" / "agents.parquet").read_bytes()
    assert other != contents[0][Path("agents.parquet")]


def test_engines_write_identical_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = LIAR.read_text()
    for engine in ("mesa", "vectorized"):
        path = tmp_path / f"{engine}.toml"
        path.write_text(source.replace('values = "uniform"', f'values = "uniform"\nengine = "{engine}"'))
        assert run_cli(capsys, "run", path, "--rounds", "500", "--out", tmp_path / engine, "--quiet")[0] == 0
    for table in ("agents.parquet", "rounds.parquet"):
        mesa = (tmp_path / "mesa" / "liar-shade" / table).read_bytes()
        assert mesa == (tmp_path / "vectorized" / "liar-shade" / table).read_bytes()


def test_plot_redraws_from_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "run", LIAR, "--rounds", "200", "--out", tmp_path, "--quiet")
    folder = tmp_path / "liar-shade"
    before = (folder / "plots" / "payoffs.png").read_bytes()
    (folder / "plots" / "payoffs.png").unlink()
    code, out, _ = run_cli(capsys, "plot", folder)
    assert code == 0 and "payoffs.png" in out
    assert (folder / "plots" / "payoffs.png").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["liar-shade"]


def test_validate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", ROOT / "scenarios" / "kappa-outside.toml")
    assert code == 0 and "would refuse to commit: minor-a, minor-b" in out


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ('name = "x"\nn = 1\n', "n: Input should be greater than or equal to 2"),
        ('name = "x"\nn = 3\nvaluess = "uniform"\n', "did you mean 'values'"),
        ('name = "x"\nn = 3\nvalues = "weibull(2)"\n', "unknown distribution"),
        ("this is not toml", "TOML syntax error"),
    ],
)
def test_bad_scenario_is_one_line_exit_2_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: str, fragment: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(document)
    out = tmp_path / "out"
    for command in ("run", "validate"):
        args = [command, path] + (["--out", out] if command == "run" else [])
        code, _, err = run_cli(capsys, *args)
        assert code == 2
        assert fragment in err and str(path) in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_plot_on_a_folder_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "plot", tmp_path)
    assert code == 2 and "not a run folder" in err
