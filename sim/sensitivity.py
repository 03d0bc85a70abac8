"""Sensitivity analysis: parameter sweeps, tornado charts and Sobol' indices.

Key paths
---------
A *key path* names a number in the scenario's TOML document, spelt as the loader's error
messages spell it:

- ``forces.combat.size.high``: one parameter of a prior;
- ``forces.combat.fatality_rate.ci90``: a list-valued parameter, whose values are written with
  ``;`` between the elements (``0.02;0.1`` is ``ci90 = [0.02, 0.1]``);
- ``forces.combat.fatality_rate``: a whole prior, pinned to a fixed value. The prior table
  becomes ``{ dist = "fixed", value = v }`` and keeps its ``units``, ``source``, ``url`` and ``note``;
- ``simulation.draws``, ``simulation.seed``, ``simulation.chunk_size``;
- ``claims.<id>.value``: arrays of tables are addressed by their ``id``.

Every edited document goes back through the loader (:func:`sim.config.scenario_from_dict`), so
a value outside its domain is refused with the loader's own message, and the point is named.

Common random numbers
---------------------
Every point of a sweep and every pin of a tornado runs the full simulation with the same
seed. Each input draws from its own stream (:func:`sim.engine.chunk_streams`), so pinning or
changing one prior leaves every other input's draws unchanged. Differences between points
therefore come from the parameter, not from Monte Carlo noise.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy
from scipy import stats

from sim import __version__
from sim.config import ConfigError, Problem, Scenario
from sim.defaults import ANALYSIS_DRAWS, GRID_LIMIT, SOBOL_N
from sim.engine import claim_quantity, default_workers, simulate
from sim.inference import ConditioningError
from sim.keypaths import Settings, Value, edit_document, parameter_paths
from sim.keypaths import describe as _describe
from sim.keypaths import document_of as _document
from sim.keypaths import format_value as _format_value
from sim.keypaths import scenario_at as _scenario_at
from sim.limits import MAX_GRID_POINTS
from sim.model import binomial_streams, evaluate, quantities_of
from sim.processes import worker_pool
from sim.results import git_commit
from sim.storage import write_folder
from sim.suggest import did_you_mean
from sim.summary import Summary, name_list, summarize

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SOBOL_N",
    "GRID_LIMIT",
    "Axis",
    "PointResult",
    "Progress",
    "Provenance",
    "SensitivityError",
    "SobolIndices",
    "SobolOutput",
    "SobolResult",
    "SweepResult",
    "TornadoBar",
    "TornadoResult",
    "edit_document",
    "manifest",
    "output_folder",
    "output_names",
    "parameter_paths",
    "parse_axis",
    "parse_setting",
    "point_statistics",
    "point_warnings",
    "sobol",
    "sobol_indices",
    "sweep",
    "tornado",
    "write_atomically",
]

DEFAULT_DRAWS = ANALYSIS_DRAWS
"""Draws per sweep point or tornado pin unless told otherwise."""
DEFAULT_SOBOL_N = SOBOL_N
BOOTSTRAP_BATCH = 100
EVALUATION_CHUNK = 2**14
UNIFORM_EPS = 1e-15
LOG_FLOOR = 1e-300

Progress = Callable[[str, int, int], None]
"""Called as ``progress(what, done, total)`` while work completes."""


class SensitivityError(ValueError):
    """A sensitivity request that cannot run: bad syntax, an unknown output, an oversized grid."""


# ---------------------------------------------------------------------------------------------
# Key paths (sim.keypaths) with the run-wide edits
# ---------------------------------------------------------------------------------------------


def _base(
    scenario: Scenario, draws: int | None, seed: int | None, settings: Settings
) -> tuple[dict[str, Any], Scenario]:
    """The document with the run-wide edits (draws, seed, ``--set``) applied, and its scenario."""
    edits: list[tuple[str, Value]] = []
    if draws is not None:
        edits.append(("simulation.draws", draws))
    if seed is not None:
        edits.append(("simulation.seed", seed))
    edits.extend(settings)
    document = _document(scenario)
    reference = _scenario_at(document, scenario.file, tuple(edits))
    return edit_document(document, tuple(edits), file=scenario.file), reference


# ---------------------------------------------------------------------------------------------
# Values, ranges and axes from the command line
# ---------------------------------------------------------------------------------------------


def _number(text: str, context: str) -> int | float:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise SensitivityError(f"{context}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SensitivityError(f"{context}: {text!r} is not a finite number")
    return value


def _value(text: str, context: str) -> Value:
    parts = text.split(";")
    if len(parts) == 1:
        return _number(parts[0], context)
    return tuple(_number(part, context) for part in parts)


def _tidy(value: float) -> float:
    """Drop linspace's last-digit noise (0.15000000000000002 -> 0.15)."""
    return float(f"{value:.12g}")


