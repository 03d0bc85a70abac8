"""The casualty model of issue 12 against exact references: wounded as people, died of wounds.

References are computed here by enumeration with ``scipy.stats`` (never with sim's own code);
tolerances come from the Monte Carlo standard error of a frequency, ``√(p(1 − p)/n)``, with
``p`` the exact probability.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import parse_scenario, simulate, summarize
from sim.config import load_scenario

ROOT = Path(__file__).resolve().parent.parent
Z = 5.0  # a 5-sigma bound on each of a handful of comparisons
SIZE, A, B, RATIO, DIED = 400, 3.0, 20.0, 2.5, 0.2


def _scenario(draws: int, extra: str = "") -> str:
    return f"""
[simulation]
draws = {draws}
seed = 11
[forces.unit]
size = {SIZE}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
wounded_per_killed = {RATIO}
{extra}
"""


def _wounded_given_killed() -> np.ndarray:
    """``P(W = w | K = k)`` for every ``k, w`` in ``0..SIZE``: Binomial(SIZE − k, 1 − exp(−RATIO·k/(SIZE − k)))."""
    k = np.arange(SIZE + 1)[:, None]
    w = np.arange(SIZE + 1)[None, :]
    survivors = SIZE - k
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(survivors > 0, -np.expm1(-RATIO * k / np.maximum(survivors, 1)), 0.0)
    return stats.binom.pmf(w, survivors, q)


def _killed() -> np.ndarray:
    return stats.betabinom.pmf(np.arange(SIZE + 1), SIZE, A, B)


def _sum_pmf(joint: np.ndarray) -> np.ndarray:
    """The pmf of ``i + j`` from a joint pmf ``joint[i, j]``."""
    i, j = np.indices(joint.shape)
    return np.bincount((i + j).ravel(), weights=joint.ravel())


def _tally(result, name: str) -> np.ndarray:
    counts = result.prior.counts[name].linear
    return counts / counts.sum()


def _assert_same_distribution(observed: np.ndarray, exact: np.ndarray, draws: int) -> None:
    """CDF at the deciles within Z standard errors of a frequency, and the mean within Z of its error."""
    size = max(observed.size, exact.size)
    observed, exact = np.pad(observed, (0, size - observed.size)), np.pad(exact, (0, size - exact.size))
    values = np.arange(size)
    exact_cdf, observed_cdf = np.cumsum(exact), np.cumsum(observed)
    for q in np.linspace(0.1, 0.9, 9):
        x = int(np.searchsorted(exact_cdf, q))
        p = exact_cdf[x]
        assert abs(observed_cdf[x] - p) < Z * math.sqrt(p * (1 - p) / draws), (q, x, observed_cdf[x], p)
    mean = (exact * values).sum()
    sd = math.sqrt((exact * (values - mean) ** 2).sum())
    assert abs((observed * values).sum() - mean) < Z * sd / math.sqrt(draws)


def test_casualty_pmf_on_a_small_force_matches_enumeration():
    """C = K + W, K ~ BetaBinomial(400, 3, 20), W | K ~ Binomial(400 − K, 1 − exp(−2.5·K/(400 − K)))."""
    draws = 200_000
    result = simulate(parse_scenario(_scenario(draws)), workers=1)
    joint = _killed()[:, None] * _wounded_given_killed()
    _assert_same_distribution(_tally(result, "casualties"), _sum_pmf(joint), draws)
    # the wounded never outnumber the living, and no point mass at the force size: the pmf decreases into it
    exact = _sum_pmf(joint)
    assert result.prior.counts["casualties"].linear.size <= SIZE + 1
    assert np.all(np.diff(exact[300 : SIZE + 1]) < 0) and exact[SIZE] < 1e-6 and not exact[SIZE + 1 :].any()


def test_wounded_mean_follows_the_ratio_where_feasible():
    """E[W | K] = (N − K)(1 − e^{−x}) with x = w·K/(N − K): w·K(1 − x/2 + …) for light loads, N − K at most."""
    w = np.arange(SIZE + 1)
    mean = (_wounded_given_killed() * w).sum(axis=1)
    k = np.arange(SIZE + 1)
    assert np.all(mean <= RATIO * k + 1e-9) and np.all(mean <= SIZE - k + 1e-9)
    light = RATIO * k / np.maximum(SIZE - k, 1) < 0.1
    assert np.all(mean[light] >= RATIO * k[light] * (1 - 0.05 - 1e-9))


def test_died_of_wounds_is_a_compound_binomial():
    """D | W ~ Binomial(W, 0.2): its pmf, and all deaths K + D, by enumerating K and W."""
    draws = 200_000
    result = simulate(parse_scenario(_scenario(draws, f"died_of_wounds = {DIED}")), workers=1)
    n = np.arange(SIZE + 1)
    died_given_wounded = stats.binom.pmf(n[None, :], n[:, None], DIED)
    joint = _killed()[:, None] * (_wounded_given_killed() @ died_given_wounded)  # P(K = k, D = d)
    summary = summarize(result)
    names = [q.name for q in summary.prior.quantities]
    assert names == ["killed", "casualties", "deaths"]
    _assert_same_distribution(_tally(result, "deaths"), _sum_pmf(joint), draws)
    killed = _killed()
    _assert_same_distribution(_tally(result, "killed"), killed, draws)  # killed stays killed in action


def test_a_died_of_wounds_claim_counts_those_deaths_only():
    draws = 100_000
    claim = '[[claims]]\nid = "dow"\nvalue = 25\nrelation = "ge"\nmetric = "died_of_wounds"\n'
    summary = summarize(simulate(parse_scenario(_scenario(draws, f"died_of_wounds = {DIED}\n" + claim)), workers=1))
    n = np.arange(SIZE + 1)
    died = _killed() @ _wounded_given_killed() @ stats.binom.pmf(n[None, :], n[:, None], DIED)
    exact = died[25:].sum()
    probability = summary.prior.claims[0].probability
    assert abs(probability.value - exact) < Z * math.sqrt(exact * (1 - exact) / draws)


def test_non_battle_deaths_among_the_unwounded():
    """B ~ Binomial(N − K − W, 1 − exp(−b·T)) with a fixed killed count: its mean, enumerated over W."""
    draws = 100_000
    text = f"""
