"""One chunk of Monte Carlo draws of the casualty model.

Per draw ``i`` and force ``k`` (DESIGN.md, "The model", with the wounded model of issue 12):

1. size ``N`` from its prior, rounded to a whole number; fatality rate ``f`` from its
   prior, or ``f = 1 − exp(−h·T)`` from a daily hazard and a duration;
2. killed in action ``K ~ Binomial(N, f)``, exactly;
3. with a wounded-per-killed ratio ``w``: ``w·K`` woundings fall on the ``N − K`` survivors
   as a Poisson process, and a survivor is wounded if hit at least once, so
   ``W ~ Binomial(N − K, q)`` with ``q = 1 − exp(−w·K/(N − K))``. ``E[W] = (N − K)·q ≤ w·K``,
   within a fraction ``x/2`` of ``w·K`` for a load ``x = w·K/(N − K)`` (``x ≪ 1``), and
   ``W ≤ N − K`` always: the wounded never outnumber the survivors and nothing is clipped.
   Casualties ``C = K + W`` (+ captured/missing where the force gives them);
4. with a died-of-wounds fraction ``d``: died of wounds ``D ~ Binomial(W, d)`` (so that,
   given ``K``, ``D ~ Binomial(N − K, q·d)`` by binomial thinning);
5. with a non-battle daily hazard ``b`` (accidents, disease, suicide) over the ``T`` days:
   ``B ~ Binomial(N − K − W, 1 − exp(−b·T))`` among the unwounded survivors (a competing-
   risks simplification: battle deaths and wounds are drawn first);
6. all deaths ``K + D + B``.

Metrics (:data:`sim.config.METRICS`): ``killed`` (in action), ``wounded``, ``casualties``,
``died_of_wounds`` and ``deaths``.

Everything is vectorised over the draws of a chunk. Randomness enters only through the
``streams`` argument: each input (by its key path) and each binomial draw (by
:func:`binomial_streams`) has its own generator, so that pinning or changing one prior leaves
every other input's draws unchanged (common random numbers for sensitivity analysis).
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
    "binomial_streams",
    "draw_chunk",
    "evaluate",
    "quantities_of",
    "wounded_probability",
]


@dataclass(frozen=True)
class Quantity:
    """A summed outcome: a metric (:data:`sim.config.METRICS`) over a scope of forces."""

    metric: str
    scope: tuple[str, ...]
    name: str


def quantities_of(scenario: Scenario) -> tuple[Quantity, ...]:
    """The outcomes a run summarises: totals, each force, and each claim's scope.

    Totals come first, then one row per force (when there are several), then any other
    scope a claim uses. Casualties appear when the scenario models them, all deaths when it
    models deaths other than killed in action; wounded and died of wounds where a claim
    counts them.
    """
    everyone = tuple(force.id for force in scenario.forces)
    metrics = ["killed"]
    if scenario.has_casualties:
        metrics.append("casualties")
    if scenario.has_later_deaths:
        metrics.append("deaths")
    metrics.extend(claim.metric for claim in scenario.claims if claim.metric not in metrics)
    scopes: list[tuple[str, ...]] = [everyone]
    if len(everyone) > 1:
        scopes.extend((force_id,) for force_id in everyone)
    scopes.extend(claim.scope for claim in scenario.claims if claim.scope not in scopes)
    out: list[Quantity] = []
    for metric in metrics:
        for scope in dict.fromkeys(scopes):
            group = scenario.group_of(scope)
            where = group.id if group is not None else "+".join(scope)
            name = metric if scope == everyone else f"{metric}[{where}]"
            out.append(Quantity(metric=metric, scope=scope, name=name))
    return tuple(out)


@dataclass(frozen=True)
class ForceDraws:
    """The draws of one force: inputs and outcomes, one entry per draw.

    ``wounded_rate`` is ``q``, the chance that a survivor is wounded at least once;
    ``died_of_wounds_fraction`` is ``d`` and ``non_battle_rate`` is ``p`` (see the module docstring).
    """

    size: np.ndarray
    fatality_rate: np.ndarray
    killed: np.ndarray
    deaths: np.ndarray
    days: np.ndarray | None = None
    wounded_per_killed: np.ndarray | None = None
    missing: np.ndarray | None = None
    wounded: np.ndarray | None = None
    wounded_rate: np.ndarray | None = None
    casualties: np.ndarray | None = None
    died_of_wounds_fraction: np.ndarray | None = None
    died_of_wounds: np.ndarray | None = None
    non_battle_rate: np.ndarray | None = None
    non_battle: np.ndarray | None = None

    def take(self, count: int) -> ForceDraws:
        """The first ``count`` draws."""
        return ForceDraws(**{k: None if v is None else v[:count] for k, v in vars(self).items()})

    def outcome(self, metric: str) -> np.ndarray:
        """Per-draw value of ``metric`` for this force; ``died_of_wounds`` is 0 without a fraction."""
        if metric == "died_of_wounds" and self.died_of_wounds is None:
            return np.zeros_like(self.killed)
        return getattr(self, metric)

    def last_stage(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rest, trials, p)`` with ``metric = rest + Binomial(trials, p)`` given everything drawn before.

        The last binomial draw of the metric, for conditional (Rao–Blackwell) tail estimates:
        ``P(metric ≤ x | rest) = bdtr(x − rest, trials, p)``. Not for ``killed``, which is
        integrated over its fatality-rate prior instead (:func:`sim.inference.conditional_cdf`).
        """
        zero = np.zeros_like(self.killed)
        survivors = self.size - self.killed
        if metric in ("wounded", "casualties"):
            rest = zero if metric == "wounded" else self.killed + (zero if self.missing is None else self.missing)
            return rest, survivors, self.wounded_rate  # type: ignore[return-value]
        if metric == "died_of_wounds":
            return zero, self.wounded, self.died_of_wounds_fraction  # type: ignore[return-value]
        # deaths = K + D + B (with D or B): the last draw is the non-battle deaths B, else the died of wounds D
        if self.non_battle is not None:
            at_risk = survivors if self.wounded is None else survivors - self.wounded
            return self.deaths - self.non_battle, at_risk, self.non_battle_rate  # type: ignore[return-value]
        return self.killed, self.wounded, self.died_of_wounds_fraction  # type: ignore[return-value]


