"""The figure of a prior-family robustness check: each claim's probability under every variant."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from sim.robust import SIGMAS, ClaimRange, RobustResult, upper_bound
from sim.style import CLAIM_COLOUR, MUTED_COLOUR, PALETTE, figure_style, frame, log_axis, new_figure, save_figure
from sim.text import wrap

__all__ = ["robustness_figure", "write_figures"]

WIDTH = 7.0
LABEL_CHARACTERS = 30
"""Characters per line of a claim's label (labels wrap, never cut)."""
FAMILY_COLOURS = {
    "beta": PALETTE[0],
    "logitnormal": PALETTE[1],
    "pert": PALETTE[2],
    "gamma": PALETTE[3],
    "lognormal": PALETTE[4],
    "normal": PALETTE[5],
}
JOINT_MARKERS = ("s", "D", "P")
TITLE_AND_FOOTER = 0.9
LEGEND_ROW = 0.2
AXIS_BAND = 0.8
"""Inches for the panel titles, tick labels and axis label."""
ROW = 0.32
"""Inches per claim, at least (a label of more than two lines gets LINE more per line)."""
LINE = 0.15
FLOOR_DECADES = 0.4
"""How far (in decades) below the smallest value drawn the axis starts; zeros sit on this floor."""


def _marker_value(value: float, method: str, mcse: float) -> tuple[float, bool]:
    """Where a value is drawn and whether it is an upper limit: a rule-of-three bound, an estimate of 0
    at its upper limit (+ 3 MCSE), or an exact 0 (on the axis' floor)."""
    if method == "bound" and value < 0.5:
        return mcse, True
    if value <= 0:
        return (SIGMAS * mcse if math.isfinite(mcse) else 0.0), True
    return value, False


def _limits(ranges: list[ClaimRange]) -> tuple[float, float]:
    drawn = [
        _marker_value(v.value, v.method, v.mcse)[0] for r in ranges for v in r.values if v is not None and v.value >= 0
    ]
    positive = [x for x in drawn if x > 0] or [1e-3]
    low = 10 ** (math.floor(math.log10(min(positive)) - FLOOR_DECADES))
    return low, 1.0


def robustness_figure(result: RobustResult) -> object:
    """One row per claim, one panel per side: P(claim true) under every variant on a log axis.

    The black diamond is the scenario as written; dots are one prior refitted (coloured by its new
    family); hollow squares, diamonds and crosses are every interval prior refitted at once; the grey
    bar spans the lowest to the highest value. An upper limit (zero, or a posterior tail below
    resolution) is drawn as a left-pointing triangle at its bound.
    """
    sides = list(dict.fromkeys(r.side for r in result.ranges))
    claims = [r for r in result.ranges if r.side == sides[0] and r.statistic == "probability"]
    kinds = [v.kind for v in result.variants]
    families = [v.changes[0][1] if v.kind == "single" else None for v in result.variants]
    joint_index = {name: i for i, name in enumerate(v.name for v in result.variants if v.kind == "joint")}
    legend_rows = math.ceil((3 + len(set(families) - {None}) + len(joint_index)) / 2)
    labels = [wrap(r.label, LABEL_CHARACTERS) for r in claims]
    rows = sum(max(ROW, LINE * (label.count("\n") + 1) + 0.05) for label in labels)
    height = TITLE_AND_FOOTER + LEGEND_ROW * legend_rows + AXIS_BAND + rows
    figure, axes = new_figure(WIDTH, height, ncols=len(sides), sharey=True, squeeze=False)
    with figure_style():
        for ax, side in zip(axes[0], sides, strict=True):
            ranges = [r for r in result.ranges if r.side == side and r.statistic == "probability"]
            low, high = _limits(ranges)
            for row, claim_range in enumerate(ranges):
                y = len(ranges) - 1 - row
                present = [(i, v) for i, v in enumerate(claim_range.values) if v is not None]
                xs = [max(_marker_value(v.value, v.method, v.mcse)[0], low) for _, v in present]
                ax.plot([min(xs), max(xs)], [y, y], color="#BBBBBB", linewidth=5, solid_capstyle="round", zorder=1)
                for (index, value), x in zip(present, xs, strict=True):
                    limit = _marker_value(value.value, value.method, value.mcse)[1]
                    kind = kinds[index]
                    if kind == "baseline":
                        style = {"marker": "<" if limit else "D", "color": CLAIM_COLOUR, "markersize": 7, "zorder": 4}
                    elif kind == "joint":
                        marker = JOINT_MARKERS[joint_index[result.variants[index].name] % len(JOINT_MARKERS)]
                        style = {
                            "marker": "<" if limit else marker,
                            "markerfacecolor": "none",
                            "color": MUTED_COLOUR,
                            "markersize": 6,
                            "zorder": 3,
                        }
                    else:
                        colour = FAMILY_COLOURS.get(families[index] or "", MUTED_COLOUR)
                        style = {"marker": "<" if limit else "o", "color": colour, "markersize": 4.5, "zorder": 2}
                    ax.plot([x], [y], linestyle="none", alpha=0.9, **style)
                bound = max(upper_bound(v) for _, v in present)
                if math.isfinite(bound) and bound < 1:
                    ax.plot([min(bound, 1.0)], [y], marker="|", color=CLAIM_COLOUR, markersize=9, zorder=2)
            log_axis(ax.xaxis, low, high, counts=False)
            ax.set_xlabel("P(claim true)")
            ax.set_title(f"{side} ({'conditioned' if side == 'posterior' else 'predictive'})")
            ax.set_yticks(np.arange(len(ranges)))
            ax.grid(axis="y", visible=False)
        axes[0][0].set_yticks(np.arange(len(claims)), labels[::-1])
        axes[0][0].set_ylim(-0.6, len(claims) - 0.4)
        used = sorted({f for f in families if f is not None}, key=list(FAMILY_COLOURS).index)
        legend = [Line2D([], [], marker="D", linestyle="none", color=CLAIM_COLOUR, label="as written")]
        legend += [
            Line2D([], [], marker="o", linestyle="none", color=FAMILY_COLOURS[f], label=f"one prior as {f}")
            for f in used
        ]
        legend += [
            Line2D(
                [],
                [],
                marker=JOINT_MARKERS[i % len(JOINT_MARKERS)],
                markerfacecolor="none",
                linestyle="none",
                color=MUTED_COLOUR,
                label=f"all: {name.removeprefix('every interval prior ')}",
            )
            for name, i in joint_index.items()
        ]
        legend += [
            Line2D(
                [],
                [],
                marker="|",
                linestyle="none",
                color=CLAIM_COLOUR,
                markersize=9,
                label="highest upper limit (+ 3 MCSE)",
            ),
            Line2D(
                [], [], marker="<", linestyle="none", color=MUTED_COLOUR, label="upper limit (0, or at most its bound)"
            ),
        ]
    frame(
        figure,
        title="How much each claim's probability owes to the prior families",
        subtitle=result.provenance.title,
        footer=result.provenance.footer(),
        legend=legend,
    )
    return figure


def write_figures(result: RobustResult, folder: Path) -> list[Path]:
    """Save ``robust.png`` (150 dpi) and ``robust.svg`` into ``folder``; return the files."""
    metadata = {
        "Title": f"Prior-family robustness — {result.provenance.title}",
        "Description": result.provenance.footer(),
        "sim.scenario": result.provenance.scenario,
        "sim.config_sha256": result.provenance.sha256,
        "sim.seed": str(result.provenance.seed),
        "sim.sim_version": result.provenance.version,
    }
    return save_figure(robustness_figure(result), Path(folder) / "robust", metadata=metadata)
