"""Conditioning on claims: exact posteriors, calibration (SBC), invariances, failure modes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from reference_cases import assert_quantiles, beta_binomial_scenario
from scipy import stats

from sim import ConditioningError, parse_scenario, simulate, summarize

Z = 4.0
SOURCE = '[sources.s]\nreporting_ratio = {{ dist = "beta", a = {c}, b = {d} }}\n'


def _claim(relation: str, value: str, *, source: str | None = "s", scope: str = "") -> str:
    text = f'[[claims]]\nid = "c"\nvalue = {value}\nrelation = "{relation}"\n'
    if source and relation in ("ge", "le"):
        text += 'reading = "open"\n'  # the relation's own set, chosen (the likelihood below reads it so)
    return text + (f'source = "{source}"\n' if source else "") + scope


def _likelihood(relation: str, value, k: np.ndarray, ratio) -> np.ndarray:
    """docs/model.md §3's likelihood, written independently with scipy: P(report in the claim's range | T = k)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if relation == "eq":
            lo, hi = value, value
        elif relation == "ge":
            lo, hi = value, np.inf
        elif relation == "le":
            lo, hi = 0, value
        else:
            lo, hi = value
        upper = ratio.cdf((hi + 0.5) / k) if np.isfinite(hi) else np.ones_like(k, dtype=float)
        result = upper - ratio.cdf((lo - 0.5) / k)
    result[k == 0] = 1.0 if lo <= 0 else 0.0
    return result


def _check_posterior(summary, prior: np.ndarray, weight: np.ndarray, draws: int) -> None:
    """Posterior mean, sd, median, equal-tailed intervals and the evidence against the exact posterior ∝ prior × weight.

    Tolerances are exact standard errors of the self-normalised importance-sampling estimates, never
    sim's own: ``Var(Σ w h / Σ w) ≈ E[w² (h − E_post h)²] / (n (E w)²)`` (the delta method for a ratio of
    means, e.g. Owen, *Monte Carlo theory, methods and examples*, 2013, eq. 9.8), with the prior's moments
    summed exactly over its pmf. A quantile estimate v (the first value whose estimated CDF reaches q)
    must have F(v) ≥ q − Zσ(v) and F(v − 1) < q + Zσ(v − 1), σ(x) the exact error of the estimated F(x):
    no "+1 for the grid".
    """
    k = np.arange(prior.size)
    evidence = (prior * weight).sum()
    posterior = prior * weight / evidence

    def se(h: np.ndarray) -> float:
        return math.sqrt((prior * weight**2 * (h - posterior @ h) ** 2).sum() / draws) / evidence

    mean = posterior @ k
    variance = posterior @ (k - mean) ** 2
    post = summary.posterior.quantities[0]
    mean_se = se(k.astype(float))
    assert abs(post.mean.value - mean) < Z * mean_se, (post.mean.value, mean)
    # the sd through the variance: se(sd) = se(var) / (2 sd)
    sd_se = se((k - mean) ** 2) / (2 * math.sqrt(variance))
    assert abs(post.sd.value - math.sqrt(variance)) < Z * sd_se, (post.sd.value, math.sqrt(variance))
    # the printed errors estimate these exact ones (their own error is ~1/√ESS: well under 1% at these ESS)
    assert post.mean.mcse == pytest.approx(mean_se, rel=0.05)
    assert post.sd.mcse == pytest.approx(sd_se, rel=0.1)
    assert_quantiles(post, np.cumsum(posterior), lambda x: se((k <= x).astype(float)), Z)
    # the evidence log E_prior[w], estimated by log of the mean weight: error sd(w)/(√n E w) by the delta method
    evidence_se = math.sqrt((prior * weight**2).sum() / evidence**2 - 1) / math.sqrt(draws)
    assert abs(summary.evidence.log - math.log(evidence)) < Z * evidence_se, (summary.evidence, math.log(evidence))
    assert summary.evidence.mcse == pytest.approx(evidence_se, rel=0.05)