[simulation]
draws = {draws}
seed = 5
[forces.unit]
size = {SIZE}
daily_hazard = 0.0002
days = 100
wounded_per_killed = {RATIO}
non_battle_hazard = 0.001
"""
    result = simulate(parse_scenario(text), workers=1)
    f, p = -math.expm1(-0.0002 * 100), -math.expm1(-0.001 * 100)
    killed = stats.binom.pmf(np.arange(SIZE + 1), SIZE, f)
    joint = killed[:, None] * _wounded_given_killed()  # P(K = k, W = w)
    k, w = np.indices(joint.shape)
    at_risk = np.maximum(SIZE - k - w, 0)
    deaths = np.zeros(SIZE + 1)
    for b in range(SIZE + 1):  # P(K + B = t) = Σ P(K = k, W = w) P(B = t − k | N − k − w)
        np.add.at(deaths, np.minimum(k + b, SIZE).ravel(), (joint * stats.binom.pmf(b, at_risk, p)).ravel())
        if b > 80:  # B ≤ 80 holds all but 1e-30 of the mass (mean 38)
            break
    _assert_same_distribution(_tally(result, "deaths"), deaths, draws)


@pytest.fixture(scope="module")
def shipped() -> dict[str, object]:
    """Every shipped scenario, run at 100,000 draws (prior and its own conditioning)."""
    return {
        path.stem: simulate(load_scenario(path), draws=100_000, workers=1)
        for path in sorted((ROOT / "configs").glob("*.toml"))
    }


def test_no_shipped_casualty_distribution_piles_up_at_the_force_size(shipped):
    """At most 1e-4 of the draws have every survivor wounded (casualties = N + missing).

    The old clip min(round(w·K), N − K) put 8.6% of kursk's prior draws there. Under the new
    model it takes a fatality rate far in a prior's tail (the template's detachment: a hazard
    drawn at 45 times its median, 86% killed, once in 100,000 draws).
    """
    with_casualties = {name: r for name, r in shipped.items() if r.plan.scenario.has_casualties}
    assert {"kursk", "template"} <= set(with_casualties)
    for name, result in with_casualties.items():
        scenario = result.plan.scenario
        for force in scenario.forces:
            casualties = result.reservoir[f"casualties[{force.id}]"]
            everyone = result.reservoir[f"served[{force.id}]"].astype(np.int64)
            if force.missing is not None:
                everyone = everyone + result.reservoir[force.missing.path].astype(np.int64)
            at_size = int(np.count_nonzero(casualties >= everyone))
            assert at_size <= 1e-4 * casualties.size, f"{name}: {at_size} draws have casualties = the force size"


def test_every_printed_hdi_is_nested_in_the_wider_ones(shipped):
    for name, result in shipped.items():
        summary = summarize(result)
        sides = [summary.prior] + ([summary.posterior] if summary.posterior is not None else [])
        for side in sides:
            for distribution in side.quantities:
                for intervals in (distribution.hdi, distribution.eti):
                    ordered = sorted(intervals, key=lambda interval: interval.level)
                    for narrow, wide in itertools.pairwise(ordered):
                        assert wide.low <= narrow.low and narrow.high <= wide.high, (name, distribution.name, ordered)


@pytest.mark.parametrize(("metric", "value"), [("casualties", 399), ("deaths", 280), ("deaths", 330)])
def test_far_tails_of_casualties_and_deaths_integrate_the_fatality_rate(metric, value):
    """P(T ≥ v) far below 1/draws, against enumeration: the killed estimator at a random threshold J."""
    draws = 20_000
    claim = f'[[claims]]\nid = "many"\nvalue = {value}\nrelation = "ge"\nmetric = "{metric}"\n'
    summary = summarize(simulate(parse_scenario(_scenario(draws, f"died_of_wounds = {DIED}\n" + claim)), workers=1))
    joint = _killed()[:, None] * _wounded_given_killed()  # P(K = k, W = w)
    if metric == "casualties":
        exact = _sum_pmf(joint)[value:].sum()
    else:
        n = np.arange(SIZE + 1)
        exact = _sum_pmf(joint @ stats.binom.pmf(n[None, :], n[:, None], DIED))[value:].sum()  # K + D
    assert exact < 1 / draws
    probability = summary.prior.claims[0].probability
    assert probability.method == "conditional" and probability.value > 0
    assert abs(probability.value - exact) < Z * probability.mcse
    assert probability.mcse < exact  # a relative error well under 100%


@pytest.mark.parametrize(
    ("extra", "metric", "value"),
    [
        (f"died_of_wounds = {DIED}", "casualties", 50),
        (f"died_of_wounds = {DIED}", "wounded", 35),
        (f"died_of_wounds = {DIED}", "died_of_wounds", 10),
        (f"died_of_wounds = {DIED}", "deaths", 22),
        ("non_battle_hazard = 0.001", "deaths", 60),
    ],
)
def test_tail_estimates_through_the_last_binomial_against_enumeration(extra, metric, value):
    """With a fixed hazard no rate is integrated out: ``P(T ≥ v)`` is estimated per draw by the metric's last
    binomial given the draws before it (:meth:`sim.model.ForceDraws.last_stage`), ``h = P(Binomial(n, p) ≥ v − r)``:
    the wounded among the N − K survivors (casualties, wounded), the died of wounds among the W wounded (died of
    wounds; deaths without non-battle deaths), the non-battle deaths among the N − K − W unwounded (deaths). The
    mean of h over the draws against its exact mean, enumerated over (K, W), within Z of its exact standard error."""
    from sim.engine import chunk_streams
    from sim.inference import conditional_cdf
    from sim.model import Quantity, draw_chunk

    draws = 20_000
    text = f"[simulation]\ndraws = {draws}\n[forces.unit]\nsize = {SIZE}\ndaily_hazard = 0.0002\ndays = 100\n"
    scenario = parse_scenario(text + f"wounded_per_killed = {RATIO}\n{extra}\n")
    sample = draw_chunk(scenario, draws, chunk_streams(23, 0))
    estimate = conditional_cdf(
        scenario, sample, Quantity(metric, ("unit",), metric), value - 1, np.random.default_rng(1), upper=True
    )

    f, b = -math.expm1(-0.0002 * 100), -math.expm1(-0.001 * 100)
    joint = stats.binom.pmf(np.arange(SIZE + 1), SIZE, f)[:, None] * _wounded_given_killed()  # P(K = k, W = w)
    k, w = np.indices(joint.shape)
    need = value if metric in ("wounded", "died_of_wounds") else value - k  # the last binomial's count beyond r
    trials, p = {
        "casualties": (SIZE - k, None),
        "wounded": (SIZE - k, None),
        "died_of_wounds": (w, DIED),
        "deaths": (w, DIED) if "died_of_wounds" in extra else (np.maximum(SIZE - k - w, 0), b),
    }[metric]
    if p is None:  # the wounded: Binomial(N − K, q(K))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(SIZE - k > 0, -np.expm1(-RATIO * k / np.maximum(SIZE - k, 1)), 0.0)
    h = stats.binom.sf(need - 1, trials, p)
    exact = (joint * h).sum()
    se = math.sqrt(((joint * h**2).sum() - exact**2) / estimate.size)
    assert 1e-4 < exact < 0.05, exact  # premise: a tail, not the bulk
    assert abs(estimate.mean() - exact) < Z * se, (estimate.mean(), exact, se)


def test_died_of_wounds_over_forces_counts_none_for_a_force_without_the_fraction():
    """A force without ``died_of_wounds`` adds no deaths of wounds to a total over forces (not an error), and claims
    on the wounded and on the died of wounds are judged like any other."""
    text = """
