"""sim/summary.py against independent references: hand-worked cases, enumeration with scipy, and the docs.

What is checked against what:

- the small helpers (``json_number``, ``Probability.to_dict``, ``_rule_of_three``, ``_at_resolution``,
  ``_implied``, ``_moments``, ``_quantile``, ``_count_distribution``, ``_binned_distribution``, ``_mapped``,
  ``_Weights``, ``_Tails``, ``_frequency``, ``_mean``) against numbers worked by hand in each test's docstring,
  or against the formulas of docs/errors.md written out here in numpy (never with sim.mcse);
- the wording (``name_list``, ``_subjects``, ``said_once``, ``ess_warning``, ``_conflicts``, the binned and
  overflow warnings, quantity labels) against the sentences the docstrings and docs/claims.md specify, on both
  sides of every threshold;
- a small real run (one force of 40 with a Beta(2, 6) rate, so ``T ~ BetaBinomial(40, 2, 6)``; two sources with
  beta reporting ratios) against the exact prior and posterior enumerated over ``T = 0..40`` with scipy: claims'
  tails, percentiles, implied ratios, reports, prior predictive and leave-one-out probabilities, the posterior's
  predictive tails and their errors, the sources' table and the saved pmfs;
- a ratio claim (killed / casualties, a fixed wounded-per-killed ratio) against the joint pmf of killed and
  wounded enumerated with scipy;
- a source's posterior reporting ratio against quadrature of its exact posterior CDF; an interval claim's
  predictive tail against E_T[Φ((ln v − ln T)/s)]; a binned force (300,000) against the beta-binomial's moments;
- ``summary.json``: every key README.md's "JSON output" section lists is present where it says, and a summary
  read back from its JSON is equal to the original, field types included (an implied ratio's null comes back
  +∞, as ``from_dict`` documents: ``v/Q`` is never NaN).

Tolerances: ``Z = 4.5`` Monte Carlo standard errors of the exact distribution (a false failure ~7e-6 per
check; every run has a fixed seed, so the outcome is deterministic), with the standard error stated beside
each check; printed errors against exact ones to 10% (5% for the evidence; their own estimation error is under 2%
at these ESS). Hand-worked numbers to pytest.approx's default 1e-6. The whole file runs in about 5 s.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from reference_cases import beta_binomial_scenario
from scipy import stats

from sim import parse_scenario, simulate, summarize
from sim.engine import Mean, Sums, Tally, Threshold
from sim.summary import (
    Distribution,
    Estimate,
    Interval,
    Probability,
    Summary,
    _at_resolution,
    _binned_distribution,
    _conflicts,
    _count_distribution,
    _frequency,
    _implied,
    _mapped,
    _mean,
    _moments,
    _quantile,
    _rule_of_three,
    _subjects,
    _Tails,
    _Weights,
    ess_warning,
    json_number,
    name_list,
    said_once,
)

ROOT = Path(__file__).resolve().parent.parent
Z = 4.5

# ---------------------------------------------------------------------------------------------
# Independent references
# ---------------------------------------------------------------------------------------------


def quantile_distribution(cdf: np.ndarray, cdf2: np.ndarray, q: float, scale: float = 1.0) -> np.ndarray:
    """P(Q̂ ≤ k) = Φ((F̂(k) − q)/(scale·s_k)) over every k (docs/errors.md, "Quantiles"), made a CDF.

    ``s_k² = cdf2(k)(1 − F̂(k))² + (cdf2[-1] − cdf2(k))F̂(k)²`` is the delta-method variance of F̂(k).
    """
    total2 = cdf2[-1]
    s = np.sqrt(np.maximum(cdf2 * (1 - cdf) ** 2 + (total2 - cdf2) * cdf**2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        at_most = np.where(s > 0, stats.norm.cdf((cdf - q) / (scale * s)), (cdf >= q).astype(float))
    at_most = np.maximum.accumulate(at_most)
    at_most[-1] = 1.0
    return at_most


def quantile_error(cdf: np.ndarray, cdf2: np.ndarray, q: float) -> tuple[float, tuple[float, float] | None]:
    """The quantile's error (the sd of that distribution) and, when one value holds at least half of it, the
    2.5%–97.5% values of another seed's estimate (√2·s_k: both runs' CDFs are estimates)."""
    probability = np.diff(quantile_distribution(cdf, cdf2, q), prepend=0.0)
    k = np.arange(cdf.size)
    mean = (probability * k).sum()
    sd = math.sqrt((probability * (k - mean) ** 2).sum())
    if probability.max() < 0.5:
        return sd, None
    other = quantile_distribution(cdf, cdf2, q, math.sqrt(2))
    return sd, (float(np.argmax(other >= 0.025)), float(np.argmax(other >= 0.975)))


def first_reaching(cdf: np.ndarray, q: float) -> int:
    """The q-quantile of a whole-number variable: the first value whose CDF reaches q."""
    return int(np.argmax(cdf >= q))


def shortest_window(pmf: np.ndarray, level: float) -> tuple[int, int]:
    """The shortest run of values holding at least ``level`` (the lowest one on ties), by brute force."""
    for width in range(1, pmf.size + 1):
        for low in range(pmf.size - width + 1):
            if pmf[low : low + width].sum() >= level:
                return low, low + width - 1
    raise AssertionError("unreachable")


def indicator_se(pmf: np.ndarray, pmf2: np.ndarray, g: np.ndarray) -> float:
    """Owen's eq. 9.8 over tally bins (docs/errors.md): √(Σ pmf2·(g − μ)²), μ = Σ pmf·g."""
    mu = (pmf * g).sum()
    return math.sqrt((pmf2 * (g - mu) ** 2).sum())


def within_quantile(value: float, cdf: np.ndarray, q: float, se: float) -> bool:
    """A whole-number estimate v of the q-quantile is right to within Z standard errors of the CDF:
    F(v) + Z·se ≥ q > F(v − 1) − Z·se."""
    v = int(value)
    below = cdf[v - 1] - Z * se if v > 0 else -1.0
    return v == value and cdf[v] + Z * se >= q > below


# ---------------------------------------------------------------------------------------------
# Numbers as JSON holds them; the rule of three
# ---------------------------------------------------------------------------------------------


def test_json_number_keeps_finite_numbers_as_floats_and_nulls_the_rest():
    """docs: "Infinite or undefined values ... are null"; every other number a float."""
    assert json_number(None) is None
    assert json_number(math.nan) is None and json_number(math.inf) is None and json_number(-math.inf) is None
    for value, expected in ((3, 3.0), (np.float32(0.5), 0.5), (np.int64(7), 7.0), (-2.25, -2.25), (0.0, 0.0)):
        assert json_number(value) == expected and type(json_number(value)) is float


def test_a_probability_as_json_is_its_value_error_and_method():
    """``{value, mcse, method}`` (README, "JSON output"), numbers as plain floats, an infinite error null."""
    assert Probability(0.25, math.inf, "bound").to_dict() == {"value": 0.25, "mcse": None, "method": "bound"}
    as_json = Probability(np.float64(0.5), np.float64(0.125), "conditional").to_dict()
    assert as_json == {"value": 0.5, "mcse": 0.125, "method": "conditional"}
    assert type(as_json["value"]) is float and type(as_json["mcse"]) is float


def test_the_rule_of_three_is_zero_or_one_with_three_over_ess():
    """``round(value)`` (0 or 1) with 3/ESS as its 95% upper limit; NaN without an ESS."""
    assert _rule_of_three(0.0, 600.0) == Probability(0.0, 0.005, "bound")
    assert _rule_of_three(0.999, 600.0) == Probability(1.0, 0.005, "bound")
    assert _rule_of_three(0.2, 1500.0) == Probability(0.0, 0.002, "bound")
    for ess in (0.0, -1.0):
        bound = _rule_of_three(0.0, ess)
        assert (bound.value, bound.method) == (0.0, "bound") and math.isnan(bound.mcse)


def test_a_likelihood_no_draw_supports_is_a_bound_only_when_there_is_an_ess():
    """``_at_resolution``: 0 with an ESS of 400 → 0 < 3/400; a positive value, or no ESS, left as it is."""
    zero = Probability(0.0, 0.0, "conditional")
    assert _at_resolution(zero, 400.0) == Probability(0.0, 3 / 400, "bound")
    assert _at_resolution(zero, 1e-9) == Probability(0.0, 3e9, "bound")
    assert _at_resolution(zero, 0.0) is zero
    small = Probability(1e-30, 1e-31, "conditional")
    assert _at_resolution(small, 400.0) is small


def test_a_weighted_mean_has_an_error_from_two_effective_draws_on():
    """``_mean`` of 0/1 values: Σw = 2, Σw² = 2 is an ESS of exactly 2 (errors defined); Σw² = 2.1 is 1.9
    (undefined). Values x = (1, 0) with unit weights: mean ½, error √(1 − 2·½·1 + ¼·2)/2 = √0.5/2.
    A mean that rounds past 1 is clipped to 1."""
    defined = _mean(Mean(np.array([2.0, 1.0]), np.array([2.0, 1.0, 1.0])))
    assert defined == Probability(0.5, pytest.approx(math.sqrt(0.5) / 2), "conditional")
    undefined = _mean(Mean(np.array([2.0, 1.0]), np.array([2.1, 1.0, 1.0])))
    assert undefined.value == 0.5 and math.isnan(undefined.mcse)
    above = _mean(Mean(np.array([4.0, 4.0 + 1e-12]), np.array([4.0, 4.0, 4.0])))
    assert above.value == 1.0


# ---------------------------------------------------------------------------------------------
# Moments, quantiles, distributions
# ---------------------------------------------------------------------------------------------


def test_moments_and_their_delta_method_errors_by_hand():
    """Support 0..3, pmf (.1, .2, .3, .4), pmf2 (.01, .03, .02, .05): mean 2, variance .1·4 + .2 + .4 = 1;
    se(mean) = √(.01·4 + .03·1 + .05·1) = √.12; g = (x − 2)² = (4, 1, 0, 1) has mean 1, so
    se(var) = √(.01·9 + .02·1) = √.11 and se(sd) = √.11/(2·1)."""
    support = np.arange(4.0)
    pmf, pmf2 = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.01, 0.03, 0.02, 0.05])
    mean, sd = _moments(support, pmf, pmf2, 2.0)  # two effective draws: errors defined
    assert mean.value == pytest.approx(2.0) and mean.mcse == pytest.approx(math.sqrt(0.12))
    assert sd.value == pytest.approx(1.0) and sd.mcse == pytest.approx(math.sqrt(0.11) / 2)
    assert mean.others is None and sd.others is None
    mean, sd = _moments(support, pmf, pmf2, 1.99)
    assert (mean.value, sd.value) == (pytest.approx(2.0), pytest.approx(1.0))
    assert math.isnan(mean.mcse) and math.isnan(sd.mcse)
    point, spread = _moments(support, np.array([0.0, 0.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.01, 0.0]), 100.0)
    assert (point.value, point.mcse, spread.value, spread.mcse) == (2.0, 0.0, 0.0, 0.0)


