"""Mutation score per module from mutmut's results (``make mutate`` prints it after each run).

Reads ``mutants/<path>.meta`` (mutmut 3's per-file results) and prints, for each module of
the statistical core, the mutants tried, killed (a test failed, or timed out), survived and
without tests, and the score ``killed / tried`` where every surviving or untested mutant
counts against it. Not a test module: ``python tests/mutation_score.py [module ...]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CORE = ("priors", "model", "inference", "engine", "summary", "mcse")
KILLED = {1, 3, 36, -24, 24, 152, 255, -11, -9}  # mutmut's exit codes for killed, timeout and crash
SURVIVED = {0}
NO_TESTS = {5, 33}


def score(module: str, root: Path = Path("mutants")) -> tuple[int, int, int, int] | None:
    """(tried, killed, survived, without tests) for ``sim/<module>.py``, or None before any run."""
    meta = root / "sim" / f"{module}.py.meta"
    if not meta.exists():
        return None
    codes = [c for c in json.loads(meta.read_text())["exit_code_by_key"].values() if c is not None]
    return (
        len(codes),
        sum(c in KILLED for c in codes),
        sum(c in SURVIVED for c in codes),
        sum(c in NO_TESTS for c in codes),
    )


def main(modules: list[str]) -> None:
    print(f"{'module':<10} {'tried':>6} {'killed':>6} {'survived':>8} {'no tests':>8} {'score':>7}")
    for module in modules or CORE:
        result = score(module)
        if result is None:
            print(f"{module:<10} not run")
            continue
        tried, killed, survived, untested = result
        share = f"{100 * killed / tried:.1f}%" if tried else "-"
        print(f"{module:<10} {tried:>6} {killed:>6} {survived:>8} {untested:>8} {share:>7}")


if __name__ == "__main__":
    main(sys.argv[1:])
