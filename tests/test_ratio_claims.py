"""Ratio claims (issue 11 item 2): exact references by enumeration with scipy.

"About a third killed in action" is the claim ``killed / casualties`` in a reading of ratios. Its likelihood
is the indicator that the simulated ratio lies in the reading (a source's counts share one reporting ratio,
which cancels in their ratio: docs/claims.md). References enumerate killed ``K ~ BetaBinomial(N, a, b)``,
a discrete wounded-per-killed ratio ``w`` and the wounded ``W | K, w ~ Binomial(N − K, 1 − exp(−w·K/(N − K)))``
exactly (sim/model.py's casualty model), never with sim's code. Tolerances: ``Z`` Monte Carlo standard errors
of the exact distribution (``sd/√ESS`` for a posterior mean, ``√(p(1 − p)/n)`` for a prior frequency).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from rich.console import Console
from scipy import stats

from sim import parse_scenario, simulate, summarize
from sim.config import ConfigError
from sim.display import print_summary
from sim.engine import claim_truth, plan_simulation
from sim.text import ratio_numbers

Z = 4.5
N, A, B = 30, 3, 12
W_VALUES, W_WEIGHTS = (1.0, 2.0, 3.0), (0.3, 0.4, 0.3)
DRAWS = 200_000


def _scenario(claim: str, condition: str = '["share"]', draws: int = DRAWS) -> str:
    return f"""
[simulation]
draws = {draws}
seed = 11
[forces.unit]
size = {N}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
[casualties]
wounded_per_killed = {{ dist = "discrete", values = [1.0, 2.0, 3.0], weights = [0.3, 0.4, 0.3] }}
[sources.uk_di]
reporting_ratio = {{ dist = "lognormal", ci90 = [0.7, 1.4] }}
[[claims]]
id = "share"
said = "about a third killed in action"
ratio = {{ numerator = "killed", denominator = "casualties" }}
{claim}
[inference]
condition_on = {condition}
"""


THIRD = 'value = 0.333\nreading = [0.29, 0.37]\nsource = "uk_di"\n'


def _joint() -> np.ndarray:
    """``P(K = k, W = j)`` over k, j in 0..N, mixing over the discrete wounded-per-killed ratio."""
    k = np.arange(N + 1)
    joint = np.zeros((N + 1, N + 1))
    for w, weight in zip(W_VALUES, W_WEIGHTS, strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(k < N, -np.expm1(-w * k / np.maximum(N - k, 1)), 0.0)
        for kk in k:
            joint[kk, : N - kk + 1] += weight * stats.binom(N - kk, q[kk]).pmf(np.arange(N - kk + 1))
    return joint * stats.betabinom(N, A, B).pmf(k)[:, None]


def _ratio_grid() -> np.ndarray:
    k = np.arange(N + 1)[:, None]
    total = k + np.arange(N + 1)[None, :]
    with np.errstate(invalid="ignore"):
        return np.where(total > 0, k / np.maximum(total, 1), np.nan)


def _posterior_mean_check(value: float, weights: np.ndarray, values: np.ndarray, ess: float) -> None:
    weights = weights / weights.sum()
    mean = float((weights * values).sum())
    sd = math.sqrt(float((weights * (values - mean) ** 2).sum()))
    assert abs(value - mean) < Z * sd / math.sqrt(ess), (value, mean)


def test_a_ratio_claim_against_enumeration():
    summary = summarize(simulate(parse_scenario(_scenario(THIRD)), workers=1))
    joint, ratio = _joint(), _ratio_grid()
    inside = (ratio >= 0.29) & (ratio <= 0.37)
    p = float(joint[inside].sum())
    prior, posterior = summary.prior.ratio_claims[0], summary.posterior.ratio_claims[0]
    assert abs(prior.probability.value - p) < Z * math.sqrt(p * (1 - p) / DRAWS), (prior.probability.value, p)
    assert prior.prior_predictive.value == pytest.approx(prior.probability.value)
    # the claim's percentile among draws with a ratio (some casualties): P(t < v) and P(t ≤ v) averaged
    defined = ~np.isnan(ratio)
    below = joint[defined & (ratio <= 0.333)].sum() / joint[defined].sum()
    assert abs(prior.percentile.value / 100 - below) < Z * math.sqrt(below * (1 - below) / DRAWS)
    # the posterior of killed and of casualties, and the ratio's median, given the reading
    posterior_joint = np.where(inside, joint, 0.0)
    k = np.arange(N + 1)[:, None] + 0 * posterior_joint
    ess = summary.posterior.ess
    _posterior_mean_check(summary.posterior.quantities[0].mean.value, posterior_joint, k, ess)
    casualties = next(d for d in summary.posterior.quantities if d.name == "casualties")
    _posterior_mean_check(casualties.mean.value, posterior_joint, k + np.arange(N + 1)[None, :], ess)
    assert posterior.probability.value == 1.0 and posterior.probability.method == "bound"
    assert 0.29 <= posterior.ratio.eti[-1].low <= posterior.ratio.median.value <= posterior.ratio.eti[-1].high <= 0.37
    # the evidence is the claim's prior probability, exactly so in expectation
    assert abs(summary.evidence.log - math.log(p)) < Z * math.sqrt((1 - p) / (p * DRAWS))
    # a ratio claim shares no reporting ratio: its source has no ratio posterior to show
    assert summary.sources == ()


def test_a_ratio_claim_without_a_source_is_the_same_indicator():
    sourced = summarize(simulate(parse_scenario(_scenario(THIRD, draws=20_000)), workers=1))
    bare = summarize(
        simulate(parse_scenario(_scenario(THIRD.replace('source = "uk_di"\n', ""), draws=20_000)), workers=1)
    )
    assert sourced.posterior.quantities[0].mean.value == bare.posterior.quantities[0].mean.value


def test_ge_ratio_claim_and_its_default_reading():
    summary = summarize(simulate(parse_scenario(_scenario('value = 0.5\nrelation = "ge"\n', draws=50_000)), workers=1))
    joint, ratio = _joint(), _ratio_grid()
    p = float(joint[ratio >= 0.5].sum())
    claim = summary.prior.ratio_claims[0]
    assert (claim.reading_low, claim.reading_high) == (0.5, None)
    assert abs(claim.probability.value - p) < Z * math.sqrt(p * (1 - p) / 50_000)


DATED = """
[simulation]
draws = 20_000
seed = 3
[[forces.unit.phases]]
start = 2024-08-06
end = 2024-10-01
present = 1000
fatality_rate = { dist = "beta", a = 2, b = 20 }
[[forces.unit.phases]]
start = 2024-10-01
end = 2025-04-01
present = 1000
fatality_rate = { dist = "beta", a = 2, b = 20 }
[casualties]
wounded_per_killed = 3
[[claims]]
id = "share"
ratio = { numerator = "killed", denominator = "casualties" }
value = 0.25
reading = [0.2, 0.3]
date = 2024-12-01
"""


def test_a_dated_ratio_claim_is_about_the_counts_at_its_date():
    scenario = parse_scenario(DATED)
    claim = scenario.claims[0]
    assert str(claim.as_of) == "2024-12-01"
    plan = plan_simulation(scenario)
    names = {q.name for q in plan.quantities}
    assert {"killed@2024-12-01", "casualties@2024-12-01"} <= names
    metrics = {name: np.array([2, 8]) for name in names}
    metrics["killed@2024-12-01"], metrics["casualties@2024-12-01"] = np.array([1, 0]), np.array([4, 0])
    truth = claim_truth(plan.quantities, claim, metrics)
    assert truth[0] == 0.25 and math.isnan(truth[1])  # 0 of 0: no ratio, no reading holds
    summary = summarize(simulate(scenario, workers=1))
    assert summary.prior.ratio_claims[0].as_of == "2024-12-01"
    assert json.loads(summary.to_json())["prior"]["ratio_claims"][0]["as_of"] == "2024-12-01"
    assert summary.quantity_labels["killed@2024-12-01"] == "Killed by 2024-12-01"
    assert summary.quantity_labels["casualties@2024-12-01"] == "Casualties (killed + wounded) by 2024-12-01"


KILLED_SHARE = 'ratio = { numerator = "killed", denominator = "casualties" }\nvalue = 0.3\n'
GE = 'relation = "ge"\n'


@pytest.mark.parametrize(
    ("claim", "path", "message"),
    [
        (KILLED_SHARE, "reading", "is required"),
        ('ratio = { numerator = "killed" }\nvalue = 0.3\n' + GE, "ratio.denominator", "is required"),
        ('ratio = { numerator = "killed", denominator = "killed" }\nvalue = 0.3\n' + GE, "ratio", "two"),
        (KILLED_SHARE.replace('"killed"', '"kiled"') + GE, "ratio.numerator", "unknown"),
        (KILLED_SHARE.replace(" }", ", extra = 1 }") + GE, "ratio.extra", "unknown"),
        ('ratio = "killed/casualties"\nvalue = 0.3\n' + GE, "ratio", "must be a table"),
        (KILLED_SHARE + 'metric = "killed"\n' + GE, "metric", "either"),
        (KILLED_SHARE + "reading = [0.4, 0.2]\n", "reading", "empty"),
        (KILLED_SHARE + "reading = [0.31, 0.4]\n", "reading", "does not contain"),
        (KILLED_SHARE + GE + "reading = [0.2, inf]\n", "reading", "contradicts"),
        (KILLED_SHARE + "rounding = 0.1\nreading = [0.2, 0.4]\n", "rounding", "counts"),
    ],
)
def test_bad_ratio_claims_name_their_key(claim, path, message):
    text = f"""