def test_a_quantile_is_the_first_value_reaching_its_level_with_the_documented_error():
    """Binomial(200, ½) tallied over 100 prior draws (pmf2 = pmf/100): the estimate is the first k with
    F(k) ≥ q and its error the sd of P(Q̂ ≤ k) = Φ((F(k) − q)/s_k) (docs/errors.md), written out here; a
    quantile on a value holding most of the mass (F jumps .2 → .9 at 1) is told by the values another seed
    gives instead; below two effective draws the error is NaN."""
    pmf = stats.binom.pmf(np.arange(201), 200, 0.5)
    cdf, cdf2 = np.cumsum(pmf), np.cumsum(pmf / 100)
    for q in (0.1, 0.5, 0.975):
        estimate = _quantile(cdf, cdf2, q, 100.0)
        sd, others = quantile_error(cdf, cdf2, q)
        assert estimate.value == first_reaching(cdf, q)
        assert estimate.mcse == pytest.approx(sd, rel=1e-3) and sd > 0.5
        assert estimate.others == others
    stuck = np.array([0.2, 0.7, 0.1])
    cdf, cdf2 = np.cumsum(stuck), np.cumsum(stuck / 10_000)
    estimate = _quantile(cdf, cdf2, 0.5, 10_000.0)
    assert estimate.value == 1.0 and estimate.others == (1.0, 1.0)
    assert type(estimate.others[0]) is float and estimate.mcse == pytest.approx(quantile_error(cdf, cdf2, 0.5)[0])
    few = _quantile(cdf, cdf2, 0.5, 1.5)
    assert few.value == 1.0 and math.isnan(few.mcse) and few.others is None


def test_an_implied_ratio_is_the_figure_over_the_quantile_with_its_delta_method_error():
    """``v/Q`` with error ``v·se(Q)/Q²``: 30/12 = 2.5 ± 30·0.5/144; another seed's Q in 10..15 gives 2..3;
    a quantile that can be 0 gives an unbounded ratio; a quantile of 0 gives ∞ with an undefined error."""
    implied = _implied(30.0, Estimate(12.0, 0.5, (10.0, 15.0)))
    assert implied == Estimate(2.5, pytest.approx(30 * 0.5 / 144), (2.0, 3.0))
    assert _implied(30.0, Estimate(12.0, 0.5, (0.0, 15.0))).others == (2.0, math.inf)
    assert _implied(30.0, Estimate(12.0, 0.5)).others is None
    zero = _implied(30.0, Estimate(0.0, 0.5, (0.0, 1.0)))
    assert zero.value == math.inf and math.isnan(zero.mcse) and zero.others is None


def test_a_count_distribution_against_brute_force_quantiles_and_shortest_intervals():
    """pmf (.12, .33, .07, .08, .28, .12) over 0..5, 1,000 prior draws: CDF (.12, .45, .52, .60, .88, 1), so the
    median is 2, the 50% ETI 1–4 and the 80% ETI 0–5; the shortest runs holding 50% and 80% are 0–2 and 0–4
    (brute force). Each HDI end takes its own entry of the bootstrap errors (low, high per level, in order);
    the ETI ends' errors are the documented quantile errors; mean and sd are the pmf's."""
    pmf = np.array([0.12, 0.33, 0.07, 0.08, 0.28, 0.12])
    pmf2 = pmf / 1000
    levels = (0.5, 0.8)
    errors = [(0.11, None), (0.22, (1.0, 3.0)), (0.33, (0.0, 1.0)), (0.44, None)]
    d = _count_distribution("killed", pmf, pmf2, 1000.0, levels, errors)
    cdf, cdf2 = np.cumsum(pmf), np.cumsum(pmf2)
    assert d.name == "killed" and d.median.value == 2 == first_reaching(cdf, 0.5)
    assert [(iv.level, iv.low, iv.high) for iv in d.eti] == [(0.5, 1.0, 4.0), (0.8, 0.0, 5.0)]
    for iv in d.eti:
        for q, end, mcse, others in (
            ((1 - iv.level) / 2, iv.low, iv.low_mcse, iv.low_others),
            ((1 + iv.level) / 2, iv.high, iv.high_mcse, iv.high_others),
        ):
            sd, expected_others = quantile_error(cdf, cdf2, q)
            assert end == first_reaching(cdf, q) and mcse == pytest.approx(sd, rel=1e-3, abs=1e-12)
            assert others == expected_others
    assert d.median.mcse == pytest.approx(quantile_error(cdf, cdf2, 0.5)[0], rel=1e-3, abs=1e-12)
    assert [(iv.low, iv.high) for iv in d.hdi] == [shortest_window(pmf, level) for level in levels] == [(0, 2), (0, 4)]
    assert d.hdi == (
        Interval(0.5, 0.0, 2.0, 0.11, 0.22, None, (1.0, 3.0)),
        Interval(0.8, 0.0, 4.0, 0.33, 0.44, (0.0, 1.0), None),
    )
    k = np.arange(6)
    mean = (pmf * k).sum()
    assert d.mean.value == pytest.approx(mean) and d.sd.value == pytest.approx(math.sqrt((pmf * (k - mean) ** 2).sum()))
    assert d.mean.mcse == pytest.approx(indicator_se(pmf, pmf2, k.astype(float)))


def test_a_histograms_quantiles_interpolate_within_bins_and_its_moments_are_exact_when_given():
    """Counts (100, 300, 200, 200) on edges (0, 1, 3, 4, 8), unit weights: CDF at the edges (0, .125, .5, .75, 1).
    The median is the edge 3; q = .25 lies a third into bin (1, 3): 1 + 2/3; q = .75 is the edge 4; q = .05 is
    0.4; q = .95 lies .8 into (4, 8): 7.2. Exact moments (Σw, Σwx, Σwx²) = (2, 6, 26) give mean 3 and sd 2;
    without them, the bin centres (.5, 2, 3.5, 6) give mean 2,550/800. Quantile errors: the sd of
    P(Q̂ ≤ x) = Φ((F̂(x) − q)/s(x)) over a fine grid of x, s(x) as in docs/errors.md (interpolated quantiles)."""
    counts = np.array([100.0, 300.0, 200.0, 200.0])
    edges = np.array([0.0, 1.0, 3.0, 4.0, 8.0])
    d = _binned_distribution("x", counts, counts.copy(), edges, np.array([2.0, 6.0, 26.0]), 800.0, (0.5, 0.9))
    assert d.median.value == pytest.approx(3.0) and d.hdi == ()
    assert [(iv.level, iv.low, iv.high) for iv in d.eti] == [
        (0.5, pytest.approx(1 + 2 / 3), pytest.approx(4.0)),
        (0.9, pytest.approx(0.4), pytest.approx(7.2)),
    ]
    assert (d.mean.value, d.sd.value) == (pytest.approx(3.0), pytest.approx(2.0))
    pmf, pmf2 = counts / 800, counts / 800**2
    centres = np.array([0.5, 2.0, 3.5, 6.0])
    assert d.mean.mcse == pytest.approx(indicator_se(pmf, pmf2, centres))
    centred = (centres - 2550 / 800) ** 2
    assert d.sd.mcse == pytest.approx(indicator_se(pmf, pmf2, centred) / (2 * math.sqrt((pmf * centred).sum())))

    # the documented error of an interpolated quantile, on a grid of 400,000 points over the edges
    x = np.linspace(0.0, 8.0, 400_001)
    index = np.minimum(np.searchsorted(edges, x, side="right") - 1, 3)
    t = (x - edges[index]) / np.diff(edges)[index]
    below = np.concatenate([[0.0], np.cumsum(pmf)])[index]
    below2 = np.concatenate([[0.0], np.cumsum(pmf2)])[index]
    f = below + t * pmf[index]
    s = np.sqrt(below2 * (1 - f) ** 2 + pmf2[index] * (t - f) ** 2 + (pmf2.sum() - below2 - pmf2[index]) * f**2)
    for q, estimate in (
        (0.5, d.median),
        (0.25, Estimate(0, d.eti[0].low_mcse)),
        (0.95, Estimate(0, d.eti[1].high_mcse)),
    ):
        with np.errstate(divide="ignore"):  # s = 0 at the ends, where F̂ is 0 or 1 exactly
            at_most = np.maximum.accumulate(stats.norm.cdf((f - q) / s))
        probability = np.diff(at_most, prepend=0.0)
        mean = (probability * x).sum()
        assert estimate.mcse == pytest.approx(math.sqrt((probability * (x - mean) ** 2).sum()), rel=0.02), q

    binned = _binned_distribution("x", counts, counts.copy(), edges, None, 800.0, (0.5,))
    assert binned.mean.value == pytest.approx(2550 / 800)
    assert binned.sd.value == pytest.approx(math.sqrt((pmf * centred).sum()))
    few = _binned_distribution("x", counts, counts.copy(), edges, None, 1.5, (0.5,))
    assert few.median.value == pytest.approx(3.0) and math.isnan(few.median.mcse) and math.isnan(few.eti[0].low_mcse)


def test_a_mapped_summary_without_errors_keeps_them_undefined():
    """``_mapped`` by exp: a median of 2 with an undefined error maps to e² with its error still undefined, another
    seed's 1..3 to e..e³; an end with an error of ½ at 4 gets (e^4.5 − e^3.5)/2; mean and sd are not carried."""
    on_scale = Distribution(
        "r",
        Estimate(2.0, 0.1),
        Estimate(1.0, 0.1),
        Estimate(2.0, math.nan, (1.0, 3.0)),
        (Interval(0.95, 0.0, 4.0, math.nan, 0.5, None, (3.0, 5.0)),),
        (),
    )
    mapped = _mapped(on_scale, math.exp)
    assert mapped.median.value == pytest.approx(math.e**2) and math.isnan(mapped.median.mcse)
    assert mapped.median.others == (pytest.approx(math.e), pytest.approx(math.e**3))
    (iv,) = mapped.eti
    assert (iv.level, iv.low, iv.high) == (0.95, 1.0, pytest.approx(math.e**4)) and math.isnan(iv.low_mcse)
    assert iv.high_mcse == pytest.approx((math.exp(4.5) - math.exp(3.5)) / 2)
    assert iv.low_others is None and iv.high_others == (pytest.approx(math.e**3), pytest.approx(math.e**5))
    assert math.isnan(mapped.mean.value) and math.isnan(mapped.sd.value) and mapped.hdi == ()


# ---------------------------------------------------------------------------------------------
# Weights, tallies and tail probabilities, by hand
# ---------------------------------------------------------------------------------------------


def _sums(counts, *, squares=None, weight=None, tails=None, gram=None, quantity: str = "killed", step: int = 1) -> Sums:
    """One side's sums for one quantity: unit weights (the prior) unless ``squares`` (Σw² per bin) and
    ``weight`` ((Σw, Σw²)) are given."""
    linear = np.asarray(counts, dtype=float)
    total, total2 = weight if weight is not None else (linear.sum(), linear.sum())
    tally = Tally(linear, None if squares is None else np.asarray(squares, dtype=float), step)
    return Sums(
        weight=Mean(np.array([total, total]), np.array([total2, total2, total2])),
        counts={quantity: tally},
        tails=tails or {},
        gram=gram or {},
    )


def test_weights_give_kish_ess_and_spread_squares_kept_per_step():
    """ESS = (Σw)²/Σw²: 10²/6; no weight at all: 0. A tally's Σw² kept per 2 values (4, 8, 12 over 5 values):
    halves spread over each pair, the part past the end added to the last value: (2, 2, 4, 4, 6 + 6)/Σw²;
    kept per 2 over a shorter span (4, 8): (2, 2, 4, 4, 0); unit weights: Σw² is Σw."""
    weights = _Weights(_sums([4.0, 6.0], squares=[4.0, 2.0], weight=(10.0, 6.0)))
    assert weights.total == 10.0 and weights.ess == pytest.approx(100 / 6)
    assert _Weights(_sums([0.0], weight=(0.0, 0.0))).ess == 0.0
    spread = Tally(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([4.0, 8.0, 12.0]), 2)
    pmf, pmf2 = _Weights.tally(spread)
    np.testing.assert_allclose(pmf, np.array([1, 2, 3, 4, 5]) / 15)
    np.testing.assert_allclose(pmf2, np.array([2, 2, 4, 4, 12]) / 225)
    short = Tally(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([4.0, 8.0]), 2)
    np.testing.assert_allclose(_Weights.tally(short)[1], np.array([2, 2, 4, 4, 0]) / 225)
    unit = Tally(np.array([1.0, 3.0]), None)
    np.testing.assert_allclose(_Weights.tally(unit)[1], np.array([1, 3]) / 16)
    assert _Weights.tally(Tally(np.zeros(3), None)) is None


