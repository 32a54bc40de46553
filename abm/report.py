"""Readable terminal tables (rich) for theory, bilateral trade and run summaries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from abm.mechanism.theory import Theory


def _console() -> Console:
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=False, width=130)
    return console


def fmt(value: object) -> str:
    """Numbers with 6 significant digits; booleans and None as words."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "-" if value != value else f"{value:.6g}"
    return str(value)


def fmt_ci(estimate: dict) -> str:
    """A 95% confidence interval as [low, high]."""
    return f"[{fmt(estimate['ci_low'])}, {fmt(estimate['ci_high'])}]"


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print a titled table; the first column left-aligned, the rest right-aligned."""
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*(fmt(cell) for cell in row))
    _console().print(table)


def theory_table(result: Theory, dist_spec: str) -> None:
    """The exact quantities of ``abm theory`` as two tables: mechanism, then partners."""
    lo, hi = result.kappa_interval
    print_table(
        f"Theorem 2, N = {result.n}, values ~ {dist_spec}",
        ("quantity", "value"),
        [
            ("p* (price)", result.p_star),
            ("x* = F(p*)", result.x_star),
            ("kappa", result.kappa),
            ("kappa interval (both roles IR)", f"[{fmt(lo)}, {fmt(hi)}]"),
            ("gains from trade", result.gains_from_trade),
            ("VCG deficit", result.vcg_deficit),
            ("broker revenue", result.broker_revenue),
            ("seller utility", result.seller_utility),
            ("buyer utility", result.buyer_utility),
        ],
    )
    print_table(
        "Partners (ex ante)",
        ("partner", "share", "expected utility", "ex ante IR"),
        [
            (f"{i + 1}", share, utility, ir)
            for i, (share, utility, ir) in enumerate(
                zip(result.shares, result.partner_utility, result.ex_ante_ir, strict=False)
            )
        ],
    )


def bilateral_table(payload: dict[str, object], buyer_spec: str, seller_spec: str) -> None:
    """The quantities of ``abm bilateral``."""
    print_table(
        f"Theorem 1, buyer ~ {buyer_spec}, seller ~ {seller_spec}",
        ("quantity", "value"),
        [(name.replace("_", " "), value) for name, value in payload.items()],
    )


def run_table(summary: dict) -> None:
    """Theory against simulation, per partner and for the broker, after ``abm run``."""
    theory, simulated = summary["theory"], summary["simulated"]
    committed = summary["commitment"]["committed"]
    rows = []
    for name, exact in theory["partner_utility"].items():
        est = simulated["partner_utility"][name]
        strategy = summary["scenario"]["strategies"][name]
        rows.append((name, strategy, exact if committed else 0.0, est["mean"], fmt_ci(est)))
    est = simulated["broker_revenue"]
    rows.append(
        (
            "broker",
            "-",
            theory["broker_revenue"] if committed else 0.0,
            est["mean"],
            fmt_ci(est),
        )
    )
    print_table(
        f"{summary['scenario']['name']}: {simulated['rounds']} rounds, exact vs simulated (per round)",
        ("agent", "strategy", "exact (all truthful)", "simulated mean", "95% CI"),
        rows,
    )
    lines = [
        f"committed: {'yes' if committed else 'no (status quo every round)'}; "
        f"deficit rounds: {simulated['deficit_rounds']}; lowest round revenue: {fmt(simulated['min_round_revenue'])}"
        + (" (zero up to float rounding)" if -1e-12 <= simulated["min_round_revenue"] < 0 else "")
    ]
    for name, deviation in summary["deviations"].items():
        lines.append(
            f"{name} ({deviation['strategy']}): mean gain vs truthful {fmt(deviation['mean_gain'])} "
            f"{fmt_ci(deviation)}, "
            f"rounds where lying paid: {deviation['rounds_with_positive_gain']}"
        )
    for name, info in summary["commitment"]["partners"].items():
        if not info["commits"]:
            lines.append(f"{name} refuses to commit: believed expected utility {fmt(info['believed_utility'])} < 0")
    _console().print("\n".join(lines))


def lab_tables(payload: dict) -> None:
    """The verdict of ``abm deviate``: the battery, best responses, commitment."""
    print_table(
        f"{payload['scenario']}: paired gain of each misreport over the truth ({payload['rounds']} rounds, same draws)",
        ("partner", "strategy", "mean gain", "± 95%", "max round gain", "rounds gain > 1e-12", "exact (quadrature)"),
        [
            (
                row["partner"],
                row["strategy"],
                row["mean_gain"],
                (row["ci_high"] - row["ci_low"]) / 2,
                row["max_gain"],
                row["rounds_with_positive_gain"],
                row["exact_gain"],
            )
            for row in payload["battery"]
        ],
    )
    print_table(
        "Best-response search (grid of 1001 reports + refinement)",
        ("partner", "profiles", "largest regret of telling the truth"),
        [(name, info["profiles"], info["max_regret"]) for name, info in payload["best_response"].items()],
    )
    print_table(
        "Ex ante commitment (predicted under belief vs exact vs realised)",
        ("partner", "belief", "predicted", "exact", "realised", "commits", "would commit if it knew"),
        [
            (
                row["partner"],
                row["belief"],
                row["believed_utility"],
                row["true_utility"],
                row["realised_utility"],
                row["commits"],
                row["would_commit_if_it_knew"],
            )
            for row in payload["commitment"]
        ],
    )
    kappa = payload["kappa"]
    verdict = payload["verdict"]
    others = payload["others_misreporting"]
    _console().print(
        f"kappa = {fmt(kappa['kappa'])}; both roles IR for kappa in [{fmt(kappa['role_kappa_lo'])}, "
        f"{fmt(kappa['role_kappa_hi'])}]; every partner IR for kappa in [{fmt(kappa['partner_kappa_lo'])}, "
        f"{fmt(kappa['partner_kappa_hi'])}]\n"
        + (f"others misreporting meanwhile: {', '.join(others)}\n" if others else "")
        + f"verdict: {verdict['text']} (rounds where a lie paid: {verdict['rounds_with_positive_gain']}, "
        f"largest regret: {fmt(verdict['max_best_response_regret'])})"
    )
