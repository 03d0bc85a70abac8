"""Sensitivity points: the scenario with the run-wide edits, each point simulated, serially or in workers.

A point is the scenario with some key paths set (:mod:`sim.keypaths`); it runs the full simulation
with ``workers=1`` and the points, not the chunks, are spread over the worker processes
(:func:`sim.processes.worker_pool`), so the result does not depend on how many there are.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace

from sim.config import ConfigError, Problem, Scenario
from sim.defaults import ANALYSIS_DRAWS
from sim.engine import simulate
from sim.inference import ConditioningError
from sim.keypaths import Settings, Value, describe, with_settings
from sim.model import quantities_of
from sim.processes import worker_pool
from sim.suggest import unknown_name
from sim.summary import Summary, name_list, summarize

__all__ = [
    "DEFAULT_DRAWS",
    "PointResult",
    "Progress",
    "SensitivityError",
    "check_output",
    "output_names",
    "point_statistics",
    "point_warnings",
    "quantity_label",
    "run_points",
    "run_scenario",
]


DEFAULT_DRAWS = ANALYSIS_DRAWS
"""Draws per sweep point or tornado pin unless told otherwise."""


Progress = Callable[[str, int, int], None]
"""Called as ``progress(what, done, total)`` while work completes."""


class SensitivityError(ValueError):
    """A sensitivity request that cannot run: bad syntax, an unknown output, an oversized grid."""


def run_scenario(scenario: Scenario, draws: int | None, seed: int | None, settings: Settings) -> Scenario:
    """The scenario with the run-wide edits (draws, seed, ``--set``) applied: every point's base."""
    edits: list[tuple[str, Value]] = []
    if draws is not None:
        edits.append(("simulation.draws", draws))
    if seed is not None:
        edits.append(("simulation.seed", seed))
    edits.extend(settings)
    return with_settings(scenario, tuple(edits))


@dataclass(frozen=True)
class PointResult:
    """One simulated point: its settings, its summary (without the pmf arrays), any warning."""

    settings: Settings
    summary: Summary
    warning: str | None = None


def point_warnings(points: Iterable[PointResult]) -> tuple[str, ...]:
    """Each distinct warning of the points once, naming the points it came from and how many.

    ``at forces.a.size=10 the claims cannot be conditioned on: ...``, or for several points
    ``at 12 points (forces.a.size=10, ... and 6 more) the claims ...``.
    """
    where: dict[str, list[str]] = {}
    for point in points:
        if point.warning:
            where.setdefault(point.warning, []).append(describe(point.settings) or "the baseline")
    return tuple(
        f"at {names[0]} {warning}" if len(names) == 1 else f"at {len(names):,} points ({name_list(names)}) {warning}"
        for warning, names in where.items()
    )


def _level(level: float) -> str:
    return f"{100 * level:g}"


def point_statistics(summary: Summary) -> dict[str, float | None]:
    """A flat row of a summary: ``<side>:<quantity>:<statistic>`` and ``<side>:claim:<id>:<statistic>``."""
    row: dict[str, float | None] = {}
    sides = [("prior", summary.prior), ("posterior", summary.posterior)]
    for name, side in sides:
        if side is None:
            continue
        if name == "posterior":
            row["posterior:ess"] = side.ess
        for d in side.quantities:
            row[f"{name}:{d.name}:mean"] = d.mean.value
            row[f"{name}:{d.name}:median"] = d.median.value
            for interval in d.eti:
                row[f"{name}:{d.name}:eti{_level(interval.level)}_low"] = interval.low
                row[f"{name}:{d.name}:eti{_level(interval.level)}_high"] = interval.high
        for c in side.claims:
            row[f"{name}:claim:{c.id}:probability"] = c.probability.value
            row[f"{name}:claim:{c.id}:percentile"] = c.percentile.value
    return {k: v if v is None or math.isfinite(v) else None for k, v in row.items()}


