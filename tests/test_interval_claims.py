"""Claims whose source publishes an interval (issue 19): exact references with scipy.

A source publishing a central interval ``[a, b]`` at level ``ℓ`` is read as its estimate ``M = √(ab)`` of ``ρ·T``
with a lognormal error of spread ``s = ln(b/a)/(2·Φ⁻¹((1 + ℓ)/2))`` (sim/intervals.py, docs/claims.md). For a
lognormal ratio prior ``log ρ ~ N(μ, σ²)`` the likelihood has a closed form, the normal convolution
``L(k) = φ((log M − log k − μ)/√(s² + σ²))/√(s² + σ²)``; with a second claim of the same source the reference
integrates ``log ρ`` on a fine grid. Killed ``K ~ BetaBinomial(N, a, b)`` is enumerated. Tolerances: ``Z`` Monte
Carlo standard errors of the exact posterior (``sd/√ESS``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from sim import parse_scenario, simulate, summarize
from sim.config import ConfigError
from sim.text import claim_says

Z = 4.5
N, A, B = 1000, 2, 8
LOW, HIGH, LEVEL = 150, 260, 0.95
SPREAD = math.log(HIGH / LOW) / (2 * stats.norm.ppf((1 + LEVEL) / 2))
CENTRE = math.log(math.sqrt(LOW * HIGH))
RATIO_CI = (0.7, 1.4)
SIGMA = math.log(RATIO_CI[1] / RATIO_CI[0]) / (2 * stats.norm.ppf(0.95))
MU = math.log(math.sqrt(RATIO_CI[0] * RATIO_CI[1]))


def _scenario(extra_claim: str = "", condition: str = '["estimate"]', ratio: str | None = None) -> str:
    prior = ratio or f'{{ dist = "lognormal", ci90 = [{RATIO_CI[0]}, {RATIO_CI[1]}] }}'
    return f"""