@pytest.mark.parametrize(("relation", "value"), [("eq", 10), ("ge", 30), ("le", 8), ("between", (15, 25))])
def test_exact_posterior_one_force(relation, value):
    size, a, b, c, d = 200, 2.0, 8.0, 5.0, 5.0
    shown = f"[{value[0]}, {value[1]}]" if isinstance(value, tuple) else str(value)
    text = beta_binomial_scenario(
        size=size,
        a=a,
        b=b,
        draws=300_000,
        sources=SOURCE.format(c=c, d=d),
        claims=_claim(relation, shown),
        condition='["c"]',
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    k = np.arange(size + 1)
    _check_posterior(
        summary, stats.betabinom(size, a, b).pmf(k), _likelihood(relation, value, k, stats.beta(c, d)), 300_000
    )


def test_exact_posterior_of_a_hard_constraint():
    text = beta_binomial_scenario(
        size=200, a=2, b=8, draws=200_000, claims=_claim("between", "[20, 40]", source=None), condition='["c"]'
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    k = np.arange(201)
    _check_posterior(summary, stats.betabinom(200, 2, 8).pmf(k), ((k >= 20) & (k <= 40)).astype(float), 200_000)


def test_exact_posterior_two_force_scope():
    text = """
[simulation]
draws = 300_000
seed = 11
[forces.a]
size = 150
fatality_rate = { dist = "beta", a = 2, b = 6 }
[forces.b]
size = 80
fatality_rate = { dist = "beta", a = 3, b = 3 }
[sources.s]
reporting_ratio = { dist = "lognormal", ci90 = [0.5, 1.5] }
[[claims]]
id = "c"
value = 70
source = "s"
[inference]
condition_on = ["c"]
"""
    summary = summarize(simulate(parse_scenario(text), workers=1))
    prior = np.convolve(stats.betabinom(150, 2, 6).pmf(np.arange(151)), stats.betabinom(80, 3, 3).pmf(np.arange(81)))
    ratio = stats.lognorm(s=math.log(3) / (2 * stats.norm.ppf(0.95)), scale=math.sqrt(0.75))
    _check_posterior(summary, prior, _likelihood("eq", 70, np.arange(prior.size), ratio), 300_000)


def test_conditioning_on_nothing_is_the_prior():
    text = beta_binomial_scenario(
        size=300, a=2, b=8, draws=20_000, sources=SOURCE.format(c=2, d=2), claims=_claim("eq", "20")
    )
    scenario = parse_scenario(text)
    prior_only = summarize(simulate(scenario, workers=1))
    assert prior_only.posterior is None
    conditioned = summarize(simulate(scenario, workers=1, condition_on=("c",)))
    assert conditioned.prior.quantities == prior_only.prior.quantities
    assert [c.probability for c in conditioned.prior.claims] == [c.probability for c in prior_only.prior.claims]
    # a claim every draw satisfies gives unit weights: the posterior is the prior, to the last bit
    always = parse_scenario(text + '[[claims]]\nid = "any"\nvalue = 0\nrelation = "ge"\n')
    trivial = summarize(simulate(always, workers=1, condition_on=("any",)))
    assert trivial.posterior.quantities == trivial.prior.quantities
    assert trivial.posterior.ess == trivial.prior.ess == 20_000


def test_weights_do_not_depend_on_claim_order():
    claims = _claim("eq", "20") + _claim("ge", "10").replace('id = "c"', 'id = "d"')
    text = beta_binomial_scenario(
        size=300, a=2, b=8, draws=20_000, sources=SOURCE.format(c=2, d=2), claims=claims, condition='["c", "d"]'
    )
    first = summarize(simulate(parse_scenario(text), workers=1))
    swapped = parse_scenario(text.replace('condition_on = ["c", "d"]', 'condition_on = ["d", "c"]'))
    second = summarize(simulate(swapped, workers=1, condition_on=("d", "c")))
    assert first.posterior.quantities == second.posterior.quantities


def test_underflowing_likelihoods_still_give_a_posterior():
    """Many tiny likelihoods multiply to below the smallest double; log-space weights survive it."""
    claims = "".join(_claim("eq", "5").replace('id = "c"', f'id = "c{i}"') for i in range(40))
    ids = ", ".join(f'"c{i}"' for i in range(40))
    text = beta_binomial_scenario(
        size=2000, a=20, b=60, draws=20_000, sources=SOURCE.format(c=1, d=30), claims=claims, condition=f"[{ids}]"
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    assert summary.posterior.ess >= 1
    assert math.isfinite(summary.posterior.quantities[0].mean.value)


def test_contradiction_names_the_pair():
    claims = _claim("le", "10", source=None) + _claim("ge", "100", source=None).replace('id = "c"', 'id = "d"')
    text = beta_binomial_scenario(size=300, a=2, b=8, draws=5_000, claims=claims, condition='["c", "d"]')
    with pytest.raises(ConditioningError, match="c and d"):
        simulate(parse_scenario(text), workers=1)


def test_small_ess_warns_with_the_draws_needed():
    text = beta_binomial_scenario(
        size=300, a=2, b=8, draws=5_000, claims=_claim("eq", "3", source=None), condition='["c"]'
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    assert any("effective sample size" in w and "draws would give" in w for w in summary.warnings)


def test_simulation_based_calibration():
    """Draw a truth from the prior, a report from it, condition on the report: the truth's rank is uniform."""
    size, a, b, c, d = 300, 2.0, 10.0, 4.0, 4.0
    rng = np.random.default_rng(20251212)
    ranks = []
    for replication in range(150):
        killed = rng.binomial(size, rng.beta(a, b))
        report = int(np.rint(rng.beta(c, d) * killed))
        text = beta_binomial_scenario(
            size=size,
            a=a,
            b=b,
            draws=4_000,
            seed=replication,
            sources=SOURCE.format(c=c, d=d),
            claims=_claim("eq", str(report)),
            condition='["c"]',
        )
        result = simulate(parse_scenario(text), workers=1)
        pmf = result.posterior.counts["killed"].linear
        pmf = np.pad(pmf, (0, max(0, killed + 1 - pmf.size))) / pmf.sum()
        ranks.append(pmf[:killed].sum() + rng.random() * pmf[killed])
    assert stats.kstest(ranks, "uniform").pvalue > 1e-3


def test_posterior_claim_probabilities_match_the_exact_posterior():
    """A second, unconditioned claim judged under the posterior: its probability is the exact posterior mass."""
    size, a, b, c, d = 200, 2.0, 8.0, 5.0, 5.0
    claims = _claim("eq", "10") + '[[claims]]\nid = "low"\nvalue = 12\nrelation = "le"\n'
    text = beta_binomial_scenario(
        size=size, a=a, b=b, draws=300_000, sources=SOURCE.format(c=c, d=d), claims=claims, condition='["c"]'
    )
    summary = summarize(simulate(parse_scenario(text), workers=1))
    k = np.arange(size + 1)
    prior = stats.betabinom(size, a, b).pmf(k)
    weight = _likelihood("eq", 10, k, stats.beta(c, d))
    evidence = (prior * weight).sum()
    exact = (prior * weight)[k <= 12].sum() / evidence
    # the exact self-normalised importance-sampling error of the weighted frequency (see _check_posterior)
    se = math.sqrt((prior * weight**2 * ((k <= 12) - exact) ** 2).sum() / 300_000) / evidence
    claim = summary.posterior.claims[1]
    assert claim.probability.method == "empirical"
    assert abs(claim.probability.value - exact) < Z * se
    assert claim.probability.mcse == pytest.approx(se, rel=0.1)  # the printed error estimates the exact one


def test_concentrated_posterior_tails_that_round_above_one():
    """Weighted tail sums can round to 1 + 2e-16; the MCSE must not take the root of a negative number."""
    import tomllib

    from sim.config import scenario_from_dict

    document = tomllib.loads((Path(__file__).resolve().parent.parent / "configs" / "kursk.toml").read_text())
    document["sources"]["nis"]["reporting_ratio"] = {"dist": "fixed", "value": 0.45}
    summary = summarize(simulate(scenario_from_dict(document), draws=200_000, workers=1))
    assert all(math.isfinite(c.probability.mcse) for c in summary.posterior.claims)


def test_contradiction_messages_in_full():
    """Each diagnosis word for word: a claim no draw allows, a pair (of one source: the shared ratio), all at once."""
    from sim.inference import diagnose_contradiction

    claims = _claim("eq", "20") + _claim("ge", "10").replace('id = "c"', 'id = "d"')
    scenario = parse_scenario(
        beta_binomial_scenario(size=300, a=2, b=8, draws=10, sources=SOURCE.format(c=2, d=2), claims=claims)
    )
    both = scenario.claims
    assert diagnose_contradiction(both, np.array([[0, 0], [0, 5]]), 1000) == (
        "no draw out of 1,000 allows claim(s) c under the priors; widen the priors or drop the claim from condition_on"
    )
    assert diagnose_contradiction(both, np.array([[5, 0], [0, 5]]), 1000) == (
        "no draw out of 1,000 allows both c and d: these claims contradict each other under the priors"
    )
    assert diagnose_contradiction(both, np.array([[5, 0], [0, 5]]), 1000, scenario=scenario) == (
        "no draw out of 1,000 allows both c and d (both from source s, whose reporting ratio they share: if they are "
        "rival readings of one statement, condition on one; if the ratio may differ between them, set "
        "sources.s.claim_correlation below 1): these claims contradict each other under the priors"
    )
    assert diagnose_contradiction(both, np.full((2, 2), 5), 1000) == (
        "no draw out of 1,000 allows all of c, d at once, although every pair holds somewhere; "
        "the claims jointly contradict the priors"
    )


def test_a_source_estimate_far_in_its_predictive_tail_given_the_other_claim_is_flagged():
    """Two conditioned claims: a source's estimate 100–140 (95% interval) and "at least 300 killed" (a hard
    reading). Given the second, the estimate lies far in the lower tail of its predictive distribution: the run
    says so for the estimate (and the leave-one-out conflict for the other)."""
    claims = (
        '[[claims]]\nid = "est"\nvalue = [100, 140]\nrelation = "between"\ninterval = 0.95\nsource = "s"\n'
        '[[claims]]\nid = "many"\nvalue = 300\nrelation = "ge"\n'
    )
    sources = '[sources.s]\nreporting_ratio = { dist = "lognormal", ci90 = [0.8, 1.25] }\n'
    text = beta_binomial_scenario(
        size=1000, a=2, b=8, draws=20_000, claims=claims, sources=sources, condition='["est", "many"]'
    )
    warnings = summarize(simulate(parse_scenario(text), workers=1)).warnings
    assert any(
        w.startswith("claim est conflicts with the other conditioned claims: given them, the source's estimate")
        for w in warnings
    ), warnings
    assert any(w.startswith("claim many conflicts with the other conditioned claims") for w in warnings), warnings