@dataclass(frozen=True)
class Draws:
    """One chunk of draws: per-force draws and every sampled input by its key path."""

    n: int
    forces: dict[str, ForceDraws]
    inputs: dict[str, np.ndarray]

    def metric(self, quantity: Quantity) -> np.ndarray:
        """Per-draw value of ``quantity`` (int64)."""
        values = [self.forces[force_id].outcome(quantity.metric) for force_id in quantity.scope]
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
"""Exact ``Binomial(n, p)`` draws given the stream's name (:func:`binomial_streams`), ``n`` and ``p``."""


def binomial_streams(scenario: Scenario) -> tuple[str, ...]:
    """The name of every binomial draw of the model: ``<stage>:<force id>``, in drawing order.

    ``binomial`` draws the killed, ``wounded`` the wounded among the survivors, ``died_of_wounds``
    the deaths among the wounded and ``non_battle`` the non-battle deaths.
    """
    out: list[str] = []
    for force in scenario.forces:
        out.append(f"binomial:{force.id}")
        if scenario.force_wounded(force) is not None:
            out.append(f"wounded:{force.id}")
            if scenario.force_died_of_wounds(force) is not None:
                out.append(f"died_of_wounds:{force.id}")
        if force.non_battle_hazard is not None:
            out.append(f"non_battle:{force.id}")
    return tuple(out)


def _whole(values: np.ndarray) -> np.ndarray:
    return np.rint(values).astype(np.int64)