[simulation]
draws = 200_000
seed = 13
[forces.unit]
size = {N}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
[sources.meduza]
reporting_ratio = {prior}
[[claims]]
id = "estimate"
said = "95% interval 150 to 260"
value = [{LOW}, {HIGH}]
relation = "between"
interval = {LEVEL}
source = "meduza"
{extra_claim}
[inference]
condition_on = {condition}
"""


def _prior() -> np.ndarray:
    return stats.betabinom(N, A, B).pmf(np.arange(N + 1))


def _closed_form(spread: float) -> np.ndarray:
    """``L(k)``: the density of log M given T = k, ρ marginalised (lognormal ρ: a normal convolution)."""
    k = np.arange(N + 1, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(k > 0, stats.norm(MU + np.log(k), spread).pdf(CENTRE), 0.0)


def _assert_mean(value: float, pmf: np.ndarray, ess: float) -> None:
    pmf = pmf / pmf.sum()
    k = np.arange(pmf.size)
    mean = float(pmf @ k)
    sd = math.sqrt(float(pmf @ (k - mean) ** 2))
    assert abs(value - mean) < Z * sd / math.sqrt(ess), (value, mean)


def test_an_interval_claim_against_the_closed_form():
    summary = summarize(simulate(parse_scenario(_scenario()), workers=1))
    prior, likelihood = _prior(), _closed_form(math.hypot(SPREAD, SIGMA))
    _assert_mean(summary.posterior.quantities[0].mean.value, prior * likelihood, summary.posterior.ess)
    # the evidence: the density of log M, with its error from the exact moments of L
    mean = float(prior @ likelihood)
    error = math.sqrt((float(prior @ likelihood**2) - mean**2) / 200_000) / mean
    assert abs(summary.evidence.log - math.log(mean)) < Z * error
    # the source's estimate M = ρ·T·e^ε: P(M ≤ √(ab)) under the prior, exactly
    k = np.arange(1, N + 1)
    below = float(prior[1:] @ stats.norm.cdf((CENTRE - MU - np.log(k)) / math.hypot(SPREAD, SIGMA))) + prior[0]
    claim = summary.prior.claims[0]
    assert claim.value == pytest.approx(math.sqrt(LOW * HIGH))
    assert abs(claim.reported_at_most.value - below) < Z * claim.reported_at_most.mcse + 1e-9
    assert (claim.interval, claim.reading_low, claim.reading_high) == (LEVEL, LOW, HIGH)
    assert claim_says(claim) == '"95% interval 150 to 260" → 95% interval 150–260'
    assert claim_says(replace(claim, said=None)) == "95% interval 150–260 killed (centre 197)"


def test_without_a_bias_the_posterior_reads_the_source_interval():
    """A fixed ratio of 1: the likelihood is the lognormal density of the estimate alone (a sum, exactly)."""
    summary = summarize(simulate(parse_scenario(_scenario(ratio="1")), workers=1))
    prior = _prior()
    k = np.arange(N + 1, dtype=float)
    with np.errstate(divide="ignore"):
        likelihood = np.where(k > 0, stats.norm(np.log(k), SPREAD).pdf(CENTRE), 0.0)
    _assert_mean(summary.posterior.quantities[0].mean.value, prior * likelihood, summary.posterior.ess)


def test_an_interval_and_a_count_of_one_source_share_its_ratio():
    """With "about 200 dead" (175..224) from the same source: L(k) = ∫ f(y) 1{round(e^y k) ∈ 175..224} φ(...) dy."""
    count = '[[claims]]\nid = "about"\nvalue = 200\nrounding = 50\nsource = "meduza"\n'
    summary = summarize(simulate(parse_scenario(_scenario(count, '["estimate", "about"]')), workers=1))
    y = np.linspace(MU - 9 * SIGMA, MU + 9 * SIGMA, 20_001)  # log ρ
    dy = y[1] - y[0]
    k = np.arange(N + 1, dtype=float)[:, None]
    report = np.rint(np.exp(y)[None, :] * k)
    inside = (report >= 175) & (report <= 224)
    with np.errstate(divide="ignore"):
        measured = np.exp(-0.5 * ((CENTRE - np.log(k) - y[None, :]) / SPREAD) ** 2) / (SPREAD * math.sqrt(2 * math.pi))
    likelihood = (stats.norm(MU, SIGMA).pdf(y)[None, :] * inside * measured).sum(axis=1) * dy
    _assert_mean(summary.posterior.quantities[0].mean.value, _prior() * likelihood, summary.posterior.ess)
    independent = (
        _prior()
        * _closed_form(math.hypot(SPREAD, SIGMA))
        * (
            stats.norm(MU, SIGMA).cdf(np.log(224.5 / np.maximum(k[:, 0], 1e-9)))
            - stats.norm(MU, SIGMA).cdf(np.log(174.5 / np.maximum(k[:, 0], 1e-9)))
        )
    )
    ks = np.arange(N + 1)
    gap = abs(independent @ ks / independent.sum() - _prior() * likelihood @ ks / (_prior() @ likelihood))
    assert gap > 5 * summary.posterior.quantities[0].mean.mcse  # sharing the ratio matters: the test can fail
    # a density has no probability of a reading: no prior predictive nor leave-one-out for the interval claim
    assert summary.prior.claims[0].prior_predictive is None and summary.posterior.claims[0].loo is None
    assert summary.posterior.claims[1].loo is not None


def test_an_interval_far_from_the_same_source_s_count_is_named():
    """Given "about 200 dead", the source's estimate √(400·700) = 529 is far in the tail of its predictive."""
    count = '[[claims]]\nid = "about"\nvalue = 200\nrounding = 50\nsource = "meduza"\n'
    text = _scenario(count, '["estimate", "about"]').replace(f"value = [{LOW}, {HIGH}]", "value = [400, 700]")
    summary = summarize(simulate(parse_scenario(text), draws=20_000, workers=1))
    assert any(w.startswith("claim estimate conflicts with the other conditioned claims") for w in summary.warnings)


DERIVED = '[sources.other]\nreporting_ratio = 1\n[sources.meduza]\nderives_from = "other"'


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("interval = 0.95", "interval = 1.5"), "must be in (0, 1)"),
        (('relation = "between"', 'relation = "ge"\nreading = "open"'), "applies to relation 'between'"),
        (("interval = 0.95", "interval = 0.95\nreading = [150, 260]"), "cannot be combined with reading"),
        ((f"value = [{LOW}, {HIGH}]", f"value = [0, {HIGH}]"), "above 0"),
        ((f"value = [{LOW}, {HIGH}]", f"value = [{LOW}, {LOW}]"), "some width"),
        (("[sources.meduza]", "[sources.meduza]\nclaim_correlation = 0.5"), "partly shared"),
        (("[sources.meduza]", DERIVED), "derivation"),
    ],
)
def test_bad_interval_claims_name_their_key(change, message):
    text = _scenario().replace(*change)
    with pytest.raises(ConfigError) as error:
        parse_scenario(text)
    problems = [str(p) for p in error.value.problems]
    assert any("claims[0] (estimate).interval" in p and message in p for p in problems), problems
