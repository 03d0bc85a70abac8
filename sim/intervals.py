"""Claims whose source publishes an interval (issue 19): the source's estimate as a noisy measurement.

A source that publishes a central interval ``[a, b]`` at level ``ℓ`` instead of a figure (Meduza's and the
Economist's 95% intervals for Russia's military dead) gives its own uncertainty. ``sim`` reads it as a report of
the source's central estimate ``M = √(ab)`` of ``ρ·T``, with a lognormal error whose spread matches the interval:

    log M = log ρ + log T + ε,   ε ~ N(0, s²),   s = ln(b/a) / (2z),   z = Φ⁻¹((1 + ℓ)/2),

so that, were ``ρ`` fixed at 1 and the prior on ``T`` flat in ``log T``, the posterior would be the source's own
interval. The likelihood is the density of ``log M``, ``φ((log M − log T − log ρ)/s)/s``. Marginalised over the
source's ratio ``ρ`` — its prior restricted to the ratios its other claims allow, the intersection ``I`` of
:func:`sim.inference.ratio_limits` (one shared ratio per source) — with ``y = log ρ``, ``f_Y`` the prior density of
``log ρ`` and ``c_j = log M_j − log T_j``:

    L(S) = ∫_{log I} f_Y(y) Π_j φ((c_j − y)/s_j)/s_j dy.

The integral is computed by Gauss–Legendre quadrature (:data:`QUADRATURE_NODES` nodes) on the stretch of ``y``
where the integrand lives: ``log I`` ∩ the prior's quantiles ``[1e-12, 1 − 1e-12]`` ∩ each ``c_j ± 8 s_j`` (the
Gaussian factors beyond 8 s are below e⁻³²). The stretch is never wider than the narrower of the prior and the
measurement, so both are resolved; the rule is deterministic (no extra randomness in the weights). The prior's
log-density is read from a table (:data:`DENSITY_POINTS`, linear interpolation: an approximation to about 1e-6).
For a ratio prior on finitely many values (``fixed``, ``discrete``; no source: ``ρ = 1``) the integral is an exact
sum. Predictive tails of ``M`` use ``Φ`` in place of ``φ``. Where a group's claims all count one quantity whose
values are fewer than the draws, everything is computed once per value and looked up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from scipy import special, stats

from sim.config import Claim, Scenario
from sim.inference import ClaimGroup, interval_probability, ratio_limits
from sim.priors import is_degenerate

__all__ = ["QUADRATURE_NODES", "MeasuredLikelihood", "interval_spread", "measured_tails"]

QUADRATURE_NODES = 32
"""Gauss–Legendre nodes over ``log ρ`` for a group with interval claims."""
SPREAD_CUTOFF = 8.0
"""The quadrature stretch ends this many measurement spreads ``s`` from each interval's centre (e^-32 beyond)."""
DENSITY_POINTS = 8193
"""Points of the table of the ratio prior's log-density over ``log ρ`` (between its 1e-12 and 1 − 1e-12
quantiles), linearly interpolated at the nodes: a relative error of about 1e-6 for smooth densities."""
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
_UNIT_NODES, _UNIT_WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2


def interval_spread(claim: Claim) -> tuple[float, float]:
    """``(log M, s)``: the log of the interval's geometric centre and the measurement's spread in logs."""
    low, high = np.log(claim.value), np.log(claim.upper_value)  # type: ignore[arg-type]
    z = float(stats.norm.ppf((1 + claim.interval) / 2))  # type: ignore[operator]
    return (low + high) / 2, (high - low) / (2 * z)