def _parse_range(text: str, *, log: bool) -> tuple[Value, ...]:
    context = f"--range {text!r}"
    fields = text.split(":")
    if len(fields) != 3:
        raise SensitivityError(f"{context}: write LOW:HIGH:STEPS, e.g. 0.02:0.3:8 (lists: 0.02;0.1:0.05;0.3:5)")
    low, high = (_value(f, context) for f in fields[:2])
    steps = _number(fields[2], context)
    if not isinstance(steps, int) or steps < 2:
        raise SensitivityError(f"{context}: STEPS must be a whole number >= 2, got {fields[2]!r}")
    if steps > MAX_GRID_POINTS:  # before the grid is built
        raise SensitivityError(f"{context}: STEPS must be at most {MAX_GRID_POINTS:,}, got {steps:,}")
    lows, highs = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (low, high))
    if lows.shape != highs.shape:
        raise SensitivityError(f"{context}: LOW and HIGH must have as many elements ({lows.size} vs {highs.size})")
    if log and (np.any(lows <= 0) or np.any(highs <= 0)):
        raise SensitivityError(f"{context}: --log needs LOW and HIGH > 0")
    grid = (np.geomspace if log else np.linspace)(lows, highs, steps)
    whole = all(isinstance(v, int) for v in (*np.atleast_1d(low).tolist(), *np.atleast_1d(high).tolist()))
    values: list[Value] = []
    for row in grid:
        numbers = tuple(round(float(v)) if whole else _tidy(v) for v in row)
        values.append(numbers if isinstance(low, tuple) else numbers[0])
    return tuple(values)


def parse_axis(path: str, spec: str, *, log: bool = False) -> Axis:
    """One sweep axis from ``--param PATH`` and its ``--values`` or ``--range`` text.

    Parameters
    ----------
    path : str
        The key path.
    spec : str
        ``a,b,c`` (values; a list-valued parameter's elements are separated by ``;``, as in
        ``0.02;0.1,0.05;0.2``) or ``LOW:HIGH:STEPS`` (evenly spaced, both ends included).
    log : bool
        Space a range geometrically (``LOW``, ``HIGH`` > 0).

    Raises
    ------
    SensitivityError
        Malformed numbers, a bad range, or no values.
    """
    if ":" in spec:
        values = _parse_range(spec, log=log)
    else:
        entries = [entry for entry in spec.split(",")]
        if not spec.strip() or any(not entry.strip() for entry in entries):
            raise SensitivityError(f"--values {spec!r}: give numbers separated by commas, e.g. 0.05,0.1,0.2")
        values = tuple(_value(entry, f"--values {spec!r}") for entry in entries)
    return Axis(path=path, values=values, log=log)


def parse_setting(text: str) -> tuple[str, Value]:
    """``PATH=VALUE`` (``--set``) as ``(path, value)``; a list value is written ``lo;hi``."""
    path, separator, value = text.partition("=")
    if not separator or not path.strip():
        raise SensitivityError(f"--set {text!r}: write PATH=VALUE, e.g. forces.combat.fatality_rate=0.1")
    return path.strip(), _value(value, f"--set {text!r}")


# ---------------------------------------------------------------------------------------------
# Results and their provenance
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """Where an analysis came from: the scenario, its hash, the seed and the sample sizes."""

    scenario: str
    title: str
    file: str
    sha256: str
    seed: int
    detail: str
    condition_on: tuple[str, ...] = ()
    version: str = __version__

    def footer(self) -> str:
        """One line for under a figure."""
        return (
            f"sim {self.version} · {self.scenario} ({Path(self.file).name}, sha256 {self.sha256[:12]}) · "
            f"seed {self.seed} · {self.detail}"
        )


