"""Prior-family robustness (`sim robust`): refits are exact, ranges bracket the exact per-family values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, special, stats
from typer.testing import CliRunner

from sim.cli import app
from sim.config import parse_scenario
from sim.display_robust import _range_text, format_bare_probability
from sim.engine import TAIL_SUBSAMPLE, simulate
from sim.priors import interval_of
from sim.robust import (
    ClaimRange,
    RobustError,
    every_family_bound,
    every_family_phrase,
    refits,
    robustness,
)
from sim.summary import Probability, summarize
from sim.text import format_percentile, format_probability

DRAWS = 200_000
N = 2_000
TAIL = 700  # killed ≥ 700 of 2,000: a fatality rate ≥ 0.35, far above the 90% interval [0.05, 0.2]
MIDDLE = (150, 250)

SMALL = f"""
[scenario]
name = "small"
[simulation]
draws = {DRAWS}
seed = 7
[forces.unit]
size = {N}
fatality_rate = {{ dist = "beta", ci90 = [0.05, 0.2] }}
[[claims]]
id = "tail"
value = {TAIL}
relation = "ge"
[[claims]]
id = "middle"
value = [{MIDDLE[0]}, {MIDDLE[1]}]
relation = "between"
"""

KURSK_LIKE = """
[forces.combat]
size = { dist = "pert", low = 12_000, mode = 14_000, high = 15_500 }
fatality_rate = { dist = "beta", ci90 = [0.043, 0.214] }
[forces.engineers]
size = 1000
daily_hazard = { dist = "lognormal", ci = [4e-5, 8e-4], level = 0.95 }
days = 120
[sources.kcna]
reporting_ratio = { dist = "beta", ci90 = [0.35, 0.97] }
[sources.uk]
reporting_ratio = { dist = "lognormal", ci90 = [0.6, 1.7] }
"""


def _reference_ppf(distribution, tails):
    """The quantiles recomputed from the solved parameters with scipy's family functions."""
    if distribution.dist.name == "logitnorm":
        m, s = distribution.args
        return special.expit(stats.norm.ppf(tails, loc=m, scale=s))
    return distribution.dist.ppf(tails, *distribution.args, **distribution.kwds)


def test_every_refit_has_the_stated_interval():
    scenario = parse_scenario(KURSK_LIKE)
    fits = refits(scenario)
    made = {(fit.path, fit.family) for fit in fits if fit.spec is not None}
    assert made >= {
        ("forces.combat.fatality_rate", "logitnormal"),
        ("forces.combat.fatality_rate", "pert"),
        ("forces.engineers.daily_hazard", "gamma"),
        ("forces.engineers.daily_hazard", "pert"),
        ("sources.kcna.reporting_ratio", "logitnormal"),
        ("sources.uk.reporting_ratio", "gamma"),
        ("sources.uk.reporting_ratio", "pert"),
    }
    assert all(fit.path != "forces.combat.size" for fit in fits)  # low/mode/high: no interval to refit
    for fit in fits:
        if fit.spec is None:
            continue
        assert fit.spec.family == fit.family and fit.spec.path == fit.path
        assert interval_of(fit.spec.params) == fit.interval
        tails = [(1 - fit.interval.level) / 2, (1 + fit.interval.level) / 2]
        reference = _reference_ppf(fit.spec.distribution, tails)
        np.testing.assert_allclose(reference, [fit.interval.low, fit.interval.high], rtol=1e-9)


def test_a_refit_that_leaves_the_support_is_skipped_with_its_reason():
    fits = refits(parse_scenario(KURSK_LIKE))
    pert = next(f for f in fits if (f.path, f.family) == ("sources.kcna.reporting_ratio", "pert"))
    assert pert.spec is None and "outside [0, 1]" in pert.reason


