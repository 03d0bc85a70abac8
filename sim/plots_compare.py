"""The figure of ``sim compare``: every scenario's total killed on one log axis, with the claims.

One panel. Each scenario's distribution of the total killed (the posterior where it conditions
on claims, else the prior) is drawn as probability per decade, so that areas on the log axis
are probabilities and a regiment's dozen dead sits on the same axis as a corps' thousands.
Under the curves, one strip per scenario shows its median and nested credible intervals.
Each scenario's total counts its own forces, so the populations differ (the axis says so and
a note under it names them). Every claim of the killed is a dashed vertical line at its figure, labelled with
the claims and whom each counts (the whole deployment, or its forces); a claim of another metric
(casualties, wounded) is not a count of the killed and is not drawn on this axis: a note under
it lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim import __version__
from sim.compare import ClaimRow, Comparison
from sim.plots import log_density, pmf_quantile
from sim.style import (
    CLAIM_COLOUR,
    MUTED_COLOUR,
    PALETTE,
    frame,
    interval_alphas,
    log_axis,
    new_figure,
    save_figure,
    styled,
)
from sim.text import format_count, wrap

__all__ = ["FIGURE_NAME", "plot_comparison", "write_comparison_figure"]

FIGURE_NAME = "toll"
"""File stem of the figure in the output folder (``toll.png``, ``toll.svg``)."""
TITLE = "Total killed in each scenario, with the published claims"
LABEL_CHARACTERS = 52
LABEL_FONT_SIZE = 7.0
LABEL_TOP = 0.985
"""Where the highest claim label's top sits, as a fraction of the axes' height."""
LABEL_GAP = 3.0
"""Pixels kept between two claim labels."""
LABEL_CLEARANCE = 0.04
"""Fraction of the axes' height kept between the lowest claim label and the highest curve."""
VISIBLE = 1e-3
"""Curves are drawn where their density exceeds this fraction of their peak (below, under a pixel)."""
STRIP_ROW = 0.085
"""Height of one scenario's interval strip, as a fraction of the curves' peak."""


@dataclass(frozen=True)
class _Mark:
    """The claims of the killed at one figure: one line, one label naming whom each claim counts."""

    value: float
    labels: tuple[str, ...]


def _scope(comparison: Comparison, row: ClaimRow) -> str:
    """Whom a claim counts, when its scenario has several forces: `` — whole deployment`` or `` — <its forces>``;
    nothing for a scenario of one force (the note under the axis says whom each scenario counts)."""
    entry = next(e for e in comparison.entries if e.name == row.entry)
    forces = {force.id for force in entry.scenario.forces}
    if len(forces) == 1:
        return ""
    return " — whole deployment" if set(row.prior.scope) == forces else f" — {entry.forces_label(row.prior.scope)}"


def _marks(comparison: Comparison) -> tuple[list[_Mark], list[str]]:
    """Every claim of the killed once (by id), grouped by figure, in increasing figure; and the claims of
    other metrics (casualties, wounded, ...), which a killed axis cannot show, as short texts."""
    grouped: dict[float, list[str]] = {}
    others: list[str] = []
    for group in comparison.claims:
        row = group.rows[0]
        claim = row.prior
        if claim.metric != "killed":
            others.append(f"{claim.label} ({format_count(claim.value)} {claim.metric.replace('_', ' ')})")
            continue
        labels = grouped.setdefault(claim.value, [])
        text = f"{claim.label}{_scope(comparison, row)}"
        if text not in labels:
            labels.append(text)
    return [_Mark(value, tuple(labels)) for value, labels in sorted(grouped.items())], list(dict.fromkeys(others))


def _x_range(comparison: Comparison, marks: list[_Mark]) -> tuple[float, float]:
    """Log-axis limits spanning every shown distribution (0.05%–99.95%) and every claim."""
    points = [mark.value for mark in marks if mark.value > 0]
    for entry in comparison.entries:
        pmf = entry.toll_pmf(entry.shown)
        points += [q for q in (pmf_quantile(pmf, 0.0005), pmf_quantile(pmf, 0.9995)) if q > 0]
    low, high = max(min(points) / 2, 0.6), max(points) * 2
    return low, max(high, low * 20)


