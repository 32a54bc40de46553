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


MAX_BATTERY_PANELS = 8


def plot_battery(battery: pd.DataFrame, title: str, path: Path) -> None:
    """Mean paired gain with 95% CI per strategy, one panel per partner (the deviation battery)."""
    partners = list(dict.fromkeys(battery["partner"]))[:MAX_BATTERY_PANELS]
    strategies = list(dict.fromkeys(battery["strategy"]))
    ncols = min(4, len(partners))
    nrows = -(-len(partners) // ncols)
    height = nrows * (0.24 * len(strategies) + 1.6)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 2.5, height), dpi=100, squeeze=False, sharey=True)
    y = np.arange(len(strategies))
    for ax, partner in zip(axes.flat, partners, strict=False):
        rows = battery[battery["partner"] == partner].set_index("strategy").reindex(strategies)
        means = rows["mean_gain"].to_numpy()
        errors = np.vstack([means - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - means])
        colors = np.where(rows["rounds_with_positive_gain"].to_numpy() > 0, "tab:red", "tab:blue")
        ax.barh(y, means, xerr=errors, color=colors, alpha=0.85, capsize=2)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_title(partner, fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_xlabel("mean gain vs truthful", fontsize=8)
    axes[0, 0].set_yticks(y, strategies, fontsize=8)
    axes[0, 0].invert_yaxis()
    for ax in list(axes.flat)[len(partners) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"{title}\n(bars: mean gain per round with 95% CI; red would mean some round paid to lie)", fontsize=11
    )
    _save(fig, path)


def plot_heatmap(panels: Mapping[str, pd.DataFrame], title: str, path: Path) -> None:
    """Mean paired gain over (strategy parameter x N), one panel per value distribution.

    Each frame is indexed by N with one column per report factor (< 1 shade, > 1 exaggerate).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), dpi=110, squeeze=False)
    low = min(float(frame.to_numpy().min()) for frame in panels.values())
    for ax, (label, frame) in zip(axes[0], panels.items(), strict=True):
        image = ax.imshow(frame.to_numpy(), cmap="Blues_r", vmin=low, vmax=0.0, aspect="auto", origin="lower")
        ax.set_xticks(range(frame.shape[1]), [f"{c:g}" for c in frame.columns], fontsize=8)
        ax.set_yticks(range(frame.shape[0]), [str(n) for n in frame.index])
        ax.set_xlabel("report factor (report = factor x value; < 1 shade, > 1 exaggerate)")
        ax.set_ylabel("number of partners N")
        ax.set_title(f"values ~ {label}", fontsize=11)
        for (row, col), value in np.ndenumerate(frame.to_numpy()):
            ax.text(col, row, f"{value:.3f}", ha="center", va="center", fontsize=6.5, color="black")
        fig.colorbar(image, ax=ax, label="mean gain vs truthful (<= 0 means lying never pays)")
    fig.suptitle(title, fontsize=12)
    _save(fig, path)


def plot_kappa_sweep(
    sweep: pd.DataFrame,
    intervals: Mapping[str, float],
    against_n: pd.DataFrame,
    against_share: pd.DataFrame,
    title: str,
    path: Path,
) -> None:
    """Each partner's E[U](kappa) with the IR intervals; the role interval against N and shares."""
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 5), dpi=100)
    for k, (name, frame) in enumerate(sweep.groupby("partner", sort=False)):
        label = f"{name} (r = {frame['share'].iloc[0]:.3g})" if k < MAX_LEGEND else None
        left.plot(frame["kappa"], frame["utility"], label=label)
    left.axvspan(
        intervals["role_kappa_lo"], intervals["role_kappa_hi"], color="tab:green", alpha=0.15, label="both roles IR"
    )
    for key in ("partner_kappa_lo", "partner_kappa_hi"):
        if np.isfinite(intervals[key]):
            left.axvline(intervals[key], color="tab:red", linestyle=":", linewidth=1)
    left.axvline(intervals["kappa"], color="black", linestyle="--", linewidth=0.9, label="scenario kappa")
    left.axhline(0.0, color="black", linewidth=0.6)
    left.set_xlabel("kappa")
    left.set_ylabel("ex ante expected utility E[U_i]")
    left.set_title("Who commits: E[U_i] >= 0 (red dotted: all partners IR)", fontsize=10)
    left.legend(fontsize=7)
    middle.fill_between(against_n["n"], against_n["kappa_lo"], against_n["kappa_hi"], color="tab:green", alpha=0.3)
    middle.plot(against_n["n"], against_n["kappa_lo"], color="tab:green")
    middle.plot(against_n["n"], against_n["kappa_hi"], color="tab:green")
    middle.set_xlabel("number of partners N")
    middle.set_ylabel("kappa")
    middle.set_title("kappa interval where both roles are IR, against N", fontsize=10)
    finite = against_share.replace([np.inf, -np.inf], np.nan)
    right.plot(finite["largest_share"], finite["kappa_lo"], color="tab:red", label="lowest kappa all commit")
    right.plot(finite["largest_share"], finite["kappa_hi"], color="tab:blue", label="highest kappa all commit")
    right.set_xlabel("share of the largest partner (others split the rest)")
    right.set_ylabel("kappa")
    right.set_title("kappa interval where every partner is IR, against shares", fontsize=10)
    right.legend(fontsize=8)
    for ax in (left, middle, right):
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"Ex ante commitment and kappa: {title}", fontsize=12)
    _save(fig, path)


def plot_commitment(table: pd.DataFrame, title: str, path: Path) -> None:
    """Predicted (under belief), true and realised ex ante utility per partner."""
    fig, ax = plt.subplots(figsize=(max(7, 1.2 * len(table) + 3), 5), dpi=110)
    x = np.arange(len(table))
    width = 0.27
    ax.bar(x - width, table["believed_utility"], width, label="predicted under its belief", color="tab:orange")
    ax.bar(x, table["true_utility"], width, label="exact under the true values", color="tab:blue")
    ax.bar(
        x + width,
        table["realised_utility"],
        width,
        yerr=1.96 * table["realised_se"],
        capsize=3,
        label="realised mean (95% CI)",
        color="tab:green",
    )
    labels = [
        f"{p}\n{'commits' if c else 'refuses'}{'' if c == k else ' (wrongly)'}"
        for p, c, k in zip(table["partner"], table["commits"], table["would_commit_if_it_knew"], strict=True)
    ]
    ax.set_xticks(x, labels, fontsize=8)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylabel("ex ante utility per round")
    ax.set_title(f"Predicted vs realised ex ante utility: {title}", fontsize=12)
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    _save(fig, path)