def _provenance(scenario: Scenario, *, seed: int, detail: str, condition_on: tuple[str, ...] = ()) -> Provenance:
    """The provenance of an analysis of ``scenario`` (the file as loaded, not an edited copy)."""
    return Provenance(
        scenario=scenario.name,
        title=scenario.title,
        file=scenario.file,
        sha256=scenario.sha256,
        seed=seed,
        detail=detail,
        condition_on=condition_on,
    )


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its key path and values (``log``: a geometrically spaced range)."""

    path: str
    values: tuple[Value, ...]
    log: bool = False


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
            where.setdefault(point.warning, []).append(_describe(point.settings) or "the baseline")
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


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    fields = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _plain(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class SweepResult:
    """A sweep: one :class:`PointResult` per point of the grid, in grid order (last axis fastest)."""

    provenance: Provenance
    axes: tuple[Axis, ...]
    points: tuple[PointResult, ...]
    output: str = "killed"
    """The quantity the figure draws with its bands."""
    axis_labels: tuple[str, ...] = ()
    """Each axis's path, saying when a whole prior is pinned to the value."""

    @property
    def warnings(self) -> tuple[str, ...]:
        return point_warnings(self.points)

    def rows(self) -> list[dict[str, Any]]:
        """One row per point: the axes' values (lists as ``lo;hi``), then :func:`point_statistics`."""
        rows = []
        for point in self.points:
            values = dict(point.settings)
            row: dict[str, Any] = {a.path: _format_value(values[a.path]) for a in self.axes}
            rows.append({**row, **point_statistics(point.summary)})
        return rows

    def to_csv(self) -> str:
        return _csv(self.rows())

    def to_json(self) -> str:
        return _json(
            {
                "kind": "sweep",
                "provenance": asdict(self.provenance),
                "axes": [{"path": a.path, "values": [_jsonable(v) for v in a.values], "log": a.log} for a in self.axes],
                "output": self.output,
                "warnings": list(self.warnings),
                "points": self.rows(),
            }
        )

    def files(self) -> dict[str, bytes]:
        return {"sweep.csv": self.to_csv().encode(), "sweep.json": self.to_json().encode()}


def _jsonable(value: Value) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class TornadoBar:
    """One uncertain input pinned at its prior's low and high quantiles, and the output at each."""

    path: str
    low_input: float
    high_input: float
    low_output: float
    high_output: float

    @property
    def swing(self) -> float:
        """``|output(high) − output(low)|``; NaN when a pin could not be conditioned."""
        return abs(self.high_output - self.low_output)


@dataclass(frozen=True)
class TornadoResult:
    """A tornado: ``bars`` sorted by decreasing swing around ``baseline`` (nothing pinned)."""

    provenance: Provenance
    output: str
    output_label: str
    side: str
    statistic: str
    low: float
    high: float
    baseline: float
    bars: tuple[TornadoBar, ...]
    scale: str = "linear"
    """``log`` for a claim's probability spanning more than two decades: bars are then sorted by
    their swing in ``log10`` (a probability of 0 counted as 1e-300)."""
    warnings: tuple[str, ...] = ()

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "input": bar.path,
                "low_quantile": self.low,
                "high_quantile": self.high,
                "low_input": bar.low_input,
                "high_input": bar.high_input,
                "output": self.output,
                "side": self.side,
                "statistic": self.statistic,
                "baseline": self.baseline,
                "low_output": _plain(bar.low_output),
                "high_output": _plain(bar.high_output),
                "swing": _plain(bar.swing),
            }
            for bar in self.bars
        ]

    def to_csv(self) -> str:
        return _csv(self.rows())

    def to_json(self) -> str:
        return _json(
            {
                "kind": "tornado",
                "provenance": asdict(self.provenance),
                "output": self.output,
                "output_label": self.output_label,
                "scale": self.scale,
                "warnings": list(self.warnings),
                "bars": self.rows(),
            }
        )

    def files(self) -> dict[str, bytes]:
        return {"tornado.csv": self.to_csv().encode(), "tornado.json": self.to_json().encode()}


# ---------------------------------------------------------------------------------------------
# Writing: results/<scenario>/sensitivity/<kind>[-<param>]/, atomically
# ---------------------------------------------------------------------------------------------


def output_folder(results: Path, scenario: str, kind: str, suffix: str | None = None) -> Path:
    """``results/<scenario>/sensitivity/<kind>[-<suffix>]`` (characters unsafe in a file name become ``_``)."""
    name = kind if not suffix else f"{kind}-{re.sub(r'[^A-Za-z0-9_.+-]+', '_', suffix).strip('_')}"
    return Path(results) / scenario / "sensitivity" / name


def manifest(
    provenance: Provenance, *, command: list[str], started: datetime, elapsed: float, **extra: Any
) -> dict[str, Any]:
    """Everything needed to reproduce and cite an analysis (as ``manifest.json``)."""
    return {
        **asdict(provenance),
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "git_commit": git_commit(),
        "command": command,
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(elapsed, 3),
        **extra,
    }


