"""The error of a mean with a heavy tail (:func:`sim.mcse.pareto_tail_se`) against exact laws.

References: the sample standard deviation over the draws one by one, and the closed-form variance of a
generalised Pareto distribution, ``σ²/((1 − k)²(1 − 2k))`` (finite for ``k < 1/2`` only).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.mcse import pareto_tail_se


def test_a_light_tail_keeps_the_sample_error():
    """Normal draws: the fitted tails' moments are the sample's, so the error is sd/√n to 2%."""
    x = np.random.default_rng(1).normal(size=20_000)
    assert pareto_tail_se(x, np.ones(x.size)) == pytest.approx(x.std() / math.sqrt(x.size), rel=0.02)


def test_tallied_values_give_the_error_of_the_draws_one_by_one():
    """Values with counts (a toll's tally) against the same draws expanded."""
    rng = np.random.default_rng(2)
    values = stats.genpareto.rvs(0.2, size=3_000, random_state=rng)
    counts = rng.integers(1, 20, size=values.size)
    expanded = np.repeat(values, counts)
    shuffled = rng.permutation(values.size)  # the order of the bins does not matter
    expected = pareto_tail_se(expanded, np.ones(expanded.size))
    assert pareto_tail_se(values[shuffled], counts[shuffled]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_pareto_tail_gets_the_exact_error(sign):
    """Draws of a GPD(k = 0.2) (upper tail) or its negative (lower tail): the error against the exact
    sd of the mean, σ/((1 − k)√(1 − 2k))/√n. Over replicates the estimate's relative sd is 2.6% (measured),
    so 10% is four of them."""
    k, n = 0.2, 20_000
    exact = 1 / ((1 - k) * math.sqrt(1 - 2 * k)) / math.sqrt(n)
    x = sign * stats.genpareto.rvs(k, size=n, random_state=np.random.default_rng(3))
    assert pareto_tail_se(x, np.ones(n)) == pytest.approx(exact, rel=0.10)


def test_a_tail_without_variance_has_no_error():
    """GPD(k = 0.7): the variance is infinite, the sample sd is not, and the error is unknown (NaN).
    k̂ from the 3√n = 948 largest draws has sd about (1 + k)/√948 ≈ 0.06, so 0.7 is 3 of them from 0.5."""
    n = 100_000
    x = stats.genpareto.rvs(0.7, size=n, random_state=np.random.default_rng(4))
    assert math.isfinite(x.std())
    assert math.isnan(pareto_tail_se(x, np.ones(n)))
    assert math.isfinite(pareto_tail_se(x[x < 20], np.ones(int((x < 20).sum()))))  # a bounded tail has one