def wounded_probability(wounded_per_killed: np.ndarray, killed: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``q = 1 − exp(−w·K/(N − K))``: the chance that a survivor is wounded at least once.

    ``w·K`` woundings fall on the ``N − K`` survivors as a Poisson process (each survivor
    independently, with mean ``w·K/(N − K)`` woundings); ``q`` is the chance of at least one.
    With no survivors ``q`` is 0 (there is no one left to wound).
    """
    survivors = size - killed
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(survivors > 0, wounded_per_killed * killed / np.maximum(survivors, 1), 0.0)
    return -np.expm1(-load)


def _sample_input(
    prior: PriorSpec | None, sample: Sampler, inputs: dict[str, np.ndarray], shared: np.ndarray | None = None
) -> np.ndarray | None:
    """A force's own prior's values (recorded under its key path), else the scenario-wide ``shared`` ones."""
    if prior is None:
        return shared
    values = sample(prior)
    inputs[prior.path] = values
    return values


def _force_draws(
    force: Force,
    shared: dict[str, np.ndarray | None],
    sample: Sampler,
    binomial: Binomial,
    inputs: dict[str, np.ndarray],
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
    wounded_ratio = _sample_input(force.wounded_per_killed, sample, inputs, shared["wounded_per_killed"])
    dow_fraction = _sample_input(force.died_of_wounds, sample, inputs, shared["died_of_wounds"])
    missing = None
    if force.missing is not None:
        missing = _whole(sample(force.missing))
        inputs[force.missing.path] = missing
    non_battle_rate = None
    if force.non_battle_hazard is not None:
        non_battle_hazard = sample(force.non_battle_hazard)
        inputs[force.non_battle_hazard.path] = non_battle_hazard
        non_battle_rate = -np.expm1(-non_battle_hazard * days)  # type: ignore[operator]
    killed = binomial(f"binomial:{force.id}", size, rate)
    at_risk = size - killed
    wounded = wounded_rate = casualties = died = None
    if wounded_ratio is not None:
        wounded_rate = wounded_probability(wounded_ratio, killed, size)
        wounded = binomial(f"wounded:{force.id}", at_risk, wounded_rate)
        at_risk = at_risk - wounded
        casualties = killed + wounded
        if missing is not None:
            casualties = casualties + missing
        if dow_fraction is not None:
            died = binomial(f"died_of_wounds:{force.id}", wounded, dow_fraction)
    deaths = killed if died is None else killed + died
    non_battle = None
    if non_battle_rate is not None:
        non_battle = binomial(f"non_battle:{force.id}", at_risk, non_battle_rate)
        deaths = deaths + non_battle
    return ForceDraws(
        size=size,
        fatality_rate=rate,
        killed=killed,
        deaths=deaths,
        days=days,
        wounded_per_killed=wounded_ratio,
        missing=missing,
        wounded=wounded,
        wounded_rate=wounded_rate,
        casualties=casualties,
        died_of_wounds_fraction=dow_fraction,
        died_of_wounds=died,
        non_battle_rate=non_battle_rate,
        non_battle=non_battle,
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
        ``binomial(stream, trials, p)``: exact binomial draws for the stream named
        (:func:`binomial_streams`).

    Returns
    -------
    Draws
    """
    inputs: dict[str, np.ndarray] = {}
    shared = {
        "wounded_per_killed": _sample_input(scenario.wounded_per_killed, sample, inputs),
        "died_of_wounds": _sample_input(scenario.died_of_wounds, sample, inputs),
    }
    forces = {force.id: _force_draws(force, shared, sample, binomial, inputs) for force in scenario.forces}
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
        key path for its draws, :func:`binomial_streams` for the binomials.

    Returns
    -------
    Draws
    """

    def sample(prior: PriorSpec) -> np.ndarray:
        return np.asarray(prior.distribution.rvs(size=n, random_state=streams(prior.path)), dtype=float)

    def binomial(stream: str, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
        return streams(stream).binomial(trials, p)

    return evaluate(scenario, n, sample=sample, binomial=binomial)
