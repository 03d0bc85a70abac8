"""Are the printed Monte Carlo errors honest? Rerun scenarios under many seeds and compare.

For each statistic with an error, ``z = (estimate − mean over seeds) / printed MCSE`` has a standard
deviation of 1 when the error is honest (0.5 means errors twice too big, 2 errors twice too small).
``SD(z)`` is corrected for the mean being taken over the same seeds (``·√(S/(S−1))``) and given with
its own error, the standard deviation of ``SD(z)`` over bootstrap resamples of the seeds, or its error for
normal ``z``, ``SD(z)/√(2(n−1))`` over ``n`` seeds, where that is larger: the bootstrap of a few seeds whose ``z``
take a handful of values (a whole-number statistic) understates it. Whole-number
quantiles that stay on one value at least half of the time are printed as the values another seed gives
(:attr:`sim.summary.Estimate.others`) rather than with ``±``: for those the check is how often another
seed's value falls in that range (it should be at least about 95%).

``make calibrate`` (``python -m sim.calibrate``) runs each (scenario, seed) in its own process, one
chunk after the other, on the machine's cores. With ``--store DIR`` each run's sums are kept (without
the reservoir of draws) and reused by later calls, under a name that holds a hash of the scenario file
and of the code that draws and weights them (:data:`SIMULATING`): a change to the errors' code is then
checked again in the seconds the summaries take, while a change to the simulation reruns.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from sim.config import load_scenario
from sim.engine import SimulationResult, simulate
from sim.processes import cores, in_order
from sim.summary import ClaimSummary, Distribution, Estimate, Interval, Probability, Summary, summarize

__all__ = ["BAND", "FAR", "Calibration", "calibrate", "statistics"]

BAND = (0.8, 1.25)
"""SD(z) inside this band counts as honest."""
FAR = 3
"""An SD(z) outside :data:`BAND` by more than this many of its own errors is off beyond chance. Over S seeds an
honest SD(z) has an error of about ``1/√(2(S−1))`` (0.16 at 20 seeds): it lands outside the band 18% of the time
at 20 seeds and 0.2% at 100, but not this far."""
MIN_COVERAGE = 0.9
"""A range holding another seed's value at least this often counts as honest (95% is the aim)."""
BOOTSTRAP = 400
SIMULATING = ("config.py", "engine.py", "inference.py", "intervals.py", "model.py", "priors.py", "processes.py")
"""The modules whose code decides a run's sums: the name of a stored run hashes them (``--store``)."""
MIN_SHOWN = 10
"""SD(z) of a statistic printed with ± at fewer seeds is not assessed, nor the coverage of one shown as a range
at fewer seeds (the other form then holds at most seeds, and is assessed). SD(z) is also left out where ± is
printed at fewer than half of the seeds: a whole number is printed with ± exactly at the seeds where its estimate
left the usual value, and where an error is unknown (``± ?``) at most seeds the few with ± are those whose draws
happened to look light tailed: either way the ± seeds' z are a selected sample (see docs/errors.md); the ranges of
the other seeds, if any, are assessed instead."""

Key = tuple[str, str, str, str]
"""(side, item, statistic, level)"""
Value = tuple[float, float, tuple[float, float] | None]
"""(estimate, mcse, others)"""


def _estimate(prefix: tuple[str, str, str], e: Estimate) -> Iterator[tuple[Key, Value]]:
    yield (*prefix, ""), (e.value, e.mcse, e.others)


def _interval(prefix: tuple[str, str], kind: str, iv: Interval) -> Iterator[tuple[Key, Value]]:
    level = f"{iv.level:g}"
    yield (*prefix, f"{kind}_low", level), (iv.low, iv.low_mcse, iv.low_others)
    yield (*prefix, f"{kind}_high", level), (iv.high, iv.high_mcse, iv.high_others)


def _distribution(side: str, item: str, d: Distribution) -> Iterator[tuple[Key, Value]]:
    for name in ("mean", "sd", "median"):
        yield from _estimate((side, item, name), getattr(d, name))
    for kind in ("eti", "hdi"):
        for iv in getattr(d, kind):
            yield from _interval((side, item), kind, iv)


