"""Throughput of the two engines, as ratios measured in one process.

    python benchmarks/engine_throughput.py [--n 3] [--rounds 200000] [--mesa-rounds 5000]

Prints rounds per second of: raw numpy RNG work (the uniforms a round needs, no
mechanism), the vectorized engine, and the Mesa model; then the ratios. Numbers
depend on the machine; the ratios are what to compare across commits.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from abm.engine import run_vectorized
from abm.model import DissolutionModel
from abm.rounds import Setup
from abm.scenario import scenario_from_dict


def rate(rounds: int, seconds: float) -> float:
    return rounds / seconds if seconds > 0 else float("inf")


def timed(func) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=200_000)
    parser.add_argument("--mesa-rounds", type=int, default=5_000)
    args = parser.parse_args()
    partners = [{"name": f"p{i}", "share": 1.0 / args.n, "strategy": "truthful"} for i in range(args.n)]
    partners[0]["strategy"] = "shade(0.8)"
    scenario = scenario_from_dict({"name": "bench", "seed": 1, "partners": partners}, "benchmark")
    setup = Setup.from_scenario(scenario)

    rng = np.random.default_rng(1)
    raw = timed(lambda: rng.random((args.rounds, args.n + 1)))
    engine = timed(lambda: run_vectorized(setup, args.rounds, seed=1))

    def mesa() -> None:
        model = DissolutionModel(scenario, setup=setup)
        for _ in range(args.mesa_rounds):
            model.step()
        model.run_log()

    mesa_seconds = timed(mesa)
    raw_rate, engine_rate = rate(args.rounds, raw), rate(args.rounds, engine)
    mesa_rate = rate(args.mesa_rounds, mesa_seconds)
    print(f"N = {args.n}, one partner shading (so one counterfactual per round)")
    print(f"raw numpy uniforms : {raw_rate:14,.0f} rounds/s")
    print(f"vectorized engine  : {engine_rate:14,.0f} rounds/s")
    print(f"Mesa model         : {mesa_rate:14,.0f} rounds/s")
    print(f"engine / raw RNG   : {engine_rate / raw_rate:10.4f}")
    print(f"engine / Mesa      : {engine_rate / mesa_rate:10.1f}x")


if __name__ == "__main__":
    main()
