"""The ``abm`` command: theory, bilateral, run, validate, plot, deviate.

Every user mistake ends as one line on stderr and exit code 2 (no traceback);
Ctrl-C prints one line and exits 130.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

try:  # typer 0.29+ vendors its own copy of click
    from typer._click import exceptions as cli_errors
except ImportError:  # pragma: no cover - older typer on top of click
    from click import exceptions as cli_errors  # type: ignore[no-redef]

from abm.errors import InputError

app = typer.Typer(
    help=(
        "Simulate the truthful, no-deficit, ex ante individually rational mechanisms of "
        "Jagadeesan & Tordjman (2025).\n\nExample: abm theory --n 3 --dist uniform"
    ),
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

THEORY_FIELDS = (
    "p_star",
    "x_star",
    "kappa",
    "kappa_interval",
    "gains_from_trade",
    "vcg_deficit",
    "broker_revenue",
    "seller_utility",
    "buyer_utility",
    "partner_utility",
    "ex_ante_ir",
)
BILATERAL_FIELDS = (
    "p_star",
    "gains_from_trade",
    "kappa",
    "buyer_utility",
    "seller_utility",
    "broker_revenue",
    "replica_gains",
    "feasible",
    "shortfall",
)


def _echo_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2, sort_keys=True))


def _parse_shares(text: str | None, n: int) -> tuple[float, ...] | None:
    from abm.mechanism.theory import validate_shares

    if text is None:
        return None
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(f"{text!r} is not a comma-separated list of numbers", key="--shares") from None
    try:
        return validate_shares(values, n)
    except InputError as error:
        raise error.located(key="--shares") from None


@app.command()
def theory(
    n: Annotated[int, typer.Option("--n", help="Number of partners N (>= 2).")],
    dist: Annotated[str, typer.Option("--dist", help="Value distribution SPEC, e.g. uniform, beta(2,5).")] = "uniform",
    shares: Annotated[
        str | None, typer.Option("--shares", help="Ownership shares r1,...,rN summing to 1 (default: equal).")
    ] = None,
    kappa: Annotated[
        str, typer.Option("--kappa", help="Lump sum: equal, seller_zero, buyers_zero, or a number.")
    ] = "equal",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Exact ex ante expectations of Theorem 2 (Proposition 1 after the lottery by shares).

    Example: abm theory --n 3 --dist "beta(2,5)" --shares 0.7,0.2,0.1 --json
    """
    from abm.distributions import parse_distribution
    from abm.mechanism.theory import dissolution_theory, parse_kappa
    from abm.report import theory_table

    if n < 2 or n > 10_000:
        raise InputError(f"N = {n} is out of range", key="--n", valid="an integer from 2 to 10000")
    distribution = _located(parse_distribution, dist, "--dist")
    kappa_value = _located(parse_kappa, kappa, "--kappa")
    result = dissolution_theory(n, distribution, _parse_shares(shares, n), kappa_value)
    if as_json:
        full = result.as_dict()
        _echo_json({name: full[name] for name in THEORY_FIELDS})
    else:
        theory_table(result, distribution.spec)


