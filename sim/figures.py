"""A run's figure files: which figures apply, drawn in parallel into ``<run>/figures/``.

matplotlib is imported only where figures are drawn: in forked worker processes (which
import it side by side, each drawing a share of the figures), or in this process when
drawing serially. The process that writes a run therefore never waits for matplotlib to
import before the workers start, and :mod:`sim.report` stays free of it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

from sim.processes import cores, remove_if_interrupted, signals_deferred, worker_pool
from sim.report import figure_caption
from sim.results import RunData
from sim.text import FIGURE_TITLES

__all__ = ["figure_names", "write_figures"]

COST = {"glance": 1.0, "priors": 3.0, "ratios": 2.0, "toll": 2.0, "exceedance": 2.0, "over_time": 1.5, "forces": 1.5}
"""Relative drawing time of each figure: the slowest go to the workers first."""

_RUN: RunData | None = None
"""The run a worker draws from (inherited through fork, never pickled)."""


def figure_names(run: RunData) -> list[str]:
    """The figures that apply to a run, in report order.

    The at-a-glance figure applies when the scenario has claims; the toll and exceedance
    figures always; the ratios figure when a claim has a positive figure; the forces figure
    with several forces or with casualties; the priors figure when an input is uncertain; the
    over-time figure when a force has dated phases.
    """
    summary, scenario = run.summary, run.scenario
    applies = {
        "glance": bool(summary.prior.claims),
        "toll": True,
        "exceedance": True,
        "ratios": any(c.value > 0 for c in summary.prior.claims),
        "forces": len(scenario.forces) > 1 or scenario.has_casualties,
        "priors": any(not spec.is_fixed for spec in scenario.priors()),
        "over_time": any(force.phases for force in scenario.forces),
    }
    return [name for name in FIGURE_TITLES if applies[name]]


def _adopt(run: RunData) -> None:
    global _RUN
    _RUN = run


def _draw(name: str, staging: Path) -> list[Path]:
    """Draw figure ``name`` of the adopted run and save its PNG and compressed SVG (``.svgz``) into ``staging``."""
    from sim.plots import draw_figure
    from sim.style import provenance_metadata, save_figure

    assert _RUN is not None
    run = _RUN
    title = f"{FIGURE_TITLES[name]} — {run.summary.title}"
    metadata = provenance_metadata(run.manifest, title=title, description=figure_caption(name, run))
    return save_figure(draw_figure(run, name), staging / name, metadata=metadata, compressed=True)


def write_figures(run: RunData, *, directory: Path | None = None, workers: int | None = None) -> list[Path]:
    """Draw every applicable figure of a run and save it as PNG and SVG (gzip-compressed, ``.svgz``); return the files.

    Files go to ``directory`` (default ``<run>/figures``) through a temporary folder and
    ``os.replace``, so a reader never sees a half-written figure. Each PNG carries the
    manifest's provenance (seed, draws, config sha256, versions, git commit) in its metadata.

    Parameters
    ----------
    run : RunData
        The run, as read by :func:`sim.results.load_run`.
    directory : Path, optional
        Where to write (default ``<run>/figures``).
    workers : int, optional
        Processes to draw in (default: one per core, at most one per figure). Parallel
        drawing forks, so it needs a platform that can; with 1, or without fork, the figures
        are drawn in this process.

    Returns
    -------
    list of Path
    """
    target = Path(directory) if directory is not None else run.path / "figures"
    target.mkdir(parents=True, exist_ok=True)
    names = sorted(figure_names(run), key=lambda name: -COST[name])
    workers = min(len(names), cores()) if workers is None else workers
    with signals_deferred():  # an interruption that ends sim removes the temporary folder
        staging = Path(tempfile.mkdtemp(prefix=".figures.", dir=target))
        remove_if_interrupted(staging)
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with worker_pool(workers, _adopt, (run,)) as pool:
                saved = [path for paths in pool.map(_draw, names, [staging] * len(names)) for path in paths]
        else:
            _adopt(run)
            saved = [path for name in names for path in _draw(name, staging)]
        written = []
        for path in saved:
            os.replace(path, target / path.name)
            written.append(target / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        remove_if_interrupted(staging, remove=False)
    return written