def write_atomically(
    folder: Path, files: Mapping[str, bytes], *, figures: Callable[[Path], object] | None = None
) -> Path:
    """Write ``files`` (and whatever ``figures`` draws into the folder) to ``folder`` atomically.

    See :func:`sim.storage.write_folder`: an existing ``folder`` is replaced only when sim made it.

    Raises
    ------
    OSError
        The folder cannot be written, or exists and is not sim's (:class:`sim.storage.StorageError`).
    """
    return write_folder(folder, files, decorate=figures, replace=True)


# ---------------------------------------------------------------------------------------------
# Running independent points, serially or in worker processes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Failed:
    """A point whose scenario the loader refused (ConfigError does not survive pickling)."""

    file: str
    problems: tuple[Problem, ...]


def _run_point(
    document: Mapping[str, Any], file: str, condition_on: tuple[str, ...] | None, settings: Settings
) -> PointResult | _Failed:
    try:
        scenario = _scenario_at(document, file, settings)
    except ConfigError as error:
        return _Failed(error.file, tuple(error.problems))
    warning = None
    try:
        summary = summarize(simulate(scenario, condition_on=condition_on, workers=1))
    except ConditioningError as error:
        warning = f"the claims cannot be conditioned on: {error}"
        summary = summarize(simulate(scenario, condition_on=(), workers=1))
    return PointResult(settings=settings, summary=replace(summary, distributions={}), warning=warning)


_WORKER_BASE: tuple[Mapping[str, Any], str, tuple[str, ...] | None] | None = None


def _init_worker(document: Mapping[str, Any], file: str, condition_on: tuple[str, ...] | None) -> None:
    global _WORKER_BASE
    _WORKER_BASE = (document, file, condition_on)


def _run_in_worker(settings: Settings) -> PointResult | _Failed:
    return _run_point(*_WORKER_BASE, settings)  # type: ignore[misc]


def _checked(outcome: PointResult | _Failed) -> PointResult:
    if isinstance(outcome, _Failed):
        raise ConfigError(outcome.file, list(outcome.problems))
    return outcome


