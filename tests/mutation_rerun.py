"""Rerun mutants, each in a fresh pytest process: the check behind the scores of docs/mutation.md.

mutmut 3.8 runs each mutant's tests in a process forked from its own, under a wall-clock limit of
``timeout_multiplier × (estimated test time + 1 s)``. On a loaded 2-core machine that limit fires for mutants
whose tests pass (they only ran slower than their estimate), and mutmut counts them as killed. This script runs
the same tests (those mutmut mapped to the mutant's function, fastest first, stopping at the first failure) in a
fresh ``pytest`` process with ``MUTANT_UNDER_TEST`` set, with a limit of 6 × (estimate + 1 s), at least 60 s, and
appends one JSON line per mutant: ``killed`` (a test failed), ``survived`` (all passed), ``timeout`` or
``no tests``. ``--extra`` adds tests to every run (e.g. tests written after mutmut recorded its map). Not a test
module: ``python tests/mutation_rerun.py NAMES_FILE OUT.jsonl [--extra TEST,...] [--jobs 2]``, after a
``make mutate`` has written ``mutants/`` and its ``mutmut-stats.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "mutants"


def rerun(name: str, tests_by: dict[str, list[str]], duration: dict[str, float], extra: list[str]) -> dict:
    """One mutant's tests in a fresh pytest process, and what came of it."""
    mapped = sorted(tests_by.get(name.rsplit("__mutmut_", 1)[0], []), key=lambda test: duration[test])
    if not mapped and not extra:
        return {"name": name, "result": "no tests"}
    estimate = sum(duration[test] for test in mapped)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mapped, *extra]
    start = time.time()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=dict(os.environ, MUTANT_UNDER_TEST=name),
            capture_output=True,
            text=True,
            timeout=max(60.0, 6 * (estimate + 1)),
            check=False,
        )
        result = {0: "survived", 1: "killed"}.get(done.returncode, f"exit {done.returncode}")
    except subprocess.TimeoutExpired:
        result = "timeout"
    return {"name": name, "result": result, "seconds": round(time.time() - start, 1), "tests": len(mapped)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", type=Path, help="a file of mutant names, one per line")
    parser.add_argument("out", type=Path, help="JSON lines, appended (names already there are skipped)")
    parser.add_argument("--extra", default="", help="comma-separated tests to add to every run")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    stats = json.loads((ROOT / "mutmut-stats.json").read_text())
    done = {json.loads(line)["name"] for line in args.out.read_text().splitlines()} if args.out.exists() else set()
    names = [name for name in args.names.read_text().split() if name not in done]
    extra = [test for test in args.extra.split(",") if test]
    with ThreadPoolExecutor(args.jobs) as pool, args.out.open("a") as sink:
        jobs = [
            pool.submit(rerun, n, stats["tests_by_mangled_function_name"], stats["duration_by_test"], extra)
            for n in names
        ]
        for job in jobs:
            sink.write(json.dumps(job.result()) + "\n")
            sink.flush()


if __name__ == "__main__":
    main()
