"""One chunk of Monte Carlo draws of the casualty model.

Per draw ``i`` and force ``k`` (docs/model.md §2, with the wounded model of docs/casualty-model.md):

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

Why one module: one chunk of the casualty model, step by step as its docstring lists them, over forces and
phases; every step draws from the same named streams, and the uniform-driven evaluation of Sobol'
(:func:`evaluate`) must follow the same steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from sim.config import Force, Scenario
from sim.priors import PriorSpec

__all__ = [
    "Binomial",
    "Draws",
    "ForceDraws",
    "PhaseDraws",
    "Quantity",
    "Sampler",
    "Streams",
    "binomial_streams",
    "draw_chunk",
    "evaluate",
    "quantities_of",
    "quantity_named",
    "timeline_of",
    "wounded_probability",
]


@dataclass(frozen=True)
class Quantity:
    """A summed outcome: a metric (:data:`sim.config.METRICS`) over a scope of forces, in total or at a date.

    With ``date``, the cumulative toll on that day (phased forces; a force without phases counts
    its whole toll).
    """

    metric: str
    scope: tuple[str, ...]
    name: str
    date: date | None = None


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
    for claim in scenario.claims:
        metrics.extend(m for m in (claim.metric, claim.denominator) if m is not None and m not in metrics)
    scopes: list[tuple[str, ...]] = [everyone]
    if len(everyone) > 1:
        scopes.extend((force_id,) for force_id in everyone)
    scopes.extend(claim.scope for claim in scenario.claims if claim.scope not in scopes)
    out: list[Quantity] = []
    for metric in metrics:
        for scope in dict.fromkeys(scopes):
            out.append(quantity_named(scenario, metric, scope))
    for claim in scenario.claims:
        if claim.as_of is not None:
            for metric in (claim.metric, claim.denominator):
                dated = None if metric is None else quantity_named(scenario, metric, claim.scope, claim.as_of)
                if dated is not None and dated not in out:
                    out.append(dated)
    return tuple(out)


def timeline_of(scenario: Scenario) -> tuple[Quantity, ...]:
    """The cumulative toll of the phased forces over time: each metric on a grid of dates.

    The grid is every phase's start and end and every dated claim's date: at a phase's
    bounds the toll is a sum of whole phases (no draw is spent on it), and each date inside a
    phase costs one binomial split per count. Names are ``timeline:<metric>@<date>``; the
    scope is every force with phases (none: no timeline).
    """
    phased = tuple(force for force in scenario.forces if force.phases)
    if not phased:
        return ()
    days = {day for force in phased for phase in force.phases for day in (phase.start, phase.end)}
    days |= {claim.as_of for claim in scenario.claims if claim.as_of is not None}
    metrics = ["killed"]
    if scenario.has_casualties:
        metrics.append("casualties")
    if scenario.has_later_deaths:
        metrics.append("deaths")
    scope = tuple(force.id for force in phased)
    return tuple(
        Quantity(metric=metric, scope=scope, name=f"timeline:{metric}@{day.isoformat()}", date=day)
        for metric in metrics
        for day in sorted(days)
    )


def quantity_named(scenario: Scenario, metric: str, scope: tuple[str, ...], day: date | None = None) -> Quantity:
    """``killed``, ``killed[combat]``, ``killed[<group>]``, ``deaths[combat]@2025-01-15``: a quantity and its name."""
    group = scenario.group_of(scope)
    where = group.id if group is not None else "+".join(scope)
    name = metric if scope == tuple(force.id for force in scenario.forces) else f"{metric}[{where}]"
    if day is not None:
        name = f"{name}@{day.isoformat()}"
    return Quantity(metric=metric, scope=scope, name=name, date=day)


def _first(arrays: Mapping[Any, np.ndarray | None], count: int) -> dict[Any, Any]:
    """The first ``count`` entries of each array in ``arrays`` (a None stays None)."""
    return {key: None if v is None else v[:count] for key, v in arrays.items()}


@dataclass(frozen=True)
class PhaseDraws:
    """The draws of one phase of a force (a force without phases is one undated phase).

    ``wounded_rate`` is ``q``, the chance that a survivor is wounded at least once,
    ``died_of_wounds_fraction`` is ``d`` and ``non_battle_rate`` is ``1 − exp(−b·days)``
    (see the module docstring); ``hazard`` is the daily hazard where the phase has one.
    """

    present: np.ndarray
    fatality_rate: np.ndarray
    killed: np.ndarray
    hazard: np.ndarray | None = None
    wounded: np.ndarray | None = None
    wounded_rate: np.ndarray | None = None
    died_of_wounds: np.ndarray | None = None
    died_of_wounds_fraction: np.ndarray | None = None
    non_battle: np.ndarray | None = None
    non_battle_rate: np.ndarray | None = None
    non_battle_hazard: np.ndarray | None = None

    def take(self, count: int) -> PhaseDraws:
        """The first ``count`` draws."""
        return PhaseDraws(**_first(vars(self), count))


@dataclass(frozen=True)
class ForceDraws:
    """The draws of one force: its totals over every phase and each phase's draws, one entry per draw.

    ``size`` is everyone who served (the first phase's strength plus later arrivals); ``dated``
    holds the cumulative toll by ``(metric, date)`` at the dates the run asked for.
    ``days`` is that of a force without phases (None with phases).
    """

    size: np.ndarray
    killed: np.ndarray
    deaths: np.ndarray
    phases: tuple[PhaseDraws, ...]
    days: np.ndarray | None = None
    wounded_per_killed: np.ndarray | None = None
    missing: np.ndarray | None = None
    wounded: np.ndarray | None = None
    casualties: np.ndarray | None = None
    died_of_wounds: np.ndarray | None = None
    non_battle: np.ndarray | None = None
    dated: dict[tuple[str, date], np.ndarray] = field(default_factory=dict)

    def take(self, count: int) -> ForceDraws:
        """The first ``count`` draws."""
        arrays = {k: v for k, v in vars(self).items() if k not in ("phases", "dated")}
        return ForceDraws(
            **_first(arrays, count),
            phases=tuple(phase.take(count) for phase in self.phases),
            dated=_first(self.dated, count),
        )

    def outcome(self, metric: str, day: date | None = None) -> np.ndarray:
        """Per-draw value of ``metric`` for this force, in total or (phased forces) on ``day``.

        ``died_of_wounds`` is 0 without a fraction.
        """
        if day is not None and (metric, day) in self.dated:
            return self.dated[(metric, day)]
        if metric == "died_of_wounds" and self.died_of_wounds is None:
            return np.zeros_like(self.killed)
        return getattr(self, metric)

    def last_stage(self, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rest, trials, p)`` with ``metric = rest + Binomial(trials, p)`` given everything drawn before.

        The last binomial draw of the metric (in the last phase), for conditional
        (Rao–Blackwell) tail estimates: ``P(metric ≤ x | rest) = bdtr(x − rest, trials, p)``.
        """
        last = self.phases[-1]
        survivors = last.present - last.killed
        if metric == "killed":
            return self.killed - last.killed, last.present, last.fatality_rate
        if metric in ("wounded", "casualties"):
            rest = self.outcome(metric) - last.wounded  # type: ignore[operator]
            return rest, survivors, last.wounded_rate  # type: ignore[return-value]
        if metric == "died_of_wounds":
            return self.died_of_wounds - last.died_of_wounds, last.wounded, last.died_of_wounds_fraction  # type: ignore[operator,return-value]
        # deaths = K + D + B (with D or B): the last draw is the non-battle deaths B, else the died of wounds D
        if last.non_battle is not None:
            at_risk = survivors if last.wounded is None else survivors - last.wounded
            return self.deaths - last.non_battle, at_risk, last.non_battle_rate  # type: ignore[return-value]
        return self.deaths - last.died_of_wounds, last.wounded, last.died_of_wounds_fraction  # type: ignore[operator,return-value]


@dataclass(frozen=True)
class Draws:
    """One chunk of draws: per-force draws and every sampled input by its key path."""

    n: int
    forces: dict[str, ForceDraws]
    inputs: dict[str, np.ndarray]

    def metric(self, quantity: Quantity) -> np.ndarray:
        """Per-draw value of ``quantity`` (int64)."""
        values = [self.forces[force_id].outcome(quantity.metric, quantity.date) for force_id in quantity.scope]
        total = values[0]
        for more in values[1:]:
            total = total + more
        return total

    def take(self, count: int) -> Draws:
        """The first ``count`` draws (a view, no copy)."""
        return Draws(
            n=min(count, self.n),
            forces={k: f.take(count) for k, f in self.forces.items()},
            inputs=_first(self.inputs, count),
        )


Streams = Callable[[str], np.random.Generator]
"""A generator for each named stream of a chunk (``forces.combat.size``, ``binomial:combat``, ...)."""


Sampler = Callable[[PriorSpec], np.ndarray]
"""The values of a prior for every draw (random draws, or quantiles of given uniforms)."""
Binomial = Callable[[str, np.ndarray, np.ndarray], np.ndarray]
"""Exact ``Binomial(n, p)`` draws given the stream's name (:func:`binomial_streams`), ``n`` and ``p``."""

STAGES = ("binomial", "wounded", "died_of_wounds", "non_battle")
"""The binomial draws of a phase, in drawing order: killed, wounded, died of wounds, non-battle deaths."""
TIMED = ("killed", "wounded", "died_of_wounds", "non_battle")
"""The per-phase counts placed in time for the toll at a date."""


def _stream(stage: str, force: Force, index: int) -> str:
    """``<stage>:<force id>`` for a force without phases, ``<stage>:<force id>:<phase index>`` with."""
    return f"{stage}:{force.id}:{index}" if force.phases else f"{stage}:{force.id}"


def binomial_streams(scenario: Scenario, dates: tuple[date, ...] = ()) -> tuple[str, ...]:
    """The name of every binomial draw of the model (:data:`STAGES` per force and phase), in drawing order.

    ``binomial`` draws the killed, ``wounded`` the wounded among the survivors, ``died_of_wounds``
    the deaths among the wounded and ``non_battle`` the non-battle deaths; with ``dates``, also
    the split of each phase's counts at the dates inside it (``timing:<force>:<phase>:<count>:<date>``).
    """
    out: list[str] = []
    for force in scenario.forces:
        stages = ["binomial"]
        if scenario.force_wounded(force) is not None:
            stages.append("wounded")
            if scenario.force_died_of_wounds(force) is not None:
                stages.append("died_of_wounds")
        if force.non_battle_hazard is not None:
            stages.append("non_battle")
        for index in range(max(len(force.phases), 1)):
            out.extend(_stream(stage, force, index) for stage in stages)
        counts = [count for stage, count in zip(STAGES, TIMED, strict=True) if stage in stages]
        for index, phase in enumerate(force.phases):
            out.extend(
                f"timing:{force.id}:{index}:{count}:{day.isoformat()}"
                for count in counts
                for day in sorted(dates)
                if phase.start < day < phase.end
            )
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


@dataclass(frozen=True)
class _Exposure:
    """What the binomials of one phase need: who is present, the fatality rate and the days (if known)."""

    present: np.ndarray
    rate: np.ndarray
    hazard: np.ndarray | None
    days: np.ndarray | None


def _exposures(force: Force, sample: Sampler, inputs: dict[str, np.ndarray]) -> list[_Exposure]:
    """Each phase's strength and exposure (one undated phase for a force without phases)."""
    if not force.phases:
        size = _whole(sample(force.size))  # type: ignore[arg-type]
        inputs[force.size.path] = size  # type: ignore[union-attr]
        if force.fatality_rate is not None:
            rate = sample(force.fatality_rate)
            inputs[force.fatality_rate.path] = rate
            return [_Exposure(size, rate, None, None)]
        hazard = sample(force.daily_hazard)  # type: ignore[arg-type]
        days = sample(force.days)  # type: ignore[arg-type]
        inputs[force.daily_hazard.path] = hazard  # type: ignore[union-attr]
        inputs[force.days.path] = days  # type: ignore[union-attr]
        rate = -np.expm1(-hazard * days)
        inputs[f"forces.{force.id}.fatality_rate"] = rate
        return [_Exposure(size, rate, hazard, days)]
    out = []
    for phase in force.phases:
        present = _whole(sample(phase.present))
        inputs[phase.present.path] = present
        days = np.full(present.size, float(phase.days))
        if phase.fatality_rate is not None:
            rate = sample(phase.fatality_rate)
            inputs[phase.fatality_rate.path] = rate
            out.append(_Exposure(present, rate, None, days))
            continue
        hazard = sample(phase.daily_hazard)  # type: ignore[arg-type]
        inputs[phase.daily_hazard.path] = hazard  # type: ignore[union-attr]
        rate = -np.expm1(-hazard * days)
        inputs[phase.present.path.replace(".present", ".fatality_rate")] = rate
        out.append(_Exposure(present, rate, hazard, days))
    return out


def _phase_draws(
    force: Force,
    index: int,
    exposure: _Exposure,
    ratios: dict[str, np.ndarray | None],
    binomial: Binomial,
) -> PhaseDraws:
    """The binomial cascade of one phase: killed, wounded, died of wounds, non-battle deaths."""
    present, rate = exposure.present, exposure.rate
    killed = binomial(_stream("binomial", force, index), present, rate)
    at_risk = present - killed
    wounded = wounded_rate = died = None
    if ratios["wounded_per_killed"] is not None:
        wounded_rate = wounded_probability(ratios["wounded_per_killed"], killed, present)
        wounded = binomial(_stream("wounded", force, index), at_risk, wounded_rate)
        at_risk = at_risk - wounded
        if ratios["died_of_wounds"] is not None:
            died = binomial(_stream("died_of_wounds", force, index), wounded, ratios["died_of_wounds"])
    non_battle = non_battle_rate = None
    if ratios["non_battle_hazard"] is not None:
        non_battle_rate = -np.expm1(-ratios["non_battle_hazard"] * exposure.days)  # type: ignore[operator]
        non_battle = binomial(_stream("non_battle", force, index), at_risk, non_battle_rate)
    return PhaseDraws(
        present=present,
        fatality_rate=rate,
        killed=killed,
        hazard=exposure.hazard,
        wounded=wounded,
        wounded_rate=wounded_rate,
        died_of_wounds=died,
        died_of_wounds_fraction=ratios["died_of_wounds"],
        non_battle=non_battle,
        non_battle_rate=non_battle_rate,
        non_battle_hazard=ratios["non_battle_hazard"],
    )


def _served(force: Force, phases: list[PhaseDraws], sample: Sampler, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """Everyone who served: the first phase's strength plus each later phase's arrivals.

    Those who stayed on from the phase before are its survivors, less the wounded (evacuated)
    and the non-battle dead; a phase's ``departures`` leave from them at its start (all of them
    where fewer stayed on than were due to leave: the others were already lost). A later
    phase's arrivals are its ``arrivals`` prior where given, and never fewer than its strength
    needs beyond those who continue; without the prior, exactly that shortfall (replacements).
    """
    served = phases[0].present
    for phase, previous, spec in zip(phases[1:], phases, force.phases[1:], strict=False):
        stayed = previous.present - previous.killed
        for lost in (previous.wounded, previous.non_battle):
            if lost is not None:
                stayed = stayed - lost
        if spec.departures is not None:
            departures = _whole(sample(spec.departures))
            inputs[spec.departures.path] = departures
            stayed = stayed - np.minimum(departures, stayed)
        arrivals = np.maximum(phase.present - stayed, 0)
        if spec.arrivals is not None:
            given = _whole(sample(spec.arrivals))
            inputs[spec.arrivals.path] = given
            arrivals = np.maximum(arrivals, given)
        served = served + arrivals
    return served


def _sum(phases: list[PhaseDraws], name: str) -> np.ndarray | None:
    values = [getattr(phase, name) for phase in phases]
    if values[0] is None:
        return None
    total = values[0]
    for more in values[1:]:
        total = total + more
    return total


def _elapsed(force: Force, index: int, phase: PhaseDraws, count: str, day: date) -> np.ndarray | float:
    """The share of a phase's ``count`` that has happened by ``day``, for a constant hazard over the phase.

    With a daily hazard ``h`` (the phase's, or the non-battle one), events fall at times with
    density ``∝ e^{−h·t}`` over the phase's ``D`` days, so the share by day ``t`` is
    ``(1 − e^{−h·t})/(1 − e^{−h·D})``; with a fatality rate over the phase, uniformly (``t/D``).
    Wounds and deaths of wounds are placed with the killed (the delay of a death of wounds is not
    modelled).
    """
    spec = force.phases[index]
    fraction = (day - spec.start).days / spec.days
    hazard = phase.non_battle_hazard if count == "non_battle" else phase.hazard
    if hazard is None:
        return fraction
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.expm1(-hazard * fraction * spec.days) / np.expm1(-hazard * spec.days)
    return np.where(hazard * spec.days > 1e-12, share, fraction)


def _dated(
    force: Force,
    phases: list[PhaseDraws],
    dates: tuple[date, ...],
    binomial: Binomial,
) -> dict[tuple[str, date], np.ndarray]:
    """The cumulative toll of a phased force by ``(metric, date)`` at each of ``dates`` before its end.

    Each phase's counts are split over the dates inside it by successive binomials (a
    multinomial over the intervals between them), each with its own stream
    ``timing:<force>:<phase>:<count>:<date>``; a phase over by a date counts whole. Captured
    or missing count only in the totals.
    """
    if not force.phases:
        return {}
    inside = sorted(d for d in dates if d < force.end)  # type: ignore[operator]
    if not inside:
        return {}
    cumulative: dict[str, dict[date, np.ndarray]] = {}
    for count in TIMED:
        if getattr(phases[0], count) is None:
            continue
        by_date = {day: np.zeros_like(phases[0].killed) for day in inside}
        for index, (spec, phase) in enumerate(zip(force.phases, phases, strict=True)):
            total = getattr(phase, count)
            during = [day for day in inside if spec.start < day < spec.end]
            for day in inside:
                if day >= spec.end:
                    by_date[day] = by_date[day] + total
            if not during:
                continue
            remaining, so_far, before = total, np.zeros_like(total), 0.0
            for day in during:
                share = _elapsed(force, index, phase, count, day)
                with np.errstate(divide="ignore", invalid="ignore"):
                    step = np.clip(np.nan_to_num((share - before) / (1.0 - before)), 0.0, 1.0)
                happened = binomial(f"timing:{force.id}:{index}:{count}:{day.isoformat()}", remaining, step)
                remaining, so_far, before = remaining - happened, so_far + happened, share
                by_date[day] = by_date[day] + so_far
        cumulative[count] = by_date
    out: dict[tuple[str, date], np.ndarray] = {}
    for day in inside:
        killed = cumulative["killed"][day]
        out[("killed", day)] = killed
        deaths = killed
        if "wounded" in cumulative:
            out[("wounded", day)] = cumulative["wounded"][day]
            out[("casualties", day)] = killed + cumulative["wounded"][day]
        if "died_of_wounds" in cumulative:
            out[("died_of_wounds", day)] = cumulative["died_of_wounds"][day]
            deaths = deaths + cumulative["died_of_wounds"][day]
        if "non_battle" in cumulative:
            deaths = deaths + cumulative["non_battle"][day]
        out[("deaths", day)] = deaths
    return out


def _force_draws(
    force: Force,
    shared: dict[str, np.ndarray | None],
    sample: Sampler,
    binomial: Binomial,
    inputs: dict[str, np.ndarray],
    dates: tuple[date, ...],
) -> ForceDraws:
    exposures = _exposures(force, sample, inputs)
    ratios = {
        "wounded_per_killed": _sample_input(force.wounded_per_killed, sample, inputs, shared["wounded_per_killed"]),
        "non_battle_hazard": _sample_input(force.non_battle_hazard, sample, inputs),
    }
    ratios["died_of_wounds"] = (
        None
        if ratios["wounded_per_killed"] is None
        else _sample_input(force.died_of_wounds, sample, inputs, shared["died_of_wounds"])
    )
    missing = None
    if force.missing is not None:
        missing = _whole(sample(force.missing))
        inputs[force.missing.path] = missing
    phases = [_phase_draws(force, index, exposure, ratios, binomial) for index, exposure in enumerate(exposures)]
    killed = _sum(phases, "killed")
    wounded, died, non_battle = (_sum(phases, name) for name in ("wounded", "died_of_wounds", "non_battle"))
    casualties = None
    if wounded is not None:
        casualties = killed + wounded if missing is None else killed + wounded + missing
    deaths = killed
    for later in (died, non_battle):
        if later is not None:
            deaths = deaths + later
    served = _served(force, phases, sample, inputs) if force.phases else phases[0].present
    return ForceDraws(
        size=served,
        killed=killed,  # type: ignore[arg-type]
        deaths=deaths,  # type: ignore[arg-type]
        phases=tuple(phases),
        days=exposures[0].days if not force.phases else None,
        wounded_per_killed=ratios["wounded_per_killed"],
        missing=missing,
        wounded=wounded,
        casualties=casualties,
        died_of_wounds=died,
        non_battle=non_battle,
        dated=_dated(force, phases, dates, binomial),
    )


def evaluate(scenario: Scenario, n: int, *, sample: Sampler, binomial: Binomial, dates: tuple[date, ...] = ()) -> Draws:
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
    dates : tuple of date
        Dates at which to tally the cumulative toll of phased forces (:attr:`ForceDraws.dated`).

    Returns
    -------
    Draws
    """
    inputs: dict[str, np.ndarray] = {}
    shared = {
        "wounded_per_killed": _sample_input(scenario.wounded_per_killed, sample, inputs),
        "died_of_wounds": _sample_input(scenario.died_of_wounds, sample, inputs),
    }
    forces = {force.id: _force_draws(force, shared, sample, binomial, inputs, dates) for force in scenario.forces}
    return Draws(n=n, forces=forces, inputs=inputs)


def draw_chunk(scenario: Scenario, n: int, streams: Streams, dates: tuple[date, ...] = ()) -> Draws:
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
    dates : tuple of date
        Dates at which to tally the cumulative toll of phased forces.

    Returns
    -------
    Draws
    """

    def sample(prior: PriorSpec) -> np.ndarray:
        return np.asarray(prior.distribution.rvs(size=n, random_state=streams(prior.path)), dtype=float)

    def binomial(stream: str, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
        return streams(stream).binomial(trials, p)

    return evaluate(scenario, n, sample=sample, binomial=binomial, dates=dates)
