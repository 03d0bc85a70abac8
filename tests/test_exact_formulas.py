"""The elementary formulas under the likelihoods and the casualty model, against scipy at their edges.

Each is a closed form (a CDF difference, a normal score, a binomial tail, a Poisson chance); the
references are scipy's own distributions, computed from the side that keeps precision (survival
functions in upper tails), so the tolerances are those of floating point, not of Monte Carlo.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.inference import _binomial_cdf, _normal_interval, _normal_score, interval_probability
from sim.model import wounded_probability


def test_interval_probability_is_the_cdf_difference_even_deep_in_the_upper_tail():
    ratio = stats.lognorm(s=0.25, scale=1.0)
    low = np.array([0.2, 0.9, 1.5, 2.9, 3.0])
    high = np.array([0.5, 1.1, 1.6, 2.9000001, 3.0000001])
    mass, lower = interval_probability(ratio, low, high)
    np.testing.assert_allclose(lower, ratio.cdf(low), rtol=1e-12)
    np.testing.assert_allclose(mass, ratio.sf(low) - ratio.sf(high), rtol=1e-7)
    assert mass[-1] > 0  # 1 − 1e-5 minus 1 − 1e-5: lost by a CDF difference, kept by the survival functions
    assert interval_probability(ratio, np.array([1.2]), np.array([1.1]))[0][0] == 0.0  # an empty interval: 0


def test_normal_scores_keep_both_tails():
    rate = stats.beta(2, 30)
    x = np.array([1e-4, 0.01, 0.06, 0.3, 0.6, 0.9])
    scores = _normal_score(rate, x)
    below = rate.cdf(x) <= 0.5
    np.testing.assert_allclose(scores[below], stats.norm.ppf(rate.cdf(x[below])), rtol=1e-12)
    np.testing.assert_allclose(scores[~below], stats.norm.isf(rate.sf(x[~below])), rtol=1e-9)
    assert scores[-1] > 8  # beyond what ppf(cdf) resolves (cdf rounds to 1)


def test_normal_interval_is_phi_high_minus_phi_low_on_either_side():
    low = np.array([-3.0, -1.0, 0.5, 6.0, 9.0])
    high = np.array([-2.0, 1.0, 2.0, 6.5, 9.5])
    expected = np.where(low > 0, stats.norm.sf(low) - stats.norm.sf(high), stats.norm.cdf(high) - stats.norm.cdf(low))
    np.testing.assert_allclose(_normal_interval(low, high), expected, rtol=1e-12)
    assert _normal_interval(np.array([9.0]), np.array([9.5]))[0] > 1e-19  # not lost to 1 − 1


@pytest.mark.parametrize("upper", [False, True])
def test_binomial_tails_at_and_beyond_their_ends(upper):
    trials = np.array([10, 10, 10, 10, 10, 0, 400])
    limit = np.array([-1, 0, 4, 9, 10, 0, 300])
    p = np.array([0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 0.2])
    got = _binomial_cdf(limit, trials, p, upper=upper)
    expected = stats.binom.sf(limit, trials, p) if upper else stats.binom.cdf(limit, trials, p)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=0)
    assert got[-1] > 0 or not upper  # P(X > 300) ≈ 1e-100 for X ~ Bin(400, 0.2): the small side directly


def test_wounded_probability_is_one_minus_exp_of_the_load():
    w = np.array([3.0, 3.0, 0.5, 2.0, 2.0])
    killed = np.array([0, 10, 100, 999, 1000])
    size = np.full(5, 1000)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(size > killed, 1 - np.exp(-w * killed / (size - killed)), 0.0)
    np.testing.assert_allclose(wounded_probability(w, killed, size), expected, rtol=1e-12, atol=0)
    assert wounded_probability(w, killed, size)[-1] == 0.0  # no survivors: no one left to wound
