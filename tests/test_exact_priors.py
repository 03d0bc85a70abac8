"""Fixed and discrete priors: the CDF is P(X ≤ x), closed at every atom, and what that means for a claim.

References are sums of the weights written by hand, never sim's own code.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from scipy import integrate, special, stats

from sim import parse_scenario, simulate, summarize
from sim.priors import Interval, PriorError, PriorSpec, build_distribution, cumulative, logitnorm, survival

VALUES, WEIGHTS = [0.1, 0.25, 0.4], [1.0, 2.0, 1.0]


def _exact_cdf(x: float) -> float:
    return sum(w for v, w in zip(VALUES, WEIGHTS, strict=True) if v <= x) / sum(WEIGHTS)


@pytest.mark.parametrize("x", [0.0, 0.1, 0.17, 0.25, 0.3, 0.4, 0.9])
def test_discrete_cdf_and_sf_are_closed_at_each_atom(x):
    distribution = build_distribution("discrete", {"values": VALUES, "weights": WEIGHTS})
    assert float(distribution.cdf(x)) == pytest.approx(_exact_cdf(x), abs=1e-15)
    assert float(distribution.sf(x)) == pytest.approx(1 - _exact_cdf(x), abs=1e-15)


def test_discrete_ppf_is_the_smallest_value_reaching_the_level():
    """ppf(q) = min{x : F(x) ≥ q} (scipy's convention), exactly at and between the cumulative levels."""
    distribution = build_distribution("discrete", {"values": [0.4, 0.1, 0.25], "weights": [1, 1, 2]})  # unsorted
    levels = [0.0, 0.1, 0.25, 0.26, 0.5, 0.75, 0.76, 1.0]
    expected = [min(v for v in VALUES if _exact_cdf(v) >= q - 1e-15) for q in levels]
    np.testing.assert_array_equal(distribution.ppf(levels), expected)
    assert distribution.mean() == pytest.approx(0.25)
    assert distribution.std() == pytest.approx(np.sqrt((0.15**2 + 0.15**2) / 4))
    assert distribution.support() == (0.1, 0.4)


def test_fixed_cdf_steps_at_its_value():
    distribution = build_distribution("fixed", {"value": 0.5})
    np.testing.assert_array_equal(distribution.cdf([0.4999, 0.5, 0.5001]), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(distribution.sf([0.4999, 0.5, 0.5001]), [1.0, 0.0, 0.0])
    assert float(distribution.ppf(0.3)) == 0.5


def test_a_fixed_reporting_ratio_admits_exactly_the_tolls_of_the_design():
    """Report R = ρT with ρ fixed at ½ and the claim "10": L(T) = F(10.5/T) − F(9.5/T) with F(x) = P(ρ ≤ x).

    Only T = 20 and 21 have L = 1 (at T = 19, 9.5/19 = ½ already counts; at T = 21, 10.5/21 = ½ does), so the
    posterior is the prior restricted to {20, 21}: with T ~ Binomial(40, ½), P(T = 20 | claim) = C(40, 20) /
    (C(40, 20) + C(40, 21)) = 21/41, estimated from the accepted draws (weights are 0 or 1).
    """
    text = """
[simulation]
draws = 40000
seed = 1
[forces.unit]
size = 40
fatality_rate = 0.5
[sources.half]
reporting_ratio = 0.5
[[claims]]
id = "ten"
value = 10
source = "half"
[inference]
condition_on = ["ten"]
"""
    summary = summarize(simulate(parse_scenario(text), workers=1))
    pmf = summary.pmf("posterior", "killed")
    assert set(np.flatnonzero(pmf)) == {20, 21}
    share = 21 / 41  # C(40, 20) / (C(40, 20) + C(40, 21)) = 21/41
    accepted = 40_000 * stats.binom(40, 0.5).pmf([20, 21]).sum()  # the expected number of draws with weight 1
    assert abs(pmf[20] - share) < 4.5 * np.sqrt(share * (1 - share) / accepted)


E = float(np.e)
FAMILY_CASES = [
    ("uniform", {"low": 2, "high": 5}, stats.uniform(2, 3)),
    ("integer_uniform", {"low": 3, "high": 7}, stats.randint(3, 8)),
    ("integer_uniform", {"low": 2**53 - 4, "high": 2**53}, stats.randint(2**53 - 4, 2**53 + 1)),  # the largest
    ("triangular", {"low": 1, "mode": 3, "high": 11}, stats.triang(0.2, loc=1, scale=10)),
    ("triangular", {"low": 1, "mode": 1, "high": 11}, stats.triang(0.0, loc=1, scale=10)),  # the mode at an end
    ("triangular", {"low": 1, "mode": 11, "high": 11}, stats.triang(1.0, loc=1, scale=10)),
    ("pert", {"low": 1, "mode": 3, "high": 11}, stats.beta(1.8, 4.2, loc=1, scale=10)),
    ("normal", {"mean": 5, "sd": 2}, stats.norm(5, 2)),
    ("normal", {"mean": 5, "sd": 2, "low": 4}, stats.truncnorm(-0.5, np.inf, loc=5, scale=2)),
    ("normal", {"mean": 5, "sd": 2, "high": 6}, stats.truncnorm(-np.inf, 0.5, loc=5, scale=2)),
    ("normal", {"mean": 5, "sd": 2, "low": 1, "high": 8}, stats.truncnorm(-2, 1.5, loc=5, scale=2)),
    ("lognormal", {"mu": 1, "sigma": 0.5}, stats.lognorm(0.5, scale=E)),
    # mean 10, sd 5: σ² = log(1 + 1/4), μ = log 10 − σ²/2
    ("lognormal", {"mean": 10, "sd": 5}, stats.lognorm(np.sqrt(np.log(1.25)), scale=10 / np.sqrt(1.25))),
    ("beta", {"a": 2, "b": 5}, stats.beta(2, 5)),
    ("beta", {"mean": 0.2, "sd": 0.1}, stats.beta(3, 12)),  # concentration 0.2·0.8/0.01 − 1 = 15
    ("beta", {"mean": 0.5, "sd": (1 / 6) ** 0.5}, stats.beta(0.25, 0.25)),  # concentration 0.5: U-shaped
    ("gamma", {"shape": 3, "scale": 2}, stats.gamma(3, scale=2)),
    ("gamma", {"shape": 3, "rate": 0.5}, stats.gamma(3, scale=2)),
    ("gamma", {"mean": 6, "sd": 3}, stats.gamma(4, scale=1.5)),  # shape (6/3)², scale 3²/6
    ("discrete", {"values": [3, 1, 2]}, stats.randint(1, 4)),  # equal weights when none are given
    ("discrete", {"values": [3, 1, 2], "weights": [0.1, 0.1, 0.1]}, stats.randint(1, 4)),  # a sum below 1
    ("weibull_min", {"c": 1.5, "scale": 2}, stats.weibull_min(1.5, scale=2)),
]


@pytest.mark.parametrize(("family", "params", "reference"), FAMILY_CASES, ids=lambda v: str(v)[:40])
def test_each_family_is_the_scipy_distribution_written_by_hand(family, params, reference):
    distribution = build_distribution(family, params)
    levels = np.array([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
    x = reference.ppf(levels)
    np.testing.assert_allclose(distribution.ppf(levels), x, rtol=1e-10)
    np.testing.assert_allclose(distribution.cdf(x), reference.cdf(x), rtol=1e-10)
    np.testing.assert_allclose(distribution.sf(x), reference.sf(x), rtol=1e-10)
    assert distribution.mean() == pytest.approx(reference.mean(), rel=1e-10)
    assert distribution.std() == pytest.approx(reference.std(), rel=1e-10)
    assert tuple(distribution.support()) == pytest.approx(tuple(reference.support()))
    assert float(distribution.median()) == pytest.approx(float(reference.median()), rel=1e-10)


def test_logitnormal_by_mu_and_sigma():
    distribution = build_distribution("logitnormal", {"mu": -1.0, "sigma": 0.5})
    x = np.array([0.05, 0.2, 0.27, 0.5, 0.9])
    np.testing.assert_allclose(distribution.cdf(x), stats.norm.cdf((np.log(x / (1 - x)) + 1) / 0.5), rtol=1e-12)
    np.testing.assert_allclose(distribution.ppf([0.1, 0.5]), 1 / (1 + np.exp(1 - 0.5 * stats.norm.ppf([0.1, 0.5]))))


def test_a_scipy_family_missing_its_shape_says_so():
    with pytest.raises(PriorError) as error:
        build_distribution("weibull_min", {})
    assert str(error.value).startswith("invalid parameters for scipy.stats.weibull_min: ")
    assert error.value.key is None


def test_a_zero_weight_is_allowed():
    distribution = build_distribution("discrete", {"values": [1, 2, 3], "weights": [0, 1, 1]})
    np.testing.assert_array_equal(distribution.cdf([1, 2, 3]), [0.0, 0.5, 1.0])


def test_integer_uniform_of_one_value():
    distribution = build_distribution("integer_uniform", {"low": 5, "high": 5})
    assert distribution.support() == (5, 5) and distribution.pmf(5) == 1.0


def test_logitnormal_tails_moments_and_invalid_shapes():
    """isf and sd against the normal scale and quadrature; scipy's NaN for shapes outside m finite, s > 0."""
    distribution = logitnorm(-1.0, 0.5)
    q = np.array([1e-12, 0.05, 0.5, 0.95])
    np.testing.assert_allclose(distribution.isf(q), 1 / (1 + np.exp(1 - 0.5 * stats.norm.isf(q))), rtol=1e-12)
    second, _ = integrate.quad(lambda z: special.expit(-1 + 0.5 * z) ** 2 * stats.norm.pdf(z), -np.inf, np.inf)
    mean, _ = integrate.quad(lambda z: special.expit(-1 + 0.5 * z) * stats.norm.pdf(z), -np.inf, np.inf)
    assert distribution.std() == pytest.approx(np.sqrt(second - mean**2), rel=1e-9)
    for m, s in [(0.0, 0.0), (0.0, -1.0), (np.inf, 1.0), (0.0, np.inf)]:
        assert np.all(np.isnan(logitnorm(m, s).cdf([0.3, 0.5, 0.7]))), (m, s)


def test_an_interval_states_its_own_parameters():
    assert Interval(0.1, 0.2, 0.9, "ci90").params() == {"ci90": [0.1, 0.2]}
    assert Interval(0.1, 0.2, 0.95, "ci").params() == {"ci": [0.1, 0.2], "level": 0.95}
    assert Interval(0.1, 0.2, 0.9).params() == {"ci": [0.1, 0.2], "level": 0.9}


def test_describe_is_mean_median_and_the_90_percent_interval():
    spec = PriorSpec(path="forces.a.size", family="gamma", params={}, distribution=stats.gamma(3, scale=2))
    reference = stats.gamma(3, scale=2)
    assert spec.describe() == pytest.approx(
        {"mean": 6.0, "median": reference.median(), "p05": reference.ppf(0.05), "p95": reference.ppf(0.95)}
    )
    assert not spec.is_fixed
    assert PriorSpec("x", "fixed", {}, build_distribution("fixed", {"value": 2})).is_fixed


@pytest.mark.parametrize(
    ("family", "params", "key", "message"),
    [
        ("beta", {"mean": 0.5, "sd": 0.6}, "sd", "no beta has mean 0.5 and sd 0.6: sd must be < 0.5"),
        ("beta", {"a": -1, "b": 2}, "a", "must be > 0, got -1"),
        ("lognormal", {"ci90": [3000, 600]}, "ci90", "must be increasing, got [3000, 600]"),
        ("integer_uniform", {"low": 1.5, "high": 3}, "low", "must be a whole number, got 1.5"),
        (
            "beta",
            {"mean": 0.2, "sdd": 0.1},
            "sdd",
            "unknown parameter for beta (did you mean 'sd'?); give a, b | mean, sd | ci90 | ci, level",
        ),
        (
            "gamma",
            {"shape": 2},
            None,
            "gamma takes one of these parameter sets: shape, scale | shape, rate | mean, sd | ci90 | ci, level; "
            "got shape",
        ),
        ("lognormal", {"ci90": [0.1, 0.1]}, "ci90", "must be increasing, got [0.1, 0.1]"),
        ("lognormal", {"ci90": [0.1]}, "ci90", "must be a pair [low, high] (the 5th and 95th percentiles)"),
        ("normal", {"mean": 0, "sd": 1, "low": 1, "high": 1}, "high", "must be > low (1), got 1"),
        ("gamma", {"ci90": [0, 2]}, "ci90", "must be positive for a gamma, got [0, 2]"),
        (
            "lognormal",
            {"mu": math.log(sys.float_info.min), "sigma": 1},
            None,
            "gives a lognormal beyond the range of floating-point numbers",
        ),
        ("discrete", {"values": [1, 2], "weights": [2, -1]}, "weights", "must be >= 0 with a positive sum"),
        (
            "weibul_min",
            {"c": 1},
            "dist",
            "unknown distribution 'weibul_min'; did you mean 'weibull_min'? use one of fixed, discrete, uniform, "
            "integer_uniform, triangular, pert, normal, lognormal, logitnormal, beta, gamma or a scipy.stats "
            "family name",
        ),
        ("beta", {"ci90": [0.1, 0.2], "level": 0.9}, "ci90", "give ci90, or ci with level, not both"),
        ("beta", {"ci90": [0.1, 0.2], "ci": [0.1, 0.2]}, "ci90", "give ci90, or ci with level, not both"),
        ("beta", {"a": 1, "b": 2, "level": 0.9}, "level", "applies to ci only: give ci = [low, high] with it"),
        (
            "beta",
            {"ci": [0.1, 0.2]},
            "ci",
            "needs level, the probability inside [low, high] (e.g. level = 0.95 for a 95% interval)",
        ),
        ("beta", {"ci": [0.1], "level": 0.95}, "ci", "must be a pair [low, high] (the 2.5th and 97.5th percentiles)"),
        ("beta", {"ci90": [0, 0.5]}, "ci90", "must lie inside (0, 1) for a beta, got [0, 0.5]"),
        ("beta", {"ci90": [0.5, 1]}, "ci90", "must lie inside (0, 1) for a beta, got [0.5, 1]"),
        ("beta", {"mean": 0, "sd": 0.1}, "mean", "must lie in (0, 1) for a beta, got 0"),
        ("beta", {"mean": 1, "sd": 0.1}, "mean", "must lie in (0, 1) for a beta, got 1"),
        ("beta", {"mean": 0.5, "sd": 0.5}, "sd", "no beta has mean 0.5 and sd 0.5: sd must be < 0.5"),
        (
            "gamma",
            {"shape": 2, "zzz": 1},
            "zzz",
            "unknown parameter for gamma; give shape, scale | shape, rate | mean, sd | ci90 | ci, level",
        ),
        (
            "gamma",
            {"mean": 1, "shape": 2},
            None,
            "gamma takes one of these parameter sets: shape, scale | shape, rate | mean, sd | ci90 | ci, level; "
            "got mean, shape",
        ),
        (
            "lognormal",
            {"mu": math.log(sys.float_info.max), "sigma": 1},
            None,
            "gives a lognormal beyond the range of floating-point numbers",
        ),
        ("beta", {"ci90": [1e-300, 2e-300]}, "ci90", "no beta distribution has the 90% interval [1e-300, 2e-300]"),
        ("gamma", {"ci90": [1, 1.00001]}, "ci90", "no gamma distribution has the 90% interval [1, 1.00001]"),
        ("gamma", {"ci90": [1e-300, 1e300]}, "ci90", "no gamma distribution has the 90% interval [1e-300, 1e+300]"),
        ("logitnormal", {"ci90": [0.5, 1]}, "ci90", "must lie inside (0, 1) for a logit-normal, got [0.5, 1]"),
        ("norm", {"mu": 1}, "mu", "unknown parameter for scipy.stats.norm; it takes loc, scale"),
        (
            "zzzz",
            {"a": 1},
            "dist",
            "unknown distribution 'zzzz'; use one of fixed, discrete, uniform, integer_uniform, triangular, pert, "
            "normal, lognormal, logitnormal, beta, gamma or a scipy.stats family name",
        ),
        ("discrete", {"values": []}, "values", "must be a non-empty list of numbers"),
        ("discrete", {"values": 3}, "values", "must be a non-empty list of numbers"),
        ("discrete", {"values": [1, 2], "weights": [1]}, "weights", "must be a list of 2 numbers"),
        ("discrete", {"values": [1, 2], "weights": "x"}, "weights", "must be a list of 2 numbers"),
        ("discrete", {"values": [1, 2], "weights": [1, -1]}, "weights", "must be >= 0 with a positive sum"),
        ("discrete", {"values": [1, 2], "weights": [0, 0]}, "weights", "must be >= 0 with a positive sum"),
        ("discrete", {"values": [1, "a"]}, "values", "must be a number, got 'a'"),
        ("fixed", {"value": True}, "value", "must be a number, got True"),
        ("fixed", {"value": 10**400}, "value", "is too large for a number (401 digits)"),
        ("fixed", {"value": float("nan")}, "value", "must be finite, got nan"),
        ("uniform", {"low": 5, "high": 2}, "high", "must be > low (5), got 2"),
        ("integer_uniform", {"low": 1, "high": 2.5}, "high", "must be a whole number, got 2.5"),
        (
            "integer_uniform",
            {"low": 0, "high": 2**54},
            "high",
            "must be at most 2**53 in absolute value, got 1.80144e+16",
        ),
        ("integer_uniform", {"low": 5, "high": 2}, "high", "must be >= low (5), got 2"),
        ("triangular", {"low": 5, "mode": 5, "high": 5}, "high", "must be > low (5), got 5"),
        ("triangular", {"low": 0, "mode": 11, "high": 10}, "mode", "must lie in [low, high] = [0, 10]"),
        ("pert", {"low": 0, "mode": -1, "high": 10}, "mode", "must lie in [low, high] = [0, 10]"),
        ("normal", {"mean": 0, "sd": 1, "low": 2, "high": 1}, "high", "must be > low (2), got 1"),
        ("normal", {"mean": 0, "sd": -1}, "sd", "must be > 0, got -1"),
        ("lognormal", {"mu": 1000, "sigma": 1}, None, "gives a lognormal beyond the range of floating-point numbers"),
        ("lognormal", {"ci90": [0, 5]}, "ci90", "must be positive for a lognormal, got [0, 5]"),
        ("lognormal", {"mean": -1, "sd": 1}, "mean", "must be > 0, got -1"),
        ("gamma", {"ci90": [-1, 2]}, "ci90", "must be positive for a gamma, got [-1, 2]"),
        ("gamma", {"ci90": [100, 100.000001]}, "ci90", "no gamma distribution has the 90% interval [100, 100]"),
        ("gamma", {"shape": 2, "rate": 0}, "rate", "must be > 0, got 0"),
        ("beta", {"mean": 1.5, "sd": 0.1}, "mean", "must lie in (0, 1) for a beta, got 1.5"),
        (
            "beta",
            {"mean": 0.5, "sd": 1e-300},
            "sd",
            "is too small for a beta: 1e-300 is below floating-point resolution",
        ),
        ("logitnormal", {"ci90": [0, 0.5]}, "ci90", "must lie inside (0, 1) for a logit-normal, got [0, 0.5]"),
        ("logitnormal", {"mu": 0, "sigma": 0}, "sigma", "must be > 0, got 0"),
        (
            "weibull_min",
            {"c": 1.5, "k": 2},
            "k",
            "unknown parameter for scipy.stats.weibull_min; it takes c, loc, scale",
        ),
        ("weibull_min", {"c": -1}, None, "invalid parameters for scipy.stats.weibull_min (it takes c, loc, scale)"),
        (
            "normall",
            {"mean": 0, "sd": 1},
            "dist",
            "unknown distribution 'normall'; did you mean 'normal'? use one of fixed, discrete, uniform, "
            "integer_uniform, triangular, pert, normal, lognormal, logitnormal, beta, gamma or a scipy.stats "
            "family name",
        ),
        (
            "gamma",
            {},
            None,
            "gamma takes one of these parameter sets: shape, scale | shape, rate | mean, sd | ci90 | ci, level; "
            "got none",
        ),
        (
            "gamma",
            {"shape": 2, "scael": 1},
            "scael",
            "unknown parameter for gamma (did you mean 'scale'?); give shape, scale | shape, rate | mean, sd | ci90 | "
            "ci, level",
        ),
    ],
)
def test_invalid_priors_say_exactly_what_is_wrong(family, params, key, message):
    with pytest.raises(PriorError) as error:
        build_distribution(family, params)
    assert (error.value.key, str(error.value)) == (key, message)


@pytest.mark.parametrize(
    "distribution",
    [stats.lognorm(s=0.7, scale=0.3), stats.lognorm(0.2), stats.lognorm(s=1.3, loc=0.1, scale=5.0), stats.gamma(2.0)],
    ids=["shape-keyword", "shape-positional", "loc-and-scale", "gamma-falls-back"],
)
def test_cumulative_and_survival_are_scipys_bit_for_bit(distribution) -> None:
    """The lognormal fast path gives scipy's own numbers exactly, on and off the support, at ±inf and NaN."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.lognormal(0.0, 3.0, 10_000), -rng.random(50), [0.0, 0.1, -np.inf, np.inf, np.nan, 1e-320]])
    with np.errstate(over="ignore"):
        assert np.array_equal(cumulative(distribution, x), distribution.cdf(x), equal_nan=True)
        assert np.array_equal(survival(distribution, x), distribution.sf(x), equal_nan=True)