[forces.unit]
size = 100
fatality_rate = 0.1
[casualties]
wounded_per_killed = 2
[[claims]]
id = "share"
{claim}
"""
    with pytest.raises(ConfigError) as error:
        parse_scenario(text)
    problems = [str(p) for p in error.value.problems]
    assert any(f"claims[0] (share).{path}" in p and message in p for p in problems), problems


def test_a_ratio_of_a_metric_the_scenario_lacks_is_refused():
    text = """
[forces.unit]
size = 100
fatality_rate = 0.1
[[claims]]
id = "share"
ratio = { numerator = "killed", denominator = "casualties" }
value = 0.3
relation = "ge"
"""
    with pytest.raises(ConfigError) as error:
        parse_scenario(text)
    assert any("ratio.denominator" in str(p) and "casualty model" in str(p) for p in error.value.problems)


def test_the_terminal_and_the_report_show_ratio_claims(tmp_path):
    summary = summarize(simulate(parse_scenario(_scenario(THIRD, draws=20_000)), workers=1))
    console = Console(record=True, width=200)
    print_summary(summary, console)
    text = console.export_text()
    assert "Ratio claims against the simulated ratio" in text
    assert '"about a third killed in action" → killed/casualties in 0.29–0.37' in text
    row = ratio_numbers(summary.posterior.ratio_claims[0], conditioned=1)
    assert row[0].startswith("0.3") and row[3] == ""  # one conditioned claim: no leave-one-out column
