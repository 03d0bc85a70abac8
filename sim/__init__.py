"""sim: a Monte Carlo casualty-uncertainty simulator.

Priors over deployment sizes, fatality rates and reporting bias become a distribution of
the true toll, with credible intervals, and a verdict on each published claim.

The names below are imported on first use (PEP 562), so that ``import sim.launch`` (the
command's entry point) can take charge of signals before NumPy and SciPy load.
"""

from __future__ import annotations

import importlib

from sim._version import __version__

__all__ = [
    "ConditioningError",
    "ConfigError",
    "RequestError",
    "Run",
    "Scenario",
    "SimulationResult",
    "Summary",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "run",
    "simulate",
    "summarize",
]

_HOMES = {
    "ConditioningError": "sim.inference",
    "ConfigError": "sim.config",
    "RequestError": "sim.pipeline",
    "Run": "sim.pipeline",
    "Scenario": "sim.config",
    "SimulationResult": "sim.engine",
    "Summary": "sim.summary",
    "load_scenario": "sim.config",
    "parse_scenario": "sim.config",
    "run": "sim.pipeline",
    "simulate": "sim.engine",
    "summarize": "sim.summary",
}


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
