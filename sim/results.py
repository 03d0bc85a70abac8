"""Run folders: ``results/<scenario>/<run-id>/``, written atomically, with a manifest.

A run is written into a hidden temporary folder beside its destination and renamed into
place only when every file is complete, so an interrupted run leaves no folder that looks
valid. ``results/<scenario>/latest`` points at the newest run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from sim import __version__
from sim.config import Scenario, parse_scenario
from sim.engine import SimulationResult
from sim.storage import StorageError, is_sim_made, write_folder
from sim.summary import Summary

__all__ = [
    "RESERVOIR_KEPT",
    "ResultsError",
    "RunData",
    "RunEntry",
    "git_commit",
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
RESERVOIR_KEPT = 10_000
"""Draws of the reservoir a run folder keeps by default (``--full-reservoir`` keeps all the engine kept, 100,000).

No figure, report or comparison reads the reservoir (they read the exact pmfs in
``distributions.npz``); it is there for ``samples.csv`` and a user's own scatter plots of
inputs against outcomes. 10,000 draws keep a run folder of the Kursk default under 3 MB.
"""
_SUPPORT = "~support/"
_SAME = "~same/"


class ResultsError(StorageError):
    """A run folder that cannot be written (exists without ``--force``, not sim's, not writable) or read."""


def git_commit() -> str | None:
    """The commit of the sim checkout being run (with ``-dirty`` when modified), if it is one."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def manifest(
    result: SimulationResult, *, command: list[str], started: datetime, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything needed to reproduce and cite a run."""
    plan = result.plan
    scenario = plan.scenario
    return {
        "scenario": scenario.name,
        "config_file": scenario.file,
        "config_sha256": scenario.sha256,
        "seed": plan.seed,
        "draws": plan.draws,
        "chunk_size": plan.chunk_size,
        "condition_on": list(plan.condition_on),
        "workers": result.workers,
        "sim_version": __version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": git_commit(),
        "command": command,
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(result.elapsed, 3),
        **(extra or {}),
    }


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
    """The arrays as a compressed ``.npz`` (zip deflate, lossless)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def pack_distributions(distributions: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each one-dimensional array cut to its support (first to last non-zero entry), losslessly.

    A cut array ``name`` gets a companion ``~support/<name>`` = ``[start, length]`` (int64),
    from which :func:`unpack_distributions` restores the zeros; the stored values are the
    same float64 numbers, so every statistic computed from them is unchanged.
    """
    packed: dict[str, np.ndarray] = {}
    for name, values in distributions.items():
        nonzero = np.flatnonzero(values) if values.ndim == 1 else None
        if nonzero is None or (nonzero.size and nonzero[0] == 0 and nonzero[-1] == values.size - 1):
            packed[name] = values
            continue
        start, stop = (int(nonzero[0]), int(nonzero[-1]) + 1) if nonzero.size else (0, 0)
        packed[name] = values[start:stop]
        packed[_SUPPORT + name] = np.array([start, values.size], dtype=np.int64)
    return packed


def unpack_distributions(packed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays :func:`pack_distributions` cut, restored to their full length (zeros outside the support)."""
    distributions: dict[str, np.ndarray] = {}
    for name, values in packed.items():
        if name.startswith(_SUPPORT):
            continue
        support = packed.get(_SUPPORT + name)
        if support is None:
            distributions[name] = values
            continue
        start, size = (int(v) for v in support)
        full = np.zeros(size, dtype=values.dtype)
        full[start : start + values.size] = values
        distributions[name] = full
    return distributions


def _compact(reservoir: dict[str, np.ndarray], kept: int | None) -> dict[str, np.ndarray]:
    """The first ``kept`` draws of the reservoir (all when None) in 32-bit types, each column once.

    Counts stay exact below 2**31; inputs keep 7 significant digits. A column equal to an
    earlier one (``served[f]`` is ``forces.f.size`` when the size is a prior) is stored as
    ``~same/<name>`` holding the earlier column's name; :func:`_expand` restores it.
    """
    compact: dict[str, np.ndarray] = {}
    for name, values in reservoir.items():
        column = values[:kept].astype(np.int32 if np.issubdtype(values.dtype, np.integer) else np.float32)
        twin = next((k for k, v in compact.items() if v.dtype == column.dtype and np.array_equal(v, column)), None)
        compact[name if twin is None else _SAME + name] = column if twin is None else np.array(twin)
    return compact


def _expand(stored: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reservoir :func:`_compact` stored, with every column under its own name."""
    return {
        name.removeprefix(_SAME): stored[str(values)] if name.startswith(_SAME) else values
        for name, values in stored.items()
    }


@dataclass(frozen=True)
class RunData:
    """A finished run read back from its folder: what plots and reports are made from."""

    path: Path
    summary: Summary
    reservoir: dict[str, np.ndarray]
    manifest: dict[str, Any]
    scenario: Scenario


def load_run(run_dir: str | Path) -> RunData:
    """Read a run folder written by :func:`write_run`.

    Raises
    ------
    ResultsError
        The folder is missing or is not a complete run folder.
    """
    path = Path(run_dir)
    if path.is_symlink() or path.name == "latest":
        path = path.resolve()
    needed = ("summary.json", "manifest.json", "scenario.toml", "distributions.npz", "reservoir.npz")
    missing = [name for name in needed if not (path / name).is_file()]
    if missing:
        raise ResultsError(f"{path} is not a complete run folder (missing {', '.join(missing)})")
    manifest_data = json.loads((path / "manifest.json").read_text())
    with np.load(path / "distributions.npz") as data:
        distributions = unpack_distributions({k: data[k] for k in data.files})
    with np.load(path / "reservoir.npz") as data:
        reservoir = _expand({k: data[k] for k in data.files})
    summary = Summary.from_dict(json.loads((path / "summary.json").read_text()), distributions)
    scenario = parse_scenario(
        (path / "scenario.toml").read_text(), file=manifest_data.get("config_file", "scenario.toml")
    )
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
        "distributions.npz": _npz(pack_distributions(summary.distributions)),
        "reservoir.npz": _npz(_compact(result.reservoir, reservoir_kept)),
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
