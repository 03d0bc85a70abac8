"""The statistical core's numerics against independent references (issue 20's surviving mutants).

What is checked against what (every reference computed here with scipy or by hand, never with sim's code):

- ``JointLikelihood`` for a partly shared ratio (``0 < claim_correlation < 1``, a Gaussian copula): the joint
  likelihood of subsets and the predictive tails ``P(R ≤ v, S)``, ``P(R ≥ v, S)``, ``P(S)``, against Gauss–Legendre
  quadrature over the shared factor ``Z``; the exactly shared ratio's predictive tails against the closed form (CDF
  differences over the intersection of the claims' ratio intervals).
- ``FamilyLikelihood`` along a chain of derived sources (A ← B ← C, ratios multiplying): likelihoods and predictive
  tails against nested Gauss–Legendre quadrature over ``log ρ_A`` and ``log ρ_B,own``.
- ``_approximate_quantile`` against the exact binomial quantile (``scipy.stats.binom.ppf``).
- ``engine._histogram_index`` against ``numpy.searchsorted`` (boundaries, values on edges, outliers).
- ``engine._accumulate`` for tolls beyond ``TRUTH_BINS``: the prior's and the posterior's predictive-tail sums against
  sums over the run's own draws with weights and tails computed by scipy.
- ``engine._ratio``, ``_scaled`` by hand; ``Tally``, ``SparseTally``, ``Mean`` and ``Sums`` merging with extreme
  log-scales (−1000, a chunk 700 below the largest, an empty chunk at −∞) against brute-force sums over all draws.

Monte Carlo tolerances are ``Z`` standard errors of the mean of i.i.d. per-draw estimates (the draws of one block
share their truths, so their estimates differ only by the node rule's random shift), plus the measured error of the
quadrature; deterministic numerics have tolerances from their floating-point error, stated where used.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from reference_cases import chain_scenario
from scipy import special, stats

from sim import parse_scenario, simulate
from sim.engine import (
    TRUTH_BINS,
    Conditional,
    Mean,
    SparseTally,
    Sums,
    Tally,
    _histogram_index,
    _ratio,
    _scaled,
    plan_simulation,
)
from sim.inference import FamilyLikelihood, JointLikelihood, _approximate_quantile, claim_groups

Z = 4.5  # a 4.5-sigma bound fails falsely ~7e-6 of the time per comparison
QUADRATURE_POINTS = 400
QUADRATURE_ERROR = 1e-12
"""Bound on the quadratures' error: 400 and 1,600 Gauss–Legendre nodes (copula), 200 and 800 per level (chains) agree
to within 4e-14 on every case here (measured), and the tails beyond ±10 (copula) or ±12 sd (chains) hold < 1e-22."""


@functools.cache
def _legendre(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [−1, 1] (computed once per size: numpy solves an eigenproblem)."""
    return np.polynomial.legendre.leggauss(points)


def _lognormal(low: float, high: float):
    """The lognormal whose central 90% interval is ``[low, high]`` (docs/priors.md's ``ci90``), built with scipy."""
    sigma = math.log(high / low) / (2 * stats.norm.ppf(0.95))
    return stats.lognorm(s=sigma, scale=math.sqrt(low * high))


