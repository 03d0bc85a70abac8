"""Monte Carlo results against exact references, with tolerances from the Monte Carlo standard error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference_cases import (
    assert_quantiles,
    beta_binomial_scenario,
    conditional_tail_moments,
    conditional_tail_se,
    exact_beta_binomial,
    exact_kursk_tail,
    kursk_tail_scenario,
    subsample_draws,
)
from scipy import stats

from sim import parse_scenario, simulate, summarize

Z = 4.0  # a 4-sigma bound fails falsely ~6e-5 of the time
ERROR_OF_ERROR = 0.1
"""How far a printed error may stray from the exact one: its own relative error is ~1/(2√n) of a few
thousand subsampled draws at least (≤ 1%), so 10% fails only for a wrong formula."""


def _run(text: str, **kwargs):
    return summarize(simulate(parse_scenario(text), workers=1, **kwargs))


def _beta_binomial(size: int, a: float, b: float, draws: int, claim: str):
    """The summary of a beta-binomial toll with one claim, and the exact toll distribution."""
    text = beta_binomial_scenario(size=size, a=a, b=b, draws=draws, claims=f'[[claims]]\nid = "c"\n{claim}\n')
    return _run(text), exact_beta_binomial(size, a, b)


def test_beta_binomial_mean_quantiles_and_tail():
    size, a, b, draws = 2000, 4.0, 12.0, 400_000
    summary, exact = _beta_binomial(size, a, b, draws, 'value = 800\nrelation = "ge"')
    killed = summary.prior.quantities[0]
    assert abs(killed.mean.value - exact.mean()) < Z * exact.std() / math.sqrt(draws)
    assert killed.mean.mcse == pytest.approx(exact.std() / math.sqrt(draws), rel=0.01)
    k = np.arange(size + 1)
    fourth = (exact.pmf(k) * (k - exact.mean()) ** 4).sum()  # the sd's error from exact moments (delta method)
    assert abs(killed.sd.value - exact.std()) < Z * math.sqrt((fourth - exact.var() ** 2) / (4 * exact.var() * draws))
    # the estimated F(x) is a frequency over the draws: its error is √(F(x)(1 − F(x))/n), F exact
    cdf = exact.cdf(k)
    assert_quantiles(killed, cdf, lambda x: math.sqrt(cdf[x] * (1 - cdf[x]) / draws), Z)
    claim = summary.prior.claims[0]
    p = exact.sf(799)
    # the conditional estimate is the more precise here: its exact error, by quadrature
    se = conditional_tail_se(stats.beta(a, b), size, {799: 1.0}, draws, upper=True)
    assert se < math.sqrt(p * (1 - p) / draws)  # premise: more precise than the frequency
    assert claim.probability.method == "conditional"
    assert abs(claim.probability.value - p) < Z * se
    assert claim.probability.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)
    # the implied ratio v/T at T's quantiles: v over the median and the 95% ETI's ends, error v·se(Q)/Q² (delta method)
    eti95 = next(iv for iv in killed.eti if iv.level == 0.95)
    assert claim.implied_ratio_median == 800 / killed.median.value
    assert (claim.implied_ratio.low, claim.implied_ratio.high) == (800 / eti95.high, 800 / eti95.low)
    median = killed.median
    assert claim.implied_ratio_median_mcse == pytest.approx(800 * median.mcse / median.value**2, rel=1e-12)


def test_nine_in_fourteen_thousand_is_estimated_not_zero():
    """N ~ integer uniform 11,000..15,000, f ~ Beta(4, 12): P(killed ≤ 9) ≈ 8.8e-10, far below 1/draws."""
    summary = _run(kursk_tail_scenario(draws=200_000))
    claim = summary.prior.claims[0]
    exact = exact_kursk_tail()
    assert 5e-10 < exact < 2e-9
    assert claim.probability.method == "conditional"
    assert claim.probability.value > 0
    se = _kursk_tail_se(200_000)
    assert se < 0.05 * exact  # a few per cent relative error at 200k draws
    assert abs(claim.probability.value - exact) < Z * se
    assert claim.probability.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)


def _kursk_tail_se(draws: int) -> float:
    """The exact error of the conditional estimate of P(K ≤ 9) in :func:`kursk_tail_scenario`.

    Its per-draw second moment given N (:func:`conditional_tail_moments`) is smooth in N: averaged over
    N = 11,000..15,000 by Simpson's rule on 9 points, checked on the first moment against the closed form.
    """
    from scipy.integrate import simpson

    sizes = np.linspace(11_000, 15_000, 9)
    moments = np.array([conditional_tail_moments(stats.beta(4, 12), 9, int(n)) for n in sizes])
    mean, second = (simpson(moments[:, i], x=sizes) / 4000 for i in (0, 1))
    assert mean == pytest.approx(exact_kursk_tail(), rel=1e-3)
    return math.sqrt((second - exact_kursk_tail() ** 2) / subsample_draws(draws))


def test_far_upper_tail_is_estimated_on_its_own_side():
    size, a, b = 5000, 2.0, 60.0
    summary, toll = _beta_binomial(size, a, b, 100_000, 'value = 2000\nrelation = "ge"')
    exact = toll.pmf(np.arange(2000, size + 1)).sum()  # summed pmf: scipy's sf loses the far tail to 1 − cdf
    claim = summary.prior.claims[0]
    assert exact < 1e-11
    assert claim.probability.method == "conditional"
    se = conditional_tail_se(stats.beta(a, b), size, {1999: 1.0}, 100_000, upper=True)
    assert abs(claim.probability.value - exact) < Z * se
    assert claim.probability.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)


def test_eq_claim_with_rounding_and_percentile():
    size, a, b, draws = 1000, 2.0, 8.0, 200_000
    summary, exact = _beta_binomial(size, a, b, draws, "value = 200\nrounding = 50")
    claim = summary.prior.claims[0]
    rate = stats.beta(a, b)
    p = exact.cdf(224) - exact.cdf(174)
    se = conditional_tail_se(rate, size, {224: 1.0, 174: -1.0}, draws)  # one estimate of the difference
    assert claim.probability.method == "conditional"
    assert abs(claim.probability.value - p) < Z * se
    assert claim.probability.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)
    mid = 100 * (exact.cdf(199) + exact.cdf(200)) / 2
    se = 100 * conditional_tail_se(rate, size, {199: 0.5, 200: 0.5}, draws)
    assert claim.percentile.method == "conditional"
    assert abs(claim.percentile.value - mid) < Z * se
    assert claim.percentile.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)


def test_casualties_with_fixed_wounded_ratio():
    """C = K + W, W | K ~ Binomial(N − K, 1 − exp(−w·K/(N − K))) with w fixed, enumerated over K and W."""
    size, w = 600, 2.5
    text = beta_binomial_scenario(size=size, a=3.0, b=20.0, draws=200_000) + f"[casualties]\nwounded_per_killed = {w}\n"
    text += '[[claims]]\nid = "cas"\nvalue = 300\nrelation = "ge"\nmetric = "casualties"\n'
    summary = _run(text)
    k = np.arange(size + 1)[:, None]
    survivors = size - k
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(survivors > 0, -np.expm1(-w * k / np.maximum(survivors, 1)), 0.0)
    joint = exact_beta_binomial(size, 3.0, 20.0).pmf(k) * stats.binom.pmf(np.arange(size + 1)[None, :], survivors, q)
    casualties = k + np.arange(size + 1)[None, :]
    p = joint[casualties >= 300].sum()
    claim = summary.prior.claims[0]
    # sim reports the frequency or the conditional estimate, whichever is more precise: at most the frequency's error
    assert abs(claim.probability.value - p) < Z * math.sqrt(p * (1 - p) / 200_000)
    mean = (joint * casualties).sum()
    se = math.sqrt((joint * (casualties - mean) ** 2).sum() / 200_000)
    cas = next(d for d in summary.prior.quantities if d.name == "casualties")
    assert abs(cas.mean.value - mean) < Z * se
    assert cas.mean.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)


@pytest.mark.slow
def test_nine_tail_at_a_million_draws():
    summary = _run(kursk_tail_scenario(draws=1_000_000))
    claim = summary.prior.claims[0]
    assert abs(claim.probability.value - exact_kursk_tail()) < Z * _kursk_tail_se(1_000_000)


def test_forces_of_millions_are_tallied_in_bins_and_say_so():
    size, a, b, draws = 2_000_000, 2.0, 18.0, 100_000
    summary, exact = _beta_binomial(size, a, b, draws, 'value = 200000\nrelation = "ge"')
    killed = summary.prior.quantities[0]
    width = summary.bin_widths["killed"]
    assert width > 1 and any("bins of" in w for w in summary.warnings)
    se = exact.std() / math.sqrt(draws)
    assert abs(killed.mean.value - exact.mean()) < Z * se + width / 2
    assert killed.mean.mcse == pytest.approx(se, rel=ERROR_OF_ERROR)
    pmf = summary.pmf("prior", "killed")  # spread over whole numbers: index k is the value k
    assert pmf.sum() == pytest.approx(1.0)
    assert abs((pmf * np.arange(pmf.size)).sum() - killed.mean.value) < width
    claim = summary.prior.claims[0]
    p = exact.sf(199_999)
    # the frequency or the conditional estimate, whichever is more precise: at most the frequency's error
    assert abs(claim.probability.value - p) < Z * math.sqrt(p * (1 - p) / draws)
