"""abm: agent-based simulator of ex ante individually rational trade.

Jagadeesan & Tordjman (2025), "Ex ante individually rational trade": the
Groves mechanisms of Theorem 1 (bilateral trade) and Proposition 1 /
Theorem 2 (partnership dissolution), simulated with Mesa.
"""

__version__ = "0.1.0"
