"""The wording layer: every number format, statistic name and label that sim prints, in one place.

The terminal (:mod:`sim.display`), the report, the figures and ``sim compare`` all render from
these functions, so a number is written the same way everywhere and a phrase is fixed once. This
module imports neither rich nor matplotlib: it returns plain strings.

Rules (docs/errors.md, "What the display does"):

- counts carry thousands separators (``13,940``), whole numbers print as whole numbers and large
  values never in exponent notation (``1.398e+04``);
- a Monte Carlo error prints to one significant digit (two from 10 on) and never as ``± 0``;
- a probability below resolution is a bound, said as a bound: ``< 2e-05 (below resolution)``,
  ``within the lowest 1 in 50,000``; never ``0`` and never ``top 0%``;
- a percentile in a far tail is said as odds, ``lowest 1 in 70 million``, never ``1.4e-08th``
  (:func:`format_percentile`);
- one name per statistic: :data:`IMPLIED_RATIO` for the ratio ``v / T`` a claim implies.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config import Scenario
    from sim.priors import PriorSpec
    from sim.summary import ClaimSummary, Estimate, Interval, Probability, RatioClaimSummary

__all__ = [
    "CLAIM_COLUMNS",
    "FAR_TAIL",
    "FIELD_NAMES",
    "FIGURE_TITLES",
    "IMPLIED_RATIO",
    "RATIO_CLAIM_COLUMNS",
    "RELATION_SYMBOLS",
    "at_percentile",
    "claim_names",
    "claim_numbers",
    "claim_says",
    "dates_text",
    "day_text",
    "force_label",
    "format_bytes",
    "format_compact",
    "format_count",
    "format_error",
    "format_estimate",
    "format_interval",
    "format_percentile",
    "format_probability",
    "format_range",
    "format_ratio",
    "format_ratio_interval",
    "format_value",
    "input_label",
    "is_count",
    "loo_flag",
    "one_in",
    "percentile_text",
    "plural",
    "prior_title",
    "probability_text",
    "ratio_numbers",
    "ratio_reading_text",
    "ratio_says",
    "reading_text",
    "shorten",
    "upper_limit",
    "warning_probability",
    "wrap",
]

IMPLIED_RATIO = "claim ÷ truth"
"""The one name of the ratio ``v / T`` between a claim's figure and the true toll it is about."""

CLAIM_COLUMNS = ("Percentile", "P(claim true)", "Claim ÷ truth (95%)", "P(R ≤ v)", "P(R ≥ v)")
"""Headers of the numbers :func:`claim_numbers` returns, in its order (terminal, report and compare)."""

RELATION_SYMBOLS = {"eq": "=", "ge": "≥", "le": "≤", "between": "in"}
"""A claim's relation to its figure as a symbol: ``≥ 6,000 killed``."""

FIGURE_TITLES = {
    "glance": "At a glance: each claim against the toll it is about",
    "toll": "How many died: the distribution of the toll, and the claims",
    "exceedance": "The chance that the toll is at least x",
    "ratios": "What each claim implies about its source: claim ÷ truth",
    "forces": "Killed and casualties by force",
    "priors": "Every assumption: the priors",
    "over_time": "The cumulative toll over time",
}
"""Figure names in report order, with the title each figure carries."""

FIELD_NAMES = {
    "size": "Size",
    "fatality_rate": "Fatality rate",
    "daily_hazard": "Daily hazard",
    "days": "Days deployed",
    "present": "Number present",
    "wounded_per_killed": "Wounded per killed",
    "missing": "Captured or missing",
    "reporting_ratio": "Reporting ratio",
}
"""The readable name of each prior's last key (the field it sets)."""

COUNT_FIELDS = ("size", "missing", "present")
"""Inputs that are whole numbers in the model (people), printed as whole numbers."""


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def format_count(value: float) -> str:
    """A count with thousands separators; one decimal below 100 when not whole: ``13,940``, ``29.9``, ``9``."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "–"
    if abs(value) < 100 and value != round(value):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def format_value(value: float, *, integer: bool = False) -> str:
    """A model input or a prior's statistic: ``13,940`` (separators from 100 on, never ``1.394e+04``),
    ``0.145``, ``5.5e-05``; ``integer`` rounds to a whole number (a count-valued input: ``2``, not ``2.004``)."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "–" if math.isnan(value) else "−∞"
    if integer or abs(value) >= 100:
        return f"{round(value):,}"
    return f"{value:.3g}"


