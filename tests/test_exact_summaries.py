"""Printed summaries of a count (mean, sd, median, ETI, HDI) against the exact beta-binomial.

Killed ~ BetaBinomial(16, 1, 3): few values with large probabilities, so every exact
quantile and every exact highest-density interval is a whole number that the Monte Carlo
estimate must hit *exactly*: the exact CDF stays at least 5.5 binomial standard errors
``sqrt(q(1 − q)/n)`` away from each level, which the tests check before relying on it. No
"+1 for the integer grid": an off-by-one in a quantile or an interval end fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim import parse_scenario, simulate, summarize

SIZE, A, B, DRAWS = 16, 1.0, 3.0, 100_000
MARGIN = 5.5  # standard errors between the exact CDF and each level: a false failure ~4e-8 per check
Z = 4.5
LEVELS = (0.5, 0.8, 0.95)

SCENARIO = f"""
[scenario]
name = "exact_counts"
[simulation]
draws = {DRAWS}
seed = 3
chunk_size = 30000
levels = [0.5, 0.8, 0.95]
[forces.unit]
size = {SIZE}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
"""

EXACT = stats.betabinom(SIZE, A, B)
PMF = EXACT.pmf(np.arange(SIZE + 1))
CDF = np.cumsum(PMF)


def exact_hdi(pmf: np.ndarray, level: float) -> tuple[int, int, np.ndarray]:
    """The shortest run of whole numbers holding at least ``level``: the narrowest window width
    whose best window reaches it (the first such window on ties), and every window mass of that width."""
    cumulative = np.concatenate([[0.0], np.cumsum(pmf)])
    for width in range(1, pmf.size + 1):
        masses = cumulative[width:] - cumulative[:-width]
        if masses.max() >= level:
            low = int(np.argmax(masses >= level))
            return low, low + width - 1, masses
    raise AssertionError("unreachable: the whole support holds all the mass")


def _se(q: float) -> float:
    return math.sqrt(q * (1 - q) / DRAWS)


@pytest.fixture(scope="module")
def killed():
    summary = summarize(simulate(parse_scenario(SCENARIO), workers=1))
    return summary.prior.quantities[0]


def _exact_quantile(q: float) -> int:
    k = int(EXACT.ppf(q))
    below = CDF[k - 1] if k else 0.0
    assert below + MARGIN * _se(q) < q < CDF[k] - MARGIN * _se(q), "premise: the level is far from any CDF step"
    return k


def test_median_and_equal_tailed_intervals_are_the_exact_quantiles(killed):
    assert killed.median.value == _exact_quantile(0.5)
    assert [iv.level for iv in killed.eti] == list(LEVELS)
    for iv in killed.eti:
        assert (iv.low, iv.high) == (_exact_quantile((1 - iv.level) / 2), _exact_quantile((1 + iv.level) / 2))


def test_highest_density_intervals_are_the_exact_ones(killed):
    """Shortest intervals, not equal-tailed ones: here they differ at every level."""
    assert [iv.level for iv in killed.hdi] == list(LEVELS)
    for iv in killed.hdi:
        low, high, masses = exact_hdi(PMF, iv.level)
        se = _se(iv.level)
        # premise: no shorter window comes near the level, no other window of this width reaches it
        width = high - low + 1
        shorter = np.concatenate([[0.0], CDF])[width - 1 :] - np.concatenate([[0.0], CDF])[: -(width - 1)]
        assert shorter.max() < iv.level - MARGIN * se
        assert masses[low] > iv.level + MARGIN * se
        assert np.delete(masses, low).max() < iv.level - MARGIN * se
        assert (iv.low, iv.high) == (low, high)
        eti = (_exact_quantile((1 - iv.level) / 2), _exact_quantile((1 + iv.level) / 2))
        assert eti != (low, high)


def test_mean_and_sd_against_the_exact_moments(killed):
    """Errors from the exact moments: sd/√n for the mean, √((μ₄ − σ⁴)/(4σ²n)) for the sd (delta method)."""
    k = np.arange(SIZE + 1)
    mean = float(EXACT.mean())
    variance = float(EXACT.var())
    fourth = float((PMF * (k - mean) ** 4).sum())
    assert abs(killed.mean.value - mean) < Z * math.sqrt(variance / DRAWS)
    assert abs(killed.sd.value - math.sqrt(variance)) < Z * math.sqrt((fourth - variance**2) / (4 * variance * DRAWS))


def _same(a: object, b: object) -> bool:
    """``==`` of nested dataclasses (their compared fields), tuples, lists and dicts, with NaN (an unknown error)
    equal to NaN."""
    import dataclasses
    import numbers

    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return a == b or (math.isnan(a) and math.isnan(b))
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a) if f.compare)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)  # type: ignore[attr-defined,index]
    return a == b


def test_a_summary_read_back_from_its_json_is_the_same_summary():
    """summary.json holds every number: reading it back (as compare and report do) gives an equal Summary, unknown
    errors (NaN, written as null) included."""
    import json
    from dataclasses import replace

    from reference_cases import two_force_scenario

    from sim.summary import Summary

    summary = summarize(simulate(parse_scenario(two_force_scenario(draws=4_000, seed=1, chunk_size=1_000)), workers=1))
    read_back = Summary.from_dict(json.loads(summary.to_json()))
    assert _same(read_back, summary)
    assert not _same(read_back, replace(summary, prior=replace(summary.prior, ess=summary.prior.ess + 1)))


def test_every_csv_row_is_its_number_in_summary_json():
    """``summary.csv``'s rows (:meth:`Summary.rows`) carry each number of ``summary.json`` under its own statistic,
    with its own error and level: looked up here in the JSON document, key by key, for every row."""
    import json

    from reference_cases import beta_binomial_scenario

    text = beta_binomial_scenario(
        size=300,
        a=2,
        b=8,
        draws=20_000,
        sources='[sources.s]\nreporting_ratio = { dist = "beta", a = 4, b = 4 }\n',
        claims='[[claims]]\nid = "c"\nvalue = 40\nsource = "s"\n',
        condition='["c"]',
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    document = json.loads(summary.to_json())
    expected = []
    for side_name in ("prior", "posterior"):
        side = document[side_name]
        expected.append((side_name, "run", side_name, "ess", None, side["ess"], None))
        for section, key in (("quantity", "quantities"), ("input", "inputs")):
            for d in side[key]:
                for statistic in ("mean", "sd", "median"):
                    number = d[statistic]
                    expected.append((side_name, section, d["name"], statistic, None, number["value"], number["mcse"]))
                for kind in ("eti", "hdi"):
                    for iv in d[kind]:
                        for end in ("low", "high"):
                            row = (side_name, section, d["name"], f"{kind}_{end}", iv["level"], iv[end])
                            expected.append((*row, iv[f"{end}_mcse"]))
        for c in side["claims"]:
            expected.append((side_name, "claim", c["id"], "value", None, c["value"], None))
            for statistic in ("percentile", "below", "above", "probability", "reported_at_most", "reported_at_least"):
                if c.get(statistic) is not None:
                    number = c[statistic]
                    expected.append((side_name, "claim", c["id"], statistic, None, number["value"], number["mcse"]))
            expected.append(
                (side_name, "claim", c["id"], "implied_ratio_median", None, c["implied_ratio_median"], None)
            )
            for end in ("low", "high"):
                expected.append(
                    (side_name, "claim", c["id"], f"implied_ratio_{end}", 0.95, c["implied_ratio"][end], None)
                )
            if c.get("ratio_posterior") is not None:
                posterior = c["ratio_posterior"]
                expected.append(
                    (side_name, "claim", c["id"], "ratio_posterior_median", None, posterior["median"]["value"], None)
                )
                for iv in posterior["eti"]:
                    for end in ("low", "high"):
                        expected.append(
                            (side_name, "claim", c["id"], f"ratio_posterior_{end}", iv["level"], iv[end], None)
                        )
    rows = [
        tuple(row[k] for k in ("side", "section", "name", "statistic", "level", "value", "mcse"))
        for row in summary.rows()
    ]
    assert any(row[3] == "ratio_posterior_low" for row in rows) and any(row[3] == "hdi_high" for row in rows)
    assert rows == expected


def test_a_posterior_inputs_intervals_are_the_exact_posterior_quantiles():
    """f ~ Beta(2, 8), K ~ Binomial(50, f), conditioned on K ≥ 10: f's posterior density is ∝ Beta(2, 8)(f) ·
    P(Binomial(50, f) ≥ 10), its quantiles found here by quadrature. Each printed interval end (interpolated in the
    run's histogram of f) within one histogram bin plus Z exact standard errors of a quantile,
    √(q(1 − q)/m) / p(x_q), m the accepted draws n·P(K ≥ 10)."""
    from scipy import integrate, optimize

    draws = 100_000
    text = f"""
[simulation]
draws = {draws}
seed = 4
levels = [0.5, 0.8, 0.95]
[forces.unit]
size = 50
fatality_rate = {{ dist = "beta", a = 2, b = 8 }}
[[claims]]
id = "many"
value = 10
relation = "ge"
[inference]
condition_on = ["many"]
"""
    result = simulate(parse_scenario(text), workers=1)
    rate = summarize(result).posterior.inputs[0]
    edges = result.plan.histogram_edges["forces.unit.fatality_rate"]

    def unnormalised(f: float) -> float:
        return float(stats.beta.pdf(f, 2, 8) * stats.binom.sf(9, 50, f))

    evidence = integrate.quad(unnormalised, 0, 1, epsabs=1e-13)[0]

    def cdf(x: float) -> float:
        return integrate.quad(unnormalised, 0, x, epsabs=1e-13)[0] / evidence

    accepted = draws * evidence
    assert [iv.level for iv in rate.eti] == [0.5, 0.8, 0.95]
    for interval in rate.eti:
        for q, printed in (((1 - interval.level) / 2, interval.low), ((1 + interval.level) / 2, interval.high)):
            exact = optimize.brentq(lambda x, q=q: cdf(x) - q, 1e-9, 1 - 1e-9, xtol=1e-12)
            width = np.diff(edges)[np.searchsorted(edges, exact) - 1]
            se = math.sqrt(q * (1 - q) / accepted) / (unnormalised(exact) / evidence)
            assert abs(printed - exact) < width + Z * se, (interval.level, q, printed, exact, width, se)


def test_a_posterior_side_no_draw_reaches_is_a_bound_and_moments_stand_without_errors():
    """Given K ≥ 60 (of 300, f ~ Beta(2, 8)), the claim K ≤ 5 holds for no posterior draw: its probability is the
    rule-of-three bound (0, with 3/ESS as its upper limit), never an estimate of 0 with an error. With fewer
    effective draws than errors need, the mean and sd are still the weighted ones, their errors NaN."""
    from reference_cases import beta_binomial_scenario

    from sim.summary import MIN_ESS_FOR_ERRORS

    claims = '[[claims]]\nid = "hi"\nvalue = 60\nrelation = "ge"\n[[claims]]\nid = "lo"\nvalue = 5\nrelation = "le"\n'
    text = beta_binomial_scenario(size=300, a=2, b=8, draws=20_000, claims=claims, condition='["hi"]')
    posterior = summarize(simulate(parse_scenario(text), workers=1)).posterior
    low = next(c for c in posterior.claims if c.id == "lo").probability
    assert (low.value, low.method) == (0.0, "bound") and low.mcse == pytest.approx(3 / posterior.ess)

    rare = claims.replace("value = 60", "value = 170")  # P(K ≥ 170) = 0.0078: one draw of these 400 (seed 1)
    few = beta_binomial_scenario(size=300, a=2, b=8, draws=400, seed=1, claims=rare, condition='["hi"]')
    sparse = summarize(simulate(parse_scenario(few), workers=1)).posterior
    assert 0 < sparse.ess < MIN_ESS_FOR_ERRORS, sparse.ess  # premise
    killed = sparse.quantities[0]
    assert 170 <= killed.mean.value <= 300 and math.isnan(killed.mean.mcse) and math.isnan(killed.sd.mcse)


def test_binned_and_mapped_summaries_follow_their_formulas():
    """A summary on bin indices maps to values by ``i·w + (w − 1)/2`` (a bin's centre), errors times w; a summary on a
    transformed scale maps back by the transform, each error half the change over ±1 error, the values another seed
    gives (``others``) mapped too. Small cases worked by hand."""
    from sim.summary import Distribution, Estimate, Interval, _mapped, _rescale

    on_indices = Distribution(
        "killed",
        Estimate(2.0, 0.5),
        Estimate(1.0, 0.1),
        Estimate(2.0, 0.25, (1.0, 3.0)),
        (Interval(0.95, 0.0, 4.0, 0.3, 0.4, (0.0, 1.0), (3.0, 5.0)),),
        (Interval(0.95, 1.0, 4.0, 0.2, 0.6),),
    )
    assert _rescale(on_indices, 1) is on_indices
    binned = _rescale(on_indices, 3)
    assert (binned.mean, binned.sd) == (Estimate(7.0, 1.5), Estimate(3.0, pytest.approx(0.3)))
    assert (binned.median.value, binned.median.mcse) == (7.0, 0.75)
    assert binned.eti == (Interval(0.95, 1.0, 13.0, pytest.approx(0.9), pytest.approx(1.2)),)
    assert binned.hdi == (Interval(0.95, 4.0, 13.0, pytest.approx(0.6), pytest.approx(1.8)),)

    doubled = _mapped(on_indices, lambda x: 2 * x + 1)
    assert doubled.median == Estimate(5.0, 0.5, (3.0, 7.0))
    assert doubled.eti == (Interval(0.95, 1.0, 9.0, pytest.approx(0.6), pytest.approx(0.8), (1.0, 3.0), (7.0, 11.0)),)
    assert doubled.hdi == () and math.isnan(doubled.mean.value) and math.isnan(doubled.sd.value)


def test_a_sources_posterior_ratio_histogram_against_enumeration():
    """One report of 30 by a source with ρ ~ lognormal (90% in 0.5–2), T ~ BetaBinomial(100, 4, 8): ρ's posterior
    CDF is Σ_T P(T)·[G(min(x, b_T)) − G(a_T)]₊ / Z with G the prior CDF and (a_T, b_T] = ((30 − ½)/T, (30 + ½)/T].
    The median read from the run's histogram of ρ (the figures' data) within one bin plus Z standard errors
    √(¼/ESS)/p(median), the ESS n·(E w)²/E w² of the weights w(T) = G(b_T) − G(a_T), all exact. Two reports with a
    ratio each (``claim_correlation = 0``) have no one posterior ratio: no histogram."""
    from reference_cases import beta_binomial_scenario
    from scipy import optimize

    from sim.summary import _ratio_histograms

    draws, value = 100_000, 30
    sources = '[sources.s]\nreporting_ratio = { dist = "lognormal", ci90 = [0.5, 2.0] }\n'
    claims = f'[[claims]]\nid = "c"\nvalue = {value}\nsource = "s"\n'
    text = beta_binomial_scenario(size=100, a=4, b=8, draws=draws, claims=claims, sources=sources, condition='["c"]')
    histogram = _ratio_histograms(simulate(parse_scenario(text), workers=1))
    counts = histogram["posterior_input/sources.s.reporting_ratio/counts"]
    edges = histogram["posterior_input/sources.s.reporting_ratio/edges"]
    median = float(np.interp(0.5, np.concatenate([[0.0], np.cumsum(counts) / counts.sum()]), edges))

    prior = stats.lognorm(s=math.log(2) / stats.norm.ppf(0.95), scale=1.0)
    truth = np.arange(1, 101)
    p_truth = stats.betabinom.pmf(truth, 100, 4, 8)
    low, high = (value - 0.5) / truth, (value + 0.5) / truth
    weight = prior.cdf(high) - prior.cdf(low)

    def cdf(x: float) -> float:
        return float((p_truth * np.clip(prior.cdf(np.minimum(x, high)) - prior.cdf(low), 0, None)).sum())

    evidence = float((p_truth * weight).sum())
    exact = optimize.brentq(lambda x: cdf(x) / evidence - 0.5, 1e-3, 1e3, xtol=1e-12)
    density = (cdf(exact * 1.001) - cdf(exact * 0.999)) / (0.002 * exact) / evidence
    ess = draws * evidence**2 / float((p_truth * weight**2).sum())
    width = np.diff(edges)[np.searchsorted(edges, exact) - 1]
    assert abs(median - exact) < width + Z * math.sqrt(0.25 / ess) / density, (median, exact, width)

    independent = sources + "claim_correlation = 0\n"
    two = claims + claims.replace('id = "c"', 'id = "d"').replace(f"value = {value}", "value = 33")
    text = beta_binomial_scenario(
        size=100, a=4, b=8, draws=2_000, claims=two, sources=independent, condition='["c", "d"]'
    )
    assert _ratio_histograms(simulate(parse_scenario(text), workers=1)) == {}


def test_a_weighted_mean_of_per_draw_values_by_hand():
    """``_mean`` of values x = (0, 1, 1) with weights w = (1, 1, 2): Σw = 4, Σwx = 3, Σw² = 6, Σw²x = Σw²x² = 5, so
    the mean is 3/4 and its error √(5 − 2·¾·5 + (¾)²·6)/4 = √0.875/4; with no weight at all both are NaN."""
    from sim.engine import Mean
    from sim.summary import _mean

    estimate = _mean(Mean(np.array([4.0, 3.0]), np.array([6.0, 5.0, 5.0])))
    assert (estimate.value, estimate.method) == (0.75, "conditional")
    assert estimate.mcse == pytest.approx(math.sqrt(0.875) / 4)
    empty = _mean(Mean(np.zeros(2), np.zeros(3)))
    assert math.isnan(empty.value) and math.isnan(empty.mcse) and empty.method == "conditional"
