"""Importance weights, effective sample size and chunk merging against exact references.

The scenario has one force of fixed size with a Beta fatality rate, so the toll ``T`` is
beta-binomial and every claim's likelihood is a function of ``T`` alone: the weights, the
exact posterior and the exact variance of the self-normalised estimates follow by
enumerating ``T = 0..N`` with ``scipy.stats`` (never with sim's own code). Chunks are small
and the claims many, so chunks' largest log-weights differ by several units and every
rescaling on merge matters.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim import parse_scenario, simulate, summarize

Z = 4.5  # a 4.5-sigma bound fails falsely ~7e-6 of the time
SIZE, A, B = 400, 2.0, 8.0
DRAWS, CHUNK = 60_000, 200  # all draws fit in the reservoir (100,000): the weights of every draw are known

SCENARIO = f"""
[scenario]
name = "weights"
[simulation]
draws = {DRAWS}
seed = 5
chunk_size = {CHUNK}
[forces.unit]
size = {SIZE}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
[sources.s1]
reporting_ratio = {{ dist = "lognormal", mu = 0.0, sigma = 0.25 }}
[sources.s2]
reporting_ratio = {{ dist = "lognormal", mu = 0.1, sigma = 0.08 }}
[sources.s3]
reporting_ratio = {{ dist = "gamma", shape = 6, scale = 0.12 }}
[[claims]]
id = "c1"
value = 60
source = "s1"
[[claims]]
id = "c2"
value = 200
source = "s2"
[[claims]]
id = "c3"
value = 40
relation = "ge"
reading = "open"
source = "s3"
[[claims]]
id = "c4"
value = [30, 170]
relation = "between"
[inference]
condition_on = ["c1", "c2", "c3", "c4"]
"""


def _interval_mass(ratio, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """P(low < ρ ≤ high), from the upper side where both ends are in the upper half (no cancellation)."""
    lower_cdf = ratio.cdf(low)
    return np.where(lower_cdf < 0.5, ratio.cdf(high) - lower_cdf, ratio.sf(low) - ratio.sf(high))


def exact_weights() -> np.ndarray:
    """The product of the claims' likelihoods at each T = 0..SIZE (docs/model.md §3's likelihood, evaluated with scipy).

    A report R = round(ρ·T) equals v when ρ lies in ((v − ½)/T, (v + ½)/T]; "at least v" when ρ > (v − ½)/T.
    """
    t = np.arange(SIZE + 1, dtype=float)
    with np.errstate(divide="ignore"):
        c1 = _interval_mass(stats.lognorm(s=0.25, scale=1.0), 59.5 / t, 60.5 / t)
        c2 = _interval_mass(stats.lognorm(s=0.08, scale=math.exp(0.1)), 199.5 / t, 200.5 / t)
        c3 = stats.gamma(6, scale=0.12).sf(39.5 / t)
    c4 = ((t >= 30) & (t <= 170)).astype(float)
    return c1 * c2 * c3 * c4


@pytest.fixture(scope="module")
def run():
    result = simulate(parse_scenario(SCENARIO), workers=1)
    return result, summarize(result)


def test_each_draws_log_weight_is_the_exact_log_likelihood(run):
    """A wrong sign of a chunk's log-scale when exponentiating shifts each draw's log-weight by twice that scale."""
    result, _ = run
    killed = result.reservoir["killed"]
    assert killed.size == DRAWS
    with np.errstate(divide="ignore"):
        expected = np.log(exact_weights())[killed]
    log_weight = result.reservoir["log_weight"]
    np.testing.assert_array_equal(np.isneginf(log_weight), np.isneginf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(log_weight[finite], expected[finite], rtol=0, atol=1e-9)


def test_chunks_largest_log_weights_differ(run):
    """The premise of the merge tests: chunks' log-scales differ (by 0.13 here, far above the 1e-9 tolerances)."""
    result, _ = run
    with np.errstate(divide="ignore"):
        log_w = np.log(exact_weights())[result.reservoir["killed"]]
    per_chunk = log_w.reshape(-1, CHUNK).max(axis=1)
    assert per_chunk.size == DRAWS // CHUNK
    assert np.ptp(per_chunk) > 0.05


