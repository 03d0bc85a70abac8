"""HDI end errors when bootstrap replicates of a sparse posterior tally redraw no mass at all."""

from __future__ import annotations

import math

import numpy as np

from sim.mcse import hdi_bootstrap_se


def test_replicates_without_mass_find_no_end_and_break_nothing():
    # Two weighted draws carry the posterior (ESS 2): each bin is redrawn as Poisson(1), so about
    # e^-2 of the replicates hold no mass at all. Those give 0/0 cumulative sums; they must be left
    # out, not poison the other replicates' search (it raised IndexError from a negative index).
    pmf = np.zeros(2_000)
    pmf2 = np.zeros(2_000)
    pmf[[700, 1_400]] = 0.5
    pmf2[[700, 1_400]] = 0.25
    errors = hdi_bootstrap_se(pmf, pmf2, (0.5, 0.95), np.random.default_rng(7))
    assert len(errors) == 4
    for sd, spread in errors:
        assert math.isnan(sd) or sd >= 0
        assert spread is None or all(math.isfinite(x) for x in spread)