def _claim(side: str, c: ClaimSummary) -> Iterator[tuple[Key, Value]]:
    item = f"claim {c.id}"
    for name in ("percentile", "below", "above", "probability", "reported_at_most", "reported_at_least"):
        p: Probability | None = getattr(c, name)
        if p is not None and p.method not in ("bound", "exact"):
            yield (side, item, name, ""), (p.value, p.mcse, None)
    yield (
        (side, item, "implied_ratio_median", ""),
        (c.implied_ratio_median, c.implied_ratio_median_mcse, c.implied_ratio_median_others),
    )
    yield from _interval((side, item), "implied_ratio", c.implied_ratio)
    if c.reported_median is not None and c.reported_median_mcse is not None:
        yield (side, item, "reported_median", ""), (c.reported_median, c.reported_median_mcse, c.reported_median_others)
    if c.reported_interval is not None:
        yield from _interval((side, item), "reported", c.reported_interval)
    if c.ratio_posterior is not None:
        yield from _estimate((side, f"ratio {c.id}", "median"), c.ratio_posterior.median)
        for iv in c.ratio_posterior.eti:
            yield from _interval((side, f"ratio {c.id}"), "eti", iv)


def statistics(summary: Summary) -> dict[Key, Value]:
    """Every statistic of a summary that carries a Monte Carlo error, by (side, item, statistic, level)."""
    out: dict[Key, Value] = {}
    for side_name, side in summary.sides():
        for d in side.quantities:
            out.update(_distribution(side_name, d.name, d))
        for d in side.inputs:
            out.update(_distribution(side_name, f"input {d.name}", d))
        for c in side.claims:
            out.update(_claim(side_name, c))
    return out


def _stored_name(path: str, draws: int, seed: int) -> str:
    """The file name of a stored run: the scenario, draws, seed and a hash of the scenario file and the
    simulating code (:data:`SIMULATING`), so that a stored run is reused only by the code that made it."""
    digest = hashlib.sha256(Path(path).read_bytes())
    for module in SIMULATING:
        digest.update((Path(__file__).parent / module).read_bytes())
    return f"{Path(path).stem}-{draws}-{seed}-{digest.hexdigest()[:16]}.pickle"


def _run(path: str, draws: int, seed: int, store: Path | None) -> SimulationResult:
    """Simulate, or load the run stored by an earlier call (its reservoir of draws is not kept)."""
    if store is None:
        return simulate(load_scenario(path), draws=draws, seed=seed, workers=1)
    stored = store / _stored_name(path, draws, seed)
    if stored.exists():
        return pickle.loads(stored.read_bytes())  # written by this function: trusted
    result = replace(simulate(load_scenario(path), draws=draws, seed=seed, workers=1), reservoir={})
    stored.with_suffix(".partial").write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    stored.with_suffix(".partial").replace(stored)
    return result


def _one_run(tasks: list[tuple[str, int, int, float, Path | None]], index: int) -> dict[Key, Value]:
    path, draws, seed, scale, store = tasks[index]
    stats = statistics(summarize(_run(path, draws, seed, store)))
    return {key: (value, mcse * scale, others) for key, (value, mcse, others) in stats.items()}


@dataclass(frozen=True)
class Calibration:
    """One statistic over the seeds: ``sd_z`` and its error for ``±`` statistics, ``coverage`` for ranges."""

    scenario: str
    key: Key
    seeds: int
    sd_z: float
    sd_z_error: float
    coverage: float
    discrete: int
    """Seeds at which the statistic was shown as a range of values, not with ``±``."""

    @property
    def outside(self) -> bool:
        """SD(z) assessed and outside :data:`BAND`."""
        return math.isfinite(self.sd_z) and not BAND[0] <= self.sd_z <= BAND[1]

    @property
    def far(self) -> bool:
        """SD(z) outside :data:`BAND` by more than :data:`FAR` of its own errors."""
        reach = FAR * self.sd_z_error
        return math.isfinite(self.sd_z) and not BAND[0] - reach <= self.sd_z <= BAND[1] + reach

    @property
    def short(self) -> bool:
        """Ranges assessed, and another seed's value in them less than :data:`MIN_COVERAGE` of the time."""
        return self.coverage < MIN_COVERAGE  # False for NaN (no ranges assessed)

    @property
    def honest(self) -> bool:
        """Neither :attr:`outside` nor :attr:`short`."""
        return not (self.outside or self.short)


def _assess(scenario: str, key: Key, runs: list[Value]) -> Calibration:
    values = np.array([r[0] for r in runs])
    errors = np.array([r[1] for r in runs])
    seeds = values.size
    discrete = np.array([r[2] is not None for r in runs])
    shown = ~discrete & np.isfinite(errors) & (errors > 0) & np.isfinite(values)
    sd_z = sd_error = coverage = math.nan
    if shown.sum() >= max(MIN_SHOWN, seeds - shown.sum()) and np.ptp(values[np.isfinite(values)]) > 0:
        z = (values[shown] - values[np.isfinite(values)].mean()) / errors[shown] * math.sqrt(seeds / (seeds - 1))
        sd_z = float(np.sqrt(np.mean(z**2)))
        rng = np.random.default_rng(0)
        resampled = rng.choice(z, size=(BOOTSTRAP, z.size))
        bootstrap = float(np.std(np.sqrt(np.mean(resampled**2, axis=1))))
        sd_error = max(bootstrap, sd_z / math.sqrt(2 * (z.size - 1)))
    if discrete.sum() >= MIN_SHOWN:
        others = [r[2] for r, d in zip(runs, discrete, strict=True) if d]
        inside = [(lo <= v <= hi) for lo, hi in others for v in values]  # type: ignore[misc]
        coverage = float(np.mean(inside))
    return Calibration(scenario, key, seeds, sd_z, sd_error, coverage, int(discrete.sum()))