def format_compact(value: float) -> str:
    """A number where a figure has little room (a tornado's pinned inputs and baseline): ``0.0058``, ``0.145``,
    ``13,940``, ``1.4e+06`` (two significant digits below 0.01 and from a million), ``–`` when not finite."""
    if not math.isfinite(value):
        return "–"
    if value != 0 and (abs(value) < 0.01 or abs(value) >= 1e6):
        return f"{value:.2g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_range(low: float, high: float) -> str:
    """Two counts joined by an en dash: ``1,104–2,067``."""
    return f"{format_count(low)}–{format_count(high)}"


def format_error(error: float) -> str:
    """A Monte Carlo error to one significant digit (two from 10 on): ``0.004``, ``0.4``, ``12``, ``1,200``.

    Never ``0`` or ``0.0``: callers print no error at all when it is exactly zero.
    """
    if error >= 9.5:  # two significant digits
        digits = math.floor(math.log10(error)) - 1
        return format_count(round(error / 10**digits) * 10**digits)
    return f"{error:.1g}"


def _others(pair: tuple[float, float]) -> str:
    low, high = pair
    joiner = " or " if high - low == 1 else "–"
    return f"{format_count(low)}{joiner}{format_count(high)}"


def _moves(mcse: float, others: tuple[float, float] | None) -> str | None:
    """How an estimate varies between seeds: ``± 0.4``, ``37 or 38`` (a whole number), ``± ?`` (unknown: the
    run cannot estimate its error), or None (it does not)."""
    if others is not None:
        return _others(others) if others[1] > others[0] else None
    if not math.isfinite(mcse):
        return "± ?"
    if mcse > 0:
        return f"± {format_error(mcse)}"
    return None


def format_estimate(e: Estimate) -> str:
    """``1,544 ± 4``; a whole-number quantile that rarely moves: ``22`` or ``22 (22 or 23)``, the values
    another seed gives 95% of the time; ``15 ± ?`` where the run cannot estimate the error."""
    moves = _moves(e.mcse, e.others)
    if moves is None:
        return format_count(e.value)
    return f"{format_count(e.value)} ({moves})" if e.others is not None else f"{format_count(e.value)} {moves}"


def format_interval(iv: Interval) -> str:
    """``507–3,359 (± 12)``: the larger end error (``± ?`` if either is unknown); ends that are whole numbers
    rarely moving show the values other seeds give instead, ``9–15 (15 or 16)``."""
    ends = ((iv.low_mcse, iv.low_others), (iv.high_mcse, iv.high_others))
    errors = [mcse for mcse, others in ends if others is None]
    largest = math.nan if not all(math.isfinite(e) for e in errors) else max(errors, default=0.0)
    moves = _moves(largest, None)
    parts = [moves] if moves is not None else []
    parts += [_others(others) for _, others in ends if others is not None and others[1] > others[0]]
    suffix = f" ({'; '.join(parts)})" if parts else ""
    return f"{format_range(iv.low, iv.high)}{suffix}"


def upper_limit(value: float) -> str:
    """An upper bound to one significant digit, rounded up so that it stays a bound: ``8.1e-05`` → ``9e-05``,
    ``3e-06`` → ``3e-06`` (``.1g`` alone would round ``1.4e-05`` down to ``1e-05``, a bound 30% too low)."""
    if not value > 0 or not math.isfinite(value):
        return f"{value:.1g}"
    step = 10.0 ** math.floor(math.log10(value))
    return f"{math.ceil(value / step * (1 - 1e-12)) * step:.1g}"


def _bound(p: Probability) -> str:
    """A probability below resolution as the bound it is: ``< 2e-05``, ``> 1 − 6e-06``."""
    return f"< {upper_limit(p.mcse)}" if p.value < 0.5 else f"> 1 − {upper_limit(p.mcse)}"