COUNTS = [10.0, 20.0, 30.0, 20.0, 20.0]  # 100 prior draws of T in 0..4
PMF = np.array(COUNTS) / 100


def _empirical(g: np.ndarray, n: float = 100.0) -> tuple[float, float]:
    """A weighted frequency over unit weights and its error √(Σ p(g − μ)²/n)."""
    return float((PMF * g).sum()), indicator_se(PMF, PMF / n, g)


def test_tail_frequencies_by_hand():
    """T over 0..4 with frequencies (.1, .2, .3, .2, .2) of 100 draws. P(T ≤ 1) = .3, P(T > 2) = .4,
    P(1 ≤ T ≤ 3) = .7, P(T ≥ 2) = .7; the mid-percentile of 2 is 100·(.3 + .6)/2 = 45, of 2.5 it is
    100·P(T ≤ 2) = 60; each error is the frequency's (delta method over the bins, one function per
    probability). Points below 0 contribute nothing (exact 0 or 1)."""
    tails = _Tails(_Weights(_sums(COUNTS)), "killed", (), conditional=False)
    k = np.arange(5)
    cases = [
        (tails.at_most(1), k <= 1),
        (tails.more_than(2), k > 2),
        (tails.between(1, 3), (k >= 1) & (k <= 3)),
        (tails.between(2, None), k >= 2),
        (tails.at_most(2), k <= 2),
    ]
    for got, indicator in cases:
        value, se = _empirical(indicator.astype(float))
        assert got == Probability(pytest.approx(value), pytest.approx(se), "empirical")
    mid = 0.5 * (k <= 1) + 0.5 * (k <= 2)
    value, se = _empirical(mid)
    assert tails.percentile(2.0) == Probability(pytest.approx(100 * value), pytest.approx(100 * se), "empirical")
    assert value == pytest.approx(0.45)
    value, se = _empirical((k <= 2).astype(float))
    assert tails.percentile(2.5) == Probability(pytest.approx(100 * value), pytest.approx(100 * se), "empirical")
    assert tails.at_most(-1) == Probability(0.0, 0.0, "exact")
    assert tails.more_than(-1) == Probability(1.0, 0.0, "exact") == tails.between(0, None)


def test_a_frequency_with_under_one_effective_draw_on_a_side_is_a_bound():
    """P(T ≤ 4) = 1 of 100 draws: the bound 1 with 3/100. P(T ≤ 0) = .01 of 100: one draw exactly, an estimate;
    the same frequency with Σw² making the ESS 50: half a draw, the bound 0 with 3/50."""
    everything = _Tails(_Weights(_sums(COUNTS)), "killed", (), conditional=False).at_most(4)
    assert everything == Probability(1.0, 0.03, "bound")
    one = _Tails(_Weights(_sums([1.0, 99.0])), "killed", (), conditional=False).at_most(0)
    assert one == Probability(0.01, pytest.approx(math.sqrt(0.01 * 0.99 / 100)), "empirical")
    half = _sums([1.0, 99.0], squares=[2.0, 198.0], weight=(100.0, 200.0))
    assert _Tails(_Weights(half), "killed", (), conditional=False).at_most(0) == Probability(0.0, 0.06, "bound")


def test_weighted_tail_errors_use_the_squares_of_the_weights():
    """Σw = (4, 6), Σw² = (4, 2), ESS 100/6: P(T ≤ 0) = .4 with error √(.04·.6² + .02·.4²) = √.0176."""
    sums = _sums([4.0, 6.0], squares=[4.0, 2.0], weight=(10.0, 6.0))
    assert _Tails(_Weights(sums), "killed", (), conditional=False).at_most(0) == Probability(
        pytest.approx(0.4), pytest.approx(math.sqrt(0.0176)), "empirical"
    )


def test_binned_tails_count_whole_bins_and_quantiles_are_bin_centres():
    """Bins of 2 (0–1, 2–3, 4–5, ...) with frequencies (.1, .2, .3, .2, .2): P(T ≤ 3) = .3; P(T ≤ 4) = .3 too (the
    bin 4–5 is not wholly at or below 4); P(T ≤ 5) = .6. The median is bin 2, the value 2·2 + ½ = 4.5, its
    error twice the bin index's, with no values of other seeds (a bin is not a whole number)."""
    tails = _Tails(_Weights(_sums(COUNTS)), "killed", (), conditional=False, width=2)
    assert [tails.at_most(x).value for x in (3, 4, 5)] == [pytest.approx(0.3), pytest.approx(0.3), pytest.approx(0.6)]
    median = tails.quantile(0.5)
    cdf = np.cumsum(PMF)
    assert median.value == 4.5 and median.others is None
    assert median.mcse == pytest.approx(2 * quantile_error(cdf, cdf / 100, 0.5)[0], rel=1e-3)
    exact = _Tails(_Weights(_sums(COUNTS)), "killed", (), conditional=False).quantile(0.5)
    assert exact.value == 2.0 and exact.others == quantile_error(cdf, cdf / 100, 0.5)[1] is not None


def _conditional_sums(per_draw: dict[Threshold, list[float]], counts=COUNTS) -> Sums:
    """Prior sums with the conditional estimates ``per_draw`` of each point on a subsample (their Σ, Σ² and
    cross products, as the engine keeps them)."""
    points = list(per_draw)
    values = [np.array(per_draw[p]) for p in points]
    n = float(values[0].size)
    tails = {
        p: Mean(np.array([n, v.sum()]), np.array([n, v.sum(), (v * v).sum()]))
        for p, v in zip(points, values, strict=True)
    }
    gram = {"killed": np.array([(a * b).sum() for a in values for b in values])}
    return _sums(counts, tails=tails, gram=gram)


ZERO, ONE, HIGH = (Threshold("killed", 0, False), Threshold("killed", 1, False), Threshold("killed", 3, True))
RARE = [5.0, 10.0, 45.0, 20.0, 20.0]  # 100 prior draws: P(T ≤ 0) = .05, P(T ≤ 1) = .15, P(T ≤ 3) = .8


def _per_draw_estimate(values: np.ndarray) -> tuple[float, float]:
    """Mean of per-draw combined estimates and the standard error of that mean (population variance / n)."""
    return float(values.mean()), math.sqrt(values.var() / values.size)


def test_the_conditional_estimate_stands_below_25_hits_combined_per_draw():
    """Points P(T ≤ 0), P(T ≤ 1) (lower) and P(T > 3) (upper), four subsample draws each, per draw
    h₀ = (.02, .06, .04, .08), h₁ = (.12, .22, .1, .2), h₃ = (.25, .15, .1, .1); frequencies (.05, .1, .45, .2, .2) of
    100 draws. Below 25 effective hits on the smaller side (docs/errors.md) the conditional estimate, as the mean of
    the per-draw combination with its error from the cross products: P(T ≤ 1) = mean h₁ (15 hits);
    P(T = 1) = h₁ − h₀ (10 hits); the mid-percentile of 1, (h₀ + h₁)/2 (10 hits); P(T ≤ 3) = 1 − h₃ and
    P(T > 3) = h₃ (20 hits). From 25 hits the conditional estimate only where its error is the smaller and it
    agrees with the frequency within twice their combined error: P(2 ≤ T ≤ 3) (65 hits; per draw 1 − h₃ − h₁,
    .69 ± .035 against the frequency's .65 ± .048: a gap of .04, within 2·.059). A probability needing a point
    that is not a tail point (P(T ≤ 2)) is the frequency."""
    k = np.arange(5)
    pmf = np.array(RARE) / 100
    h0, h1, h3 = np.array([0.02, 0.06, 0.04, 0.08]), np.array([0.12, 0.22, 0.1, 0.2]), np.array([0.25, 0.15, 0.1, 0.1])
    sums = _conditional_sums({ZERO: list(h0), ONE: list(h1), HIGH: list(h3)}, RARE)
    tails = _Tails(_Weights(sums), "killed", (ZERO, ONE, HIGH), conditional=True)
    for got, per_draw in (
        (tails.at_most(1), h1),
        (tails.between(1, 1), h1 - h0),
        (tails.at_most(3), 1 - h3),
        (tails.more_than(3), h3),
    ):
        value, se = _per_draw_estimate(per_draw)
        assert got == Probability(pytest.approx(value), pytest.approx(se), "conditional"), (got, value, se)
    value, se = _per_draw_estimate((h0 + h1) / 2)
    assert tails.percentile(1) == Probability(pytest.approx(100 * value), pytest.approx(100 * se), "conditional")
    value, se = _per_draw_estimate(1 - h3 - h1)
    assert tails.between(2, 3) == Probability(pytest.approx(value), pytest.approx(se), "conditional")
    g = (k <= 2).astype(float)
    frequency = float((pmf * g).sum())
    assert tails.at_most(2) == Probability(
        pytest.approx(frequency), pytest.approx(indicator_se(pmf, pmf / 100, g)), "empirical"
    )
    mid = 0.5 * (k <= 1) + 0.5 * (k <= 2)
    assert tails.percentile(2) == Probability(
        pytest.approx(100 * (pmf * mid).sum()), pytest.approx(100 * indicator_se(pmf, pmf / 100, mid)), "empirical"
    )


def test_the_frequency_needs_25_effective_hits_on_its_smaller_side():
    """P(T ≤ 0) = .25 of 100 draws: exactly 25 hits, the frequency (error √(.1875/100) = .043) against a conditional
    estimate .16 ± .0035 (per draw .15, .17, .16, .16) that disagrees with it (a gap of .09, beyond twice the
    combined error, .087); the conditional estimate where it agrees (.25 ± .0035), and at 24 hits whatever it says."""
    far, near = {ZERO: [0.15, 0.17, 0.16, 0.16]}, {ZERO: [0.24, 0.26, 0.25, 0.25]}
    error = pytest.approx(math.sqrt(0.00005 / 4))
    enough = _Tails(_Weights(_conditional_sums(far, [25.0, 75.0])), "killed", (ZERO,), conditional=True)
    assert enough.at_most(0) == Probability(0.25, pytest.approx(math.sqrt(0.1875 / 100)), "empirical")
    agreeing = _Tails(_Weights(_conditional_sums(near, [25.0, 75.0])), "killed", (ZERO,), conditional=True)
    assert agreeing.at_most(0) == Probability(pytest.approx(0.25), error, "conditional")
    few = _Tails(_Weights(_conditional_sums(far, [24.0, 76.0])), "killed", (ZERO,), conditional=True)
    assert few.at_most(0) == Probability(pytest.approx(0.16), error, "conditional")


def test_a_tail_no_draw_and_no_conditional_estimate_reaches_is_a_bound():
    """Nothing tallied at 0 and every per-draw estimate of P(T ≤ 0) exactly 0: the rule-of-three bound 0 with
    3/100, never a bare 0. One per-draw estimate of 4e-9: the conditional estimate 1e-9 stands."""
    point = Threshold("killed", 0, False)
    counts = [0.0, 30.0, 30.0, 20.0, 20.0]
    none = _Tails(_Weights(_conditional_sums({point: [0.0] * 4}, counts)), "killed", (point,), conditional=True)
    assert none.at_most(0) == Probability(0.0, 0.03, "bound")
    tiny = _Tails(_Weights(_conditional_sums({point: [4e-9, 0, 0, 0]}, counts)), "killed", (point,), conditional=True)
    got = tiny.at_most(0)
    assert (got.value, got.method) == (pytest.approx(1e-9), "conditional")
    upper = Threshold("killed", 4, True)
    top = _Tails(
        _Weights(_conditional_sums({upper: [0.0] * 4}, [30.0, 30.0, 20.0, 20.0])), "killed", (upper,), conditional=True
    )
    assert top.more_than(4) == Probability(0.0, 0.03, "bound")


