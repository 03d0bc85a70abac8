"""Numerical edges through ``sim run --json``: each gives the right answer or a clear error, never NaN.

``Summary.to_json`` turns NaN and infinities into ``null``, so "never NaN" means: every number
a reader relies on (moments, quantiles, intervals, claim probabilities and percentiles, ESS)
is a finite number in summary.json. The documented exception is the implied ratio ``v / T``,
which is ``null`` where it is undefined or infinite (a claim against a truth that is 0).
"""

from __future__ import annotations

import json
import math
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim import parse_scenario, simulate, summarize
from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
Z = 4.0
runner = CliRunner()


@pytest.fixture
def run_json(tmp_path: Path, staging_hook):
    """Run scenario text (or a file) through ``sim run --json``; return the exit code and the output or summary."""
    staging_hook(None)

    def run(text: str | Path, *options: str) -> tuple[int, Any]:
        config = text if isinstance(text, Path) else tmp_path / "edge.toml"
        if not isinstance(text, Path):
            config.write_text(text, encoding="utf-8")
        args = ["run", str(config), "--json", "--workers", "1", "--results", str(tmp_path / "results"), *options]
        result = runner.invoke(app, args)
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            return result.exit_code, result.output
        return 0, json.loads(result.stdout)

    return run


def assert_numbers(summary: dict[str, Any], *, errors: bool = True) -> None:
    """Every statistic a reader relies on is a finite number (not null) on each side.

    With ``errors=False`` the Monte Carlo errors may be null (undefined below two effective draws).
    """
    for side in (summary["prior"], summary["posterior"]):
        if side is None:
            continue
        assert math.isfinite(side["ess"]) and side["ess"] > 0
        for q in side["quantities"]:
            for key in ("mean", "sd", "median"):
                assert math.isfinite(q[key]["value"]), (q["name"], key)
            for key in ("mean", "median"):
                assert not errors or math.isfinite(q[key]["mcse"]), (q["name"], key, "mcse")
            for interval in q["eti"] + q["hdi"]:
                assert math.isfinite(interval["low"]) and math.isfinite(interval["high"]), q["name"]
        for c in side["claims"]:
            for key in ("percentile", "below", "above", "probability"):
                assert math.isfinite(c[key]["value"]), (c["id"], key)
                assert not errors or math.isfinite(c[key]["mcse"]), (c["id"], key, "mcse")


def quantity(side: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in side["quantities"] if q["name"] == name)


def claim(side: dict[str, Any], claim_id: str) -> dict[str, Any]:
    return next(c for c in side["claims"] if c["id"] == claim_id)


def assert_always(q: dict[str, Any], value: float) -> None:
    """The quantity is ``value`` in every draw: moments, median and every interval say so exactly."""
    assert (q["mean"]["value"], q["sd"]["value"], q["median"]["value"]) == (value, 0.0, value)
    assert all((iv["low"], iv["high"]) == (value, value) for iv in q["eti"] + q["hdi"])


SIMULATION = "[simulation]\ndraws = 3_000\nseed = 5\nchunk_size = 1_000\n"


def test_fatality_rate_exactly_zero(run_json):
    text = (
        SIMULATION
        + """
[forces.a]
size = { dist = "integer_uniform", low = 900, high = 1100 }
fatality_rate = 0
[[claims]]
id = "none"
value = 0
[[claims]]
id = "some"
value = 1
relation = "ge"
[inference]
condition_on = ["none"]
"""
    )
    code, summary = run_json(text)
    assert code == 0, summary
    assert_numbers(summary)
    for side in (summary["prior"], summary["posterior"]):
        assert_always(quantity(side, "killed"), 0.0)
        assert claim(side, "none")["probability"]["value"] == 1.0
        assert claim(side, "none")["percentile"]["value"] == 50.0
        assert claim(side, "some")["probability"]["value"] == 0.0
    assert summary["posterior"]["ess"] == 3000.0  # every draw satisfies the claim: weights all 1
    assert claim(summary["prior"], "none")["implied_ratio_median"] is None  # 0 / 0 is undefined: null, documented