def format_probability(p: Probability | None) -> str:
    """A probability with its Monte Carlo error: ``0.19 ± 0.0004``, ``8.9e-10 ± 6e-12``,
    ``1 − 7e-07 ± 2e-07`` (near 1, by its distance from 1), ``< 2e-05 (below resolution)``;
    an estimate of 0 with an error is the bound ``< error``."""
    if p is None:
        return ""
    if not math.isfinite(p.value):
        return "–"
    if p.method == "exact":
        return f"{p.value:g}"
    if p.method == "bound":
        return f"{_bound(p)} (below resolution)"
    if 1 - 1e-3 < p.value < 1:  # said by its distance from 1: 0.9999993 is not "1"
        near_one = f"1 − {1 - p.value:.2g}"
        if not math.isfinite(p.mcse):
            return f"{near_one} (error unknown)"
        return near_one if p.mcse == 0 else f"{near_one} ± {format_error(p.mcse)}"
    if not math.isfinite(p.mcse):
        return f"{p.value:.3g} (error unknown)"
    if p.value == 0:
        return f"< {upper_limit(max(p.mcse, 1e-300))}"
    if p.mcse == 0:
        return f"{p.value:.3g}"
    if p.value < 1e-3:
        return f"{p.value:.2g} ± {format_error(p.mcse)}"
    return f"{p.value:.3f} ± {format_error(p.mcse)}"


FAR_TAIL = 1e-3
"""A claim with less than this share of the distribution on its side (below the 0.1th or above the 99.9th
percentile) sits in a far tail, where a percentile needs zeros or an exponent no one would say
(``1.4e-08th``): its place is said as odds instead, ``lowest 1 in 70 million``."""


def _tail(side: str, p: Probability, scale: float) -> str:
    """A far-tail place as odds: ``lowest 1 in 70 million``; a bound as what it bounds, ``within the lowest 1 in
    50,000``; ``p`` is the share on that side in units of ``scale`` (100 for a percentile)."""
    if p.method == "bound" or p.value <= 0:
        return f"within the {side} {one_in(p.mcse / scale)}"
    return f"{side} {one_in(p.value / scale)}"


def format_percentile(p: Probability, above: Probability) -> str:
    """The claim's percentile; in the far tails (:data:`FAR_TAIL`) its place as odds, a bound said as a bound.

    ``45.6th``, ``0.12th``, ``lowest 1 in 70 million``, ``within the lowest 1 in 50,000`` (below resolution),
    ``highest 1 in 48,000``, ``within the highest 1 in 50,000``; ``0th (nothing below)`` and ``100th (nothing
    above)`` only when exactly so. Never ``top 0%``, never ``1.4e-08th``.
    """
    if p.value < 100 * FAR_TAIL:
        if p.method != "bound" and p.value <= 0 and p.mcse <= 0:
            return "0th (nothing below)"
        return _tail("lowest", p, 100)
    if p.value > 100 * (1 - FAR_TAIL):
        if above.method != "bound" and above.value <= 0 and above.mcse <= 0:
            return "100th (nothing above)"
        return _tail("highest", above, 1)
    return f"{p.value:.2f}th" if p.value < 1 or p.value > 99 else f"{p.value:.1f}th"


def percentile_text(claim: ClaimSummary) -> str:
    """The claim's place in the truth's distribution as a noun phrase: ``45.6th percentile``, ``lowest 1 in 70
    million``, ``within the highest 1 in 50,000``, ``0th percentile (nothing below)``."""
    text = format_percentile(claim.percentile, claim.above)
    return text if "1 in" in text else text.replace("th", "th percentile", 1)


def at_percentile(claim: ClaimSummary) -> str:
    """Where the claim sits, to follow "it sits": ``at the 45.6th percentile``, ``in the lowest 1 in 70 million``,
    ``within the highest 1 in 50,000``."""
    text = percentile_text(claim)
    return text if text.startswith("within") else f"in the {text}" if "1 in" in text else f"at the {text}"


def format_ratio(value: float) -> str:
    """A ratio to three significant digits: ``0.00583``, ``1.08``, ``2.9e-05``."""
    if not math.isfinite(value):
        return "∞"
    if value == 0:
        return "0"
    return f"{value:.3g}" if value >= 0.001 else f"{value:.2g}"


def format_ratio_interval(median: float, iv: Interval) -> str:
    """A ratio's median and interval: ``0.941 (0.614–1.5)``."""
    return f"{format_ratio(median)} ({format_ratio(iv.low)}–{format_ratio(iv.high)})"


def one_in(p: float) -> str:
    """A small probability as odds a reader can quote: ``1 in 48,000``, ``1 in 12 billion``."""
    if not p > 0:
        return "never"
    n = 1 / p
    if n < 1.5:
        return "almost certain"
    digits = max(math.floor(math.log10(n)) - 1, 0)
    rounded = round(n / 10**digits) * 10**digits
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if rounded >= scale:
            shown = rounded / scale
            return f"1 in {shown:,.0f} {word}" if shown >= 10 else f"1 in {shown:.2g} {word}"
    return f"1 in {format_count(rounded)}"