def test_a_frequency_of_per_draw_indicators_is_bounded_below_one_effective_draw():
    """``_frequency``: .01 of 100 unit-weight draws is one draw, an estimate; .005 of 100 is half a draw: the bound
    0 with 3/100; .995: the bound 1."""

    def indicator_sums(p: float, n: float = 100.0) -> Mean:
        return Mean(np.array([n, p * n]), np.array([n, p * n, p * n]))

    weights = _Weights(_sums([100.0]))
    assert _frequency(weights, indicator_sums(0.01)) == Probability(
        0.01, pytest.approx(math.sqrt(0.01 * 0.99) / 10), "empirical"
    )
    assert _frequency(weights, indicator_sums(0.005)) == Probability(0.0, 0.03, "bound")
    assert _frequency(weights, indicator_sums(0.995)) == Probability(1.0, 0.03, "bound")


# ---------------------------------------------------------------------------------------------
# Wording: lists, repeated messages, the ESS warning
# ---------------------------------------------------------------------------------------------


def test_name_lists_name_six_then_say_how_many_more():
    """``a, b, …, f and 14 more`` past WARNING_NAMES = 6, counts with thousands separators; one subject as itself,
    several as ``N <noun> (list)``."""
    names = [f"n{i}" for i in range(1006)]
    assert name_list(names[:1]) == "n0"
    assert name_list(names[:6]) == "n0, n1, n2, n3, n4, n5"
    assert name_list(names[:7]) == "n0, n1, n2, n3, n4, n5 and 1 more"
    assert name_list(names) == "n0, n1, n2, n3, n4, n5 and 1,000 more"
    assert _subjects(["killed"], "quantities") == "killed"
    assert _subjects(["a", "b"], "quantities") == "2 quantities (a, b)"
    assert _subjects(["a", "b", "c"], "claims") == "3 claims (a, b, c)"
    assert _subjects(names, "quantities") == "1,006 quantities (n0, n1, n2, n3, n4, n5 and 1,000 more)"


def test_a_message_said_a_thousand_times_says_so_with_a_thousands_separator():
    """Each message once, in first-seen order, a repeated one with its count."""
    assert said_once(["x"] * 1000 + ["y", "x"]) == ("x (1,001 times)", "y")


@pytest.mark.parametrize(
    ("ess", "draws", "expected"),
    [
        (1000.0, 100_000, None),  # exactly at both thresholds: enough
        (2000.0, 200_000, None),
        (
            999.9,
            1000,
            "the effective sample size of the posterior is 1,000 (100% of 1,000 draws): posterior statistics rest "
            "on few draws; about 1,001 draws would give an ESS of 1,000 (1 times as many)",
        ),
        (
            1000.0,
            100_001,
            "the effective sample size of the posterior is 1,000 (1% of 100,001 draws): the claims conditioned on "
            "are far from what the priors expect, so few draws carry the posterior; more draws raise the ESS in "
            "proportion but not this share (check the claims against the priors, e.g. each claim's prior percentile)",
        ),
        (
            400.0,
            10_000,
            "the effective sample size of the posterior is 400 (4% of 10,000 draws): posterior statistics rest on "
            "few draws; about 25,000 draws would give an ESS of 1,000 (2.5 times as many)",
        ),
        (
            80.0,
            1000,
            "the effective sample size of the posterior is 80 (8% of 1,000 draws): posterior statistics rest on "
            "few draws; about 12,500 draws would give an ESS of 1,000 (12.5 times as many)",
        ),
        (
            0.8,
            1000,
            "the effective sample size of the posterior is 1 (0.08% of 1,000 draws): posterior statistics rest on "
            "few draws; about 1,250,000 draws would give an ESS of 1,000 (1,250 times as many)",
        ),
        (
            1.0,
            10**7,
            "the effective sample size of the posterior is 1 (1e-05% of 10,000,000 draws): posterior statistics "
            "rest on few draws; about 10,000,000,000 draws would give an ESS of 1,000 (1,000 times as many)",
        ),
        (
            0.999,
            10**7,
            "the effective sample size of the posterior is 1 (9.99e-06% of 10,000,000 draws): posterior statistics "
            "rest on few draws, and an ESS of 1,000 would need more than the 10,000,000,000 draws a run may have; "
            "the claims conditioned on are nearly incompatible with the priors",
        ),
        (
            0.0,
            500,
            "the effective sample size of the posterior is 0 (0% of 500 draws): posterior statistics rest on few "
            "draws, and an ESS of 1,000 would need more than the 10,000,000,000 draws a run may have; the claims "
            "conditioned on are nearly incompatible with the priors",
        ),
    ],
)
def test_the_ess_warning_on_both_sides_of_each_threshold(ess, draws, expected):
    """No warning at ESS ≥ 1,000 and ≥ 1% of the draws; below 1,000 the draws that would give 1,000,
    ⌈draws·1000/ESS⌉ (1,000·1,000/999.9 → 1,001; 10,000·1,000/400 = 25,000, 2.5 times; 12.5 times at 80 of
    1,000; 1,000·1,000/0.8 = 1,250,000, 1,250 times: three significant digits below 100 times, whole times from
    there), unless more than a run may have (10¹⁰: 10⁷ draws at an ESS of 1 need exactly
    10¹⁰, allowed; at 0.999, more); at 1,000 but under 1% of the draws, why instead of a number."""
    assert ess_warning(ess, draws) == expected


# ---------------------------------------------------------------------------------------------
# Conflicts between conditioned claims (hand-made sides)
# ---------------------------------------------------------------------------------------------


def _given(p: float) -> SimpleNamespace:
    """Sums whose weighted mean is p: 100 unit-weight draws of a 0/1 value, error √(p(1 − p))/10."""
    return SimpleNamespace(probability=Mean(np.array([100.0, 100 * p]), np.array([100.0, 100 * p, 100 * p])))


def _conflicting(conditioned, alone, loo=None, given=None, intervals=None) -> list[str]:
    """``_conflicts`` over claims whose prior predictive (``alone``), leave-one-out (``loo``), pairwise
    (``given[(a, b)]``: a's reading given b) and interval-tail (``intervals[id] = (at_most, at_least)``)
    probabilities are given."""
    loo, given, intervals = loo or {}, given or {}, intervals or {}
    prior = SimpleNamespace(
        claims=[SimpleNamespace(id=c, prior_predictive=alone.get(c)) for c in conditioned], ratio_claims=[]
    )
    posterior_claims = []
    for c in conditioned:
        at_most, at_least = intervals.get(c, (None, None))
        posterior_claims.append(
            SimpleNamespace(
                id=c,
                loo=loo.get(c),
                interval=0.95 if c in intervals else None,
                reported_at_most=at_most,
                reported_at_least=at_least,
            )
        )
    posterior = SimpleNamespace(claims=posterior_claims, ratio_claims=[])
    result = SimpleNamespace(
        plan=SimpleNamespace(condition_on=tuple(conditioned)),
        given={pair: _given(p) for pair, p in given.items()},
    )
    return _conflicts(result, prior, posterior)


def _p(value: float, mcse: float = 1e-5) -> Probability:
    return Probability(value, mcse, "conditional")


def test_a_prior_data_conflict_is_a_prior_predictive_probability_below_one_in_a_thousand():
    """PRIOR_CONFLICT = 1e-3 (strictly below): 0.000999 is flagged, 0.001 is not; a claim without a prior
    predictive probability (an interval claim) is not judged."""
    flagged = _conflicting(["a"], {"a": _p(0.000999)})
    assert flagged == [
        "prior-data conflict: claim a's reading has a prior predictive probability of 0.001 ± 1e-05 "
        "(below 0.001): the priors hardly allow it"
    ]
    assert _conflicting(["a"], {"a": _p(0.001)}) == []
    assert _conflicting(["a"], {}) == []


def test_a_leave_one_out_conflict_needs_another_conditioned_claim_and_a_probability_below_one_percent():
    """LOO_FLAG = 0.01: 0.0099 given the other claim is flagged (naming the claim), 0.01 is not, and with no
    other conditioned claim there is nothing to leave out."""
    alone = {"a": _p(0.5), "b": _p(0.5)}
    pairs = {("a", "b"): 0.5, ("b", "a"): 0.5}
    assert _conflicting(["a", "b"], alone, loo={"a": _p(0.0099)}, given=pairs) == [
        "claim a conflicts with the other conditioned claims: given them, its reading has probability "
        "0.0099 ± 1e-05 (leave-one-out)"
    ]
    assert _conflicting(["a", "b"], alone, loo={"a": _p(0.01)}, given=pairs) == []
    assert _conflicting(["a"], {"a": _p(0.5)}, loo={"a": _p(0.0001)}) == []


def test_an_interval_claim_is_flagged_when_its_estimate_is_below_half_a_percent_in_either_tail():
    """Two-sided 0.01: the smaller of P(M ≤ v) and P(M ≥ v) below 0.005 is flagged, at 0.005 it is not."""
    alone = {"b": _p(0.5)}  # an interval claim has no prior predictive probability
    tails = {"a": (_p(0.9), _p(0.0049))}
    pairs = {("a", "b"): 0.5, ("b", "a"): 0.5}
    assert _conflicting(["a", "b"], alone, given=pairs, intervals=tails) == [
        "claim a conflicts with the other conditioned claims: given them, the source's estimate is this far out in "
        "a tail of its predictive distribution with probability 0.0049 ± 1e-05 (two-sided below 0.01)"
    ]
    assert _conflicting(["a", "b"], alone, given=pairs, intervals={"a": (_p(0.005), _p(0.99))}) == []
    assert _conflicting(["a"], {}, intervals={"a": (_p(0.0001), _p(0.99))}) == []


def test_a_pair_conflicts_when_one_claim_makes_the_others_reading_rare_and_ten_times_rarer():
    """PAIR_CONFLICT: given b, a's reading below 0.01 *and* below a tenth of its prior predictive probability.
    0.009 against 0.1: flagged (once for the pair, even if the other direction conflicts too); 0.009 against
    0.09: not a tenth; 0.01 against 1: not below 0.01. Three claims: every pair, each once."""
    message = (
        "claims a and b conflict: given b, a's reading has probability 0.009 ± 0.009 against 0.1 ± 1e-05 without it"
    )
    assert _conflicting(["a", "b"], {"a": _p(0.1), "b": _p(0.1)}, given={("a", "b"): 0.009, ("b", "a"): 0.5}) == [
        message
    ]
    both = _conflicting(["a", "b"], {"a": _p(0.1), "b": _p(0.1)}, given={("a", "b"): 0.009, ("b", "a"): 0.009})
    assert both == [message]
    reverse = _conflicting(["a", "b"], {"a": _p(0.1), "b": _p(0.1)}, given={("a", "b"): 0.5, ("b", "a"): 0.009})
    assert reverse == [message.replace("claims a and b", "claims b and a").replace("given b, a's", "given a, b's")]
    assert _conflicting(["a", "b"], {"a": _p(0.09), "b": _p(0.1)}, given={("a", "b"): 0.009, ("b", "a"): 0.5}) == []
    assert _conflicting(["a", "b"], {"a": _p(1.0), "b": _p(1.0)}, given={("a", "b"): 0.01, ("b", "a"): 0.5}) == []
    three = {pair: 0.5 for pair in (("a", "b"), ("b", "a"), ("a", "c"), ("c", "a"), ("b", "c"), ("c", "b"))}
    three[("c", "b")] = 0.001
    found = _conflicting(["a", "b", "c"], {c: _p(0.5) for c in "abc"}, given=three)
    assert found == [
        "claims c and b conflict: given b, c's reading has probability 0.001 ± 0.003 against 0.5 ± 1e-05 without it"
    ]


