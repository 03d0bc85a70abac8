"""Figures of the sensitivity analyses: sweep bands, tornado bars and Sobol' indices.

Each ``*_figure`` function takes a result of :mod:`sim.sensitivity` and returns a new
:class:`~matplotlib.figure.Figure` in sim's style (:mod:`sim.style`); :func:`write_figures`
saves every figure of a result as PNG (150 dpi, provenance in the metadata) and SVG.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, LogFormatterSciNotation, NullLocator

from sim.config import load_scenario
from sim.sensitivity import (
    Provenance,
    SobolResult,
    SweepResult,
    TornadoResult,
    Value,
    point_statistics,
)
from sim.style import (
    PALETTE,
    POSTERIOR_COLOUR,
    PRIOR_COLOUR,
    axis_fraction,
    count_formatter,
    figure_style,
    fit_line,
    new_figure,
    save_figure,
)
from sim.text import claim_names, day_text, force_label, format_compact, input_label, shorten, wrap

__all__ = ["sobol_figure", "sweep_figure", "tornado_figure", "write_figures"]

WIDTH = 7.0
MUTED = "#555555"
LOW_COLOUR, HIGH_COLOUR = PALETTE[0], PALETTE[1]
FIRST_COLOUR, TOTAL_COLOUR = PALETTE[0], PALETTE[4]
PROBABILITY_FLOOR = 1e-12
"""Claim probabilities below this are drawn on the floor of the log axis, as downward triangles (nudged apart)."""
CLAIM_COLOURS = (PALETTE[2], PALETTE[3], PALETTE[4], PALETTE[5], PALETTE[7], PALETTE[6])
"""The claims' colours in the sweep: never the prior's blue or the posterior's vermilion."""
BAND_ALPHAS = {0.95: 0.15, 0.8: 0.25, 0.5: 0.4}
TITLE_BAND, FOOTER_BAND = 0.62, 0.24
NEGLIGIBLE = 1e-3
TITLE_CHARACTERS = 72
SMALLEST = 1e-300
"""The floor of a log axis of probabilities (well above the smallest double)."""
EDGE = 0.12
"""Bar labels closer than this (axis fraction) to the edge they point at go inside the bar."""
LONG_BAR = 0.25
"""... and only when the bar spans more than this fraction of the axis, so the label fits inside."""
DECADE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 500)


LABEL_LINE = 8.5 * 1.3 / 72
"""Height in inches of one line of an axis label (8.5 pt)."""
ROW_LABEL_CHARACTERS = 48
"""Characters per line of a row's label (an input's name; a phase's names its phase and dates: up to 3 lines)."""


def _row_labels(names: list[str]) -> tuple[list[str], float]:
    """The rows' labels wrapped, and the inches per row: at least 0.38, more when a label takes 3 lines or more
    (8 pt lines, 1.25 apart), so that neighbouring labels never overlap."""
    labels = [wrap(name, ROW_LABEL_CHARACTERS) for name in names]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    return labels, max(0.38, lines * 8 * 1.25 / 72 + 0.08)


def _note_height(note: str) -> float:
    """Height in inches of the note under the axes (wrapped at 125 characters, 7 pt), 0 without one."""
    return (wrap(note, 125).count("\n") + 1) * 7 * 1.3 / 72 + 0.08 if note else 0.0


def _frame(figure: Figure, *, title: str, subtitle: str, footer: str, note: str = "") -> None:
    """Title and subtitle above the axes, and below them an optional note and the provenance footer.

    The figure's height must include :func:`_note_height` of ``note``.
    """
    height = figure.get_figheight()
    band = FOOTER_BAND + _note_height(note)
    note = wrap(note, 125) if note else ""
    with figure_style():
        figure.text(0.01, 1 - 0.08 / height, title, fontsize=11, fontweight="bold", ha="left", va="top")
        figure.text(0.01, 1 - 0.34 / height, subtitle, fontsize=8.5, color=MUTED, ha="left", va="top")
        footer = fit_line(footer, figure.get_figwidth() - 0.2, 7)
        figure.text(0.01, 0.06 / height, footer, fontsize=7, color=MUTED, ha="left", va="bottom")
        if note:
            figure.text(0.01, (FOOTER_BAND + 0.02) / height, note, fontsize=7, ha="left", va="bottom")
    bottom = band / height
    figure.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom - TITLE_BAND / height))


