"""Ex ante commitment: beliefs against the truth, and the kappa interval where everyone commits.

A partner commits iff its expected utility of the designer's mechanism (p*, kappa
fixed) under its *belief* is >= 0 (DESIGN.md, step 1). Truthfulness makes that
decision depend on first-order beliefs only; these tables show where it goes wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abm.distributions import Distribution
from abm.mechanism.theory import IR_TOLERANCE, partner_kappa_interval, role_kappa_interval, role_terms
from abm.rounds import Setup


def commitment_table(setup: Setup, realised: np.ndarray, realised_se: np.ndarray) -> pd.DataFrame:
    """Per partner: belief, predicted (believed) and true ex ante utility, realised mean, decisions."""
    true_utility = np.asarray(setup.theory.partner_utility)
    return pd.DataFrame(
        {
            "partner": list(setup.names),
            "share": setup.shares,
            "belief": [b.spec for b in setup.beliefs],
            "believed_utility": np.asarray(setup.believed_utility),
            "true_utility": true_utility,
            "realised_utility": realised,
            "realised_se": realised_se,
            "commits": list(setup.partner_commits),
            "would_commit_if_it_knew": list(true_utility >= -IR_TOLERANCE),
        }
    )


def kappa_sweep(setup: Setup, points: int = 81) -> tuple[pd.DataFrame, dict[str, float]]:
    """E[U_i](kappa) for every partner over a range around the role interval, and who refuses.

    Returns the long table (kappa, partner, utility, commits) and the intervals.
    """
    terms = setup.theory.terms
    lo, hi = role_kappa_interval(terms)
    plo, phi = partner_kappa_interval(terms, setup.shares)
    width = max(hi - lo, 1e-3)
    left = min(lo, plo if np.isfinite(plo) else lo) - 0.5 * width
    right = max(hi, phi if np.isfinite(phi) else hi) + 0.5 * width
    kappas = np.unique(np.concatenate([np.linspace(left, right, points), [lo, hi, setup.kappa]]))
    rows = []
    for kappa in kappas:
        for name, share in zip(setup.names, setup.shares, strict=True):
            utility = terms.partner_utility(float(share), float(kappa))
            rows.append((float(kappa), name, float(share), utility, utility >= -IR_TOLERANCE))
    table = pd.DataFrame(rows, columns=["kappa", "partner", "share", "utility", "commits"])
    intervals = {
        "kappa": setup.kappa,
        "role_kappa_lo": lo,
        "role_kappa_hi": hi,
        "partner_kappa_lo": plo,
        "partner_kappa_hi": phi,
    }
    return table, intervals


def interval_against_n(dist: Distribution, sizes: range = range(2, 21)) -> pd.DataFrame:
    """[kappa_lo, kappa_hi] where both roles are ex ante IR, for each N (shares do not matter)."""
    rows = []
    for n in sizes:
        lo, hi = role_kappa_interval(role_terms(n, dist))
        rows.append((n, lo, hi))
    return pd.DataFrame(rows, columns=["n", "kappa_lo", "kappa_hi"])


def interval_against_share(dist: Distribution, n: int, points: int = 41) -> pd.DataFrame:
    """Partner interval when one partner holds share s and the others split 1 - s equally."""
    terms = role_terms(n, dist)
    rows = []
    for s in np.linspace(0.0, 1.0, points):
        shares = np.array([s] + [(1.0 - s) / (n - 1)] * (n - 1))
        lo, hi = partner_kappa_interval(terms, shares)
        rows.append((float(s), lo, hi))
    return pd.DataFrame(rows, columns=["largest_share", "kappa_lo", "kappa_hi"])
