"""Report-ready figures of a run: pure functions from a Summary (and the scenario) to a Figure.

Every function builds a new :class:`~matplotlib.figure.Figure` in sim's style (never pyplot's
global state) and returns it; given ``ax=`` it draws a single panel into that axes instead
(and leaves framing to the caller). :func:`draw_figure` draws one of a saved run's figures by
name; :func:`sim.figures.write_figures` saves every applicable one as PNG (150 dpi, provenance
in the metadata) and SVG under ``<run>/figures/``.

The figures read the exact pmf of every outcome (``Summary.distributions``) and the claim
statistics; tail probabilities far below 1/draws come from the claims' estimates, never from
counting draws.

Why one module: each figure is a pure function of a Summary with its own layout, and they share the panels,
axes and labels defined here (the style is :mod:`sim.style`, the wording :mod:`sim.text`); the compare, robust
and sensitivity figures already live in their own modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator

from sim.citations import cited_ids
from sim.config import METRIC_NOUNS, Claim, Scenario
from sim.priors import Discrete, PriorSpec
from sim.report import resolution, verdict
from sim.results import RunData
from sim.style import (
    CLAIM_COLOUR,
    MUTED_COLOUR,
    POSTERIOR_COLOUR,
    PRIOR_COLOUR,
    SOURCE_COLOUR,
    axis_fraction,
    count_formatter,
    fit_panels,
    frame,
    interval_alphas,
    log_axis,
    new_figure,
    styled,
)
from sim.summary import ClaimSummary, Interval, Probability, Side, Summary
from sim.text import (
    FIGURE_TITLES,
    format_count,
    format_ratio,
    percentile_text,
    plural,
    prior_title,
    probability_text,
    shorten,
    wrap,
)

__all__ = [
    "draw_figure",
    "log_density",
    "plot_exceedance",
    "plot_forces",
    "plot_glance",
    "plot_over_time",
    "plot_priors",
    "plot_ratios",
    "plot_toll",
    "pmf_quantile",
]

WIDTH = 7.0  # inches: a report's text width
BINS_PER_DECADE = 40
CURVE_POINTS = 600
LOG_PRIOR_SPAN = 30  # a prior whose 99.8% range spans more than this factor gets a log axis
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
Grid = list[list[Axes]]
LABEL_BOX = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _sides(summary: Summary) -> list[tuple[str, Side, str, str]]:
    """(key, side, colour, legend label) for the prior and, when conditioned, the posterior."""
    out = [("prior", summary.prior, PRIOR_COLOUR, "Prior: the priors alone")]
    if summary.posterior is not None:
        n = len(summary.condition_on)
        label = f"Posterior: conditioned on {plural(n, 'claim')}"
        out.append(("posterior", summary.posterior, POSTERIOR_COLOUR, label))
    return out


def _footer(summary: Summary) -> str:
    conditioned = f" · conditioned on {', '.join(summary.condition_on)}" if summary.posterior else ""
    return (
        f"sim {summary.version} · scenario {summary.scenario} · seed {summary.seed} · "
        f"{summary.draws:,} draws{conditioned}"
    )


def _panels(ax: Axes | None, count: int, what: str, *, columns: int = 1) -> tuple[Figure, list[Axes], Grid | None]:
    """Our own figure with ``count`` panels on a grid (unused cells removed), or the caller's single ``ax``.

    Returns the figure, the panels in order, and the grid by rows (None for the caller's axes).
    """
    if ax is not None:
        if count != 1:
            raise ValueError(f"ax= draws a single panel, but this figure has {count}; pass {what}= to choose one")
        return ax.get_figure(), [ax], None
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    figure, axes = new_figure(WIDTH, 5.0, layout=None, nrows=rows, ncols=columns, squeeze=False)
    flat = list(axes.ravel())
    for extra in flat[count:]:
        extra.remove()
    grid = [flat[start : min(start + columns, count)] for start in range(0, count, columns)]
    return figure, flat[:count], grid


def _finish(
    figure: Figure,
    summary: Summary,
    name: str,
    *,
    grid: Grid | None,
    panel_height: float,
    legend: Sequence[Artist],
    right: float = 0.25,
) -> Figure:
    """Frame and lay out a figure of our own (``grid``, ``right`` inches free beside it); leave the caller's alone."""
    if grid is not None:
        bands = frame(figure, title=FIGURE_TITLES[name], subtitle=summary.title, footer=_footer(summary), legend=legend)
        fit_panels(figure, grid, panel_height=panel_height, bands=bands, right=right)
    return figure


def pmf_quantile(pmf: np.ndarray, q: float) -> int:
    cdf = np.cumsum(pmf)
    return int(min(np.searchsorted(cdf, q * cdf[-1]), pmf.size - 1))


def log_density(pmf: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Bin a pmf over 0, 1, 2, ... into log-spaced bins covering [low, high].

    Each bin holds the whole numbers ``[k_j, k_{j+1})`` (k ≥ 1) and spans
    ``[k_j − ½, k_{j+1} − ½)`` on the axis; its value is probability per decade, so on a log
    axis the area under the curve is the mass.

    Returns
    -------
    edges, density : ndarray
        ``len(edges) == len(density) + 1``, for ``Axes.stairs``.
    """
    low = max(math.floor(low), 1)
    count = max(int(BINS_PER_DECADE * math.log10(max(high, low + 1) / low)), 1)
    starts = np.unique(np.ceil(np.geomspace(low, high + 1, count + 1)).astype(np.int64))
    cumulative = np.concatenate([[0.0], np.cumsum(pmf)])
    mass = np.diff(cumulative[np.minimum(starts, pmf.size)])
    edges = starts - 0.5
    return edges, mass / np.diff(np.log10(edges))


def _count_range(summary: Summary, name: str, values: Sequence[float]) -> tuple[float, float]:
    """Log-axis limits spanning the distribution of ``name`` (0.05%–99.95%) and every value given."""
    points = [v for v in values if v > 0]
    for key, *_ in _sides(summary):
        pmf = summary.pmf(key, name)
        points += [max(pmf_quantile(pmf, 0.0005), 1), max(pmf_quantile(pmf, 0.9995), 1)]
    low = max(min(points) / 2.2, 0.6)
    return low, max(max(points) * 2.2, low * 20)


def _strip(ax: Axes, intervals: Sequence[Interval], median: float, *, y: float, height: float, colour: str) -> None:
    """Nested credible-interval bars (widest lightest) and a dot at the median, at height ``y``."""
    alphas = interval_alphas([iv.level for iv in intervals])
    floor, ceiling = ax.get_xlim() if ax.get_xscale() == "log" else (-math.inf, math.inf)
    for iv in sorted(intervals, key=lambda iv: -iv.level):
        low, high = max(iv.low, floor), min(iv.high, ceiling)
        ax.barh(y, high - low, left=low, height=height, color=colour, alpha=alphas[iv.level], linewidth=0)
    if math.isfinite(median) and floor <= median <= ceiling:
        ax.plot(median, y, "o", color="white", markeredgecolor=colour, markersize=4, markeredgewidth=1.2, zorder=4)


def _strips(ax: Axes, rows: Sequence[tuple[Sequence[Interval], float, str]], top: float) -> None:
    """Interval strips under a density curve (one row each, below 0) and the y-limits to show them."""
    row = 0.075 * top
    for number, (intervals, median, colour) in enumerate(rows):
        _strip(ax, intervals, median, y=-(number + 0.7) * row, height=0.65 * row, colour=colour)
    ax.set_ylim(-(len(rows) + 0.3) * row, top)
    ax.axhline(0, color=MUTED_COLOUR, linewidth=0.6)
    ax.set_yticks([])


def _density(ax: Axes, edges: np.ndarray, density: np.ndarray, colour: str) -> None:
    """A density as a step outline over a light fill, in one artist."""
    fill = (*to_rgb(colour), 0.12)
    ax.stairs(density, edges, fill=True, facecolor=fill, edgecolor=colour, linewidth=1.3, zorder=3)


def _interval_legend(levels: Sequence[float]) -> list[Artist]:
    alphas = interval_alphas(levels)
    return [Patch(color=MUTED_COLOUR, alpha=alphas[level], label=f"{level:.0%} interval") for level in levels]


def _side_legend(summary: Summary) -> list[Artist]:
    return [Line2D([], [], color=colour, linewidth=2, label=label) for *_, colour, label in _sides(summary)]


METRIC_ORDER = ("killed", "deaths", "died_of_wounds", "wounded", "casualties")


def _claim_quantities(summary: Summary) -> list[str]:
    """Total killed first, then every scope and metric a claim is about: killed before casualties."""
    first = summary.prior.quantities[0].name
    names = list(dict.fromkeys([first, *(c.quantity for c in summary.prior.claims)]))

    def order(name: str) -> tuple[int, bool]:
        metric = name.partition("@")[0].partition("[")[0]
        rank = METRIC_ORDER.index(metric) if metric in METRIC_ORDER else len(METRIC_ORDER)
        return rank, name != first

    return sorted(names, key=order)


def _claims_of(summary: Summary, name: str) -> list[tuple[ClaimSummary, ClaimSummary | None]]:
    posterior = summary.posterior.claims if summary.posterior is not None else (None,) * len(summary.prior.claims)
    pairs = zip(summary.prior.claims, posterior, strict=True)
    return sorted(((c, p) for c, p in pairs if c.quantity == name), key=lambda pair: pair[0].value)


def _noun(name: str) -> str:
    metric = name.partition("@")[0].partition("[")[0]
    return "killed" if metric == "killed" else METRIC_NOUNS[metric]


# ---------------------------------------------------------------------------------------------
# 0. At a glance: every claim against the toll over its scope, with its verdict
# ---------------------------------------------------------------------------------------------


def _glance_verdict(prior: ClaimSummary, posterior: ClaimSummary | None) -> str:
    text = f"{verdict(prior)}\n({percentile_text(prior)})"
    if posterior is not None:
        text += f"\nposterior: {percentile_text(posterior)}"
    return "\n".join(wrap(line, 26) for line in text.split("\n"))


@styled
def plot_glance(summary: Summary) -> Figure:
    """Every claim in one panel: its figure against the credible intervals of the truth it is about, and its verdict.

    One row per claim (scenario order); each row's bars are the prior (and posterior) credible
    intervals of the true toll over that claim's scope and metric, so rows of different scopes
    share the log axis but not the population. The verdict on the right is
    :func:`sim.report.verdict`, from the claim's percentile.

    Parameters
    ----------
    summary : Summary
        A run's summary with at least one claim.

    Returns
    -------
    Figure
    """
    claims = summary.prior.claims
    if not claims:
        raise ValueError("no claim to draw")
    posteriors = summary.posterior.claims if summary.posterior is not None else (None,) * len(claims)
    sides = _sides(summary)
    figure, axes = new_figure(WIDTH, 4.0, layout=None, squeeze=False)
    ax = axes[0][0]
    points = [c.value for c in claims if c.value > 0]
    for _key, side, *_ in sides:
        for c in claims:
            iv = side.quantity(c.quantity).eti[-1]
            points += [max(iv.low, 1.0), max(iv.high, 1.0)]
    log_axis(ax.xaxis, min(points) / 2, max(points) * 2)
    spacing = 0.26
    for row, (prior, posterior) in enumerate(zip(claims, posteriors, strict=True)):
        for index, (_key, side, colour, _label) in enumerate(sides):
            d = side.quantity(prior.quantity)
            y = row + (index - (len(sides) - 1) / 2) * spacing
            _strip(ax, d.eti, d.median.value, y=y, height=0.2, colour=colour)
        if prior.value > 0:
            ax.plot(prior.value, row, "D", color="white", markeredgecolor=CLAIM_COLOUR, markersize=7, zorder=6)
            ax.plot(prior.value, row, "D", color=CLAIM_COLOUR, markersize=3, zorder=7)
        plausible = 2.5 <= prior.percentile.value <= 97.5
        _margin_note(ax, _glance_verdict(prior, posterior), row, gap=8, fontweight="normal" if plausible else "bold")
    labels = [f"{wrap(c.label, 30)}\n{wrap(_scope_words(summary, c), 30)}" for c in claims]
    ax.set_yticks(range(len(claims)), labels, fontsize=7)
    ax.set_ylim(len(claims) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("People (log scale)")
    legend = [
        *_side_legend(summary),
        Line2D([], [], marker="D", color=CLAIM_COLOUR, linestyle="", markersize=5, label="Claim"),
        *_interval_legend(summary.levels),
    ]
    longest = max(
        len(line) for c, p in zip(claims, posteriors, strict=True) for line in _glance_verdict(c, p).split("\n")
    )
    right = longest * 7 * 0.6 / 72 + 0.25  # bold verdicts are wider than DejaVu's 0.55 em a character
    height = max(0.62 * len(claims) * (1.3 if summary.posterior is not None else 1.0), 1.2)
    return _finish(figure, summary, "glance", grid=[[ax]], panel_height=height, legend=legend, right=right)


def _scope_words(summary: Summary, claim: ClaimSummary) -> str:
    """``vs killed, all forces``: what the row's bars are the truth of."""
    return f"vs {summary.quantity_labels[claim.quantity][:1].lower()}{summary.quantity_labels[claim.quantity][1:]}"


# ---------------------------------------------------------------------------------------------
# 1. The toll's distribution with the claims
# ---------------------------------------------------------------------------------------------


LABEL_WIDTH = 34
"""Characters per line of a claim's label in the toll figure (labels wrap, never cut)."""


def _toll_label(prior: ClaimSummary, posterior: ClaimSummary | None) -> str:
    text = f"{wrap(prior.label, LABEL_WIDTH)}\n{format_count(prior.value)}: {percentile_text(prior)}"
    if posterior is not None:
        text += f"\nposterior: {percentile_text(posterior)}"
    return text


def _label_heights(summary: Summary, name: str) -> list[float]:
    """Height in inches of each claim's label in a toll panel (its lines of 7 pt, and a gap)."""
    return [(_toll_label(*pair).count("\n") + 1) * 7 * 1.25 / 72 + 0.07 for pair in _claims_of(summary, name)]


def _toll_height(summary: Summary, names: Sequence[str]) -> float:
    """Panel height (inches) that leaves the curves at least 1.4 in under the stacked claim labels."""
    return max(2.3, 1.6 + max(sum(_label_heights(summary, name)) for name in names))


def _toll_panel(ax: Axes, summary: Summary, name: str, panel_height: float) -> None:
    claims = _claims_of(summary, name)
    sides = _sides(summary)
    low, high = _count_range(summary, name, [c.value for c, _ in claims])
    log_axis(ax.xaxis, low, high)
    peak = 0.0
    for key, *_, colour, _label in sides:
        edges, density = log_density(summary.pmf(key, name), low, high)
        _density(ax, edges, density, colour)
        peak = max(peak, float(density.max()))
    # Claim labels are stacked from the top; the curves stay below the stack.
    heights = _label_heights(summary, name)
    free = max(1 - (sum(heights) + 0.08) / panel_height, 0.3)
    below = 0.075 * (len(sides) + 0.3)  # the interval strips under zero, as a fraction of the top
    top = peak / max(free * (1 + below) - below, 0.2) if claims else peak * 1.15
    rows = []
    for _key, side, colour, _label in sides:
        d = side.quantity(name)
        rows.append((d.eti, d.median.value, colour))
    _strips(ax, rows, top)
    for order, (prior, posterior) in enumerate(claims):
        offset = 0.04 + sum(heights[:order])
        ax.axvline(prior.value, color=CLAIM_COLOUR, linewidth=0.9, linestyle="--", zorder=4)
        ax.plot(prior.value, top, marker="v", color=CLAIM_COLOUR, markersize=5, clip_on=False, zorder=5)
        left = axis_fraction(prior.value, (low, high), logarithmic=True) < 0.5
        ax.annotate(
            _toll_label(prior, posterior),
            xy=(prior.value, 1 - offset / panel_height),
            xycoords=("data", "axes fraction"),
            xytext=(4 if left else -4, 0),
            textcoords="offset points",
            ha="left" if left else "right",
            va="top",
            fontsize=7,
            bbox=LABEL_BOX,
            zorder=5,
        )
    zero = max(float(summary.pmf(key, name)[0]) for key, *_ in sides)
    if zero >= 0.0005:
        ax.text(0.99, 0.45, f"P(0) = {zero:.2g}\n(not on a log axis)", transform=ax.transAxes, ha="right", fontsize=7)
    ax.set_ylabel("Relative probability")
    ax.set_xlabel(f"{_noun(name).capitalize()} (people, log scale)")
    ax.set_title(wrap(summary.quantity_labels[name], 38), fontsize=8.5)


@styled
def plot_toll(summary: Summary, *, quantity: str | None = None, ax: Axes | None = None) -> Figure:
    """The distribution of the toll on a log axis, credible intervals shaded, each claim marked.

    One panel per scope and metric the claims are about (total killed first). Each claim is
    a dashed line labelled with its percentile (estimated in the far tails, never 0); the
    prior and, when the run conditions on claims, the posterior are overlaid, with their
    credible intervals as shaded bars under the curves.

    Parameters
    ----------
    summary : Summary
        A run's summary with its ``distributions``.
    quantity : str, optional
        Draw only this outcome (``killed``, ``killed[engineers]``, ...).
    ax : Axes, optional
        Draw into this axes (a single panel: needs ``quantity`` when there are several).

    Returns
    -------
    Figure
    """
    names = [quantity] if quantity else _claim_quantities(summary)
    figure, axes, grid = _panels(ax, len(names), "quantity", columns=2)
    height = _toll_height(summary, names) if ax is None else ax.get_position().height * figure.get_figheight()
    for panel, name in zip(axes, names, strict=True):
        _toll_panel(panel, summary, name, height)
    claim = Line2D([], [], color=CLAIM_COLOUR, linestyle="--", linewidth=1, label="Claim")
    legend = [*_side_legend(summary), claim, *_interval_legend(summary.levels)]
    return _finish(figure, summary, "toll", grid=grid, panel_height=height, legend=legend)


# ---------------------------------------------------------------------------------------------
# 2. Exceedance: P(T ≥ x)
# ---------------------------------------------------------------------------------------------


def _survival(pmf: np.ndarray) -> np.ndarray:
    """``S[k] = P(T ≥ k)``, summed from the top so the far tail keeps its precision."""
    return np.cumsum(pmf[::-1])[::-1]


def _one_in_label(p: float, _pos: int) -> str:
    if not 0 < p <= 1:
        return ""
    n = 1 / p
    if n < 1.5:
        return "1"
    if n < 1e6:
        return f"1 in {n:,.0f}"
    return f"1 in 10{str(round(math.log10(n))).translate(SUPERSCRIPTS)}"


def _tail(claim: ClaimSummary) -> tuple[bool, Probability]:
    """Which tail the exceedance figure quotes for a claim: (below?, its probability)."""
    below = claim.relation == "le" if claim.relation in ("ge", "le") else claim.below.value < claim.above.value
    return below, claim.below if below else claim.above


def _exceedance_label(prior: ClaimSummary, posterior: ClaimSummary | None, noun: str) -> str:
    """``P(killed ≥ 6,000) = 2.1e-05 (1 in 47,000)``: the tail the label quotes, named."""
    below, p = _tail(prior)
    quoted = probability_text(p)
    equals = " " if quoted[:1] in "<>" else " = "  # a bound reads "P(killed ≤ 9) < 3e-06", not "= < 3e-06"
    text = f"P({noun} {'≤' if below else '≥'} {format_count(prior.value)}){equals}{quoted}"
    if posterior is not None:  # the same tail as the prior's
        text += f"\n    posterior {probability_text(posterior.below if below else posterior.above)}"
    return text


def _exceedance_panel(ax: Axes, summary: Summary, name: str) -> None:
    claims = _claims_of(summary, name)
    short = _noun(name).partition(" (")[0]  # "casualties", not "casualties (killed + wounded)": the title says it
    lowest, last = 1.0, 1
    for key, side, colour, _label in _sides(summary):
        survival = _survival(summary.pmf(key, name))
        floor = resolution(side)
        end = int(np.flatnonzero(survival >= floor)[-1]) if survival[0] >= floor else 0
        k = np.unique(np.geomspace(1, max(end, 1), CURVE_POINTS).astype(np.int64))
        ax.plot(k, survival[k], drawstyle="steps-post", color=colour, linewidth=1.4)
        ax.plot(k[-1], survival[k[-1]], "|", color=colour, markersize=7, markeredgewidth=1.4)
        lowest, last = min(lowest, floor), max(last, end)
    points = [
        (claim, colour, *_tail_point(claim))
        for prior, posterior in claims
        if not _tail(prior)[0]
        for claim, colour in ((prior, PRIOR_COLOUR), (posterior, POSTERIOR_COLOUR))
        if claim is not None
    ]
    lowest = min([lowest, *(y for *_, y, _bound in points if y > 0)])
    low, high = _count_range(summary, name, [c.value for c, _ in claims])
    log_axis(ax.xaxis, max(low, 0.8), max(high, last * 1.5))
    log_axis(ax.yaxis, max(lowest / 20, 1e-300), 2.0, counts=False)
    for prior, _posterior in claims:
        ax.axvline(prior.value, color=CLAIM_COLOUR, linewidth=0.8, linestyle="--", zorder=2)
    # A claim below the distribution is a line only: its label quotes P(T ≤ v), which this axis does not show.
    for claim, colour, y, bound in points:
        if y > 0:
            ax.plot(claim.value, y, "v" if bound else "o", color=colour, markeredgecolor="black", zorder=5)
    if claims:
        # Small x and tiny probabilities: the one corner a survival curve never enters.
        text = "\n".join(_exceedance_label(*pair, short) for pair in claims)
        ax.text(0.03, 0.03, text, transform=ax.transAxes, fontsize=7, va="bottom", bbox=LABEL_BOX, zorder=6)
    ax.yaxis.set_major_formatter(FuncFormatter(_one_in_label))
    ax.set_ylabel(f"Chance that {short} ≥ x")
    ax.set_xlabel(f"x: {short} (people, log scale)")
    ax.set_title(wrap(summary.quantity_labels[name], 32), fontsize=8.5)


def _tail_point(claim: ClaimSummary) -> tuple[float, bool]:
    """Where a claim sits on the exceedance axis: P(T ≥ v), or the bound where no draw reaches v (and True)."""
    p = claim.above
    bound = p.method == "bound" and p.value < 0.5
    return (p.mcse if bound else p.value), bound


@styled
def plot_exceedance(summary: Summary, *, quantity: str | None = None, ax: Axes | None = None) -> Figure:
    """The probability that the toll is at least x, on log–log axes, with each claim marked.

    The curve is the pmf's upper tail; it stops (a tick) at :func:`sim.report.resolution`, 3 / ESS, below
    which the draws resolve no probability. Each claim whose quoted tail is P(T ≥ v) is a point
    at that estimate (which may lie far below 3 / ESS: it comes from the conditional tail
    estimator, not from counting draws), a triangle ▼ at the bound where it is one. A claim below
    the distribution (``le``, or an ``eq`` whose smaller tail is P(T ≤ v)) is a dashed line only:
    its label quotes P(T ≤ v), which the axis does not show. The probability axis reads "1 in N".

    Parameters
    ----------
    summary : Summary
    quantity : str, optional
        Draw only this outcome.
    ax : Axes, optional
        Draw into this axes (a single panel).

    Returns
    -------
    Figure
    """
    names = [quantity] if quantity else _claim_quantities(summary)
    figure, axes, grid = _panels(ax, len(names), "quantity", columns=2)
    for panel, name in zip(axes, names, strict=True):
        _exceedance_panel(panel, summary, name)
    claim = Line2D([], [], color=CLAIM_COLOUR, linestyle="--", linewidth=1, label="Claim")
    legend = [*_side_legend(summary), claim]
    return _finish(figure, summary, "exceedance", grid=grid, panel_height=2.3, legend=legend)


# ---------------------------------------------------------------------------------------------
# 3. Implied reporting ratio claim ÷ truth
# ---------------------------------------------------------------------------------------------


def _ratio_prior(ax: Axes, spec: PriorSpec, low: float, high: float) -> float:
    """Draw a source's prior ρ as a density per decade (lines when discrete); return its peak."""
    distribution = spec.distribution
    if isinstance(distribution, Discrete):
        for value in distribution.values:
            ax.axvline(value, color=SOURCE_COLOUR, linewidth=1.4, linestyle=":", zorder=3)
        return 0.0
    grid = np.geomspace(low, high, 400)
    density = distribution.pdf(grid) * grid * math.log(10)
    ax.plot(grid, density, color=SOURCE_COLOUR, linewidth=1.3, linestyle="--", zorder=3)
    return float(np.nanmax(density))


def _ratio_text(prior: ClaimSummary, posterior: ClaimSummary | None) -> str:
    iv = prior.implied_ratio
    text = f"claim ÷ truth {format_ratio(prior.implied_ratio_median)}\n(95%: {format_ratio(iv.low)}–"
    text += f"{format_ratio(iv.high)})"
    if posterior is not None:
        text += f"\nposterior {format_ratio(posterior.implied_ratio_median)}"
    return text


def _ratio_tick(x: float, _pos: int) -> str:
    return "1\nclaim = truth" if math.isclose(x, 1.0) else f"{x:.6g}"


def _ratio_panel(ax: Axes, summary: Summary, scenario: Scenario, index: int) -> None:
    sides = _sides(summary)
    prior = summary.prior.claims[index]
    posterior = summary.posterior.claims[index] if summary.posterior is not None else None
    v = prior.value
    spec = scenario.source(prior.source).reporting_ratio if prior.source else None
    points = [1.0]
    for key, *_ in sides:
        pmf = summary.pmf(key, prior.quantity)
        points += [v / max(pmf_quantile(pmf, q), 1) for q in (0.0005, 0.9995)]
    if spec is not None:
        points += [float(x) for x in np.atleast_1d(spec.distribution.ppf([0.001, 0.999])) if x > 0]
    low, high = min(points) / 2, max(points) * 2
    log_axis(ax.xaxis, low, high, counts=False)
    peak = 0.0
    for key, *_, colour, _label in sides:
        edges, density = log_density(summary.pmf(key, prior.quantity), v / high, v / low)
        _density(ax, (v / edges)[::-1], density[::-1], colour)
        peak = max(peak, float(density.max()))
    if spec is not None:
        peak = max(peak, _ratio_prior(ax, spec, low, high))
    rows = []
    for _key, side, colour, _label in sides:
        d = side.quantity(prior.quantity)
        ratios = [
            Interval(iv.level, v / iv.high if iv.high else math.inf, v / iv.low if iv.low else math.inf, 0, 0)
            for iv in d.eti
        ]
        rows.append((ratios, v / d.median.value if d.median.value else math.inf, colour))
    if posterior is not None and posterior.ratio_posterior is not None:
        rows.append((posterior.ratio_posterior.eti, posterior.ratio_posterior.median.value, SOURCE_COLOUR))
    top = peak * 1.5
    _strips(ax, rows, top)
    ax.axvline(1, color=CLAIM_COLOUR, linewidth=0.9, zorder=4)
    ax.xaxis.set_major_formatter(FuncFormatter(_ratio_tick))
    right = axis_fraction(1.0, (low, high), logarithmic=True) < 0.5
    ax.text(
        0.98 if right else 0.02,
        0.985,
        _ratio_text(prior, posterior),
        transform=ax.transAxes,
        ha="right" if right else "left",
        va="top",
        fontsize=7,
        bbox=LABEL_BOX,
    )
    ax.set_xlabel("Claim ÷ truth (log scale)")
    ax.set_title(wrap(f"{prior.label} ({format_count(v)})", 42), fontsize=8)


@styled
def plot_ratios(summary: Summary, scenario: Scenario, *, claim: str | None = None, ax: Axes | None = None) -> Figure:
    """For each claim, the reporting ratio claim ÷ truth it implies, with the source's prior ρ.

    The ratio ``v / k`` has probability ``pmf[k]`` of the truth's distribution; it is drawn on
    a log axis with 1 ("the claim is the truth") marked, the credible intervals as bars below,
    and the source's prior reporting ratio ρ (dashed) where the claim names a source; for a
    conditioned claim the posterior of ρ is a further bar.

    Parameters
    ----------
    summary : Summary
    scenario : Scenario
        For the sources' reporting-ratio priors.
    claim : str, optional
        Draw only the claim with this id.
    ax : Axes, optional
        Draw into this axes (a single panel).

    Returns
    -------
    Figure
    """
    indices = [i for i, c in enumerate(summary.prior.claims) if c.value > 0 and claim in (None, c.id)]
    if not indices:
        raise ValueError("no claim with a positive figure to draw" + (f" (claim {claim!r})" if claim else ""))
    figure, axes, grid = _panels(ax, len(indices), "claim", columns=2)
    for panel, index in zip(axes, indices, strict=True):
        _ratio_panel(panel, summary, scenario, index)
    legend = [
        Line2D([], [], color=colour, linewidth=2, label=f"{label.split(':')[0]}: claim ÷ truth")
        for *_, colour, label in _sides(summary)
    ]
    legend.append(Line2D([], [], color=SOURCE_COLOUR, linestyle="--", label="Source's prior ratio ρ"))
    if summary.posterior is not None:
        legend.append(Patch(color=SOURCE_COLOUR, alpha=0.6, label="ρ after conditioning"))
    legend += _interval_legend(summary.levels)
    return _finish(figure, summary, "ratios", grid=grid, panel_height=1.9, legend=legend)


# ---------------------------------------------------------------------------------------------
# 4. Forces
# ---------------------------------------------------------------------------------------------


def _force_rows(scenario: Scenario, metric: str) -> list[tuple[str, str]]:
    """(label, quantity name) rows: all forces first (when several), then each force."""
    if len(scenario.forces) == 1:
        return [(scenario.forces[0].label, metric)]
    return [("All forces", metric)] + [(force.label, f"{metric}[{force.id}]") for force in scenario.forces]


def _forces_numbers(summary: Summary, scenario: Scenario, metric: str) -> list[list[str]]:
    """``1,544 (507–3,359)``: median and widest interval, by row and side, as the forces panel writes them."""
    out = []
    for _label, name in _force_rows(scenario, metric):
        row = []
        for _key, side, *_ in _sides(summary):
            d = side.quantity(name)
            iv = d.eti[-1]
            row.append(f"{format_count(d.median.value)} ({format_count(iv.low)}–{format_count(iv.high)})")
        out.append(row)
    return out


def _margin_note(ax: Axes, text: str, y: float, *, gap: float, **style: Any) -> None:
    """``text`` in a column right of the panel at data height ``y``, ``gap`` points out, so the bars keep the
    panel's whole width (the glance's verdicts, the forces' numbers)."""
    ax.annotate(
        text,
        xy=(1, y),
        xycoords=("axes fraction", "data"),
        xytext=(gap, 0),
        textcoords="offset points",
        va="center",
        fontsize=7,
        annotation_clip=False,
        **style,
    )


def _forces_panel(ax: Axes, summary: Summary, scenario: Scenario, metric: str) -> None:
    rows = _force_rows(scenario, metric)
    sides = _sides(summary)
    widest = [side.quantity(name).eti[-1] for _label, name in rows for _key, side, *_ in sides]
    low = min(max(iv.low, 1.0) for iv in widest) / 1.6
    high = max(max(iv.high, 2.0) for iv in widest) * 1.6
    log_axis(ax.xaxis, low, high)
    spacing = 0.3
    numbers = _forces_numbers(summary, scenario, metric)
    for number, (_label, name) in enumerate(rows):
        for index, (_key, side, colour, _side_label) in enumerate(sides):
            d = side.quantity(name)
            y = number + (index - (len(sides) - 1) / 2) * spacing
            _strip(ax, d.eti, d.median.value, y=y, height=0.24, colour=colour)
            _margin_note(ax, numbers[number][index], y, gap=6, color=colour)
    ax.annotate(
        f"Median ({summary.levels[-1]:.0%})",
        xy=(1, 1),
        xycoords="axes fraction",
        xytext=(6, 2),
        textcoords="offset points",
        va="bottom",
        fontsize=7,
        color=MUTED_COLOUR,
        annotation_clip=False,
    )
    ax.set_yticks(range(len(rows)), [wrap(label, 26) for label, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    missing = " + missing" if any(force.missing is not None for force in scenario.forces) else ""
    ax.set_title("Killed" if metric == "killed" else f"Casualties (killed + wounded{missing})", fontsize=8.5)
    ax.set_xlabel("People (log scale)")


@styled
def plot_forces(summary: Summary, scenario: Scenario, *, metric: str | None = None, ax: Axes | None = None) -> Figure:
    """Killed (and casualties) per force and in total: median and nested credible intervals.

    Parameters
    ----------
    summary : Summary
    scenario : Scenario
        For the forces' labels.
    metric : {"killed", "casualties"}, optional
        Draw only this metric.
    ax : Axes, optional
        Draw into this axes (a single panel).

    Returns
    -------
    Figure
    """
    metrics = [metric] if metric else ["killed"] + (["casualties"] if scenario.has_casualties else [])
    grid: Grid | None = None
    if ax is None:
        figure, column = new_figure(WIDTH, 4.0, layout=None, nrows=len(metrics), squeeze=False)
        axes = list(column.ravel())
        grid = [[panel] for panel in axes]
    else:
        figure, axes, _ = _panels(ax, len(metrics), "metric")
    for panel, name in zip(axes, metrics, strict=True):
        _forces_panel(panel, summary, scenario, name)
    legend = [*_side_legend(summary), *_interval_legend(summary.levels)]
    rows = len(_force_rows(scenario, "killed")) * (1.5 if summary.posterior is not None else 1.0)
    longest = max(len(text) for name in metrics for row in _forces_numbers(summary, scenario, name) for text in row)
    right = longest * 7 * 0.64 / 72 + 0.2  # the numbers' column (DejaVu Sans digits are 0.64 em wide)
    height = max(0.42 * rows + 0.3, 1.2)
    return _finish(figure, summary, "forces", grid=grid, panel_height=height, legend=legend, right=right)


# ---------------------------------------------------------------------------------------------
# 5. Priors (and posteriors) of every uncertain input
# ---------------------------------------------------------------------------------------------


def _is_integer(distribution: object) -> bool:
    return hasattr(getattr(distribution, "dist", None), "pmf")


PRIOR_STAIRS = 200
"""The most stairs an integer prior is drawn with; wider ranges group whole numbers."""


def _integer_edges(low: float, high: float, most: int) -> np.ndarray:
    """Stair edges at half-integers between ``low`` and ``high``: one per whole number, at most ``most``."""
    first, last = math.ceil(low), math.floor(high)
    step = max(1, math.ceil((last - first + 1) / most))
    return np.arange(first, last + step + 1, step) - 0.5


def _prior_range(spec: PriorSpec) -> tuple[float, float, bool]:
    """Axis limits for a prior and whether to use a log axis (a wide positive range)."""
    distribution = spec.distribution
    if isinstance(distribution, Discrete):
        low, high = float(distribution.values[0]), float(distribution.values[-1])
        pad = max((high - low) * 0.08, abs(high) * 0.05, 0.5)
        return low - pad, high + pad, False
    low, high = (float(x) for x in distribution.ppf([0.001, 0.999]))
    if _is_integer(distribution):
        return low - 1, high + 1, False
    if low > 0 and high / low > LOG_PRIOR_SPAN:
        return low / 1.3, high * 1.3, True
    pad = (high - low) * 0.04
    return low - pad, high + pad, False


def _prior_panel(ax: Axes, summary: Summary, scenario: Scenario, spec: PriorSpec) -> None:
    low, high, log = _prior_range(spec)
    distribution = spec.distribution
    if log:
        log_axis(ax.xaxis, low, high, counts=False)
        if math.log10(high / low) >= 2:  # a third of the width holds one label a decade, not two ("3e-050.0001")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0,)))
        grid = np.geomspace(low, high, 300)
    else:
        ax.set_xlim(low, high)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        grid = np.linspace(low, high, 300)
        if high >= 1000:
            ax.xaxis.set_major_formatter(count_formatter())
    if isinstance(distribution, Discrete):
        ax.vlines(distribution.values, 0, distribution.probabilities, color=PRIOR_COLOUR, linewidth=3)
    elif _is_integer(distribution):
        # one stair per whole number, or per group of them over a wide range (sizes of millions)
        edges = _integer_edges(low, high, PRIOR_STAIRS)
        mass = np.diff(distribution.cdf(edges))
        ax.stairs(mass / np.diff(edges), edges, color=PRIOR_COLOUR, fill=True, alpha=0.3)
    else:
        density = distribution.pdf(grid) * (grid * math.log(10) if log else 1)
        ax.plot(grid, density, color=PRIOR_COLOUR, linewidth=1.4)
        ax.fill_between(grid, density, color=PRIOR_COLOUR, alpha=0.12, linewidth=0)
    counts = summary.distributions.get(f"posterior_input/{spec.path}/counts")
    if counts is not None and counts.sum() > 0:
        edges = summary.distributions[f"posterior_input/{spec.path}/edges"]
        if _is_integer(distribution):
            coarse = _integer_edges(low, high, 60)
        else:
            coarse = np.geomspace(low, high, 61) if log else np.linspace(low, high, 61)
        cumulative = np.interp(coarse, edges, np.concatenate([[0.0], np.cumsum(counts)]) / counts.sum())
        width = np.diff(np.log10(coarse)) if log else np.diff(coarse)
        ax.stairs(np.diff(cumulative) / width, coarse, color=POSTERIOR_COLOUR, linewidth=1.3)
    ax.set_ylim(bottom=0)
    ax.set_yticks([])
    ax.set_title(wrap(prior_title(spec, scenario), 30), fontsize=7.5)
    units = wrap(spec.units or "units not given", 38)
    source = wrap(_source_line(spec), 40)  # 7 pt DejaVu: about 40 characters in a third of 7 in
    ax.set_xlabel(f"{units}\n{source}", fontsize=7, color="#222222", linespacing=1.25)
    ax.tick_params(axis="x", labelsize=7)


SOURCE_IN_FULL = 160
"""A prior's source up to this many characters is quoted whole under its panel."""


def _source_line(spec: PriorSpec) -> str:
    """A prior's source under its panel: whole when short, else the documents it cites (or its opening words),
    with a pointer to the report's table of priors, which quotes every source in full with its links."""
    text = " ".join((spec.source or "not given").split())
    if len(text) <= SOURCE_IN_FULL:
        return f"Source: {text}"
    ids = cited_ids(text)
    if not ids:
        return f"Source: {shorten(text, 90, placeholder='…')} (see the table of priors)"
    more = f" and {len(ids) - 1} more" if len(ids) > 1 else ""
    return f"Source: {ids[0]}{more} (see the table of priors)"


@styled
def plot_priors(summary: Summary, scenario: Scenario, *, path: str | None = None, ax: Axes | None = None) -> Figure:
    """Each uncertain input's prior density, with its units and source, posterior overlaid when conditioned.

    Fixed inputs (one value) are not drawn. Wide positive priors (a 99.8% range over a factor
    of 30) use a log axis, where the density is per decade.

    Parameters
    ----------
    summary : Summary
    scenario : Scenario
        The priors as the scenario states them.
    path : str, optional
        Draw only the prior at this key path (``forces.combat.size``).
    ax : Axes, optional
        Draw into this axes (a single panel).

    Returns
    -------
    Figure
    """
    specs = [s for s in scenario.priors() if not s.is_fixed and path in (None, s.path)]
    if not specs:
        raise ValueError("no uncertain prior to draw" + (f" at {path!r}" if path else ""))
    figure, axes, grid = _panels(ax, len(specs), "path", columns=3)
    for panel, spec in zip(axes, specs, strict=True):
        _prior_panel(panel, summary, scenario, spec)
    legend: list[Artist] = [Line2D([], [], color=PRIOR_COLOUR, linewidth=2, label="Prior, as the scenario states it")]
    if summary.posterior is not None:
        legend.append(Line2D([], [], color=POSTERIOR_COLOUR, linewidth=2, label="Posterior"))
    return _finish(figure, summary, "priors", grid=grid, panel_height=1.1, legend=legend)


# ---------------------------------------------------------------------------------------------
# 6. Over time: the cumulative toll of the phased forces, from the engine's timeline tallies
# ---------------------------------------------------------------------------------------------


def timeline_points(summary: Summary, side: str, metric: str) -> list[tuple[date, np.ndarray]]:
    """The pmf of the cumulative ``metric`` at each date of the run's timeline, in date order."""
    prefix = f"{side}/timeline:{metric}@"
    days = sorted(key.removeprefix(prefix) for key in summary.distributions if key.startswith(prefix))
    return [(date.fromisoformat(day), summary.pmf(side, f"timeline:{metric}@{day}")) for day in days]


def _timeline_metrics(summary: Summary) -> list[str]:
    names = {key.split(":", 1)[1].split("@")[0] for key in summary.distributions if key.startswith("prior/timeline:")}
    return [metric for metric in ("killed", "casualties", "deaths") if metric in names]


def _fan(ax: Axes, points: list[tuple[date, np.ndarray]], levels: Sequence[float], colour: str) -> None:
    """Nested bands and the median of the cumulative toll, straight between the timeline's dates."""
    days = [day for day, _ in points]
    alphas = interval_alphas(levels)
    for level in sorted(levels, reverse=True):
        lower = [pmf_quantile(pmf, (1 - level) / 2) for _, pmf in points]
        upper = [pmf_quantile(pmf, (1 + level) / 2) for _, pmf in points]
        ax.fill_between(days, lower, upper, color=colour, alpha=alphas[level], linewidth=0)  # type: ignore[arg-type]
    ax.plot(days, [pmf_quantile(pmf, 0.5) for _, pmf in points], color=colour, linewidth=1.6)  # type: ignore[arg-type]


def _claim_date(claim: Claim) -> date | None:
    """Where a claim goes on the time axis: the date it counts to, or its own date after the phases."""
    if claim.as_of is not None:
        return claim.as_of
    try:
        return date.fromisoformat(claim.date) if claim.date else None
    except ValueError:
        return None


def _dated_claims(ax: Axes, scenario: Scenario, metric: str, scope: tuple[str, ...]) -> list[Artist]:
    """Each dated claim on this metric and scope: a point (a range for rounding or between) at its date."""
    markers = {"eq": "o", "between": "o", "ge": "^", "le": "v"}
    legend: list[Artist] = []
    for claim in scenario.claims:
        day = _claim_date(claim)
        if day is None or claim.is_ratio or claim.metric != metric or claim.scope != scope:
            continue
        high = claim.low if claim.high is None else claim.high
        low = claim.high if claim.relation == "le" else claim.low
        centre = (low + high) / 2 if claim.relation in ("eq", "between") else (low if claim.relation == "ge" else high)
        ax.errorbar(
            [day],  # type: ignore[arg-type]
            [centre],
            yerr=[[centre - low], [high - centre]],
            fmt=markers[claim.relation],
            color=CLAIM_COLOUR,
            markersize=5,
            capsize=3,
            linewidth=1,
            zorder=5,
        )
        legend.append(
            Line2D(
                [],
                [],
                color=CLAIM_COLOUR,
                marker=markers[claim.relation],
                linestyle="",
                label=shorten(claim.label, 50, placeholder="…"),
            )
        )
    return legend


@styled
def plot_over_time(
    summary: Summary,
    scenario: Scenario,
    *,
    metric: str | None = None,
    side: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The cumulative toll of the phased forces over time: a fan chart with the dated claims.

    Median and nested credible bands of the toll on each date of the engine's timeline (every
    phase's start and end and every dated claim's date, tallied over all draws), one row per
    metric, one column per side (prior and, when the run conditions on claims, posterior);
    straight lines between those dates. Each dated claim about the same metric and forces is
    a point at its date (a range for a rounded figure or a ``between``; ▲ for "at least",
    ▼ for "at most").

    Parameters
    ----------
    summary : Summary
    scenario : Scenario
    metric : {"killed", "casualties", "deaths"}, optional
        Draw only this metric (default: every metric of the timeline).
    side : {"prior", "posterior"}, optional
        Draw only this side (default: both when the run conditions on claims).
    ax : Axes, optional
        Draw into this axes (a single panel).

    Returns
    -------
    Figure
    """
    metrics = [m for m in _timeline_metrics(summary) if metric in (None, m)]
    if not metrics:
        raise ValueError("the run has no timeline: no force has phases" + (f" ({metric!r})" if metric else ""))
    sides = [(key, colour) for key, _side, colour, _label in _sides(summary) if side in (None, key)]
    grid: Grid | None = None
    if ax is None:
        figure, grid_axes = new_figure(
            WIDTH, 4.0, layout=None, nrows=len(metrics), ncols=len(sides), squeeze=False, sharey="row"
        )
        rows = grid = [list(row) for row in grid_axes]
    else:
        figure, panels, _ = _panels(ax, len(metrics) * len(sides), "metric= and side")
        rows = [panels]
    scope = tuple(force.id for force in scenario.forces if force.phases)
    forces = " + ".join(force.label for force in scenario.forces if force.phases)
    legend: list[Artist] = [Line2D([], [], color=MUTED_COLOUR, linewidth=1.6, label="Median")]
    legend += _interval_legend(summary.levels)
    for row, name in zip(rows, metrics, strict=True):
        for panel, (key, colour) in zip(row, sides, strict=True):
            _fan(panel, timeline_points(summary, key, name), summary.levels, colour)
            claims = _dated_claims(panel, scenario, name, scope)
            legend += [a for a in claims if a.get_label() not in {b.get_label() for b in legend}]
            panel.set_ylim(bottom=0)
            panel.yaxis.set_major_formatter(count_formatter())
            locator = AutoDateLocator(maxticks=6)
            panel.xaxis.set_major_locator(locator)
            panel.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            panel.set_title(wrap(f"{_noun(name).capitalize()}: {forces} ({key})", 46), fontsize=8.5)
        row[0].set_ylabel("Cumulative count (people)")
    return _finish(figure, summary, "over_time", grid=grid, panel_height=2.1, legend=legend)


# ---------------------------------------------------------------------------------------------
# Every figure of a run
# ---------------------------------------------------------------------------------------------


def draw_figure(run: RunData, name: str) -> Figure:
    """Draw figure ``name`` (a key of :data:`sim.text.FIGURE_TITLES`) of a saved run.

    Which figures apply to a run is :func:`sim.figures.figure_names`.
    """
    summary, scenario = run.summary, run.scenario
    drawers: dict[str, Callable[[], Figure]] = {
        "glance": lambda: plot_glance(summary),
        "toll": lambda: plot_toll(summary),
        "exceedance": lambda: plot_exceedance(summary),
        "ratios": lambda: plot_ratios(summary, scenario),
        "forces": lambda: plot_forces(summary, scenario),
        "priors": lambda: plot_priors(summary, scenario),
        "over_time": lambda: plot_over_time(summary, scenario),
    }
    return drawers[name]()
