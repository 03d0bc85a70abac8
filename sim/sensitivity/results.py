"""The results of sweeps, tornadoes and Sobol' analyses, their provenance, tables and folders.

Each result says where it came from (:class:`Provenance`), writes its tables (``files()``: CSV
and JSON) and goes to ``results/<scenario>/sensitivity/<kind>[-<param>]/`` with its figures and
``manifest.json`` (:func:`manifest`, the run folders' record of :mod:`sim.manifest`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sim import __version__
from sim.config import Scenario
from sim.keypaths import Value, format_setting
from sim.manifest import production
from sim.sensitivity.axes import Axis
from sim.sensitivity.points import PointResult, point_statistics, point_warnings
from sim.storage import write_folder
from sim.summary import json_number

__all__ = [
    "Provenance",
    "SobolIndices",
    "SobolOutput",
    "SobolResult",
    "SweepResult",
    "Tables",
    "TornadoBar",
    "TornadoResult",
    "manifest",
    "output_folder",
    "table_csv",
    "write_atomically",
]


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

    @classmethod
    def of(cls, scenario: Scenario, *, seed: int, detail: str, condition_on: tuple[str, ...] = ()) -> Provenance:
        """The provenance of an analysis of ``scenario`` (the file as loaded, not an edited copy)."""
        return cls(
            scenario=scenario.name,
            title=scenario.title,
            file=scenario.file,
            sha256=scenario.sha256,
            seed=seed,
            detail=detail,
            condition_on=condition_on,
        )


def table_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV: a column per key (in first-seen order), floats written exactly, None as empty."""
    fields = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


class Tables:
    """An analysis result's tables: ``<kind>.csv`` (one line per :meth:`rows` entry) and ``<kind>.json``
    (its kind, provenance and :meth:`contents`)."""

    kind: ClassVar[str]
    provenance: Provenance

    def rows(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def contents(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_csv(self) -> str:
        return table_csv(self.rows())

    def to_json(self) -> str:
        data = {"kind": self.kind, "provenance": asdict(self.provenance), **self.contents()}
        return json.dumps(data, indent=2, allow_nan=False) + "\n"

    def files(self) -> dict[str, bytes]:
        return {f"{self.kind}.csv": self.to_csv().encode(), f"{self.kind}.json": self.to_json().encode()}


@dataclass(frozen=True)
class SweepResult(Tables):
    """A sweep: one :class:`PointResult` per point of the grid, in grid order (last axis fastest)."""

    kind: ClassVar[str] = "sweep"

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
            row: dict[str, Any] = {a.path: format_setting(values[a.path]) for a in self.axes}
            rows.append({**row, **point_statistics(point.summary)})
        return rows

    def contents(self) -> dict[str, Any]:
        """What ``sweep.json`` holds after its kind and provenance."""
        return {
            "axes": [{"path": a.path, "values": [_jsonable(v) for v in a.values], "log": a.log} for a in self.axes],
            "output": self.output,
            "warnings": list(self.warnings),
            "points": self.rows(),
        }


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
class TornadoResult(Tables):
    """A tornado: ``bars`` sorted by decreasing swing around ``baseline`` (nothing pinned)."""

    kind: ClassVar[str] = "tornado"

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
                "low_output": json_number(bar.low_output),
                "high_output": json_number(bar.high_output),
                "swing": json_number(bar.swing),
            }
            for bar in self.bars
        ]

    def contents(self) -> dict[str, Any]:
        """What ``tornado.json`` holds after its kind and provenance."""
        return {
            "output": self.output,
            "output_label": self.output_label,
            "scale": self.scale,
            "warnings": list(self.warnings),
            "bars": self.rows(),
        }


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


@dataclass(frozen=True, eq=False)
class SobolResult(Tables):
    """Sobol' indices of every uncertain input (and each force's binomial noise) on each output."""

    kind: ClassVar[str] = "sobol"

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

    def contents(self) -> dict[str, Any]:
        """What ``sobol.json`` holds after its kind and provenance."""
        return {
            "n": self.n,
            "resamples": self.resamples,
            "confidence": self.confidence,
            "inputs": list(self.inputs),
            "outputs": [asdict(o) for o in self.outputs],
            "indices": self.rows(),
        }


def output_folder(results: Path, scenario: str, kind: str, suffix: str | None = None) -> Path:
    """``results/<scenario>/sensitivity/<kind>[-<suffix>]`` (characters unsafe in a file name become ``_``)."""
    name = kind if not suffix else f"{kind}-{re.sub(r'[^A-Za-z0-9_.+-]+', '_', suffix).strip('_')}"
    return Path(results) / scenario / "sensitivity" / name


def manifest(
    provenance: Provenance, *, command: list[str], started: datetime, elapsed: float, **extra: Any
) -> dict[str, Any]:
    """Everything needed to reproduce and cite an analysis (as ``manifest.json``): its provenance under the
    names a run folder's manifest uses, then :func:`sim.manifest.production` (versions, platform, commit,
    command, times)."""
    origin = {
        "scenario": provenance.scenario,
        "title": provenance.title,
        "config_file": provenance.file,
        "config_sha256": provenance.sha256,
        "seed": provenance.seed,
        "detail": provenance.detail,
        "condition_on": list(provenance.condition_on),
    }
    return production(origin, command=command, started=started, elapsed=elapsed, extra=extra)


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
