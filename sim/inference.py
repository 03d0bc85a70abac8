"""Claim likelihoods and conditional tail probabilities.

Likelihoods follow docs/model.md (§3, "Claims and the likelihood of a report"): a claim that names a source is an
observation of the report ``R = round(ρ·T)``; marginalising the reporting ratio ``ρ``
through its prior CDF ``F`` gives, for the whole numbers ``[lo, hi]`` the claim admits,

    L = F((hi + ½)/T) − F((lo − ½)/T),

which is the table's ``eq``/``ge``/``le``/``between`` rows (``hi = ∞`` for ``ge``,
``lo = 0`` for ``le``). A claim without a source is the indicator ``lo ≤ T ≤ hi``. A ratio claim is
the indicator that ``numerator / denominator`` lies in its reading, sourced or not: a source's counts
share one reporting ratio, which cancels in their ratio (docs/claims.md, "Ratio claims").

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

Why one module: the likelihoods of claims and the conditional tail estimator share the reporting-ratio
machinery (claim groups, a source's shared ratio, derived sources), which the engine and summary use as one
contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from scipy import special

from sim.config import Claim, Force, Phase, Scenario, Source
from sim.model import Draws, ForceDraws, Quantity, wounded_probability
from sim.priors import PriorSpec, cumulative, is_degenerate, prior_mean, survival

__all__ = [
    "SHARED_NODES",
    "ClaimGroup",
    "ConditioningError",
    "FamilyLikelihood",
    "JointLikelihood",
    "claim_groups",
    "conditional_cdf",
    "diagnose_contradiction",
    "expected_total",
    "integrated_force",
    "interval_probability",
    "log_likelihood",
    "ratio_limits",
    "reported_tails",
]


class ConditioningError(RuntimeError):
    """Every draw has zero weight: the conditioned claims cannot all hold under the priors."""


def diagnose_contradiction(
    claims: tuple[Claim, ...], support: np.ndarray, draws: int, *, scenario: Scenario | None = None
) -> str:
    """Say which claims cannot hold: alone (no draw allows it) or in pairs (no draw allows both).

    ``support[j, k]`` counts the draws in which claims ``j`` and ``k`` have positive joint likelihood
    (claims of one source jointly, through the reporting ratio they share).
    """
    alone = [c.id for j, c in enumerate(claims) if support[j, j] == 0]
    if alone:
        return (
            f"no draw out of {draws:,} allows claim(s) {', '.join(alone)} under the priors; "
            "widen the priors or drop the claim from condition_on"
        )

    def shared(first: Claim, second: Claim) -> str:
        if scenario is None or first.source is None or first.source != second.source:
            return ""
        source = scenario.source(first.source)
        if source.claim_correlation == 0:
            return ""
        return (
            f" (both from source {source.id}, whose reporting ratio they share: if they are rival readings of one "
            f"statement, condition on one; if the ratio may differ between them, set sources.{source.id}."
            "claim_correlation below 1)"
        )

    pairs = [
        f"{claims[j].id} and {claims[k].id}{shared(claims[j], claims[k])}"
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
    lower = cumulative(distribution, low)
    mass = cumulative(distribution, high) - lower
    cancelled = (mass < 1e-6) & (lower > 0.5)
    if np.any(cancelled):
        mass[cancelled] = survival(distribution, low[cancelled]) - survival(distribution, high[cancelled])
    return np.maximum(mass, 0.0), lower


def ratio_limits(claim: Claim, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reporting ratios whose report ``round(ρ·T)`` lies in the claim's reading: ``((lo − ½)/T, (hi + ½)/T]``."""
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
    if claim.is_ratio:  # a share of the source's own counts: its reporting ratio cancels (docs/claims.md)
        high = np.inf if claim.ratio_high is None else claim.ratio_high
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(((truth >= claim.ratio_low) & (truth <= high)).astype(float)), None, None
    if claim.source is None:
        inside = truth >= claim.low
        if claim.high is not None:
            inside &= truth <= claim.high
        with np.errstate(divide="ignore"):
            return np.log(inside.astype(float)), None, None
    distribution = scenario.source(claim.source).reporting_ratio.distribution

    def likelihood(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mass, lower = interval_probability(distribution, *ratio_limits(claim, values))
        with np.errstate(divide="ignore"):
            return np.log(mass), lower, mass

    return _per_truth(likelihood, truth)  # type: ignore[return-value]


def reported_tails(claim: Claim, truth: np.ndarray, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``P(R ≤ v | T)`` and ``P(R ≥ v | T)`` for the claim's figure ``v`` and source's ratio prior."""
    distribution = scenario.source(claim.source).reporting_ratio.distribution  # type: ignore[arg-type]

    def tails(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            at_most = cumulative(distribution, (np.floor(claim.figure) + 0.5) / values)
            return at_most, survival(distribution, (np.ceil(claim.figure) - 0.5) / values)

    return _per_truth(tails, truth)  # type: ignore[return-value]


SHARED_NODES = 32
"""Nodes of the randomly shifted midpoint rule over a partly shared source factor (0 < claim_correlation < 1)."""


@dataclass(frozen=True)
class ClaimGroup:
    """Claims whose reports are joint: all claims of one source sharing its ratio, or one claim alone."""

    key: str
    """The source's id when its claims share its ratio (the parent's, for derived sources), else the lone claim's."""
    claims: tuple[Claim, ...]
    source: Source | None = None

    @property
    def derived(self) -> bool:
        """Whether some claims come from sources deriving from the group's source."""
        return self.source is not None and any(claim.source != self.source.id for claim in self.claims)

    @property
    def correlation(self) -> float:
        """The source's claim correlation (1 for a lone claim: nothing to share)."""
        return 1.0 if self.source is None or len(self.claims) == 1 else self.source.claim_correlation


def claim_groups(claims: tuple[Claim, ...], scenario: Scenario) -> tuple[ClaimGroup, ...]:
    """Group claims by the source whose ratio they share (in claim order); the others stand alone.

    A claim without a source, from a source with ``claim_correlation = 0``, or about a ratio (whose
    likelihood does not involve the source's ratio), is its own group; the claims of sources that
    derive from a source join that source's group (its ratio is their factor).
    """
    groups: dict[tuple[str, str], list[Claim]] = {}
    for claim in claims:
        source = None if claim.source is None else scenario.source(claim.source)
        if source is None or source.claim_correlation == 0 or claim.is_ratio:
            key = ("claim", claim.id)
        else:
            key = ("source", scenario.lineage(source.id)[-1])
        groups.setdefault(key, []).append(claim)
    return tuple(
        ClaimGroup(
            key,
            tuple(members),
            None
            if kind == "claim" and (members[0].source is None or members[0].is_ratio)
            else scenario.source(
                key if kind == "source" else members[0].source  # type: ignore[arg-type]
            ),
        )
        for (kind, key), members in groups.items()
    )


def _normal_score(distribution, x: np.ndarray) -> np.ndarray:
    """``Φ⁻¹(F(x))``, through the survival function where ``F(x) > ½`` so that upper tails keep precision."""
    lower = cumulative(distribution, x)
    upper = lower > 0.5
    score = special.ndtri(lower)
    if np.any(upper):
        score[upper] = -special.ndtri(survival(distribution, x[upper]))
    return score


def _normal_interval(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``Φ(high) − Φ(low)``, subtracting upper tails where both ends are positive."""
    with np.errstate(invalid="ignore"):
        upper = low > 0
        return np.where(upper, special.ndtr(-low) - special.ndtr(-high), special.ndtr(high) - special.ndtr(low))


class JointLikelihood:
    """The joint likelihood of any subset of one group's claims, per draw, from the same random numbers.

    With ``claim_correlation`` ``c = 1`` the claims share one ratio ρ: the ratios consistent
    with every claim ``j`` of a subset ``S`` form the intersection of the intervals
    ``((lo_j − ½)/T_j, (hi_j + ½)/T_j]``, so ``L(S) = F(min high) − F(max low)`` exactly.
    With ``0 < c < 1`` claim ``j``'s ratio is ``F⁻¹(Φ(√c·Z + √(1 − c)·E_j))`` with a shared
    ``Z`` and independent ``E_j`` (a Gaussian copula: each claim keeps the source's prior as its
    marginal), so ``L(S) = ∫ φ(z) Π_j [Φ((b_j − √c z)/√(1 − c)) − Φ((a_j − √c z)/√(1 − c))] dz``
    with ``a_j, b_j`` the normal scores ``Φ⁻¹(F(·))`` of the interval's ends. The integral over
    ``Z``'s quantile ``u = Φ(z)`` is estimated by a randomly shifted midpoint rule,
    ``u_m = (m + U)/M``, ``m < M =`` :data:`SHARED_NODES`, with ``U ~ U(0, 1)`` per draw: every
    ``u_m`` is uniform, so the estimate is unbiased and the importance weights remain valid
    (a pseudo-marginal importance sampler, Andrieu & Roberts, *Ann. Statist.* 37, 2009), with a
    variance that falls like ``M⁻³`` for smooth integrands (Owen, *Monte Carlo theory, methods and
    examples*, 2013, ch. 17). A subset of one claim uses its exact marginal, the CDF difference.
    """

    def __init__(
        self,
        group: ClaimGroup,
        truths: Mapping[str, np.ndarray],
        scenario: Scenario,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.group = group
        self.scenario = scenario
        self.truths = [truths[claim.id] for claim in group.claims]
        self.distribution = None if group.source is None else group.source.reporting_ratio.distribution
        self.limits = [ratio_limits(claim, truth) for claim, truth in zip(group.claims, self.truths, strict=True)]
        self._single: dict[int, np.ndarray] = {}
        self.nodes: np.ndarray | None = None
        correlation = group.correlation
        if 0 < correlation < 1 and len(group.claims) > 1:
            if rng is None:
                raise ValueError("a partly shared source needs a random generator for its quadrature shift")
            n = self.truths[0].size
            shift = rng.random(n)
            quantiles = (np.arange(SHARED_NODES)[None, :] + shift[:, None]) / SHARED_NODES
            self.quantiles = np.clip(quantiles, 1e-300, 1 - 2**-53)
            self.nodes = special.ndtri(self.quantiles)
            self.loading, self.spread = np.sqrt(correlation), np.sqrt(1 - correlation)
            self._factors: dict[int, np.ndarray] = {}

    def single(self, index: int) -> np.ndarray:
        """Claim ``index``'s exact log-likelihood alone (the CDF difference, tabulated by ``T``)."""
        if index not in self._single:
            claim = self.group.claims[index]
            self._single[index] = log_likelihood(claim, self.truths[index], self.scenario)[0]
        return self._single[index]

    def _factor(self, index: int) -> np.ndarray:
        """``log P(claim index's report in its reading | Z = z_m)`` per draw and node."""
        if index not in self._factors:
            low, high = (np.broadcast_to(x, self.truths[index].shape) for x in self.limits[index])
            with np.errstate(divide="ignore", invalid="ignore"):
                a = _normal_score(self.distribution, np.asarray(low, dtype=float))
                b = _normal_score(self.distribution, np.asarray(high, dtype=float))
                shifted = self.loading * self.nodes  # type: ignore[operator]
                mass = _normal_interval((a[:, None] - shifted) / self.spread, (b[:, None] - shifted) / self.spread)
                self._factors[index] = np.log(np.maximum(mass, 0.0))
        return self._factors[index]

    def _node_log_weights(self, members: tuple[int, ...]) -> np.ndarray:
        total = np.zeros_like(self.nodes)
        for index in members:
            total = total + self._factor(index)
        return total

    def _intersection(self, members: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        n = self.truths[0].size
        low, high = np.full(n, -np.inf), np.full(n, np.inf)
        for index in members:
            low = np.maximum(low, self.limits[index][0])
            high = np.minimum(high, self.limits[index][1])
        return low, np.maximum(high, low)

    def log_likelihood(self, members: tuple[int, ...]) -> np.ndarray:
        """``log L(S)`` per draw for the claims ``members`` (indices into the group), jointly."""
        if not members:
            return np.zeros(self.truths[0].size)
        if len(members) == 1:
            return self.single(members[0])
        if self.nodes is not None:
            return special.logsumexp(self._node_log_weights(members), axis=1) - np.log(SHARED_NODES)
        mass, _ = interval_probability(self.distribution, *self._intersection(members))
        with np.errstate(divide="ignore"):
            return np.log(mass)

    def predictive(self, index: int, given: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``P(R ≤ v, S)``, ``P(R ≥ v, S)`` and ``P(S)`` per draw: claim ``index``'s report against its figure ``v``,
        jointly with the reports of the claims ``given`` (``S``) of the same source."""
        claim, truth = self.group.claims[index], self.truths[index]
        if not given:
            at_most, at_least = reported_tails(claim, truth, self.scenario)
            return at_most, at_least, np.ones(truth.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            le_cut = (np.floor(claim.figure) + 0.5) / truth
            ge_cut = (np.ceil(claim.figure) - 0.5) / truth
        if self.nodes is not None:
            weights = np.exp(self._node_log_weights(given))
            with np.errstate(divide="ignore", invalid="ignore"):
                shifted = self.loading * self.nodes
                le = special.ndtr((_normal_score(self.distribution, le_cut)[:, None] - shifted) / self.spread)
                ge = special.ndtr((shifted - _normal_score(self.distribution, ge_cut)[:, None]) / self.spread)
            return (weights * le).mean(axis=1), (weights * ge).mean(axis=1), weights.mean(axis=1)
        low, high = self._intersection(given)
        at_most, _ = interval_probability(self.distribution, low, np.maximum(np.minimum(high, le_cut), low))
        ge_low = np.maximum(low, ge_cut)
        at_least, _ = interval_probability(self.distribution, ge_low, np.maximum(high, ge_low))
        total, _ = interval_probability(self.distribution, low, high)
        return at_most, at_least, total

    def ratio_quantile(self, members: tuple[int, ...], uniform: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Where the shared ratio's posterior draw lies in the prior's quantile space, as ``(lower, mass)``.

        Exactly shared: the prior restricted to the intersection, ``u ~ U(lower, lower + mass)``.
        Partly shared: the node ``u_m`` drawn with probability proportional to its integrand (``mass = 0``).
        """
        if self.nodes is None:
            if len(members) == 1:
                index = members[0]
                _, lower, mass = log_likelihood(self.group.claims[index], self.truths[index], self.scenario)
                return lower, mass  # type: ignore[return-value]
            mass, lower = interval_probability(self.distribution, *self._intersection(members))
            return lower, mass
        log_weights = self._node_log_weights(members)
        with np.errstate(invalid="ignore"):  # a draw the claims rule out (every node -inf, weight 0): NaN, then 0
            weights = np.exp(log_weights - log_weights.max(axis=1, initial=-np.inf, keepdims=True))
        running = np.cumsum(np.nan_to_num(weights), axis=1)
        pick = (running < uniform[:, None] * running[:, -1:]).sum(axis=1)
        pick = np.minimum(pick, SHARED_NODES - 1)
        return self.quantiles[np.arange(pick.size), pick], np.zeros(pick.size)


def _expected_phase_killed(phase: Phase) -> float:
    if phase.fatality_rate is not None:
        rate = prior_mean(phase.fatality_rate.distribution)
    else:
        rate = -np.expm1(-prior_mean(phase.daily_hazard.distribution) * phase.days)  # type: ignore[union-attr]
    return prior_mean(phase.present.distribution) * rate


LATTICE_MULTIPLIER = 13
"""Generator of the rank-1 lattice over the ratios of sources in the middle of a derivation chain: node ``m`` of
dimension ``d`` is ``frac(m·13^d/M + U_d)`` (a Korobov lattice, randomly shifted; dimension 0 is the midpoint rule)."""


class FamilyLikelihood:
    """The joint likelihood of the claims of a source and of the sources deriving from it, along chains.

    A derived source ``s`` reports ``round(ρ_p·ρ_s·T)``: its parent's ratio ``ρ_p`` (shared with the
    parent's own claims) times its own distortion ``ρ_s``; along a chain A <- B <- C the ratios multiply,
    ``ρ_C = ρ_A·ρ_B·ρ_C,own``, ``ρ_B`` shared by B's claims and C's. Given ``ρ_p``, the claims of ``s``
    restrict ``ρ_s`` to the intersection ``(max a_j/ρ_p, min b_j/ρ_p]``, so for a one-step family, with
    ``P`` the first source's claims of a subset and ``I_P`` their intersection (all ratios when there are none)

        L(S) = F_p(I_P) · E[ Π_s (F_s(B_s/ρ_p) − F_s(A_s/ρ_p)) | ρ_p ∈ I_P ],

    the expectation over ``ρ_p`` estimated by the same randomly shifted midpoint rule as
    :class:`JointLikelihood`, on ``I_P``'s stretch of the parent prior's quantiles (unbiased; exact
    when the subset has no derived claims). A source in the middle of a chain (one that others derive
    from) has its own ratio drawn, per node, from its prior restricted to what its claims allow given its
    parent's ratio, ``F_s⁻¹(F_s(A_s/ρ_p) + v·(F_s(B_s/ρ_p) − F_s(A_s/ρ_p)))``, the node weighted by that
    interval's probability (sequential importance sampling with truncated priors). The node's uniforms
    ``v`` come from a randomly shifted rank-1 lattice (:data:`LATTICE_MULTIPLIER`), each node uniform on
    the unit cube, so the estimate stays unbiased. Predictive tails are ratios of such likelihoods, with
    the claim's reading replaced by ``R ≤ v`` or ``R ≥ v``.
    """

    def __init__(
        self, group: ClaimGroup, truths: Mapping[str, np.ndarray], scenario: Scenario, rng: np.random.Generator
    ) -> None:
        self.group = group
        self.scenario = scenario
        self.parent = group.source
        self.claims = list(group.claims)
        self.truths = [truths[claim.id] for claim in group.claims]
        self.shift = rng.random(self.truths[0].size)
        self.nodes = self.shift  # a node rule is in use (the engine draws the ratio posterior's node with it)
        self._ratios: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._chain: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self._log_likelihoods: dict[tuple[int, ...], np.ndarray] = {}
        family = [s for s in scenario.sources if s.id != self.parent.id and self.parent.id in scenario.lineage(s.id)]  # type: ignore[union-attr]
        self.middle = [s.id for s in family if any(other.derives_from == s.id for other in family)]
        """Sources in the middle of a chain, each a dimension of the lattice (after the first source's)."""
        steps = np.arange(SHARED_NODES)[None, :]
        self.lattice = {
            source_id: np.mod(
                steps * (LATTICE_MULTIPLIER ** (d + 1) % SHARED_NODES) / SHARED_NODES + shift[:, None], 1.0
            )
            for d, (source_id, shift) in enumerate(
                zip(self.middle, rng.random((len(self.middle), self.shift.size)), strict=True)
            )
        }

    def _add(self, claim: Claim, truth: np.ndarray) -> int:
        self.claims.append(claim)
        self.truths.append(truth)
        return len(self.claims) - 1

    def _split(self, members: tuple[int, ...]) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
        """The first source's claims, and per other source of the chains involved (parents before children) its
        claims among ``members`` (none, for a source in the middle of a chain without claims here)."""
        parent = tuple(i for i in members if self.claims[i].source == self.parent.id)  # type: ignore[union-attr]
        involved: set[str] = set()
        for i in members:
            involved.update(self.scenario.lineage(self.claims[i].source)[:-1])  # type: ignore[arg-type]
        order = [s.id for s in self.scenario.sources if s.id in involved]
        order.sort(key=lambda source_id: len(self.scenario.lineage(source_id)))
        children = {source_id: tuple(i for i in members if self.claims[i].source == source_id) for source_id in order}
        return parent, children

    def _intersection(self, members: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        n = self.truths[0].size
        low, high = np.full(n, -np.inf), np.full(n, np.inf)
        for index in members:
            a, b = ratio_limits(self.claims[index], self.truths[index])
            low, high = np.maximum(low, a), np.minimum(high, b)
        return low, np.maximum(high, low)

    def _parent_nodes(self, parent: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mass, lower, ρ_p nodes)`` on the parent's intersection for the parent claims ``parent``."""
        if parent not in self._ratios:
            distribution = self.parent.reporting_ratio.distribution  # type: ignore[union-attr]
            mass, lower = interval_probability(distribution, *self._intersection(parent))
            steps = (np.arange(SHARED_NODES)[None, :] + self.shift[:, None]) / SHARED_NODES
            quantiles = np.clip(lower[:, None] + steps * mass[:, None], 1e-300, 1 - 2**-53)
            self._ratios[parent] = (mass, quantiles, np.asarray(distribution.ppf(quantiles), dtype=float))
        return self._ratios[parent]

    def _node_weights(self, members: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per draw the parent mass, and per node the derived sources' joint probability and the node's quantile."""
        parent, children = self._split(members)
        mass, quantiles, ratios = self._parent_nodes(parent)
        weights = np.ones_like(ratios)
        chain = {self.parent.id: ratios}  # type: ignore[union-attr]
        for source_id, indices in children.items():  # parents before children
            source = self.scenario.source(source_id)
            middle = any(self.scenario.source(other).derives_from == source_id for other in children)
            key = (parent, *((s, children[s]) for s in self.scenario.lineage(source_id)[:-1]))
            if middle and key in self._chain:
                share, chain[source_id] = self._chain[key]
                weights = weights * share
                continue
            own = source.reporting_ratio.distribution
            above = chain[source.derives_from]  # type: ignore[index]
            low, high = self._intersection(indices)
            with np.errstate(divide="ignore", invalid="ignore"):
                share, lower = interval_probability(
                    own, (low[:, None] / above).ravel(), (high[:, None] / above).ravel()
                )
            share = np.nan_to_num(share.reshape(ratios.shape))
            weights = weights * share
            if middle:  # its own ratio, drawn at the lattice's node from its prior restricted to its claims
                u = np.clip(
                    np.nan_to_num(lower.reshape(ratios.shape)) + self.lattice[source_id] * share, 1e-300, 1 - 2**-53
                )
                # a node its claims rule out (share 0) carries no weight: its ratio is never used, so the median
                # stands in for a quantile at the floor (where scipy's beta ppf warns that its root search failed)
                quantile = np.where(share > 0, u, 0.5)
                chain[source_id] = above * np.asarray(own.ppf(quantile), dtype=float)
                self._chain[key] = (share, chain[source_id])
        return mass, weights, quantiles

    def single(self, index: int) -> np.ndarray:
        """Claim ``index``'s log-likelihood alone."""
        return self.log_likelihood((index,))

    def log_likelihood(self, members: tuple[int, ...]) -> np.ndarray:
        """``log L(S)`` per draw for the claims ``members``, jointly."""
        if not members:
            return np.zeros(self.truths[0].size)
        if members not in self._log_likelihoods:  # the engine asks for a subset several times (alone, left out, given)
            mass, weights, _ = self._node_weights(members)
            with np.errstate(divide="ignore"):
                self._log_likelihoods[members] = np.log(mass * weights.mean(axis=1))
            self._log_likelihoods[members].flags.writeable = False
        return self._log_likelihoods[members]

    def predictive(self, index: int, given: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``P(R ≤ v, S)``, ``P(R ≥ v, S)``, ``P(S)`` for claim ``index``'s report and the claims ``given``."""
        claim, truth = self.claims[index], self.truths[index]
        at_most = self._add(replace(claim, low=0, high=int(np.floor(claim.figure))), truth)
        at_least = self._add(replace(claim, low=int(np.ceil(claim.figure)), high=None), truth)
        return tuple(  # type: ignore[return-value]
            np.exp(self.log_likelihood(members)) for members in ((*given, at_most), (*given, at_least), given)
        )

    def ratio_quantile(self, members: tuple[int, ...], uniform: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The parent ratio's posterior draw in its prior's quantile space: a node drawn by its weight."""
        _, weights, quantiles = self._node_weights(members)
        running = np.cumsum(weights, axis=1)
        pick = (running < uniform[:, None] * running[:, -1:]).sum(axis=1)  # type: ignore[index]
        pick = np.minimum(pick, SHARED_NODES - 1)
        return quantiles[np.arange(pick.size), pick], np.zeros(pick.size)


def _expected_killed(force: Force) -> float:
    if force.phases:
        return sum(_expected_phase_killed(phase) for phase in force.phases)
    size = prior_mean(force.size.distribution)  # type: ignore[union-attr]
    if force.fatality_rate is not None:
        return size * prior_mean(force.fatality_rate.distribution)
    hazard = prior_mean(force.daily_hazard.distribution)  # type: ignore[union-attr]
    days = prior_mean(force.days.distribution)  # type: ignore[union-attr]
    return size * -np.expm1(-hazard * days)


def integrated_force(scenario: Scenario, quantity: Quantity) -> Force:
    """The force of ``quantity``'s scope whose toll the tail estimator integrates: the largest expected one."""
    forces = [f for f in scenario.forces if f.id in quantity.scope]
    return max(forces, key=_expected_killed)


def _rate_cdf(
    rate: PriorSpec | None, hazard: PriorSpec | None, rate_limit: np.ndarray, days: np.ndarray | None, *, upper: bool
) -> np.ndarray:
    """P(f < rate_limit), or P(f ≥ rate_limit) with ``upper``, given the drawn duration for hazards."""
    if rate is not None:
        distribution, limit = rate.distribution, rate_limit
    else:
        distribution = hazard.distribution  # type: ignore[union-attr]
        with np.errstate(divide="ignore", invalid="ignore"):
            limit = -np.log1p(-rate_limit) / days
    return survival(distribution, limit) if upper else cumulative(distribution, limit)


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
    survivors_tail = _survivors_tail(force, own, metric, residual)
    if survivors_tail is not None:  # T ≤ threshold  ⇔  K ≤ J for a random J drawn from h (see _survivors_tail)
        residual = _threshold_draw(survivors_tail, np.minimum(residual, own.size), rng.random(draws.n))
        metric = "killed"
    if metric != "killed":
        rest, trials, p = own.last_stage(metric)
        return _binomial_cdf(residual - rest, trials, p, upper=upper)
    # the phase (or the force) whose killed is integrated: the largest expected toll, its rate prior uncertain if any
    index = max(range(max(len(force.phases), 1)), key=lambda i: _integration_rank(force, i))
    rate, hazard = (
        (force.phases[index].fatality_rate, force.phases[index].daily_hazard)
        if force.phases
        else (
            force.fatality_rate,
            force.daily_hazard,
        )
    )
    phase = own.phases[index]
    size, limit = phase.present, residual - (own.killed - phase.killed)  # T ≤ threshold  ⇔  K_index ≤ limit
    if is_degenerate((rate or hazard).distribution):  # type: ignore[union-attr]
        return _binomial_cdf(limit, size, phase.fatality_rate, upper=upper)
    estimate = (limit < 0).astype(float) if upper else (limit >= size).astype(float)
    inside = (limit >= 0) & (limit < size)
    if not np.any(inside):
        return estimate
    k, n = limit[inside], size[inside]
    # P(K ≤ k | N, f) = P(Beta(k + 1, N − k) > f): draw the beta, integrate f through its CDF.
    rate_limit = rng.beta(k + 1.0, (n - k).astype(float))
    days = None
    if hazard is not None:
        days = np.full(k.size, float(force.phases[index].days)) if force.phases else own.days[inside]  # type: ignore[index]
    estimate[inside] = _rate_cdf(rate, hazard, rate_limit, days, upper=upper)
    return estimate


Stage = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""``stage(rows, k) -> (x, n, p)``: ``h(k) = P(Binomial(n, p) ≤ x)`` for the draws ``rows`` at the points ``k``."""


def _survivors_tail(force: Force, own: ForceDraws, metric: str, residual: np.ndarray) -> Stage | None:
    """``h(k) = P(T ≤ residual | K = k)`` for casualties, or deaths without non-battle deaths, else None.

    Given ``K = k``, ``T = N − U`` (+ missing) with ``U ~ Binomial(N − k, s(k))`` the survivors who
    stay unwounded (``s = e^{−w·k/(N − k)}``) or who do not die of wounds (``s = 1 − q(k)·d``, by
    thinning). ``U`` is stochastically decreasing in ``k`` (fewer trials, a smaller chance), so ``h``
    is non-increasing and ``Σ_k P(K = k)·h(k) = P(K ≤ J)`` for a random ``J`` with ``P(J ≥ k) = h(k)``:
    the killed tail estimator, which integrates the fatality-rate prior, then applies to ``J``. Only
    for a force without phases whose rate prior is uncertain (otherwise None: the last binomial).
    Returned as a :data:`Stage`: ``h(k) = P(Binomial(N − k, p(k)) ≤ limit − k)``, ``p = 1 − s``.
    """
    prior = force.fatality_rate or force.daily_hazard
    if force.phases or is_degenerate(prior.distribution):  # type: ignore[union-attr]
        return None
    if metric == "casualties":
        limit = residual if own.missing is None else residual - own.missing
    elif metric == "deaths" and own.non_battle is None and own.died_of_wounds is not None:
        limit = residual
    else:
        return None
    size, ratio, fraction = own.size, own.wounded_per_killed, own.phases[0].died_of_wounds_fraction

    def stage(rows: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = wounded_probability(ratio[rows], k, size[rows])  # type: ignore[index]
        if metric == "deaths":
            p = p * fraction[rows]  # type: ignore[index]
        return limit[rows] - k, size[rows] - k, p

    return stage


def _approximate_quantile(trials: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The Cornish–Fisher approximation of the ``Φ(z)`` quantile of ``Binomial(trials, p)``, less ½.

    ``μ + σ·z + (z² − 1)·(1 − 2p)/6 − ½`` (mean, sd and the skewness term ``γ·σ = 1 − 2p``;
    Johnson, Kemp & Kotz, *Univariate Discrete Distributions*, 3rd ed., §3.6). Only used to place
    the exact search of :func:`_threshold_draw`, never as a probability.
    """
    mean = trials * p
    sd = np.sqrt(np.maximum(mean * (1.0 - p), 0.0))
    return mean + sd * z + (z * z - 1.0) * (1.0 - 2.0 * p) / 6.0 - 0.5


def _search(
    holds: Callable[[np.ndarray, np.ndarray], np.ndarray], top: np.ndarray, first: np.ndarray | None = None
) -> np.ndarray:
    """``max{k ∈ 0..top : holds(rows, k)}`` per row (−1 if none), for a predicate true up to a point, false after.

    Without ``first``, bisection (about ``log2(top)`` evaluations). With ``first``, a guess per row,
    the search probes the guess, then gallops from it by steps of 1, 2, 4, ... towards the answer
    until the predicate changes, then bisects what is left: a guess off by ``e`` costs about
    ``2·log2(e) + 2`` evaluations, and since no probe goes past the midpoint of what is left, a bad
    guess costs at most about twice the bisection. The answer does not depend on the guess.
    """
    rows = np.arange(top.size)
    low = np.full(top.size, -1, dtype=np.int64)  # holds at low (at −1 by definition)
    high = np.maximum(top, -1).astype(np.int64)  # the answer is at most high
    held = np.zeros(top.size, dtype=bool)  # whether the row's last probe held
    step = 0
    while np.any(low < high):
        active = low < high
        lo, hi = low[active], high[active]
        middle = (lo + hi + 1) // 2
        if first is None:
            at = middle
        elif step == 0:
            at = np.clip(first[active], lo + 1, hi)
        else:
            at = np.where(held[active], np.minimum(lo + step, middle), np.maximum(hi + 1 - step, middle))
        result = holds(rows[active], at)
        low[active] = np.where(result, at, lo)
        high[active] = np.where(result, hi, at - 1)
        held[active] = result
        step = max(2 * step, 1)
    return low


def _threshold_draw(stage: Stage, top: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``J = max{k ∈ 0..top : h(k) ≥ u}`` (−1 if none) for a non-increasing ``h`` given by ``stage``.

    Exact: the answer is decided by the exact binomial CDF alone. Its Cornish–Fisher approximation
    (``h(k) ≥ u`` where ``x(k)`` reaches the approximate ``u``-quantile,
    :func:`_approximate_quantile`; cheap) is solved first by bisection, and the exact search
    starts from that guess (:func:`_search`): about two exact CDF evaluations per draw when the
    guess is right or one off, instead of ``log2(top)``.
    """
    with np.errstate(divide="ignore"):
        z = special.ndtri(u)

    def approximate(rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        limit, trials, p = stage(rows, k)
        with np.errstate(invalid="ignore"):
            return limit >= _approximate_quantile(trials, p, z[rows])

    def exact(rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        return _binomial_cdf(*stage(rows, k), upper=False) >= u[rows]

    return _search(exact, top, first=_search(approximate, top))


def _integration_rank(force: Force, index: int) -> tuple[bool, float]:
    """Which phase the killed tail integrates: one with an uncertain rate first, then the largest expected toll."""
    if not force.phases:
        return True, 0.0
    phase = force.phases[index]
    prior = phase.fatality_rate or phase.daily_hazard
    return not is_degenerate(prior.distribution), _expected_phase_killed(phase)  # type: ignore[union-attr]