# ---------------------------------------------------------------------------------------------
# A real run against the exact beta-binomial
# ---------------------------------------------------------------------------------------------

SIZE, A, B, DRAWS = 40, 2.0, 6.0, 200_000
RATIO_S, RATIO_T = stats.beta(4, 4), stats.beta(5, 3)
CLAIMS = {  # id: (TOML, figure)
    "g": ('value = 8\nrelation = "ge"\n', 8.0),
    "h": ('value = 7.5\nrelation = "ge"\n', 7.5),
    "b": ('value = [3, 9]\nrelation = "between"\n', 6.0),
    "lo": ('value = 2\nrelation = "le"\n', 2.0),
    "c": ('value = 6\nsource = "s"\n', 6.0),
    "c2": ('value = 9\nsource = "s"\n', 9.0),
    "d": ('value = 5\nsource = "t"\n', 5.0),
    "far": ('value = 38\nrelation = "ge"\n', 38.0),
}
RUN_A = beta_binomial_scenario(
    size=SIZE,
    a=A,
    b=B,
    draws=DRAWS,
    seed=5,
    sources='[sources.s]\nreporting_ratio = { dist = "beta", a = 4, b = 4 }\n'
    '[sources.t]\nlabel = "Source T"\nreporting_ratio = { dist = "beta", a = 5, b = 3 }\n',
    claims="".join(f'[[claims]]\nid = "{key}"\n{toml}' for key, (toml, _) in CLAIMS.items()),
    condition='["g", "d"]',
)
T = np.arange(SIZE + 1)
PRIOR = stats.betabinom(SIZE, A, B).pmf(T)
CDF = np.cumsum(PRIOR)


def report_pmf(ratio, given: np.ndarray) -> np.ndarray:
    """P(R = r | T) for r = 0..40 (rows: T in ``given``): ρ in ((r − ½)/T, (r + ½)/T]; a toll of 0 reports 0."""
    r = np.arange(SIZE + 1)[None, :]
    t = given[:, None].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmf = ratio.cdf((r + 0.5) / t) - ratio.cdf((r - 0.5) / t)
    return np.where(t > 0, pmf, (r == 0).astype(float))


L_G = (T >= 8).astype(float)
L_D = report_pmf(RATIO_T, T)[:, 5]
WEIGHT = L_G * L_D  # the posterior's importance weight as a function of T


def snis_se(h: np.ndarray, weight: np.ndarray = WEIGHT, draws: int = DRAWS) -> float:
    """Self-normalised importance sampling error of E_w[h] over prior draws (Owen 2013, eq. 9.8), exact."""
    mean = (PRIOR * weight * h).sum() / (PRIOR * weight).sum()
    return math.sqrt((PRIOR * weight**2 * (h - mean) ** 2).sum() / draws) / (PRIOR * weight).sum()


@pytest.fixture(scope="module")
def run_a():
    result = simulate(parse_scenario(RUN_A), workers=1)
    return result, summarize(result)


def _claim(side, claim_id: str):
    return next(c for c in side.claims if c.id == claim_id)


def test_prior_claims_tails_percentiles_and_truth_against_the_beta_binomial(run_a):
    """For a figure v: below = P(T ≤ ⌊v⌋), above = P(T ≥ ⌈v⌉), percentile = 100·(P(T ≤ ⌈v⌉ − 1) + P(T ≤ ⌊v⌋))/2
    (v = 7.5: 100·P(T ≤ 7)), probability = P(T in the claim's range) (for a sourced claim, the truth equal to its
    figure). Tolerance Z·max(binomial SE √(p(1 − p)/n), printed error). P(T ≥ 38) = 1.7e-5 is for the prior's
    conditional (Rao–Blackwellised) estimate: within Z of its own printed error."""
    _, summary = run_a
    truth = {
        "g": 1 - CDF[7],
        "h": 1 - CDF[7],
        "b": CDF[9] - CDF[2],
        "lo": CDF[2],
        "c": PRIOR[6],
        "c2": PRIOR[9],
        "d": PRIOR[5],
        "far": 1 - CDF[37],
    }
    for claim_id, (_, v) in CLAIMS.items():
        claim = _claim(summary.prior, claim_id)
        assert claim.value == v and claim.quantity == "killed" and claim.metric == "killed"
        expected = {
            "below": CDF[math.floor(v)],
            "above": 1 - CDF[math.ceil(v) - 1],
            "probability": truth[claim_id],
            "percentile": (CDF[math.ceil(v) - 1] + CDF[math.floor(v)]) / 2,
        }
        for name, p in expected.items():
            got = getattr(claim, name)
            scale = 100 if name == "percentile" else 1
            se = max(math.sqrt(p * (1 - p) / DRAWS), got.mcse / scale)
            assert abs(got.value / scale - p) < Z * se, (claim_id, name, got, p)
            assert got.method in ("empirical", "conditional"), (claim_id, name, got)
    assert summary.bin_widths == {}  # every tally exact (width 1): none listed
    assert [_claim(summary.prior, c).conditioned for c in CLAIMS] == [c in ("g", "d") for c in CLAIMS]
    far = _claim(summary.prior, "far").probability  # P(T ≥ 38) = 1.7e-5: 3.5 draws of 200,000
    assert far.method == "conditional" and abs(far.value - truth["far"]) < Z * far.mcse, far
    h = _claim(summary.prior, "h")
    assert (h.relation, h.reading_low, h.reading_high, h.scope, h.source) == ("ge", 8, None, ("unit",), None)
    b = _claim(summary.prior, "b")
    assert (b.relation, b.reading_low, b.reading_high) == ("between", 3, 9)


def test_implied_ratios_are_the_figure_over_the_truths_quantiles(run_a):
    """``implied_ratio`` is v/T at T's 97.5% (low end), 50% and 2.5% (high end) quantiles: each v/ratio is a
    whole number within Z binomial standard errors √(q(1 − q)/n) of the exact quantile; its error is
    v·se(Q)/Q² with se(Q) the printed error of that quantile of killed, its other seeds' values v/Q's."""
    _, summary = run_a
    killed = summary.prior.quantity("killed")
    for claim_id, (_, v) in CLAIMS.items():
        claim = _claim(summary.prior, claim_id)
        assert claim.implied_ratio.level == 0.95
        for q, ratio in (
            (0.975, claim.implied_ratio.low),
            (0.5, claim.implied_ratio_median),
            (0.025, claim.implied_ratio.high),
        ):
            quantile = v / ratio
            assert quantile == pytest.approx(round(quantile), abs=1e-9), (claim_id, q, ratio)
            assert within_quantile(round(quantile), CDF, q, math.sqrt(q * (1 - q) / DRAWS)), (claim_id, q, quantile)
        median = killed.median
        assert claim.implied_ratio_median_mcse == pytest.approx(v * median.mcse / median.value**2)
        low, high = median.others
        assert claim.implied_ratio_median_others == (pytest.approx(v / high), pytest.approx(v / low))
        ends = {iv.level: iv for iv in killed.eti}[0.95]
        assert claim.implied_ratio.low_mcse == pytest.approx(v * ends.high_mcse / ends.high**2)
        assert claim.implied_ratio.high_mcse == pytest.approx(v * ends.low_mcse / ends.low**2)


def test_a_sources_report_distribution_against_enumeration_over_truth_and_ratio(run_a):
    """R = round(ρ·T), ρ ~ Beta(4, 4): P(R = r) = Σ_T P(T)·P(R = r | T). The report is tallied on every draw
    (m = 200,000): its median and 95% interval ends within Z standard errors √(q(1 − q)/m) of the exact
    quantiles; each one's error (and range of other seeds' values) the documented quantile error over the saved pmf
    (unit weights: Σw² = Σw, so cdf2 = cdf/m); P(R ≤ 6), P(R ≥ 6) against their exact means."""
    _, summary = run_a
    m = DRAWS
    exact = PRIOR @ report_pmf(RATIO_S, T)
    cdf = np.cumsum(exact)
    claim = _claim(summary.prior, "c")
    for q, value in (
        (0.5, claim.reported_median),
        (0.025, claim.reported_interval.low),
        (0.975, claim.reported_interval.high),
    ):
        assert within_quantile(value, cdf, q, math.sqrt(q * (1 - q) / m)), (q, value)
    assert claim.reported_interval.level == 0.95
    saved = summary.distributions["reported/c"]
    np.testing.assert_array_less(
        np.abs(saved - exact[: saved.size]), Z * np.sqrt(exact[: saved.size] * (1 - exact[: saved.size]) / m) + 1e-12
    )
    interval = claim.reported_interval
    for q, mcse, others in (
        (0.5, claim.reported_median_mcse, claim.reported_median_others),
        (0.025, interval.low_mcse, interval.low_others),
        (0.975, interval.high_mcse, interval.high_others),
    ):
        sd, expected_others = quantile_error(np.cumsum(saved), np.cumsum(saved) / m, q)
        assert mcse == pytest.approx(sd, rel=1e-3, abs=1e-12), q
        assert others == expected_others, q
    for got, per_truth in (
        (claim.reported_at_most, report_pmf(RATIO_S, T)[:, :7].sum(axis=1)),
        (claim.reported_at_least, report_pmf(RATIO_S, T)[:, 6:].sum(axis=1)),
    ):
        mean = PRIOR @ per_truth
        se = math.sqrt(PRIOR @ (per_truth - mean) ** 2 / DRAWS)
        assert abs(got.value - mean) < Z * se, (got, mean)
    for claim_id in ("g", "h", "b", "lo"):
        plain = _claim(summary.prior, claim_id)
        assert plain.reported_at_most is plain.reported_median is plain.reported_interval is None


def test_prior_predictive_and_leave_one_out_probabilities_against_enumeration(run_a):
    """Prior side, conditioned claims only: E[L] (g: P(T ≥ 8); d: Σ P(T)·P(R_t = 5 | T)), error √(Var L/n).
    Posterior side, conditioned claims only: each reading given the other, E[L_a·L_b]/E[L_b], its error the
    self-normalised one with the other's likelihood as the weight."""
    _, summary = run_a
    for claim_id, likelihood in (("g", L_G), ("d", L_D)):
        got = _claim(summary.prior, claim_id).prior_predictive
        mean = PRIOR @ likelihood
        se = math.sqrt(PRIOR @ (likelihood - mean) ** 2 / DRAWS)
        assert got.method == "conditional" and abs(got.value - mean) < Z * se, (claim_id, got, mean)
        assert got.mcse == pytest.approx(se, rel=0.1)
    for claim_id, likelihood, other in (("g", L_G, L_D), ("d", L_D, L_G)):
        got = _claim(summary.posterior, claim_id).loo
        exact = (PRIOR * other * likelihood).sum() / (PRIOR * other).sum()
        se = snis_se(likelihood, other)
        assert abs(got.value - exact) < Z * se, (claim_id, got, exact)
        assert got.mcse == pytest.approx(se, rel=0.1)
    for claim_id in CLAIMS:
        assert (
            _claim(summary.prior, claim_id).loo is None and _claim(summary.posterior, claim_id).prior_predictive is None
        )
        if claim_id not in ("g", "d"):
            assert (
                _claim(summary.prior, claim_id).prior_predictive is None
                and _claim(summary.posterior, claim_id).loo is None
            )


