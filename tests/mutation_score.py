"""Mutation score per module from mutmut's results (``make mutate`` prints it after each run).

Reads ``mutants/<path>.meta`` (mutmut 3's per-file results) and prints, for each module of
the statistical core, the mutants tried, killed (a test failed, or timed out), survived and
without tests, and the score ``killed / tried`` where every surviving or untested mutant
counts against it, with its 95% Wilson interval: where only a random sample of a module's
mutants was tried, the score estimates the whole module's (Wilson, "Probable inference, the law
of succession, and statistical inference", *JASA* 22, 1927).

mutmut's timeouts are not kills: on a loaded machine its wall-clock limit fires for mutants whose tests
pass. ``--timeouts`` prints their names; ``make mutate`` runs them again with ``tests/mutation_rerun.py`` into
``mutants/rerun.jsonl``, whose outcomes the score then uses; a timeout not rerun counts as not killed.

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
KILLED = {1, 3, -11, -9}  # mutmut's exit codes for a failed test run and a crash
TIMEOUT = {36, -24, 24, 152, 255}  # mutmut's timeouts: not kills until tests/mutation_rerun.py says so
SURVIVED = {0}
NO_TESTS = {5, 33}
Z95 = 1.959963984540054
RERUN = "rerun.jsonl"
"""Where ``make mutate`` keeps ``tests/mutation_rerun.py``'s outcomes for mutmut's timeouts (in ``mutants/``)."""


def _results(module: str, root: Path) -> dict[str, int | None] | None:
    meta = root / "sim" / f"{module}.py.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else None


def _rerun(path: Path) -> dict[str, str]:
    """Outcomes of ``tests/mutation_rerun.py`` (``killed``, ``survived``, ...) by mutant name, if it ran."""
    if not path.exists():
        return {}
    return {row["name"]: row["result"] for row in map(json.loads, path.read_text().splitlines())}


def score(
    module: str, root: Path = Path("mutants"), names: set[str] | None = None
) -> tuple[int, int, int, int, int] | None:
    """(tried, killed, survived, without tests, unverified timeouts) for ``sim/<module>.py`` (of ``names`` only, if
    given). A timeout that ``tests/mutation_rerun.py`` ran again (``mutants/rerun.jsonl``) counts as what it found;
    one it did not is no kill."""
    results = _results(module, root)
    if results is None:
        return None
    rerun = _rerun(root / RERUN)
    codes = [(name, c) for name, c in results.items() if c is not None and (names is None or name in names)]
    verified = [rerun.get(name) if c in TIMEOUT else None for name, c in codes]
    return (
        len(codes),
        sum(c in KILLED for _, c in codes) + verified.count("killed"),
        sum(c in SURVIVED for _, c in codes) + verified.count("survived"),
        sum(c in NO_TESTS for _, c in codes),
        sum(c in TIMEOUT and v not in ("killed", "survived") for (_, c), v in zip(codes, verified, strict=True)),
    )


def timeouts(modules: list[str], names: set[str] | None, root: Path = Path("mutants")) -> list[str]:
    """The names of the mutants mutmut called timeouts (of ``names`` only, if given)."""
    return [
        name
        for module in modules
        for name, code in (_results(module, root) or {}).items()
        if code in TIMEOUT and (names is None or name in names)
    ]


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
    parser.add_argument("--timeouts", action="store_true", help="print the names of mutmut's timeouts, one a line")
    args = parser.parse_args()
    modules = args.modules or list(CORE)
    names = set(sample(modules, args.sample, args.seed)) if args.sample else None
    if args.timeouts:
        print("\n".join(timeouts(modules, names)))
        return
    if names is not None and not args.score:
        print(" ".join(sample(modules, args.sample, args.seed)))
        return
    columns = ("tried", "killed", "survived", "no tests", "timeouts")
    print(f"{'module':<10} " + " ".join(f"{c:>{max(6, len(c))}}" for c in columns) + f" {'score':>7}  95%")
    results = {module: score(module, names=names) for module in modules}
    run = [r for r in results.values() if r is not None]
    if len(run) > 1:
        results["all"] = tuple(map(sum, zip(*run, strict=True)))  # type: ignore[assignment]
    for module, result in results.items():
        if result is None:
            print(f"{module:<10} not run")
            continue
        tried, killed, survived, untested, unverified = result
        counts = f"{module:<10} {tried:>6} {killed:>6} {survived:>8} {untested:>8} {unverified:>8}"
        if not tried:
            print(f"{counts} {'-':>7}")
            continue
        low, high = wilson(killed, tried)
        print(f"{counts} {100 * killed / tried:>6.1f}%  {100 * low:.0f}–{100 * high:.0f}%")
    print("timeouts: mutmut's, not rerun by tests/mutation_rerun.py; they count as not killed")


if __name__ == "__main__":
    main()
