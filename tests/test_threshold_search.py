"""The casualty-tail estimator's threshold draw: the guided search returns exactly what bisection and enumeration give.

``J = max{k ∈ 0..top : h(k) ≥ u}`` for the non-increasing ``h(k) = P(Binomial(N − k, p(k)) ≤ limit − k)``
(:func:`sim.inference._threshold_draw`). The search starts from a normal approximation's answer and
gallops from it; the answer must not depend on that guess. References: ``h`` enumerated over every
``k`` with ``scipy.stats.binom.cdf``, and the predicate search against known answers with good,
bad and absurd guesses.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.inference import _search, _threshold_draw
from sim.model import wounded_probability


def test_search_finds_the_last_true_point_from_any_guess():
    rng = np.random.default_rng(5)
    top = rng.integers(-3, 5_000, 2_000)
    answer = np.minimum(rng.integers(-1, 5_000, top.size), np.maximum(top, -1))
    calls = []

    def holds(rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        assert np.all((k >= 0) & (k <= top[rows]))  # probes stay inside 0..top
        calls.append(k.size)
        return k <= answer[rows]

    for guess in (answer, answer + rng.integers(-3, 4, top.size), rng.integers(-(10**6), 10**6, top.size)):
        calls.clear()
        assert np.array_equal(_search(holds, top, first=guess), answer)
        assert len(calls) <= 2 * 14 + 2  # never much worse than bisection (log2(5000) ≈ 12.3)
    calls.clear()
    assert np.array_equal(_search(holds, top), answer)
    exact_guess = []
    _search(lambda rows, k: (exact_guess.append(k.size), k <= answer[rows])[1], top, first=answer)
    assert len(exact_guess) <= 3  # the right guess: one probe, one step past it


def test_threshold_draw_matches_enumeration_of_the_casualty_tail():
    rng = np.random.default_rng(11)
    n = 300
    size = rng.integers(20, 400, n)
    ratio = rng.uniform(0.5, 4.0, n)
    limit = rng.integers(-5, 450, n)
    u = rng.random(n)

    def stage(rows: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return limit[rows] - k, size[rows] - k, wounded_probability(ratio[rows], k, size[rows])

    top = np.minimum(limit, size)
    expected = np.full(n, -1)
    for i in range(n):
        k = np.arange(max(top[i], -1) + 1)
        h = stats.binom.cdf(limit[i] - k, size[i] - k, wounded_probability(ratio[i], k, size[i]))
        assert np.all(np.diff(h) <= 1e-12)  # h is non-increasing
        held = np.flatnonzero(h >= u[i])
        expected[i] = held[-1] if held.size else -1
    assert np.array_equal(_threshold_draw(stage, top, u), expected)