def test_posterior_claims_and_report_tails_against_the_enumerated_posterior(run_a):
    """Posterior ∝ P(T)·1{T ≥ 8}·P(R_t = 5 | T). Claim c2's P(T ≤ 9), P(9 ≤ T) and P(T = 9) as weighted
    frequencies; claim c's P(R_s ≤ 6) and P(R_s ≥ 6) (source s is not conditioned on: per draw F_s(6.5/T) and
    S_s(5.5/T)) as weighted means, each within Z exact self-normalised errors, its printed error that error
    to 10%. P(T ≥ 8) given T ≥ 8 is certain: the bound 1 with 3/ESS. The evidence log E[w] within Z of its
    delta-method error √(E w²/(E w)² − 1)/√n, its printed error that one to 5%. No warning: the ESS is large."""
    _, summary = run_a
    posterior = summary.posterior
    c2 = _claim(posterior, "c2")
    for got, h in ((c2.below, T <= 9), (c2.above, T >= 9), (c2.probability, T == 9)):
        h = h.astype(float)
        exact = (PRIOR * WEIGHT * h).sum() / (PRIOR * WEIGHT).sum()
        assert got.method == "empirical" and abs(got.value - exact) < Z * snis_se(h), (got, exact)
        assert got.mcse == pytest.approx(snis_se(h), rel=0.1)
    c = _claim(posterior, "c")
    for got, h in (
        (c.reported_at_most, report_pmf(RATIO_S, T)[:, :7].sum(axis=1)),
        (c.reported_at_least, report_pmf(RATIO_S, T)[:, 6:].sum(axis=1)),
    ):
        exact = (PRIOR * WEIGHT * h).sum() / (PRIOR * WEIGHT).sum()
        assert abs(got.value - exact) < Z * snis_se(h), (got, exact)
        assert got.mcse == pytest.approx(snis_se(h), rel=0.1)
    assert _claim(posterior, "g").probability == Probability(1.0, pytest.approx(3 / posterior.ess), "bound")
    w = PRIOR * WEIGHT
    assert posterior.ess / DRAWS == pytest.approx(w.sum() ** 2 / (PRIOR * WEIGHT**2).sum(), rel=0.05)
    evidence_se = math.sqrt((PRIOR * WEIGHT**2).sum() / w.sum() ** 2 - 1) / math.sqrt(DRAWS)
    assert abs(summary.evidence.log - math.log(w.sum())) < Z * evidence_se, (summary.evidence, math.log(w.sum()))
    assert summary.evidence.mcse == pytest.approx(evidence_se, rel=0.05)
    assert summary.warnings == ()


def test_the_sources_table_lists_each_sources_claims_and_its_shared_ratio(run_a):
    """Source s: claims c and c2 (sharing its ratio), none conditioned, so no posterior ratio; source t: claim
    d, conditioned, its ratio's posterior that of claim d. With an independent ratio per claim
    (``claim_correlation = 0``) the claims share nothing and the source has no one posterior."""
    _, summary = run_a
    s, t = summary.sources
    assert (s.id, s.label, s.claim_correlation, s.claims, s.conditioned, s.ratio_posterior, s.derives_from) == (
        "s",
        "s",
        1.0,
        ("c", "c2"),
        (),
        None,
        None,
    )
    assert (t.id, t.label, t.claims, t.conditioned) == ("t", "Source T", ("d",), ("d",))
    assert t.ratio_posterior is not None and t.ratio_posterior is _claim(summary.posterior, "d").ratio_posterior
    assert _claim(summary.prior, "c").shares_ratio_with == ("c2",) and _claim(
        summary.prior, "c2"
    ).shares_ratio_with == ("c",)
    assert _claim(summary.prior, "d").shares_ratio_with == () and _claim(summary.prior, "c").ratio_posterior is None

    sources = '[sources.u]\nreporting_ratio = { dist = "beta", a = 4, b = 4 }\nclaim_correlation = 0\n'
    claims = '[[claims]]\nid = "e1"\nvalue = 5\nsource = "u"\n[[claims]]\nid = "e2"\nvalue = 6\nsource = "u"\n'
    text = beta_binomial_scenario(
        size=SIZE, a=A, b=B, draws=5000, seed=5, sources=sources, claims=claims, condition='["e1", "e2"]'
    )
    independent = summarize(simulate(parse_scenario(text), workers=1))
    (u,) = independent.sources
    assert (u.claim_correlation, u.claims, u.conditioned, u.ratio_posterior) == (0.0, ("e1", "e2"), ("e1", "e2"), None)
    assert [c.shares_ratio_with for c in independent.posterior.claims] == [(), ()]


def test_the_saved_pmfs_are_named_as_documented_and_hold_the_exact_prior(run_a):
    """``Summary.distributions``: ``prior/<quantity>``, ``posterior/<quantity>``, ``reported/<claim>``,
    ``posterior_input/<key path>/counts`` and ``/edges`` (the fatality rate's and source t's ratio's). The prior
    pmf within Z·√(p(1 − p)/n) of the beta-binomial at every value, the posterior's within Z exact errors of the
    enumerated posterior; ``pmf()`` is the saved array."""
    _, summary = run_a
    inputs = ("forces.unit.fatality_rate", "sources.t.reporting_ratio")
    expected = {"prior/killed", "posterior/killed", "reported/c", "reported/c2", "reported/d"}
    expected |= {f"posterior_input/{path}/{part}" for path in inputs for part in ("counts", "edges")}
    assert set(summary.distributions) == expected
    prior = summary.pmf("prior", "killed")
    assert prior is summary.distributions["prior/killed"] and prior.sum() == pytest.approx(1.0)
    np.testing.assert_array_less(
        np.abs(prior - PRIOR[: prior.size]), Z * np.sqrt(PRIOR[: prior.size] * (1 - PRIOR[: prior.size]) / DRAWS)
    )
    posterior = summary.pmf("posterior", "killed")
    exact = PRIOR * WEIGHT / (PRIOR * WEIGHT).sum()
    for k in range(8, 20):
        h = (k == T).astype(float)
        assert abs(posterior[k] - exact[k]) < Z * snis_se(h), k
    for path in inputs:
        counts, edges = (summary.distributions[f"posterior_input/{path}/{part}"] for part in ("counts", "edges"))
        assert counts.size == edges.size - 1 and np.all(np.diff(edges) >= 0) and counts.sum() > 0


# ---------------------------------------------------------------------------------------------
# A ratio claim against the joint of killed and wounded
# ---------------------------------------------------------------------------------------------

RATIO_N, RATIO_DRAWS = 12, 200_000
RUN_B = f"""
[scenario]
name = "shares"
[simulation]
draws = {RATIO_DRAWS}
seed = 8
[forces.unit]
size = {RATIO_N}
fatality_rate = {{ dist = "beta", a = 2, b = 4 }}
[casualties]
wounded_per_killed = 1.5
[[claims]]
id = "share"
ratio = {{ numerator = "killed", denominator = "casualties" }}
value = 0.5
reading = [0.3, 0.6]
[[claims]]
id = "k3"
value = 3
relation = "ge"
[inference]
condition_on = ["share", "k3"]
"""


