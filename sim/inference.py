"""Claim likelihoods and conditional tail probabilities.

Likelihoods follow DESIGN.md ("Conditioning on claims"): a claim that names a source is an
observation of the report ``R = round(ρ·T)``; marginalising the reporting ratio ``ρ``
through its prior CDF ``F`` gives, for the whole numbers ``[lo, hi]`` the claim admits,

    L = F((hi + ½)/T) − F((lo − ½)/T),

which is the table's ``eq``/``ge``/``le``/``between`` rows (``hi = ∞`` for ``ge``,
``lo = 0`` for ``le``). A claim without a source is the indicator ``lo ≤ T ≤ hi``.

Tail probabilities far below 1/draws are estimated by conditioning (Rao–Blackwellisation):
for the claim's scope, one force ``k`` (the one with the largest expected toll) is
integrated out given the others' draws. Its binomial tail given the fatality rate
satisfies ``P(K ≤ m | N, f) = P(X > f)`` with ``X ~ Beta(m + 1, N − m)`` (the
beta–binomial identity, e.g. Johnson, Kemp & Kotz, *Univariate Discrete Distributions*,
3rd ed., eq. 3.34), so with ``F_f`` the CDF of the fatality-rate prior,

    P(K ≤ m | N) = E_X[ F_f(X) ],

which one draw of ``X`` per Monte Carlo draw estimates without bias. The rate prior is
integrated exactly through its CDF, so probabilities like 1e-10 carry a relative error of a
few per cent instead of being 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from sim.config import Claim, Force, Scenario
from sim.model import Draws, Quantity
from sim.priors import is_degenerate, survival

__all__ = [
    "ConditioningError",
    "conditional_cdf",
    "diagnose_contradiction",
    "expected_total",
    "integrated_force",
    "interval_probability",
    "log_likelihood",
    "reported_tails",
]


class ConditioningError(RuntimeError):
    """Every draw has zero weight: the conditioned claims cannot all hold under the priors."""


def diagnose_contradiction(claims: tuple[Claim, ...], support: np.ndarray, draws: int) -> str:
    """Say which claims cannot hold: alone (no draw allows it) or in pairs (no draw allows both).

    ``support[j, k]`` counts the draws in which claims ``j`` and ``k`` both have positive likelihood.
    """
    alone = [c.id for j, c in enumerate(claims) if support[j, j] == 0]
    if alone:
        return (
            f"no draw out of {draws:,} allows claim(s) {', '.join(alone)} under the priors; "
            "widen the priors or drop the claim from condition_on"
        )
    pairs = [
        f"{claims[j].id} and {claims[k].id}"
        for j in range(len(claims))
        for k in range(j + 1, len(claims))
        if support[j, k] == 0
    ]
    if pairs:
        return (
            f"no draw out of {draws:,} allows both {'; nor '.join(pairs)}: these claims contradict "
            "each other under the priors"
        )
    return (
        f"no draw out of {draws:,} allows all of {', '.join(c.id for c in claims)} at once, "
        "although every pair holds somewhere; the claims jointly contradict the priors"
    )


def interval_probability(distribution, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P(low < X ≤ high)`` and ``P(X ≤ low)``, keeping precision when both ends are in the upper tail.

    Returns
    -------
    mass, lower : ndarray
        The interval's probability and the CDF at ``low``.
    """
    lower = np.asarray(distribution.cdf(low), dtype=float)
    mass = np.asarray(distribution.cdf(high), dtype=float) - lower
    cancelled = (mass < 1e-6) & (lower > 0.5)
    if np.any(cancelled):
        mass[cancelled] = survival(distribution, low[cancelled]) - survival(distribution, high[cancelled])
    return np.maximum(mass, 0.0), lower


