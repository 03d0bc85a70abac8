"""Markdown and self-contained HTML reports of a run, and the plain sentences that explain each claim.

A report is built once as a list of blocks (headings, paragraphs, tables, figures) and rendered
twice: ``report.md`` (figures linked from ``figures/``) and ``report.html`` (one file: figures
inline as base64 PNG, CSS inline with a print style, no script; the only links are the
scenario's citation URLs). Every sentence about a claim is generated from its numbers by
:func:`claim_sentence`. This module does not import matplotlib: figures are drawn by
:mod:`sim.figures` only when asked for.

Why one module: a report is one list of blocks rendered twice (Markdown and HTML) from the claims' sentences
built here; the wording of numbers is :mod:`sim.text` and the figures :mod:`sim.figures`.
"""

from __future__ import annotations

import base64
import html
import math
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sim import escape
from sim.citations import SourceEntry, cited_ids, find_source_list, read_source_list, split_citations
from sim.config import METRIC_NOUNS, Scenario
from sim.priors import PriorSpec
from sim.raster import display_slices, figure_inches
from sim.results import RunData, load_run
from sim.storage import write_atomic
from sim.summary import ClaimSummary, Distribution, Probability, RatioClaimSummary, Side, Summary
from sim.text import (
    CLAIM_COLUMNS,
    FIGURE_TITLES,
    RATIO_CLAIM_COLUMNS,
    at_percentile,
    claim_names,
    claim_numbers,
    claim_says,
    day_text,
    format_count,
    format_probability,
    format_range,
    format_ratio,
    format_value,
    loo_flag,
    percentile_text,
    plural,
    prior_title,
    probability_text,
    ratio_numbers,
    ratio_reading_text,
    ratio_says,
    reading_text,
)

__all__ = [
    "claim_sentence",
    "figure_caption",
    "ratio_sentence",
    "render_run",
    "report_blocks",
    "report_html",
    "report_markdown",
    "resolution",
    "verdict",
    "write_report",
]

# A claim's percentile in the truth's distribution, and what it says about the claim.
VERDICTS = (
    (0.1, "is far below any plausible value of"),
    (2.5, "is implausibly low for"),
    (10.0, "is low but possible for"),
    (90.0, "is consistent with"),
    (97.5, "is high but possible for"),
    (99.9, "is implausibly high for"),
    (math.inf, "is far above any plausible value of"),
)
# Implied ratio (claim ÷ truth) outside [UNDER, OVER] reads as strong under- or over-reporting.
UNDER, OVER = 0.5, 2.0
# A source's predictive tail probability below TINY is "only p", below UNLIKELY "unlikely".
TINY, UNLIKELY = 1e-3, 0.05

# A claim's relation and metric as its sentence says them: "at least 6,000 dead" (config.METRIC_NOUNS: in tables).
RELATION_WORDS = {"eq": "", "ge": "at least ", "le": "at most ", "between": ""}
METRIC_WORDS = {
    "killed": "dead",
    "casualties": "casualties",
    "wounded": "wounded",
    "died_of_wounds": "died of wounds",
    "deaths": "dead of all causes",
}


# ---------------------------------------------------------------------------------------------
# Wording shared by the figures and the report
# ---------------------------------------------------------------------------------------------


def resolution(side: Side) -> float:
    """The smallest tail probability a side's draws resolve: the rule-of-three bound 3 / ESS.

    Below it the summary reports bounds ("below resolution"), so the exceedance curves stop there.
    """
    return 3 / side.ess if side.ess > 0 else 1.0