def _block_means(values: np.ndarray, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Per block of equal truths: the mean of the per-draw estimates and its standard error."""
    rows = values.reshape(blocks, -1)
    return rows.mean(axis=1), rows.std(axis=1, ddof=1) / math.sqrt(rows.shape[1])


# --- a partly shared ratio: the Gaussian copula against quadrature over the shared factor -------------------------

COPULA = """
[simulation]
draws = 1000
seed = 1
[forces.a]
size = 200
fatality_rate = {{ dist = "beta", a = 2, b = 8 }}
[sources.s]
claim_correlation = {correlation}
reporting_ratio = {ratio}
[[claims]]
id = "first"
value = 10
source = "s"
[[claims]]
id = "second"
value = 30
rounding = 10
source = "s"
[[claims]]
id = "third"
value = [5, 10]
relation = "between"
source = "s"
"""
READINGS = ((10, 10), (25, 34), (5, 10))
"""The claims' readings ``[lo, hi]``: "10", "30" to the nearest 10, "between 5 and 10" (figure 7.5, not whole)."""
FIGURES = (10.0, 30.0, 7.5)
PER_BLOCK = 4000
PRIORS = {
    "beta": (
        '{ dist = "beta", a = 5, b = 5 }',
        stats.beta(5, 5),
        0.6,
        ((20, 60, 15), (14, 50, 20), (0, 80, 12), (30, 45, 25), (16, 90, 11)),
    ),
    "lognormal": (
        '{ dist = "lognormal", ci90 = [0.6, 1.6] }',
        _lognormal(0.6, 1.6),
        0.3,
        ((10, 30, 8), (14, 25, 6), (0, 40, 9), (8, 35, 12), (12, 28, 5)),
    ),
}
"""Per ratio prior: its TOML, scipy's distribution, the claim correlation, and the truths ``(T_first, T_second,
T_third)`` of each block of draws: ratios across the prior's bulk and a T of 0 (the report is 0). Every probability
compared is 0 or above 3e-4: further in the tails a node rarely lands where the integrand lives, the per-draw
estimates are heavy-tailed and their sample sd understates the error (measured: 10 "sd" at 1e-7)."""


def _copula_likelihood(prior: str, rng: np.random.Generator, claims: int = 3) -> JointLikelihood:
    """The joint likelihood of the source's first ``claims`` claims, on the blocks' truths."""
    text, _, correlation, blocks = PRIORS[prior]
    scenario = parse_scenario(COPULA.format(correlation=correlation, ratio=text))
    (group,) = claim_groups(scenario.claims[:claims], scenario)
    truths = {claim.id: np.repeat([block[i] for block in blocks], PER_BLOCK) for i, claim in enumerate(group.claims)}
    return JointLikelihood(group, truths, scenario, rng)


def _score(ratio, x: np.ndarray) -> np.ndarray:
    """``Φ⁻¹(F(x))``, from the upper tail where ``F(x) > ½`` (scipy's ``isf`` of the survival function)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = ratio.cdf(x)
        return np.where(lower < 0.5, stats.norm.ppf(lower), stats.norm.isf(ratio.sf(x)))


def _copula_reference(ratio, correlation: float, given: dict[int, tuple[float, float]], block, tail=None) -> float:
    """``∫ φ(z) Π_j P(claim j's report in [lo_j, hi_j] | z) · P(tail | z) dz`` by Gauss–Legendre on [−10, 10].

    Claim ``j``'s ratio is ``F⁻¹(Φ(√c·z + √(1 − c)·E_j))`` (docs/claims.md), so given ``z`` its report lies in
    ``[lo, hi]`` with probability ``Φ((β − √c z)/√(1 − c)) − Φ((α − √c z)/√(1 − c))``, ``α, β`` the normal scores
    of the ratio interval's ends ``(lo − ½)/T``, ``(hi + ½)/T``. ``tail = (index, cut, upper)``: ``P(ρ ≤ cut | z)``
    (or ``P(ρ > cut | z)``) for claim ``index``'s ratio.
    """
    nodes, weights = _legendre(QUADRATURE_POINTS)
    z, dz = 10 * nodes, 10 * weights * stats.norm.pdf(10 * nodes)
    loading, spread = math.sqrt(correlation), math.sqrt(1 - correlation)
    integrand = np.ones_like(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, (low, high) in given.items():
            truth = np.float64(block[j])
            a, b = _score(ratio, (low - 0.5) / truth), _score(ratio, (high + 0.5) / truth)
            integrand = integrand * (
                special.ndtr((b - loading * z) / spread) - special.ndtr((a - loading * z) / spread)
            )
        if tail is not None:
            index, cut, upper = tail
            score = _score(ratio, cut / np.float64(block[index]))
            integrand = integrand * special.ndtr(((loading * z - score) if upper else (score - loading * z)) / spread)
    return float(np.nan_to_num(integrand) @ dz)


def _assert_blocks(estimates: np.ndarray, references: list[float], what: str) -> None:
    means, errors = _block_means(estimates, len(references))
    for block, (mean, error, reference) in enumerate(zip(means, errors, references, strict=True)):
        assert abs(mean - reference) <= Z * error + QUADRATURE_ERROR, (what, block, mean, reference, error)


@pytest.mark.parametrize("prior", PRIORS)
def test_partly_shared_likelihood_of_every_subset_against_quadrature(prior):
    """``L(S)`` for pairs and the triple (the node rule) and single claims (the exact CDF difference), in a group of
    three claims and in one of two (the smallest that shares partly)."""
    _, ratio, correlation, blocks = PRIORS[prior]
    for claims, subsets in ((3, ((0, 1), (0, 2), (1, 2), (0, 1, 2), (2,), (1,))), (2, ((0, 1), (1,)))):
        likelihood = _copula_likelihood(prior, np.random.default_rng(11), claims)
        for members in subsets:
            references = [
                _copula_reference(ratio, correlation, {j: READINGS[j] for j in members}, block) for block in blocks
            ]
            _assert_blocks(np.exp(likelihood.log_likelihood(members)), references, (claims, members))
        assert np.array_equal(likelihood.log_likelihood(()), np.zeros(PER_BLOCK * len(blocks)))


@pytest.mark.parametrize("prior", PRIORS)
def test_partly_shared_predictive_tails_against_quadrature(prior):
    """``P(R ≤ v, S)``, ``P(R ≥ v, S)``, ``P(S)`` of a claim's report given the others of its source, per block.

    ``R ≤ v`` is ``ρ ≤ (⌊v⌋ + ½)/T`` and ``R ≥ v`` is ``ρ > (⌈v⌉ − ½)/T``: the third claim's figure 7.5 makes floor
    and ceiling differ.
    """
    _, ratio, correlation, blocks = PRIORS[prior]
    likelihood = _copula_likelihood(prior, np.random.default_rng(12))
    for index, given in ((0, (1, 2)), (2, (0, 1)), (1, (2,)), (2, (1,))):
        readings = {j: READINGS[j] for j in given}
        figure = FIGURES[index]
        at_most, at_least, total = likelihood.predictive(index, given)
        le = (index, math.floor(figure) + 0.5, False)
        ge = (index, math.ceil(figure) - 0.5, True)
        for estimates, tail, name in ((at_most, le, "at_most"), (at_least, ge, "at_least"), (total, None, "total")):
            references = [_copula_reference(ratio, correlation, readings, block, tail) for block in blocks]
            _assert_blocks(estimates, references, (index, given, name))


@pytest.mark.parametrize("prior", PRIORS)
def test_predictive_tails_given_no_other_claim_are_the_ratio_priors_tails(prior):
    """Given nothing, ``P(R ≤ v | T) = F((⌊v⌋ + ½)/T)`` and ``P(R ≥ v | T) = S((⌈v⌉ − ½)/T)`` exactly."""
    _, ratio, _, blocks = PRIORS[prior]
    likelihood = _copula_likelihood(prior, np.random.default_rng(13))
    for index, figure in enumerate(FIGURES):
        truth = np.repeat([block[index] for block in blocks], PER_BLOCK).astype(float)
        at_most, at_least, total = likelihood.predictive(index, ())
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(at_most, ratio.cdf((math.floor(figure) + 0.5) / truth), rtol=1e-12, atol=0)
            np.testing.assert_allclose(at_least, ratio.sf((math.ceil(figure) - 0.5) / truth), rtol=1e-12, atol=0)
        assert np.array_equal(total, np.ones(truth.size))


def test_a_partly_shared_source_needs_a_generator_and_a_lone_claim_none():
    """The node rule's random shift is required for two or more claims, and not used for one (its exact marginal)."""
    correlation = PRIORS["beta"][2]
    scenario = parse_scenario(COPULA.format(correlation=correlation, ratio=PRIORS["beta"][0]))
    (group,) = claim_groups(scenario.claims, scenario)
    truth = np.array([20, 40])
    truths = {claim.id: truth for claim in scenario.claims}
    with pytest.raises(ValueError, match="random generator"):
        JointLikelihood(group, truths, scenario)
    lone = claim_groups(scenario.claims[:1], scenario)[0]
    alone = JointLikelihood(lone, truths, scenario)
    assert alone.nodes is None
    ratio = stats.beta(5, 5)
    expected = ratio.cdf(10.5 / truth) - ratio.cdf(9.5 / truth)
    np.testing.assert_allclose(np.exp(alone.log_likelihood((0,))), expected, rtol=1e-12)  # rounding only


def test_exactly_shared_predictive_tails_are_cdf_differences_over_the_intersection():
    """``claim_correlation = 1``: with ``(a, b]`` the intersection of the other claims' ratio intervals,
    ``P(R ≤ v, S) = F(min(b, c_le)) − F(a)``, ``P(R ≥ v, S) = F(b) − F(max(a, c_ge))`` (0 when empty)."""
    scenario = parse_scenario(COPULA.format(correlation=1, ratio=PRIORS["beta"][0]))
    (group,) = claim_groups(scenario.claims, scenario)
    rng = np.random.default_rng(14)
    # truths near figure/ρ for one ρ per draw, each claim's jittered by ±15%, 2% of them 0: the claims' intervals
    # overlap in most draws and the figure's cut falls inside the intersection in 20% to 95% of them
    rho = rng.uniform(0.2, 0.85, 3000)
    truths = {
        claim.id: np.rint(figure / (rho * rng.uniform(0.85, 1.15, rho.size))).astype(np.int64)
        * (rng.random(rho.size) > 0.02)
        for claim, figure in zip(group.claims, FIGURES, strict=True)
    }
    likelihood = JointLikelihood(group, truths, scenario)
    assert likelihood.nodes is None
    ratio = stats.beta(5, 5)

    def mass(low: np.ndarray, high: np.ndarray) -> np.ndarray:
        return np.where(high > low, ratio.cdf(np.maximum(high, low)) - ratio.cdf(low), 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        for index, given in ((0, (1, 2)), (2, (0, 1)), (1, (0,)), (1, (2,))):
            t = {j: truths[group.claims[j].id].astype(float) for j in range(3)}
            a = np.max([(READINGS[j][0] - 0.5) / t[j] for j in given], axis=0)
            b = np.min([(READINGS[j][1] + 0.5) / t[j] for j in given], axis=0)
            cut_le = (math.floor(FIGURES[index]) + 0.5) / t[index]
            cut_ge = (math.ceil(FIGURES[index]) - 0.5) / t[index]
            expected = (mass(a, np.minimum(b, cut_le)), mass(np.maximum(a, cut_ge), b), mass(a, b))
            assert np.mean((expected[0] > 0) & (expected[0] < expected[2])) > 0.15  # the cut matters
            # tolerance: the CDF differences' rounding (sim takes upper-tail ones through the survival function)
            for got, want in zip(likelihood.predictive(index, given), expected, strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(
                np.exp(likelihood.log_likelihood((index, *given))),
                mass(
                    np.maximum(a, (READINGS[index][0] - 0.5) / t[index]),
                    np.minimum(b, (READINGS[index][1] + 0.5) / t[index]),
                ),
                rtol=1e-9,
                atol=1e-15,
            )


# --- chains of derived sources: nested quadrature over the shared ratios ------------------------------------------

CHAIN = chain_scenario(press_high=141)
CHAIN_RATIOS = (_lognormal(0.6, 1.6), _lognormal(0.8, 3.0), _lognormal(0.7, 1.5))
"""ρ_intel, ρ_press,own, ρ_blog,own: ρ_press = ρ_intel·ρ_press,own and ρ_blog = ρ_press·ρ_blog,own."""
CHAIN_READINGS = ((40, 70), (60, 141), (80, 160))
CHAIN_FIGURES = (55.0, 100.5, 120.0)
CHAIN_BLOCKS = ((50, 60, 70), (40, 55, 80), (60, 90, 100), (0, 45, 60))
"""Truths of (intel's, press's, blog's) claims per block; intel's 0 rules the block out for subsets with it."""


def _chain_family(rng: np.random.Generator) -> FamilyLikelihood:
    scenario = parse_scenario(CHAIN)
    (group,) = claim_groups(scenario.claims, scenario)
    assert group.derived and group.key == "intel"
    truths = {
        claim.id: np.repeat([block[i] for block in CHAIN_BLOCKS], PER_BLOCK) for i, claim in enumerate(group.claims)
    }
    return FamilyLikelihood(group, truths, scenario, rng)


def _log_limits(readings: list[tuple[float, float, float]]) -> tuple[float, float]:
    """``log`` of the intersection ``(max (lo − ½)/T, min (hi + ½)/T]`` of readings ``(lo, hi, T)`` (all: ±∞)."""
    low = (
        max(((lo - 0.5) / t if t else (math.inf if lo > 0 else -math.inf)) for lo, _, t in readings) if readings else 0
    )
    high = min(((hi + 0.5) / t if t else math.inf) for _, hi, t in readings) if readings else math.inf
    with np.errstate(divide="ignore"):
        return float(np.log(max(low, 0.0))), float(np.log(high))


def _normal_nodes(low, high, mu: float, sigma: float, points: int):
    """Gauss–Legendre nodes and weights for ``∫_low^high φ((x − μ)/σ)/σ g(x) dx`` (limits cut at μ ± 12σ)."""
    low = np.maximum(low, mu - 12 * sigma)
    high = np.maximum(np.minimum(high, mu + 12 * sigma), low)
    x, w = _legendre(points)
    half = np.asarray((high - low) / 2)[..., None]
    nodes = np.asarray((high + low) / 2)[..., None] + half * x
    return nodes, half * w * stats.norm.pdf(nodes, mu, sigma)


def _chain_reference(readings: tuple[list, list, list], points: int = 200) -> float:
    """``L = ∫∫ f(ρ_A) f(ρ_B,own) 1[ρ_A ∈ I_A] 1[ρ_A ρ_B,own ∈ I_B] P(ρ_A ρ_B,own ρ_C,own ∈ I_C) d…``.

    Nested Gauss–Legendre over ``log ρ_A`` and ``log ρ_B,own`` (normal densities for the lognormal priors), each on
    the stretch its claims allow; the blog's own ratio through its normal CDF. ``readings[k]``: the ``(lo, hi, T)``
    of source ``k``'s claims in the subset (none: the ratio is unrestricted).
    """
    (mu_a, mu_b, mu_c), (s_a, s_b, s_c) = zip(
        *((math.log(r.kwds["scale"]), r.kwds["s"]) for r in CHAIN_RATIOS), strict=True
    )
    low_a, high_a = _log_limits(readings[0])
    if high_a <= low_a:
        return 0.0
    x_a, w_a = _normal_nodes(low_a, high_a, mu_a, s_a, points)
    low_b, high_b = _log_limits(readings[1])
    if high_b <= low_b:
        return 0.0
    x_b, w_b = _normal_nodes(low_b - x_a, high_b - x_a, mu_b, s_b, points)
    low_c, high_c = _log_limits(readings[2])
    if high_c <= low_c:
        return 0.0
    total = x_a[:, None] + x_b
    blog = special.ndtr((high_c - total - mu_c) / s_c) - special.ndtr((low_c - total - mu_c) / s_c)
    return float((w_a[:, None] * w_b * blog).sum())


def _chain_readings(members: dict[int, tuple[float, float]], block) -> tuple[list, list, list]:
    """Per source (intel, press, blog), the ``(lo, hi, T)`` of its claims among ``members`` (claim k is source k's)."""
    return tuple([(*members[k], block[k])] if k in members else [] for k in range(3))  # type: ignore[return-value]


def test_a_chain_of_derived_sources_likelihood_of_every_subset_against_nested_quadrature():
    """Subsets with and without the first source's, the middle source's and the last source's claims: the middle's
    ratio is drawn at each node from its prior restricted to its claims (or unrestricted), the ratios multiply.
    Asked in turn of one object, so that its caches of the parent's nodes and of the chain are exercised."""
    family = _chain_family(np.random.default_rng(21))
    for members in ((0, 1, 2), (0, 2), (1, 2), (0, 1), (2,), (1,), (0,), (0, 1, 2), (2, 1)):
        references = [
            _chain_reference(_chain_readings({k: CHAIN_READINGS[k] for k in members}, block)) for block in CHAIN_BLOCKS
        ]
        _assert_blocks(np.exp(family.log_likelihood(members)), references, members)


def test_a_chain_of_derived_sources_predictive_tails_against_nested_quadrature():
    """``P(R ≤ v, S)``, ``P(R ≥ v, S)``, ``P(S)`` for the last, the middle and the first source's claim given the
    others: the claim's reading replaced by ``[0, ⌊v⌋]`` or ``[⌈v⌉, ∞)`` (press's figure 100.5 is not whole)."""
    family = _chain_family(np.random.default_rng(22))
    for index, given in ((2, (0, 1)), (1, (0, 2)), (0, (1, 2)), (2, (1,))):
        figure = CHAIN_FIGURES[index]
        others = {k: CHAIN_READINGS[k] for k in given}
        at_most, at_least, total = family.predictive(index, given)
        cases = (
            (at_most, {**others, index: (0, math.floor(figure))}, "at_most"),
            (at_least, {**others, index: (math.ceil(figure), math.inf)}, "at_least"),
            (total, others, "total"),
        )
        for estimates, members, name in cases:
            references = [_chain_reference(_chain_readings(members, block)) for block in CHAIN_BLOCKS]
            _assert_blocks(estimates, references, (index, given, name))


# --- the Cornish–Fisher start of the exact threshold search ---------------------------------------------------------


def test_approximate_binomial_quantile_against_the_exact_quantile():
    """``⌈x⌉`` of the approximation (the quantile less ½) is the exact ``Φ(z)``-quantile ``min{k: F(k) ≥ Φ(z)}``.

    Cornish–Fisher with the skewness term leaves an error of order 1/σ counts (the next, kurtosis, term; Johnson,
    Kemp & Kotz §3.6), so with σ ≥ 7 the rounded value is off by at most one, and exact at 99.6% of this grid
    (measured): the bound 99% leaves room for 10 more misses, while dropping the skewness term, its sign, the ½, or
    changing its 6 to 7 each miss on more than 7% of the grid.
    """
    n, p, z = np.meshgrid(
        [2 * 10**5, 10**6, 10**7],
        [3e-4, 1e-3, 0.01, 0.1, 0.3, 0.7, 0.9, 0.99],
        np.linspace(-3.5, 3.5, 71),
        indexing="ij",
    )
    n, p, z = n.ravel().astype(float), p.ravel(), z.ravel()
    exact = stats.binom.ppf(special.ndtr(z), n, p)
    approximate = np.ceil(_approximate_quantile(n, p, z))
    assert np.abs(approximate - exact).max() <= 1
    assert np.mean(approximate == exact) >= 0.99
    # small counts: still within one of the exact quantile where σ ≥ 3
    n, p, z = np.meshgrid([30, 100, 400, 2000], [0.05, 0.2, 0.5, 0.8, 0.95], np.linspace(-3, 3, 31), indexing="ij")
    n, p, z = n.ravel().astype(float), p.ravel(), z.ravel()
    keep = n * p * (1 - p) >= 9
    exact = stats.binom.ppf(special.ndtr(z[keep]), n[keep], p[keep])
    assert np.abs(np.ceil(_approximate_quantile(n[keep], p[keep], z[keep])) - exact).max() <= 1


# --- the engine: histogram bins, tallies beyond TRUTH_BINS, weights and merging -------------------------------------


def _searchsorted_bin(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The bin ``[e_k, e_{k+1})`` holding each value, outliers in the end bins (the reference)."""
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)


@pytest.mark.parametrize(
    ("edges", "geometric"),
    [
        (np.linspace(0.1, 0.9, 2049), False),
        (np.geomspace(0.01, 5.0, 2049), True),
        (np.linspace(-3.0, 7.0, 11), False),
        (np.geomspace(1, 1e3, 4), True),
    ],
    ids=["linear", "geometric", "linear-negative", "geometric-decades"],
)
def test_histogram_index_against_searchsorted(edges, geometric):
    """Random values inside, values on every edge, below the first and above the last edge, ±∞.

    The index comes from the edges' formula, not the stored edges, so a value equal to a stored edge that
    ``linspace``/``geomspace`` rounded by an ulp may land in the bin below (11% and 19% of the 2,049 edges here,
    measured): it is still in that bin's closed interval, which is what is asserted for edges.
    """
    rng = np.random.default_rng(31)
    if geometric:
        inside = np.exp(rng.uniform(np.log(edges[0]), np.log(edges[-1]), 20_000))
    else:
        inside = rng.uniform(edges[0], edges[-1], 20_000)
    got, want = _histogram_index(inside, edges), _searchsorted_bin(inside, edges)
    # a value within a few ulps of an edge may round to either side of it: there, either bin holds it
    position = np.clip(np.searchsorted(edges, inside), 1, edges.size - 1)
    gap = np.minimum(inside - edges[position - 1], edges[position] - inside)
    near = gap < 1e-12 * np.abs(edges).max()
    assert np.array_equal(got[~near], want[~near]) and near.sum() < 5
    # a value on an edge lies in the closed bin the index names (the one above it, or below by rounding)
    on_edges = _histogram_index(edges, edges)
    assert np.all((edges[on_edges] <= edges) & (edges <= edges[on_edges + 1]))
    assert on_edges[0] == 0 and on_edges[-1] == edges.size - 2
    # midpoints of the bins are in their own bins
    middle = np.sqrt(edges[1:] * edges[:-1]) if geometric else (edges[1:] + edges[:-1]) / 2
    assert np.array_equal(_histogram_index(middle, edges), np.arange(edges.size - 1))
    below = np.array([edges[0] - 1.0, edges[0] - 1e-9 * abs(edges[0]), -np.inf, -1e300])
    above = np.array([edges[-1] * 2 + 1, edges[-1] + 1e-9 * abs(edges[-1]), np.inf, 1e300])
    with np.errstate(invalid="ignore"):
        assert np.array_equal(_histogram_index(below, edges), np.zeros(4, dtype=np.int64))
        assert np.array_equal(_histogram_index(above, edges), np.full(4, edges.size - 2))


def test_histogram_index_of_exactly_representable_edges_is_exact():
    """Edges on binary fractions (step ¼, or decades of 10): every edge is its own bin's lower end, 0 below."""
    edges = np.linspace(0.0, 1.0, 5)
    assert _histogram_index(edges, edges).tolist() == [0, 1, 2, 3, 3]
    assert _histogram_index(np.array([0.2499, 0.25, 0.2501, 0.9999]), edges).tolist() == [0, 1, 1, 3]
    decades = np.array([1.0, 10.0, 100.0, 1000.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        got = _histogram_index(np.array([0.0, -5.0, 0.5, 1.0, 9.99, 10.0, 99.0, 100.0, 1000.0, 5000.0]), decades)
    assert got.tolist() == [0, 0, 0, 0, 0, 1, 1, 2, 2, 2]


BEYOND = """
[simulation]
draws = 12000
seed = 17
chunk_size = 5000
[forces.big]
size = {{ dist = "discrete", values = [1_500_000, {below}, {edge}, {above}, 2_700_000] }}
fatality_rate = {{ dist = "fixed", value = 1.0 }}
[sources.s]
reporting_ratio = {{ dist = "lognormal", ci90 = [0.6, 1.6] }}
[[claims]]
id = "c"
value = 2_300_000
rounding = 100_000
source = "s"
[inference]
condition_on = ["c"]
"""


def test_predictive_tail_sums_beyond_truth_bins_are_weighted_like_the_others():
    """Tolls at ``TRUTH_BINS − 1``, ``TRUTH_BINS``, ``+1`` and far on both sides: the prior's sums of ``g(T)`` and
    ``g(T)²`` and the posterior's ``Σw·g``, ``Σw²·g``, ``Σw²·g²`` over every draw, ``w = L(T)`` and ``g`` the report's
    tails, all by scipy from the run's own tolls (three chunks: the tallied and the per-draw parts merge).
    Tolerance: the sums' floating-point error (1e-12 relative over 12,000 terms)."""
    text = BEYOND.format(below=TRUTH_BINS - 1, edge=TRUTH_BINS, above=TRUTH_BINS + 1)
    result = simulate(parse_scenario(text), workers=1)
    truth = result.reservoir["killed"].astype(float)
    assert truth.size == 12000
    assert {TRUTH_BINS - 1, TRUTH_BINS, TRUTH_BINS + 1} <= set(truth.tolist())
    assert 0.3 < np.mean(truth >= TRUTH_BINS) < 0.8
    ratio = _lognormal(0.6, 1.6)
    weight = ratio.cdf(2_349_999.5 / truth) - ratio.cdf(2_249_999.5 / truth)
    tails = {"at_most": ratio.cdf(2_300_000.5 / truth), "at_least": ratio.sf(2_299_999.5 / truth)}
    scale = math.exp(result.posterior.log_scale)
    for kind, g in tails.items():
        prior = getattr(result.prior, kind)["c"]
        np.testing.assert_allclose(prior.linear, [truth.size, g.sum()], rtol=1e-12)
        np.testing.assert_allclose(prior.quadratic, [truth.size, g.sum(), (g * g).sum()], rtol=1e-12)
        posterior = getattr(result.posterior, kind)["c"]
        np.testing.assert_allclose(posterior.linear * scale, [weight.sum(), (weight * g).sum()], rtol=1e-12)
        np.testing.assert_allclose(
            posterior.quadratic * scale**2,
            [(weight**2).sum(), (weight**2 * g).sum(), (weight**2 * g * g).sum()],
            rtol=1e-12,
        )


def test_scaled_and_ratio_by_hand():
    """``_scaled``: ``exp(x − max)`` and the max, zeros and −∞ when nothing has weight; ``_ratio``: 0 where the
    denominator is 0."""
    weights, scale = _scaled(np.array([-1000.0, -1001.0, -np.inf, -1000.5]))
    assert scale == -1000.0
    np.testing.assert_allclose(weights, [1.0, math.exp(-1.0), 0.0, math.exp(-0.5)], rtol=1e-15)
    weights, scale = _scaled(np.array([800.0, 700.0]))
    assert scale == 800.0 and weights.tolist() == [1.0, math.exp(-100.0)]
    for empty in (np.array([]), np.full(3, -np.inf)):
        weights, scale = _scaled(empty)
        assert scale == -math.inf and weights.tolist() == [0.0] * empty.size
    numerator = np.array([-1000.0, -np.inf, -np.inf, 3.0, -5.0, 0.0])
    denominator = np.array([-1001.0, -np.inf, -2.0, -np.inf, -5.0, 2.0])
    with np.errstate(invalid="ignore"):
        got = _ratio(numerator, denominator)
    np.testing.assert_allclose(got, [math.e, 0.0, 0.0, 0.0, 1.0, math.exp(-2.0)], rtol=1e-15)


CHUNKS = ((-1000.0, 300), (-np.inf, 120), (-1700.0, 250), (-np.inf, 0), (-999.25, 80), (-1000.5, 200), (-1300.0, 150))
"""Chunks' largest log-weights and sizes: one whose draws all weigh 0 (−∞), an empty one, one 700 below the largest
(its weights ~1e-304 relative), all far below the smallest double if exponentiated directly."""


def _chunks(rng: np.random.Generator):
    """Per chunk: its log-scale, values, weights relative to its scale (largest 1, or all 0) and continuous values."""
    chunks = []
    for c, (scale, size) in enumerate(CHUNKS):
        values = rng.integers(0, 40, size) + (1000 if c == 2 else 0)
        weights = np.zeros(size) if scale == -np.inf else rng.uniform(0.0, 1.0, size)
        if scale != -np.inf:
            weights[rng.integers(size)] = 1.0
        chunks.append((scale, values, weights, rng.normal(size=size)))
    return chunks


def _chunk_sums(scale: float, values: np.ndarray, weights: np.ndarray, x: np.ndarray, fresh: bool) -> Sums:
    sums = Sums(log_scale=scale)
    sums.weight = Mean.of(np.ones(values.size), weights)
    sums.counts["k"] = Tally.of(values, weights, step=4, overflow=int(values.size > 100))
    sums.truths["k"] = SparseTally.of(values, weights)
    sums.at_most["c"] = Mean.of(x, weights)
    sums.moments["path"] = np.array([weights.sum(), (weights * x).sum(), (weights * x * x).sum()])
    sums.gram["k"] = np.array([(weights * weights).sum(), (weights * weights * x).sum()])
    if fresh:  # keys first met in a later chunk: copied, rescaled to the merged scale
        sums.histograms["late"] = Tally.of(values, weights)
        sums.gram["late"] = np.array([(weights * weights).sum()])
    return sums


@pytest.mark.parametrize("order", ["as given", "reversed"])
def test_sums_merged_over_chunks_with_extreme_log_scales_equal_one_pass_over_all_draws(order):
    """Merging chunk sums, each relative to its own log-scale, equals the sums over all draws relative to the
    largest: ``Σw`` terms rescaled by ``exp(Δ)``, ``Σw²`` terms (a tally's quadratic, ``gram``) by ``exp(2Δ)``.
    Tolerance: floating-point summation (1e-12 relative)."""
    chunks = _chunks(np.random.default_rng(41))
    if order == "reversed":
        chunks = chunks[::-1]
    merged = Sums(log_scale=-math.inf)
    for c, chunk in enumerate(chunks):
        merged.merge(_chunk_sums(*chunk, fresh=c >= 5))
    top = max(scale for scale, *_ in chunks)
    assert merged.log_scale == top
    # the reference: every draw's weight relative to the largest, in one pass
    relative = np.concatenate([w * math.exp(s - top) if s > -np.inf else w * 0 for s, _, w, _ in chunks])
    values = np.concatenate([v for _, v, _, _ in chunks])
    x = np.concatenate([x for *_, x in chunks])
    late = np.concatenate([np.full(v.size, c >= 5) for c, (_, v, _, _) in enumerate(chunks)])

    def close(got, want):  # atol: rounding of subnormal sums (the chunk 700 below, squared, underflows to 0)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-320)

    close(merged.weight.linear, [relative.sum(), relative.sum()])
    close(merged.weight.quadratic, [(relative**2).sum()] * 3)
    close(merged.counts["k"].linear, np.bincount(values, weights=relative))
    close(merged.counts["k"].quadratic, np.bincount(values // 4, weights=relative**2))
    assert merged.counts["k"].overflow == sum(v.size > 100 for _, v, _, _ in chunks)
    support, linear, quadratic = merged.truths["k"].nonzero()
    dense = np.bincount(values, weights=relative)
    assert support.tolist() == np.flatnonzero(dense).tolist()
    close(linear, dense[support])
    close(quadratic, np.bincount(values, weights=relative**2)[support])
    close(merged.at_most["c"].linear, [relative.sum(), (relative * x).sum()])
    close(merged.at_most["c"].quadratic, [(relative**2).sum(), (relative**2 * x).sum(), (relative**2 * x * x).sum()])
    close(merged.moments["path"], [relative.sum(), (relative * x).sum(), (relative * x * x).sum()])
    close(merged.gram["k"], [(relative**2).sum(), (relative**2 * x).sum()])
    close(merged.histograms["late"].linear, np.bincount(values[late], weights=relative[late]))
    close(merged.histograms["late"].quadratic, np.bincount(values[late], weights=relative[late] ** 2))
    close(merged.gram["late"], [(relative[late] ** 2).sum()])


def test_sums_of_chunks_that_all_weigh_nothing_stay_at_minus_infinity():
    """A run whose every draw has weight 0: the merged scale is −∞ (the engine then names the contradiction)."""
    merged = Sums(log_scale=-math.inf)
    for _ in range(2):
        merged.merge(_chunk_sums(-math.inf, np.array([3, 5]), np.zeros(2), np.zeros(2), fresh=False))
    assert merged.log_scale == -math.inf
    assert merged.weight.linear.tolist() == [0.0, 0.0]
    conditional = Conditional(log_scale=-math.inf)
    conditional.merge(Conditional(log_scale=-2.0, weight=Mean.of(np.ones(2), np.array([1.0, 0.5]))))
    conditional.merge(Conditional(log_scale=-4.0, weight=Mean.of(np.ones(1), np.array([1.0]))))
    assert conditional.log_scale == -2.0
    np.testing.assert_allclose(conditional.weight.linear, [1.5 + math.exp(-2.0)] * 2, rtol=1e-15)
    np.testing.assert_allclose(conditional.weight.quadratic, [1.25 + math.exp(-4.0)] * 3, rtol=1e-15)


def test_unit_weight_tallies_merge_to_one_bincount():
    """The prior's tallies (unit weights, no Σw²): sparse chunks over different ranges, an empty one, a dense one."""
    rng = np.random.default_rng(43)
    parts = [rng.integers(500, 520, 300), np.array([], dtype=np.int64), rng.integers(0, 7, 200), np.array([9, 9])]
    merged = SparseTally.of(parts[0], None)
    for part in parts[1:]:
        merged.merge(SparseTally.of(part, None), 1.0, 1.0)
    dense = SparseTally(np.bincount(np.array([3, 3, 600])).astype(float), None)
    merged.merge(dense, 1.0, 1.0)
    everything = np.concatenate([*parts, [3, 3, 600]])
    support, linear, quadratic = merged.nonzero()
    want = np.bincount(everything)
    assert support.tolist() == np.flatnonzero(want).tolist()
    assert linear.tolist() == want[support].tolist() == quadratic.tolist()
    tally = Tally.of(parts[0], None)
    for part in parts[1:]:
        tally.merge(Tally.of(part, None, overflow=part.size), 1.0, 1.0)
    assert tally.linear.tolist() == np.bincount(np.concatenate(parts)).astype(float).tolist()
    assert tally.quadratic is None and tally.overflow == 202


def test_an_unbounded_size_prior_is_tallied_to_its_one_minus_1e12_quantile():
    """A lognormal force size has no largest value: the toll's tally reaches the size prior's 1 − 1e-12 quantile,
    here of the lognormal with 90% interval [1,000, 4,000] (μ the log-midpoint, σ = log(4)/(2·z₀.₉₅)), from scipy."""
    scenario = parse_scenario(
        '[simulation]\ndraws = 1000\n[forces.a]\nsize = { dist = "lognormal", ci90 = [1000, 4000] }\n'
        "fatality_rate = 0.1\n"
    )
    sigma = math.log(4.0) / (2 * stats.norm.ppf(0.95))
    largest = stats.lognorm(sigma, scale=math.sqrt(1000.0 * 4000.0)).ppf(1 - 1e-12)
    plan = plan_simulation(scenario)
    assert plan.count_bins == {"killed": int(largest) + 1} and plan.bin_widths == {"killed": 1}
