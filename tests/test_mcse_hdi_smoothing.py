"""The smoothing under the bootstrap of HDI ends (:func:`sim.mcse._smooth`) keeps a density's curvature.

How far HDI ends wander is set by the curvature of the density at the ends (Kim and Pollard's scaling), so
the smoothed tally the bootstrap redraws around must keep it: a local quadratic fit reproduces any quadratic
exactly (Fan and Gijbels 1996, §3.2.2), where a Gaussian kernel of bandwidth h adds ``h²·f''/2``.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.mcse import _smooth


@pytest.mark.parametrize("bandwidth", [1.5, 4.0, 9.0])
def test_a_quadratic_is_kept_exactly_away_from_the_ends(bandwidth):
    x = np.arange(400, dtype=float)
    values = 1e5 - 0.5 * (x - 200.0) ** 2 + 3.0 * x  # positive, curved, tilted
    smoothed = _smooth(values, bandwidth, True, True)
    inner = slice(int(8 * bandwidth) + 1, -int(8 * bandwidth) - 1)
    assert smoothed[inner] == pytest.approx(values[inner], abs=1e-6)
    gaussian = np.convolve(values, np.exp(-0.5 * (np.arange(-40, 41) / bandwidth) ** 2), mode="same")
    gaussian /= np.exp(-0.5 * (np.arange(-40, 41) / bandwidth) ** 2).sum()
    # the check can fail: a plain Gaussian kernel is off by h²·f''/2 = -0.5·h² there
    assert gaussian[200] - values[200] == pytest.approx(-0.5 * bandwidth**2, rel=0.01)


def test_narrow_kernels_leave_the_tally_as_it_is():
    values = np.random.default_rng(1).poisson(50, size=100).astype(float)
    assert np.array_equal(_smooth(values, 0.2, True, True), values)