def _curves(ax: Axes, comparison: Comparison, low: float, high: float) -> float:
    """Draw each scenario's shown distribution where it is visible; return the highest density drawn."""
    peak = 0.0
    for colour, entry in zip(PALETTE, comparison.entries, strict=False):
        edges, density = log_density(entry.toll_pmf(entry.shown), low, high)
        support = np.flatnonzero(density > VISIBLE * density.max())
        if support.size == 0:
            continue  # all its mass at 0, which a log axis cannot show (the note below says so)
        edges, density = edges[support[0] : support[-1] + 2], density[support[0] : support[-1] + 1]
        ax.stairs(density, edges, color=colour, linewidth=1.4, zorder=3)
        ax.stairs(density, edges, color=colour, alpha=0.10, fill=True, zorder=2)
        peak = max(peak, float(density.max()))
    return peak or 1.0


def _strips(ax: Axes, comparison: Comparison, row: float, high: float) -> None:
    """One strip per scenario under the curves: nested credible intervals, the median, the name."""
    for index, (colour, entry) in enumerate(zip(PALETTE, comparison.entries, strict=False)):
        toll = entry.toll(entry.shown)
        y = -(index + 0.75) * row
        alphas = interval_alphas([iv.level for iv in toll.eti])
        for iv in sorted(toll.eti, key=lambda iv: -iv.level):
            left = max(iv.low, 0.5)
            ax.barh(y, iv.high - left, left=left, height=0.7 * row, color=colour, alpha=alphas[iv.level], linewidth=0)
        ax.plot(toll.median.value, y, "o", color="white", markeredgecolor=colour, markersize=4, zorder=4)
        widest = max(toll.eti, key=lambda iv: iv.level)
        right = widest.high * 12 < high
        ax.annotate(
            f"{entry.name}: {entry.shown}, median {format_count(toll.median.value)}",
            xy=(widest.high if right else max(widest.low, 0.5), y),
            xytext=(4 if right else -4, 0),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=LABEL_FONT_SIZE,
            color=colour,
        )


def _claim_label(ax: Axes, mark: _Mark) -> Text:
    """The label of a mark: rotated to read upwards, left of its line: the figure, whom it counts, the claims."""
    lines = [f"{format_count(mark.value)} killed"] + [wrap(label, LABEL_CHARACTERS) for label in mark.labels]
    text = ax.annotate(
        "\n".join(lines),
        xy=(mark.value, LABEL_TOP),
        xycoords=("data", "axes fraction"),
        xytext=(-2, 0),
        textcoords="offset points",
        rotation=90,
        ha="right",
        va="top",
        fontsize=LABEL_FONT_SIZE,
        linespacing=1.15,
        color=CLAIM_COLOUR,
        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        zorder=6,
    )
    text.set_in_layout(False)
    return text


def _place_labels(ax: Axes, texts: list[Text]) -> float:
    """Move each label down from the top of the axes only as far as it must to overlap no other.

    The figure must have been laid out (``draw_without_rendering``). Returns the lowest
    label's bottom as a fraction of the axes' height.
    """
    axes_box = ax.get_window_extent()
    gap = LABEL_GAP / axes_box.height
    placed: list[tuple[float, float, float, float]] = []  # x0, x1 (pixels), top, bottom (axes fraction)
    for text in texts:
        box = text.get_window_extent()
        height = box.height / axes_box.height
        beside = [p for p in placed if box.x0 < p[1] + LABEL_GAP and p[0] < box.x1 + LABEL_GAP]
        candidates = sorted({LABEL_TOP, *(p[3] - gap for p in beside)}, reverse=True)
        y = next(c for c in candidates if all(c - height > p[2] + gap or c < p[3] - gap / 2 for p in beside))
        text.xy = (text.xy[0], y)
        placed.append((box.x0, box.x1, y, y - height))
    return min((p[3] for p in placed), default=1.0)


