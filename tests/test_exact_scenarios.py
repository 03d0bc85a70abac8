"""Shipped scenarios against exact references, not hand-chosen bounds.

``kursk_article`` is one force of fixed size 14,000 with a Beta fatality rate, so its toll is
beta-binomial: every quantile and claim probability it prints has an exact value.
``kursk_engineers`` (a PERT size, a lognormal hazard over 120 days, one sourced claim) has a
prior pmf by one-dimensional quadrature and a posterior by enumeration. Tolerances
come from exact variances: ``sqrt(q(1 − q)/n)`` in CDF space for a quantile of ``n`` draws, and,
for the conditional tail estimates, the estimator's own exact variance by quadrature over the
draws it runs on (:func:`reference_cases.conditional_tail_moments`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from reference_cases import assert_quantiles, conditional_tail_moments, subsample_draws
from scipy import stats

from sim.config import load_scenario
from sim.engine import simulate
from sim.summary import summarize

ROOT = Path(__file__).resolve().parent.parent
Z = 4.5
DRAWS = 200_000


@pytest.fixture(scope="module")
def article():
    scenario = load_scenario(ROOT / "configs" / "kursk_article.toml")
    (force,) = scenario.forces
    assert force.size.is_fixed
    rate = force.fatality_rate.distribution
    np.testing.assert_allclose(rate.ppf([0.05, 0.95]), [0.05, 0.23], rtol=1e-9)  # the scenario's ci90
    size = int(force.size.distribution.values[0])
    summary = summarize(simulate(scenario, draws=DRAWS, workers=1))
    subsample = subsample_draws(DRAWS, scenario.simulation.chunk_size)
    return summary, size, rate, subsample


def _claim(summary, claim_id: str):
    return next(c for c in summary.prior.claims if c.id == claim_id)


def test_article_toll_quantiles_are_exact_within_binomial_error(article):
    """The quantile q̂ of n draws satisfies F(q̂) ≥ q − Zσ(q̂) and F(q̂ − 1) < q + Zσ(q̂ − 1), σ(x) = √(F(x)(1 − F(x))/n)."""
    summary, size, rate, _ = article
    exact = stats.betabinom(size, *rate.args)
    killed = summary.prior.quantities[0]
    cdf = exact.cdf(np.arange(size + 1))
    assert_quantiles(killed, cdf, lambda x: math.sqrt(cdf[x] * (1 - cdf[x]) / DRAWS), Z)
    assert abs(killed.mean.value - exact.mean()) < Z * exact.std() / math.sqrt(DRAWS)


def test_article_nine_dead_against_the_exact_beta_binomial(article):
    """P(T = 9) = P(T ≤ 9) − P(T ≤ 8), two conditional estimates on independent streams."""
    summary, size, rate, subsample = article
    (m9, s9), (m8, s8) = (conditional_tail_moments(rate, m, size) for m in (9, 8))
    exact = stats.betabinom(size, *rate.args)
    assert m9 == pytest.approx(exact.cdf(9), rel=1e-6) and m8 == pytest.approx(exact.cdf(8), rel=1e-6)
    variance = (s9 - m9**2) + (s8 - m8**2)
    claim = _claim(summary, "kim_nine_total")
    assert claim.probability.method == "conditional"
    assert abs(claim.probability.value - exact.pmf(9)) < Z * math.sqrt(variance / subsample)
    percentile = 100 * (m9 + m8) / 2
    assert abs(claim.percentile.value - percentile) < Z * 100 * math.sqrt(variance / 4 / subsample)


def test_article_six_thousand_dead_against_the_exact_beta_binomial(article):
    summary, size, rate, subsample = article
    mean, second = conditional_tail_moments(rate, 5999, size, upper=True)
    exact = stats.betabinom(size, *rate.args).pmf(np.arange(6000, size + 1)).sum()  # no 1 − cdf cancellation
    assert mean == pytest.approx(exact, rel=1e-6)
    claim = _claim(summary, "press_6000_killed")
    assert claim.probability.method == "conditional"
    assert abs(claim.probability.value - exact) < Z * math.sqrt((second - mean**2) / subsample)


def _engineers_prior_pmf(force, top: int) -> np.ndarray:
    """P(K = j), j < top, for the engineers: N ~ PERT rounded, f = 1 − exp(−days·h), h lognormal, by quadrature.

    The PERT and the lognormal are written by hand from the scenario's parameters; the hazard is
    integrated on 200 points of its normal log-scale over ±9 sd (doubling them changes P(K = 9) by 1e-16).
    """
    size = force.size.params
    low, mode, high = size["low"], size["mode"], size["high"]
    pert = stats.beta(
        1 + 4 * (mode - low) / (high - low), 1 + 4 * (high - mode) / (high - low), loc=low, scale=high - low
    )
    n = np.arange(low, high + 1)
    size_pmf = pert.cdf(n + 0.5) - pert.cdf(n - 0.5)
    hazard_low, hazard_high = force.daily_hazard.params["ci90"]
    mu = (math.log(hazard_low) + math.log(hazard_high)) / 2
    sigma = (math.log(hazard_high) - math.log(hazard_low)) / (2 * stats.norm.ppf(0.95))
    z = np.linspace(-9, 9, 200)
    rates = -np.expm1(-force.days.params["value"] * np.exp(mu + sigma * z))
    j = np.arange(top)[:, None]
    pmf = np.zeros(top)
    for rate, weight in zip(rates, stats.norm.pdf(z) * (z[1] - z[0]), strict=True):
        pmf += weight * (stats.binom.pmf(j, n[None, :], rate) @ size_pmf)
    return pmf


def test_engineers_nine_and_their_posterior_against_quadrature():
    """Kim's "nine" (a report R = round(ρT), ρ the KCNA ratio): posterior ∝ P(T) · (F(9.5/T) − F(8.5/T)).

    Prior P(T = 9) is a frequency (binomial error); posterior statistics are self-normalised
    importance sampling estimates with the exact error E_p[w²(h − E_post h)²] / (n (E_p w)²).
    Tolls from 40 on are left out of the enumeration: their share of the evidence is bounded below.
    """
    scenario = load_scenario(ROOT / "configs" / "kursk_engineers.toml")
    (force,) = scenario.forces
    ratio = scenario.source("kcna").reporting_ratio.distribution
    top = 40
    prior = _engineers_prior_pmf(force, top)
    t = np.arange(top)
    weight = np.where(t > 0, ratio.cdf(9.5 / np.maximum(t, 1)) - ratio.cdf(8.5 / np.maximum(t, 1)), 0.0)
    evidence = (prior * weight).sum()
    left_out = (1 - prior.sum()) * ratio.cdf(9.5 / top) / evidence  # bound on the posterior mass at T ≥ 40
    assert left_out < 1e-4
    posterior = prior * weight / evidence
    cdf = np.cumsum(posterior)

    summary = summarize(simulate(scenario, draws=DRAWS, workers=1))
    p9 = prior[9]
    assert abs(_claim(summary, "kim_nine_528th").probability.value - p9) < Z * math.sqrt(p9 * (1 - p9) / DRAWS)

    def se(h: np.ndarray) -> float:
        target = (posterior * h).sum()
        return math.sqrt((prior * weight**2 * (h - target) ** 2).sum() / DRAWS) / evidence

    claim = next(c for c in summary.posterior.claims if c.id == "kim_nine_528th")
    assert abs(claim.probability.value - posterior[9]) < Z * se((t == 9).astype(float)) + left_out
    killed = next(q for q in summary.posterior.quantities if q.name == "killed")
    assert_quantiles(killed, cdf, lambda x: se((t <= x).astype(float)), Z, slack=left_out)
