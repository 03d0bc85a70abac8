"""Mutation score per module from mutmut's results (``make mutate`` prints it after each run).

Reads ``mutants/<path>.meta`` (mutmut 3's per-file results) and prints, for each module of
the statistical core, the mutants tried, killed (a test failed, or timed out), survived and
without tests, and the score ``killed / tried`` where every surviving or untested mutant
counts against it, with its 95% Wilson interval: where only a random sample of a module's
mutants was tried, the score estimates the whole module's (Wilson, "Probable inference, the law
of succession, and statistical inference", *JASA* 22, 1927).

``--sample N`` prints instead the names of N mutants per module drawn at random (seeded by
``--seed``, default 20) from those mutmut generated (``mutants/`` must exist: any ``make mutate``
generates every module's mutants first). Not a test module:
``python tests/mutation_score.py [--sample N [--seed S]] [module ...]``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

CORE = ("priors", "model", "inference", "engine", "summary", "mcse")
KILLED = {1, 3, 36, -24, 24, 152, 255, -11, -9}  # mutmut's exit codes for killed, timeout and crash
SURVIVED = {0}
NO_TESTS = {5, 33}
Z95 = 1.959963984540054


def _results(module: str, root: Path) -> dict[str, int | None] | None:
    meta = root / "sim" / f"{module}.py.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else None


def score(module: str, root: Path = Path("mutants"), names: set[str] | None = None) -> tuple[int, int, int, int] | None:
    """(tried, killed, survived, without tests) for ``sim/<module>.py`` (of ``names`` only, if given)."""
    results = _results(module, root)
    if results is None:
        return None
    codes = [c for name, c in results.items() if c is not None and (names is None or name in names)]
    return (
        len(codes),
        sum(c in KILLED for c in codes),
        sum(c in SURVIVED for c in codes),
        sum(c in NO_TESTS for c in codes),
    )


def wilson(killed: int, tried: int) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion ``killed / tried``."""
    p, z2 = killed / tried, Z95 * Z95
    centre = (p + z2 / (2 * tried)) / (1 + z2 / tried)
    half = Z95 * math.sqrt(p * (1 - p) / tried + z2 / (4 * tried * tried)) / (1 + z2 / tried)
    return centre - half, centre + half


def sample(modules: list[str], size: int, seed: int, root: Path = Path("mutants")) -> list[str]:
    """``size`` mutant names per module (all of them if fewer), drawn without replacement."""
    rng = random.Random(seed)
    names: list[str] = []
    for module in modules:
        results = _results(module, root)
        if results is None:
            raise SystemExit(f"no mutants of sim/{module}.py in {root}/: run `make mutate` once to generate them")
        keys = sorted(results)
        names += rng.sample(keys, min(size, len(keys)))
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(CORE))
    parser.add_argument("--sample", type=int, help="print the names of this many random mutants per module")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--score", action="store_true", help="with --sample: the score of that sample only")
    args = parser.parse_args()
    modules = args.modules or list(CORE)
    names = set(sample(modules, args.sample, args.seed)) if args.sample else None
    if names is not None and not args.score:
        print(" ".join(sample(modules, args.sample, args.seed)))
        return
    header = f"{'module':<10} {'tried':>6} {'killed':>6} {'survived':>8} {'no tests':>8} {'score':>7}  95% interval"
    print(header)
    for module in modules:
        result = score(module, names=names)
        if result is None:
            print(f"{module:<10} not run")
            continue
        tried, killed, survived, untested = result
        if not tried:
            print(f"{module:<10} {tried:>6} {killed:>6} {survived:>8} {untested:>8} {'-':>7}")
            continue
        low, high = wilson(killed, tried)
        share = f"{100 * killed / tried:.1f}%"
        interval = f"{100 * low:.0f}–{100 * high:.0f}%"
        print(f"{module:<10} {tried:>6} {killed:>6} {survived:>8} {untested:>8} {share:>7}  {interval}")


if __name__ == "__main__":
    main()