def _percent(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "∞"
    return f"{100 * ratio:,.0f}%" if ratio >= 1 else f"{100 * ratio:.2g}%"


def _fold(ratio: float) -> str:
    return f"{ratio:.2g}" if math.isfinite(ratio) else "∞"


def _among(scope: tuple[str, ...], scenario: Scenario) -> str:
    """``across the whole deployment``, ``among the 528th Engineer Regiment``: who a claim is about."""
    group = scenario.group_of(scope)
    if group is not None:
        return f"among {group.label}"
    if len(scope) == len(scenario.forces) and len(scenario.forces) > 1:
        return "across the whole deployment"
    labels = {force.id: force.label for force in scenario.forces}
    names = [labels[force_id] for force_id in scope]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"among {joined}"


def _scope_phrase(claim: ClaimSummary, scenario: Scenario) -> str:
    """``deaths across the whole deployment``, ``casualties (killed and wounded) among the 528th ...``."""
    noun = "deaths" if claim.metric == "killed" else METRIC_NOUNS[claim.metric]
    return f"{noun} {_among(claim.scope, scenario)}"


def _verdict(percentile: float) -> str:
    return next(words for bound, words in VERDICTS if percentile < bound)


def verdict(claim: ClaimSummary) -> str:
    """The verdict on a claim in a few words, as the at-a-glance figure says it: ``consistent with the truth``,
    ``far below any plausible value``; the same thresholds as :func:`claim_sentence`'s."""
    words = _verdict(claim.percentile.value).removeprefix("is ")
    return words.removesuffix(" of").removesuffix(" for").replace("consistent with", "consistent with the truth")


def claim_sentence(
    claim: ClaimSummary, *, scenario: Scenario, posterior: ClaimSummary | None = None, conditioned: int = 0
) -> str:
    """One plain paragraph on a claim, generated from its numbers.

    The verdict comes from the claim's percentile in the prior predictive distribution of the
    truth (below 2.5 or above 97.5: implausible; below 0.1 or above 99.9: far outside), the
    reporting clause from the implied ratio claim ÷ truth (median below 0.5 with the whole 95%
    interval below 1: counting only a fraction; median above 2 with the interval above 1:
    overstating; a median outside [0.5, 2] whose interval includes 1: maybe a full count, maybe
    not), the source clause from the predictive tail probability of the report under the
    source's reporting-ratio prior (for an implausible claim that this prior makes unremarkable:
    the bias explains it), and the last sentence from the posterior when the run conditions on
    claims. No clause contradicts another: each says only what its own numbers support.

    Parameters
    ----------
    claim : ClaimSummary
        The claim's prior-predictive statistics.
    scenario : Scenario
        For the forces' and sources' labels.
    posterior : ClaimSummary, optional
        The same claim's posterior statistics.
    conditioned : int
        How many claims the posterior conditions on.

    Returns
    -------
    str
    """
    noun = METRIC_WORDS[claim.metric]
    about = "about " if claim.relation == "eq" and scenario.claim(claim.id).rounding > 1 else ""
    figure = f"{about}{RELATION_WORDS[claim.relation]}{format_count(claim.value)} {noun}"
    if claim.said:
        figure = f"“{claim.said}” (read as {reading_text(claim)} {noun})"
    source = scenario.source(claim.source).label if claim.source else None
    subject = f"The figure of {figure}" + (f" from {source}" if source else "")
    p = claim.percentile.value
    median = claim.implied_ratio_median
    interval = claim.implied_ratio
    if median < UNDER and interval.high < 1:
        reporting = f"would mean counting only {_percent(median)} of them (95%: {_percent(interval.low)}–"
        reporting += f"{_percent(interval.high)})"
    elif median > OVER and interval.low > 1:
        reporting = f"would mean overstating them {_fold(median)}-fold (95%: {_fold(interval.low)}–"
        reporting += f"{_fold(interval.high)}-fold)"
    elif UNDER <= median <= OVER:
        reporting = f"is close to the truth (claim ÷ truth {format_ratio(median)}, 95%: "
        reporting += f"{format_ratio(interval.low)}–{format_ratio(interval.high)})"
    else:  # the median says under- or overstated, but its 95% interval includes an exact count
        reporting = f"may or may not be a full count: claim ÷ truth {format_ratio(median)} at the median, "
        reporting += f"anywhere from {format_ratio(interval.low)} to {format_ratio(interval.high)} (95%)"
    plausible = 2.5 <= p <= 97.5
    biased = not (UNDER <= median <= OVER) and not interval.low <= 1 <= interval.high
    joiner = "but" if plausible == biased else "and"
    sentences = [f"{subject} {_verdict(p)} the {_scope_phrase(claim, scenario)} ({percentile_text(claim)})"]
    sentences[0] += f" {joiner} {reporting}."
    if source is not None and claim.reported_at_most is not None and claim.reported_at_least is not None:
        low = p < 50
        tail = claim.reported_at_most if low else claim.reported_at_least
        direction = "this low" if low else "this high"
        given = f"Given the reporting bias assumed for {source}, a report {direction}"
        if tail.value < TINY:
            sentences.append(f"Even g{given[1:]} has a probability of only {probability_text(tail)}.")
        elif tail.value < UNLIKELY:
            sentences.append(f"{given} is unlikely (probability {tail.value:.2g}).")
        elif not plausible:  # implausible as the truth, yet what this source would often say: the bias explains it
            sentences.append(
                f"The bias assumed for {source} explains it: a report {direction} has probability "
                f"{tail.value:.2g} under it."
            )
        else:
            sentences.append(f"{given} is unremarkable (probability {tail.value:.2g}).")
    if posterior is not None:
        after = f"After conditioning on {plural(conditioned, 'claim')}, it sits {at_percentile(posterior)}"
        if posterior.ratio_posterior is not None and source is not None:
            rho = posterior.ratio_posterior
            iv = rho.eti[-1]
            after += (
                f", and {source}'s reporting ratio is estimated at {format_ratio(rho.median.value)} "
                f"({iv.level:.0%}: {format_ratio(iv.low)}–{format_ratio(iv.high)})"
            )
        sentences.append(after + ".")
        if claim.shares_ratio_with and source is not None:
            sentences.append(
                f"It shares {source}'s reporting ratio with {', '.join(claim.shares_ratio_with)}: one bias per source."
            )
        sentences += _loo_sentence(posterior.loo, conditioned)
    return " ".join(sentences)


def _loo_sentence(loo: Probability | None, conditioned: int) -> list[str]:
    """The leave-one-out check in words, where the run conditions on more than one claim (else nothing)."""
    if loo is None or conditioned <= 1:
        return []
    flag = loo_flag(loo)
    verdict = {"conflict": " — it conflicts with them", "redundant": " — it adds nothing to them"}.get(flag, "")
    probability = probability_text(loo)
    return [f"Given the other conditioned claims, its reading has probability {probability} (leave-one-out){verdict}."]


def ratio_sentence(
    claim: RatioClaimSummary, *, scenario: Scenario, posterior: RatioClaimSummary | None = None, conditioned: int = 0
) -> str:
    """One plain paragraph on a ratio claim ("about a third of the casualties killed"), generated from its numbers.

    The verdict comes from the claim's percentile in the prior predictive distribution of the ratio
    ``numerator ÷ denominator`` over its forces, with the thresholds of :func:`claim_sentence`; then the ratio's
    median and 95% interval and the probability of the claim's reading; then, when the run conditions on claims,
    the same after conditioning. A source's reporting ratio cancels in a ratio of its own counts, so no clause
    speaks of the source's bias (docs/claims.md). Each clause says only what its own numbers support.

    Parameters
    ----------
    claim : RatioClaimSummary
        The ratio claim's prior-predictive statistics.
    scenario : Scenario
        For the forces' and sources' labels.
    posterior : RatioClaimSummary, optional
        The same claim's posterior statistics.
    conditioned : int
        How many claims the posterior conditions on.

    Returns
    -------
    str
    """
    what = f"{METRIC_NOUNS[claim.numerator]} ÷ {METRIC_NOUNS[claim.denominator]}"
    figure = f"{RELATION_WORDS[claim.relation]}{format_ratio(claim.value)}"
    if claim.said:
        figure = f"“{claim.said}” (read as {ratio_reading_text(claim)})"
    source = scenario.source(claim.source).label if claim.source else None
    subject = f"The figure of {figure}" + (f" from {source}" if source else "")
    dated = f" by {day_text(date.fromisoformat(claim.as_of))}" if claim.as_of else ""
    sentences = [
        f"{subject} {_verdict(claim.percentile.value)} the ratio {what} {_among(claim.scope, scenario)}{dated} "
        f"({percentile_text(claim)}): {_ratio_spread(claim)}."
    ]
    if posterior is not None:
        after = f"After conditioning on {plural(conditioned, 'claim')}"
        if posterior.conditioned:  # held to its reading: its probability there is 1, not news
            sentences.append(f"{after}, this one among them, {_ratio_spread(posterior, reading=False)}.")
        else:
            sentences.append(f"{after}, it sits {at_percentile(posterior)}: {_ratio_spread(posterior)}.")
        sentences += _loo_sentence(posterior.loo, conditioned)
    return " ".join(sentences)


def _ratio_spread(claim: RatioClaimSummary, *, reading: bool = True) -> str:
    """``the ratio has median 0.262 (95%: 0.137–0.452), and the reading 0.29–0.37 has probability 0.25``; without
    ``reading``, the ratio ``held to the reading 0.29–0.37``."""
    widest = claim.ratio.eti[-1]
    spread = f"the ratio has median {format_ratio(claim.ratio.median.value)} ({widest.level:.0%}: "
    spread += f"{format_ratio(widest.low)}–{format_ratio(widest.high)})"
    if not reading:
        return f"{spread}, held to the reading {ratio_reading_text(claim)}"
    return (
        f"{spread}, and the reading {ratio_reading_text(claim)} has probability {format_probability(claim.probability)}"
    )


def _levels_text(levels: Sequence[float]) -> str:
    return "/".join(f"{100 * level:g}" for level in levels) + "%"


def figure_caption(name: str, run: RunData) -> str:
    """The caption of figure ``name`` of a run: what is drawn, and how to read it."""
    summary = run.summary
    sides = "Blue: the prior predictive (the priors alone)"
    if summary.posterior is not None:
        n = len(summary.condition_on)
        sides += f"; orange: the posterior, conditioned on {plural(n, 'claim')}"
    levels = _levels_text(summary.levels)
    bars = f"Bars under the curves: the {levels} equal-tailed credible intervals, dot the median."
    captions: dict[str, Callable[[], str]] = {
        "glance": lambda: (
            "One row per claim, in the order of the list above: the diamond is the claim's figure, the bars the "
            f"{levels} equal-tailed credible intervals of the true toll over the claim's own scope and metric "
            f"(log scale; each row has its own scope), dot the median. {sides}. Right: the verdict, from the "
            "claim's percentile in the prior predictive distribution of the truth (below 2.5 or above 97.5: "
            "implausible; below 0.1 or above 99.9: far outside)."
        ),
        "toll": lambda: (
            f"Distribution of the true toll on a log scale (probability per equal step of the log scale), one "
            f"panel per scope and metric the claims are about. {bars} Dashed lines: the claims, each labelled "
            f"with its percentile in the distribution of the truth (far-tail percentiles are estimated, not "
            f"counted). {sides}."
        ),
        "exceedance": lambda: (
            "Probability that the true toll is at least x, as '1 in N', on log–log axes. Each curve stops (a "
            "tick) at 3 ÷ its effective sample size, the smallest probability its draws resolve ("
            + "; ".join(f"{tag} {resolution(side):.1g}" for tag, side in summary.sides())
            + "). A claim at or above the bulk of the distribution is a point at P(toll ≥ claim), from the "
            "conditional tail estimator, which reaches below where the curves stop (▼: only an upper bound). "
            "A claim below the distribution, such as an 'at most' claim, is a dashed line only: its label "
            f"quotes P(toll ≤ claim), which this axis does not show. {sides}."
        ),
        "ratios": lambda: (
            "For each claim, the ratio claim ÷ truth it implies (log scale; 1 means the claim is the truth, "
            "0.01 that it shows 1% of the toll, 3 that it triples it), with the source's prior reporting "
            f"ratio ρ in green where the claim names a source. {bars} {sides}."
        ),
        "forces": lambda: (
            f"Killed (and casualties) for each force and in total: median and {levels} equal-tailed credible "
            f"intervals, log scale; the column on the right gives the median and the widest interval. {sides}."
        ),
        "priors": lambda: (
            "Each uncertain input's prior density as the scenario states it (blue), with its units and source "
            "(a long source by the first document it cites and how many more; the table of priors quotes it in "
            "full); orange: its posterior after conditioning, for the reporting ratio of each source whose claims "
            "are conditioned on too (a histogram of the weighted draws). Fixed inputs are listed in the table of "
            "priors."
        ),
        "over_time": lambda: (
            f"The cumulative toll of the forces with dated phases: median and {levels} bands on each date the "
            "engine tallies (every phase's start and end and every dated claim's date, over all draws), "
            "straight between them; within a phase deaths fall as its hazard says. Dated claims about the "
            "same toll are points (ranges for rounded figures) at their dates."
        ),
    }
    return captions[name]()


# ---------------------------------------------------------------------------------------------
# Blocks: the report's content, rendered to Markdown and to HTML
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A citation link: only http(s) URLs from the scenario become links."""

    text: str
    url: str


Inline = str | Link


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    parts: tuple[Inline, ...]
    small: bool = False


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Inline | tuple[Inline, ...], ...], ...]
    numeric: tuple[int, ...] = ()
    text: tuple[int, ...] = ()
    """Columns of prose, kept wide enough to read (never one or two words a line)."""
    long: tuple[int, ...] = ()
    """Columns of long prose (sources), given the most room."""
    code: tuple[int, ...] = ()
    """Columns of long unbroken strings (hashes, paths, commands), broken anywhere rather than overflow."""

    def kind(self, column: int) -> str:
        """The column's CSS class: ``num``, ``long``, ``text``, ``code``, ``tag`` (an unnamed column), or ``""``."""
        for kind, columns in (("num", self.numeric), ("long", self.long), ("text", self.text), ("code", self.code)):
            if column in columns:
                return kind
        return "" if self.headers[column] else "tag"


@dataclass(frozen=True)
class FigureBlock:
    name: str
    title: str
    caption: str
    png: Path


@dataclass(frozen=True)
class Items:
    items: tuple[tuple[Inline, ...], ...]


Block = Heading | Paragraph | Table | FigureBlock | Items


def _link(text: str, url: str | None) -> Inline:
    target = escape.safe_url(url)
    return Link(text, target) if target is not None else text


def _cited(text: str, sources: dict[str, SourceEntry]) -> tuple[Inline, ...]:
    """A text with each ``[id]`` it cites linked to that document's URL in the source list."""
    parts: list[Inline] = []
    for piece in split_citations(text):
        if isinstance(piece, str):
            parts.append(piece)
            continue
        parts.append("[")
        for index, source_id in enumerate(piece):
            entry = sources.get(source_id)
            parts += ["; "] if index else []
            parts.append(_link(source_id, entry.url if entry else None))
        parts.append("]")
    return tuple(parts)


def _source_list(run: RunData) -> dict[str, SourceEntry]:
    """The project's source list nearest the run folder or the scenario file (empty if there is none)."""
    config = Path(str(run.manifest.get("config_file") or run.path)).resolve().parent
    path = find_source_list(run.path.resolve(), config)
    return read_source_list(path.read_text(encoding="utf-8")) if path is not None else {}


def _sources_blocks(scenario: Scenario, sources: dict[str, SourceEntry]) -> list[Block]:
    """The documents the scenario cites by ``[id]``, with outlet, date and a link to each."""
    ids = cited_ids(scenario.text)
    if not ids:
        return []
    rows = tuple((_link(i, sources[i].url), sources[i].outlet, sources[i].date) for i in ids if i in sources)
    blocks: list[Block] = [Heading(2, "Sources", "sources")]
    if rows:
        blocks.append(Table(("Id", "Outlet", "Date"), rows, text=(1,)))
    missing = [i for i in ids if i not in sources]
    if missing:
        where = (
            "in docs/sources.md" if sources else "because no docs/sources.md was found beside the run or the scenario"
        )
        blocks.append(Paragraph((f"Cited by the scenario but not listed {where}: {', '.join(missing)}.",), small=True))
    return blocks


def _params(spec: PriorSpec) -> str:
    values = ", ".join(f"{key}={value}" for key, value in spec.params.items())
    return f"{spec.family}({values})"


def _method(summary: Summary, scenario: Scenario) -> list[Block]:
    forces = len(scenario.forces)
    text = (
        f"{summary.draws:,} Monte Carlo draws (seed {summary.seed}). Each draw samples every prior in the table "
        f"below, then the number killed in each of the {plural(forces, 'force')} exactly from a "
        f"binomial distribution (force size × fatality rate)"
    )
    if any(force.phases for force in scenario.forces):
        text += (
            ", phase by phase for a force deployed in dated phases (those present × the phase's fatality rate), "
            "with a claim dated during the phases judged against the toll on its date"
        )
    if scenario.has_casualties:
        text += (
            ", the wounded among the survivors (wounded per killed × killed woundings falling at random on the "
            "survivors), casualties as the killed plus the wounded, plus any captured or missing, and deaths of "
            "wounds among the wounded where the scenario gives a fraction"
        )
    text += (
        ". Each claim is then placed in the distribution of the true value over its scope and metric. "
        f"Probabilities smaller than 1 in {summary.draws:,} are estimated by integrating the fatality rate "
        "through its prior, so they are small numbers with a stated error rather than 0."
    )
    blocks: list[Block] = [Paragraph((text,))]
    if summary.posterior is not None:
        names = claim_names(scenario, summary.condition_on)
        blocks.append(
            Paragraph(
                (
                    f"The posterior conditions on {plural(len(summary.condition_on), 'claim')} ({names}): the same "
                    "draws are weighted by how likely each claim is given the draw's true toll and its source's "
                    "reporting-ratio prior (a claim without a source must hold exactly). Effective sample size: "
                    f"{summary.posterior.ess:,.0f} of {summary.draws:,} draws.",
                )
            )
        )
    blocks.append(Paragraph((f"In technical terms: {summary.method}",), small=True))
    return blocks


def _priors_table(scenario: Scenario, sources: dict[str, SourceEntry]) -> Table:
    rows = []
    for spec in scenario.priors():
        d = spec.describe()
        source = _cited(spec.source, sources) if spec.source else ("not given",)
        rows.append(
            (
                (prior_title(spec, scenario), f" ({spec.path})"),
                _params(spec),
                format_value(d["median"]),
                "fixed" if spec.is_fixed else f"{format_value(d['p05'])} – {format_value(d['p95'])}",
                spec.units or "not given",
                (*source, " ", _link("[link]", spec.url)) if spec.url else source,
            )
        )
    headers = ("Input", "Prior", "Median", "90% interval", "Units", "Source")
    return Table(headers, tuple(rows), numeric=(2, 3), text=(0, 4), long=(5,), code=(1,))


def _results_table(summary: Summary) -> Table:
    levels = summary.levels
    headers = ("Quantity", "", "Mean", "Median", *(f"{level:.0%} interval" for level in levels))
    headers += (f"{levels[-1]:.0%} HDI",)
    rows = []
    sides = summary.sides()
    for index, quantity in enumerate(summary.prior.quantities):
        for tag, side in sides:
            d: Distribution = side.quantities[index]
            rows.append(
                (
                    summary.quantity_labels[quantity.name] if tag == "prior" else "",
                    tag if len(sides) > 1 else "",
                    format_count(d.mean.value),
                    format_count(d.median.value),
                    *(format_range(iv.low, iv.high) for iv in d.eti),
                    format_range(d.hdi[-1].low, d.hdi[-1].high) if d.hdi else "",
                )
            )
    return Table(headers, tuple(rows), numeric=tuple(range(2, len(headers))), text=(0,))


def _side_rows(summary: Summary, scenario: Scenario, kind: str) -> Iterator[tuple[Inline, str, Any]]:
    """Per claim of ``kind`` (``claims``, ``ratio_claims``) and side: the claim's linked label on its first (prior)
    row and "" after it, the side's tag (empty without a posterior), and the side's summary of the claim."""
    sides = summary.sides()
    for index, claim in enumerate(getattr(summary.prior, kind)):
        label = _link(claim.label + (" (conditioned on)" if claim.conditioned else ""), scenario.claim(claim.id).url)
        for tag, side in sides:
            yield label if tag == "prior" else "", tag if len(sides) > 1 else "", getattr(side, kind)[index]


def _claims_table(summary: Summary, scenario: Scenario) -> Table:
    rows = []
    for label, tag, c in _side_rows(summary, scenario, "claims"):
        says = f" — says {claim_says(c)}; the truth over {summary.quantity_labels[c.quantity]}"
        rows.append(((label, says) if label else "", tag, *claim_numbers(c)))
    headers = ("Claim", "", *CLAIM_COLUMNS)
    return Table(headers, tuple(rows), numeric=(2, 3, 4, 5, 6), text=(0,))


def _ratio_claims_table(summary: Summary, scenario: Scenario) -> Table:
    """Ratio claims ("about a third killed"): what each says and the ratio's distribution, prior and posterior."""
    rows = [
        (label, tag, ratio_says(c) if label else "", *ratio_numbers(c, conditioned=len(summary.condition_on)))
        for label, tag, c in _side_rows(summary, scenario, "ratio_claims")
    ]
    headers = ("Claim", "", "Says", *RATIO_CLAIM_COLUMNS)
    return Table(headers, tuple(rows), numeric=(3, 4, 5, 6))


def _manifest_table(run: RunData) -> Table:
    rows = []
    for key, value in run.manifest.items():
        if value is None or value == []:
            continue
        if key == "command":
            text = shlex.join(str(part) for part in value)
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, int) and not isinstance(value, bool) and key != "seed":
            text = format_count(value)
        else:
            text = str(value)
        rows.append((key.replace("_", " "), text))
    return Table(("Field", "Value"), tuple(rows), code=(1,))


