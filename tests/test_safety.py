"""Bad input and failure safety: malformed corpus, atomic outputs, confined writes, numerical edges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.cli import main
from abm.engine import run_vectorized
from abm.mechanism.dissolution import groves_outcome, net_utilities
from abm.rounds import Setup
from abm.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "data" / "bad_scenarios"
EXPECTED = json.loads((BAD / "expected.json").read_text())
BASELINE = ROOT / "scenarios" / "baseline.toml"


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_corpus_is_large_and_fully_described() -> None:
    files = sorted(p.name for p in BAD.glob("*.toml"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_bad_scenario_is_one_line_exit_2_and_writes_nothing(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    for args in (["validate", BAD / name], ["run", BAD / name, "--out", out]):
        code, stdout, err = run_cli(capsys, *args)
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err + stdout
        assert name in lines[0] and EXPECTED[name] in lines[0]
    assert not out.exists()
    assert not (tmp_path / "pwned").exists()


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", tmp_path / "nope.toml", "--out", tmp_path / "out")
    assert code == 2 and "nope.toml: file not found" in err
    assert not (tmp_path / "out").exists()


def test_real_process_prints_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "abm.cli", "run", str(BAD / "binary-junk.toml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


# --- atomic outputs -----------------------------------------------------------------------------


def test_injected_failure_keeps_the_previous_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(capsys, "run", BASELINE, "--rounds", "50", "--out", tmp_path, "--quiet")[0] == 0
    before = tree(tmp_path)
    import abm.runner

    calls = []

    def failing_write(frame, path):  # type: ignore[no-untyped-def]
        calls.append(path)
        raise OSError("disk full (injected)")

    monkeypatch.setattr(abm.runner, "write_parquet", failing_write)
    code, _, err = run_cli(capsys, "run", BASELINE, "--rounds", "80", "--out", tmp_path, "--quiet")
    assert calls and code == 1 and "disk full (injected)" in err and len(err.strip().splitlines()) == 1
    assert tree(tmp_path) == before


def test_injected_failure_without_previous_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import abm.runner

    monkeypatch.setattr(abm.runner, "draw_plots", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    code, _, _ = run_cli(capsys, "run", BASELINE, "--rounds", "30", "--out", tmp_path, "--quiet")
    assert code == 1
    assert list(tmp_path.iterdir()) == []


SLOW_WRITER = """
import sys, time
import abm.runner
real = abm.runner.write_parquet
def slow(frame, path):
    real(frame, path)
    print("writing", flush=True)
    time.sleep(60)
