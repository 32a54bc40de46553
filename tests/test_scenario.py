"""Scenario files: validation with one-line errors, and every shipped scenario runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from abm.errors import InputError
from abm.runner import simulate
from abm.scenario import load_scenario, scenario_from_dict

SCENARIOS = sorted(Path(__file__).resolve().parent.parent.joinpath("scenarios").glob("*.toml"))


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 8


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_validates_and_runs_a_few_rounds(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.description, "every scenario says what it shows"
    assert scenario.name == path.stem
    result = simulate(scenario.with_overrides(rounds=25))
    assert result.summary["simulated"]["deficit_rounds"] == 0
    for deviation in result.summary["deviations"].values():
        assert deviation["rounds_with_positive_gain"] == 0


def test_n_shorthand_expands_to_truthful_equal_partners() -> None:
    scenario = scenario_from_dict({"name": "x", "n": 4}, "f")
    assert scenario.names == ("p1", "p2", "p3", "p4")
    assert scenario.shares == (0.25,) * 4
    assert all(s.is_truthful for s in scenario.strategies)


def test_to_toml_round_trips(tmp_path: Path) -> None:
    original = load_scenario(SCENARIOS[0])
    path = tmp_path / "again.toml"
    path.write_text(original.to_toml())
    again = load_scenario(path)
    assert again.partner_specs == original.partner_specs
    assert again.model_dump(exclude={"n", "partners"}) == original.model_dump(exclude={"n", "partners"})


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"name": "x", "n": 1}, "n: Input should be greater than or equal to 2"),
        ({"name": "x", "n": 3, "sede": 1}, "did you mean 'seed'"),
        ({"name": "x", "n": 3, "rounds": 0}, "rounds"),
        ({"name": "x/../y", "n": 3}, "name: 'x/../y' is not a safe folder name"),
        ({"name": "x", "n": 3, "values": "beta(0,1)"}, "values: 'beta(0,1)' needs a > 0"),
        ({"name": "x", "n": 3, "kappa": "lots"}, "kappa: unknown kappa"),
        ({"name": "x", "partners": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.6}]}, "shares sum to 1.1"),
        ({"name": "x", "partners": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]}, "duplicate"),
        ({"name": "x", "partners": [{"name": "a", "share": 1.0, "strategy": "lie"}]}, "unknown strategy"),
        ({"name": "x", "n": 2, "partners": [{"name": "a", "share": 0.4}, {"name": "b", "share": 0.5, "x": 1}]}, "'x'"),
        ({"name": "x"}, "give n = N or [[partners]]"),
    ],
)
def test_bad_documents_name_the_key(data: dict, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        scenario_from_dict(data, "bad.toml")
    message = str(info.value)
    assert message.startswith("bad.toml: ")
    assert fragment in message
    assert "\n" not in message


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "missing.toml")
    (tmp_path / "empty.toml").write_text("")
    with pytest.raises(InputError, match="file is empty"):
        load_scenario(tmp_path / "empty.toml")
    (tmp_path / "broken.toml").write_text('name = "x"\nn = \n')
    with pytest.raises(InputError, match="TOML syntax error"):
        load_scenario(tmp_path / "broken.toml")