def report_blocks(run: RunData, figures: dict[str, Path]) -> list[Block]:
    """The report's content as blocks, for :func:`report_markdown` and :func:`report_html`.

    Parameters
    ----------
    run : RunData
        The run, as read by :func:`sim.results.load_run`.
    figures : dict of str to Path
        Figure name (a key of :data:`FIGURE_TITLES`) to its PNG, in report order.
    """
    summary, scenario = run.summary, run.scenario
    sources = _source_list(run)
    blocks: list[Block] = [Heading(1, summary.title, "top")]
    if summary.description:
        blocks.append(Paragraph((summary.description,)))
    total = summary.prior.quantities[0]
    headline = (
        f"{summary.quantity_labels[total.name]}: median {format_count(total.median.value)}, "
        f"95% credible interval {format_range(total.eti[-1].low, total.eti[-1].high)} from the priors alone"
    )
    if summary.posterior is not None:
        post = summary.posterior.quantities[0]
        headline += (
            f"; median {format_count(post.median.value)} "
            f"({format_range(post.eti[-1].low, post.eti[-1].high)}) after conditioning on the claims"
        )
    blocks.append(Paragraph((headline + ".",)))
    for warning in summary.warnings:
        blocks.append(Paragraph((f"Warning: {warning}",)))
    if summary.prior.claims:
        posterior = summary.posterior.claims if summary.posterior is not None else (None,) * len(summary.prior.claims)
        items = tuple(
            (
                f"{c.label}: ",
                claim_sentence(c, scenario=scenario, posterior=post, conditioned=len(summary.condition_on)),
            )
            for c, post in zip(summary.prior.claims, posterior, strict=True)
        )
        ratio_posterior = (
            summary.posterior.ratio_claims
            if summary.posterior is not None
            else (None,) * len(summary.prior.ratio_claims)
        )
        items += tuple(
            (
                f"{c.label}: ",
                ratio_sentence(c, scenario=scenario, posterior=post, conditioned=len(summary.condition_on)),
            )
            for c, post in zip(summary.prior.ratio_claims, ratio_posterior, strict=True)
        )
        blocks += [Heading(2, "The claims in plain words", "verdicts"), Items(items)]
    captions = [
        FigureBlock(name, FIGURE_TITLES[name], f"Figure {number}. {figure_caption(name, run)}", png)
        for number, (name, png) in enumerate(figures.items(), start=1)
    ]
    blocks += [block for block in captions if block.name == "glance"]  # the verdicts at a glance, at the top
    if summary.prior.claims:
        blocks += [Heading(2, "Claims in numbers", "claims"), _claims_table(summary, scenario)]
        blocks.append(
            Paragraph(
                (
                    "Percentile: where the claim sits in the distribution of the truth. Claim ÷ truth: the "
                    "reporting ratio the claim implies (median, 95%). P(R ≤ v), P(R ≥ v): the claim's tails under "
                    "its source's reporting-ratio prior. ± is the Monte Carlo standard error.",
                ),
                small=True,
            )
        )
    if summary.prior.ratio_claims:
        blocks += [Heading(2, "Ratio claims", "ratio-claims"), _ratio_claims_table(summary, scenario)]
        blocks.append(
            Paragraph(
                (
                    "A ratio claim is judged against the ratio of the two simulated totals over its forces; a "
                    "source's reporting ratio cancels in a ratio of its own counts (docs/claims.md).",
                ),
                small=True,
            )
        )
    blocks.append(Heading(2, "Figures", "figures"))
    if not captions:
        blocks.append(Paragraph(("No figures were drawn for this run (--no-plots); `sim report` draws them.",)))
    blocks += [block for block in captions if block.name != "glance"]
    blocks += [Heading(2, "Method", "method"), *_method(summary, scenario)]
    blocks += [Heading(2, "Priors", "priors"), _priors_table(scenario, sources)]
    blocks += [
        Heading(2, "Results", "results"),
        Paragraph(
            (
                "Intervals are equal-tailed credible intervals; HDI is the highest-density interval. Each number "
                "has a Monte Carlo standard error in summary.json.",
            ),
            small=True,
        ),
        _results_table(summary),
    ]
    blocks += _sources_blocks(scenario, sources)
    blocks += [Heading(2, "Provenance", "provenance"), _manifest_table(run)]
    return blocks


