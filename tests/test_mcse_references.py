"""Every function of :mod:`sim.mcse` against a reference written here, to the precision of its numerics.

The other mcse tests check the errors' statistical contracts at loose tolerances; these pin each function's
output, so that a changed constant, comparison, index or default fails. The references never come from sim:

- ``quantile_index``, ``hdi_ends``, ``_spread``: small cases worked by hand (derivations in the comments);
- ``weighted_se``, two-valued ``quantile_spread``: the binomial closed forms;
- ``quantile_spread``: the docstring's law ``Φ((F̂(k) − q)/s_k)`` enumerated over every bin (no search window);
- ``interpolated_quantile_se``: for a histogram of two values, the exact law of the estimate as a function of
  the first value's normal share (quadrature); over many bins, the delta method per draw on a grid 8 times finer;
- ``_generalized_pareto``: Zhang and Stephens' estimator from the paper, its profile likelihood summed from
  ``scipy.stats.genpareto.logpdf``; and a sample of a known generalised Pareto;
- ``pareto_tail_se``: the draws one by one, each tail's sum of squares replaced as the docstring says;
- ``tail_shape``, and ``weighted_se``'s unknown errors: the draws one by one, each side's ``M + 1`` farthest
  fitted with the paper's estimator; importance weights from scipy's generalised Pareto of known shape;
- ``_smooth``, ``_cells``: a weighted least-squares quadratic fit at every bin (``numpy.linalg.lstsq``);
- ``_replicate_ends``, ``hdi_bootstrap_se``: the same Poisson redraws (the same seed) with every replicate's
  shortest run found by brute force, and the replicates' spread by the ``statistics`` module.
"""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest
from scipy import integrate, special, stats

from sim.mcse import (
    _cells,
    _generalized_pareto,
    _replicate_ends,
    _smooth,
    _spread,
    hdi_bootstrap_se,
    hdi_ends,
    interpolated_quantile_se,
    pareto_tail_se,
    quantile_index,
    quantile_spread,
    tail_shape,
    weighted_se,
)


