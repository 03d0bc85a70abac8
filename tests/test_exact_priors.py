"""Fixed and discrete priors: the CDF is P(X ≤ x), closed at every atom, and what that means for a claim.

References are sums of the weights written by hand, never sim's own code.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import parse_scenario, simulate, summarize
from sim.priors import build_distribution

VALUES, WEIGHTS = [0.1, 0.25, 0.4], [1.0, 2.0, 1.0]


def _exact_cdf(x: float) -> float:
    return sum(w for v, w in zip(VALUES, WEIGHTS, strict=True) if v <= x) / sum(WEIGHTS)


@pytest.mark.parametrize("x", [0.0, 0.1, 0.17, 0.25, 0.3, 0.4, 0.9])
def test_discrete_cdf_and_sf_are_closed_at_each_atom(x):
    distribution = build_distribution("discrete", {"values": VALUES, "weights": WEIGHTS})
    assert float(distribution.cdf(x)) == pytest.approx(_exact_cdf(x), abs=1e-15)
    assert float(distribution.sf(x)) == pytest.approx(1 - _exact_cdf(x), abs=1e-15)


def test_discrete_ppf_is_the_smallest_value_reaching_the_level():
    """ppf(q) = min{x : F(x) ≥ q} (scipy's convention), exactly at and between the cumulative levels."""
    distribution = build_distribution("discrete", {"values": [0.4, 0.1, 0.25], "weights": [1, 1, 2]})  # unsorted
    levels = [0.0, 0.1, 0.25, 0.26, 0.5, 0.75, 0.76, 1.0]
    expected = [min(v for v in VALUES if _exact_cdf(v) >= q - 1e-15) for q in levels]
    np.testing.assert_array_equal(distribution.ppf(levels), expected)
    assert distribution.mean() == pytest.approx(0.25)
    assert distribution.std() == pytest.approx(np.sqrt((0.15**2 + 0.15**2) / 4))
    assert distribution.support() == (0.1, 0.4)


def test_fixed_cdf_steps_at_its_value():
    distribution = build_distribution("fixed", {"value": 0.5})
    np.testing.assert_array_equal(distribution.cdf([0.4999, 0.5, 0.5001]), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(distribution.sf([0.4999, 0.5, 0.5001]), [1.0, 0.0, 0.0])
    assert float(distribution.ppf(0.3)) == 0.5


def test_a_fixed_reporting_ratio_admits_exactly_the_tolls_of_the_design():
    """Report R = ρT with ρ fixed at ½ and the claim "10": L(T) = F(10.5/T) − F(9.5/T) with F(x) = P(ρ ≤ x).

    Only T = 20 and 21 have L = 1 (at T = 19, 9.5/19 = ½ already counts; at T = 21, 10.5/21 = ½ does), so the
    posterior is the prior restricted to {20, 21}: with T ~ Binomial(40, ½), P(T = 20 | claim) = C(40, 20) /
    (C(40, 20) + C(40, 21)) = 21/41, estimated from the ESS accepted draws (weights are 0 or 1).
    """
    text = """
[simulation]
draws = 40000
seed = 1
[forces.unit]
size = 40
fatality_rate = 0.5
[sources.half]
reporting_ratio = 0.5
[[claims]]
id = "ten"
value = 10
source = "half"
[inference]
condition_on = ["ten"]
"""
    summary = summarize(simulate(parse_scenario(text), workers=1))
    pmf = summary.pmf("posterior", "killed")
    assert set(np.flatnonzero(pmf)) == {20, 21}
    share = 21 / 41  # C(40, 20) / (C(40, 20) + C(40, 21)) = 21/41
    n = summary.posterior.ess
    assert abs(pmf[20] - share) < 4.5 * np.sqrt(share * (1 - share) / n)