def _metadata(provenance: Provenance, title: str) -> dict[str, str]:
    return {
        "Title": f"{title} — {provenance.title}",
        "Description": provenance.footer(),
        "sim.scenario": provenance.scenario,
        "sim.config_sha256": provenance.sha256,
        "sim.seed": str(provenance.seed),
        "sim.sim_version": provenance.version,
    }


def _title(text: str) -> str:
    """A title that fits on one line of a 7-inch figure."""
    return shorten(text, TITLE_CHARACTERS, placeholder="…")


NOISE_LABELS = {
    "binomial": "binomial noise",
    "wounded": "wounded noise",
    "died_of_wounds": "died-of-wounds noise",
    "non_battle": "non-battle noise",
    "timing": "timing noise",
}


Labels = Callable[[str], str]


def _labels(provenance: Provenance) -> Labels:
    """Human names for key paths (``Fatality rate — Combat troops``) and noise inputs, from the analysed scenario.

    The scenario is read again from its file and used only if its sha256 is the analysis's; otherwise (the file
    moved or changed since) the key paths themselves are the labels.
    """
    try:
        scenario = load_scenario(provenance.file)
    except (OSError, ValueError):
        scenario = None
    if scenario is not None and scenario.sha256 != provenance.sha256:
        scenario = None

    def label(name: str) -> str:
        stage, colon, rest = name.partition(":")
        if colon and stage in NOISE_LABELS:  # binomial:combat:2, timing:combat:2:killed:2025-03-28
            force, _, more = rest.partition(":")
            phase, _, what = more.partition(":")
            index = int(phase) if phase.isdigit() else None
            owner = force_label(scenario, force, index) if scenario is not None else rest
            metric, _, day = what.partition(":")
            when = f": {metric.replace('_', ' ')}" + (f" by {day_text(date.fromisoformat(day))}" if day else "")
            return f"{NOISE_LABELS[stage].capitalize()} — {owner}{when if metric else ''}"
        if stage == "claim" and scenario is not None:
            return claim_names(scenario, [rest])
        return input_label(name, scenario) if scenario is not None and "." in name else name

    return label


# ---------------------------------------------------------------------------------------------
# Sweep
# ---------------------------------------------------------------------------------------------


def _x_positions(values: Sequence[Value], log: bool) -> tuple[np.ndarray, list[str] | None, bool]:
    """Numeric x for scalar values (log when asked or spanning > 20×), else categories with labels."""
    if all(not isinstance(v, tuple) for v in values):
        x = np.asarray(values, dtype=float)
        logarithmic = bool(np.all(x > 0) and (log or x.max() / x.min() > 20))
        return x, None, logarithmic
    labels = [f"[{', '.join(f'{e:g}' for e in v)}]" if isinstance(v, tuple) else f"{v:g}" for v in values]
    return np.arange(len(values), dtype=float), labels, False


