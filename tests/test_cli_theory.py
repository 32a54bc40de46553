"""`abm theory` and `abm bilateral`: exact numbers on the command line, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from abm.cli import BILATERAL_FIELDS, THEORY_FIELDS, main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_theory_json_has_exactly_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "theory", "--n", "2", "--dist", "uniform", "--json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == set(THEORY_FIELDS)
    assert payload["p_star"] == pytest.approx(0.5)
    assert payload["gains_from_trade"] == pytest.approx(1 / 6)
    assert payload["broker_revenue"] == pytest.approx(1 / 12)
    assert payload["partner_utility"] == pytest.approx([1 / 24, 1 / 24])
    assert payload["ex_ante_ir"] == [True, True]


def test_theory_table_with_shares_and_kappa(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "theory", "--n", "3", "--dist", "beta(2,5)", "--shares", "0.7,0.2,0.1", "--kappa", "0.5")
    assert code == 0
    assert "broker revenue" in out and "no" in out  # kappa 0.5 is far outside the interval


def test_bilateral_json_infeasible_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "bilateral",
        "--buyer",
        "piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])",
        "--seller",
        "piecewise([0,0.1,0.9,1],[1.01,0.01,8.91])",
        "--json",
    )
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == set(BILATERAL_FIELDS)
    assert payload["feasible"] is False
    assert payload["shortfall"] == pytest.approx(payload["replica_gains"] - 2 * payload["gains_from_trade"])


def test_bilateral_uniform_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bilateral")
    assert code == 0 and "replica gains" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["theory", "--n", "1"], "--n"),
        (["theory", "--n", "x"], "--n"),
        (["theory", "--n", "3", "--shares", "0.5,0.6,-0.1"], "--shares"),
        (["theory", "--n", "3", "--shares", "0.5,0.5"], "--shares"),
        (["theory", "--n", "3", "--shares", "0.5,0.4,0.05"], "sum to"),
        (["theory", "--n", "3", "--shares", "a,b,c"], "--shares"),
        (["theory", "--n", "3", "--kappa", "generous"], "--kappa"),
        (["theory", "--n", "3", "--dist", "beta(2)"], "--dist"),
        (["theory", "--n", "3", "--dist", "gamma(2,2)"], "unknown distribution"),
        (["bilateral", "--buyer", "beta(0,1)"], "--buyer"),
        (["theory", "--bogus"], "No such option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], fragment: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_console_script_has_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "abm.cli", "theory", "--n", "0"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [[], ["theory"], ["bilateral"], ["run"], ["validate"], ["plot"], ["deviate"]])
def test_help_explains_with_an_example(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert "Example" in out