class MeasuredLikelihood:
    """The joint likelihood of a group's claims when some publish an interval (see the module docstring).

    Same interface as :class:`sim.inference.JointLikelihood`: ``single``, ``log_likelihood``, ``predictive``,
    ``ratio_quantile`` and ``nodes`` (not None: the ratio's posterior draw picks a quadrature node).
    """

    def __init__(self, group: ClaimGroup, truths: Mapping[str, np.ndarray], scenario: Scenario) -> None:
        self.group = group
        self.scenario = scenario
        self.claims = list(group.claims)
        self.truths = [truths[claim.id] for claim in group.claims]
        self.tails: list[tuple[str, float] | None] = [None] * len(self.claims)
        """For a predictive pseudo-claim: ``("le", v)`` or ``("ge", v)`` on its measurement ``M``."""
        self.distribution = None if group.source is None else group.source.reporting_ratio.distribution
        self.nodes = _UNIT_NODES
        self.discrete = self.distribution is None or is_degenerate(self.distribution)
        if self.distribution is None:
            self.support = (np.zeros(1), np.ones(1))
        elif self.discrete:
            values = self.distribution.values
            self.support = (np.log(np.where(values > 0, values, np.nan)), self.distribution.probabilities)
        else:
            ends = np.asarray(self.distribution.ppf([1e-12, 1 - 1e-12]), dtype=float)
            self.ends = np.log(np.maximum(ends, np.finfo(float).tiny))
            self.grid = np.linspace(*self.ends, DENSITY_POINTS)
            with np.errstate(divide="ignore"):
                self.log_density = self.grid + np.asarray(self.distribution.logpdf(np.exp(self.grid)), dtype=float)
        self.lookup: np.ndarray | None = None
        """Where the group's claims all count one quantity with fewer values than draws: each draw's value, the
        likelihoods being computed once per value 0..max (``self.truths`` then holds those values)."""
        first = self.truths[0]
        whole = np.issubdtype(first.dtype, np.integer)
        if whole and all(truth is first for truth in self.truths) and first.size and int(first.max()) + 1 < first.size:
            self.lookup = first
            values = np.arange(int(first.max()) + 1)
            self.truths = [values] * len(self.truths)

    def _add(self, claim: Claim, truth: np.ndarray, tail: tuple[str, float] | None) -> int:
        self.claims.append(claim)
        self.truths.append(truth)
        self.tails.append(tail)
        return len(self.claims) - 1

    def _count_limits(self, members: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The ratios every count claim among ``members`` allows: ``(low, high]``, per draw."""
        n = self.truths[0].size
        low, high = np.full(n, -np.inf), np.full(n, np.inf)
        for i in members:
            if self.claims[i].interval is None and self.tails[i] is None:
                a, b = ratio_limits(self.claims[i], self.truths[i])
                low, high = np.maximum(low, a), np.minimum(high, b)
        return low, np.maximum(high, low)

    def _terms(self, members: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Per draw and node: ``y = log ρ`` and the quadrature weight times every factor of ``members``."""
        low, high = self._count_limits(members)
        measured = [i for i in members if self.claims[i].interval is not None]
        n = self.truths[0].size
        with np.errstate(divide="ignore", invalid="ignore"):
            centres = {i: interval_spread(self.claims[i]) for i in measured}
            logs = {i: np.log(self.truths[i].astype(float)) for i in measured}
            if self.discrete:
                y = np.broadcast_to(self.support[0], (n, self.support[0].size))
                rho = np.exp(y)
                weights = self.support[1] * ((rho > low[:, None]) & (rho <= high[:, None]))
            else:
                start = np.maximum(np.log(np.maximum(low, 0.0)), self.ends[0])
                stop = np.minimum(np.log(high), self.ends[1])
                for i in measured:
                    if self.tails[i] is None:
                        centre, spread = centres[i]
                        start = np.maximum(start, centre - logs[i] - SPREAD_CUTOFF * spread)
                        stop = np.minimum(stop, centre - logs[i] + SPREAD_CUTOFF * spread)
                width = np.nan_to_num(np.maximum(stop - start, 0.0))
                y = np.nan_to_num(start)[:, None] + width[:, None] * _UNIT_NODES[None, :]
                density = np.exp(np.interp(y, self.grid, self.log_density, left=-np.inf, right=-np.inf))
                weights = width[:, None] * _UNIT_WEIGHTS[None, :] * density
            for i in measured:
                centre, spread = centres[i]
                score = (centre - logs[i][:, None] - y) / spread  # (log M − log T − log ρ)/s
                if self.tails[i] is None:
                    factor = np.exp(-0.5 * score**2) / (spread * np.sqrt(2 * np.pi))
                else:
                    side, v = self.tails[i]  # type: ignore[misc]
                    score = score + (np.log(v) - centre) / spread  # (log v − log T − log ρ)/s
                    factor = special.ndtr(score if side == "le" else -score)
                weights = weights * np.nan_to_num(factor, nan=0.0, posinf=0.0)
        return y, np.nan_to_num(weights)

    def single(self, index: int) -> np.ndarray:
        """Claim ``index``'s log-likelihood alone."""
        return self.log_likelihood((index,))

    def log_likelihood(self, members: tuple[int, ...]) -> np.ndarray:
        """``log L(S)`` per draw for the claims ``members``, jointly."""
        if not members:
            return np.zeros(self._size)
        if all(self.claims[i].interval is None for i in members) and not self.discrete:
            mass, _ = interval_probability(self.distribution, *self._count_limits(members))  # exact: counts only
        else:
            mass = self._terms(members)[1].sum(axis=1)
        with np.errstate(divide="ignore"):
            return self._per_draw(np.log(mass))

    @property
    def _size(self) -> int:
        return self.truths[0].size if self.lookup is None else self.lookup.size

    def _per_draw(self, values: np.ndarray) -> np.ndarray:
        """Values computed per value of the truth, looked up for each draw (as they are, without a lookup)."""
        return values if self.lookup is None else values[self.lookup]

    def predictive(self, index: int, given: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``P(R ≤ v, S)``, ``P(R ≥ v, S)``, ``P(S)``: claim ``index``'s report (its measurement ``M`` for an
        interval claim) against its figure ``v``, jointly with the claims ``given``."""
        claim, truth = self.claims[index], self.truths[index]
        if claim.interval is not None:
            at_most = self._add(claim, truth, ("le", claim.figure))
            at_least = self._add(claim, truth, ("ge", claim.figure))
        else:
            at_most = self._add(replace(claim, low=0, high=int(np.floor(claim.figure))), truth, None)
            at_least = self._add(replace(claim, low=int(np.ceil(claim.figure)), high=None), truth, None)
        return tuple(  # type: ignore[return-value]
            np.exp(self.log_likelihood(members)) for members in ((*given, at_most), (*given, at_least), given)
        )

    def ratio_quantile(self, members: tuple[int, ...], uniform: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The ratio's posterior draw in its prior's quantile space: a quadrature node drawn by its weight."""
        y, weights = self._terms(members)
        if self.lookup is not None:
            y, weights = y[self.lookup], weights[self.lookup]
        cumulative = np.cumsum(weights, axis=1)
        pick = (cumulative < uniform[:, None] * cumulative[:, -1:]).sum(axis=1)  # type: ignore[index]
        pick = np.minimum(pick, y.shape[1] - 1)
        if self.distribution is None:
            return np.full(pick.size, 0.5), np.zeros(pick.size)
        with np.errstate(over="ignore"):
            chosen = np.exp(y[np.arange(pick.size), pick])
        return np.asarray(self.distribution.cdf(chosen), dtype=float), np.zeros(pick.size)


def measured_tails(claim: Claim, truth: np.ndarray, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``P(M ≤ v | T)`` and ``P(M ≥ v | T)`` for an interval claim's measurement ``M`` and its centre ``v``."""
    source = None if claim.source is None else scenario.source(claim.source)
    group = ClaimGroup(claim.id, (claim,), source)
    at_most, at_least, _ = MeasuredLikelihood(group, {claim.id: truth}, scenario).predictive(0, ())
    return at_most, at_least
