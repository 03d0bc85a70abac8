"""One measured `sim` run (simulate + summarize) in a fresh process.

Usage: python benchmarks/sim_run.py CONFIG DRAWS WORKERS -> prints one JSON line
(draws, wall seconds, CPU seconds of this process and its workers, peak RSS in MB of this
process and of its largest worker). CPU seconds are what a loaded machine changes least.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from sim import load_scenario, simulate, summarize

if __name__ == "__main__":
    config, draws, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    scenario = load_scenario(config)
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    summarize(simulate(scenario, draws=draws, workers=workers, condition_on=()))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True))
    own = after[0].ru_maxrss / 1024
    workers_peak = after[1].ru_maxrss / 1024
    print(
        json.dumps(
            {
                "draws": draws,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_rss_mb": own,
                "worker_peak_rss_mb": workers_peak,
            }
        )
    )
