"""Named, independent random streams for one run (DESIGN.md, "Randomness").

Each stream is ``SeedSequence(seed, spawn_key=(stream id, partner index))``: a
fixed address rather than an order of spawning, so adding a stream or a partner
never shifts the numbers of another, and every engine reads the same streams.
"""

from __future__ import annotations

import numpy as np

STREAM_IDS = {"values": 0, "lottery": 1, "strategy": 2, "deviation": 3, "profiles": 4}
MAX_SEED = 2**63 - 1


def stream(seed: int, name: str, *index: int) -> np.random.Generator:
    """The Generator of stream ``name`` (partner, and further indices where needed) of run ``seed``."""
    sequence = np.random.SeedSequence(seed, spawn_key=(STREAM_IDS[name], *(index or (0,))))
    return np.random.Generator(np.random.PCG64(sequence))
