"""One look for every figure: colour-blind-safe palette, readable at column width, provenance on each.

Figures are built with :func:`new_figure` (never pyplot's global state) on the Agg backend,
framed by :func:`frame` (a title, the scenario's title and a provenance footer) and saved with
:func:`save_figure` as PNG (:data:`sim.raster.PNG_DPI`, provenance in the PNG text chunks) and SVG.
"""

from __future__ import annotations

import functools
import gzip
import io
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.ticker as mticker
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.transforms import ScaledTranslation

from sim.raster import PNG_DPI, palette_png
from sim.text import shorten

__all__ = [
    "CLAIM_COLOUR",
    "MUTED_COLOUR",
    "PALETTE",
    "POSTERIOR_COLOUR",
    "PRINT_WIDTH",
    "PRIOR_COLOUR",
    "SMALLEST_FONT",
    "SOURCE_COLOUR",
    "axis_fraction",
    "count_formatter",
    "figure_style",
    "fit_line",
    "fit_panels",
    "frame",
    "interval_alphas",
    "log_axis",
    "new_figure",
    "provenance_metadata",
    "save_figure",
    "styled",
]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
PRIOR_COLOUR = PALETTE[0]
POSTERIOR_COLOUR = PALETTE[1]
SOURCE_COLOUR = PALETTE[2]
CLAIM_COLOUR = "#222222"
MUTED_COLOUR = "#555555"

RC: dict[str, Any] = {
    "text.parse_math": False,  # titles and labels come from scenarios: a '$' is a dollar, not mathtext
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titley": 1.0,  # a fixed title position: automatic placement re-measures every tick label on each draw
    "axes.titlepad": 5.0,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.5,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "svg.fonttype": "none",
    "svg.hashsalt": "sim",
    "text.hinting": "no_hinting",  # at 150 dpi unhinted glyphs look the same and draw about a tenth faster
}

SMALLEST_FONT = 7.0
"""Points: no text of a figure is smaller, and figures are at most :data:`PRINT_WIDTH` wide, so that the report
prints them at their own size (sim.report) and every word stays readable on A4 and Letter."""
PRINT_WIDTH = 7.0
"""Inches: the widest a figure is drawn, within the text width of A4 (210 − 2 × 14 mm = 7.17 in) and Letter."""

# Heights (inches) of the bands that frame() reserves above and below the axes.
_TITLE_BAND = 0.62
_FOOTER_BAND = 0.24
_LEGEND_ROW = 0.2

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply sim's rcParams for the duration of the block."""
    with matplotlib.rc_context(RC):
        yield


