"""One chunk of Monte Carlo draws of the casualty model.

Per draw ``i`` and force ``k`` (DESIGN.md, "The model"):

1. size ``N_k`` from its prior, rounded to a whole number; fatality rate ``f_k`` from its
   prior, or ``f_k = 1 − exp(−h_k·T_k)`` from a daily hazard and a duration;
2. killed ``K_k ~ Binomial(N_k, f_k)``, exactly;
3. with a wounded-per-killed ratio ``w``: wounded ``W_k = min(round(w·K_k), N_k − K_k)`` (no
   more wounded than survivors), casualties ``C_k = K_k + W_k`` (+ captured/missing where
   the force gives them).

Everything is vectorised over the draws of a chunk. Randomness enters only through the
``streams`` argument: each input (by its key path) and each force's binomial draws from its
own generator, so that pinning or changing one prior leaves every other input's draws
unchanged (common random numbers for sensitivity analysis).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.config import Force, Scenario
from sim.priors import PriorSpec

__all__ = [
    "Binomial",
    "Draws",
    "ForceDraws",
    "Quantity",
    "Sampler",
    "Streams",
    "draw_chunk",
    "evaluate",
    "quantities_of",
]


@dataclass(frozen=True)
class Quantity:
    """A summed outcome: a metric (``killed``/``casualties``) over a scope of forces."""

    metric: str
    scope: tuple[str, ...]
    name: str


def quantities_of(scenario: Scenario) -> tuple[Quantity, ...]:
    """The outcomes a run summarises: totals, each force, and each claim's scope.

    Totals come first, then one row per force (when there are several), then any other
    scope a claim uses. Casualties appear when the scenario models them.
    """
    everyone = tuple(force.id for force in scenario.forces)
    metrics = ("killed", "casualties") if scenario.has_casualties else ("killed",)
    scopes: list[tuple[str, ...]] = [everyone]
    if len(everyone) > 1:
        scopes.extend((force_id,) for force_id in everyone)
    scopes.extend(claim.scope for claim in scenario.claims if claim.scope not in scopes)
    out: list[Quantity] = []
    for metric in metrics:
        for scope in dict.fromkeys(scopes):
            name = metric if scope == everyone else f"{metric}[{'+'.join(scope)}]"
            out.append(Quantity(metric=metric, scope=scope, name=name))
    return tuple(out)


@dataclass(frozen=True)
class ForceDraws:
    """The draws of one force: inputs and outcomes, one entry per draw."""

    size: np.ndarray
    fatality_rate: np.ndarray
    killed: np.ndarray
    days: np.ndarray | None = None
    wounded_per_killed: np.ndarray | None = None
    missing: np.ndarray | None = None
    casualties: np.ndarray | None = None

    def take(self, count: int) -> ForceDraws:
        """The first ``count`` draws."""
        return ForceDraws(**{k: None if v is None else v[:count] for k, v in vars(self).items()})


@dataclass(frozen=True)
class Draws:
    """One chunk of draws: per-force draws and every sampled input by its key path."""

    n: int
    forces: dict[str, ForceDraws]
    inputs: dict[str, np.ndarray]

    def metric(self, quantity: Quantity) -> np.ndarray:
        """Per-draw value of ``quantity`` (int64)."""
        field = "killed" if quantity.metric == "killed" else "casualties"
        values = [getattr(self.forces[force_id], field) for force_id in quantity.scope]
        total = values[0]
        for more in values[1:]:
            total = total + more
        return total

    def take(self, count: int) -> Draws:
        """The first ``count`` draws (a view, no copy)."""
        return Draws(
            n=min(count, self.n),
            forces={k: f.take(count) for k, f in self.forces.items()},
            inputs={k: v[:count] for k, v in self.inputs.items()},
        )


Streams = Callable[[str], np.random.Generator]
"""A generator for each named stream of a chunk (``forces.combat.size``, ``binomial:combat``, ...)."""


Sampler = Callable[[PriorSpec], np.ndarray]
"""The values of a prior for every draw (random draws, or quantiles of given uniforms)."""
Binomial = Callable[[str, np.ndarray, np.ndarray], np.ndarray]
"""Killed given a force id, its sizes and its fatality rates: exact ``Binomial(N, f)`` draws."""


def _whole(values: np.ndarray) -> np.ndarray:
    return np.rint(values).astype(np.int64)


def _force_draws(
    force: Force, wounded: np.ndarray | None, sample: Sampler, binomial: Binomial, inputs: dict[str, np.ndarray]
) -> ForceDraws:
    size = _whole(sample(force.size))
    inputs[force.size.path] = size
    days = None
    if force.fatality_rate is not None:
        rate = sample(force.fatality_rate)
        inputs[force.fatality_rate.path] = rate
    else:
        hazard = sample(force.daily_hazard)  # type: ignore[arg-type]
        days = sample(force.days)  # type: ignore[arg-type]
        inputs[force.daily_hazard.path] = hazard  # type: ignore[union-attr]
        inputs[force.days.path] = days  # type: ignore[union-attr]
        rate = -np.expm1(-hazard * days)
        inputs[f"forces.{force.id}.fatality_rate"] = rate
    if force.wounded_per_killed is not None:
        wounded = sample(force.wounded_per_killed)
        inputs[force.wounded_per_killed.path] = wounded
    missing = None
    if force.missing is not None:
        missing = _whole(sample(force.missing))
        inputs[force.missing.path] = missing
    killed = binomial(force.id, size, rate)
    casualties = None
    if wounded is not None:
        casualties = killed + np.minimum(_whole(wounded * killed), size - killed)
        if missing is not None:
            casualties += missing
    return ForceDraws(
        size=size,
        fatality_rate=rate,
        killed=killed,
        days=days,
        wounded_per_killed=wounded,
        missing=missing,
        casualties=casualties,
    )


def evaluate(scenario: Scenario, n: int, *, sample: Sampler, binomial: Binomial) -> Draws:
    """The model for ``n`` draws, given how each prior's values and each binomial are obtained.

    :func:`draw_chunk` samples them at random; Sobol' analysis (:mod:`sim.sensitivity`) feeds
    quantiles of given uniforms instead.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    n : int
        Number of draws.
    sample : callable
        ``sample(prior)``: the prior's values for the ``n`` draws (floats).
    binomial : callable
        ``binomial(force_id, size, rate)``: killed for each draw.

    Returns
    -------
    Draws
    """
    inputs: dict[str, np.ndarray] = {}
    shared_wounded = None
    if scenario.wounded_per_killed is not None:
        shared_wounded = sample(scenario.wounded_per_killed)
        inputs[scenario.wounded_per_killed.path] = shared_wounded
    forces = {force.id: _force_draws(force, shared_wounded, sample, binomial, inputs) for force in scenario.forces}
    return Draws(n=n, forces=forces, inputs=inputs)


def draw_chunk(scenario: Scenario, n: int, streams: Streams) -> Draws:
    """Draw ``n`` joint samples of every prior and the resulting tolls.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    n : int
        Number of draws.
    streams : callable
        ``streams(name)`` returns the chunk's generator for the stream ``name``: a prior's
        key path for its draws, ``binomial:<force id>`` for a force's binomial.

    Returns
    -------
    Draws
    """

    def sample(prior: PriorSpec) -> np.ndarray:
        return np.asarray(prior.distribution.rvs(size=n, random_state=streams(prior.path)), dtype=float)

    def binomial(force_id: str, size: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return streams(f"binomial:{force_id}").binomial(size, rate)

    return evaluate(scenario, n, sample=sample, binomial=binomial)