def _weighted_tally(values: np.ndarray, weights: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Σw and Σw² per bin over the total weight and its square."""
    total = weights.sum()
    return (
        np.bincount(values, weights=weights, minlength=bins) / total,
        np.bincount(values, weights=weights**2, minlength=bins) / total**2,
    )


# --- quantile_index, hdi_ends, weighted_se -------------------------------------------------------------------


def test_quantile_index_at_steps_within_the_tolerance_and_past_the_end():
    """By hand: the first index with cdf ≥ q − 1e-12; at q ≤ 1e-12 the first with cdf > 0; clipped to the end."""
    cdf = np.array([0.0, 0.0, 0.3 - 5e-13, 0.5 - 1e-12, 0.7, 0.7, 0.9])  # mass beyond the last bin: cdf[-1] < 1
    cases = {
        -0.5: 2,  # q ≤ 0: the first index holding mass, not index 0 where cdf = 0 ≥ q
        0.0: 2,
        1e-12: 2,  # the last q of that branch (the other would give 0: cdf[0] = 0 ≥ 1e-12 − 1e-12)
        0.3: 2,  # 0.3 − 5e-13 is within 1e-12 of q
        0.3 + 2e-12: 3,  # now it is not
        0.5: 3,  # cdf[3] is q − 1e-12 to the last bit: reached
        0.7: 4,  # the first of two equal values
        0.9: 6,
        0.95: 6,  # no index reaches q: the last one
    }
    assert {q: quantile_index(cdf, q) for q in cases} == cases
    assert [quantile_index(np.zeros(5), q) for q in (0.0, 0.5)] == [4, 4]  # no mass at all: the last index


def test_hdi_ends_by_hand_on_counts_ties_and_late_starts():
    """Shortest runs worked by hand, on unnormalised counts (total 10), ties at the level, and a tail too late."""
    counts = np.array([0, 3, 1, 0, 0, 4, 2])
    # 0.3 needs 3: bins 1 and 5 alone, width 0 each, the lower wins; 0.5 needs 5: 5..6 (6), width 1;
    # 0.7 needs 7: 1..5 (8) and 2..6 (7) tie at width 4, the lower wins; 0.95 needs 9.5: all of 1..6
    assert hdi_ends(counts, (0.3, 0.5, 0.7, 0.95)).tolist() == [1, 1, 5, 6, 1, 5, 1, 6]
    # four equal bins, level 0.5 reached exactly by any two neighbours: the lowest pair, not a run of three
    assert hdi_ends(np.full(4, 0.25), (0.5,)).tolist() == [0, 1]
    # 0.95 of [0.1, 0.1, 0.8]: only a run from bin 0 holds it (a start at 2 holds 0.8 and must not count)
    assert hdi_ends(np.array([0.1, 0.1, 0.8]), (0.95, 1.0)).tolist() == [0, 2, 0, 2]
    assert hdi_ends(np.array([0.0, 0.0, 5.0, 0.0]), (0.5, 1.0)).tolist() == [2, 2, 2, 2]
    assert hdi_ends(np.zeros(5), (0.5, 0.9)).tolist() == [0, 4, 0, 4]  # no mass: the whole range per level


def test_weighted_se_of_an_indicator_is_the_binomial_error():
    """n unit-weight draws with P(g = 1) = p: √(p(1 − p)/n); an affine g scales it; a constant g has none."""
    p, n = 0.3, 250
    pmf = np.array([1 - p, p])
    pmf2 = pmf / n
    assert weighted_se(np.array([0.0, 1.0]), pmf, pmf2) == pytest.approx(math.sqrt(p * (1 - p) / n), rel=1e-14)
    assert weighted_se(np.array([7.0, 4.0]), pmf, pmf2) == pytest.approx(3 * math.sqrt(p * (1 - p) / n), rel=1e-14)
    assert weighted_se(np.array([5.0, 5.0]), pmf, pmf2) == 0.0


# --- quantile_spread ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("z", [0.0, 1.0, -1.0, 2.5, 3.0])
def test_quantile_spread_of_two_values_is_a_bernoulli(z):
    """n = 100 draws, half on each of two values: at q = 0.5 − z·s, s = 0.5/√n the error of F̂(0), the estimate
    is bin 0 with probability P = Φ(z) (bin 1 otherwise), so its sd is √(P(1 − P)). Another seed's estimate has
    P(bin 0) = Φ(z/√2): the 97.5% point is bin 0 once that reaches 0.975 (z = 3: 0.983; z = 2.5: 0.961)."""
    n = 100
    cdf = np.array([0.5, 1.0])
    s = 0.5 / math.sqrt(n)  # s_0² = (0.5/n)·(1 − 0.5)² + (0.5/n)·0.5²; s_1 = 0
    q = 0.5 - z * s
    low_probability = stats.norm.cdf(z)
    high = 0 if stats.norm.cdf(z / math.sqrt(2)) >= 0.975 else 1
    sd, low, top, stuck = quantile_spread(cdf, cdf / n, q)
    assert sd == pytest.approx(math.sqrt(low_probability * (1 - low_probability)), rel=1e-12)
    assert (low, top, stuck) == (0, high, True)  # each value holds at least half: exactly half at z = 0


def test_quantile_spread_at_q_one_on_a_flat_top():
    """Four draws, two per value (cdf 0.5, 1, 1): at q = 1, bin 1 has F̂ = 1 and no error (nothing above it), so
    the estimate is bin 1 unless F̂(0) reaches 1: P(bin 0) = Φ((0.5 − 1)/0.25) = Φ(−2), s_0 = √(4·0.5·0.5/4²)."""
    cdf = np.array([0.5, 1.0, 1.0])
    p = stats.norm.cdf(-2.0)
    sd, low, high, stuck = quantile_spread(cdf, cdf / 4, 1.0)
    assert sd == pytest.approx(math.sqrt(p * (1 - p)), rel=1e-12)
    # another seed: P(bin 0) = Φ(−2/√2) = 0.079 ≥ 0.025, and bin 1 (F̂ = 1 ≥ q, no error) holds the rest
    assert (low, high, stuck) == (0, 1, True)


def _quantile_law(cdf: np.ndarray, cdf2: np.ndarray, q: float) -> tuple[float, int, int, bool]:
    """quantile_spread's docstring over every bin: P(Q̂ ≤ k) = Φ((F̂(k) − q)/s_k), the last bin 1; with √2·s_k."""
    total = cdf2[-1]
    at_most, other = [], []
    for f, c2 in zip(cdf, cdf2, strict=True):
        s = math.sqrt(c2 * (1 - f) ** 2 + (total - c2) * f**2)
        for out, scale in ((at_most, 1.0), (other, math.sqrt(2))):
            out.append(stats.norm.cdf((f - q) / (scale * s)) if s > 0 else float(f >= q - 1e-12))
    at_most = np.maximum.accumulate(at_most)
    at_most[-1] = 1.0
    probability = np.diff(at_most, prepend=0.0)
    k = np.arange(cdf.size)
    mean = (probability * k).sum()
    other = np.maximum.accumulate(other)
    low, high = (int(np.flatnonzero(other >= p)[0]) for p in (0.025, 0.975))
    return math.sqrt((probability * (k - mean) ** 2).sum()), low, high, bool(probability.max() >= 0.5)


@pytest.mark.parametrize("seed", range(4))
def test_quantile_spread_is_its_law_enumerated_over_every_bin(seed):
    """3,000 Poisson draws, unit or exponential weights: sd, 95% range and stuck flag against the law over all bins.
    sim sums over a window of ±10 errors of F̂ around the quantile; what lies outside it is below 1e-12 here
    (measured: the sd agrees to 3e-16 relatively over these cases)."""
    rng = np.random.default_rng(seed)
    values = rng.poisson(rng.uniform(4.0, 40.0), size=3_000)
    weights = rng.exponential(size=values.size) if seed % 2 else np.ones(values.size)
    pmf, pmf2 = _weighted_tally(values, weights, values.max() + 3)
    cdf, cdf2 = np.cumsum(pmf), np.cumsum(pmf2)
    cdf /= cdf[-1]
    for q in (0.025, 0.1, 0.5, 0.9, 0.975):
        sd, low, high, stuck = _quantile_law(cdf, cdf2, q)
        got = quantile_spread(cdf, cdf2, q)
        assert got[0] == pytest.approx(sd, rel=1e-9, abs=1e-12), q
        assert got[1:] == (low, high, stuck), q


def test_a_quantile_on_the_last_value_keeps_the_bins_below_in_reach():
    """Where the quantile falls on the last value with mass, F̂ = 1 there and its error is 0; the bins below must
    still be summed, not lumped into the window's first bin. The law over all bins (100 unit-weight draws: the
    median where the last value holds 52%, and the 97.5% point where it holds 3%) is the reference."""
    cases = ((np.array([0.40, 0.44, 0.47, 0.48, 1.0]), 0.5), (np.cumsum([20, 25, 22, 15, 10, 5, 3]) / 100, 0.975))
    for cdf, q in cases:
        assert quantile_spread(cdf, cdf / 100, q) == pytest.approx(_quantile_law(cdf, cdf / 100, q), rel=1e-9)


# --- interpolated_quantile_se ---------------------------------------------------------------------------------

UNEVEN = np.array([0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 9.0, 10.0, 11.0])  # bin 2 is [2, 4], bin 5 is [6, 9]


def _two_valued_law(p: float, n: int, q: float) -> float:
    """The sd of the interpolated quantile of n draws, a share p̂ ~ N(p, p(1 − p)/n) in bin 2, the rest in bin 5.

    F̂ rises by p̂ across bin 2 and 1 − p̂ across bin 5, so Q̂ = 2 + 2q/p̂ if p̂ ≥ q, else 6 + 3(q − p̂)/(1 − p̂).
    The docstring's s(x) is exactly the sd of F̂(x) under that one normal share (s = t·sd(p̂) in bin 2 and
    (1 − t)·sd(p̂) in bin 5), so its law is that of Q̂(p̂): its moments by quadrature over ±12 sd.
    """
    sd_share = math.sqrt(p * (1 - p) / n)

    def estimate(z: float) -> float:
        share = p + sd_share * z
        return 2 + 2 * q / share if share >= q else 6 + 3 * (q - share) / (1 - share)

    cuts = sorted({-12.0, 12.0, min(max((q - p) / sd_share, -12.0), 12.0)})  # the jump between the two values

    def moment(f) -> float:
        return sum(
            integrate.quad(lambda z: f(estimate(z)) * stats.norm.pdf(z), a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
            for a, b in itertools.pairwise(cuts)
        )

    mean = moment(lambda x: x)
    return math.sqrt(moment(lambda x: (x - mean) ** 2))


@pytest.mark.parametrize(
    ("n", "q", "others", "rel"),
    [
        # Q̂ ≈ 3.0 inside bin 2: spread over many grid points (1,000 draws, sd 0.039) to a fraction of one
        # (10^4: 0.012); at 10^5 draws with t = q/p = 8.5/16 the whole rise (±7 sd, 0.015 of the bin) lies
        # between two grid points of 1/16
        (1_000, 0.2, (2.0, 4.0), 1e-4),
        (10_000, 0.2, (2.0, 4.0), 1e-4),
        (100_000, 0.4 * 8.5 / 16, (2.0, 4.0), 5e-4),
        # 50 draws, q near p: another seed's estimate falls in bin 2 or bin 5
        (50, 0.35, (2.0, 9.0), 2e-3),
        # q = p − z·sd(p̂): another seed's P(bin 2) = Φ(z/√2): 0.961 < 0.975 at z = 2.5, so its range reaches
        # bin 5; 0.983 at z = 3, so it stays in bin 2
        (96, 0.4 - 2.5 * 0.05, (2.0, 9.0), 2e-3),
        (96, 0.4 - 3.0 * 0.05, (2.0, 4.0), 2e-3),
    ],
)
def test_interpolated_error_of_two_values_is_the_law_of_their_shares(n, q, others, rel):
    """n unit-weight draws, 40% in bin 2 and 60% in bin 5 of uneven bins: the sd against the exact law of the
    estimate (quadrature), and the bins another seed's estimate falls in, by hand. sim's grid (16 points a bin,
    refined to 1024 where the rise is narrow) moved the sd by 1.7e-5 relatively at 10^3 and 10^4 draws, 1.5e-4
    at 10^5 and up to 5.8e-4 where the estimate spreads over both values (measured): the tolerances are 3 to 6
    times those."""
    pmf = np.zeros(UNEVEN.size - 1)
    pmf[[2, 5]] = 0.4, 0.6
    sd, stuck = interpolated_quantile_se(np.cumsum(pmf), np.cumsum(pmf / n), UNEVEN, q)
    assert sd == pytest.approx(_two_valued_law(0.4, n, q), rel=rel)
    assert stuck == others


def _interpolated_law(values: np.ndarray, weights: np.ndarray, edges: np.ndarray, q: float) -> tuple[float, float]:
    """The sd of the interpolated quantile and the largest share of one bin, from the draws one by one.

    At 128 points a bin, F̂(x) = Σ wⱼ gⱼ / Σw with g = 1 below x's bin, its fraction t in it and 0 above, and
    s(x)² = Σ wⱼ² (gⱼ − F̂)² / (Σw)² (the delta method); P(Q̂ ≤ x) = Φ((F̂(x) − q)/s(x)), the last point 1.
    """
    bins = edges.size - 1
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    position = np.arange(bins * 128 + 1) / 128
    at = np.minimum(position.astype(np.int64), bins - 1)
    t = position - at
    g = np.where(index[None, :] < at[:, None], 1.0, np.where(index[None, :] == at[:, None], t[:, None], 0.0))
    f = g @ weights / weights.sum()
    s = np.sqrt((g - f[:, None]) ** 2 @ weights**2) / weights.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        at_most = np.where(s > 0, stats.norm.cdf((f - q) / s), (f >= q).astype(float))
    at_most = np.maximum.accumulate(at_most)
    at_most[-1] = 1.0
    probability = np.diff(at_most, prepend=0.0)
    x = edges[at] + t * (edges[at + 1] - edges[at])
    mean = (probability * x).sum()
    return math.sqrt((probability * (x - mean) ** 2).sum()), np.bincount(at, weights=probability).max()


@pytest.mark.parametrize(("draws", "bins", "seed"), [(60, 80, 9), (200, 160, 10)])
def test_interpolated_error_over_many_bins_is_the_delta_method_per_draw(draws, bins, seed):
    """Weighted normal draws in bins of 0.1 or 0.05 over [−4, 4] (the estimate spreads over several): the sd
    against the delta method per draw on a grid 8 times finer than sim's. sim's 16 points a bin add their
    spacing²/12 to the variance: 2.3e-4 of the sd at most here (measured), so 1e-3."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(draws)
    weights = rng.exponential(size=draws)
    edges = np.linspace(-4.0, 4.0, bins + 1)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    pmf, pmf2 = _weighted_tally(index, weights, bins)
    for q in (0.1, 0.5, 0.9):
        sd, share = _interpolated_law(values, weights, edges, q)
        assert share < 0.45  # premise: no bin holds half of the estimate, so no range is given
        got = interpolated_quantile_se(np.cumsum(pmf), np.cumsum(pmf2), edges, q)
        assert got == (pytest.approx(sd, rel=1e-3), None)


# --- _generalized_pareto, pareto_tail_se -----------------------------------------------------------------------


def _zhang_stephens(excess: np.ndarray) -> tuple[float, float]:
    """Zhang and Stephens (2009): a posterior mean of θ over m = 30 + ⌊√n⌋ grid points θⱼ = 1/x₍ₙ₎ + (1 −
    √(m/(j − ½)))/(3·x₍⌊n/4 + ½⌋₎) weighted by the profile likelihood, whose shape k(θ) = mean log(1 − θx) and scale
    −k/θ; the likelihood is summed from scipy's GPD density. Then k is shrunk by 10 draws towards 0.5 (PSIS); σ
    keeps the unshrunk k."""
    x = np.sort(excess)
    n = x.size
    m = 30 + math.isqrt(n)
    quartile = x[math.floor(n / 4 + 0.5) - 1]
    thetas = np.array([1 / x[-1] + (1 - math.sqrt(m / (j - 0.5))) / (3 * quartile) for j in range(1, m + 1)])
    likelihood = []
    for theta in thetas:
        shape = float(np.mean(np.log1p(-theta * x)))
        likelihood.append(stats.genpareto.logpdf(x, shape, scale=-shape / theta).sum())
    theta = float(np.dot(np.exp(np.array(likelihood) - special.logsumexp(likelihood)), thetas))
    shape = float(np.mean(np.log1p(-theta * x)))
    return (n * shape + 10 * 0.5) / (n + 10), -shape / theta


@pytest.mark.parametrize(("shape", "size"), [(0.2, 300), (-0.1, 100), (0.6, 50), (0.0, 2_000)])
def test_generalized_pareto_fit_is_zhang_and_stephens_with_the_psis_prior(shape, size):
    """The fit against the estimator written from the paper (agreement measured to 3e-13 relatively)."""
    excess = np.sort(stats.genpareto.rvs(shape, scale=2.0, size=size, random_state=np.random.default_rng(size)))
    assert _generalized_pareto(excess) == pytest.approx(_zhang_stephens(excess), rel=1e-11)


def test_the_fitted_scale_belongs_to_the_unshrunk_shape():
    """An identity independent of the grid: with k₀ = ((n + 10)·k − 5)/n the shape before the prior, and
    θ = −k₀/σ, k₀ must be mean log(1 − θx) (the profile's shape at θ)."""
    excess = np.sort(stats.genpareto.rvs(0.3, size=200, random_state=np.random.default_rng(5)))
    k, sigma = _generalized_pareto(excess)
    raw = ((200 + 10) * k - 10 * 0.5) / 200
    assert abs(raw - k) > 1e-3  # premise: the prior moves k
    assert np.mean(np.log1p(raw / sigma * excess)) == pytest.approx(raw, rel=1e-12)


def test_generalized_pareto_fit_recovers_a_known_tail():
    """2,000 draws of GPD(k = 0.2, σ = 2): k and σ/2 within 5 of their asymptotic sds, (1 + k)/√n and
    √(2(1 + k)/n) (Smith 1987; the prior moves k by 10·0.3/2010 = 0.0015, a twentieth of one sd)."""
    excess = np.sort(stats.genpareto.rvs(0.2, scale=2.0, size=2_000, random_state=np.random.default_rng(12)))
    k, sigma = _generalized_pareto(excess)
    assert abs(k - 0.2) < 5 * 1.2 / math.sqrt(2_000)
    assert abs(sigma / 2 - 1) < 5 * math.sqrt(2 * 1.2 / 2_000)


def _tail_error(values: np.ndarray, counts: np.ndarray) -> float:
    """pareto_tail_se's docstring over the draws one by one: of n draws, the M = ⌊min(n/5, 3√n)⌋ largest (then
    smallest) are replaced in the sum of squares by M·((u − μ)² + 2(u − μ)E[Y] + E[Y²]) of a GPD fitted to their
    excesses over the next draw u, unless those M + 1 draws take fewer than 10 values or a quarter of the excesses
    are 0 (tied at u); NaN if k ≥ 0.5."""
    draws = np.sort(np.repeat(values.astype(float), counts.astype(np.int64)))
    n = draws.size
    mean = draws.mean()
    squares = ((draws - mean) ** 2).sum()
    m = int(min(n / 5, 3 * math.sqrt(n)))
    if m < 10:
        return math.sqrt(squares) / n
    for tail in (draws[::-1] - mean, mean - draws):  # distances from the mean, the farthest first
        excess = np.sort(tail[:m] - tail[m])
        if np.unique(tail[: m + 1]).size < 10 or excess[int(m / 4 + 0.5) - 1] == 0:
            continue
        k, sigma = _zhang_stephens(excess)
        if k >= 0.5:
            return math.nan
        first, second = sigma / (1 - k), 2 * sigma**2 / ((1 - k) * (1 - 2 * k))
        squares += m * (tail[m] ** 2 + 2 * tail[m] * first + second) - (tail[:m] ** 2).sum()
    return math.sqrt(squares) / n


def _tail_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(4)
    draws = {
        "gpd, M = 3√n": stats.genpareto.rvs(0.3, size=2_000, random_state=rng),
        "negated gpd": -stats.genpareto.rvs(0.25, size=300, random_state=rng),
        "t, M = n/5": stats.t.rvs(5, size=100, random_state=rng),
        "t, M = 10": stats.t.rvs(5, size=50, random_state=rng),
    }
    cases = {name: (x, np.ones(x.size)) for name, x in draws.items()}
    toll = np.arange(60.0)
    cases["a tally"] = (toll**1.3, np.round(1_000 * stats.nbinom.pmf(toll, 3, 0.2)) + 1)
    return cases


@pytest.mark.parametrize("case", list(_tail_cases()))
def test_pareto_tail_error_against_the_draws_one_by_one(case):
    """The error against the docstring's replacement, draw by draw (agreement measured to 1e-15 relative); at 50
    draws (M = 10, the smallest fitted) the fitted tails double the sample error, which must not be kept."""
    values, counts = _tail_cases()[case]
    expected = _tail_error(values, counts)
    sample = np.repeat(values, counts.astype(np.int64)).std() / math.sqrt(counts.sum())
    assert abs(expected / sample - 1) > 0.02  # premise: the fit changes the error
    assert pareto_tail_se(values, counts) == pytest.approx(expected, rel=1e-11)


def test_fewer_than_fifty_draws_keep_the_sample_error():
    """49 draws (M = ⌊49/5⌋ = 9 < 10): the sample error sd/√n, here of draws tallied with counts."""
    rng = np.random.default_rng(6)
    values = stats.t.rvs(3, size=22, random_state=rng)
    counts = np.array([4] * 9 + [1] * 13, dtype=float)  # 49 draws
    draws = np.repeat(values, counts.astype(np.int64))
    assert pareto_tail_se(values, counts) == pytest.approx(draws.std() / 7, rel=1e-13)


@pytest.mark.parametrize("distinct", [9, 10])
def test_a_tail_of_fewer_than_ten_values_keeps_its_sample_squares(distinct):
    """1,000 draws (M = ⌊3√1000⌋ = 94): 905 on the values 0 to 4 (a lower tail of one value, never fitted) and 95
    on `distinct` values of a Pareto tail above 5. With 10 the upper tail is fitted (against the draws one by one,
    1.4% above the sample error); with 9 the error is the sample's, sd/√n."""
    rng = np.random.default_rng(2)
    top = np.repeat(5.0 + (1 - rng.uniform(size=distinct)) ** -0.5, 95 // distinct + 1)[:95]
    values = np.concatenate([np.repeat(np.arange(5.0), 181), top])
    counts = np.ones(values.size)
    sample = values.std() / math.sqrt(values.size)
    expected = _tail_error(values, counts) if distinct == 10 else sample
    assert abs(expected / sample - 1) > 0.01 or distinct == 9  # premise: the fit changes the error
    assert pareto_tail_se(values, counts) == pytest.approx(expected, rel=1e-11)


def test_a_tail_tied_at_its_threshold_keeps_its_sample_squares():
    """900 of 1,000 draws at 0 and 30 at 1: the lower tail's M = 94 draws all tie at the threshold, and the upper
    tail's excesses over it are 0 for a quarter of them and more: no Pareto fit (it would divide by the zero
    first-quartile excess), the sample error √(Σ(x − x̄)²)/n."""
    values, counts = np.arange(72.0), np.array([900, 30] + [1] * 70)
    draws = np.repeat(values, counts)
    assert pareto_tail_se(values, counts) == pytest.approx(draws.std() / math.sqrt(draws.size), rel=1e-12)


def _tail_shape_by_draws(terms: np.ndarray) -> float:
    """tail_shape's docstring over the draws one by one: on each side of 0, the M + 1 farthest of the terms there
    (M = ⌊min(n/5, 3√n)⌋ of all n, at most a fifth of the side's), their excesses over the nearest fitted by Zhang
    and Stephens; the larger k."""
    n = terms.size
    shapes = [-math.inf]
    for side in (terms[terms > 0], -terms[terms < 0]):
        m = min(int(min(n / 5, 3 * math.sqrt(n))), side.size // 5)
        top = np.sort(side)[::-1][: m + 1]
        if m >= 10 and np.unique(top).size >= 10:
            shapes.append(_zhang_stephens(top[:-1] - top[-1])[0])
    return max(shapes)


@pytest.mark.parametrize(("shape", "seed"), [(0.7, 1), (0.2, 2), (-0.1, 3)])
def test_tail_shape_against_the_draws_one_by_one(shape, seed):
    """Centred draws of GPD(k): the larger side's fit (agreement measured to 1e-13), and it finds k (its sd about
    (1 + k)/√M, 0.08 at M = 424)."""
    rng = np.random.default_rng(seed)
    terms = stats.genpareto.rvs(shape, size=20_000, random_state=rng)
    terms -= terms.mean()
    found = tail_shape(terms, np.ones(terms.size))
    assert found == pytest.approx(_tail_shape_by_draws(terms), rel=1e-10)
    assert abs(found - shape) < 4 * (1 + shape) / math.sqrt(424) + abs(0.5 - shape) * 10 / 434  # + the prior's pull


def test_a_tail_of_a_few_values_held_by_many_draws_is_not_fitted():
    """A tail whose largest value is one tally bin of many draws (a posterior mean's terms peak inside the range,
    where each bin holds hundreds) is a step function, not a Pareto tail: no shape (-inf). The same values with
    that bin held by fewer than a tenth of the tail's draws are fitted."""
    values = np.linspace(4.0, 0.01, 3_000)
    clumped = np.concatenate([[50.0], np.ones(2_999)])  # M = 3√3,049 = 165: the top value holds 50 > 16.6
    assert tail_shape(values, clumped) == -math.inf
    assert math.isfinite(tail_shape(values, np.concatenate([[15.0], np.ones(2_999)])))


def test_weighted_se_is_unknown_where_the_weighted_terms_have_no_variance():
    """Importance sampling of the mean of x ~ N(0, 1), one draw a bin: weights from GPD(k = 0.8) make the terms
    w(x − μ) heavy tailed (k̂ ≥ 0.5 at every seed tried: its sd is 0.08), so the error is unknown; weights from
    GPD(k = 0.1) keep the delta method's √(Σw²(x − μ)²)/Σw to rounding."""
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=20_000)
        for shape, known in ((0.8, False), (0.1, True)):
            weights = 1 + stats.genpareto.rvs(shape, size=x.size, random_state=rng)
            pmf, pmf2 = weights / weights.sum(), weights**2 / weights.sum() ** 2
            error = weighted_se(x, pmf, pmf2)
            if known:
                mu = (weights * x).sum() / weights.sum()
                assert error == pytest.approx(math.sqrt((weights**2 * (x - mu) ** 2).sum()) / weights.sum(), rel=1e-12)
            else:
                assert math.isnan(error)


def test_a_bin_of_several_draws_is_read_as_its_effective_draws():
    """Bins of 2 draws with weights (w, w): (Σw)²/Σw² = 2 draws of weight w each, the same tail shape as the draws
    one a bin; unit weights give the tally's counts."""
    rng = np.random.default_rng(6)
    weights = 1 + stats.genpareto.rvs(0.8, size=5_000, random_state=rng)
    g = rng.normal(size=weights.size)
    one_a_bin = weighted_se(np.repeat(g, 2), *_weighted_tally(np.arange(2 * g.size), np.repeat(weights, 2), 2 * g.size))
    two_a_bin = weighted_se(g, *_weighted_tally(np.repeat(np.arange(g.size), 2), np.repeat(weights, 2), g.size))
    assert math.isnan(one_a_bin) and math.isnan(two_a_bin)
    assert tail_shape(np.repeat(g, 2), np.ones(2 * g.size)) == tail_shape(g, np.full(g.size, 2.0))


def test_a_heavy_lower_tail_has_no_error():
    """The negatives of 20,000 draws of GPD(k = 0.7): the lower tail's fit k̂ ≥ 0.5 (its sd about
    (1 + k)/√424 = 0.08), so the error is unknown, as for an upper tail."""
    x = -stats.genpareto.rvs(0.7, size=20_000, random_state=np.random.default_rng(8))
    assert math.isnan(pareto_tail_se(x, np.ones(x.size)))


# --- _smooth, _cells --------------------------------------------------------------------------------------------


def _local_quadratic(values: np.ndarray, bandwidth: float, reflect_low: bool, reflect_high: bool) -> np.ndarray:
    """At every bin, the intercept of a quadratic fitted by least squares with Gaussian weights over ±⌈4h⌉ bins,
    the tally mirrored at an end that reflects (its end bin repeated) and zero beyond one that does not."""
    pad = math.ceil(4 * bandwidth)
    low = values[:pad][::-1] if reflect_low else np.zeros(pad)
    high = values[::-1][:pad] if reflect_high else np.zeros(pad)
    padded = np.concatenate([low, values, high]).astype(float)
    t = np.arange(-pad, pad + 1, dtype=float)
    root = np.exp(-0.25 * (t / bandwidth) ** 2)  # square roots of the weights
    design = np.stack([np.ones_like(t), t, t * t], axis=1) * root[:, None]
    return np.array(
        [np.linalg.lstsq(design, padded[i : i + 2 * pad + 1] * root, rcond=None)[0][0] for i in range(values.size)]
    )


def _spiky_tally() -> np.ndarray:
    values = np.random.default_rng(2).poisson(20, size=120).astype(float)
    values[20:80] = 0.0
    values[50] = 400.0  # a spike on zeros: the equivalent kernel's negative lobes show
    return values


@pytest.mark.parametrize(
    ("bandwidth", "reflect_low", "reflect_high"),
    [(0.3, True, True), (1.5, True, False), (2.7, False, True), (6.0, False, False)],
)
def test_smoothing_is_a_local_quadratic_fit_clipped_at_zero(bandwidth, reflect_low, reflect_high):
    """Against the weighted least-squares fit at every bin, negative values clipped (agreement measured to 1e-15
    of the largest value). 0.3 bins is the narrowest kernel that smooths."""
    values = _spiky_tally()
    fit = _local_quadratic(values, bandwidth, reflect_low, reflect_high)
    tolerance = 1e-12 * values.max()
    assert fit.min() < -100 * tolerance  # premise: the fit dips below zero by more than the tolerance
    assert _smooth(values, bandwidth, reflect_low, reflect_high) == pytest.approx(np.maximum(fit, 0.0), abs=tolerance)


def test_a_kernel_narrower_than_the_minimum_leaves_the_tally_as_floats():
    values = _spiky_tally().astype(np.int64)
    smoothed = _smooth(values, 0.2999, True, True)
    assert smoothed.dtype == np.float64 and np.array_equal(smoothed, values)


def _whole_tally_smoothing(values: np.ndarray, bandwidth: float) -> np.ndarray:
    return np.maximum(_local_quadratic(values, bandwidth, True, True), 0.0) if bandwidth >= 0.3 else values


def _negative_binomial_tally(draws: int, seed: int, r: float = 5, p: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.negative_binomial(r, p, size=draws)
    return _weighted_tally(values, rng.exponential(size=draws), values.max() + 10)


def _nearest_window_widths(size: int, windows: list[tuple[int, int, float]]) -> np.ndarray:
    """Per bin, the bandwidth of the window holding it whose centre is nearest (the first on a tie); NaN outside."""
    widths = np.full(size, np.nan)
    for b in range(size):
        holding = [(abs(b - (low + high - 1) / 2), i) for i, (low, high, _) in enumerate(windows) if low <= b < high]
        if holding:
            widths[b] = windows[min(holding)[1]][2]
    return widths


@pytest.mark.parametrize(
    "bandwidths",
    [(2.5, 2.5, 2.5, 2.5), (0.2, 0.2, 0.2, 0.2), (2.5, 6.0, 0.2, 1.5)],
)
def test_cells_are_the_whole_tally_smoothed_inside_windows_and_sums_between(bandwidths):
    """Windows [−5, 30), [60, 70), [65, 80) and [size − 10, size + 5) of a weighted tally cut to 20..139 (mass at
    both ends): cells are the bins 0..29, 60..79 and the last 10, each the smoothing of the whole tally (mirrored
    at its own ends, never at a window's cut) with the bandwidth of its window, or in the overlap of [60, 70) and
    [65, 80) of the window whose centre (64.5 or 72) is nearer: bins 60..68 the first's, 69..79 the second's. One
    block per gap holds its Σw and Σw². No window: one block."""
    pmf, pmf2 = (tally[20:140] for tally in _negative_binomial_tally(3_000, 3))
    size = pmf.size
    windows = [
        (low, high, width)
        for (low, high), width in zip([(-5, 30), (60, 70), (65, 80), (size - 10, size + 5)], bandwidths, strict=True)
    ]
    positions, mass, mass2 = _cells(pmf, pmf2, windows)
    bins = [*range(30), *range(60, 80), *range(size - 10, size)]
    assert positions.tolist() == [*range(30), -1, *range(60, 80), -1, *range(size - 10, size)]
    widths = _nearest_window_widths(size, windows)
    assert widths[68] == bandwidths[1] and widths[69] == bandwidths[2]  # premise: the overlap is split as said
    blocks = positions < 0
    for got, tally in ((mass, pmf), (mass2, pmf2)):
        tolerance = 1e-14 * tally.max()  # measured: 1e-16 of the largest bin
        expected = [_whole_tally_smoothing(tally, widths[b])[b] for b in bins]
        assert got[~blocks] == pytest.approx(expected, abs=tolerance)
        assert got[blocks] == pytest.approx([tally[30:60].sum(), tally[80 : size - 10].sum()], abs=tolerance)
    assert [x.tolist() for x in _cells(pmf, pmf2, [])] == [[-1], [pmf.sum()], [pmf2.sum()]]


# --- _replicate_ends, _spread, hdi_bootstrap_se -------------------------------------------------------------------


def _shortest_run(positions: np.ndarray, row: np.ndarray, level: float) -> tuple[int, int] | None:
    """Brute force over a redraw's cells: from each cell with mass and a position, the first end holding the level
    (to 1e-12); the narrowest such run ending at a position, the lowest on ties."""
    best = None
    for i in range(row.size):
        if positions[i] < 0 or row[i] <= 0:
            continue
        run = np.cumsum(row[i:])
        j = i + int(np.argmax(run >= (level - 1e-12) * row.sum()))
        if run[j - i] < (level - 1e-12) * row.sum() or positions[j] < 0:
            continue
        if best is None or positions[j] - positions[i] < best[1] - best[0]:
            best = (int(positions[i]), int(positions[j]))
    return best


def _redrawn_ends(pmf, pmf2, level, ends, bandwidths, rng) -> np.ndarray:
    """hdi_bootstrap_se's docstring: cells within max(20, 1.5h) of the ends (h the larger bandwidth; blocks
    between), each smoothed with the bandwidth of the nearer end and redrawn as Poisson((Σw)²/Σw²)·Σw²/Σw, 60
    times; each redraw's shortest run, a redraw without mass or run left out."""
    reach = max(20, math.ceil(1.5 * max(bandwidths)))
    widths = _nearest_window_widths(
        pmf.size, [(end - reach, end + reach + 1, width) for end, width in zip(ends, bandwidths, strict=True)]
    )
    inside = ~np.isnan(widths)
    smoothed = {width: _whole_tally_smoothing(pmf, width) for width in bandwidths}
    smoothed2 = {width: _whole_tally_smoothing(pmf2, width) for width in bandwidths}
    cuts = np.flatnonzero(np.diff(inside.astype(int))) + 1
    positions, mass, mass2 = [], [], []
    for block in np.split(np.arange(pmf.size), cuts):
        if inside[block[0]]:
            positions += block.tolist()
            mass += [smoothed[widths[b]][b] for b in block]
            mass2 += [smoothed2[widths[b]][b] for b in block]
        else:
            positions.append(-1)
            mass.append(pmf[block].sum())
            mass2.append(pmf2[block].sum())
    positions, mass, mass2 = np.array(positions), np.array(mass), np.array(mass2)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(mass2 > 0, mass**2 / mass2, 0.0)
        scale = np.where(mass > 0, mass2 / mass, 0.0)
    redraws = rng.poisson(rate, size=(60, rate.size)) * scale
    runs = [_shortest_run(positions, row, level) for row in redraws if row.sum() > 0]
    return np.array([run for run in runs if run is not None], dtype=np.int64).reshape(-1, 2)


def _sparse_tally(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Tallies whose redraws hit the edge cases, Σw and Σw² per bin over the total weight and its square."""
    pmf, pmf2 = np.zeros(200), np.zeros(200)
    if name == "two atoms":  # two weighted draws (ESS 2): Poisson(1) each, so e⁻² of the redraws hold nothing
        pmf[[50, 120]] = 0.5
        pmf2[[50, 120]] = 0.25
    elif name == "atoms and a block":
        # Poisson(2) at each atom and many draws between them (a block): a redraw without the lower atom has its
        # 95% run start in the block, out of reach
        pmf[[50, 120]] = 0.3
        pmf2[[50, 120]] = 0.3**2 / 2
        pmf[75:96] = 0.4 / 21
        pmf2[75:96] = (0.4 / 21) ** 2 / 20
    else:  # 40 unit-weight draws: every redraw is whole counts over 40, so runs hold exactly half of one
        counts = np.array([1.0, 2, 6, 6, 7, 8, 5, 2, 3])
        pmf[:9], pmf2[:9] = counts / 40, counts / 40**2
    return pmf, pmf2


@pytest.mark.parametrize(
    ("tally", "level", "ends", "bandwidths"),
    [
        ("smooth", 0.5, (60, 110), (2.5, 2.5)),  # windows of ±20 bins
        ("smooth", 0.9, (30, 170), (16.0, 16.0)),  # windows of ±1.5h = ±24 bins
        ("smooth", 0.8, (40, 140), (0.2, 0.2)),  # the tally redrawn as it is
        ("smooth", 0.3, (80, 100), (0.2, 9.0)),  # overlapping windows of ±14 bins: the low end's unsmoothed
        ("smooth", 0.9, (30, 170), (16.0, 1.0)),  # each end smoothed with its own bandwidth
        ("two atoms", 0.95, (50, 120), (0.2, 0.2)),  # some redraws empty, some with one atom
        ("atoms and a block", 0.95, (50, 120), (0.2, 0.2)),  # some redraws with no run in reach: left out
        ("unit weights", 0.5, (3, 5), (0.2, 0.2)),  # runs holding the level exactly count
    ],
)
def test_replicate_ends_are_each_redraws_shortest_run(tally, level, ends, bandwidths):
    """The same Poisson redraws (the same seed): every replicate's ends against a brute-force shortest run."""
    pmf, pmf2 = _negative_binomial_tally(3_000, 3) if tally == "smooth" else _sparse_tally(tally)
    expected = _redrawn_ends(pmf, pmf2, level, ends, bandwidths, np.random.default_rng(9))
    assert len(expected) >= 40  # premise: most redraws give an interval
    got = _replicate_ends(pmf, pmf2, level, ends, bandwidths, np.random.default_rng(9))
    assert got.tolist() == expected.tolist()


def test_a_redrawn_tally_of_unbounded_ess_keeps_its_shortest_interval():
    """Σw² 1e-14 of (Σw)²: each redraw is the tally to 1e-6, so all 60 replicates give its brute-force HDI."""
    pmf = stats.binom(80, 0.3).pmf(np.arange(81))
    low, high = _shortest_run(np.arange(81), pmf, 0.9)
    got = _replicate_ends(pmf, pmf * 1e-14, 0.9, (low, high), (0.2, 0.2), np.random.default_rng(1))
    assert got.tolist() == [[low, high]] * 60


def _spread_by_hand(
    found: np.ndarray, ends: tuple[int, int], support: tuple[int, int]
) -> list[tuple[float, tuple[float, float] | None]]:
    """Per end (of at least 30 replicates): their sample sd and, when one value holds half of them, the estimate
    plus √2 times the 2.5% and 97.5% points' offsets, rounded outwards and clipped to the support (the points
    are the ⌈pn⌉-th smallest replicates)."""
    out = []
    for column, estimate in zip(found.T.tolist(), ends, strict=True):
        ordered = sorted(column)
        below, above = (ordered[math.ceil(p * len(column)) - 1] for p in (0.025, 0.975))
        others = (
            float(max(estimate + math.floor(math.sqrt(2) * (below - estimate)), support[0])),
            float(min(estimate + math.ceil(math.sqrt(2) * (above - estimate)), support[1])),
        )
        stuck = max(column.count(x) for x in column) >= len(column) / 2
        out.append((statistics.stdev(column), others if stuck else None))
    return out


def test_spread_of_replicates_by_hand():
    """50 replicates. Low end (estimate 10): 6, 7, 10 ×25, 12 ×22, 16; sorted, the 2.5% point is the 2nd (7) and
    the 97.5% point the 49th (12): 10 + ⌊√2·(−3)⌋ = 10 − 5 = 5 and 10 + ⌈√2·2⌉ = 13; 25 of 50 at 10 is half,
    so the range is given, and within a support of 6..12 it is 6..12 (no value beyond can be drawn). High end
    (estimate 30): 50 values, none held twice: no range."""
    low = [6, 7, *[10] * 25, *[12] * 22, 16]
    high = list(range(5, 55))
    found = np.array([low, high]).T
    (sd_low, others_low), (sd_high, others_high) = _spread(found, (10, 30), (0, 100))
    assert sd_low == pytest.approx(statistics.stdev(low), rel=1e-14)
    assert others_low == (5.0, 13.0)
    assert _spread(found, (10, 30), (6, 12))[0][1] == (6.0, 12.0)
    assert sd_high == pytest.approx(statistics.stdev(high), rel=1e-14)
    assert others_high is None


def test_spread_needs_thirty_replicates():
    """Half of the 60 redraws at least: 29 give nothing (NaN, no range). 30, 15 at each of two values (low end
    4 or 5, high end 9 or 11): the 2.5% and 97.5% points are the 1st and 30th, 4 + ⌈√2·1⌉ = 6 (rounding to
    the nearest would drop the √2: 5) and 9 + ⌈√2·2⌉ = 12, and half the replicates on one value gives the range."""
    too_few = _spread(np.tile([[4, 9]], (29, 1)), (4, 9), (0, 100))
    assert [(math.isnan(sd), others) for sd, others in too_few] == [(True, None)] * 2
    found = np.array([[4, 9]] * 15 + [[5, 11]] * 15)
    assert _spread(found, (4, 9), (0, 100)) == [
        (pytest.approx(statistics.stdev([4] * 15 + [5] * 15), rel=1e-14), (4.0, 6.0)),
        (pytest.approx(statistics.stdev([9] * 15 + [11] * 15), rel=1e-14), (9.0, 12.0)),
    ]


def _replayed_hdi_errors(pmf: np.ndarray, pmf2: np.ndarray, levels: tuple[float, ...]) -> list:
    """hdi_bootstrap_se written out: bandwidth 0.75·1.06·sd·ESS^(−1/5), for each end at most a quarter of its
    distance to the edge of the support (the first and last bins with mass, where the redrawn tally ends), each
    end's neighbourhood smoothed with its own, the HDI ends and each replicate's by brute force, the same Poisson
    redraws level after level, the spread by hand."""
    bins = np.arange(pmf.size)
    sd = math.sqrt((pmf * (bins - (pmf * bins).sum()) ** 2).sum())
    bandwidth = 0.75 * 1.06 * sd * pmf2.sum() ** 0.2
    first, last = np.flatnonzero(pmf)[[0, -1]]
    support, support2 = pmf[first : last + 1], pmf2[first : last + 1]
    rng = np.random.default_rng(1)
    expected = []
    for level in levels:
        low, high = _shortest_run(bins, pmf, level)
        widths = (min(bandwidth, (low - first) / 4), min(bandwidth, (last - high) / 4))
        found = _redrawn_ends(support, support2, level, (low - first, high - first), widths, rng)
        expected += _spread_by_hand(found + first, (low, high), (first, last))
    return expected


@pytest.mark.parametrize(("draws", "seed", "r"), [(3_000, 5, 5), (400, 6, 5), (20_000, 7, 3)])
def test_hdi_bootstrap_errors_against_a_replay_by_brute_force(draws, seed, r):
    """Weighted negative-binomial tallies (the last with Σw² shrunk to ESS 5·10⁵, so replicates agree and ranges
    show) against the written-out bootstrap."""
    pmf, pmf2 = _negative_binomial_tally(draws, seed, r, 0.1)
    if draws == 20_000:
        pmf2 *= 0.02
    expected = _replayed_hdi_errors(pmf, pmf2, (0.5, 0.9))
    got = hdi_bootstrap_se(pmf, pmf2, (0.5, 0.9), np.random.default_rng(1))
    assert [sd for sd, _ in got] == pytest.approx([sd for sd, _ in expected], rel=1e-12)
    assert [others for _, others in got] == [others for _, others in expected]


def test_hdi_bootstrap_does_not_smooth_across_a_hard_bound():
    """A posterior that rises from a hard bound (a Gamma(2) ramp from bin 30, none below: a claim that the toll is
    at least 30). The 95% HDI starts at the bound, so in its replicates the low end's neighbourhood is redrawn
    unsmoothed (a kernel reaching below 30 would put mass where there is none, and move every replicate's end off
    the estimate) and the high end's smoothed; the 50% HDI's low end is smoothed with at most a quarter of its
    distance to the bound. Zeros around the support change nothing but the positions."""
    ramp = stats.gamma(2.0, scale=15).pdf(np.arange(200) + 0.5)
    pmf = np.concatenate([np.zeros(30), ramp / ramp.sum(), np.zeros(7)])
    pmf2 = pmf / 5_000
    expected = _replayed_hdi_errors(pmf, pmf2, (0.5, 0.95))
    got = hdi_bootstrap_se(pmf, pmf2, (0.5, 0.95), np.random.default_rng(1))
    assert [sd for sd, _ in got] == pytest.approx([sd for sd, _ in expected], rel=1e-12)
    assert [others for _, others in got] == [others for _, others in expected]
    assert got[2][1] is not None and got[2][1][0] == 30  # the low end, on the bound, moves by whole bins only
    alone = hdi_bootstrap_se(pmf[30:-7], pmf2[30:-7], (0.5, 0.95), np.random.default_rng(1))
    assert [sd for sd, _ in alone] == pytest.approx([sd for sd, _ in got], rel=1e-12)
    assert [o and (o[0] + 30, o[1] + 30) for _, o in alone] == [o for _, o in got]


def test_hdi_bootstrap_of_an_unbounded_ess_is_zero_and_the_ends_themselves():
    """Σw² 1e-14 of (Σw)²: the bandwidth (h = 0.53·sd·ESS^(−1/5) = 0.0034 bins) leaves the tally unsmoothed and
    every replicate gives the HDI itself: sd 0, another seed's range the end alone, per end, per level."""
    pmf = stats.binom(80, 0.3).pmf(np.arange(81))
    errors = hdi_bootstrap_se(pmf, pmf * 1e-14, (0.5, 0.95), np.random.default_rng(2))
    ends = [end for level in (0.5, 0.95) for end in _shortest_run(np.arange(81), pmf, level)]
    assert errors == [(0.0, (float(end), float(end))) for end in ends]