def sweep_figure(result: SweepResult) -> Figure:
    """The output's median and 50/80/95% bands against the first swept parameter, and each claim's probability.

    With more axes, each combination of the other axes' values is a separate line (median and
    50% band; in the claims panel, its own line style). The prior is solid, the posterior
    (when the run conditions on claims) dashed in its own colour.
    """
    first, others = result.axes[0], result.axes[1:]
    name_of = _labels(result.provenance)
    x, categories, logarithmic = _x_positions(first.values, first.log)
    rows = [point_statistics(p.summary) for p in result.points]
    combos = list(itertools.product(*(a.values for a in others))) or [()]
    per_combo = len(first.values)
    stride = len(combos)
    conditioned = any(p.summary.posterior is not None for p in result.points)
    sides = [("prior", PRIOR_COLOUR, "-")] + ([("posterior", POSTERIOR_COLOUR, "--")] if conditioned else [])
    claims = result.points[0].summary.prior.claims
    levels = sorted(result.points[0].summary.levels, reverse=True)

    figure, (top, bottom) = new_figure(WIDTH, 7.4, nrows=2, sharex=True, height_ratios=(1, 1.1))

    def series(combo: int, key: str) -> np.ndarray:
        return np.array([rows[i * stride + combo].get(key, math.nan) for i in range(per_combo)], dtype=float)

    def combo_label(combo: tuple) -> str:
        return ", ".join(f"{name_of(a.path)} = {_value_text(v)}" for a, v in zip(others, combo, strict=True))

    banded = sides[-1]  # the posterior when the run conditions on claims, else the prior
    with figure_style():
        handles: list = []
        for c, combo in enumerate(combos):
            for side, colour, style in sides:
                if len(combos) > 1:
                    colour = PALETTE[c % len(PALETTE)]

                def band(level: float, side: str = side, c: int = c) -> tuple[np.ndarray, np.ndarray]:
                    tag = f"{side}:{result.output}:eti{100 * level:g}"
                    return series(c, f"{tag}_low"), series(c, f"{tag}_high")

                if side == banded[0]:
                    for level in levels if len(combos) == 1 else [min(levels)]:
                        top.fill_between(x, *band(level), color=colour, alpha=BAND_ALPHAS.get(level, 0.2), linewidth=0)
                elif len(combos) == 1:
                    for edge in band(max(levels)):
                        top.plot(x, edge, ":", color=colour, linewidth=1.0)
                median = series(c, f"{side}:{result.output}:median")
                top.plot(x, median, style, color=colour, marker="o", markersize=3.5, linewidth=1.6)
            if len(combos) > 1:
                handles.append(Line2D([], [], color=PALETTE[c % len(PALETTE)], marker="o", label=combo_label(combo)))
        if len(combos) == 1:
            handles += [
                Line2D([], [], color=colour, linestyle=style, marker="o", label=f"{side} median")
                for side, colour, style in sides
            ]
            handles += [
                Patch(color=banded[1], alpha=BAND_ALPHAS.get(level, 0.2), label=f"{banded[0]} {level:.0%} interval")
                for level in levels
            ]
            if len(sides) > 1:
                handles.append(
                    Line2D([], [], color=PRIOR_COLOUR, linestyle=":", label=f"prior {max(levels):.0%} interval")
                )
        top.legend(handles=handles, loc="upper left", ncols=2 if len(handles) > 4 else 1)
        top.set_ylabel(result.output)
        top.yaxis.set_major_formatter(count_formatter())
        top.set_title(f"{result.output}: median and credible intervals", loc="left")

        probabilities = [
            series(c, f"{side}:claim:{claim.id}:probability")
            for c in range(len(combos))
            for side, _, _ in sides
            for claim in claims
        ]
        positive = np.concatenate([p[p > 0] for p in probabilities]) if probabilities else np.array([])
        tiny = positive.size > 0 and positive.min() < 0.01
        floor = max(positive.min() / 3, PROBABILITY_FLOOR) if tiny else 0.0
        markers = ["o", "s", "^", "D", "P", "X"]
        # Points only: a straight line between two sweep values would invent the shape in between (a peak on a
        # log axis). Each series is nudged sideways by its own small step, so none hides another.
        series_count = len(claims) * len(combos) * len(sides)
        span = (math.log(x.max() / x.min()) if logarithmic else float(x.max() - x.min())) or 1.0
        claim_handles = []
        for j, claim in enumerate(claims):
            colour = CLAIM_COLOURS[j % len(CLAIM_COLOURS)]
            never = all(
                not np.any(series(c, f"{side}:claim:{claim.id}:probability") > 0)
                for c in range(len(combos))
                for side, _, _ in sides
            )
            note = " — below resolution at every point (no draw reached it)" if never else ""
            claim_handles.append(
                Line2D([], [], color=colour, marker="o", linestyle="", label=wrap(claim.label + note, 48))
            )
            for c in range(len(combos)):
                for s, (side, _, _) in enumerate(sides):
                    y = series(c, f"{side}:claim:{claim.id}:probability")
                    k = (j * len(combos) + c) * len(sides) + s
                    step = (k - (series_count - 1) / 2) * 0.012 * span / max(series_count, 1) ** 0.5
                    shifted = x * math.exp(step) if logarithmic else x + step
                    marker = markers[c % len(markers)]
                    face = colour if s == 0 else "white"
                    below = y < floor if tiny else np.zeros(y.shape, dtype=bool)
                    bottom.plot(shifted[~below], y[~below], marker, color=colour, markerfacecolor=face, markersize=4.5)
                    bottom.plot(
                        shifted[below],
                        np.full(below.sum(), floor),
                        "v",
                        color=colour,
                        markerfacecolor=face,
                        markersize=5,
                    )
        if conditioned:
            claim_handles += [
                Line2D(
                    [],
                    [],
                    color=MUTED,
                    marker="o",
                    markerfacecolor=MUTED if s == 0 else "white",
                    linestyle="",
                    label=side,
                )
                for s, (side, _, _) in enumerate(sides)
            ]
        if len(combos) > 1:
            claim_handles += [
                Line2D([], [], color=MUTED, marker=markers[c % len(markers)], linestyle="", label=combo_label(combo))
                for c, combo in enumerate(combos)
            ]
        if tiny:
            bottom.set_yscale("log")
            bottom.set_ylim(floor / 3, 2.0)
            bottom.set_ylabel("P(claim true), log scale")
            bottom.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
            if any(np.any(p < floor) for p in probabilities):
                claim_handles.append(
                    Line2D([], [], color=MUTED, marker="v", linestyle="none", label=f"below {floor:.0e}, at the floor")
                )
        else:
            bottom.set_ylim(-0.02, 1.02)
            bottom.set_ylabel("P(claim true)")
        bottom.set_title("Each claim's probability", loc="left")
        if logarithmic:
            bottom.set_xscale("log")
        if categories is not None:
            bottom.set_xticks(x, categories, rotation=30 if len(categories) > 5 else 0)
        axis_label = result.axis_labels[0] if result.axis_labels else first.path
        bottom.set_xlabel(wrap(axis_label.replace(first.path, name_of(first.path)), 95))
        # the legend under the x label: tick labels, then each label line as a fraction of the axes' height
        lines = bottom.get_xlabel().count("\n") + 1
        inches = figure.get_figheight() * 1.1 / 2.1 * 0.75  # the lower panel's share of the figure, roughly
        below_axis = -(0.3 + lines * LABEL_LINE) / inches
        bottom.legend(handles=claim_handles, loc="upper center", bbox_to_anchor=(0.5, below_axis), ncols=2)
    names = [name_of(a.path).split(" — ")[0] for a in (first, *others)]  # whose: under the axis, in full
    title = f"Sweep of {' × '.join(names)}, every other input random"
    _frame(figure, title=_title(title), subtitle=result.provenance.title, footer=result.provenance.footer())
    return figure