def test_the_pert_takes_the_mode_of_the_prior_it_replaces():
    fits = refits(parse_scenario(KURSK_LIKE))
    pert = next(f for f in fits if (f.path, f.family) == ("forces.combat.fatality_rate", "pert"))
    beta = parse_scenario(KURSK_LIKE).forces[0].fatality_rate.distribution
    a, b = beta.args
    assert pert.params["mode"] == pytest.approx((a - 1) / (a + b - 2), rel=1e-6)  # Brent: ~sqrt(eps) in the argmax


def _exact_at_least(density, x: int) -> float:
    """P(K ≥ x) for K ~ Binomial(N, f), f with this density, by quadrature."""
    value, _ = integrate.quad(
        lambda f: stats.binom.sf(x - 1, N, f) * density(f), 0, 1, points=[0.2, 0.3, 0.35, 0.4], limit=400
    )
    return value


def _exact_between(density, low: int, high: int) -> float:
    value, _ = integrate.quad(
        lambda f: (stats.binom.cdf(high, N, f) - stats.binom.cdf(low - 1, N, f)) * density(f),
        0,
        1,
        points=[0.05, 0.1, 0.15, 0.2],
        limit=400,
    )
    return value


def _density(distribution):
    """The density from scipy alone (the logit-normal from the normal on the logit scale)."""
    if distribution.dist.name == "logitnorm":
        m, s = distribution.args
        return lambda f: stats.norm.pdf(special.logit(f), m, s) / (f * (1 - f)) if 0 < f < 1 else 0.0
    frozen = distribution.dist(*distribution.args, **distribution.kwds)
    return frozen.pdf


def _conditional_mcse(survival, x: int, draws: int) -> float:
    """The standard error of the conditional estimator of P(K ≥ x) = E[S_f(X)], X ~ Beta(x, N − x + 1).

    With N fixed, the estimator averages S_f(X) over draws/32 draws of X; its variance is
    E[S_f(X)²] − P², by quadrature over X.
    """
    beta = stats.beta(x, N - x + 1)
    second, _ = integrate.quad(lambda u: survival(u) ** 2 * beta.pdf(u), 0, 1, points=[x / N], limit=400)
    first, _ = integrate.quad(lambda u: survival(u) * beta.pdf(u), 0, 1, points=[x / N], limit=400)
    return math.sqrt(max(second - first**2, 0.0) / (draws / TAIL_SUBSAMPLE))


def test_the_range_brackets_the_exact_value_of_every_family():
    scenario = parse_scenario(SMALL)
    result = robustness(scenario, draws=DRAWS, workers=1)
    assert [v.kind for v in result.variants] == ["baseline", "single", "single"]
    distributions = [scenario.forces[0].fatality_rate.distribution] + [
        fit.spec.distribution for fit in result.refits if fit.spec is not None
    ]
    tail, middle = result.range("tail"), result.range("middle")
    exact_tails = []
    for index, distribution in enumerate(distributions):
        density = _density(distribution)
        exact = _exact_at_least(density, TAIL)
        exact_tails.append(exact)
        p = tail.values[index]
        if p.method == "bound":  # no draw reached the tail: 0 ± 0 is reported as its rule-of-three bound
            assert exact <= p.mcse == 3 / DRAWS and p.value == 0
        else:
            if p.method == "conditional":
                error = _conditional_mcse(lambda u, d=distribution: float(d.sf(u)), TAIL, DRAWS)
            else:
                error = math.sqrt(exact * (1 - exact) / DRAWS)
            assert abs(p.value - exact) <= 5 * error, (result.variants[index].name, p, exact, error)
            assert tail.low.value - 5 * error <= exact <= tail.high.value + 5 * error
        exact_middle = _exact_between(density, *MIDDLE)
        q = middle.values[index]
        error = math.sqrt(exact_middle * (1 - exact_middle) / DRAWS)  # at least the chosen estimator's error
        assert abs(q.value - exact_middle) <= 5 * error, (result.variants[index].name, q, exact_middle)
    # the families disagree in the tail by far more than the Monte Carlo error: the check has something to find
    assert max(exact_tails) / min(exact_tails) > 10
    # the PERT's rate stops at 0.28: P = 5.6e-18, out of reach of 200,000 draws, and said so (not "impossible")
    assert tail.values[2].method == "bound" and 0 < exact_tails[2] < 1e-15