def styled(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` inside :func:`figure_style`, so every artist it creates gets sim's look."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with figure_style():
            return function(*args, **kwargs)

    return wrapper


def new_figure(
    width: float = 6.5, height: float = 4.0, *, layout: str | None = "constrained", **subplots: Any
) -> tuple[Figure, Any]:
    """A Figure (not attached to pyplot) in sim's style, with ``subplots(**subplots)`` axes.

    ``layout=None`` leaves placement to :func:`fit_panels` (much faster to draw).
    """
    with figure_style():
        figure = Figure(figsize=(width, height), layout=layout)
        axes = figure.subplots(**subplots)
    return figure, axes


def frame(
    figure: Figure, *, title: str, subtitle: str, footer: str, legend: Sequence[Artist] = ()
) -> tuple[float, float]:
    """Write the figure's title, the scenario's title, a legend row and the provenance footer.

    The texts are placed in inches from the top and bottom edges, so the figure may be
    resized afterwards (as :func:`fit_panels` does). With a layout engine, it is told to keep
    the axes clear of them.

    Parameters
    ----------
    figure : Figure
        A figure made by :func:`new_figure`.
    title : str
        What the figure shows, in plain words.
    subtitle : str
        The scenario's title.
    footer : str
        Provenance: scenario, seed, draws, version.
    legend : sequence of Artist
        Legend handles (with labels), laid out in as few rows as fit the width.

    Returns
    -------
    top, bottom : float
        Heights in inches of the bands taken at the top (titles and legend) and the bottom.
    """
    width, height = figure.get_size_inches()

    def inches(dy: float) -> Any:
        return figure.transFigure + ScaledTranslation(0, dy, figure.dpi_scale_trans)

    top = _TITLE_BAND
    with figure_style():
        figure.text(0.01, 1, title, fontsize=11, fontweight="bold", va="top", transform=inches(-0.08))
        figure.text(0.01, 1, subtitle, fontsize=8.5, color=MUTED_COLOUR, va="top", transform=inches(-0.34))
        footer = fit_line(footer, width - 0.2, SMALLEST_FONT)
        figure.text(0.01, 0, footer, fontsize=SMALLEST_FONT, color=MUTED_COLOUR, va="bottom", transform=inches(0.06))
        if legend:
            columns = _legend_columns([str(h.get_label()) for h in legend], width)
            figure.legend(
                handles=list(legend),
                loc="upper left",
                bbox_to_anchor=(0.005, 1),
                bbox_transform=inches(-(_TITLE_BAND - 0.04)),
                ncols=columns,
                borderaxespad=0,
                handlelength=1.8,
                columnspacing=1.4,
            )
            top += math.ceil(len(legend) / columns) * _LEGEND_ROW
    engine = figure.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0, _FOOTER_BAND / height, 1, 1 - (_FOOTER_BAND + top) / height))
    return top, _FOOTER_BAND


def fit_line(text: str, width: float, size: float) -> str:
    """``text`` on one line cut at a word, with `` …``, to fit ``width`` inches at ``size`` points."""
    return shorten(text, _fitting_characters(width, size))


def _fitting_characters(width: float, size: float) -> int:
    """How many characters of DejaVu Sans at ``size`` points fit in ``width`` inches, a little pessimistically
    (0.6 em each; digits and lower case average about 0.55)."""
    return max(20, int(width * 72 / (0.6 * size)))


def _lines(text: str, size: float) -> float:
    """Height in inches of ``text`` (one or more lines) at ``size`` points."""
    return (text.count("\n") + 1) * size * 1.22 / 72 if text else 0.0


def _tick_labels(axis: Axis) -> list[str]:
    """The tick labels an axis will show (formatted, inside its limits, if labels are on)."""
    ticks = axis.get_major_ticks()
    if not ticks or not ticks[0].label1.get_visible():
        return []
    low, high = sorted(axis.get_view_interval())
    locations = [x for x in axis.get_majorticklocs() if low - 1e-9 * abs(low) <= x <= high + 1e-9 * abs(high)]
    return [label for label in axis.get_major_formatter().format_ticks(locations) if label]


def fit_panels(
    figure: Figure,
    grid: Sequence[Sequence[Axes]],
    *,
    panel_height: float,
    bands: tuple[float, float],
    right: float = 0.25,
) -> None:
    """Size the figure and place a grid of panels around their titles, labels and tick labels.

    A cheap stand-in for a layout engine: the space each text needs is estimated from its
    string and font size (DejaVu Sans digits are 0.64 em wide) instead of being measured at
    draw time, which is what makes constrained layout slow.

    Parameters
    ----------
    figure : Figure
        A figure without a layout engine; its width is kept.
    grid : sequence of sequences of Axes
        The panels by row and column (rows may be shorter than the first).
    panel_height : float
        Height of each panel's plotting area in inches.
    bands : (float, float)
        Inches taken at the top and bottom by :func:`frame`.
    right : float
        Inches kept free right of the last column (for text the panels write beside themselves).
    """
    width = figure.get_figwidth()
    columns = max(len(row) for row in grid)
    em = 0.64 / 72

    def left(ax: Axes) -> float:
        labels = _tick_labels(ax.yaxis)
        if not labels:
            return _lines(ax.get_ylabel(), ax.yaxis.label.get_size()) + 0.08
        longest = max(len(line) for label in labels for line in label.split("\n"))
        ticks = longest * ax.yaxis.get_ticklabels()[0].get_size() * em + 0.1
        return ticks + _lines(ax.get_ylabel(), ax.yaxis.label.get_size()) + 0.08

    def above(ax: Axes) -> float:
        title = ax.get_title(loc="left") or ax.get_title()
        return _lines(title, ax.title.get_size()) + (0.1 if title else 0.02)

    def below(ax: Axes) -> float:
        labels = _tick_labels(ax.xaxis)
        size = ax.xaxis.get_ticklabels()[0].get_size() if labels else 0.0
        ticks = max((_lines(label, size) for label in labels), default=0.0) + (0.1 if labels else 0.0)
        return ticks + _lines(ax.get_xlabel(), ax.xaxis.label.get_size()) + 0.06

    # At least 0.3 in: a panel's first x tick label and centred x label may reach left of it.
    lefts = [max(0.3, *(left(row[c]) for row in grid if c < len(row))) for c in range(columns)]
    gutter = 0.2
    panel_width = (width - sum(lefts) - gutter * (columns - 1) - right) / columns
    tops = [max(above(ax) for ax in row) for row in grid]
    bottoms = [max(below(ax) for ax in row) for row in grid]
    top_band, bottom_band = bands
    height = top_band + sum(tops) + sum(bottoms) + len(grid) * panel_height + 0.1 * (len(grid) - 1) + bottom_band
    figure.set_size_inches(width, height)
    y = height - top_band
    for row, row_top, row_bottom in zip(grid, tops, bottoms, strict=True):
        y -= row_top + panel_height
        x = 0.0
        for c, ax in enumerate(row):
            x += lefts[c]
            ax.set_position([x / width, y / height, panel_width / width, panel_height / height])
            x += panel_width + gutter
        y -= row_bottom + 0.1


def _legend_columns(labels: Sequence[str], width: float) -> int:
    """The most legend columns whose estimated widths (7.5 pt text) fit in ``width`` inches."""
    items = [0.064 * len(label) + 0.5 for label in labels]
    for columns in range(len(items), 1, -1):
        # matplotlib fills a legend column by column, the first (n mod columns) one entry longer
        base, extra = divmod(len(items), columns)
        ends = np.cumsum([base + 1] * extra + [base] * (columns - extra))
        widest = [max(items[end - size : end]) for end, size in zip(ends, np.diff(ends, prepend=0), strict=True)]
        if sum(widest) <= width - 0.2:
            return columns
    return 1


def interval_alphas(levels: Sequence[float]) -> dict[float, float]:
    """Shading opacity per credible level: the widest interval lightest, the narrowest darkest."""
    ordered = sorted(levels, reverse=True)
    steps = len(ordered)
    return {level: 0.22 + 0.5 * index / max(steps - 1, 1) for index, level in enumerate(ordered)}


def count_formatter() -> mticker.Formatter:
    """Tick labels for counts: thousands separators, no scientific notation."""
    return mticker.FuncFormatter(lambda x, _pos: f"{x:,.0f}" if x >= 1 or x == 0 else f"{x:g}")


def axis_fraction(value: float, limits: tuple[float, float], logarithmic: bool) -> float:
    """Where ``value`` sits between an axis' ``limits`` (log or linear), from 0 (left) to 1 (right)."""
    low, high = limits
    if logarithmic:
        return math.log(value / low) / math.log(high / low)
    return (value - low) / (high - low)


def log_axis(axis: Axis, low: float, high: float, *, counts: bool = True) -> None:
    """A log scale from ``low`` to ``high`` with plain tick labels (1, 2, 5, 10, ... or 0.01, 0.1, 1, ...).

    Labels are thinned to whole decades when the range spans more than three, so they stay
    legible at column width.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        ``ax.xaxis`` or ``ax.yaxis``.
    low, high : float
        The axis limits (both > 0).
    counts : bool
        Format labels as counts (``1,000``) rather than plain numbers (``0.001``).
    """
    decades = math.log10(high / low)
    subs = (1.0,) if decades > 3.2 else (1.0, 3.0) if decades > 1.6 else (1.0, 2.0, 5.0)
    if axis.axis_name == "x":
        axis.axes.set_xscale("log")
        axis.axes.set_xlim(low, high)
    else:
        axis.axes.set_yscale("log")
        axis.axes.set_ylim(low, high)
    axis.set_major_locator(mticker.LogLocator(base=10, subs=subs))
    axis.set_minor_locator(mticker.NullLocator())  # minor ticks cost more to draw than they help at this size
    plain = mticker.FuncFormatter(lambda x, _pos: f"{x:,.0f}" if x >= 1 else f"{x:.6g}")
    axis.set_major_formatter(count_formatter() if counts else plain)


def provenance_metadata(manifest: Mapping[str, Any], *, title: str, description: str) -> dict[str, str]:
    """PNG text chunks (and SVG metadata) for a figure of a run: what it shows and how to reproduce it.

    Parameters
    ----------
    manifest : mapping
        The run's ``manifest.json``.
    title, description : str
        The figure's title and caption.
    """
    keys = ("scenario", "seed", "draws", "config_sha256", "sim_version", "git_commit", "numpy_version", "scipy_version")
    out = {"Title": title, "Description": description, "Software": f"sim {manifest.get('sim_version', '')}"}
    out.update({f"sim.{key}": str(manifest[key]) for key in keys if manifest.get(key) is not None})
    command = manifest.get("command")
    if command:
        out["sim.command"] = " ".join(str(part) for part in command)
    return out


def save_figure(
    figure: Figure, stem: str | Path, *, metadata: Mapping[str, str], compressed: bool = False
) -> list[Path]:
    """Save ``stem.png`` (150 dpi, ``metadata`` in its text chunks) and ``stem.svg``; return the paths.

    The SVG carries the title and description (with the provenance keys appended) and no
    date, so the same run gives the same bytes. With ``compressed`` it is ``stem.svgz``: the
    same SVG, gzip-compressed (no time in its header: the same bytes again), which browsers
    and vector editors open as SVG, at about a sixth of the size.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + (".svgz" if compressed else ".svg"))
    provenance = "; ".join(f"{k.removeprefix('sim.')}={v}" for k, v in metadata.items() if k.startswith("sim."))
    svg_metadata = {
        "Creator": metadata.get("Software", "sim"),
        "Title": metadata.get("Title", ""),
        "Description": f"{metadata.get('Description', '')} [{provenance}]",
        "Date": None,
    }
    with figure_style():
        if figure.get_layout_engine() is not None:
            figure.draw_without_rendering()  # lay out once, then keep that layout for both files
            figure.set_layout_engine("none")
        _save_png(figure, png, metadata={"Software": "sim", **dict(metadata)})
        if compressed:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="svg", metadata=svg_metadata)
            svg.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0))
        else:
            figure.savefig(svg, metadata=svg_metadata)
    return [png, svg]


def _save_png(figure: Figure, path: Path, *, metadata: Mapping[str, str]) -> None:
    """Save ``figure`` as a palette PNG (:func:`sim.raster.palette_png`) with ``metadata`` in its text chunks."""
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    buffer.seek(0)
    with Image.open(buffer) as image:
        path.write_bytes(palette_png(image, text=metadata, dpi=image.info["dpi"][0]))
