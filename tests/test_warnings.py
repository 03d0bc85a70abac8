"""Warnings said once, grouped with a count, with advice that is right."""

from __future__ import annotations

import re

import pytest

from sim.config import MAX_DRAWS, parse_scenario
from sim.engine import MAX_BINS, simulate
from sim.sensitivity import PointResult, point_warnings
from sim.summary import MIN_ESS, MIN_ESS_FRACTION, ess_warning, said_once, summarize


def _suggested_draws(message: str) -> int | None:
    match = re.search(r"about ([\d,]+) draws would give", message)
    return int(match.group(1).replace(",", "")) if match else None


@pytest.mark.parametrize("draws", [1, 999, 5_000, 100_000, 1_000_000, 10**8])
@pytest.mark.parametrize("share", [1e-6, 1e-4, 1e-3, 0.005, 0.0099, 0.01, 0.5, 1.0])
def test_the_ess_warning_never_suggests_fewer_draws_than_were_run(draws, share):
    ess = max(share * draws, 0.5)
    message = ess_warning(ess, draws)
    if ess >= MIN_ESS and ess >= MIN_ESS_FRACTION * draws:
        assert message is None
        return
    assert message is not None
    suggested = _suggested_draws(message)
    if ess < MIN_ESS and draws * MIN_ESS / ess <= MAX_DRAWS:
        assert suggested is not None and suggested > draws  # ESS grows with the draws: more are needed
        assert suggested * ess / draws >= MIN_ESS - 1e-9
    else:
        assert suggested is None  # more draws cannot fix the share, or more than a run may have


def test_a_small_share_with_enough_draws_says_why_instead_of_a_number():
    message = ess_warning(5_000, 1_000_000)  # the case that used to suggest 200,000 draws after running 1,000,000
    assert "0.5% of 1,000,000 draws" in message
    assert "far from what the priors expect" in message and "not this share" in message
    assert _suggested_draws(message) is None


def test_beyond_the_largest_run_says_so():
    message = ess_warning(0.5, 10**8)
    assert f"more than the {MAX_DRAWS:,} draws a run may have" in message


def test_repeated_messages_are_said_once_with_a_count():
    assert said_once(["a", "b", "a", "a"]) == ("a (3 times)", "b")
    assert said_once([]) == ()


def test_twenty_binned_forces_give_one_warning_per_bin_width():
    forces = "".join(
        f'[forces.p{i:02d}]\nsize = 400_000\nfatality_rate = {{ dist = "beta", a = 2, b = 50 }}\n' for i in range(20)
    )
    summary = summarize(simulate(parse_scenario(f"[simulation]\ndraws = 2_000\n{forces}"), workers=1))
    binned = [w for w in summary.warnings if "tallied in bins of" in w]
    widths = {width for name, width in summary.bin_widths.items() if width > 1}
    assert len(binned) == len(widths) == 2  # the 20 forces in bins of 2, the total in bins of 32
    assert len(summary.warnings) == len(set(summary.warnings))
    per_force = next(w for w in binned if "bins of 2," in w)
    assert per_force.startswith("20 quantities (killed[p00], killed[p01],") and "and 14 more)" in per_force
    assert f"can exceed {MAX_BINS:,}" in per_force
    total = next(w for w in binned if "bins of 32," in w)
    assert total.startswith("killed can exceed")


def test_a_sweep_says_each_warning_once_naming_its_points():
    summary = summarize(simulate(parse_scenario("[forces.a]\nsize = 10\nfatality_rate = 0.1\n"), draws=10, workers=1))
    points = [
        PointResult(
            settings=(("forces.a.size", float(v)),), summary=summary, warning="the claims cannot be conditioned"
        )
        for v in range(10)
    ] + [PointResult(settings=(("forces.a.size", 99.0),), summary=summary, warning="something else")]
    warnings = point_warnings(points)
    assert warnings == (
        "at 10 points (forces.a.size = 0, forces.a.size = 1, forces.a.size = 2, forces.a.size = 3, "
        "forces.a.size = 4, forces.a.size = 5 and 4 more) the claims cannot be conditioned",
        "at forces.a.size = 99 something else",
    )