def test_the_posterior_side_is_reported_when_the_scenario_conditions():
    text = SMALL.replace('id = "middle"', 'id = "middle"\nsource = "press"') + (
        '[sources.press]\nreporting_ratio = { dist = "lognormal", ci90 = [0.5, 2.0] }\n'
        '[inference]\ncondition_on = ["middle"]\n'
    )
    result = robustness(parse_scenario(text), draws=20_000, workers=1)
    assert {r.side for r in result.ranges} == {"prior", "posterior"}
    assert any(v.kind == "joint" for v in result.variants)  # two interval priors: joint variants exist
    posterior = result.range("tail", "posterior")
    assert all(v is not None for v in posterior.values)
    # a style that changes one prior only (the ratio is already lognormal) is that prior's single variant
    assert [v.name for v in result.variants if v.kind == "joint"] == ["every interval prior PERT"]
    joint = next(v for v in result.variants if v.kind == "joint")
    assert dict(joint.changes) == {"forces.unit.fatality_rate": "pert", "sources.press.reporting_ratio": "pert"}


def test_refits_change_only_their_prior():
    scenario = parse_scenario(KURSK_LIKE + '[[claims]]\nid = "nine"\nvalue = 9\nscope = ["engineers"]\n')
    result = robustness(scenario, draws=5_000, workers=1)
    variant = next(v for v in result.variants if v.name == "forces.combat.fatality_rate as logitnormal")
    assert variant.changes == (("forces.combat.fatality_rate", "logitnormal"),)
    # the engineers' inputs draw from their own streams: the same numbers in the baseline and this variant
    nine = result.range("nine")
    index = result.variants.index(variant)
    assert nine.values[index] == nine.values[0]


def test_no_interval_prior_is_an_error():
    scenario = parse_scenario('[forces.a]\nsize = 100\nfatality_rate = { dist = "beta", a = 2, b = 8 }\n')
    with pytest.raises(RobustError, match="no prior is given by an interval"):
        robustness(scenario, draws=1_000)


def _range(*values: Probability | None) -> ClaimRange:
    return ClaimRange("c", "c", "prior", "probability", tuple(values), tuple(f"v{i}" for i in range(len(values))))


@pytest.mark.parametrize(
    ("values", "bound"),
    [
        ((Probability(1.5e-5, 1e-7, "conditional"), Probability(2.4e-4, 3e-6, "conditional")), 1e-3),
        ((Probability(1.5e-5, 1e-7, "conditional"), Probability(9.95e-4, 3e-6, "conditional")), 1e-2),
        ((Probability(1.5e-5, 1e-7, "conditional"), Probability(0.02, 1e-3, "empirical")), None),
        ((Probability(0.0, 1e-4, "bound"), Probability(2e-5, 1e-6, "empirical")), 1e-3),
        ((Probability(1e-6, math.nan, "empirical"),), None),
        ((Probability(1e-6, 1e-8, "conditional"), None), None),
        ((Probability(0.0, 0.0, "exact"), Probability(0.0, 0.0, "conditional")), 0.0),
        ((Probability(1e-3, 0.0, "exact"),), 1e-2),
    ],
)
def test_every_family_bound(values, bound):
    assert every_family_bound(_range(*values)) == bound


def test_every_family_phrase():
    claim_range = _range(Probability(1.5e-5, 1e-7, "conditional"), Probability(2.4e-4, 3e-6, "conditional"))
    assert every_family_phrase(claim_range) == "below 1e-3 under every family fitted to the same intervals (2 variants)"
    assert every_family_phrase(_range(Probability(0.3, 1e-3, "empirical"))) is None


def test_a_posterior_percentile_in_the_top_tail_is_never_top_0_percent():
    text = format_percentile(Probability(100.0, 0.0, "bound"), Probability(0.0, 3e-4, "bound"))
    assert text == "within the highest 1 in 3,300"


