"""Priors: interval parameterisations solved exactly, draws, survival functions.

Each family against scipy written by hand, and every error message: test_exact_priors.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

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


def test_discrete_and_fixed_draws():
    """Draws of a fixed prior are its value; of a discrete one, each value at its weight's share (binomial error)."""
    rng = np.random.default_rng(0)
    assert np.all(build_distribution("fixed", {"value": 0.1}).rvs(size=10, random_state=rng) == 0.1)
    discrete = build_distribution("discrete", {"values": [0.1, 0.3], "weights": [3, 1]})
    n = 200_000
    draws = discrete.rvs(size=n, random_state=rng)
    assert draws.shape == (n,)
    share = np.mean(draws == 0.1)
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / n)


def test_beta_survival_matches_scipy():
    for distribution in (stats.beta(4.15, 31.6), stats.beta(2, 3, loc=1, scale=4)):
        x = np.linspace(-1, 6, 301)
        np.testing.assert_allclose(survival(distribution, x), distribution.sf(x), rtol=1e-12, atol=1e-300)


LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    ("family", "interval"),
    [
        ("normal", (11000.0, 15000.0)),
        ("lognormal", (600.0, 3000.0)),
        ("logitnormal", (0.043, 0.214)),
        ("beta", (0.043, 0.214)),
        ("beta", (0.35, 0.97)),
        ("gamma", (1.5, 9.0)),
    ],
)
def test_ci_at_any_level_round_trips_against_scipy(family, interval, level):
    distribution = build_distribution(family, {"ci": list(interval), "level": level})
    tails = [(1 - level) / 2, (1 + level) / 2]
    # the quantiles recomputed by scipy's own family functions, from the solved parameters
    if family == "logitnormal":
        m, s = distribution.args
        reference = special.expit(stats.norm.ppf(tails, loc=m, scale=s))
    else:
        reference = distribution.dist.ppf(tails, *distribution.args, **distribution.kwds)
    np.testing.assert_allclose(reference, interval, rtol=1e-9, atol=0)


@pytest.mark.parametrize("level", LEVELS)
def test_closed_form_interval_families_match_scipy(level):
    """Normal, lognormal and logit-normal intervals are closed forms: the same distributions built by hand."""
    z = stats.norm.ppf((1 + level) / 2)
    x = np.linspace(0.01, 0.99, 50)
    normal = build_distribution("normal", {"ci": [2.0, 10.0], "level": level})
    np.testing.assert_allclose(normal.cdf(x * 12), stats.norm(6.0, 4.0 / z).cdf(x * 12), rtol=1e-12)
    lognormal = build_distribution("lognormal", {"ci": [2.0, 10.0], "level": level})
    mu, sigma = np.log(20.0) / 2, np.log(5.0) / (2 * z)
    np.testing.assert_allclose(lognormal.cdf(x * 12), stats.lognorm(s=sigma, scale=np.exp(mu)).cdf(x * 12), rtol=1e-12)
    logitnormal = build_distribution("logitnormal", {"ci": [0.05, 0.3], "level": level})
    low, high = special.logit([0.05, 0.3])
    reference = stats.norm((low + high) / 2, (high - low) / (2 * z))
    np.testing.assert_allclose(logitnormal.cdf(x), reference.cdf(special.logit(x)), rtol=1e-12)
    np.testing.assert_allclose(logitnormal.sf(x), reference.sf(special.logit(x)), rtol=1e-12)
    density = reference.pdf(special.logit(x)) / (x * (1 - x))
    np.testing.assert_allclose(logitnormal.pdf(x), density, rtol=1e-12)


def test_ci90_is_ci_at_level_090():
    for family, interval in (("beta", [0.04, 0.21]), ("gamma", [1.5, 9.0]), ("logitnormal", [0.04, 0.21])):
        short = build_distribution(family, {"ci90": interval})
        long = build_distribution(family, {"ci": interval, "level": 0.9})
        assert short.args == long.args and short.kwds == long.kwds


def test_logitnormal_moments_and_draws():
    distribution = build_distribution("logitnormal", {"mu": -2.0, "sigma": 0.8})
    mean, _ = integrate.quad(lambda z: special.expit(-2.0 + 0.8 * z) * stats.norm.pdf(z), -np.inf, np.inf)
    assert distribution.mean() == pytest.approx(mean, rel=1e-9)
    n = 100_000
    draws = distribution.rvs(size=n, random_state=np.random.default_rng(3))
    assert draws.shape == (n,)
    assert abs(draws.mean() - mean) < 5 * distribution.std() / np.sqrt(n)
    assert distribution.sf(0.999) == pytest.approx(stats.norm.sf((special.logit(0.999) + 2.0) / 0.8), rel=1e-12)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("interval", "mode"), [((12800.0, 15000.0), 14000.0), ((0.043, 0.214), 0.09)])
def test_pert_from_its_mode_and_an_interval(interval, mode, level):
    distribution = build_distribution("pert", {"ci": list(interval), "level": level, "mode": mode})
    a, b = distribution.args
    loc, scale = distribution.kwds["loc"], distribution.kwds["scale"]
    assert a + b == pytest.approx(6.0, rel=1e-12)  # a PERT: shapes 1 + 4t and 5 − 4t
    assert loc + scale * (a - 1) / (a + b - 2) == pytest.approx(mode, rel=1e-12)
    tails = [(1 - level) / 2, (1 + level) / 2]
    np.testing.assert_allclose(stats.beta.ppf(tails, a, b, loc=loc, scale=scale), interval, rtol=1e-9)


@pytest.mark.parametrize(
    ("params", "key", "fragment"),
    [
        ({"ci": [0.1, 0.2]}, "ci", "needs level"),
        ({"a": 1, "b": 2, "level": 0.9}, "level", "applies to ci only"),
        ({"ci": [0.1, 0.2], "level": 1.0}, "level", "strictly between 0 and 1"),
        ({"ci": [0.1, 0.2], "level": 0}, "level", "strictly between 0 and 1"),
        ({"ci": [0.1, 0.2], "level": 0.9999999999999999}, "level", "too close to 1"),
        ({"ci": [0.1, 0.2], "level": True}, "level", "must be a number"),
        ({"ci": [0.2, 0.1], "level": 0.95}, "ci", "increasing"),
        ({"ci": [0.1], "level": 0.95}, "ci", "2.5th and 97.5th percentiles"),
        ({"ci90": [0.1, 0.2], "ci": [0.1, 0.2], "level": 0.9}, "ci90", "not both"),
        ({"ci": [0.1, 1.5], "level": 0.95}, "ci", "inside (0, 1) for a beta"),
    ],
)
def test_bad_intervals_name_the_key(params, key, fragment):
    with pytest.raises(PriorError) as error:
        build_distribution("beta", params)
    assert fragment in str(error.value)
    assert error.value.key == key


def test_pert_mode_outside_what_an_interval_allows():
    with pytest.raises(PriorError, match=r"no PERT has mode 0\.01 and the 95% interval") as error:
        build_distribution("pert", {"ci": [0.1, 0.2], "level": 0.95, "mode": 0.01})
    assert error.value.key == "mode"
