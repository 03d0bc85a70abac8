"""Every cap on what sim will do, in one place, checked before any work starts.

Each cap is far above any real use and far below what would exhaust a machine; a value
over one is refused with one line (exit code 2) before a file is read past the cap or a
draw is simulated. The scenario loader applies the file and scenario caps (so ``sim
check`` refuses all that ``sim run`` would); :func:`sim.pipeline.check_request` applies the
command-line caps for every command alike.
"""

from __future__ import annotations

from sim.processes import cores

__all__ = [
    "MAX_CHUNK_SIZE",
    "MAX_CLAIMS",
    "MAX_DRAWS",
    "MAX_FILE_BYTES",
    "MAX_FORCES",
    "MAX_GRID_POINTS",
    "MAX_LEVELS",
    "MAX_RESAMPLES",
    "MAX_SEED",
    "MAX_SOBOL_N",
    "MAX_SOURCES",
    "WORKERS_PER_CORE",
    "max_workers",
]

MAX_FILE_BYTES = 4 * 2**20
"""Largest scenario file read (4 MiB; the longest shipped scenario is about 40 kB)."""
MAX_FORCES = 200
"""Most forces in a scenario (each adds a column of draws and a figure row)."""
MAX_CLAIMS = 1_000
"""Most claims in a scenario (each adds tallies, a table row and a sentence)."""
MAX_SOURCES = 1_000
"""Most sources in a scenario."""
MAX_LEVELS = 20
"""Most credible levels (each is an interval in every table)."""
MAX_DRAWS = 10**10
"""Most Monte Carlo draws of one run."""
MAX_CHUNK_SIZE = 2**24
"""Most draws in one chunk (a chunk's arrays are held in memory at once)."""
MAX_SEED = 2**128 - 1
"""Largest seed (NumPy's SeedSequence takes any non-negative integer; 128 bits is its entropy)."""
MAX_GRID_POINTS = 10**7
"""Most points of a sweep's grid, even with ``--yes`` (checked before the grid is built)."""
MAX_RESAMPLES = 100_000
"""Most bootstrap resamples of ``sim sobol``."""
MAX_SOBOL_N = 2**22
"""Largest base sample of ``sim sobol`` (the model runs n·(inputs + 2) times)."""
WORKERS_PER_CORE = 4
"""More worker processes than this many per core only adds memory and switching."""


def max_workers() -> int:
    """The most worker processes accepted here: :data:`WORKERS_PER_CORE` per core, and at least 8."""
    return max(8, WORKERS_PER_CORE * cores())