def test_cli_robust_writes_tables_json_csv_and_figure(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        app, ["robust", str(path), "--draws", "4000", "--workers", "1", "--results", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "Claims across prior families: prior" in result.output and "logitnormal" in result.output
    assert "forces." not in result.output  # the refitted inputs by their labels, not their key paths
    folder = tmp_path / "out" / "small" / "robust"
    assert {p.name for p in folder.iterdir()} >= {
        "robust.json",
        "robust.csv",
        "robust.png",
        "robust.svg",
        "manifest.json",
    }
    data = json.loads((folder / "robust.json").read_text())
    assert [v["kind"] for v in data["variants"]] == ["baseline", "single", "single"]
    assert {c["claim"] for c in data["claims"]} == {"tail", "middle"}
    as_json = runner.invoke(
        app, ["robust", str(path), "--draws", "4000", "--workers", "1", "--results", str(tmp_path / "o2"), "--json"]
    )
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["draws_per_variant"] == 4000


def test_cli_robust_refuses_a_scenario_without_interval_priors(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text('[forces.a]\nsize = 100\nfatality_rate = { dist = "beta", a = 2, b = 8 }\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["robust", str(path), "--results", str(tmp_path)])
    assert result.exit_code == 2
    assert f"error: {path}: no prior is given by an interval" in result.output
    assert "Traceback" not in result.output


def test_a_tail_estimated_at_zero_is_never_printed_as_zero():
    assert format_bare_probability(Probability(0.0, 6.3e-11, "conditional")) == "< 2e-10"
    assert format_bare_probability(Probability(0.0, 0.0, "exact")) == "0 (impossible)"
    assert format_bare_probability(Probability(0.0, 0.0, "conditional")) == "0 (no draw reached it)"
    assert format_bare_probability(Probability(0.0, 1e-4, "bound")) == "< 0.0001"
    assert format_bare_probability(Probability(2.1e-5, 2e-7, "conditional")) == "2.1e-05"
    # of equal values, the lowest is the one known to be smallest: an exact 0 before an estimate of 0 ± 6e-11
    ranged = _range(Probability(0.0, 6.3e-11, "conditional"), Probability(0.0, 0.0, "conditional"))
    assert ranged.lowest == "v1" and ranged.highest == "v0"


def test_a_tail_no_draw_reaches_is_a_rule_of_three_bound_not_zero():
    """Under a PERT rate that stops at 0.28, P(K ≥ 700 of 2,000) is 5.6e-18: no draw, not even the conditional
    estimator's, gets there. The run says < 3/draws (below resolution), never 0 ± 0."""
    text = SMALL.replace('{ dist = "beta", ci90 = [0.05, 0.2] }', '{ dist = "pert", ci90 = [0.05, 0.2], mode = 0.1 }')
    summary = summarize(simulate(parse_scenario(text), draws=DRAWS, workers=1))
    tail = next(c for c in summary.prior.claims if c.id == "tail")
    assert tail.probability == Probability(0.0, 3 / DRAWS, "bound")
    assert format_probability(tail.probability) == "< 2e-05 (below resolution)"
    assert format_percentile(tail.percentile, tail.above) == "within the highest 1 in 67,000"  # 1 / (3 / DRAWS)


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (Probability(0.0, 0.002, "bound"), Probability(0.001, 0.0002, "conditional"), "< 0.002"),
        # the highest's upper limit, 0.0019 + 3 × 0.0005, rounded up
        (Probability(0.0, 0.002, "bound"), Probability(0.0019, 0.0005, "conditional"), "< 0.004"),
        (Probability(0.0, 0.0005, "bound"), Probability(0.001, 0.0002, "conditional"), "< 0.0005 – 0.001"),
        (Probability(0.01, 0.001, "conditional"), Probability(0.03, 0.002, "conditional"), "0.010 – 0.030"),
    ],
)
def test_a_range_whose_low_end_is_a_bound_never_reads_backwards(low, high, text):
    assert _range_text(low, high) == text