@app.command()
def bilateral(
    buyer: Annotated[str, typer.Option("--buyer", help="Buyer value distribution SPEC.")] = "uniform",
    seller: Annotated[str, typer.Option("--seller", help="Seller value distribution SPEC.")] = "uniform",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Theorem 1: the Groves mechanism of Theorem 1(b) and the exact feasibility test R <= 2 GT.

    Example: abm bilateral --buyer "piecewise([0,0.1,0.9,1],[8.91,0.01,1.01])"
    --seller "piecewise([0,0.1,0.9,1],[1.01,0.01,8.91])"
    """
    from abm.distributions import parse_distribution
    from abm.mechanism.bilateral import theory as bilateral_theory
    from abm.report import bilateral_table

    buyer_dist = _located(parse_distribution, buyer, "--buyer")
    seller_dist = _located(parse_distribution, seller, "--seller")
    result = bilateral_theory(buyer_dist, seller_dist).as_dict()
    payload = {name: result[name] for name in BILATERAL_FIELDS}
    if as_json:
        _echo_json(payload)
    else:
        bilateral_table(payload, buyer_dist.spec, seller_dist.spec)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML), e.g. scenarios/baseline.toml.")],
    rounds: Annotated[int | None, typer.Option("--rounds", help="Override the number of rounds.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Override the seed.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder under which <name>/ is written.")] = Path("outputs"),
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG figures.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar and no table.")] = False,
) -> None:
    """Simulate a scenario round by round and write outputs/<name>/ atomically.

    Writes scenario.toml, summary.json, rounds.parquet, agents.parquet and plots/*.png,
    then prints theory against simulation for every partner and the broker.

    Example: abm run scenarios/baseline.toml --rounds 2000
    """
    from abm.io import output_dir
    from abm.progress import progress_bar
    from abm.report import run_table
    from abm.runner import simulate, write_run
    from abm.scenario import load_scenario

    loaded = load_scenario(scenario).with_overrides(rounds=rounds, seed=seed)
    output_dir(out, loaded.name)  # refuse a bad destination before simulating
    with progress_bar(loaded.rounds, f"{loaded.name} ({loaded.engine})", enabled=not quiet) as advance:
        result = simulate(loaded, progress=advance)
    target = write_run(result, out, with_plots=not no_plots)
    if not quiet:
        run_table(result.summary)
        typer.echo(f"wrote {target}")


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML) to check.")],
) -> None:
    """Check a scenario file without running it (exit 0 if valid, 2 with one line if not).

    Example: abm validate scenarios/baseline.toml
    """
    from abm.rounds import Setup
    from abm.scenario import load_scenario

    loaded = load_scenario(scenario)
    setup = Setup.from_scenario(loaded)
    refusing = [name for name, ok in zip(setup.names, setup.partner_commits, strict=True) if not ok]
    note = f"; would refuse to commit: {', '.join(refusing)}" if refusing else ""
    typer.echo(f"{scenario}: ok ({loaded.size} partners, {loaded.rounds} rounds, {loaded.engine}{note})")


@app.command()
def plot(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by abm run, e.g. outputs/baseline.")],
) -> None:
    """Redraw a run's plots from its tables (summary.json, rounds.parquet, agents.parquet).

    Example: abm plot outputs/baseline
    """
    from abm.runner import redraw_plots

    for path in redraw_plots(run_dir):
        typer.echo(f"wrote {path}")


@app.command()
def deviate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML) whose draws and partners are used.")],
    strategies: Annotated[
        str | None,
        typer.Option("--strategies", help="Comma-separated strategy SPECs to test (default: a battery of 28)."),
    ] = None,
    partners: Annotated[
        str | None, typer.Option("--partners", help="Comma-separated partner names to test (default: all).")
    ] = None,
    rounds: Annotated[
        int | None, typer.Option("--rounds", help="Rounds of paired draws (default: the scenario's, at most 20000).")
    ] = None,
    profiles: Annotated[int, typer.Option("--profiles", help="Profiles for the best-response search.")] = 200,
    grid: Annotated[bool, typer.Option("--grid", help="Also write the (strategy parameter x N) heat map.")] = False,
    out: Annotated[Path, typer.Option("--out", help="Folder under which <name>-deviate/ is written.")] = Path(
        "outputs"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON verdict instead of tables.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the PNG figures.")] = False,
) -> None:
    """Truthfulness lab: every misreport against the truthful report on the same draws.

    For each partner and candidate deviation: mean paired gain with 95% CI, the largest
    single-round gain, the rounds where lying paid (0 for this mechanism) and, for
    deterministic deviations against truthful others, the exact expected gain by quadrature.
    Also a best-response search, ex ante commitment under beliefs, and a kappa sweep.

    Example: abm deviate scenarios/liars-among-liars.toml --strategies "shade(0.8),random" --grid
    """
    from abm.deviation import parse_battery
    from abm.io import output_dir
    from abm.lab import DEFAULT_LAB_ROUNDS, run_lab, split_names, write_lab
    from abm.progress import progress_bar
    from abm.report import lab_tables
    from abm.scenario import MAX_AGENT_ROWS, MAX_ROUNDS, load_scenario

    loaded = load_scenario(scenario)
    battery = _located(parse_battery, strategies, "--strategies")
    count = rounds if rounds is not None else min(loaded.rounds, DEFAULT_LAB_ROUNDS)
    if not 1 <= count <= MAX_ROUNDS or count * loaded.size > MAX_AGENT_ROWS:
        raise InputError(
            f"{count} rounds is out of range",
            key="--rounds",
            valid=f"1 to {MAX_ROUNDS}, with rounds x partners <= {MAX_AGENT_ROWS:,}",
        )
    if not 0 <= profiles <= 100_000:
        raise InputError(f"{profiles} profiles is out of range", key="--profiles", valid="0 to 100000")
    output_dir(out, f"{loaded.name}-deviate")
    chosen = split_names(partners) or loaded.names
    total = len(chosen) * (len(battery) + 1)
    with progress_bar(total, f"{loaded.name}: deviations", enabled=not as_json) as advance:
        result = run_lab(loaded, battery, partners, count, profiles, grid, advance)
    target = write_lab(result, out, with_plots=not no_plots)
    if as_json:
        from abm.io import tidy

        _echo_json(tidy(result.payload))
    else:
        lab_tables(result.payload)
        typer.echo(f"wrote {target}")


def _located(parser, text, key):  # type: ignore[no-untyped-def]
    try:
        return parser(text)
    except InputError as error:
        raise error.located(key=key) from None


INTERRUPTED = 130


class Terminated(BaseException):
    """Raised by the SIGTERM handler so that cleanup runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning every user error into one line and exit code 2.

    Ctrl-C exits 130 and SIGTERM 143, each with one line, after removing any partial
    output. Set ABM_DEBUG=1 to see tracebacks of internal errors.
    """
    command = typer.main.get_command(app)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _dispatch(command, argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _dispatch(command, argv: list[str] | None) -> int:  # type: ignore[no-untyped-def]
    try:
        result = command.main(args=argv, prog_name="abm", standalone_mode=False)
    except InputError as error:
        typer.echo(f"abm: error: {error}", err=True)
        return 2
    except cli_errors.NoArgsIsHelpError as error:
        typer.echo(error.ctx.get_help() if error.ctx else "")
        return 0
    except cli_errors.UsageError as error:
        command_name = error.ctx.command_path if error.ctx else "abm"
        message = " ".join(error.format_message().split())
        typer.echo(f"{command_name}: error: {message} (see '{command_name} --help')", err=True)
        return 2
    except cli_errors.ClickException as error:
        typer.echo(f"abm: error: {' '.join(error.format_message().split())}", err=True)
        return 2
    except (KeyboardInterrupt, typer.Abort):
        result = INTERRUPTED
    except Terminated:
        typer.echo("abm: terminated; no partial output was left", err=True)
        return 143
    except Exception as error:
        if os.environ.get("ABM_DEBUG"):
            raise
        typer.echo(f"abm: internal error: {type(error).__name__}: {error} (set ABM_DEBUG=1 for details)", err=True)
        return 1
    if result == INTERRUPTED:  # typer turns Ctrl-C into a silent exit code 130
        typer.echo("abm: interrupted; no partial output was left", err=True)
        return INTERRUPTED
    return int(result) if isinstance(result, int) else 0


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