def _power_of_ten(value: float, _position: int) -> str:
    """``1``, ``1e-06``: plain text (the style turns mathtext off, so no ``$10^{-6}$``)."""
    return "1" if math.isclose(value, 1.0) else f"{value:.0e}"


def _value_text(value: Value) -> str:
    return f"[{', '.join(f'{e:g}' for e in value)}]" if isinstance(value, tuple) else f"{value:g}"


# ---------------------------------------------------------------------------------------------
# Tornado
# ---------------------------------------------------------------------------------------------


def _decade_axis(ax: Axes, limits: tuple[float, float]) -> None:
    """A log x axis with at most about six labelled decades, evenly stepped (1, 2, 5, 10, 20, 50, ... decades)."""
    ax.set_xscale("log")
    low, high = (math.log10(v) for v in limits)
    step = next(s for s in DECADE_STEPS if (high - low) / s <= 6)
    exponents = np.arange(math.ceil(low / step) * step, high + 1e-9, step)
    ax.xaxis.set_major_locator(FixedLocator(10.0**exponents))
    ax.xaxis.set_major_formatter(LogFormatterSciNotation())
    ax.xaxis.set_minor_locator(NullLocator())


def _note(ax: Axes, text: str, x: float, y: float, *, left: bool) -> None:
    """A grey note beside the baseline, on its left when the baseline is near the right edge."""
    ax.annotate(
        text,
        (x, y),
        xytext=(-4 if left else 4, 0),
        textcoords="offset points",
        ha="right" if left else "left",
        va="center",
        fontsize=7,
        color=MUTED,
    )