abm.runner.write_parquet = slow
from abm.cli import main
sys.exit(main(sys.argv[1:]))
"""


def start(args: list[str], cwd: Path, code: str | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "abm.cli", *args]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_simulation_leaves_previous_result(tmp_path: Path, signum: int, exit_code: int) -> None:
    assert main(["run", str(BASELINE), "--rounds", "40", "--out", str(tmp_path), "--quiet"]) == 0
    before = tree(tmp_path)
    proc = start(["run", str(BASELINE), "--rounds", "5000000", "--out", str(tmp_path), "--quiet"], ROOT)
    time.sleep(2.5)  # well into the Mesa rounds (5 million would take many minutes)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == exit_code
    assert len(err.strip().splitlines()) == 1 and "no partial output" in err
    assert tree(tmp_path) == before


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_writing_leaves_nothing(tmp_path: Path, signum: int, exit_code: int) -> None:
    proc = start(["run", str(BASELINE), "--rounds", "30", "--out", str(tmp_path), "--quiet"], ROOT, SLOW_WRITER)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"  # the first table is on disk, in the temporary folder
    assert any(p.name.startswith(".baseline.tmp-") for p in tmp_path.iterdir())
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == exit_code and "no partial output" in err
    assert list(tmp_path.iterdir()) == []


def test_debris_of_a_killed_run_is_cleaned_by_the_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    debris = tmp_path / ".baseline.tmp-abc123"
    debris.mkdir()
    (debris / "rounds.parquet").write_bytes(b"half")
    assert run_cli(capsys, "run", BASELINE, "--rounds", "20", "--out", tmp_path, "--quiet")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline"]


# --- confined writes ----------------------------------------------------------------------------


def test_symlinked_result_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "baseline").symlink_to(elsewhere, target_is_directory=True)
    code, _, err = run_cli(capsys, "run", BASELINE, "--rounds", "20", "--out", out)
    assert code == 2 and "symlink" in err
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["baseline"]


def test_symlinked_output_root_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    code, _, err = run_cli(capsys, "run", BASELINE, "--rounds", "20", "--out", tmp_path / "link")
    assert code == 2 and "symlink" in err
    assert list(real.iterdir()) == []


def test_output_root_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run_cli(capsys, "run", BASELINE, "--rounds", "20", "--out", tmp_path / "file")
    assert code == 2 and "not a folder" in err


def test_run_writes_only_under_the_output_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    cwd = Path.cwd()
    os.chdir(work)
    try:
        assert run_cli(capsys, "run", BASELINE, "--rounds", "20", "--quiet")[0] == 0
    finally:
        os.chdir(cwd)
    assert sorted(str(p.relative_to(work)) for p in work.iterdir()) == ["outputs"]
    assert sorted(p.name for p in (work / "outputs").iterdir()) == ["baseline"]


# --- numerical edges ----------------------------------------------------------------------------


def setup_for(values: str, partners: list[tuple[str, float, str]]) -> Setup:
    document = {"name": "edge", "values": values}
    document["partners"] = [{"name": n, "share": r, "strategy": s} for n, r, s in partners]
    return Setup.from_scenario(scenario_from_dict(document, "edge"))


def assert_sound(setup: Setup, rounds: int) -> None:
    log = run_vectorized(setup, rounds, seed=17)
    s = log.settlement
    for array in (log.values, log.reports, s.transfer, s.utility, s.utility_if_truthful, s.revenue):
        assert np.isfinite(array).all()
    assert s.revenue.min() >= -1e-12
    assert np.all(s.utility_if_truthful >= s.utility - 1e-12)
    assert np.isfinite([setup.p_star, setup.kappa, *setup.theory.partner_utility]).all()


@pytest.mark.parametrize(
    ("values", "partners", "rounds"),
    [
        ("uniform", [("a", 0.5, "shade(0.5)"), ("b", 0.5, "exaggerate(2)")], 20_000),
        ("uniform", [(f"p{i}", 0.001, "truthful") for i in range(999)] + [("liar", 0.001, "shade(0.9)")], 200),
        ("uniform", [("a", 0.0, "bias(0.1)"), ("b", 1.0, "truthful"), ("c", 0.0, "random")], 5_000),
        ("beta(0.05,0.05)", [("a", 0.4, "noise(0.2)"), ("b", 0.3, "truthful"), ("c", 0.3, "shade(0.5)")], 20_000),
        ("truncnorm(0.5,0.01)", [("a", 0.4, "noise(0.01)"), ("b", 0.3, "truthful"), ("c", 0.3, "bias(0.005)")], 20_000),
        ("uniform", [("a", 0.25, "constant(0.5)")] * 1 + [(f"c{i}", 0.25, "constant(0.5)") for i in range(3)], 5_000),
    ],
    ids=["n2", "n1000", "zero-shares", "beta-0.05", "truncnorm-0.01", "constant-ties"],
)
def test_numerical_edges(values: str, partners: list, rounds: int) -> None:
    assert_sound(setup_for(values, partners), rounds)


def test_zero_share_partner_is_never_the_owner() -> None:
    setup = setup_for("uniform", [("a", 0.0, "truthful"), ("b", 0.6, "truthful"), ("c", 0.4, "truthful")])
    owner = run_vectorized(setup, 10_000, seed=3).settlement.owner
    assert 0 not in owner and {1, 2} == set(owner.tolist())


def test_truthful_report_is_dominant_at_exact_ties() -> None:
    """Others all report 0.5 and so does the truth: no report on the grid does better."""
    grid = np.linspace(0, 1, 101)
    for n in (2, 3, 6):
        for seller in range(n):
            for i in range(n):
                reports = np.full((grid.size + 1, n), 0.5)
                reports[:-1, i] = grid
                out = groves_outcome(reports, np.full(grid.size + 1, seller), 0.5, 0.01)
                utility = net_utilities(0.5, out.allocation[:, i], out.transfers[:, i], 1 / n)
                assert utility[-1] >= utility[:-1].max() - 1e-12
                assert out.revenue.min() >= -1e-12


# --- fuzzing ------------------------------------------------------------------------------------

KEYS = ["name", "description", "seed", "rounds", "values", "kappa", "engine", "n", "colour"]
SPEC_WORDS = ["uniform", "beta(2,5)", "beta(0,1)", "triangular(2)", "truthful", "shade(0.5)", "role(", "nan", ")"]
toml_values = st.one_of(
    st.integers(-3, 3000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from([*SPEC_WORDS, "x", "../up", "", "mesa", "vectorized", "equal"]),
    st.text(max_size=12),
    st.lists(st.integers(0, 3), max_size=3),
)


def literal(value: object) -> str:
    """A TOML literal for a generated value (nan and inf included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if abs(value) == float("inf"):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return str(value)


documents = st.builds(
    lambda top, partners: (
        "\n".join(f"{k} = {literal(v)}" for k, v in top.items())
        + "".join("\n[[partners]]\n" + "\n".join(f"{k} = {literal(v)}" for k, v in p.items()) for p in partners)
    ),
    st.dictionaries(st.sampled_from(KEYS), toml_values, max_size=7),
    st.lists(
        st.dictionaries(
            st.sampled_from(["name", "share", "strategy", "belief", "shar"]),
            st.one_of(toml_values, st.floats(0, 1)),
            max_size=4,
        ),
        max_size=4,
    ),
)


VALID_TOP = {"name": "fz", "n": 3, "rounds": 5, "values": "uniform"}
mutated = st.builds(
    lambda changes: "\n".join(f"{k} = {literal(v)}" for k, v in (VALID_TOP | changes).items()),
    st.dictionaries(st.sampled_from(KEYS), toml_values, max_size=2),
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(mutated, documents, st.text(max_size=200), st.binary(max_size=64)))
def test_fuzzed_documents_end_with_exit_0_or_2(document: str | bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        raw = document if isinstance(document, bytes) else document.encode("utf-8", "replace")
        path.write_bytes(raw)
        code = main(["validate", str(path)])
        assert code in (0, 2)
        if code == 0:
            out = Path(folder) / "out"
            assert main(["run", str(path), "--rounds", "3", "--out", str(out), "--quiet", "--no-plots"]) in (0, 2)