def test_fatality_rate_exactly_one(run_json):
    text = (
        SIMULATION
        + """
[forces.a]
size = 1_000
fatality_rate = 1
[[claims]]
id = "all"
value = 1_000
[[claims]]
id = "fewer"
value = 999
relation = "le"
"""
    )
    code, summary = run_json(text)
    assert code == 0, summary
    assert_numbers(summary)
    prior = summary["prior"]
    assert_always(quantity(prior, "killed"), 1000.0)
    assert claim(prior, "all")["probability"]["value"] == 1.0
    assert claim(prior, "all")["implied_ratio_median"] == 1.0
    assert claim(prior, "fewer")["probability"]["value"] == 0.0


def test_a_force_of_size_zero_and_a_scope_whose_truth_is_always_zero(run_json):
    text = (
        SIMULATION
        + """
[forces.a]
size = { dist = "integer_uniform", low = 900, high = 1100 }
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03 }
[forces.reserve]
size = 0
fatality_rate = { dist = "beta", mean = 0.5, sd = 0.2 }
[sources.s]
reporting_ratio = { dist = "beta", mean = 0.5, sd = 0.2 }
[[claims]]
id = "reserve_zero"
value = 0
scope = ["reserve"]
[[claims]]
id = "reserve_zero_reported"
value = 0
scope = ["reserve"]
source = "s"
"""
    )
    code, prior_only = run_json(text)
    assert code == 0, prior_only
    code, summary = run_json(text, "--condition", "all")
    assert code == 0, summary
    assert_numbers(summary)
    for side in (summary["prior"], summary["posterior"]):
        assert_always(quantity(side, "killed[reserve]"), 0.0)
        for claim_id in ("reserve_zero", "reserve_zero_reported"):
            assert claim(side, claim_id)["probability"]["value"] == 1.0
    # Both claims hold in every draw (L = 1 when T = 0 and v = 0): the posterior is the prior.
    assert summary["posterior"]["ess"] == 3000.0
    assert summary["posterior"]["quantities"] == summary["prior"]["quantities"] == prior_only["prior"]["quantities"]


def test_a_report_of_the_dead_when_none_can_have_died_cannot_be_conditioned_on(run_json, tmp_path: Path):
    text = (
        SIMULATION
        + """
[forces.reserve]
size = 0
fatality_rate = 0.5
[sources.s]
reporting_ratio = { dist = "beta", mean = 0.5, sd = 0.2 }
[[claims]]
id = "five_reported"
value = 5
source = "s"
[inference]
condition_on = "all"
"""
    )
    code, output = run_json(text)
    assert code == 1
    assert "cannot condition: no draw out of 3,000 allows claim(s) five_reported" in output
    assert not (tmp_path / "results").exists()


def test_claims_no_draw_satisfies_exit_1_naming_the_claim(run_json, tmp_path: Path):
    text = (
        SIMULATION
        + """
[forces.a]
size = 1_000
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03 }
[[claims]]
id = "too_many"
value = 999
relation = "ge"
[[claims]]
id = "plausible"
value = 100
relation = "ge"
[inference]
condition_on = "all"
"""
    )
    code, output = run_json(text)
    assert code == 1
    assert "error:" in output and "too_many" in output and "plausible" not in output
    assert not (tmp_path / "results").exists()
    code, summary = run_json(text, "--condition", "plausible")  # the other claim alone is fine
    assert code == 0, summary
    assert_numbers(summary)


def test_a_single_draw(run_json):
    """One draw (conditioned on one claim: one draw cannot meet them all): its value is every statistic, errors are
    undefined (null) or positive, never a precise 0,
    and the ESS warning prints plain percentages."""
    code, summary = run_json(ROOT / "configs" / "kursk.toml", "--draws", "1", "--condition", "kim_nine_528th")
    assert code == 0, summary
    assert summary["draws"] == 1 and summary["prior"]["ess"] == 1.0
    assert_numbers(summary, errors=False)
    killed = quantity(summary["prior"], "killed")
    assert killed["mean"]["value"] == killed["median"]["value"]
    assert all(iv["low"] == iv["high"] == killed["median"]["value"] for iv in killed["eti"])
    errors = [killed["mean"]["mcse"]] + [c["probability"]["mcse"] for c in summary["prior"]["claims"]]
    assert all(error is None or error > 0 for error in errors), errors
    assert summary["warnings"] and not any("e+" in warning for warning in summary["warnings"])