def tornado_figure(result: TornadoResult) -> Figure:
    """Horizontal bars from the baseline to the output with each input pinned at its low and high quantile.

    The largest swing is on top; each bar end is labelled with the pinned input value.
    """
    name_of = _labels(result.provenance)
    inert = [bar for bar in result.bars if bar.low_output == bar.high_output == result.baseline]
    bars = tuple(bar for bar in result.bars if bar not in inert)  # rows with no effect are folded into one note
    note = f"No effect, pinned at either quantile: {'; '.join(name_of(b.path) for b in inert)}." if inert else ""
    labels, row = _row_labels([name_of(b.path) for b in reversed(bars)])
    height = 1.9 + row * len(bars) + _note_height(note)
    figure, ax = new_figure(WIDTH, height)
    values = [v for bar in bars for v in (bar.low_output, bar.high_output) if math.isfinite(v)] + [result.baseline]
    logarithmic = result.scale == "log"
    if logarithmic:
        positive = [v for v in values if v > 0]
        pad = 10 ** (0.12 * (math.log10(max(positive) / min(positive)) or 1.0))
        limits = (max(min(positive) / pad, SMALLEST), min(max(positive) * pad, 1.0))
    else:
        span = (max(values) - min(values)) or abs(result.baseline) or 1.0
        limits = (min(values) - 0.14 * span, max(values) + 0.14 * span)
    # On a log axis a probability of 0 sits on the axis' floor.
    baseline = limits[0] if logarithmic and result.baseline <= 0 else result.baseline
    with figure_style():
        for row, bar in enumerate(bars):
            y = len(bars) - 1 - row
            left = axis_fraction(baseline, limits, logarithmic) > 1 - 2 * EDGE
            for offset, output, pinned, colour in (
                (0.18, bar.low_output, bar.low_input, LOW_COLOUR),
                (-0.18, bar.high_output, bar.high_input, HIGH_COLOUR),
            ):
                if not math.isfinite(output):
                    _note(
                        ax,
                        f"{format_compact(pinned)}: no posterior (see the warnings)",
                        baseline,
                        y + offset,
                        left=left,
                    )
                    continue
                floored = logarithmic and output <= 0
                end = limits[0] if floored else output
                ax.barh(y + offset, end - baseline, left=baseline, height=0.34, color=colour, alpha=0.85)
                rightwards = end >= baseline
                position, start = axis_fraction(end, limits, logarithmic), axis_fraction(baseline, limits, logarithmic)
                near_edge = position < EDGE if not rightwards else position > 1 - EDGE
                inside = near_edge and abs(position - start) > LONG_BAR
                ahead = rightwards != inside
                ax.annotate(
                    f"{format_compact(pinned)} (P = 0)" if floored else format_compact(pinned),
                    (end, y + offset),
                    xytext=(3 if ahead else -3, 0),
                    textcoords="offset points",
                    ha="left" if ahead else "right",
                    va="center",
                    fontsize=7,
                    color="white" if inside else MUTED,
                )
        ax.axvline(baseline, color="#222222", linewidth=1)
        ax.set_yticks(range(len(bars)), labels)
        ax.set_ylim(-0.7, len(bars) - 0.3)
        ax.grid(axis="y", visible=False)
        if logarithmic:
            _decade_axis(ax, limits)
        elif result.statistic == "median":
            ax.xaxis.set_major_formatter(count_formatter())
        ax.set_xlim(*limits)
        side = "posterior" if result.side == "posterior" else "prior predictive"
        what = (
            result.output_label if result.statistic == "median" else f"P({result.output.removeprefix('claim:')} true)"
        )
        scale = ", log scale" if logarithmic else ""
        ax.set_xlabel(wrap(f"{what}, {side}{scale}; baseline {format_compact(result.baseline)}", 100))
        ax.legend(
            handles=[
                Patch(color=LOW_COLOUR, alpha=0.85, label=f"{result.low:.0%} quantile"),
                Patch(color=HIGH_COLOUR, alpha=0.85, label=f"{result.high:.0%} quantile"),
                Line2D([], [], color="#222222", label="baseline (all random)"),
            ],
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=3,
            title="each input pinned at its prior's … (the bar ends give the pinned value)",
            title_fontsize=7,
            alignment="left",
        )
    _frame(
        figure,
        title=_title(f"Tornado: what moves the {result.output_label}"),
        subtitle=result.provenance.title,
        footer=result.provenance.footer(),
        note=note,
    )
    return figure


# ---------------------------------------------------------------------------------------------
# Sobol'
# ---------------------------------------------------------------------------------------------


