"""Figures of a run: payoffs, broker revenue and deviations, drawn from the tables.

Agg backend, fixed size and dpi, no software metadata: the PNG bytes depend only
on the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

MAX_POINTS = 2000
MAX_LEGEND = 10
PNG_METADATA = {"Software": None}


def _thin(rounds: int) -> np.ndarray:
    """At most MAX_POINTS indices spread over the rounds (plots need no more)."""
    return np.unique(np.linspace(0, rounds - 1, min(rounds, MAX_POINTS)).astype(int))


def _figure(title: str, ylabel: str) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=110)
    ax.set_title(title, fontsize=12)
    ax.set_xlabel("round")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.axhline(0.0, color="black", linewidth=0.6)
    return fig, ax


def _save(fig: Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, format="png", metadata=PNG_METADATA)
    plt.close(fig)


def _by_partner(agents: pd.DataFrame, column: str) -> pd.DataFrame:
    """A (rounds x partners) table of one column, partners in their order."""
    wide = agents.pivot(index="round", columns="partner", values=column)
    names = agents.drop_duplicates("partner").set_index("partner")["name"]
    wide.columns = [names[c] for c in wide.columns]
    return wide


def plot_payoffs(agents: pd.DataFrame, expected: Mapping[str, float], title: str, path: Path) -> None:
    """Cumulative utility of each partner with its exact expectation (dashed), and the running mean."""
    wide = _by_partner(agents, "cumulative_utility")
    keep = _thin(len(wide))
    rounds = wide.index.to_numpy()[keep]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 8), dpi=110, sharex=True, height_ratios=(3, 2))
    top.set_title(f"Cumulative utility by partner: {title}", fontsize=12)
    top.set_ylabel("cumulative utility (vs original share)")
    bottom.set_ylabel("mean utility per round")
    bottom.set_xlabel("round")
    colors = plt.cm.tab10.colors
    for k, name in enumerate(wide.columns):
        color = colors[k % len(colors)]
        label = name if k < MAX_LEGEND else None
        cumulative = wide[name].to_numpy()[keep]
        top.plot(rounds, cumulative, color=color, linewidth=1.2, label=label)
        top.plot(rounds, expected[name] * rounds, color=color, linewidth=0.9, linestyle="--", alpha=0.8)
        bottom.plot(rounds, cumulative / rounds, color=color, linewidth=1.0)
        bottom.axhline(expected[name], color=color, linewidth=0.9, linestyle="--", alpha=0.8)
    top.plot([], [], color="grey", linestyle="--", label="exact expectation (all truthful)")
    top.legend(loc="upper left", fontsize=8, ncol=2)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        ax.axhline(0.0, color="black", linewidth=0.6)
    spread = max(abs(v) for v in expected.values()) if expected else 0.0
    bottom.set_ylim(min(-0.05, -3 * spread), max(0.05, 3 * spread))
    _save(fig, path)


def plot_revenue(rounds_table: pd.DataFrame, expected: float, title: str, path: Path) -> None:
    """Cumulative broker revenue against its exact expectation; the worst round annotated."""
    keep = _thin(len(rounds_table))
    x = rounds_table["round"].to_numpy()[keep]
    fig, ax = _figure(f"Broker revenue: {title}", "cumulative revenue")
    ax.plot(x, rounds_table["cumulative_revenue"].to_numpy()[keep], color="tab:green", label="simulated")
    ax.plot(x, expected * x, color="black", linestyle="--", linewidth=0.9, label="exact expectation")
    worst = float(rounds_table["broker_revenue"].min())
    ax.text(
        0.02,
        0.95,
        f"lowest single-round revenue: {worst:.3g} (no deficit means >= 0)",
        transform=ax.transAxes,
        va="top",
        fontsize=9,
    )
    ax.legend(loc="lower right", fontsize=9)
    _save(fig, path)


def plot_deviation(agents: pd.DataFrame, liars: Mapping[str, str], title: str, path: Path) -> None:
    """For each misreporting partner: cumulative actual utility vs the truthful report, same draws."""
    actual = _by_partner(agents, "cumulative_utility")
    truthful = _by_partner(agents, "utility_if_truthful").cumsum()
    keep = _thin(len(actual))
    rounds = actual.index.to_numpy()[keep]
    fig, ax = _figure(f"Misreporting vs the truth (same draws): {title}", "cumulative utility")
    colors = plt.cm.tab10.colors
    for k, (name, strategy) in enumerate(liars.items()):
        color = colors[k % len(colors)]
        ax.plot(rounds, truthful[name].to_numpy()[keep], color=color, linewidth=1.4, label=f"{name}: truthful")
        ax.plot(
            rounds,
            actual[name].to_numpy()[keep],
            color=color,
            linewidth=1.2,
            linestyle=":",
            label=f"{name}: {strategy}",
        )
    ax.legend(loc="best", fontsize=8)
    _save(fig, path)


def plot_bars(
    labels: list[str], means: np.ndarray, lows: np.ndarray, highs: np.ndarray, title: str, ylabel: str, path: Path
) -> None:
    """Horizontal bars of means with 95% CI whiskers (the deviation battery)."""
    height = max(3.0, 0.28 * len(labels) + 1.5)
    fig, ax = plt.subplots(figsize=(9, height), dpi=110)
    y = np.arange(len(labels))
    errors = np.vstack([means - lows, highs - means])
    ax.barh(y, means, xerr=errors, color=np.where(means > 0, "tab:red", "tab:blue"), alpha=0.8, capsize=2)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_title(title, fontsize=12)
    ax.set_xlabel(ylabel)
    ax.grid(True, axis="x", alpha=0.3)
    _save(fig, path)
