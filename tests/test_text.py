"""The wording layer (sim.text): numbers by kind, bounds said as bounds, never "top 0%" or "± 0"."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from sim.summary import Estimate, Interval, Probability
from sim.text import (
    at_percentile,
    format_count,
    format_error,
    format_estimate,
    format_interval,
    format_percentile,
    format_probability,
    format_value,
    one_in,
    percentile_text,
    probability_text,
    upper_limit,
)


def test_counts_and_values_are_never_in_exponent_notation():
    assert format_count(13_943.2) == "13,943"
    assert format_count(29.94) == "29.9"
    assert format_value(13_943.2) == "13,943"
    assert format_value(1_000_000) == "1,000,000"
    assert format_value(999.7) == "1,000"  # not 1e+03
    assert format_value(0.14472) == "0.145"
    assert format_value(2.004, integer=True) == "2"
    assert format_value(5.5e-05) == "5.5e-05"


def test_an_error_that_rounds_to_zero_is_never_printed_as_zero():
    assert format_error(0.04) == "0.04"
    assert format_error(12.3) == "12"
    assert format_estimate(Estimate(1544.0, 4.2)) == "1,544 ± 4"
    assert format_estimate(Estimate(22.0, 0.0)) == "22"
    assert format_interval(Interval(0.95, 9, 15, 0.0, 0.0)) == "9–15"


def test_an_error_the_run_cannot_estimate_is_a_question_mark_not_silence():
    """NaN (unknown) is ``± ?``: printing nothing would read as an exact value."""
    assert format_estimate(Estimate(15.2, math.nan)) == "15.2 ± ?"
    assert format_interval(Interval(0.95, 9, 15, 0.4, math.nan)) == "9–15 (± ?)"
    assert format_interval(Interval(0.95, 9, 15, math.nan, 0.4)) == "9–15 (± ?)"
    assert format_interval(Interval(0.95, 9, 15, 0.4, 2.0)) == "9–15 (± 2)"


@pytest.mark.parametrize(
    ("percentile", "above", "text"),
    [
        (Probability(45.61, 0.1, "conditional"), Probability(0.54, 0.001, "conditional"), "45.6th"),
        (Probability(0.12, 0.001, "conditional"), Probability(0.9988, 0.001, "conditional"), "0.12th"),
        (Probability(99.85, 0.01, "conditional"), Probability(0.0015, 1e-5, "conditional"), "99.85th"),
        (Probability(0.05, 0.001, "conditional"), Probability(1.0, 0.0, "exact"), "lowest 1 in 2,000"),
        (Probability(1.4e-6, 1e-8, "conditional"), Probability(1.0, 0.0, "exact"), "lowest 1 in 71 million"),
        (Probability(0.0, 0.002, "bound"), Probability(1.0, 0.0, "exact"), "within the lowest 1 in 50,000"),
        (Probability(0.0, 0.0, "exact"), Probability(1.0, 0.0, "exact"), "0th (nothing below)"),
        (Probability(100.0, 0.0, "bound"), Probability(0.0, 2e-5, "bound"), "within the highest 1 in 50,000"),
        (
            Probability(100.0, 0.0, "conditional"),
            Probability(0.0, 3e-7, "conditional"),
            "within the highest 1 in 3.3 million",
        ),
        (Probability(100.0, 0.0, "exact"), Probability(0.0, 0.0, "exact"), "100th (nothing above)"),
        (Probability(99.998, 0.0, "conditional"), Probability(2.1e-5, 1e-7, "conditional"), "highest 1 in 48,000"),
    ],
)
def test_percentiles_in_the_far_tails_are_odds_or_bounds_never_zeros_or_exponents(percentile, above, text):
    """Past the 0.1th/99.9th percentile a place is said as odds (FAR_TAIL): 1 / (1.4e-6 / 100) = 71.4 million,
    1 / 2.1e-5 = 47,619 (two significant digits: 48,000); a bound of 0.002 percent is 1 in 50,000."""
    written = format_percentile(percentile, above)
    assert written == text
    assert "top 0%" not in written and "e-" not in written and "0.0" not in written


def test_a_percentile_reads_as_a_phrase_after_it_sits():
    def claim(percentile: Probability, above: Probability) -> SimpleNamespace:
        return SimpleNamespace(percentile=percentile, above=above)

    middle = claim(Probability(45.61, 0.1, "conditional"), Probability(0.54, 0.001, "conditional"))
    far = claim(Probability(1.4e-6, 1e-8, "conditional"), Probability(1.0, 0.0, "exact"))
    bound = claim(Probability(100.0, 0.0, "bound"), Probability(0.0, 2e-5, "bound"))
    assert percentile_text(middle) == "45.6th percentile" and at_percentile(middle) == "at the 45.6th percentile"
    assert at_percentile(far) == "in the lowest 1 in 71 million"
    assert at_percentile(bound) == "within the highest 1 in 50,000"


def test_probabilities_below_resolution_are_bounds():
    assert format_probability(Probability(0.0, 2e-5, "bound")) == "< 2e-05 (below resolution)"
    assert format_probability(Probability(1.0, 6e-6, "bound")) == "> 1 − 6e-06 (below resolution)"
    assert format_probability(Probability(0.0, 6e-11, "conditional")) == "< 6e-11"
    assert format_probability(Probability(0.19, 0.0004, "empirical")) == "0.190 ± 0.0004"
    assert format_probability(Probability(0.9999993, float("nan"), "empirical")) == "1 − 7e-07 (error unknown)"
    assert format_probability(Probability(0.99993, 2e-5, "empirical")) == "1 − 7e-05 ± 2e-05"
    assert probability_text(Probability(0.0, 6e-6, "bound")) == "< 6e-06 (below resolution)"
    assert probability_text(Probability(0.0, 6e-11, "conditional")) == "< 6e-11"
    assert probability_text(Probability(2.1e-5, 1e-7, "conditional")) == "2.1e-05 (1 in 48,000)"


def test_one_in_rounds_odds_to_two_digits():
    assert one_in(1 / 47_619) == "1 in 48,000"
    assert one_in(1 / 1.2e10) == "1 in 12 billion"
    assert one_in(1 / 7.3e8) == "1 in 730 million"  # not "7.3e+02 million"
    assert one_in(1 / 3.3e6) == "1 in 3.3 million"
    assert one_in(1 / 4.56e15) == "1 in 4,600 trillion"
    assert one_in(0.0) == "never"


def test_an_upper_limit_rounds_up_so_it_stays_a_bound():
    assert upper_limit(8.1e-05) == "9e-05"  # .1g would print 8e-05, below the bound
    assert upper_limit(1.4e-05) == "2e-05"
    assert upper_limit(3e-06) == "3e-06"  # an exact digit stays
    assert upper_limit(2.0000000000000003e-05) == "2e-05"  # floating-point noise does not add a digit
    assert upper_limit(9.5e-05) == "0.0001"


def test_the_legend_explains_a_question_mark_only_where_one_is_printed():
    """The toll's legend says what ``± ?`` means when a cell shows it, and stays short otherwise."""
    import io
    from dataclasses import replace

    from rich.console import Console

    from sim import parse_scenario, simulate, summarize
    from sim.display import print_summary

    text = '[forces.a]\nsize = 1000\nfatality_rate = { dist = "beta", a = 2, b = 18 }\n[simulation]\ndraws = 2000\n'
    summary = summarize(simulate(parse_scenario(text), workers=1))

    def legend(s) -> str:
        console = Console(file=io.StringIO(), width=200)
        print_summary(s, console)
        return next(line for line in console.file.getvalue().splitlines() if "standard error" in line)

    assert "± ?" not in legend(summary)
    first = summary.prior.quantities[0]
    unknown = replace(first, mean=Estimate(first.mean.value, math.nan))
    prior = replace(summary.prior, quantities=(unknown, *summary.prior.quantities[1:]))
    assert "(± ?: one this run cannot estimate, docs/errors.md)" in legend(replace(summary, prior=prior))