def sobol_figure(result: SobolResult, output: str = "killed") -> Figure:
    """First-order and total Sobol' indices of each input on one output, with bootstrap intervals.

    Inputs are sorted by total index; the binomial noise of each force is an input like the
    priors, so its share is visible.
    """
    j = next(index for index, o in enumerate(result.outputs) if o.name == output)
    spec = result.outputs[j]
    ix = result.indices
    name_of = _labels(result.provenance)
    ranked = sorted(range(len(result.inputs)), key=lambda i: -ix.total[j, i])
    order = [i for i in ranked if ix.total[j, i] >= NEGLIGIBLE]  # inputs with no measurable share: one note
    quiet = [result.inputs[i] for i in ranked if ix.total[j, i] < NEGLIGIBLE]
    noise = [name for name in quiet if name.partition(":")[0] in NOISE_LABELS]  # per phase and date: counted
    negligible = [name_of(name) for name in quiet if name not in noise]
    if noise:
        kinds = ", ".join(dict.fromkeys(NOISE_LABELS[name.partition(":")[0]] for name in noise))
        negligible.append(f"{len(noise)} noise terms of the forces and phases ({kinds})")
    count = len(order)
    note = f"Total index below {NEGLIGIBLE:g} (no measurable share): {'; '.join(negligible)}." if negligible else ""
    labels, row = _row_labels([name_of(result.inputs[i]) for i in order])
    behind = "; ".join(name_of(f"claim:{claim}") for claim in spec.claims)
    claims = f" (the truth behind {behind})" if spec.claims and spec.source is None else ""
    xlabel = wrap(f"share of the variance of {spec.name}{claims}", 60)
    # the axes hold at least the legend's two entries; each x-label line past the first adds its own height
    height = 1.7 + max(row * count, 0.9) + xlabel.count("\n") * LABEL_LINE + _note_height(note)
    figure, ax = new_figure(WIDTH, height)
    y = np.arange(count)[::-1].astype(float)
    with figure_style():
        for offset, values, interval, colour, label in (
            (0.19, ix.first[j], ix.first_interval[:, j], FIRST_COLOUR, "first-order index (the input alone)"),
            (-0.19, ix.total[j], ix.total_interval[:, j], TOTAL_COLOUR, "total index (with its interactions)"),
        ):
            v = values[order]
            err = np.vstack([np.maximum(v - interval[0, order], 0), np.maximum(interval[1, order] - v, 0)])
            ax.barh(y + offset, v, height=0.36, color=colour, alpha=0.9, label=label)
            ax.errorbar(v, y + offset, xerr=err, fmt="none", ecolor="#222222", elinewidth=0.8, capsize=2)
        for row, i in enumerate(order):
            total = ix.total[j, i]
            text = f"{total:.2g}"
            ax.annotate(
                text,
                (max(ix.total_interval[1, j, i], 0), y[row] - 0.19),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color=MUTED,
            )
        ax.set_yticks(y, labels)
        ax.set_xlim(min(0.0, float(np.min(ix.first_interval[0, j])) - 0.02), 1.12)
        ax.set_ylim(-0.7, count - 0.3)
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color="#222222", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.legend(loc="lower right")
    _frame(
        figure,
        title=_title(f"Sobol' indices: {spec.label}"),
        subtitle=f"{result.provenance.title} · {result.confidence:.0%} bootstrap intervals · prior predictive",
        footer=result.provenance.footer(),
        note=note,
    )
    return figure


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------


def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


def write_figures(result: SweepResult | TornadoResult | SobolResult, folder: Path) -> list[Path]:
    """Save the result's figures into ``folder`` as PNG (150 dpi) and SVG; return the files.

    A sweep gives ``sweep``, a tornado ``tornado``, a Sobol' analysis ``sobol-<output>`` for
    each of its outputs.
    """
    folder = Path(folder)
    if isinstance(result, SweepResult):
        figures = {"sweep": (sweep_figure(result), "Sweep")}
    elif isinstance(result, TornadoResult):
        figures = {"tornado": (tornado_figure(result), "Tornado")}
    else:
        figures = {
            f"sobol-{_stem(o.name)}": (sobol_figure(result, o.name), f"Sobol' indices of {o.name}")
            for o in result.outputs
        }
    written: list[Path] = []
    for stem, (figure, title) in figures.items():
        written += save_figure(figure, folder / stem, metadata=_metadata(result.provenance, title))
    return written
