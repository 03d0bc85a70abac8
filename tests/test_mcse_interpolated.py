"""The error of a histogram's interpolated quantile (:func:`sim.mcse.interpolated_quantile_se`).

Posterior inputs and reporting ratios are read from 2,048-bin histograms, their quantiles interpolated
within a bin. With many draws the estimate's spread is a small part of a bin: its error must not carry
the spacing of a grid, nor count the bin's own Σw² as if each part of the bin were independent.
References: the delta method for the interpolated CDF written out by hand from the draws, and the
spread of the estimate over independent samples (tolerance from that spread's own error).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.mcse import interpolated_quantile_se

EDGES = np.linspace(-6.0, 6.0, 65)  # bins of 0.19: the median's sd at 10^5 draws is 0.004, 1/50 of a bin


def _histogram(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = np.clip(np.searchsorted(EDGES, values, side="right") - 1, 0, EDGES.size - 2)
    total = weights.sum()
    pmf = np.bincount(index, weights=weights, minlength=EDGES.size - 1) / total
    pmf2 = np.bincount(index, weights=weights * weights, minlength=EDGES.size - 1) / total**2
    return np.cumsum(pmf), np.cumsum(pmf2)


def _interpolated(cdf: np.ndarray, q: float) -> float:
    return float(np.interp(q, np.concatenate([[0.0], cdf]), EDGES))


def test_a_spread_within_one_bin_is_the_delta_method_of_the_interpolated_cdf():
    """Q̂ = e + Δ·(q − F̂(e))/p̂ in its bin: sd = Δ/p̂ · √(Σ wⱼ² (gⱼ − q)²)/Σw, with g = 1 below the bin,
    the fraction t = (Q̂ − e)/Δ inside it and 0 above (Glynn 1996, for the interpolated CDF)."""
    rng = np.random.default_rng(3)
    values = rng.standard_normal(100_000)
    weights = rng.exponential(size=values.size)  # uneven weights
    cdf, cdf2 = _histogram(values, weights)
    for q in (0.025, 0.5, 0.9):
        estimate = _interpolated(cdf, q)
        i = int(np.searchsorted(EDGES, estimate, side="right") - 1)
        width = EDGES[i + 1] - EDGES[i]
        t = (estimate - EDGES[i]) / width
        g = np.where(values < EDGES[i], 1.0, np.where(values < EDGES[i + 1], t, 0.0))
        se_cdf = math.sqrt((weights**2 * (g - q) ** 2).sum()) / weights.sum()
        inside = (values >= EDGES[i]) & (values < EDGES[i + 1])
        density = weights[inside].sum() / weights.sum() / width
        sd, _ = interpolated_quantile_se(cdf, cdf2, EDGES, q)
        assert sd == pytest.approx(se_cdf / density, rel=0.02), q


def test_the_error_is_the_spread_over_independent_samples_far_below_a_bin():
    """200 samples of 10^5 standard normals: the errors against the spread of the estimates. SD(z) is known
    to ±1/√400 = 0.05; 0.2 is four of those. A grid of 16 points a bin (1/16 of 0.19 against a spread of
    0.004) made the errors several times too large."""
    q = 0.5
    estimates, errors = [], []
    for seed in range(200):
        values = np.random.default_rng(seed).standard_normal(100_000)
        cdf, cdf2 = _histogram(values, np.ones(values.size))
        estimates.append(_interpolated(cdf, q))
        errors.append(interpolated_quantile_se(cdf, cdf2, EDGES, q)[0])
    estimates, errors = np.array(estimates), np.array(errors)
    z = (estimates - estimates.mean()) / errors
    assert math.sqrt(np.mean(z**2) * 200 / 199) == pytest.approx(1.0, abs=0.2)
    # and both against the exact asymptotic sd of a sample median, √(π/2)/√n, as interpolation leaves it
    assert np.median(errors) == pytest.approx(math.sqrt(math.pi / 2 / 100_000), rel=0.05)
    assert stats.tstd(estimates) == pytest.approx(math.sqrt(math.pi / 2 / 100_000), rel=0.2)


def test_draws_in_one_bin_leave_the_estimate_where_it_is():
    """Every draw in one bin: F̂ rises linearly across it whatever the draws, so the interpolated quantile
    cannot move (error 0; interpolating Σw² gave it t(1 − t)/n), and another seed's value is in that bin."""
    cdf = np.zeros(EDGES.size - 1)
    cdf[20:] = 1.0
    cdf2 = np.where(cdf > 0, 1 / 50, 0.0)  # 50 unit-weight draws
    for q in (0.025, 0.5, 0.975):
        assert interpolated_quantile_se(cdf, cdf2, EDGES, q) == (0.0, (EDGES[20], EDGES[21]))
