"""The one run pipeline: load, validate, simulate, summarise, write — for ``sim run`` and for people.

``sim run`` is :func:`run` followed by :meth:`Run.write`; a notebook calls the same two::

    import sim

    run = sim.run("configs/kursk.toml", draws=200_000, seed=1, condition="all", set={"forces.combat.size": 14000})
    run.summary.posterior.quantities  # the typed Summary
    run.draws["killed"]  # the reservoir of draws, one array per input and outcome
    run.figure("toll")  # a matplotlib Figure (matplotlib is imported here, not before)
    run.write("results/kursk/mine")  # the run folder sim run writes, byte for byte

The request's options are checked here, once, with the limits every command applies
(:func:`check_request`); a bad option raises :class:`RequestError` naming it.
This module is part of the numerical core: it never imports matplotlib, typer or rich
at module level (only :meth:`Run.figure` draws, importing :mod:`sim.plots` when called).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.config import Scenario, load_scenario, resolve_condition
from sim.engine import SimulationResult, simulate
from sim.keypaths import Value, with_settings
from sim.limits import MAX_CHUNK_SIZE, MAX_DRAWS, MAX_RESAMPLES, MAX_SEED, MAX_SOBOL_N, max_workers
from sim.results import RESERVOIR_KEPT, RunData, manifest, new_run_dir, write_run
from sim.summary import Summary, summarize

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_SEED", "MAX_WORKERS", "RequestError", "Run", "check_request", "resolve", "run"]

MAX_WORKERS = max_workers()
"""The most worker processes: :data:`sim.limits.WORKERS_PER_CORE` per core of this machine (at least 8)."""

LIMITS: dict[str, int] = {
    "draws": MAX_DRAWS,
    "workers": MAX_WORKERS,
    "chunk_size": MAX_CHUNK_SIZE,
    "resamples": MAX_RESAMPLES,
    "n": MAX_SOBOL_N,
}
"""The upper limit of each whole-number option (from :mod:`sim.limits`); every one of them is at least 1."""


class RequestError(ValueError):
    """A run option out of its limits or naming what does not exist.

    ``option`` is the option's name (``draws``, ``condition``…); ``detail`` follows it in the
    message, so the command line can print ``--draws must be at least 1, got 0`` and the
    API ``draws must be at least 1, got 0`` from the same error.
    """

    def __init__(self, option: str, detail: str) -> None:
        super().__init__(f"{option}{detail}")
        self.option, self.detail = option, detail


def check_request(
    *,
    draws: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    resamples: int | None = None,
    n: int | None = None,
) -> None:
    """Check the options every command shares against their one set of limits (:mod:`sim.limits`).

    Raises
    ------
    RequestError
        A whole-number option below 1 or above its :data:`LIMITS`, or a seed outside 0..:data:`MAX_SEED`.
    """
    whole = (("draws", draws), ("workers", workers), ("chunk_size", chunk_size), ("resamples", resamples), ("n", n))
    for option, value in whole:
        if value is None:
            continue
        if value < 1:
            raise RequestError(option, f" must be at least 1, got {value}")
        if value > LIMITS[option]:
            raise RequestError(option, f" must be at most {LIMITS[option]:,}, got {value:,}")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise RequestError("seed", f" must be in 0..2**128 - 1, got {seed}")


def resolve(scenario: Scenario, condition: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The claim ids ``condition`` names (``"all"``, ``"none"``, ``"a,b"`` or a list), or None for the scenario's.

    Raises
    ------
    RequestError
        An id that is not one of the scenario's claims (with the nearest one).
    """
    if condition is None:
        return None
    try:
        names = condition if isinstance(condition, str) else list(condition)
        return resolve_condition(names, [claim.id for claim in scenario.claims])
    except ValueError as error:
        raise RequestError("condition", f": {error}") from None


