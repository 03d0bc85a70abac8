"""Sensitivity analysis: parameter sweeps, tornado charts and Sobol' indices.

One job per module: :mod:`~sim.sensitivity.axes` (swept values from the command line),
:mod:`~sim.sensitivity.points` (edited scenarios simulated, serially or in workers),
:mod:`~sim.sensitivity.sweeps`, :mod:`~sim.sensitivity.tornadoes`, :mod:`~sim.sensitivity.variance`
(Sobol'), and :mod:`~sim.sensitivity.results` (result classes, provenance, tables, folders).

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

Every edited document goes back through the loader (:func:`sim.keypaths.scenario_at` writes it as
TOML for :func:`sim.config.parse_scenario`), so a value outside its domain is refused with the
loader's own message, and the point is named.

Common random numbers
---------------------
Every point of a sweep and every pin of a tornado runs the full simulation with the same
seed. Each input draws from its own stream (:func:`sim.engine.chunk_streams`), so pinning or
changing one prior leaves every other input's draws unchanged. Differences between points
therefore come from the parameter, not from Monte Carlo noise.
"""

from __future__ import annotations

from sim.defaults import GRID_LIMIT
from sim.keypaths import Value, edit_document, parameter_paths
from sim.sensitivity.axes import Axis, parse_axis, parse_setting
from sim.sensitivity.points import (
    DEFAULT_DRAWS,
    PointResult,
    Progress,
    SensitivityError,
    output_names,
    point_statistics,
    point_warnings,
)
from sim.sensitivity.results import (
    Provenance,
    SobolIndices,
    SobolOutput,
    SobolResult,
    SweepResult,
    Tables,
    TornadoBar,
    TornadoResult,
    manifest,
    output_folder,
    table_csv,
    write_atomically,
)
from sim.sensitivity.sweeps import sweep
from sim.sensitivity.tornadoes import tornado
from sim.sensitivity.variance import DEFAULT_SOBOL_N, sobol, sobol_indices

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
    "Tables",
    "TornadoBar",
    "TornadoResult",
    "Value",
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
    "table_csv",
    "tornado",
    "write_atomically",
]
