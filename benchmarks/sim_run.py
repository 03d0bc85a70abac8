"""One measured `sim` run (simulate + summarize) in a fresh process.

Usage: python benchmarks/sim_run.py CONFIG DRAWS WORKERS -> prints one JSON line
(draws, seconds, peak RSS in MB of this process and of its largest worker).
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
    started = time.perf_counter()
    summarize(simulate(scenario, draws=draws, workers=workers, condition_on=()))
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"draws": draws, "seconds": seconds, "peak_rss_mb": own, "worker_peak_rss_mb": workers_peak}))
