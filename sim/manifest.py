"""What every folder sim writes says about how it was produced: ``manifest.json``.

One record for run folders (:func:`sim.results.manifest`) and analysis folders
(:func:`sim.sensitivity.manifest`): what ran (the ``origin`` each passes), then the same account
of the software, the machine, the command and the times (:func:`production`).
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from sim import __version__

__all__ = ["git_commit", "production"]


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


def production(
    origin: Mapping[str, Any],
    *,
    command: list[str],
    started: datetime,
    elapsed: float,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``origin`` (what ran: scenario, file hash, seed, sizes), then the versions of sim, numpy, scipy and
    Python, the platform, the git commit, the command, the start and end times (UTC) and the wall time, then
    ``extra``."""
    return {
        **origin,
        "sim_version": __version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": git_commit(),
        "command": command,
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(elapsed, 3),
        **(extra or {}),
    }