def ratio_joint() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(K = k, W = j) with K ~ BetaBinomial(12, 2, 4), W | K ~ Binomial(12 − K, 1 − exp(−1.5·K/(12 − K)))
    (docs/casualty-model.md); the ratio t = K/(K + W) (NaN where no one is a casualty) and K."""
    k = np.arange(RATIO_N + 1)
    joint = np.zeros((RATIO_N + 1, RATIO_N + 1))
    for kk in k:
        q = -math.expm1(-1.5 * kk / (RATIO_N - kk)) if kk < RATIO_N else 0.0
        joint[kk, : RATIO_N - kk + 1] = stats.binom(RATIO_N - kk, q).pmf(np.arange(RATIO_N - kk + 1))
    joint *= stats.betabinom(RATIO_N, 2, 4).pmf(k)[:, None]
    killed = k[:, None] + 0 * joint
    total = killed + np.arange(RATIO_N + 1)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total > 0, killed / total, np.nan)
    return joint, ratio, killed


@pytest.fixture(scope="module")
def run_b():
    return summarize(simulate(parse_scenario(RUN_B), workers=1))


def test_a_ratio_claim_against_the_enumerated_joint_of_killed_and_wounded(run_b):
    """Over the draws with a ratio (K + W > 0): below = P(t ≤ ½), above = P(t ≥ ½) = 1 − P(t < ½), the
    percentile 100·(P(t < ½) + P(t ≤ ½))/2 (t = ½ has probability .21: the two differ), each within Z binomial
    errors √(p(1 − p)/n') (n' the draws with a ratio), the percentile's error the larger of its two frequencies';
    the probability of the reading .3 ≤ t ≤ .6 over every draw; the posterior's below given the reading and
    K ≥ 3 within Z exact self-normalised errors; the leave-one-out probabilities against their exact ratios; the
    prior median of t, from a tally of t/(1 + t) in 2,048 bins, within one bin (2.25/2048 in t near ½) of ½."""
    joint, ratio, killed = ratio_joint()
    defined = ~np.isnan(ratio)
    has_ratio = joint[defined].sum()
    n = RATIO_DRAWS * has_ratio
    claim = run_b.prior.ratio_claims[0]
    below = joint[defined & (ratio <= 0.5)].sum() / has_ratio
    less = joint[defined & (ratio < 0.5)].sum() / has_ratio
    se_below, se_less = math.sqrt(below * (1 - below) / n), math.sqrt(less * (1 - less) / n)
    assert claim.below.method == "empirical" and abs(claim.below.value - below) < Z * se_below
    assert claim.above.method == "empirical" and abs(claim.above.value - (1 - less)) < Z * se_less
    assert claim.below.mcse == pytest.approx(se_below, rel=0.1) and claim.above.mcse == pytest.approx(se_less, rel=0.1)
    assert abs(claim.percentile.value - 100 * (below + less) / 2) < Z * 100 * max(se_below, se_less)
    assert claim.percentile.mcse == pytest.approx(100 * max(claim.below.mcse, claim.above.mcse))
    assert claim.percentile.method == "empirical"
    inside = defined & (ratio >= 0.3) & (ratio <= 0.6)
    p = joint[inside].sum()
    assert abs(claim.probability.value - p) < Z * math.sqrt(p * (1 - p) / RATIO_DRAWS)
    assert claim.prior_predictive.value == pytest.approx(p, abs=Z * math.sqrt(p * (1 - p) / RATIO_DRAWS))
    assert (claim.numerator, claim.denominator, claim.reading_low, claim.reading_high) == (
        "killed",
        "casualties",
        0.3,
        0.6,
    )
    assert (claim.value, claim.relation, claim.scope, claim.conditioned, claim.as_of) == (
        0.5,
        "eq",
        ("unit",),
        True,
        None,
    )
    assert abs(claim.ratio.median.value - 0.5) < 2.25 / 2048

    many = (killed >= 3).astype(float)
    weight = np.where(inside, 1.0, 0.0) * many
    post = run_b.posterior.ratio_claims[0]
    h = np.where(defined & (ratio <= 0.5), 1.0, 0.0)
    exact = (joint * weight * h).sum() / (joint * weight).sum()
    se = math.sqrt((joint * weight**2 * (h - exact) ** 2).sum() / RATIO_DRAWS) / (joint * weight).sum()
    assert abs(post.below.value - exact) < Z * se, (post.below, exact)
    assert post.probability == Probability(1.0, pytest.approx(3 / run_b.posterior.ess), "bound")
    reading = np.where(inside, 1.0, 0.0)
    for got, mine, other in ((post.loo, reading, many), (run_b.posterior.claims[0].loo, many, reading)):
        exact = (joint * other * mine).sum() / (joint * other).sum()
        se = math.sqrt((joint * other**2 * (mine - exact) ** 2).sum() / RATIO_DRAWS) / (joint * other).sum()
        assert abs(got.value - exact) < Z * se, (got, exact)


# ---------------------------------------------------------------------------------------------
# summary.json: the documented keys, and a summary read back from it
# ---------------------------------------------------------------------------------------------


def _documented_words(path: Path, start: str, stop: str) -> set[str]:
    """Every identifier in backticks in a section of a Markdown file (code blocks left out)."""
    text = path.read_text(encoding="utf-8")
    section = text[text.index(start) : text.index(stop, text.index(start))]
    section = re.sub(r"```.*?```", "", section, flags=re.S)  # code blocks hold backticks of their own
    return {word for span in re.findall(r"`([^`]+)`", section) for word in re.findall(r"[a-z_]+", span)}


# README.md, "JSON output", transcribed by level (the test checks each word is still in that section)
TOP_KEYS = [
    "scenario",
    "title",
    "description",
    "draws",
    "seed",
    "chunk_size",
    "levels",
    "condition_on",
    "version",
    "method",
    "warnings",
    "quantity_labels",
    "bin_widths",
    "prior",
    "posterior",
    "sources",
    "evidence",
]
SIDE_KEYS = ["ess", "quantities", "claims", "inputs"]
DISTRIBUTION_KEYS = ["mean", "sd", "median", "eti", "hdi"]
ESTIMATE_KEYS = ["value", "mcse", "others"]
INTERVAL_KEYS = ["level", "low", "high", "low_mcse", "high_mcse", "low_others", "high_others"]
CLAIM_KEYS = [
    "id",
    "label",
    "value",
    "relation",
    "metric",
    "scope",
    "quantity",
    "source",
    "conditioned",
    "percentile",
    "below",
    "above",
    "probability",
    "implied_ratio",
    "implied_ratio_median",
    "implied_ratio_median_mcse",
    "implied_ratio_median_others",
    "said",
    "interval",
    "reading_low",
    "reading_high",
    "shares_ratio_with",
    "prior_predictive",
    "loo",
]
PROBABILITY_KEYS = ["value", "mcse", "method"]
SOURCED_KEYS = ["reported_at_most", "reported_at_least", "reported_median", "reported_interval", "ratio_posterior"]
SOURCE_KEYS = ["claims", "conditioned", "claim_correlation", "ratio_posterior"]
EVIDENCE_KEYS = ["log", "mcse"]


def test_summary_json_has_every_key_the_readme_lists_with_its_documented_meaning(run_a, run_b):
    """Each key of README's "JSON output" at its level; ``ratio_claims`` on each side (docs/claims.md); the
    prior's ESS is the number of draws; a probability's method one of Probability's four; ``implied_ratio`` a 95%
    interval; ``inputs`` on the posterior only; infinite values (an implied ratio of a truth that can be 0) null."""
    words = _documented_words(ROOT / "README.md", "## JSON output", "## Development")
    listed = [*TOP_KEYS, *SIDE_KEYS, *DISTRIBUTION_KEYS, *ESTIMATE_KEYS, *INTERVAL_KEYS, *CLAIM_KEYS]
    listed += [*PROBABILITY_KEYS, *SOURCED_KEYS, *SOURCE_KEYS, *EVIDENCE_KEYS]
    assert set(listed) <= words, set(listed) - words
    assert "ratio_claims" in _documented_words(ROOT / "docs" / "claims.md", "## Ratio claims", "## Sources")

    _, summary = run_a
    document = json.loads(summary.to_json())
    assert set(TOP_KEYS) <= set(document)
    assert (document["draws"], document["seed"], document["levels"]) == (DRAWS, 5, [0.5, 0.8, 0.95])
    assert document["condition_on"] == ["g", "d"] and document["quantity_labels"] == {"killed": "Killed"}
    assert set(EVIDENCE_KEYS) == set(document["evidence"])
    for side_name in ("prior", "posterior"):
        side = document[side_name]
        assert set(SIDE_KEYS) | {"ratio_claims"} <= set(side)
        for d in side["quantities"] + side["inputs"]:
            assert set(DISTRIBUTION_KEYS) <= set(d)
            assert all(set(ESTIMATE_KEYS) <= set(d[key]) for key in ("mean", "sd", "median"))
            assert all(set(INTERVAL_KEYS) <= set(iv) for iv in d["eti"] + d["hdi"])
        for c in side["claims"]:
            assert set(CLAIM_KEYS) | set(SOURCED_KEYS) <= set(c)
            for key in ("percentile", "below", "above", "probability"):
                assert set(c[key]) == set(PROBABILITY_KEYS)
                assert c[key]["method"] in ("empirical", "conditional", "exact", "bound")
            assert c["implied_ratio"]["level"] == 0.95
            sourced = c["source"] is not None
            assert (c["reported_at_most"] is not None, c["reported_interval"] is not None) == (sourced, sourced)
    assert document["prior"]["ess"] == DRAWS and document["prior"]["inputs"] == []
    assert [d["name"] for d in document["posterior"]["inputs"]] == ["forces.unit.fatality_rate"]
    assert all(set(SOURCE_KEYS) <= set(s) for s in document["sources"])

    shares = json.loads(run_b.to_json())
    count = next(c for c in shares["prior"]["claims"] if c["id"] == "k3")
    assert count["implied_ratio"]["high"] is None  # T's 2.5% quantile is 0: P(K = 0) = 20/272
    assert next(c for c in run_b.prior.claims if c.id == "k3").implied_ratio.high == math.inf
    assert [c["id"] for c in shares["prior"]["ratio_claims"]] == ["share"]


def test_a_summary_read_back_from_its_json_keeps_every_field_and_type(run_a, run_b):
    """``from_dict(to_dict())``: equal to the original (run A), the same JSON again (both runs), tuples as tuples,
    numbers as floats (an integer in the JSON too), optional fields None, and null floats NaN, except an implied
    ratio's, which is +∞ (v/Q at Q = 0); the arrays are passed through, not serialised."""
    _, summary = run_a
    document = json.loads(summary.to_json())
    assert "distributions" not in document
    arrays = {"prior/killed": np.array([0.25, 0.75])}
    rebuilt = Summary.from_dict(document, arrays)
    assert rebuilt == summary and rebuilt.distributions == arrays and rebuilt.to_json() == summary.to_json()
    assert rebuilt.levels == (0.5, 0.8, 0.95) and rebuilt.condition_on == ("g", "d")
    c = _claim(rebuilt.prior, "c")
    assert isinstance(c.percentile, Probability) and isinstance(c.implied_ratio, Interval)
    assert c.scope == ("unit",) and c.shares_ratio_with == ("c2",) and type(c.implied_ratio_median_others) is tuple
    g = _claim(rebuilt.prior, "g")
    assert g.reported_median is None and g.reported_median_mcse is None and g.reported_interval is None
    assert g.reported_median_others is None and g.loo is None and g.reading_high is None
    assert rebuilt.sources[1].ratio_posterior == summary.sources[1].ratio_posterior
    assert math.isnan(rebuilt.sources[1].ratio_posterior.mean.value) and rebuilt.sources[0].ratio_posterior is None
    document["prior"]["ess"] = DRAWS  # an integer where a float is due
    assert type(Summary.from_dict(document).prior.ess) is float
    assert Summary.from_dict(document).distributions == {}

    shares = Summary.from_dict(json.loads(run_b.to_json()))
    assert shares == run_b and shares.to_json() == run_b.to_json()
    count = next(c for c in shares.prior.claims if c.id == "k3")
    assert count.implied_ratio.high == math.inf
    assert count.implied_ratio_median == next(c for c in run_b.prior.claims if c.id == "k3").implied_ratio_median


def test_pmfs_of_binned_tallies_spread_each_bin_over_its_values(run_a):
    """``pmf()``: a tally in bins of 2 with masses (.2, .8) is (.1, .1, .4, .4) over the values 0..3; width 1 is the
    saved array itself. ``sides()``: the prior, then the posterior when there is one."""
    from dataclasses import replace

    _, summary = run_a
    binned = replace(summary, distributions={"prior/killed": np.array([0.2, 0.8])}, bin_widths={"killed": 2})
    np.testing.assert_allclose(binned.pmf("prior", "killed"), [0.1, 0.1, 0.4, 0.4])
    assert [name for name, _ in summary.sides()] == ["prior", "posterior"]
    assert summary.sides()[1][1] is summary.posterior
    prior_only = replace(summary, posterior=None)
    assert prior_only.sides() == [("prior", summary.prior)]
    assert {row["side"] for row in prior_only.rows()} == {"prior"}
    assert summary.to_json().endswith("}\n") and summary.to_json() == summary.to_json()
    # summary.csv's rows: each interval end with its level, each number once (3 + 2·2·3 per distribution)
    rows = summary.rows()
    ends = [row for row in rows if row["statistic"].startswith(("eti_", "hdi_")) and row["section"] == "quantity"]
    assert {row["level"] for row in ends} == {0.5, 0.8, 0.95} and len(ends) == 2 * 12
    assert [row["value"] for row in rows if row["statistic"] == "ess"] == [DRAWS, summary.posterior.ess]
    (median,) = [row for row in rows if row["statistic"] == "ratio_posterior_median"]
    assert (median["side"], median["name"]) == ("posterior", "d")
    assert median["value"] == summary.posterior.claim("d").ratio_posterior.median.value
    assert summary.prior.claim("c2").id == "c2" and summary.prior.claim("c2") is _claim(summary.prior, "c2")


# ---------------------------------------------------------------------------------------------
# Binned tallies, overflow, labels
# ---------------------------------------------------------------------------------------------


DRAWS_BINNED = 2001
"""No quantile level times this is a whole number: no quantile sits on a tie of the CDF, which rounding could
break either way."""


def test_a_binned_quantity_and_its_report_are_named_warned_about_and_read_at_bin_centres():
    """A force of 300,000 can exceed MAX_BINS = 2¹⁸: killed and the report of its sourced claim are tallied in
    bins of 2 (``bin_widths``: ``killed`` and ``reported:c``), one warning naming killed; every quantile is a
    bin's centre 2i + ½, without other seeds' values; P(T ≤ 60,000) within Z binomial errors of the exact
    beta-binomial (the bin 60,000–60,001 is not wholly below: P(T = 60,000) ~ 1e-5 is far below the error).
    Overflow counted in a tally's top bin is said per tally, with its count."""
    sources = '[sources.s]\nreporting_ratio = { dist = "beta", a = 4, b = 4 }\n'
    claims = '[[claims]]\nid = "c"\nvalue = 60000\nsource = "s"\n'
    text = beta_binomial_scenario(size=300_000, a=2, b=6, draws=DRAWS_BINNED, seed=5, sources=sources, claims=claims)
    result = simulate(parse_scenario(text), workers=1)
    summary = summarize(result)
    assert summary.bin_widths == {"killed": 2, "reported:c": 2}
    assert summary.warnings == (
        "killed can exceed 262,144: tallied in bins of 2, so quantiles and posterior probabilities are exact to "
        "within a bin (claims' prior probabilities are not affected; bin_widths in summary.json lists every binned "
        "quantity)",
    )
    killed = summary.prior.quantity("killed")
    claim = summary.prior.claims[0]
    ends = [killed.median, *(Estimate(iv.low, 0) for iv in killed.eti), *(Estimate(iv.high, 0) for iv in killed.eti)]
    ends += [Estimate(claim.reported_median, 0), Estimate(claim.reported_interval.low, 0)]
    assert all((e.value - 0.5) % 2 == 0 for e in ends), ends
    assert killed.median.others is None and all(iv.low_others is None for iv in killed.eti)
    assert claim.reported_median_others is None and claim.reported_interval.low_others is None
    # the report's quantiles in bins (the saved pmf, unit weights over every draw) mapped to values
    bins = np.cumsum(summary.distributions["reported/c"])
    m = DRAWS_BINNED
    for q, value, mcse in (
        (0.5, claim.reported_median, claim.reported_median_mcse),
        (0.025, claim.reported_interval.low, claim.reported_interval.low_mcse),
        (0.975, claim.reported_interval.high, claim.reported_interval.high_mcse),
    ):
        assert value == 2 * first_reaching(bins, q) + 0.5
        assert mcse == pytest.approx(2 * quantile_error(bins, bins / m, q)[0], rel=1e-3)
    assert summary.pmf("prior", "killed").size == 2 * summary.distributions["prior/killed"].size
    p = float(stats.betabinom.cdf(60_000, 300_000, 2, 6))
    assert abs(claim.below.value - p) < Z * math.sqrt(p * (1 - p) / DRAWS_BINNED)
    # mean and sd in values (bin centres: within a bin of 2 of the exact ones, far below their errors)
    mean, variance, _, excess = (float(x) for x in stats.betabinom(300_000, 2, 6).stats(moments="mvsk"))
    sd_se = math.sqrt((excess + 2) * variance**2 / (4 * variance * DRAWS_BINNED))  # (μ₄ − σ⁴)/(4σ²n), μ₄ = (κ + 3)σ⁴
    assert abs(killed.mean.value - mean) < Z * math.sqrt(variance / DRAWS_BINNED) + 1
    assert abs(killed.sd.value - math.sqrt(variance)) < Z * sd_se + 1
    assert summary.posterior is None and summary.sources == () and summary.evidence is None

    result.prior.counts["killed"].overflow = 3
    result.prior.reported["c"].overflow = 1234
    warnings = summarize(result).warnings
    assert (
        warnings[-1]
        == "draws beyond a tally's range were counted in its top bin: killed (3 draws), reported:c (1,234 draws)"
    )