def _md_inline(parts: Inline | tuple[Inline, ...]) -> str:
    parts = parts if isinstance(parts, tuple) else (parts,)
    return "".join(
        f"[{escape.markdown(part.text)}]({part.url})" if isinstance(part, Link) else escape.markdown(part)
        for part in parts
    )


def report_markdown(blocks: Sequence[Block], *, base: Path) -> str:
    """Render blocks as Markdown; figures are linked relative to ``base`` (the run folder)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {escape.markdown(block.text)}")
        elif isinstance(block, Paragraph):
            text = _md_inline(block.parts)
            out.append(f"*{text}*" if block.small else text)
        elif isinstance(block, Items):
            out.append("\n".join(f"- {_md_inline(item)}" for item in block.items))
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(escape.markdown(h) for h in block.headers) + " |"]
            lines.append("| " + " | ".join("---:" if i in block.numeric else "---" for i in range(len(block.headers))))
            lines[-1] += " |"
            lines += ["| " + " | ".join(_md_inline(cell) for cell in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
        else:
            path = block.png.relative_to(base).as_posix()
            out.append(f"![{escape.markdown(block.title)}]({path})\n\n*{escape.markdown(block.caption)}*")
    return "\n\n".join(out) + "\n"


CSS = """
:root { color-scheme: light; }
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5;
  color: #1a1a1a; max-width: 1000px; margin: 2em auto; padding: 0 1.2em; overflow-wrap: break-word; }