@dataclass(frozen=True)
class Run:
    """A simulated and summarised scenario, not yet written (or written by :meth:`write`).

    Attributes
    ----------
    scenario : Scenario
        The validated scenario that ran.
    result : SimulationResult
        The engine's merged tallies and reservoir.
    summary : Summary
        The typed summary: what ``summary.json`` holds.
    started : datetime
        When the run started (UTC), recorded in the manifest and the run folder's name.
    """

    scenario: Scenario
    result: SimulationResult
    summary: Summary
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def draws(self) -> dict[str, np.ndarray]:
        """The reservoir: the first draws (unweighted, as drawn), one array per input and outcome."""
        return self.result.reservoir

    def manifest(self, *, command: Sequence[str] = ("sim.run",)) -> dict[str, Any]:
        """What ``manifest.json`` holds: everything needed to reproduce and cite the run."""
        return manifest(self.result, command=list(command), started=self.started)

    def figure_names(self) -> list[str]:
        """The figures that apply to this run, in report order (see :func:`sim.figures.figure_names`)."""
        from sim.figures import figure_names

        return figure_names(self._data())

    def figure(self, name: str) -> Figure:
        """Draw figure ``name`` (``toll``, ``exceedance``, ``ratios``, ``forces``, ``priors``, ``over_time``).

        matplotlib is imported on the first call; the figure is the one :meth:`write` puts in
        ``figures/`` (drawn by :func:`sim.plots.draw_figure` from the summary and the scenario).

        Raises
        ------
        ValueError
            ``name`` is not a figure of this run (the message lists those that are).
        """
        names = self.figure_names()
        if name not in names:
            raise ValueError(f"no figure {name!r} for this run; figures: {', '.join(names)}")
        from sim.plots import draw_figure

        return draw_figure(self._data(), name)

    def write(
        self,
        folder: str | Path | None = None,
        *,
        results: str | Path = "results",
        force: bool = False,
        save_samples: bool = False,
        full_reservoir: bool = False,
        figures: bool = True,
        report: bool = False,
        command: Sequence[str] = ("sim.run",),
    ) -> Path:
        """Write the run folder (what ``sim run`` writes) atomically and return its path.

        Parameters
        ----------
        folder : str or Path, optional
            The run folder (default: ``<results>/<scenario>/<UTC time>-<suffix>``, never taken).
        results : str or Path
            The root of run folders when ``folder`` is not given.
        force : bool
            Replace ``folder`` if it exists and is a run folder sim made.
        save_samples : bool
            Also write ``samples.csv`` (the reservoir kept, one row per draw).
        full_reservoir : bool
            Keep every draw of the engine's reservoir, not the first
            :data:`sim.results.RESERVOIR_KEPT`, in ``reservoir.npz`` and ``samples.csv``.
        figures, report : bool
            Draw the figures into ``figures/``; write ``report.md`` and ``report.html``.
        command : sequence of str
            The command recorded in ``manifest.json``.

        Raises
        ------
        sim.results.ResultsError
            The folder exists and may not be replaced, or cannot be written.
        """
        from sim.report import render_run  # wording and figures only when a run is written

        unique = folder is None
        target = Path(folder) if folder is not None else new_run_dir(Path(results), self.scenario.name, self.started)
        decorate = partial(render_run, figures=figures, report=report) if figures or report else None
        return write_run(
            target,
            summary=self.summary,
            result=self.result,
            manifest_data=self.manifest(command=command),
            save_samples=save_samples,
            reservoir_kept=None if full_reservoir else RESERVOIR_KEPT,
            force=force,
            unique=unique,
            decorate=decorate,
        )

    def _data(self) -> RunData:
        return RunData(
            path=Path(self.scenario.name),
            summary=self.summary,
            reservoir=self.result.reservoir,
            manifest=self.manifest(),
            scenario=self.scenario,
        )

    def _repr_html_(self) -> str:
        """A small table for Jupyter: the toll's median and 95% interval, prior and posterior, and each claim."""
        summary = self.summary
        rows = []
        for label, side in (("prior", summary.prior), ("posterior", summary.posterior)):
            if side is None:
                continue
            killed = side.quantity("killed")
            interval = next((i for i in killed.eti if abs(i.level - 0.95) < 1e-9), killed.eti[-1])
            rows.append(
                f"<tr><td>{label}</td><td>{killed.median.value:,.0f}</td>"
                f"<td>{interval.low:,.0f}–{interval.high:,.0f} ({interval.level:.0%})</td></tr>"
            )
        return (
            f"<div><strong>{html.escape(summary.title)}</strong> — {self.result.plan.draws:,} draws, "
            f"seed {self.result.plan.seed}"
            "<table><tr><th></th><th>median killed</th><th>credible interval</th></tr>"
            f"{''.join(rows)}</table></div>"
        )


def run(
    config: str | Path | Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    condition: str | Sequence[str] | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    set: Mapping[str, Value | Sequence[float]] | None = None,
) -> Run:
    """Load, validate, simulate and summarise a scenario: the library call behind ``sim run``.

    Parameters
    ----------
    config : str, Path or Scenario
        A scenario TOML file, or a scenario already loaded.
    draws, seed, chunk_size : int, optional
        Override the scenario's ``[simulation]`` settings (same seed, same numbers).
    condition : str or sequence of str, optional
        ``"all"``, ``"none"``, claim ids separated by commas, or a list of ids (default: the
        scenario's ``[inference] condition_on``).
    workers : int, optional
        Worker processes (default: all cores). Results do not depend on it.
    executor, scheduler : str
        ``"processes"`` or ``"dask"`` and the Dask scheduler's address (see :func:`sim.engine.simulate`).
    progress : callable, optional
        Called with the draws of each finished chunk.
    set : mapping, optional
        Key-path edits applied in order before the run, as ``--set PATH=VALUE``:
        ``{"forces.combat.size": 14000, "forces.combat.fatality_rate.ci90": [0.05, 0.2]}``;
        a whole prior set to a number is pinned there (see :mod:`sim.keypaths`). The run
        folder's ``scenario.toml`` is then the edited scenario.

    Returns
    -------
    Run

    Raises
    ------
    sim.config.ConfigError
        The scenario file is missing or invalid (every problem named by key path), a ``set``
        path names nothing settable (with the nearest ones), or the edited scenario is invalid.
    RequestError
        An option out of its limits, or a claim id that does not exist.
    sim.inference.ConditioningError
        Every draw has zero weight under the conditioned claims.
    sim.engine.ExecutorError
        A worker died, or the Dask executor cannot run.
    """
    started = datetime.now(UTC)
    scenario = config if isinstance(config, Scenario) else load_scenario(config)
    if set:
        edits = tuple((path, tuple(value) if isinstance(value, Sequence) else value) for path, value in set.items())
        scenario = with_settings(scenario, edits)
    check_request(draws=draws, seed=seed, workers=workers, chunk_size=chunk_size)
    condition_on = resolve(scenario, condition)
    result = simulate(
        scenario,
        draws=draws,
        seed=seed,
        chunk_size=chunk_size,
        condition_on=condition_on,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
    )
    return Run(scenario=scenario, result=result, summary=summarize(result), started=started)
