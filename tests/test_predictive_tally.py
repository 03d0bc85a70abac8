"""Claims' predictive tails P(R ≤ v), P(R ≥ v) computed from the tally of the toll (sim.engine._predictive_means).

``g(T) = P(R ≤ v | T)`` depends on a draw only through its toll, so the engine tallies the toll (Σw, Σw² per value)
and evaluates ``g`` once per value at the end of the run. The sums must be those of ``g`` evaluated on every draw:
checked here against every draw of a run small enough for the reservoir to hold them all, with ``g`` evaluated by
scipy (never by sim's code), on both sides, with the tally alone and with part of the draws beyond the tally's range.
The posterior's predictive tail of a claim not conditioned on is then checked against its exact value by enumeration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim import engine, parse_scenario, simulate, summarize

Z = 4.5  # a 4.5-sigma bound fails falsely ~7e-6 of the time
SIZE, A, B = 400, 2.0, 8.0
DRAWS = 40_000  # all draws fit in the reservoir (100,000): every draw's toll and weight are known
FLOOR = 50  # the conditioned claim: T ≥ 50

SCENARIO = f"""
[scenario]
name = "predictive"
[simulation]
draws = {DRAWS}
seed = 11
chunk_size = 3_000
[forces.unit]
size = {SIZE}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
[sources.s1]
reporting_ratio = {{ dist = "lognormal", mu = 0.0, sigma = 0.25 }}
[sources.s2]
reporting_ratio = {{ dist = "beta", mean = 0.5, sd = 0.1 }}
[[claims]]
id = "c1"
value = 60
source = "s1"
[[claims]]
id = "c2"
value = 40
source = "s2"
[[claims]]
id = "floor"
value = {FLOOR}
relation = "ge"
[inference]
condition_on = ["floor"]
"""

RATIOS = {"c1": (stats.lognorm(s=0.25, scale=1.0), 60), "c2": (stats.beta(12.0, 12.0), 40)}
"""Each claim's reporting-ratio prior (beta with mean 0.5, sd 0.1: a + b = 0.25/0.01 − 1 = 24, a = b = 12), figure."""


def _g(claim: str, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P(round(ρT) ≤ v)`` and ``P(round(ρT) ≥ v)`` at each toll ``t``, by scipy (T = 0: the report is 0)."""
    ratio, v = RATIOS[claim]
    with np.errstate(divide="ignore"):
        at_most, at_least = ratio.cdf((v + 0.5) / t), ratio.sf((v - 0.5) / t)
    return np.where(t == 0, 1.0, at_most), np.where(t == 0, 0.0, at_least)


@pytest.fixture(scope="module")
def result():
    return simulate(parse_scenario(SCENARIO), workers=1)


def _per_draw(result, side: str, claim: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The sums each ``Mean`` holds, from every draw: ``[Σw, Σwg]`` and ``[Σw², Σw²g, Σw²g²]``."""
    t = result.reservoir["killed"].astype(float)
    assert t.size == DRAWS
    w = np.ones(DRAWS)
    if side == "posterior":
        w = np.exp(result.reservoir["log_weight"] - result.posterior.log_scale)
    return {
        kind: (np.array([w.sum(), (w * g).sum()]), np.array([(w * w).sum(), (w * w * g).sum(), (w * w * g * g).sum()]))
        for kind, g in zip(("at_most", "at_least"), _g(claim, t), strict=True)
    }


def _check_sums(result) -> None:
    for side in ("prior", "posterior"):
        sums = getattr(result, side)
        assert sums.truths == {}  # emptied once the means are complete
        for claim in ("c1", "c2"):
            for kind, (linear, quadratic) in _per_draw(result, side, claim).items():
                mean = getattr(sums, kind)[claim]
                np.testing.assert_allclose(mean.linear, linear, rtol=1e-10, err_msg=f"{side} {claim} {kind}")
                np.testing.assert_allclose(mean.quadratic, quadratic, rtol=1e-10, err_msg=f"{side} {claim} {kind}")


def test_tallied_predictive_sums_equal_the_sums_over_every_draw(result):
    _check_sums(result)


def test_draws_beyond_the_tally_are_summed_per_draw(monkeypatch):
    """With the tally cut at 60 (about half the draws beyond it), the two parts add up to the same sums."""
    monkeypatch.setattr(engine, "TRUTH_BINS", 60)
    cut = simulate(parse_scenario(SCENARIO), workers=1)
    t = cut.reservoir["killed"]
    assert 0.2 < (t >= 60).mean() < 0.8
    assert cut.prior.at_most["c1"].linear[0] == DRAWS
    _check_sums(cut)


def test_posterior_predictive_tail_against_enumeration(result):
    """P(R ≤ 60) and P(R ≥ 40) under the posterior given T ≥ 50, for claims not conditioned on.

    Exact: Σ_t π(t | T ≥ 50)·g(t) with π the beta-binomial prior (scipy); the error bound is the self-normalised
    importance sampler's standard error, √(Σ_t p(t)·w(t)²·(g(t) − target)²/n) / Σ_t p(t)·w(t), computed here.
    """
    summary = summarize(result)
    t = np.arange(SIZE + 1, dtype=float)
    prior = stats.betabinom(SIZE, A, B).pmf(t)
    weight = (t >= FLOOR).astype(float)
    posterior = prior * weight / (prior * weight).sum()
    for claim_id in ("c1", "c2"):
        claim = next(c for c in summary.posterior.claims if c.id == claim_id)
        for g, got in zip(_g(claim_id, t), (claim.reported_at_most, claim.reported_at_least), strict=True):
            target = (posterior * g).sum()
            se = math.sqrt((prior * weight**2 * (g - target) ** 2).sum() / DRAWS) / (prior * weight).sum()
            assert abs(got.value - target) < Z * se, (claim_id, got, target, se)
            assert got.mcse == pytest.approx(se, rel=0.1), (claim_id, got, se)


def test_sparse_tallies_merge_into_the_dense_tally_of_all_values():
    """Chunks' sparse tallies, merged with rescaling, equal the bincount of every value (weights and squares)."""
    rng = np.random.default_rng(3)
    chunks = [rng.integers(low, low + 500, size=300) for low in (1_000, 0, 40_000, 20)]
    weights = [rng.random(300) for _ in chunks]
    scales = [1.0, 0.5, 2.0, 0.25]  # each chunk's sums stored divided by its scale, as Sums keep them
    merged = engine.SparseTally.of(chunks[0], weights[0])
    assert merged.linear.size == np.unique(chunks[0]).size  # sent sparse: one number per distinct value
    for values, w, scale in zip(chunks[1:], weights[1:], scales[1:], strict=True):
        merged.merge(engine.SparseTally.of(values, w / scale), 1.0, scale)
    every, w = np.concatenate(chunks), np.concatenate(weights)
    np.testing.assert_allclose(merged.linear, np.bincount(every, weights=w), rtol=1e-12)
    np.testing.assert_allclose(merged.quadratic, np.bincount(every, weights=w * w), rtol=1e-12)
    index, linear, quadratic = merged.nonzero()
    np.testing.assert_array_equal(index, np.unique(every))
    unit = engine.SparseTally.of(chunks[2], None).merge(engine.SparseTally.of(chunks[1], None), 1.0, 1.0)
    index, linear, quadratic = unit.nonzero()
    counts = np.bincount(np.concatenate(chunks[1:3]))
    np.testing.assert_array_equal(linear, counts[index])
    assert quadratic is linear and unit.quadratic is None
