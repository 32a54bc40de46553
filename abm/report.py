"""Readable terminal tables (rich) for theory, bilateral trade and run summaries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table

from abm.mechanism.theory import Theory


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def fmt(value: object) -> str:
    """Numbers with 6 significant digits; booleans and None as words."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print a titled table; the first column left-aligned, the rest right-aligned."""
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
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