def _footer(comparison: Comparison) -> str:
    draws = {entry.summary.draws for entry in comparison.entries}
    each = f"{draws.pop():,} draws each" if len(draws) == 1 else "draws " + ", ".join(f"{d:,}" for d in sorted(draws))
    seeds = ", ".join(f"{entry.name} {entry.summary.seed}" for entry in comparison.entries)
    return f"sim {__version__} · {each} · seeds: {seeds}"


@styled
def plot_comparison(comparison: Comparison) -> Figure:
    """Every scenario's total killed on one log axis, credible-interval strips, each claim marked.

    Parameters
    ----------
    comparison : Comparison
        From :func:`sim.compare.build_comparison`.

    Returns
    -------
    Figure
    """
    figure, ax = new_figure(7.0, 6.4)
    marks, others = _marks(comparison)
    low, high = _x_range(comparison, marks)
    log_axis(ax.xaxis, low, high)
    peak = _curves(ax, comparison, low, high)
    row = STRIP_ROW * peak
    bottom = -(len(comparison.entries) + 0.3) * row
    _strips(ax, comparison, row, high)
    ax.axhline(0, color=MUTED_COLOUR, linewidth=0.6)
    ax.set_yticks([])
    ax.set_ylabel("Probability per decade (area = probability)")
    ax.set_xlabel("Killed among each scenario's own forces (people, log scale): the scopes differ")
    ax.set_ylim(bottom, peak)
    texts = [_claim_label(ax, mark) for mark in marks]
    frame(
        figure,
        title=TITLE,
        subtitle="Posterior where a scenario conditions on claims, else prior. Strips: median, 50/80/95% intervals.",
        footer=_footer(comparison),
    )
    scopes = "; ".join(f"{entry.name}, {entry.population}" for entry in comparison.entries)
    note = f"Whom each scenario's total counts: {scopes}."
    if others:
        note += f" Not drawn, as they count more than the killed: {'; '.join(others)}."
    ax.set_xlabel(f"{ax.get_xlabel()}\n\n{wrap(note, 115)}", fontsize=7.5)
    figure.draw_without_rendering()
    lowest = _place_labels(ax, texts)
    top = bottom + (peak - bottom) / max(lowest - LABEL_CLEARANCE, 0.3)
    ax.set_ylim(bottom, top)
    zero_at = -bottom / (top - bottom)
    for mark, text in zip(marks, texts, strict=True):
        ax.axvline(
            mark.value, ymin=zero_at, ymax=text.xy[1], color=CLAIM_COLOUR, linewidth=0.9, linestyle="--", zorder=4
        )
    zero = max(
        (float(entry.toll_pmf(entry.shown)[0]) for entry in comparison.entries),
        default=0.0,
    )
    if zero >= 0.0005:
        ax.text(0.99, 0.02, f"P(0 killed) up to {zero:.2g} (not on a log axis)", transform=ax.transAxes, ha="right")
    return figure


def write_comparison_figure(comparison: Comparison, out_dir: str | Path) -> list[Path]:
    """Save the comparison figure as ``toll.png`` (150 dpi, provenance in its metadata) and ``toll.svg``."""
    metadata = {
        "Title": TITLE,
        "Description": "Distribution of the total killed in "
        + ", ".join(f"{entry.name} ({entry.shown})" for entry in comparison.entries)
        + ", with every claim marked.",
        "Software": f"sim {__version__}",
    }
    for entry in comparison.entries:
        metadata[f"sim.{entry.name}"] = f"{entry.path} seed={entry.summary.seed} draws={entry.summary.draws}"
    return save_figure(plot_comparison(comparison), Path(out_dir) / FIGURE_NAME, metadata=metadata)