h1 { font-size: 1.7em; margin-bottom: 0.3em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
nav { font-size: 0.9em; color: #555; }
nav a { color: #0072B2; margin-right: 0.8em; }
a { color: #0072B2; }
.small { font-size: 0.85em; color: #444; }
.table-wrap { max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.8em 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { min-width: 12em; }
td.code { overflow-wrap: anywhere; }
td.tag, .nw { white-space: nowrap; }
tr:has(+ tr.detail) td { border-bottom: none; padding-bottom: 0.1em; }
tr.detail td { color: #333; padding-top: 0; padding-left: 1.5em; }
tr.detail .label { color: #666; }
figure { margin: 1.5em 0; }
.bands { width: 700px; max-width: 100%; border: 1px solid #eee; }
.bands img { display: block; width: 100%; height: auto; }
figcaption { font-size: 0.88em; color: #333; margin-top: 0.4em; max-width: 700px; }
li { margin-bottom: 0.5em; }
@media (max-width: 900px) { td.text { min-width: 7em; } }
@media print {
  @page { margin: 14mm 14mm 16mm; }
  td.code { overflow-wrap: break-word; }
  body { font-size: 10pt; line-height: 1.4; max-width: none; margin: 0; padding: 0; }
  nav { display: none; }
  a { color: inherit; text-decoration: underline; }
  h2, h3 { break-after: avoid; }
  h2 { margin-top: 1.2em; }
  table { font-size: 8pt; }
  td.text { min-width: 9em; }
  tr, li, tbody.pair, .bands img { break-inside: avoid; }
  figure { margin: 0.8em 0; }
  .bands { width: var(--print-width, 7in); max-width: 100%; border: none; }
  figcaption { break-before: avoid; max-width: none; font-size: 8.5pt; }
}
"""


def _html_inline(parts: Inline | tuple[Inline, ...]) -> str:
    parts = parts if isinstance(parts, tuple) else (parts,)
    out = []
    for part in parts:
        if isinstance(part, Link):
            out.append(f'<a href="{html.escape(part.url, quote=True)}">{html.escape(part.text)}</a>')
        else:
            out.append(html.escape(part))
    return "".join(out)


def _cells_html(block: Table, row: Sequence[Inline | tuple[Inline, ...]], columns: Sequence[int]) -> str:
    out = []
    for column in columns:
        kind, cell = block.kind(column), row[column]
        text = _numeric_html(cell) if kind == "num" else _html_inline(cell)
        out.append(f'<td class="{kind}">{text}</td>' if kind else f"<td>{text}</td>")
    return "".join(out)


def _table_html(block: Table) -> str:
    """A table; a column of long prose (a prior's source) goes under its row, across the table's whole width.

    As a column of its own, long prose left every other column a word or two wide and each row many lines
    high (the priors took five printed pages); under the row it reads as a paragraph. A row and its prose
    stay together on one page (one ``tbody`` each).
    """
    long = [column for column in range(len(block.headers)) if block.kind(column) == "long"]
    shown = [column for column in range(len(block.headers)) if column not in long]
    head = "".join(f"<th>{html.escape(block.headers[column])}</th>" for column in shown)
    groups = []
    for row in block.rows:
        lines = [f"<tr>{_cells_html(block, row, shown)}</tr>"]
        for column in long:
            label = f'<span class="label">{html.escape(block.headers[column])}:</span> '
            lines.append(f'<tr class="detail"><td colspan="{len(shown)}">{label}{_html_inline(row[column])}</td></tr>')
        groups.append(f'<tbody class="pair">{"".join(lines)}</tbody>' if long else lines[0])
    body = "".join(groups) if long else f"<tbody>{''.join(groups)}</tbody>"
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>{body}</table></div>'


def _numeric_html(cell: Inline | tuple[Inline, ...]) -> str:
    """A number cell whose lines may break only between a number and its error or interval, never inside one:
    ``0.0058 (0.0027–0.018)`` wraps before ``(``, ``2.1e-05 ± 1e-07`` before ``±``, ``8,757 – 11,243`` before ``–``."""
    if not isinstance(cell, str):
        return _html_inline(cell)
    pieces = re.split(r" (?=[±(–])", cell)
    return " ".join(f'<span class="nw">{html.escape(piece)}</span>' for piece in pieces)


def _figure_html(block: FigureBlock) -> str:
    """A figure as its bands (:func:`sim.raster.display_slices`), each printed at the figure's own width in inches."""
    images = []
    for index, band in enumerate(display_slices(block.png)):
        alt = html.escape(block.title, quote=True) if index == 0 else ""
        data = base64.b64encode(band).decode("ascii")
        images.append(f'<img src="data:image/png;base64,{data}" alt="{alt}">')
    return (
        f'<figure id="figure-{block.name}"><div class="bands" style="--print-width: {figure_inches(block.png):.2f}in">'
        f"{''.join(images)}</div>"
        f"<figcaption>{html.escape(block.caption)}</figcaption></figure>"
    )


def report_html(blocks: Sequence[Block], *, title: str) -> str:
    """Render blocks as one self-contained HTML page (inline CSS and figures, no script)."""
    sections = [b for b in blocks if isinstance(b, Heading) and b.level == 2]
    nav = " ".join(f'<a href="#{b.anchor}">{html.escape(b.text)}</a>' for b in sections)
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f'<h{block.level} id="{block.anchor}">{html.escape(block.text)}</h{block.level}>')
            if block.level == 1:
                body.append(f"<nav>{nav}</nav>")
        elif isinstance(block, Paragraph):
            css = ' class="small"' if block.small else ""
            body.append(f"<p{css}>{_html_inline(block.parts)}</p>")
        elif isinstance(block, Items):
            body.append("<ul>" + "".join(f"<li>{_html_inline(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Table):
            body.append(_table_html(block))
        else:
            body.append(_figure_html(block))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_report(run: RunData) -> list[Path]:
    """Write ``report.md`` and ``report.html`` into the run folder (each replaced atomically).

    The figures are those already in ``figures/`` (drawn by :func:`sim.figures.write_figures`).

    Returns
    -------
    list of Path
        The two files written.
    """
    folder = run.path / "figures"
    figures = {name: folder / f"{name}.png" for name in FIGURE_TITLES if (folder / f"{name}.png").is_file()}
    blocks = report_blocks(run, figures)
    markdown, page = run.path / "report.md", run.path / "report.html"
    write_atomic(markdown, report_markdown(blocks, base=run.path).encode())
    write_atomic(page, report_html(blocks, title=run.summary.title).encode())
    return [markdown, page]


def render_run(run_dir: str | Path, *, figures: bool = True, report: bool = True) -> list[Path]:
    """Draw a run folder's figures and/or write its report; return the files written.

    This is what ``sim run`` calls on its staging folder (before the atomic rename) and what
    ``sim report RUN_DIR`` calls on a finished run. matplotlib is imported only by the
    processes that draw (see :mod:`sim.figures`).

    Raises
    ------
    sim.results.ResultsError
        ``run_dir`` is not a complete run folder.
    """
    run = load_run(run_dir)
    written: list[Path] = []
    if figures:
        from sim.figures import write_figures  # sim.figures imports this module

        written += write_figures(run)
    if report:
        written += write_report(run)
    return written
