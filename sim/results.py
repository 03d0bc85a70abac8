"""Run folders: ``results/<scenario>/<run-id>/``, written atomically, with a manifest.

A run is written into a hidden temporary folder beside its destination and renamed into
place only when every file is complete, so an interrupted run leaves no folder that looks
valid. ``results/<scenario>/latest`` points at the newest run.

Why one module: a run folder's format is written here and read back here — the packing of the arrays (cut to
their support, whole counts, byte shuffle, column sums, edges as their ends; docs/run-folders.md) and its exact
inverse in :func:`load_run` — so that the writer and the reader of one format change together; listing and
pruning runs reads the same folders by the same rules.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import secrets
import shutil
import stat
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.config import ConfigError, Scenario, parse_scenario
from sim.defaults import RESERVOIR_KEPT
from sim.engine import SimulationResult
from sim.limits import MAX_FILE_BYTES
from sim.manifest import production
from sim.model import Quantity, quantity_named
from sim.processes import signals_deferred
from sim.storage import StorageError, is_sim_made, write_folder
from sim.summary import Summary

__all__ = [
    "RESERVOIR_KEPT",
    "SINGLE_PRECISION",
    "ResultsError",
    "RunData",
    "RunEntry",
    "list_runs",
    "load_run",
    "manifest",
    "new_run_dir",
    "pack_distributions",
    "prune_runs",
    "unpack_distributions",
    "write_run",
]

CSV_FIELDS = ("side", "section", "name", "statistic", "level", "value", "mcse")
_SUPPORT = "~support/"
_COUNTS = "~counts/"
_SAME = "~same/"
_SHUFFLED = "~bytes/"
_SUM = "~sum/"
_LINSPACE = "~linspace/"
_GEOMSPACE = "~geomspace/"
SINGLE_PRECISION = ("posterior/", "posterior_input/")
"""Distributions stored as float32: sums of importance weights (posterior pmfs and input histograms), whose
53-bit mantissas no lossless coder shrinks; the relative error of each value is at most 2**-24 (6e-8)."""


class ResultsError(StorageError):
    """A run folder that cannot be written (exists without ``--force``, not sim's, not writable) or read."""


def manifest(
    result: SimulationResult, *, command: list[str], started: datetime, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything needed to reproduce and cite a run: what ran, then :func:`sim.manifest.production`."""
    plan = result.plan
    scenario = plan.scenario
    origin = {
        "scenario": scenario.name,
        "config_file": scenario.file,
        "config_sha256": scenario.sha256,
        "seed": plan.seed,
        "draws": plan.draws,
        "chunk_size": plan.chunk_size,
        "condition_on": list(plan.condition_on),
        "workers": result.workers,
    }
    return production(origin, command=command, started=started, elapsed=result.elapsed, extra=extra)


def new_run_dir(results_root: Path, scenario: str, started: datetime) -> Path:
    """``results/<scenario>/<UTC timestamp>-<6 random hex digits>``: concurrent runs never share a name.

    The suffix makes a clash unlikely (1 in 16 million for two runs started in the same
    second); :func:`write_run` with ``unique=True`` makes it impossible (it renames without
    replacing and draws a new suffix when the name is taken).
    """
    return results_root / scenario / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def summary_csv(summary: Summary) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in summary.rows():
        writer.writerow({k: "" if v is None else (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


def samples_csv(reservoir: dict[str, np.ndarray]) -> str:
    """The reservoir of draws as CSV, one row per draw, one column per input and outcome."""
    columns = sorted(reservoir)
    buffer = io.StringIO()
    buffer.write("draw," + ",".join(columns) + "\n")
    stacked = np.column_stack([reservoir[c] for c in columns])
    for index, row in enumerate(stacked):
        buffer.write(
            f"{index}," + ",".join(repr(float(v)) if not float(v).is_integer() else str(int(v)) for v in row) + "\n"
        )
    return buffer.getvalue()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    """The arrays as a compressed ``.npz`` (zip with LZMA, lossless; ``numpy.load`` reads it).

    A one-dimensional array of multi-byte numbers is stored byte-shuffled (every item's first byte, then every
    item's second byte, …, as a ``uint8`` array of shape ``(itemsize, n)``) with ``~bytes/<name>`` holding its
    dtype (not the small ``~`` companions): the bytes that repeat (high bytes of counts, exponents of floats) then
    sit together for the coder (measured on the million-soldier run: distributions 5.51 → 4.50 MB, reservoir
    1.10 → 0.88 MB).
    :func:`_arrays` restores them.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_LZMA) as archive:
        for name, values in arrays.items():
            stored = {name: values}
            if values.ndim == 1 and values.dtype.kind in "iuf" and values.dtype.itemsize > 1 and name[0] != "~":
                shuffled = np.ascontiguousarray(values.view(np.uint8).reshape(values.size, values.dtype.itemsize).T)
                stored = {name: shuffled, _SHUFFLED + name: np.array(values.dtype.str)}
            for key, array in stored.items():
                with archive.open(f"{key}.npy", "w") as stream:
                    np.lib.format.write_array(stream, array, allow_pickle=False)
    return buffer.getvalue()


def _unshuffled(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays :func:`_npz` byte-shuffled, restored (an archive without shuffled arrays is returned as it is)."""
    out = {name: values for name, values in arrays.items() if not name.startswith(_SHUFFLED)}
    for marker in set(arrays) - set(out):
        name = marker.removeprefix(_SHUFFLED)
        dtype, values = np.dtype(str(arrays[marker])), out.get(name)
        if (
            dtype.kind not in "iuf"
            or values is None
            or values.dtype != np.uint8
            or values.ndim != 2
            or values.shape[0] != dtype.itemsize
        ):
            raise ValueError(f"{marker}: not the dtype of a byte-shuffled array")
        out[name] = np.ascontiguousarray(values.T).view(dtype).reshape(-1)
    return out


def _single(name: str) -> bool:
    """Whether ``name`` is stored in single precision (:data:`SINGLE_PRECISION`; not histogram edges)."""
    return name.startswith(SINGLE_PRECISION) and not name.endswith("/edges")


def _as_counts(values: np.ndarray, draws: int | None) -> np.ndarray | None:
    """``values`` as the whole counts ``c`` with ``c / draws == values`` bit for bit, else None."""
    if draws is None or values.dtype != np.float64 or values.size == 0:
        return None
    counts = np.rint(values * draws)
    if not np.array_equal(counts / draws, values) or counts.min() < 0 or counts.max() >= 2**32:
        return None
    return counts.astype(np.uint32)


def pack_distributions(distributions: dict[str, np.ndarray], *, draws: int | None = None) -> dict[str, np.ndarray]:
    """Each one-dimensional array cut to its support (first to last non-zero entry) and stored small.

    A cut array ``name`` gets a companion ``~support/<name>`` = ``[start, length]`` (int64),
    from which :func:`unpack_distributions` restores the zeros. With ``draws``, an array whose
    values are exactly whole counts divided by ``draws`` (the prior's pmfs and the reports') is
    stored as those counts (uint32) with ``~counts/<name>`` = ``[draws]`` and restored as
    ``counts / draws``, the same float64 numbers. The arrays named by :data:`SINGLE_PRECISION`
    (posterior pmfs and histograms) are stored as float32 and restored as float64 within a
    relative 2**-24 of each value. Histogram edges that are exactly ``numpy.linspace`` or
    ``numpy.geomspace`` of their ends are stored as ``~linspace/<name>`` or ``~geomspace/<name>`` =
    ``[first, last, size]`` and drawn again on reading (the same bits with the numpy that wrote them,
    checked when written; the ratios' edges are stored as they are); every other array is stored as
    it is. Every statistic in ``summary.json`` is computed before this and is unchanged.
    """
    packed: dict[str, np.ndarray] = {}
    for name, values in distributions.items():
        spacing = _spacing(values) if name.endswith("/edges") else None
        if spacing is not None:
            packed[spacing + name] = np.array([values[0], values[-1], values.size], dtype=np.float64)
            continue
        nonzero = np.flatnonzero(values) if values.ndim == 1 else None
        if nonzero is not None and not (nonzero.size and nonzero[0] == 0 and nonzero[-1] == values.size - 1):
            start, stop = (int(nonzero[0]), int(nonzero[-1]) + 1) if nonzero.size else (0, 0)
            packed[_SUPPORT + name] = np.array([start, values.size], dtype=np.int64)
            values = values[start:stop]
        counts = None if _single(name) else _as_counts(values, draws)
        if counts is not None:
            packed[_COUNTS + name] = np.array([draws], dtype=np.int64)
            values = counts
        elif _single(name) and values.dtype == np.float64:
            values = values.astype(np.float32)
        packed[name] = values
    return packed


def _spacing(values: np.ndarray) -> str | None:
    """``~linspace/`` or ``~geomspace/`` if ``values`` are exactly that spacing of their ends, else None."""
    if values.ndim != 1 or values.size < 2 or values.dtype != np.float64 or not np.all(np.isfinite(values)):
        return None
    if np.array_equal(np.linspace(values[0], values[-1], values.size), values):
        return _LINSPACE
    if values[0] > 0 and np.array_equal(np.geomspace(values[0], values[-1], values.size), values):
        return _GEOMSPACE
    return None


def unpack_distributions(packed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays :func:`pack_distributions` stored, as float64 at full length (zeros outside the support).

    Raises
    ------
    ValueError
        A ``~linspace/`` or ``~geomspace/`` entry that is not ``[first, last, size]``.
    """
    distributions: dict[str, np.ndarray] = {}
    for name, values in packed.items():
        if name.startswith((_LINSPACE, _GEOMSPACE)):
            if values.shape != (3,) or not np.all(np.isfinite(values)) or not 2 <= values[2] <= 2**24:
                raise ValueError(f"{name}: not [first, last, size]")
            spaced = np.linspace if name.startswith(_LINSPACE) else np.geomspace
            distributions[name.split("/", 1)[1]] = spaced(values[0], values[1], int(values[2]))
            continue
        if name.startswith((_SUPPORT, _COUNTS)):
            continue
        per = packed.get(_COUNTS + name)
        if per is not None:
            values = values / float(per[0])
        elif values.dtype == np.float32:
            values = values.astype(np.float64)
        support = packed.get(_SUPPORT + name)
        if support is None:
            distributions[name] = values
            continue
        start, size = (int(v) for v in support)
        full = np.zeros(size, dtype=values.dtype)
        full[start : start + values.size] = values
        distributions[name] = full
    return distributions


def _compact(
    reservoir: dict[str, np.ndarray], kept: int | None, sums: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, np.ndarray]:
    """The first ``kept`` draws of the reservoir (all when None) in 32-bit types, each column once.

    Counts stay exact below 2**31; inputs keep 7 significant digits. A column equal to an
    earlier one (``served[f]`` is ``forces.f.size`` when the size is a prior) is stored as
    ``~same/<name>`` holding the earlier column's name; a column ``sums`` names that equals the sum of its
    members' columns exactly (a total over several forces) as ``~sum/<name>`` holding their names.
    :func:`_expand` restores both.
    """
    compact: dict[str, np.ndarray] = {}
    columns = {
        name: values[:kept].astype(np.int32 if np.issubdtype(values.dtype, np.integer) else np.float32)
        for name, values in reservoir.items()
    }
    sums = sums or {}
    for name, column in columns.items():
        members = sums.get(name, ())
        parts = [columns[m] for m in members if m in columns and m not in sums and columns[m].dtype == np.int32]
        exact = column.dtype == np.int32 and np.array_equal(np.sum(parts, axis=0, dtype=np.int64), column)
        if members and len(parts) == len(members) and exact:
            compact[_SUM + name] = np.array(members)
            continue
        twin = next((k for k, v in compact.items() if v.dtype == column.dtype and np.array_equal(v, column)), None)
        compact[name if twin is None else _SAME + name] = column if twin is None else np.array(twin)
    return compact


def _expand(stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reservoir :func:`_compact` stored, with every column under its own name.

    Raises
    ------
    ValueError
        A ``~same/`` or ``~sum/`` entry names a column the file does not hold.
    """

    def column(name: str) -> np.ndarray:
        values = stored.get(name, stored.get(_SAME + name))
        if values is None or values.dtype.kind == "U":
            values = None if values is None else stored.get(str(values))
        if values is None or values.dtype.kind not in "iuf":
            raise ValueError(f"no column {name!r}")
        return values

    out: dict[str, np.ndarray] = {}
    for name, values in stored.items():
        if name.startswith(_SUM):
            out[name.removeprefix(_SUM)] = np.sum(
                [column(str(m)) for m in np.atleast_1d(values)], axis=0, dtype=np.int64
            ).astype(np.int32)
        else:
            out[name.removeprefix(_SAME)] = column(name.removeprefix(_SAME))
    return out


def _column_sums(scenario: Scenario, quantities: tuple[Quantity, ...]) -> dict[str, tuple[str, ...]]:
    """Each total over several forces (at no date), with its metric's columns for each of those forces."""
    return {
        q.name: tuple(quantity_named(scenario, q.metric, (force,)).name for force in q.scope)
        for q in quantities
        if q.date is None and len(q.scope) > 1
    }


@dataclass(frozen=True)
class RunData:
    """A finished run read back from its folder: what plots and reports are made from."""

    path: Path
    summary: Summary
    reservoir: dict[str, np.ndarray]
    manifest: dict[str, Any]
    scenario: Scenario


MAX_RUN_FILE_BYTES = {
    "summary.json": 256 * 2**20,
    "manifest.json": 2**20,
    "scenario.toml": MAX_FILE_BYTES,
    "distributions.npz": 2**30,
    "reservoir.npz": 2**30,
}
"""The largest size of each file a run folder must hold, checked before it is read."""


def _regular_file(path: Path, name: str) -> Path:
    """``path / name``, checked to be a regular file inside ``path`` (not a link) within its size cap."""
    file = path / name
    try:
        status = os.lstat(file)
    except FileNotFoundError:
        raise ResultsError(f"{path} is not a complete run folder (missing {name})") from None
    except OSError as error:
        raise ResultsError(f"{file}: cannot be read: {error.strerror}") from None
    if stat.S_ISLNK(status.st_mode):
        raise ResultsError(f"{file} is a symbolic link; sim reads only the run folder's own files")
    if not stat.S_ISREG(status.st_mode):
        raise ResultsError(f"{file} is not a regular file")
    if status.st_size > MAX_RUN_FILE_BYTES[name]:
        raise ResultsError(f"{file} is {status.st_size:,} bytes, more than the {MAX_RUN_FILE_BYTES[name]:,} sim writes")
    return file


def _json_object(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ResultsError(f"{file}: not valid JSON ({type(error).__name__}: {error})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{file}: must hold a JSON object, got {type(data).__name__}")
    return data


def _arrays(file: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` written by sim, each header checked before its data is read, byte-shuffled ones
    restored (:func:`_npz`).

    Every member must be a ``.npy`` array of numbers or fixed-width text (no object arrays: pickles are never
    loaded) whose header's shape and dtype account for the member's size exactly, so a
    header claiming 74 GiB is refused before any memory is allocated.
    """
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(file) as archive:
            for member in archive.infolist():
                if not member.filename.endswith(".npy") or member.file_size > MAX_RUN_FILE_BYTES[file.name]:
                    raise ValueError(f"unexpected member {member.filename!r} ({member.file_size:,} bytes)")
                with archive.open(member) as stream:
                    version = np.lib.format.read_magic(stream)
                    header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, fortran, dtype = header(stream, max_header_size=10_000)
                    if dtype.hasobject or dtype.kind not in "biufU":
                        raise ValueError(f"{member.filename}: dtype {dtype} is not a numeric or text array")
                    size = math.prod(shape) * dtype.itemsize
                    if size != member.file_size - stream.tell():
                        raise ValueError(f"{member.filename}: its header claims {size:,} bytes of data")
                    data = np.frombuffer(stream.read(size), dtype=dtype)
                arrays[member.filename.removesuffix(".npy")] = data.reshape(shape, order="F" if fortran else "C")
        return _unshuffled(arrays)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError, TypeError) as error:
        raise ResultsError(f"{file}: not an array archive sim wrote ({error})") from None


def load_run(run_dir: str | Path) -> RunData:
    """Read a run folder written by :func:`write_run`, checking what it reads.

    ``latest`` (a link sim made) is followed to its sibling run folder; inside the folder no
    link is followed. Every file must be a regular file within :data:`MAX_RUN_FILE_BYTES`,
    the JSON files objects, the ``.npz`` files numeric arrays whose headers match their
    sizes (pickles are never loaded), the summary complete and the scenario valid.

    Raises
    ------
    ResultsError
        The folder is missing, incomplete or damaged (the message names the file).
    """
    path = Path(run_dir)
    if path.is_symlink():
        target = os.readlink(path)
        if "/" in target:
            raise ResultsError(f"{path} is a link out of its folder; give the run folder itself")
        path = path.parent / target
    if not path.is_dir() or path.is_symlink():
        raise ResultsError(f"{path} is not a complete run folder (not a folder)")
    files = {name: _regular_file(path, name) for name in MAX_RUN_FILE_BYTES}
    if (path / "figures").is_symlink():
        raise ResultsError(f"{path / 'figures'} is a symbolic link; sim writes only inside the run folder")
    manifest_data = _json_object(files["manifest.json"])
    try:
        distributions = unpack_distributions(_arrays(files["distributions.npz"]))
    except ValueError as error:
        raise ResultsError(f"{files['distributions.npz']}: not distributions sim wrote ({error})") from None
    try:
        reservoir = _expand(_arrays(files["reservoir.npz"]))
    except ValueError as error:
        raise ResultsError(f"{files['reservoir.npz']}: not a reservoir sim wrote ({error})") from None
    try:
        summary = Summary.from_dict(_json_object(files["summary.json"]), distributions)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as error:
        raise ResultsError(
            f"{files['summary.json']}: not a summary sim wrote ({type(error).__name__}: {error})"
        ) from None
    try:
        text = files["scenario.toml"].read_text(encoding="utf-8")
        scenario = parse_scenario(text, file=str(manifest_data.get("config_file", "scenario.toml")))
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsError(f"{files['scenario.toml']}: cannot be read ({error})") from None
    except ConfigError as error:
        raise ResultsError(f"{files['scenario.toml']}: {error}") from None
    return RunData(path=path, summary=summary, reservoir=reservoir, manifest=manifest_data, scenario=scenario)


def write_run(
    out_dir: Path,
    *,
    summary: Summary,
    result: SimulationResult,
    manifest_data: dict[str, Any],
    save_samples: bool = False,
    reservoir_kept: int | None = RESERVOIR_KEPT,
    force: bool = False,
    unique: bool = False,
    extra_files: dict[str, bytes] | None = None,
    decorate: Callable[[Path], object] | None = None,
) -> Path:
    """Write a run folder atomically (:func:`sim.storage.write_folder`) and point ``latest`` at it.

    ``decorate`` is called with the staging folder once every file is in it and before the
    rename, so what it adds (figures, the report) is part of the atomic write. Arrays are
    stored compressed, pmfs over their support (:func:`pack_distributions`), and the
    reservoir's first ``reservoir_kept`` draws (all with None; ``samples.csv`` too). With
    ``unique`` (a name sim chose), a name taken meanwhile by another run gets a new suffix;
    with ``force``, an existing ``out_dir`` is replaced if sim made it.

    Raises
    ------
    ResultsError
        ``out_dir`` exists and may not be replaced, or it cannot be written (nothing is left behind).
    """
    out_dir = Path(out_dir)
    files: dict[str, bytes] = {
        "summary.json": summary.to_json().encode(),
        "summary.csv": summary_csv(summary).encode(),
        "manifest.json": (json.dumps(manifest_data, indent=2) + "\n").encode(),
        "scenario.toml": result.plan.scenario.text.encode(),
        "distributions.npz": _npz(pack_distributions(summary.distributions, draws=result.plan.draws)),
        "reservoir.npz": _npz(
            _compact(result.reservoir, reservoir_kept, _column_sums(result.plan.scenario, result.plan.quantities))
        ),
    }
    if save_samples:
        files["samples.csv"] = samples_csv({k: v[:reservoir_kept] for k, v in result.reservoir.items()}).encode()
    files.update(extra_files or {})
    try:
        written = write_folder(out_dir, files, decorate=decorate, replace=force, unique=unique)
    except StorageError as error:
        raise ResultsError(str(error)) from None
    except OSError as error:
        raise ResultsError(f"cannot write {out_dir}: {error.strerror or error}") from None
    _point_latest(written)
    return written


def _point_latest(run_dir: Path) -> None:
    """Point ``<parent>/latest`` at ``run_dir``, atomically, if ``latest`` is absent or a link sim made.

    A link sim made names a sibling folder (no ``/``); anything else there (a user's file,
    folder or link) is left alone with a note on stderr.
    """
    link = run_dir.parent / "latest"
    if os.path.lexists(link) and not (link.is_symlink() and "/" not in os.readlink(link)):
        print(f"note: {link} is not a link sim made; left as it is", file=sys.stderr)
        return
    temporary = run_dir.parent / f".latest.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        with signals_deferred():  # an interruption never leaves the temporary link behind
            temporary.symlink_to(run_dir.name)
            temporary.replace(link)
    except OSError:
        temporary.unlink(missing_ok=True)
        print(f"note: could not update {link}", file=sys.stderr)


@dataclass(frozen=True)
class RunEntry:
    """One run folder of a scenario, as :func:`list_runs` finds it."""

    path: Path
    started: str
    """``started_utc`` from its manifest (empty if the manifest cannot be read)."""
    draws: int | None
    size: int
    """Bytes of every file in the folder."""
    latest: bool
    """Whether ``<scenario>/latest`` points at it."""


def _folder_size(folder: Path) -> int:
    total = 0
    for base, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total


def list_runs(scenario_dir: str | Path) -> list[RunEntry]:
    """The run folders sim made under ``scenario_dir`` (``results/<scenario>``), oldest first.

    Only real folders carrying sim's marker (:func:`sim.storage.is_sim_made`) are listed;
    hidden staging folders, links and anything else there are ignored. Runs are ordered by
    the start time in their manifest, then by name.
    """
    scenario_dir = Path(scenario_dir)
    latest = scenario_dir / "latest"
    target = os.readlink(latest) if latest.is_symlink() else None
    entries = []
    with contextlib.suppress(OSError):
        for child in sorted(scenario_dir.iterdir()):
            if child.name.startswith(".") or child.name == "latest" or not is_sim_made(child):
                continue
            try:
                data = json.loads((child / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            data = data if isinstance(data, dict) else {}
            draws = data.get("draws")
            entries.append(
                RunEntry(
                    path=child,
                    started=str(data.get("started_utc", "")),
                    draws=draws if isinstance(draws, int) else None,
                    size=_folder_size(child),
                    latest=child.name == target,
                )
            )
    return sorted(entries, key=lambda entry: (entry.started, entry.path.name))


def prune_runs(scenario_dir: str | Path, *, keep: int, dry_run: bool = False) -> list[RunEntry]:
    """Remove all but the newest ``keep`` runs of :func:`list_runs`; return the runs removed.

    Only folders sim made are candidates, each checked again just before it is removed;
    the run ``latest`` points at is always kept (even with ``keep=0``), so ``latest`` never
    dangles. With ``dry_run`` nothing is removed.
    """
    if keep < 0:
        raise ValueError(f"keep must be at least 0, got {keep}")
    runs = list_runs(scenario_dir)
    doomed = [entry for entry in runs[: max(len(runs) - keep, 0)] if not entry.latest]
    removed = []
    for entry in doomed:
        if dry_run:
            removed.append(entry)
        elif is_sim_made(entry.path):
            shutil.rmtree(entry.path)
            removed.append(entry)
    return removed