MILLIONS = """
[simulation]
draws = 20_000
seed = 1
[forces.a]
size = 10_000_000
fatality_rate = { dist = "uniform", low = 0.4, high = 0.6 }
[[claims]]
id = "quarter"
value = 2_500_000
"""


def test_ten_million_soldiers(run_json):
    text = MILLIONS + 'relation = "ge"\n[[claims]]\nid = "half"\nvalue = 5_000_000\nrelation = "ge"\n'
    text += '[inference]\ncondition_on = ["quarter"]\n'
    code, summary = run_json(text)
    assert code == 0, summary
    assert_numbers(summary)
    killed = quantity(summary["prior"], "killed")
    width = summary["bin_widths"]["killed"]
    assert width > 1 and any("bins of" in warning for warning in summary["warnings"])
    # E[K] = N·E[f] = 5,000,000 and Var K = N² Var f + N E[f(1 − f)] (f ~ U(0.4, 0.6): Var f = 0.2²/12), exactly
    n, draws = 10_000_000, 20_000
    se = math.sqrt((n * n * 0.2**2 / 12 + n * (0.5 - 0.25 - 0.2**2 / 12)) / draws)
    assert abs(killed["mean"]["value"] - 5_000_000) < Z * se + width / 2
    assert killed["mean"]["mcse"] == pytest.approx(se, rel=0.1)  # its own error: ~1/√(2·draws), 0.5%
    # by symmetry of f around 1/2, P(K ≥ N/2) = 1/2 + P(K = N/2)/2 ≈ 1/2 + 5e-7; sim reports the frequency or
    # the conditional estimate, whichever is more precise: its error is at most the frequency's, √(¼/draws)
    half = claim(summary["prior"], "half")["probability"]
    assert abs(half["value"] - 0.5) < Z * math.sqrt(0.25 / draws) + 1e-6
    assert summary["posterior"]["ess"] == 20_000.0  # K ≥ N/4 in every draw


def _peak_memory(text: str) -> float:
    """Peak memory (MiB, as traced by tracemalloc: numpy arrays included) of simulating and summarising."""
    scenario = parse_scenario(text)
    tracemalloc.start()
    try:
        summarize(simulate(scenario, workers=1)).to_json()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_ten_million_soldiers_need_little_memory():
    assert _peak_memory(MILLIONS) < 40


def test_ten_million_soldiers_with_a_sourced_claim_need_little_memory():
    sourced = MILLIONS + 'source = "s"\n[sources.s]\nreporting_ratio = { dist = "beta", mean = 0.5, sd = 0.1 }\n'
    assert _peak_memory(sourced) < 40


def test_a_posterior_concentrated_in_few_draws_still_describes_the_reports(run_json):
    """The reports are tallied on every draw: a posterior held by a few hundred of 4,000 draws has them."""
    text = """
[simulation]
draws = 4_000
seed = 2
[forces.a]
size = 1_000
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03 }
[sources.s]
reporting_ratio = { dist = "beta", mean = 0.5, sd = 0.1 }
[[claims]]
id = "rare"
value = 190
relation = "ge"
[[claims]]
id = "reported"
value = 50
source = "s"
[inference]
condition_on = ["rare"]
"""
    code, summary = run_json(text)
    assert code == 0, summary
    assert summary["posterior"]["ess"] > 10  # a small but usable posterior: every draw in it has T ≥ 190
    reports = claim(summary["posterior"], "reported")
    assert reports["reported_median"] > 50  # R = round(ρ·T), ρ ≈ 0.5, T ≥ 190
    assert reports["reported_at_most"]["value"] is not None
