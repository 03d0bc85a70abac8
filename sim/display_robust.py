"""Terminal rendering of a prior-family robustness check (``sim robust``)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape

from sim.config import Scenario
from sim.display import print_rows
from sim.robust import SIGMAS, ClaimRange, RobustResult, every_family_bound, upper_bound
from sim.summary import Probability
from sim.text import format_percentile, input_label, upper_limit

__all__ = ["format_bare_probability", "print_robustness"]


def format_bare_probability(p: Probability | None) -> str:
    """A probability without its error: ``0.028``, ``2.1e-05``, ``< 1e-04`` (a bound, or an estimate of 0 plus
    3 MCSE), ``0 (impossible)`` (an exact 0)."""
    if p is None or not math.isfinite(p.value):
        return "–"
    if p.method == "bound" and p.value >= 0.5:
        return f"> 1 − {upper_limit(p.mcse)}"
    if _only_bounded(p):
        return f"< {upper_limit(upper_bound(p))}"
    if p.value <= 0:
        return "0 (impossible)" if p.method == "exact" else "0 (no draw reached it)"
    return f"{p.value:.2g}" if p.value < 1e-3 else f"{p.value:.3f}"


def _only_bounded(p: Probability) -> bool:
    """Whether a small probability is known only by an upper limit: a rule-of-three bound, or an estimate of 0
    whose error says how small it may be (printed ``< limit``)."""
    return (p.method == "bound" and p.value < 0.5) or (p.value <= 0 and p.mcse != 0)


def _percentile(claim_range: ClaimRange, index: int) -> str:
    value, above = claim_range.values[index], claim_range.above[index]
    if value is None or above is None:
        return "–"
    if value.value == 0 and value.mcse == 0 and value.method == "exact":
        return "0th (nothing below)"
    if above.value == 0 and above.mcse == 0 and above.method == "exact":
        return "100th (nothing above)"
    return format_percentile(value, above)


def _range_text(low: Probability | None, high: Probability | None) -> str:
    """``0.012 – 0.031``; when the lowest is only bounded (``< 0.002``) by more than the highest's estimate, one
    bound that every variant lies below, the larger of the two upper limits (:func:`sim.robust.upper_bound`), never
    ``< 0.002 – 0.001``, a range that reads backwards."""
    shown = f"{format_bare_probability(low)} – {format_bare_probability(high)}"
    if low is None or high is None or not _only_bounded(low) or upper_bound(low) < high.value:
        return shown
    return f"< {upper_limit(max(upper_bound(low), upper_bound(high)))}"


def _bound(claim_range: ClaimRange) -> str:
    bound = every_family_bound(claim_range)
    if bound is None:
        return ""
    return "impossible" if bound == 0 else f"< 1e{round(math.log10(bound))}"


def _variant_text(result: RobustResult, name: str, scenario: Scenario) -> str:
    """A variant as a reader names it: ``Daily hazard — Combat troops (...) as gamma``, not its key path."""
    variant = next(v for v in result.variants if v.name == name)
    if variant.kind != "single":
        return name
    path, family = variant.changes[0]
    return f"{input_label(path, scenario)} as {family}"


def print_robustness(result: RobustResult, console: Console, *, scenario: Scenario) -> None:
    """Print each claim's probability and percentile as written and their range across the refitted families
    (inputs by their labels, from ``scenario``)."""
    changed = sum(1 for fit in result.refits if fit.spec is not None)
    priors = len({fit.path for fit in result.refits})
    console.print(
        f"{escape(result.provenance.title)}: {priors} prior(s) given by an interval, {changed} refit(s) in other "
        f"families; {len(result.variants)} variants of {result.draws:,} draws each (seed {result.provenance.seed})."
    )
    header = (
        "Claim",
        "P(true) as written",
        "Range over families",
        "Lowest under",
        "Highest under",
        "Every family",
        "Percentile as written",
        "Percentile range",
    )
    labels = {c.id: c.label for variant in result.variants[:1] for c in variant.summary.prior.claims}
    for side in dict.fromkeys(r.side for r in result.ranges):
        rows = []
        for probability in (r for r in result.ranges if r.side == side and r.statistic == "probability"):
            percentile = result.range(probability.claim, side, "percentile")
            lowest = percentile.variants.index(percentile.lowest)
            highest = percentile.variants.index(percentile.highest)
            rows.append(
                (
                    labels.get(probability.claim, probability.claim),
                    format_bare_probability(probability.baseline),
                    _range_text(probability.low, probability.high),
                    _variant_text(result, probability.lowest, scenario),
                    _variant_text(result, probability.highest, scenario),
                    _bound(probability),
                    _percentile(percentile, 0),
                    f"{_percentile(percentile, lowest)} – {_percentile(percentile, highest)}",
                )
            )
        print_rows(console, f"Claims across prior families: {side}", header, rows, numeric=(1, 2, 5, 6, 7))
    console.print(
        f"[dim]Every family: a power of ten above the claim's probability in every variant, each taken at its "
        f"estimate + {SIGMAS:g} MCSE (or its rule-of-three bound); shown for tails up to 1e-2. Each variant's "
        "values and errors are in robust.csv.[/dim]"
    )
    for fit in result.refits:
        if fit.spec is None:
            what = f"{input_label(fit.path, scenario)} as {fit.family}"
            console.print(f"[dim]not refitted: {escape(what)}: {escape(fit.reason or '')}[/dim]")