def test_ess_is_kish_over_every_draw(run):
    """ESS = (Σw)² / Σw² (Kish) over all draws, merged over 300 chunks with different log-scales.

    Catches another ESS formula (e.g. Σw / max w) and a merge that rescales Σw² by exp(d) instead of exp(2d).
    """
    result, summary = run
    w = exact_weights()[result.reservoir["killed"]]
    assert summary.posterior.ess == pytest.approx(w.sum() ** 2 / (w * w).sum(), rel=1e-9)
    assert summary.prior.ess == DRAWS


def test_ess_matches_its_expectation(run):
    """The ESS fraction (Σw)²/(n Σw²) estimates (E w)² / E w²; its standard error by the delta method.

    Moments of w are exact sums over the beta-binomial pmf of T; the delta-method variance of
    g(a, b) = a²/b at a = E w, b = E w² uses Var w, Cov(w, w²) and Var w² (all exact).
    """
    _, summary = run
    pmf = stats.betabinom(SIZE, A, B).pmf(np.arange(SIZE + 1))
    w = exact_weights()
    m1, m2, m3, m4 = ((pmf * w**k).sum() for k in (1, 2, 3, 4))
    fraction = m1 * m1 / m2
    gradient = np.array([2 * m1 / m2, -m1 * m1 / m2**2])
    covariance = np.array([[m2 - m1 * m1, m3 - m1 * m2], [m3 - m1 * m2, m4 - m2 * m2]]) / DRAWS
    se = math.sqrt(gradient @ covariance @ gradient)
    assert abs(summary.posterior.ess / DRAWS - fraction) < Z * se


def test_posterior_mean_and_tail_against_the_exact_posterior(run):
    """Posterior ∝ prior pmf × likelihood, enumerated; the error of a self-normalised estimate is exact too.

    Var(Σ w h / Σ w) ≈ E[w² (h − E_post h)²] / (n (E w)²) (the delta method for a ratio of means,
    e.g. Owen, *Monte Carlo theory, methods and examples*, 2013, eq. 9.8), here with exact moments.
    """
    _, summary = run
    t = np.arange(SIZE + 1)
    prior = stats.betabinom(SIZE, A, B).pmf(t)
    w = exact_weights()
    posterior = prior * w / (prior * w).sum()

    def snis_se(h: np.ndarray) -> float:
        target = (posterior * h).sum()
        return math.sqrt((prior * w * w * (h - target) ** 2).sum() / DRAWS) / (prior * w).sum()

    killed = summary.posterior.quantities[0]
    mean = (posterior * t).sum()
    assert abs(killed.mean.value - mean) < Z * snis_se(t.astype(float))
    pmf = summary.pmf("posterior", "killed")
    for x in (70, 80, 90):
        exact = posterior[t <= x].sum()
        assert abs(pmf[: x + 1].sum() - exact) < Z * snis_se((t <= x).astype(float)), x


def test_reported_tails_against_their_exact_means_and_errors(run):
    """P(R ≤ v) and P(R ≥ v) for the report R = round(ρT) of claim c1 (v = 60, ρ ~ lognormal(0, 0.25)).

    Per draw the estimate is h(T) = F(60.5/T) (or S(59.5/T)); prior predictive: mean Σ P(T) h(T) and error
    √(Var h / n). The printed errors must match these exact ones to 10% (their own estimation error at 60,000
    draws is well below 1%). (The posterior side conditions on the claim itself, so its ρ is not the prior's.)
    """
    _, summary = run
    t = np.arange(SIZE + 1, dtype=float)
    prior = stats.betabinom(SIZE, A, B).pmf(t)
    ratio = stats.lognorm(s=0.25, scale=1.0)
    with np.errstate(divide="ignore"):
        at_most = ratio.cdf(60.5 / t)
        at_least = ratio.sf(59.5 / t)
    at_most[0], at_least[0] = 1.0, 0.0  # T = 0: the report is 0
    claim = next(c for c in summary.prior.claims if c.id == "c1")
    for h, got in ((at_most, claim.reported_at_most), (at_least, claim.reported_at_least)):
        mean = (prior * h).sum()
        se = math.sqrt((prior * (h - mean) ** 2).sum() / DRAWS)
        assert abs(got.value - mean) < Z * se, (got, mean, se)
        assert got.mcse == pytest.approx(se, rel=0.1), (got, se)
