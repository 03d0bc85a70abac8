"""Priors: interval parameterisations solved exactly, moment forms, support checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.priors import PriorError, build_distribution, survival


@pytest.mark.parametrize(
    ("family", "interval"),
    [
        ("normal", (11000.0, 15000.0)),
        ("lognormal", (600.0, 3000.0)),
        ("lognormal", (1e-5, 4e-4)),
        ("beta", (0.04, 0.21)),
        ("beta", (0.001, 0.02)),
        ("beta", (0.35, 0.97)),
        ("beta", (0.9, 0.999)),
        ("gamma", (1.5, 9.0)),
        ("gamma", (0.01, 50.0)),
    ],
)
def test_ci90_round_trips_exactly(family, interval):
    distribution = build_distribution(family, {"ci90": list(interval)})
    np.testing.assert_allclose(distribution.ppf([0.05, 0.95]), interval, rtol=1e-9, atol=0)


def test_mean_sd_forms_match_the_moments():
    for family in ("normal", "lognormal", "beta", "gamma"):
        mean, sd = (0.2, 0.05) if family == "beta" else (12.0, 3.0)
        distribution = build_distribution(family, {"mean": mean, "sd": sd})
        assert distribution.mean() == pytest.approx(mean, rel=1e-12)
        assert distribution.std() == pytest.approx(sd, rel=1e-12)


def test_pert_is_the_scaled_beta_of_vose():
    distribution = build_distribution("pert", {"low": 0, "mode": 2, "high": 10})
    reference = stats.beta(1 + 4 * 2 / 10, 1 + 4 * 8 / 10, loc=0, scale=10)
    x = np.linspace(0, 10, 11)
    np.testing.assert_allclose(distribution.cdf(x), reference.cdf(x))
    assert distribution.mean() == pytest.approx((0 + 4 * 2 + 10) / 6)


def test_integer_uniform_is_inclusive():
    distribution = build_distribution("integer_uniform", {"low": 3, "high": 5})
    assert distribution.support() == (3, 5)
    assert distribution.pmf(5) == pytest.approx(1 / 3)


def test_discrete_and_fixed():
    fixed = build_distribution("fixed", {"value": 0.1})
    rng = np.random.default_rng(0)
    assert np.all(fixed.rvs(size=10, random_state=rng) == 0.1)
    discrete = build_distribution("discrete", {"values": [0.1, 0.3], "weights": [3, 1]})
    assert discrete.mean() == pytest.approx(0.15)
    assert discrete.cdf(0.2) == pytest.approx(0.75)
    draws = discrete.rvs(size=200_000, random_state=rng)
    share = np.mean(draws == 0.1)
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / draws.size)


def test_scipy_families_by_name():
    distribution = build_distribution("weibull_min", {"c": 1.5, "scale": 0.1})
    assert distribution.median() == pytest.approx(stats.weibull_min(1.5, scale=0.1).median())


def test_truncated_normal_stays_inside():
    distribution = build_distribution("normal", {"mean": 14000, "sd": 1000, "low": 0})
    assert distribution.support()[0] == 0


def test_beta_survival_matches_scipy():
    for distribution in (stats.beta(4.15, 31.6), stats.beta(2, 3, loc=1, scale=4)):
        x = np.linspace(-1, 6, 301)
        np.testing.assert_allclose(survival(distribution, x), distribution.sf(x), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    ("family", "params", "key", "fragment"),
    [
        ("beta", {"mean": 0.5, "sd": 0.6}, "sd", "no beta has mean"),
        ("beta", {"a": -1, "b": 2}, "a", "must be > 0"),
        ("normal", {"mean": 1, "sd": 0}, "sd", "must be > 0"),
        ("lognormal", {"ci90": [3000, 600]}, "ci90", "increasing"),
        ("lognormal", {"ci90": [-1, 600]}, "ci90", "positive"),
        ("uniform", {"low": 5, "high": 5}, "high", "must be > low"),
        ("betta", {"a": 1, "b": 2}, "dist", "did you mean 'beta'"),
        ("beta", {"mean": 0.2, "sdd": 0.1}, "sdd", "did you mean 'sd'"),
        ("gamma", {"shape": 2}, None, "parameter sets"),
        ("integer_uniform", {"low": 1.5, "high": 3}, "low", "whole number"),
    ],
)
def test_invalid_priors_name_the_parameter(family, params, key, fragment):
    with pytest.raises(PriorError) as error:
        build_distribution(family, params)
    assert fragment in str(error.value)
    assert error.value.key == key