def _ratio_limits(claim: Claim, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    high = np.inf if claim.high is None else claim.high + 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        return (claim.low - 0.5) / truth, high / truth


def _per_truth(function: Callable[[np.ndarray], tuple[np.ndarray, ...]], truth: np.ndarray) -> tuple[np.ndarray, ...]:
    """``function(truth)``, evaluated once per value 0..max(T) and looked up when that is fewer calls."""
    top = int(truth.max(initial=0))
    if top + 1 >= truth.size:
        return function(truth)
    return tuple(values[truth] for values in function(np.arange(top + 1)))


def log_likelihood(
    claim: Claim,
    truth: np.ndarray,
    scenario: Scenario,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Log-likelihood of a claim for each draw's true value ``truth``.

    The likelihood depends on the draw only through ``T``, so where there are fewer values
    ``0..max(T)`` than draws it is computed once per value and looked up (exact either way).

    Returns
    -------
    log_l : ndarray
        ``log L`` per draw (``-inf`` where the claim is impossible).
    lower, mass : ndarray or None
        For a sourced claim, the reporting-ratio prior's CDF at the lower limit and the
        interval's probability: ρ's posterior given the draw is that prior restricted to
        ``(lower, lower + mass]`` in probability space.
    """
    if claim.source is None:
        inside = truth >= claim.low
        if claim.high is not None:
            inside &= truth <= claim.high
        with np.errstate(divide="ignore"):
            return np.log(inside.astype(float)), None, None
    distribution = scenario.source(claim.source).reporting_ratio.distribution

    def likelihood(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mass, lower = interval_probability(distribution, *_ratio_limits(claim, values))
        with np.errstate(divide="ignore"):
            return np.log(mass), lower, mass

    return _per_truth(likelihood, truth)  # type: ignore[return-value]


def reported_tails(claim: Claim, truth: np.ndarray, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``P(R ≤ v | T)`` and ``P(R ≥ v | T)`` for the claim's figure ``v`` and source's ratio prior."""
    distribution = scenario.source(claim.source).reporting_ratio.distribution  # type: ignore[arg-type]

    def tails(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            at_most = np.asarray(distribution.cdf((np.floor(claim.figure) + 0.5) / values), dtype=float)
            return at_most, survival(distribution, (np.ceil(claim.figure) - 0.5) / values)

    return _per_truth(tails, truth)  # type: ignore[return-value]


def _expected_killed(force: Force) -> float:
    if force.phases:
        return sum(
            float(phase.present.distribution.mean())
            * (
                float(phase.fatality_rate.distribution.mean())
                if phase.fatality_rate is not None
                else -np.expm1(-float(phase.daily_hazard.distribution.mean()) * phase.days)  # type: ignore[union-attr]
            )
            for phase in force.phases
        )
    size = float(force.size.distribution.mean())  # type: ignore[union-attr]
    if force.fatality_rate is not None:
        return size * float(force.fatality_rate.distribution.mean())
    hazard = float(force.daily_hazard.distribution.mean())  # type: ignore[union-attr]
    days = float(force.days.distribution.mean())  # type: ignore[union-attr]
    return size * -np.expm1(-hazard * days)


def integrated_force(scenario: Scenario, quantity: Quantity) -> Force:
    """The force of ``quantity``'s scope whose toll the tail estimator integrates: the largest expected one."""
    forces = [f for f in scenario.forces if f.id in quantity.scope]
    return max(forces, key=_expected_killed)


def _rate_cdf(force: Force, rate_limit: np.ndarray, days: np.ndarray | None, *, upper: bool) -> np.ndarray:
    """P(f < rate_limit), or P(f ≥ rate_limit) with ``upper``, given the drawn duration for hazards."""
    if force.fatality_rate is not None:
        distribution, limit = force.fatality_rate.distribution, rate_limit
    else:
        distribution = force.daily_hazard.distribution  # type: ignore[union-attr]
        with np.errstate(divide="ignore", invalid="ignore"):
            limit = -np.log1p(-rate_limit) / days
    return survival(distribution, limit) if upper else np.asarray(distribution.cdf(limit), dtype=float)


def expected_total(scenario: Scenario, quantity: Quantity) -> float:
    """A rough prior mean of ``quantity`` (products of means); it only picks which tail to estimate."""
    total = 0.0
    for force in scenario.forces:
        if force.id not in quantity.scope:
            continue
        killed = _expected_killed(force)
        wounded_ratio = scenario.force_wounded(force)
        wounded = 0.0 if wounded_ratio is None else killed * float(wounded_ratio.distribution.mean())
        died = scenario.force_died_of_wounds(force)
        later = 0.0 if died is None else wounded * float(died.distribution.mean())
        missing = 0.0 if force.missing is None else float(force.missing.distribution.mean())
        total += {
            "killed": killed,
            "casualties": killed + wounded + missing,
            "wounded": wounded,
            "died_of_wounds": later,
            "deaths": killed + later,
        }[quantity.metric]
    return total


def _binomial_cdf(limit: np.ndarray, trials: np.ndarray, p: np.ndarray, *, upper: bool) -> np.ndarray:
    """``P(X ≤ limit)`` (or ``P(X > limit)`` with ``upper``) for ``X ~ Binomial(trials, p)``, any ``limit``."""
    estimate = (limit < 0).astype(float) if upper else (limit >= trials).astype(float)
    inside = (limit >= 0) & (limit < trials)
    k, n, q = limit[inside], trials[inside], p[inside]
    estimate[inside] = special.bdtrc(k, n, q) if upper else special.bdtr(k, n, q)
    return estimate


def conditional_cdf(
    scenario: Scenario,
    draws: Draws,
    quantity: Quantity,
    threshold: int,
    rng: np.random.Generator,
    *,
    upper: bool = False,
) -> np.ndarray:
    """Per draw, an unbiased estimate of ``P(T ≤ threshold)`` (or ``P(T > threshold)`` with ``upper``).

    One force of the scope (:func:`integrated_force`) is integrated out. For killed in a force
    without phases: its fatality rate through its prior CDF (see the module docstring), or, for a fixed or
    discrete rate prior, its exact binomial CDF at the drawn rate. For the other metrics and
    for phased forces: the metric's last binomial draw given everything drawn before it
    (:meth:`sim.model.ForceDraws.last_stage`), through its exact binomial CDF. The other
    forces of the scope and the force's other inputs enter at their drawn values.
    Estimating the small side directly keeps probabilities like 1e-12 accurate.

    Returns
    -------
    ndarray
        Values in [0, 1], one per draw; their mean estimates the probability.
    """
    force = integrated_force(scenario, quantity)
    own = draws.forces[force.id]
    residual = np.full(draws.n, threshold, dtype=np.int64)
    for other in quantity.scope:
        if other != force.id:
            residual = residual - draws.metric(Quantity(quantity.metric, (other,), other))
    metric = quantity.metric
    if metric == "deaths" and own.died_of_wounds is None and own.non_battle is None:
        metric = "killed"
    if metric != "killed" or force.phases:
        rest, trials, p = own.last_stage(metric)
        return _binomial_cdf(residual - rest, trials, p, upper=upper)
    size, limit = own.size, residual  # T ≤ threshold  ⇔  K ≤ limit
    rate_prior = force.fatality_rate or force.daily_hazard
    if is_degenerate(rate_prior.distribution):  # type: ignore[union-attr]
        return _binomial_cdf(limit, size, own.fatality_rate, upper=upper)
    estimate = (limit < 0).astype(float) if upper else (limit >= size).astype(float)
    inside = (limit >= 0) & (limit < size)
    if not np.any(inside):
        return estimate
    k, n = limit[inside], size[inside]
    # P(K ≤ k | N, f) = P(Beta(k + 1, N − k) > f): draw the beta, integrate f through its CDF.
    rate_limit = rng.beta(k + 1.0, (n - k).astype(float))
    days = None if own.days is None else own.days[inside]
    estimate[inside] = _rate_cdf(force, rate_limit, days, upper=upper)
    return estimate