def probability_text(p: Probability) -> str:
    """A tail probability with odds: ``2.1e-05 (1 in 47,000)``; ``< 6e-06 (below resolution)`` for a bound."""
    if p.method == "bound":
        return f"{_bound(p)} (below resolution)"
    if p.value <= 0 and p.mcse > 0:
        return f"< {upper_limit(p.mcse)}"
    if p.value > 0.5:
        return f"{p.value:.2g}"
    return f"{p.value:.2g} ({one_in(p.value)})"


def warning_probability(p: Probability) -> str:
    """A probability as a warning states it, with its error: ``0.0021 ± 0.0004``, ``below 6e-06`` (a bound),
    ``0.0021`` (error unknown)."""
    if p.method == "bound":
        return f"below {upper_limit(p.mcse)}"
    if not math.isfinite(p.mcse):
        return f"{p.value:.2g}"
    return f"{p.value:.2g} ± {p.mcse:.1g}"


def format_bytes(size: int) -> str:
    """A file size in megabytes: ``1.25 MB``."""
    return f"{size / 1e6:,.2f} MB"


# ---------------------------------------------------------------------------------------------
# Words and labels
# ---------------------------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    """``1 claim``, ``3 claims``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def shorten(text: str, width: int, *, placeholder: str = " …") -> str:
    """``text`` on one line, cut at a word to at most ``width`` characters with ``placeholder`` if it was longer
    (figures, short of room, use ``"…"``)."""
    return textwrap.shorten(" ".join(text.split()), width, placeholder=placeholder)