def _run_points(
    document: Mapping[str, Any],
    file: str,
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
            out.append(_checked(_run_point(document, file, condition_on, settings)))
            report("points", index + 1, total)
        return out
    results: dict[int, PointResult] = {}
    pending: dict[Future[PointResult | _Failed], int] = {}
    iterator: Iterator[Settings] = iter(points)
    submitted = 0
    with worker_pool(min(workers, total), _init_worker, (document, file, condition_on)) as pool:
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
    return tuple(q.name for q in quantities_of(scenario)) + tuple(f"claim:{c.id}" for c in scenario.claims)


def _quantity_label(scenario: Scenario, name: str) -> str:
    """A short label: ``killed, all forces``, ``casualties, combat``."""
    quantity = next(q for q in quantities_of(scenario) if q.name == name)
    metric = quantity.metric if quantity.date is None else f"{quantity.metric} by {quantity.date.isoformat()}"
    if len(quantity.scope) == len(scenario.forces):
        return f"{metric}, all forces" if len(scenario.forces) > 1 else metric
    return f"{metric}, {' + '.join(quantity.scope)}"


def _check_output(scenario: Scenario, output: str, *, quantities_only: bool = False) -> None:
    names = output_names(scenario)
    if quantities_only:
        names = tuple(n for n in names if not n.startswith("claim:"))
    if output not in names:
        suggestion = did_you_mean(output, names)
        raise SensitivityError(f"unknown output {output!r}; {suggestion}outputs: {', '.join(names)}")


# ---------------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------------


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
    _check_output(scenario, output, quantities_only=True)
    document, reference = _base(scenario, draws, seed, settings)
    kinds = parameter_paths(document)
    for axis in axes:
        for value in axis.values:
            _scenario_at(document, scenario.file, ((axis.path, value),))
    grid = (tuple(zip(paths, combination, strict=True)) for combination in itertools.product(*(a.values for a in axes)))
    points = _run_points(
        document,
        scenario.file,
        condition_on,
        grid,
        size,
        workers=default_workers() if workers is None else workers,
        progress=progress,
    )
    condition = reference.condition_on if condition_on is None else condition_on
    detail = f"{reference.simulation.draws:,} draws per point, {size:,} points"
    return SweepResult(
        provenance=_provenance(scenario, seed=reference.simulation.seed, detail=detail, condition_on=condition),
        axes=tuple(axes),
        points=tuple(points),
        output=output,
        axis_labels=tuple(f"{p} (prior pinned to this value)" if kinds.get(p) == "prior" else p for p in paths),
    )


# ---------------------------------------------------------------------------------------------
# Tornado
# ---------------------------------------------------------------------------------------------


def _integer_inputs(scenario: Scenario) -> set[str]:
    """Inputs the model rounds to whole numbers (sizes, missing): their pins are rounded too."""
    return {p.path for force in scenario.forces for p in (force.size, force.missing) if p is not None}


def _output_value(summary: Summary, output: str, side: str) -> float:
    chosen = summary.posterior if side == "posterior" else summary.prior
    if chosen is None:
        return math.nan
    if output.startswith("claim:"):
        claim_id = output.removeprefix("claim:")
        return next(c for c in chosen.claims if c.id == claim_id).probability.value
    return next(d for d in chosen.quantities if d.name == output).median.value


def tornado(
    scenario: Scenario,
    *,
    output: str = "killed",
    low: float = 0.05,
    high: float = 0.95,
    settings: Settings = (),
    draws: int | None = DEFAULT_DRAWS,
    seed: int | None = None,
    condition_on: tuple[str, ...] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> TornadoResult:
    """Pin each uncertain input in turn at its prior's ``low`` and ``high`` quantile.

    Every non-fixed prior ``X`` becomes ``fixed`` at ``F_X⁻¹(low)`` and at ``F_X⁻¹(high)``
    (rounded where the model rounds: sizes, missing) while every other input stays random,
    with the same seed as the baseline (nothing pinned). The output is the median of a
    quantity, or a claim's probability (``claim:<id>``), on the posterior when the run
    conditions on claims and on the prior predictive otherwise. Bars are sorted by their swing
    ``|output(high) − output(low)|``.

    Parameters
    ----------
    scenario : Scenario
        A scenario loaded from TOML.
    output : str
        A quantity name (``killed``, ``killed[combat]``, ...) or ``claim:<id>``.
    low, high : float
        The quantiles, ``0 < low < high < 1``.
    settings, draws, seed, condition_on, workers, progress
        As for :func:`sweep`.

    Raises
    ------
    SensitivityError
        Quantiles out of order, an unknown output, or no uncertain input.
    ConfigError
        A ``settings`` path or value the loader refuses.
    """
    if not 0 < low < high < 1:
        raise SensitivityError(f"the quantiles must satisfy 0 < low < high < 1, got low={low:g}, high={high:g}")
    _check_output(scenario, output)
    document, reference = _base(scenario, draws, seed, settings)
    inputs = [prior for prior in reference.priors() if not prior.is_fixed]
    if not inputs:
        raise SensitivityError(f"{scenario.file}: every prior is fixed; there is no uncertain input to pin")
    whole = _integer_inputs(reference)
    pins: list[tuple[str, float, float]] = []
    for prior in inputs:
        values = [float(prior.distribution.ppf(q)) for q in (low, high)]
        if prior.path in whole:
            values = [float(round(v)) for v in values]
        pins.append((prior.path, values[0], values[1]))
    tasks: list[Settings] = [()] + [((path, value),) for path, *values in pins for value in values]
    results = _run_points(
        document,
        scenario.file,
        condition_on,
        tasks,
        len(tasks),
        workers=default_workers() if workers is None else workers,
        progress=progress,
    )
    condition = reference.condition_on if condition_on is None else condition_on
    side = "posterior" if condition else "prior"
    values = [_output_value(r.summary, output, side) for r in results]
    bars = [
        TornadoBar(path, low_input, high_input, values[1 + 2 * i], values[2 + 2 * i])
        for i, (path, low_input, high_input) in enumerate(pins)
    ]
    finite = [v for v in values if math.isfinite(v)]
    positive = [v for v in finite if v > 0]
    scale = "log" if output.startswith("claim:") and positive and min(finite) < max(positive) / 100 else "linear"

    def swing(bar: TornadoBar) -> float:
        if scale == "linear":
            return bar.swing
        return abs(math.log10(max(bar.high_output, LOG_FLOOR)) - math.log10(max(bar.low_output, LOG_FLOOR)))

    bars.sort(key=lambda bar: -swing(bar) if math.isfinite(bar.swing) else math.inf)
    if output.startswith("claim:"):
        claim = next(c for c in reference.claims if c.id == output.removeprefix("claim:"))
        label, statistic = f"P(claim true): {claim.label}", "probability"
    else:
        label, statistic = f"median {_quantity_label(reference, output)}", "median"
    detail = f"{reference.simulation.draws:,} draws per run, {len(tasks)} runs"
    return TornadoResult(
        provenance=_provenance(scenario, seed=reference.simulation.seed, detail=detail, condition_on=condition),
        output=output,
        output_label=label,
        side=side,
        statistic=statistic,
        low=low,
        high=high,
        baseline=values[0],
        bars=tuple(bars),
        scale=scale,
        warnings=point_warnings(results),
    )


# ---------------------------------------------------------------------------------------------
# Sobol' indices
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SobolIndices:
    """First-order and total Sobol' indices of ``s`` outputs on ``d`` inputs, with bootstrap intervals.

    ``first``/``total`` have shape ``(s, d)``; ``first_interval``/``total_interval`` have shape
    ``(2, s, d)`` (low, high); ``variance`` is each output's variance, shape ``(s,)``.
    """

    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray
    total_interval: np.ndarray
    variance: np.ndarray


def _weighted_indices(
    f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saltelli (2010) first-order and Jansen total-order estimators, as weighted means.

    With row weights ``w`` (each row of ``weights`` sums to 1; ``1/n`` each for the plain
    estimate, multinomial counts ``/n`` for a bootstrap resample), ``V`` the variance of the
    pooled ``f(A)``, ``f(B)`` values and ``AB⁽ⁱ⁾`` the matrix ``A`` with column ``i`` from ``B``:

        S_i  = Σ_j w_j f(B)_j (f(AB⁽ⁱ⁾)_j − f(A)_j) / V                (Saltelli 2010, Table 2 (b))
        S_Ti = ½ Σ_j w_j (f(A)_j − f(AB⁽ⁱ⁾)_j)² / V                    (Jansen 1999; Table 2 (f))

    which with ``w_j = 1/n`` is exactly ``scipy.stats``' ``saltelli_2010``. An output of zero
    variance gets indices 0, as in scipy.

    Parameters
    ----------
    f_A, f_B : ndarray, shape (s, n)
    f_AB : ndarray, shape (d, s, n)
    weights : ndarray, shape (r, n)

    Returns
    -------
    first, total : ndarray, shape (r, s, d)
    variance : ndarray, shape (r, s)

    References
    ----------
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. & Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. *Computer Physics Communications*
    181(2), 259–270. Jansen, M. J. W. (1999). Analysis of variance designs for model output.
    *Computer Physics Communications* 117, 35–43.
    """
    d, s, n = f_AB.shape
    mean = (weights @ f_A.T + weights @ f_B.T) / 2
    variance = (weights @ (f_A**2).T + weights @ (f_B**2).T) / 2 - mean**2
    difference = f_AB - f_A[None]
    first = (weights @ (f_B[None] * difference).reshape(d * s, n).T).reshape(-1, d, s)
    total = (weights @ (difference**2).reshape(d * s, n).T).reshape(-1, d, s) / 2
    scale = np.where(variance > 0, variance, np.inf)[:, :, None]
    return first.transpose(0, 2, 1) / scale, total.transpose(0, 2, 1) / scale, variance


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    *,
    d: int,
    n: int = DEFAULT_SOBOL_N,
    seed: int = 0,
    confidence: float = 0.95,
    resamples: int = 1000,
    progress: Progress | None = None,
) -> SobolIndices:
    """Sobol' indices of a deterministic function of ``d`` independent uniforms on (0, 1).

    ``scipy.stats.sobol_indices`` draws the scrambled Sobol' matrices ``A`` and ``B``, builds the
    ``AB⁽ⁱ⁾`` matrices, evaluates ``func`` on all ``n·(d + 2)`` points and centres the values;
    the indices are its Saltelli (2010) / Jansen estimators (:func:`_weighted_indices`). The
    intervals are percentile bootstrap intervals over the ``n`` rows, ``resamples`` resamples:
    scipy's own ``bootstrap()`` uses BCa, whose jackknife costs O(n²) evaluations of the
    estimator (20 s at n = 4,096, minutes at n = 16,384), so the resamples are drawn here and
    evaluated as one matrix product per batch.

    Parameters
    ----------
    func : callable
        Maps uniforms of shape ``(d, m)`` to outputs of shape ``(s, m)`` (finite).
    d : int
        Number of inputs.
    n : int
        Base sample size, a power of 2.
    seed : int
        Seeds both the scrambling of the Sobol' sequence and the bootstrap.
    confidence : float
        Level of the bootstrap intervals.
    resamples : int
        Bootstrap resamples.
    progress : callable, optional
        ``progress("model evaluations", done, n·(d + 2))`` then ``progress("bootstrap", done, resamples)``.

    Returns
    -------
    SobolIndices
    """
    if n < 2 or n & (n - 1):
        raise SensitivityError(f"n must be a power of 2 (the Sobol' sequence is balanced only then), got {n:,}")
    if not 0 < confidence < 1:
        raise SensitivityError(f"the confidence level must be in (0, 1), got {confidence:g}")
    if resamples < 1:
        raise SensitivityError(f"resamples must be at least 1, got {resamples}")
    report = progress or (lambda _what, _done, _total: None)
    sample_seed, bootstrap_seed = np.random.SeedSequence(seed).spawn(2)
    evaluations = n * (d + 2)
    evaluated = 0

    def chunked(u: np.ndarray) -> np.ndarray:
        nonlocal evaluated
        parts = []
        for start in range(0, u.shape[1], EVALUATION_CHUNK):
            parts.append(np.atleast_2d(func(u[:, start : start + EVALUATION_CHUNK])))
            evaluated += parts[-1].shape[1]
            report("model evaluations", evaluated, evaluations)
        return np.concatenate(parts, axis=1)

    recorded: dict[str, np.ndarray] = {}

    def estimator(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        recorded.update(f_A=f_A, f_B=f_B, f_AB=f_AB)
        first, total, _ = _weighted_indices(f_A, f_B, f_AB, np.full((1, f_A.shape[1]), 1 / f_A.shape[1]))
        return first[0], total[0]

    result = stats.sobol_indices(
        func=chunked,
        n=n,
        dists=[stats.uniform()] * d,
        method=estimator,
        rng=np.random.Generator(np.random.PCG64(sample_seed)),
    )
    f_A, f_B, f_AB = recorded["f_A"], recorded["f_B"], recorded["f_AB"]
    s = f_A.shape[0]
    rng = np.random.Generator(np.random.PCG64(bootstrap_seed))
    firsts, totals = [], []
    for start in range(0, resamples, BOOTSTRAP_BATCH):
        batch = min(BOOTSTRAP_BATCH, resamples - start)
        rows = rng.integers(0, n, size=(batch, n)) + n * np.arange(batch)[:, None]
        weights = np.bincount(rows.ravel(), minlength=batch * n).reshape(batch, n) / n
        first, total, _ = _weighted_indices(f_A, f_B, f_AB, weights)
        firsts.append(first)
        totals.append(total)
        report("bootstrap", start + batch, resamples)
    tails = [(1 - confidence) / 2, (1 + confidence) / 2]
    _, _, variance = _weighted_indices(f_A, f_B, f_AB, np.full((1, n), 1 / n))
    return SobolIndices(
        first=np.asarray(result.first_order).reshape(s, d),
        total=np.asarray(result.total_order).reshape(s, d),
        first_interval=np.quantile(np.concatenate(firsts), tails, axis=0),
        total_interval=np.quantile(np.concatenate(totals), tails, axis=0),
        variance=variance[0],
    )


@dataclass(frozen=True)
class SobolOutput:
    """An output of the Sobol' analysis: a quantity ``T`` or a source's report ``R = round(ρ·T)``.

    ``claims`` are the claims whose metric it is; ``source`` is set for a report.
    """

    name: str
    label: str
    quantity: str
    claims: tuple[str, ...] = ()
    source: str | None = None


def _sobol_outputs(scenario: Scenario) -> tuple[SobolOutput, ...]:
    quantities = quantities_of(scenario)
    by_claim = {c.id: claim_quantity(quantities, c).name for c in scenario.claims}
    names = list(dict.fromkeys(["killed", *by_claim.values()]))
    outputs = [
        SobolOutput(name, _quantity_label(scenario, name), name, tuple(c for c, q in by_claim.items() if q == name))
        for name in names
    ]
    for claim in scenario.claims:
        if claim.source is not None:
            label = f"report by {scenario.source(claim.source).label} ({claim.id})"
            outputs.append(SobolOutput(f"reported[{claim.id}]", label, by_claim[claim.id], (claim.id,), claim.source))
    return tuple(outputs)


@dataclass(frozen=True)
class _UniformModel:
    """The casualty model as a deterministic function of independent uniforms.

    Input ``i`` is a prior, whose value is ``F⁻¹(u_i)`` (rounded for sizes and missing, as the
    model rounds them), or a force's binomial noise: ``K = F⁻¹_{Bin(N, f)}(u)``, an exact draw of
    ``Binomial(N, f)`` by inversion. Then, as in :mod:`sim.model`, ``f = 1 − exp(−h·T)`` for a
    hazard, ``W = F⁻¹_{Bin(N − K, q)}(u)`` (and so on for every binomial of :func:`binomial_streams`),
    ``C = K + W + missing``, and a report is
    ``R = round(ρ·T)``. Fixed priors take their value.
    """

    scenario: Scenario
    inputs: tuple[str, ...]
    outputs: tuple[SobolOutput, ...]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        m = u.shape[1]
        column = {name: np.clip(u[i], UNIFORM_EPS, 1 - UNIFORM_EPS) for i, name in enumerate(self.inputs)}
        middle = np.full(m, 0.5)

        def value(prior: Any) -> np.ndarray:
            return np.asarray(prior.distribution.ppf(column.get(prior.path, middle)), dtype=float)

        scenario = self.scenario

        def binomial(stream: str, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
            return stats.binom.ppf(column[stream], trials, p).astype(np.int64)

        quantities = {q.name: q for q in quantities_of(scenario)}
        dates = tuple(q.date for q in quantities.values() if q.date is not None)
        draws = evaluate(scenario, m, sample=value, binomial=binomial, dates=dates)
        rows = []
        for output in self.outputs:
            truth = draws.metric(quantities[output.quantity]).astype(float)
            if output.source is not None:
                truth = np.rint(value(scenario.source(output.source).reporting_ratio) * truth)
            rows.append(truth)
        return np.vstack(rows)


@dataclass(frozen=True, eq=False)
class SobolResult:
    """Sobol' indices of every uncertain input (and each force's binomial noise) on each output."""

    provenance: Provenance
    inputs: tuple[str, ...]
    outputs: tuple[SobolOutput, ...]
    indices: SobolIndices
    n: int
    resamples: int
    confidence: float

    def rows(self) -> list[dict[str, Any]]:
        """One row per (output, input): indices, their intervals, and the output's variance."""
        rows = []
        ix = self.indices
        for j, output in enumerate(self.outputs):
            for i, name in enumerate(self.inputs):
                rows.append(
                    {
                        "output": output.name,
                        "claims": " ".join(output.claims),
                        "input": name,
                        "first": float(ix.first[j, i]),
                        "first_low": float(ix.first_interval[0, j, i]),
                        "first_high": float(ix.first_interval[1, j, i]),
                        "total": float(ix.total[j, i]),
                        "total_low": float(ix.total_interval[0, j, i]),
                        "total_high": float(ix.total_interval[1, j, i]),
                        "output_variance": float(ix.variance[j]),
                    }
                )
        return rows

    def to_csv(self) -> str:
        return _csv(self.rows())

    def to_json(self) -> str:
        return _json(
            {
                "kind": "sobol",
                "provenance": asdict(self.provenance),
                "n": self.n,
                "resamples": self.resamples,
                "confidence": self.confidence,
                "inputs": list(self.inputs),
                "outputs": [asdict(o) for o in self.outputs],
                "indices": self.rows(),
            }
        )

    def files(self) -> dict[str, bytes]:
        return {"sobol.csv": self.to_csv().encode(), "sobol.json": self.to_json().encode()}


def sobol(
    scenario: Scenario,
    *,
    n: int = DEFAULT_SOBOL_N,
    seed: int | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    progress: Progress | None = None,
) -> SobolResult:
    """Sobol' indices of the scenario's uncertain inputs on total killed and each claim's metric.

    The inputs are every non-fixed prior (sizes, fatality rates or hazards and days, wounded
    ratios, missing, each source's ρ) and, per force, the noise of each binomial draw (killed,
    wounded, died of wounds, non-battle deaths: :func:`sim.model.binomial_streams`), so their
    share of the variance is reported rather than hidden. The outputs are total killed, the truth
    ``T`` over each claim's scope and metric, and each sourced claim's report
    ``R = round(ρ·T)``. This is the prior predictive: conditioning plays no part.

    Parameters
    ----------
    scenario : Scenario
    n : int
        Base sample size, a power of 2; the model is evaluated ``n·(d + 2)`` times.
    seed : int, optional
        Default: the scenario's seed.
    confidence, resamples, progress
        As for :func:`sobol_indices`.

    Returns
    -------
    SobolResult
    """
    seed = scenario.simulation.seed if seed is None else seed
    priors = tuple(p.path for p in scenario.priors() if not p.is_fixed)
    dates = tuple(q.date for q in quantities_of(scenario) if q.date is not None)
    inputs = priors + binomial_streams(scenario, dates)
    outputs = _sobol_outputs(scenario)
    model = _UniformModel(scenario, inputs, outputs)
    indices = sobol_indices(
        model, d=len(inputs), n=n, seed=seed, confidence=confidence, resamples=resamples, progress=progress
    )
    detail = f"Sobol' n = {n:,} ({n * (len(inputs) + 2):,} model evaluations), {resamples:,} bootstrap resamples"
    return SobolResult(
        provenance=_provenance(scenario, seed=seed, detail=detail),
        inputs=inputs,
        outputs=outputs,
        indices=indices,
        n=n,
        resamples=resamples,
        confidence=confidence,
    )
