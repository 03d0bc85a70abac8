"""sim: a Monte Carlo casualty-uncertainty simulator.

Priors over deployment sizes, fatality rates and reporting bias become a distribution of
the true toll, with credible intervals, and a verdict on each published claim.
"""

from sim._version import __version__
from sim.config import ConfigError, Scenario, load_scenario, parse_scenario
from sim.engine import SimulationResult, simulate
from sim.inference import ConditioningError
from sim.summary import Summary, summarize

__all__ = [
    "ConditioningError",
    "ConfigError",
    "Scenario",
    "SimulationResult",
    "Summary",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "simulate",
    "summarize",
]