def calibrate(
    paths: list[str],
    *,
    draws: int,
    seeds: int,
    first_seed: int = 1,
    workers: int | None = None,
    error_scale: float = 1.0,
    store: Path | None = None,
) -> list[Calibration]:
    """Run each scenario at ``seeds`` seeds (``first_seed`` on) and assess every statistic's error.

    ``error_scale`` multiplies every error before the check (to show that the check can fail); ``store``
    is a directory where runs are kept and reused (see the module docstring).
    """
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
    tasks = [(path, draws, first_seed + i, error_scale, store) for path in paths for i in range(seeds)]
    results = list(in_order(_one_run, tasks, len(tasks), workers or cores()))
    out = []
    for index, path in enumerate(paths):
        runs = results[index * seeds : (index + 1) * seeds]
        name = load_scenario(path).name
        for key in sorted(set().union(*runs)):
            series = [run[key] for run in runs if key in run]
            if len(series) == seeds:
                out.append(_assess(name, key, series))
    return out


def _row(c: Calibration) -> dict[str, Any]:
    side, item, statistic, level = c.key
    return {
        "scenario": c.scenario,
        "side": side,
        "item": item,
        "statistic": statistic,
        "level": level,
        "seeds": c.seeds,
        "sd_z": c.sd_z,
        "sd_z_error": c.sd_z_error,
        "coverage": c.coverage,
        "shown_as_range": c.discrete,
        "honest": c.honest,
    }


def main(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files.")],
    draws: Annotated[int, typer.Option(help="Draws per run.")] = 200_000,
    seeds: Annotated[int, typer.Option(help="Seeds per scenario.")] = 100,
    first_seed: Annotated[int, typer.Option(help="The first seed; the others follow.")] = 1,
    workers: Annotated[int | None, typer.Option(help="Processes (default: the machine's cores).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write every row as JSON.")] = None,
    store: Annotated[
        Path | None, typer.Option(help="Keep each run's sums here and reuse them (same scenario and simulating code).")
    ] = None,
) -> None:
    """Print SD(z) per statistic (prior and posterior) and how many fall outside the band [0.8, 1.25]."""
    results = calibrate(
        [str(p) for p in scenarios], draws=draws, seeds=seeds, first_seed=first_seed, workers=workers, store=store
    )
    rows = [_row(c) for c in results]
    print(f"{draws:,} draws x {seeds} seeds; SD(z) ± its bootstrap error; range: share of other seeds inside")
    for c, r in zip(results, rows, strict=True):
        if math.isnan(r["sd_z"]) and math.isnan(r["coverage"]):
            continue
        sd = f"{r['sd_z']:.2f} ± {r['sd_z_error']:.2f}" if math.isfinite(r["sd_z"]) else "–"
        cov = f"{r['coverage']:.3f} ({r['shown_as_range']} seeds)" if math.isfinite(r["coverage"]) else ""
        outside = [f"outside by over {FAR} errors" if c.far else "outside"] if c.outside else []
        problems = [*outside, *([f"range below {MIN_COVERAGE:.0%}"] if c.short else [])]
        flag = f"  <-- {', '.join(problems)}" if problems else ""
        print(
            f"{r['scenario']:16} {r['side']:9} {r['item'][:40]:40} {r['statistic']:22} {r['level']:5} "
            f"{sd:12} {cov}{flag}"
        )
    assessed = [c for c in results if math.isfinite(c.sd_z)]
    if assessed:
        low, high = min(c.sd_z for c in assessed), max(c.sd_z for c in assessed)
        print(
            f"{len(assessed)} statistics with ±: SD(z) from {low:.2f} to {high:.2f}; "
            f"{sum(c.outside for c in results)} outside the band [{BAND[0]}, {BAND[1]}], {sum(c.far for c in results)} "
            f"of them by over {FAR} of their own errors; ranges holding another "
            f"seed's value less than {MIN_COVERAGE:.0%} of the time: {sum(c.short for c in results)}"
        )
    if json_out is not None:
        json_out.write_text(
            json.dumps(
                [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows],
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    typer.run(main)