[simulation]
draws = 4000
seed = 3
[forces.a]
size = 400
fatality_rate = 0.05
wounded_per_killed = 2.0
died_of_wounds = 0.2
[forces.b]
size = 300
fatality_rate = 0.05
wounded_per_killed = 2.0
[[claims]]
id = "dow"
value = 5
metric = "died_of_wounds"
[[claims]]
id = "hurt"
value = 40
metric = "wounded"
"""
    result = simulate(parse_scenario(text), workers=1)
    assert np.array_equal(_tally(result, "died_of_wounds"), _tally(result, "died_of_wounds[a]"))
    assert _tally(result, "died_of_wounds").size > 1  # force a's deaths of wounds vary
    claims = {c.id: c for c in summarize(result).prior.claims}
    assert 0 < claims["dow"].probability.value < 1 and 0 < claims["hurt"].probability.value < 1


def test_a_ratio_claim_against_enumeration_prior_and_posterior():
    """The share K/(K + W) of the casualties killed, claimed "at least 0.3" (an open reading), against the joint pmf
    of (K, W) enumerated: P(claim true) on the prior, and on the posterior given K ≥ 20 (a hard constraint: the
    accepted draws are m = n·P(K ≥ 20)) the claim's percentile 100·(P(R < x) + P(R ≤ x))/2 among the draws where
    the share is defined (K + W > 0)."""
    draws = 100_000
    claims = (
        '[[claims]]\nid = "share"\nratio = { numerator = "killed", denominator = "casualties" }\nvalue = 0.3\n'
        'relation = "ge"\n[[claims]]\nid = "many"\nvalue = 20\nrelation = "ge"\n[inference]\ncondition_on = ["many"]\n'
    )
    summary = summarize(simulate(parse_scenario(_scenario(draws, claims)), workers=1))
    joint = _killed()[:, None] * _wounded_given_killed()  # P(K = k, W = w)
    k, w = np.indices(joint.shape)
    defined = (k + w) > 0
    share = np.where(defined, k / np.maximum(k + w, 1), np.nan)

    exact = (joint * (share >= 0.3)).sum()
    prior = summary.prior.ratio_claims[0].probability
    assert abs(prior.value - exact) < Z * math.sqrt(exact * (1 - exact) / draws), (prior, exact)
    order = np.argsort(share[defined])
    cdf = np.cumsum(joint[defined][order]) / joint[defined].sum()
    quartiles = share[defined][order][np.searchsorted(cdf, [0.25, 0.75])]
    assert quartiles[0] < summary.prior.ratio_claims[0].ratio.median.value < quartiles[1]  # the share's distribution

    posterior_joint = joint * (k >= 20) * defined
    accepted = draws * (joint * (k >= 20)).sum()
    posterior_joint = posterior_joint / posterior_joint.sum()
    below, at_most = (posterior_joint * (share < 0.3)).sum(), (posterior_joint * (share <= 0.3)).sum()
    percentile = 100 * (below + at_most) / 2
    se = 100 * math.sqrt(at_most * (1 - at_most) / accepted)
    printed = summary.posterior.ratio_claims[0].percentile
    assert abs(printed.value - percentile) < Z * se, (printed, percentile, se)
    assert below < at_most  # premise: the value is a share some draws hit exactly, so both tails matter
