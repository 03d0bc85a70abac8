"""Start-up time of the command: ``sim --help`` and ``sim check`` (median of 5 runs each).

``sim --help`` loads typer and rich only (no NumPy, SciPy or matplotlib; see sim/cli.py);
the target is under 0.3 s on an idle machine. Printed by ``make bench``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
COMMANDS = {
    "sim --help": ["--help"],
    "sim check configs/kursk.toml": ["check", str(ROOT / "configs" / "kursk.toml")],
}


def median_seconds(arguments: list[str], repeats: int = REPEATS) -> float:
    """The median wall time of ``python -m sim <arguments>`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", *arguments], capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    for label, arguments in COMMANDS.items():
        print(f"{label:32s} {median_seconds(arguments):.3f} s (median of {REPEATS})")


if __name__ == "__main__":
    main()