@dataclass(frozen=True)
class _Failed:
    """A point whose scenario the loader refused (ConfigError does not survive pickling)."""

    file: str
    problems: tuple[Problem, ...]


def _run_point(base: Scenario, condition_on: tuple[str, ...] | None, settings: Settings) -> PointResult | _Failed:
    try:
        scenario = with_settings(base, settings)
    except ConfigError as error:
        return _Failed(error.file, tuple(error.problems))
    warning = None
    try:
        summary = summarize(simulate(scenario, condition_on=condition_on, workers=1))
    except ConditioningError as error:
        warning = f"the claims cannot be conditioned on: {error}"
        summary = summarize(simulate(scenario, condition_on=(), workers=1))
    return PointResult(settings=settings, summary=replace(summary, distributions={}), warning=warning)


_WORKER_BASE: tuple[Scenario, tuple[str, ...] | None] | None = None


def _init_worker(base: Scenario, condition_on: tuple[str, ...] | None) -> None:
    global _WORKER_BASE
    _WORKER_BASE = (base, condition_on)


def _run_in_worker(settings: Settings) -> PointResult | _Failed:
    return _run_point(*_WORKER_BASE, settings)  # type: ignore[misc]


def _checked(outcome: PointResult | _Failed) -> PointResult:
    if isinstance(outcome, _Failed):
        raise ConfigError(outcome.file, list(outcome.problems))
    return outcome


def run_points(
    base: Scenario,
    condition_on: tuple[str, ...] | None,
    points: Iterable[Settings],
    total: int,
    *,
    workers: int,
    progress: Progress | None,
) -> list[PointResult]:
    """Simulate every point; the list is in the order of ``points`` whatever ``workers`` is.

    Each point runs ``simulate(..., workers=1)``: the points, not the chunks, are spread over
    the worker processes. At most ``2·workers`` points are in flight at once.
    """
    report = progress or (lambda _what, _done, _total: None)
    if workers <= 1 or total <= 1:
        out = []
        for index, settings in enumerate(points):
            out.append(_checked(_run_point(base, condition_on, settings)))
            report("points", index + 1, total)
        return out
    results: dict[int, PointResult] = {}
    pending: dict[Future[PointResult | _Failed], int] = {}
    iterator: Iterator[Settings] = iter(points)
    submitted = 0
    with worker_pool(min(workers, total), _init_worker, (base, condition_on)) as pool:
        while True:
            for settings in itertools.islice(iterator, max(2 * workers - len(pending), 0)):
                pending[pool.submit(_run_in_worker, settings)] = submitted
                submitted += 1
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                results[pending.pop(future)] = _checked(future.result())
                report("points", len(results), total)
    return [results[index] for index in range(submitted)]


def output_names(scenario: Scenario) -> tuple[str, ...]:
    """What ``--output`` may name: each summarised quantity, and ``claim:<id>`` for each claim."""
    return tuple(q.name for q in quantities_of(scenario)) + tuple(
        f"claim:{c.id}" for c in scenario.claims if not c.is_ratio
    )


def quantity_label(scenario: Scenario, name: str) -> str:
    """A short label: ``killed, all forces``, ``casualties, combat``."""
    quantity = next(q for q in quantities_of(scenario) if q.name == name)
    metric = quantity.metric if quantity.date is None else f"{quantity.metric} by {quantity.date.isoformat()}"
    if len(quantity.scope) == len(scenario.forces):
        return f"{metric}, all forces" if len(scenario.forces) > 1 else metric
    return f"{metric}, {' + '.join(quantity.scope)}"


def check_output(scenario: Scenario, output: str, *, quantities_only: bool = False) -> None:
    names = output_names(scenario)
    if quantities_only:
        names = tuple(n for n in names if not n.startswith("claim:"))
    if output not in names:
        raise SensitivityError(unknown_name("output", output, names, "outputs"))