def test_quantities_are_labelled_by_metric_and_forces():
    """``Killed, all forces`` for the total of several forces (two or three), a force by its label (its id without
    one), a scope of several forces by their labels joined by +, casualties by their noun."""
    from sim.model import quantities_of
    from sim.summary import _label

    pair = parse_scenario("[forces.a]\nsize = 5\nfatality_rate = 0.1\n[forces.b]\nsize = 5\nfatality_rate = 0.1\n")
    assert [_label(q, pair) for q in quantities_of(pair)] == ["Killed, all forces", "Killed, a", "Killed, b"]
    text = """
[simulation]
draws = 500
[forces.a]
label = "Alpha"
size = 50
fatality_rate = 0.1
[forces.b]
size = 60
fatality_rate = 0.1
[forces.c]
size = 70
fatality_rate = 0.1
[casualties]
wounded_per_killed = 2
[[claims]]
id = "x"
value = 10
relation = "ge"
scope = ["a", "c"]
"""
    labels = summarize(simulate(parse_scenario(text), workers=1)).quantity_labels
    assert labels["killed"] == "Killed, all forces"
    assert (labels["killed[a]"], labels["killed[b]"], labels["killed[a+c]"]) == (
        "Killed, Alpha",
        "Killed, b",
        "Killed, Alpha + c",
    )
    assert labels["casualties"] == "Casualties (killed + wounded), all forces"
    assert labels["casualties[a+c]"] == "Casualties (killed + wounded), Alpha + c"


def test_a_binned_reports_quantiles_carry_no_other_seeds_values_even_where_they_stick():
    """T ~ Binomial(300,000, 1e-5) ≈ Poisson(3) is tallied in bins of 2 (its bound exceeds 2¹⁸), and so is the report
    R = T (a ratio fixed at 1). The median's bin 2–3 holds .45 of the mass (P(T ≤ 1) = .20, P(T ≤ 3) = .65), so
    another seed lands in it nearly always: a whole-number quantile would be told by its range, but a bin is not
    a whole number, and the ranges (bin indices) are not given; the median is the bin's centre 2.5, exactly."""
    sources = "[sources.one]\nreporting_ratio = 1\n"
    claims = '[[claims]]\nid = "r"\nvalue = 3\nsource = "one"\n'
    text = f"""
[simulation]
draws = 20_000
seed = 2
[forces.unit]
size = 300_000
fatality_rate = 1e-5
{sources}{claims}"""
    summary = summarize(simulate(parse_scenario(text), workers=1))
    claim = summary.prior.claims[0]
    assert summary.bin_widths == {"killed": 2, "reported:r": 2}
    assert claim.reported_median == 2.5 and summary.prior.quantity("killed").median.value == 2.5
    assert claim.reported_median_others is None
    assert claim.reported_interval.low_others is None and claim.reported_interval.high_others is None
    assert math.isfinite(claim.reported_median_mcse) and claim.reported_median_mcse < 0.5


# ---------------------------------------------------------------------------------------------
# More small runs: a sparse posterior, a source's ratio posterior, an interval claim, derived sources, dates
# ---------------------------------------------------------------------------------------------


def test_below_two_effective_draws_every_interval_error_is_undefined():
    """Given K ≥ 170 of 300 (f ~ Beta(2, 8): P = .0078), 400 draws hold about one accepted draw (seed 1): the ESS is
    below 2, so no Monte Carlo error is defined (docs/errors.md): every interval end's and the median's is NaN,
    HDIs included; a probability no draw reaches is still the bound 0 with 3/ESS."""
    claims = '[[claims]]\nid = "hi"\nvalue = 170\nrelation = "ge"\n[[claims]]\nid = "lo"\nvalue = 5\nrelation = "le"\n'
    text = beta_binomial_scenario(size=300, a=2, b=8, draws=400, seed=1, claims=claims, condition='["hi"]')
    posterior = summarize(simulate(parse_scenario(text), workers=1)).posterior
    assert 0 < posterior.ess < 2
    killed = posterior.quantity("killed")
    errors = [killed.median.mcse] + [e for iv in killed.eti + killed.hdi for e in (iv.low_mcse, iv.high_mcse)]
    assert len(errors) == 13 and all(math.isnan(e) for e in errors), errors
    assert _claim(posterior, "lo").probability == Probability(0.0, pytest.approx(3 / posterior.ess), "bound")


def test_a_sources_ratio_posterior_against_its_exact_quantiles(run_a):
    """ρ_t ~ Beta(5, 3) given T ≥ 8 and round(ρ_t·T) = 5: its posterior CDF is
    Σ_T P(T)·1{T ≥ 8}·[F(min(x, b_T)) − F(a_T)]₊ / Z with (a_T, b_T] = (4.5/T, 5.5/T] and F the prior CDF. The median
    and the 95% interval's ends, read from a histogram in logit(F) space (2,048 bins over ±40), within one bin
    (in ρ, at the exact quantile) plus Z standard errors √(q(1 − q)/ESS)/p(x_q) (a quantile's classical error;
    ESS is the exact one, (Σ P·w)²/(n Σ P·w²) of the draws')."""
    from scipy import optimize, special

    _, summary = run_a
    prior = RATIO_T
    low, high = 4.5 / np.maximum(T, 1), 5.5 / np.maximum(T, 1)
    mass = PRIOR * L_G * (T > 0)

    def cdf(x: float) -> float:
        return float((mass * np.clip(prior.cdf(np.minimum(x, high)) - prior.cdf(low), 0, None)).sum())

    evidence = cdf(1.0)
    ess = DRAWS * (PRIOR * WEIGHT).sum() ** 2 / (PRIOR * WEIGHT**2).sum()
    posterior = summary.sources[1].ratio_posterior
    step = 80 / 2048
    for q, printed in ((0.5, posterior.median.value), (0.025, posterior.eti[-1].low), (0.975, posterior.eti[-1].high)):
        exact = optimize.brentq(lambda x, q=q: cdf(x) / evidence - q, 1e-6, 1 - 1e-6, xtol=1e-12)
        density = (cdf(exact * 1.001) - cdf(exact * 0.999)) / (0.002 * exact) / evidence
        logit = special.logit(prior.cdf(exact))
        width = float(prior.ppf(special.expit(logit + step)) - prior.ppf(special.expit(logit - step))) / 2
        se = math.sqrt(q * (1 - q) / ess) / density
        assert abs(printed - exact) < width + Z * se, (q, printed, exact, width, se)
    assert posterior.eti[-1].level == 0.95 and math.isnan(posterior.mean.value) and posterior.hdi == ()


def test_an_interval_claims_check_is_its_estimates_tails_not_a_reading_probability():
    """A source's own 95% interval 150–250 (ρ fixed at 1) on T ~ BetaBinomial(1000, 20, 80): the estimate
    M = T·e^ε, ε ~ N(0, s²), s = ln(250/150)/(2·Φ⁻¹(.975)), centre v = √(150·250) (docs/claims.md). P(M ≤ v) is
    E_T[Φ((ln v − ln T)/s)], its error the sd of that over T over √n (exact, by enumeration), not an indicator's.
    Its likelihood is a density: no prior predictive or leave-one-out probability, even when conditioned on."""
    draws = 50_000
    claims = '[[claims]]\nid = "m"\nvalue = [150, 250]\nrelation = "between"\ninterval = 0.95\nsource = "one"\n'
    text = beta_binomial_scenario(
        size=1000, a=20, b=80, draws=draws, seed=9, sources="[sources.one]\nreporting_ratio = 1\n", claims=claims
    )
    for condition in ("", '["m"]'):
        scenario = text + (f"[inference]\ncondition_on = {condition}\n" if condition else "")
        summary = summarize(simulate(parse_scenario(scenario), workers=1))
        claim = summary.prior.claims[0]
        assert claim.interval == 0.95 and claim.value == pytest.approx(math.sqrt(150 * 250))
        assert claim.prior_predictive is None
        assert summary.posterior is None or summary.posterior.claims[0].loo is None
    k = np.arange(1001)
    pmf = stats.betabinom.pmf(k, 1000, 20, 80)
    spread = math.log(250 / 150) / (2 * stats.norm.ppf(0.975))
    with np.errstate(divide="ignore"):
        per_truth = stats.norm.cdf((math.log(math.sqrt(150 * 250)) - np.log(k)) / spread)
    mean = pmf @ per_truth
    se = math.sqrt(pmf @ (per_truth - mean) ** 2 / draws)
    claim = summary.prior.claims[0]
    assert abs(claim.reported_at_most.value - mean) < Z * se, (claim.reported_at_most, mean)
    assert claim.reported_at_most.mcse == pytest.approx(se, rel=0.1)


def test_a_derived_sources_table_and_an_unbounded_ratios_saved_edges():
    """Source q derives from p (ρ_q = ρ_p·ρ_own): p's table row lists its own claim x and shows the shared factor's
    posterior (that of the group x and y share), q's names p and shows none. p's lognormal prior is unbounded:
    its histogram's edges, ppf(expit(±40)) mapped back, are clipped to the finite ones."""
    sources = (
        '[sources.p]\nreporting_ratio = { dist = "lognormal", ci90 = [0.5, 2.0] }\n'
        '[sources.q]\nderives_from = "p"\nreporting_ratio = { dist = "beta", a = 8, b = 2 }\n'
    )
    claims = '[[claims]]\nid = "x"\nvalue = 9\nsource = "p"\n[[claims]]\nid = "y"\nvalue = 5\nsource = "q"\n'
    text = beta_binomial_scenario(
        size=SIZE, a=A, b=B, draws=5000, seed=5, sources=sources, claims=claims, condition='["y"]'
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    p, q = summary.sources
    assert (p.claims, p.conditioned, p.derives_from) == (("x",), (), None)
    assert p.ratio_posterior is not None and p.ratio_posterior is summary.posterior.claim("x").ratio_posterior
    assert (q.claims, q.conditioned, q.derives_from, q.ratio_posterior) == (("y",), ("y",), "p", None)
    edges = [a for name, a in summary.distributions.items() if name.endswith("/edges")]
    assert edges and all(np.all(np.isfinite(a)) for a in edges)
