"""The bare vectorised NumPy script of the simplest casualty model: the baseline `sim` is measured against.

Usage: python benchmarks/bare_numpy.py DRAWS [PHASES]  -> prints one JSON line (draws, wall and CPU seconds, peak
RSS in MB). All draws are held in memory at once, as a one-off script would. With PHASES = 4 it draws the model of
phased_model.toml instead: four phases, each with its own strength, Beta(1, 11) fatality rate and exact binomial,
summed; the floor on what four phases cost whatever program draws them.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np


def bare(draws: int, seed: int = 1, phases: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if phases == 1:
        size = rng.integers(11_000, 15_001, draws)
        fatality_rate = rng.beta(4, 12, draws)
        killed = rng.binomial(size, fatality_rate)
    else:
        killed = sum(rng.binomial(rng.integers(11_000, 15_001, draws), rng.beta(1, 11, draws)) for _ in range(phases))
    reported_fraction = rng.beta(1, 200, draws)
    reported = np.rint(reported_fraction * killed)
    return np.percentile(killed, [2.5, 50, 97.5]), np.mean(reported <= 9)


if __name__ == "__main__":
    n = int(sys.argv[1])
    phases = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    started, cpu = time.perf_counter(), time.process_time()
    bare(n, phases=phases)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"draws": n, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak}))
