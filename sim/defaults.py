"""Defaults the library and the command line share, in a module that imports nothing.

The command line shows them in ``--help`` before NumPy and SciPy load (see :mod:`sim.cli`);
:mod:`sim.sensitivity` and :mod:`sim.robust` take their defaults from here.
"""

from __future__ import annotations

__all__ = ["ANALYSIS_DRAWS", "GRID_LIMIT", "SOBOL_N"]

ANALYSIS_DRAWS = 200_000
"""Draws per point of a sweep or tornado, and per variant of ``sim robust``."""
SOBOL_N = 2**14
"""The Sobol' base sample size (a power of 2)."""
GRID_LIMIT = 1_000_000
"""A sweep grid with more points than this needs ``--yes``."""
