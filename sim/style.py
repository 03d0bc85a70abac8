"""One look for every figure: colour-blind-safe palette, readable at column width, provenance footer.

Figures are built with :func:`new_figure` (never pyplot's global state) on the Agg backend,
and saved with :func:`save_figure` as PNG (200 dpi, provenance in the PNG metadata) and SVG.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.ticker as mticker
from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "POSTERIOR_COLOUR",
    "PRIOR_COLOUR",
    "count_formatter",
    "figure_style",
    "new_figure",
    "provenance_footer",
    "save_figure",
]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
PRIOR_COLOUR = PALETTE[0]
POSTERIOR_COLOUR = PALETTE[1]

RC: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.5,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "svg.fonttype": "none",
}


@contextmanager
def figure_style() -> Iterator[None]:
    """Apply sim's rcParams for the duration of the block."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(width: float = 6.5, height: float = 4.0, **subplots: Any) -> tuple[Figure, Any]:
    """A Figure (not attached to pyplot) in sim's style, with ``subplots(**subplots)`` axes."""
    with figure_style():
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.subplots(**subplots)
    return figure, axes


def count_formatter() -> mticker.Formatter:
    """Tick labels for counts: thousands separators, no scientific notation."""
    return mticker.FuncFormatter(lambda x, _pos: f"{x:,.0f}" if x >= 1 or x == 0 else f"{x:g}")


def provenance_footer(figure: Figure, text: str) -> None:
    """Write the provenance line (scenario, seed, draws, version) under the figure."""
    figure.text(0.005, 0.003, text, fontsize=6.5, color="#555555", ha="left", va="bottom")
    figure.get_layout_engine().set(rect=(0, 0.035, 1, 0.965))


def save_figure(figure: Figure, stem: str | Path, metadata: Mapping[str, str]) -> list[Path]:
    """Save ``stem.png`` (200 dpi, ``metadata`` in its text chunks) and ``stem.svg``; return the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with figure_style():
        figure.savefig(png, metadata={"Software": "sim", **dict(metadata)})
        figure.savefig(svg, metadata={"Creator": "sim"})
    return [png, svg]
