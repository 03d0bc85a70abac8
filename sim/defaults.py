"""Defaults the library and the command line share, in a module that imports nothing.

The command line shows them in ``--help`` before NumPy and SciPy load (see :mod:`sim.cli`);
:mod:`sim.sensitivity` and :mod:`sim.robust` take their defaults from here.
"""

from __future__ import annotations

__all__ = ["ANALYSIS_DRAWS", "GRID_LIMIT", "RESERVOIR_KEPT", "RESERVOIR_SIZE", "SOBOL_N"]

ANALYSIS_DRAWS = 200_000
"""Draws per point of a sweep or tornado, and per variant of ``sim robust``."""
SOBOL_N = 2**14
"""The Sobol' base sample size (a power of 2)."""
GRID_LIMIT = 1_000_000
"""A sweep grid with more points than this needs ``--yes``."""
RESERVOIR_SIZE = 100_000
"""Draws the engine keeps for plots and ``--save-samples`` (the first of the run, chunk by chunk)."""
RESERVOIR_KEPT = 2_000
"""Draws of the reservoir a run folder keeps by default (``--full-reservoir`` keeps all :data:`RESERVOIR_SIZE`).

No figure, report or comparison reads the reservoir (they read the exact pmfs in
``distributions.npz``); it is there for ``samples.csv`` and a user's own scatter plots of
inputs against outcomes (2,000 points). The Kursk default's 90 columns take 0.19 MB at 2,000 draws, 0.47 MB at
5,000: the 2,000 keep its folder under 3 MB (docs/run-folders.md).
"""
