"""The conditional tail estimator over several forces, against a convolution of exact pmfs.

Two forces of fixed size with Beta fatality rates: each force's killed is beta-binomial and
``P(K_a + K_b ≤ m) = Σ_j P(K_b = j) P(K_a ≤ m − j)`` is exact. The estimator integrates the
larger force and takes the other at its drawn value; its per-draw value is ``F_f(X)`` with
``X ~ Beta(m − K_b + 1, N_a − m + K_b)`` (:mod:`sim.inference`), so its exact variance is
``Σ_j P(K_b = j) E[F_f(X_j)²] − p²``, integrated here by quadrature. The tolerance is 4.5 of
these exact standard errors over the draws the estimator runs on (1/32 of each chunk).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference_cases import conditional_tail_moments, subsample_draws
from scipy import stats

from sim import parse_scenario, simulate, summarize

Z = 4.5
SIZE_A, RATE_A = 14_000, (4.0, 12.0)
SIZE_B, RATE_B = 200, (2.0, 30.0)
POINT = 9
DRAWS, CHUNK = 200_000, 65_536

SCENARIO = f"""
[scenario]
name = "two_force_tail"
[simulation]
draws = {DRAWS}
seed = 17
chunk_size = {CHUNK}
[forces.a]
size = {SIZE_A}
fatality_rate = {{ dist = "beta", a = {RATE_A[0]}, b = {RATE_A[1]} }}
[forces.b]
size = {SIZE_B}
fatality_rate = {{ dist = "beta", a = {RATE_B[0]}, b = {RATE_B[1]} }}
[[claims]]
id = "nine"
value = {POINT}
relation = "le"
"""


def test_two_force_lower_tail_against_a_convolution():
    killed_a = stats.betabinom(SIZE_A, *RATE_A).pmf(np.arange(POINT + 1))
    killed_b = stats.betabinom(SIZE_B, *RATE_B).pmf(np.arange(POINT + 1))
    exact = sum(killed_b[j] * killed_a[: POINT - j + 1].sum() for j in range(POINT + 1))
    moments = [conditional_tail_moments(stats.beta(*RATE_A), POINT - j, SIZE_A) for j in range(POINT + 1)]
    for j, (mean, _) in enumerate(moments):  # the quadrature against the closed form
        assert mean == pytest.approx(killed_a[: POINT - j + 1].sum(), rel=1e-6)
    second = sum(killed_b[j] * moments[j][1] for j in range(POINT + 1))
    se = math.sqrt((second - exact**2) / subsample_draws(DRAWS, CHUNK))
    assert exact < 1e-9 and se < 0.2 * exact  # premise: far below 1/draws, and the estimator resolves it

    claim = summarize(simulate(parse_scenario(SCENARIO), workers=1)).prior.claims[0]
    assert claim.probability.method == "conditional"
    assert abs(claim.probability.value - exact) < Z * se


def test_a_threshold_at_or_above_the_force_size_is_certain():
    """P(K ≤ N) = 1 and P(K > N) = 0 for every draw, whatever the rate: at the size and beyond it."""
    from sim.engine import chunk_streams
    from sim.inference import conditional_cdf
    from sim.model import Quantity, draw_chunk

    scenario = parse_scenario(SCENARIO)
    sample = draw_chunk(scenario, 2_000, chunk_streams(5, 0))
    killed = Quantity("killed", ("a",), "killed[a]")
    for point in (SIZE_A, SIZE_A + 7):
        lower = conditional_cdf(scenario, sample, killed, point, np.random.default_rng(0))
        upper = conditional_cdf(scenario, sample, killed, point, np.random.default_rng(0), upper=True)
        assert np.all(lower == 1.0) and np.all(upper == 0.0), point
