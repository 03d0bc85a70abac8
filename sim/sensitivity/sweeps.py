"""Parameter sweeps: the scenario simulated at every point of a grid of key-path values."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from sim.config import Scenario
from sim.defaults import GRID_LIMIT
from sim.keypaths import Settings, document_of, parameter_paths, with_settings
from sim.limits import MAX_GRID_POINTS
from sim.processes import cores
from sim.sensitivity.axes import Axis
from sim.sensitivity.points import DEFAULT_DRAWS, Progress, SensitivityError, check_output, run_points, run_scenario
from sim.sensitivity.results import Provenance, SweepResult

__all__ = ["sweep"]


def sweep(
    scenario: Scenario,
    axes: Sequence[Axis],
    *,
    settings: Settings = (),
    draws: int | None = DEFAULT_DRAWS,
    seed: int | None = None,
    condition_on: tuple[str, ...] | None = None,
    output: str = "killed",
    workers: int | None = None,
    yes: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Simulate the scenario at every point of the grid spanned by ``axes``.

    Every point runs the full simulation with the same seed (common random numbers), and
    independent points run in parallel worker processes; the result is identical for any
    number of workers.

    Parameters
    ----------
    scenario : Scenario
        A scenario loaded from TOML (its text is edited by key path).
    axes : sequence of Axis
        The swept parameters; the grid is their cartesian product, last axis fastest.
    settings : tuple of (path, value)
        Edits applied at every point before the axes (``--set``).
    draws, seed : int, optional
        Draws per point and seed (``None``: the scenario's own); ``simulation.draws`` as an
        axis overrides ``draws``.
    condition_on : tuple of str, optional
        Claims to condition on (default: the scenario's ``[inference]``).
    output : str
        The quantity the figure draws with its credible bands.
    workers : int, optional
        Worker processes (default: all cores).
    yes : bool
        Run a grid of more than :data:`GRID_LIMIT` points.
    progress : callable, optional
        ``progress("points", done, total)``.

    Raises
    ------
    ConfigError
        An unknown path (naming the nearest ones) or a value the loader refuses (naming the point).
    SensitivityError
        No axes, a path swept twice, an unknown output, or an oversized grid without ``yes``.
    """
    if not axes:
        raise SensitivityError("give at least one --param with its --values or --range")
    paths = [axis.path for axis in axes]
    if len(set(paths)) != len(paths):
        raise SensitivityError(f"each parameter may be swept once; got {', '.join(paths)}")
    size = math.prod(len(axis.values) for axis in axes)
    if size > MAX_GRID_POINTS:
        raise SensitivityError(
            f"the grid has {size:,} points, over the hard limit of {MAX_GRID_POINTS:,} (even with --yes)"
        )
    if size > GRID_LIMIT and not yes:
        shape = " × ".join(f"{len(axis.values):,}" for axis in axes)
        raise SensitivityError(
            f"the grid has {size:,} points ({shape}), over the limit of {GRID_LIMIT:,}; pass --yes to run it anyway"
        )
    check_output(scenario, output, quantities_only=True)
    reference = run_scenario(scenario, draws, seed, settings)
    kinds = parameter_paths(document_of(reference))
    for axis in axes:
        for value in axis.values:
            with_settings(reference, ((axis.path, value),))
    grid = (tuple(zip(paths, combination, strict=True)) for combination in itertools.product(*(a.values for a in axes)))
    points = run_points(
        reference,
        condition_on,
        grid,
        size,
        workers=cores() if workers is None else workers,
        progress=progress,
    )
    condition = reference.condition_on if condition_on is None else condition_on
    detail = f"{reference.simulation.draws:,} draws per point, {size:,} points"
    return SweepResult(
        provenance=Provenance.of(scenario, seed=reference.simulation.seed, detail=detail, condition_on=condition),
        axes=tuple(axes),
        points=tuple(points),
        output=output,
        axis_labels=tuple(f"{p} (prior pinned to this value)" if kinds.get(p) == "prior" else p for p in paths),
    )