def wrap(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters broken at spaces (a run of white space counts as one, a
    word longer than ``width`` keeps a line to itself): figure titles, labels and notes; ``text`` without words."""
    return "\n".join(textwrap.wrap(" ".join(text.split()), width, break_long_words=False)) or text


def reading_text(c: ClaimSummary) -> str:
    """The set of reports a claim covers: ``6,000–6,999``, ``≥ 6,000``, ``9``."""
    return _reading(c.reading_low, c.reading_high, format_count)


def _reading(low: float, high: float | None, number: Callable[[float], str]) -> str:
    """A claim's reading ``[low, high]`` with ``number``: ``low–high``, ``≥ low`` (no upper end) or one number."""
    if high is None:
        return f"≥ {number(low)}"
    if high == low:
        return number(low)
    return f"{number(low)}–{number(high)}"


def claim_says(c: ClaimSummary) -> str:
    """What a claim says, e.g. ``≥ 6,000 casualties``, or its phrase and reading:
    ``"more than 6,000 casualties" → 6,000–6,999``."""
    if c.interval is not None:  # a source's own interval: its estimate is the centre (sim.intervals)
        interval = f"{c.interval:.0%} interval {reading_text(c)}"
        return f'"{c.said}" → {interval}' if c.said else f"{interval} {c.metric} (centre {format_count(c.value)})"
    if c.said:
        return f'"{c.said}" → {reading_text(c)}'
    return f"{RELATION_SYMBOLS[c.relation]} {format_count(c.value)} {c.metric}"


def claim_numbers(c: ClaimSummary) -> tuple[str, ...]:
    """The claim's numbers under :data:`CLAIM_COLUMNS`: percentile, P(claim true), claim ÷ truth (95%),
    P(R ≤ v), P(R ≥ v)."""
    return (
        format_percentile(c.percentile, c.above),
        format_probability(c.probability),
        format_ratio_interval(c.implied_ratio_median, c.implied_ratio),
        format_probability(c.reported_at_most),
        format_probability(c.reported_at_least),
    )


def loo_flag(p: Probability | None) -> str:
    """``conflict`` below 0.01, ``redundant`` above 0.99, else empty (the leave-one-out check's flags)."""
    if p is None or not math.isfinite(p.value):
        return ""
    return "conflict" if p.value < 0.01 else "redundant" if p.value > 0.99 else ""


def day_text(day: date, *, year: bool = True) -> str:
    """A date as a reader writes it: ``28 Mar 2025`` (``28 Mar`` without the year)."""
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


def dates_text(start: date, end: date) -> str:
    """A period as a reader writes it: ``1 Feb – 15 Apr 2025``, ``1 Dec 2024 – 15 Jan 2025``."""
    return f"{day_text(start, year=start.year != end.year)} – {day_text(end)}"


PHASE_KEY = re.compile(r"^phases\[(\d+)\]$")


def force_label(scenario: Scenario, force_id: str, phase: int | None = None) -> str:
    """A force by its label, and one of its phases (0-based ``phase``) by number, name and dates: ``Combat troops
    (...) — phase 1, Combat, first wave (1 Dec 2024 – 15 Jan 2025)``; the id itself for an unknown force."""
    force = next((f for f in scenario.forces if f.id == force_id), None)
    if force is None:
        return force_id
    if phase is None or not 0 <= phase < len(force.phases):
        return force.label
    at = force.phases[phase]
    named = "" if at.label == f"phase {phase + 1}" else f", {at.label}"
    return f"{force.label} — phase {phase + 1}{named} ({dates_text(at.start, at.end)})"


def input_label(path: str, scenario: Scenario) -> str:
    """A readable name for a key path: ``Fatality rate — Combat troops, 11th Corps (...)``; an input of one phase
    of a phased force names the phase and its dates, ``Daily hazard — Combat troops (...) — phase 1, Combat,
    first wave (1 Dec 2024 – 15 Jan 2025)``, so the phases' inputs never read alike."""
    parts = path.split(".")
    field = FIELD_NAMES.get(parts[-1], parts[-1].replace("_", " ").capitalize())
    if parts[0] == "forces" and len(parts) > 2:
        phase = PHASE_KEY.match(parts[2])
        owner = force_label(scenario, parts[1], int(phase.group(1)) if phase else None)
    elif parts[0] == "sources" and len(parts) > 2:
        owner = next((s.label for s in scenario.sources if s.id == parts[1]), parts[1])
    else:
        owner = "all forces"
    return f"{field} — {owner}"


def claim_names(scenario: Scenario, ids: Sequence[str]) -> str:
    """Claims by their labels, ``"; "`` between them (labels may hold commas), or ``nothing``: what a posterior
    conditions on, said the same way in the report, ``sim check`` and ``sim compare``."""
    labels = {claim.id: claim.label for claim in scenario.claims}
    return "; ".join(labels.get(claim_id, claim_id) for claim_id in ids) or "nothing"


def is_count(path: str) -> bool:
    """Whether the input at key ``path`` is a whole number in the model (a size, the missing, those present)."""
    return path.rsplit(".", 1)[-1] in COUNT_FIELDS


def prior_title(spec: PriorSpec, scenario: Scenario) -> str:
    """A readable name for a prior: ``Fatality rate — Combat troops, 11th Corps (...)``."""
    return input_label(spec.path, scenario)


RATIO_CLAIM_COLUMNS = ("Ratio, median (95%)", "Percentile", "P(reading)", "P(reading | others)")
"""The numbers of a ratio claim's row (:func:`ratio_numbers`), in the terminal and the report."""


def ratio_reading_text(c: RatioClaimSummary) -> str:
    """The ratios a ratio claim covers: ``0.29–0.37``, ``≥ 0.3``."""
    return _reading(c.reading_low, c.reading_high, format_ratio)


def ratio_says(c: RatioClaimSummary) -> str:
    """What a ratio claim says: ``"about a third killed" → killed/casualties in 0.29–0.37``."""
    what = f"{c.numerator}/{c.denominator}"
    if c.said:
        return f'"{c.said}" → {what} in {ratio_reading_text(c)}'
    return f"{what} {RELATION_SYMBOLS[c.relation]} {format_ratio(c.value)} (reading {ratio_reading_text(c)})"


def ratio_numbers(c: RatioClaimSummary, *, conditioned: int) -> tuple[str, ...]:
    """The numbers under :data:`RATIO_CLAIM_COLUMNS`; the leave-one-out probability (flagged) where the run
    conditions on more than one claim."""
    widest = c.ratio.eti[-1]
    loo = format_probability(c.loo) if c.loo is not None and conditioned > 1 else ""
    flag = loo_flag(c.loo) if loo else ""
    return (
        f"{format_ratio(c.ratio.median.value)} ({format_ratio(widest.low)}–{format_ratio(widest.high)})",
        format_percentile(c.percentile, c.above),
        format_probability(c.probability),
        f"{loo} ({flag})" if flag else loo,
    )
