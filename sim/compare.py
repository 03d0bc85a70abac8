"""Set scenarios side by side: the toll of each, and how the claims they share fare in each.

``sim compare`` takes two or more scenario files (each is simulated) or finished run folders
(each is read back with :func:`sim.results.load_run`) and builds one :class:`Comparison`:

- per scenario, the distribution of the total killed: median and equal-tailed credible
  intervals, for the prior and, where the scenario conditions on claims, the posterior;
- for each claim id found in two or more scenarios, its percentile, the probability that it
  is true and the reporting ratio it implies, in each of them;
- the claims found in one scenario only, listed per scenario.

The comparison renders as Markdown, long-format CSV, JSON and rich terminal tables; its
figure is :mod:`sim.plots_compare`. This module never imports matplotlib or typer.

Why one module: the comparison is one data structure (:class:`Comparison`) and its four renderings (Markdown,
CSV, JSON, terminal tables), which change together when a column does; its figure is :mod:`sim.plots_compare`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.text import Text

from sim import __version__
from sim.config import ConfigError, Scenario, load_scenario
from sim.display import print_rows
from sim.engine import simulate
from sim.escape import markdown as markdown_text
from sim.inference import ConditioningError
from sim.keypaths import Settings, with_settings
from sim.results import ResultsError, load_run
from sim.storage import write_atomic
from sim.summary import ClaimSummary, Distribution, Side, Summary, json_number, summarize
from sim.text import (
    CLAIM_COLUMNS,
    IMPLIED_RATIO,
    RELATION_SYMBOLS,
    claim_names,
    claim_numbers,
    format_count,
    format_range,
)

__all__ = [
    "MARKERS",
    "TOLL",
    "BayesFactor",
    "ClaimGroup",
    "ClaimRow",
    "CompareError",
    "Comparison",
    "Entry",
    "bayes_factors",
    "build_comparison",
    "compare_paths",
    "load_entry",
    "print_comparison",
    "splice_markdown",
    "to_csv",
    "to_json",
    "to_markdown",
    "write_comparison",
]

TOLL = "killed"
"""The quantity compared across scenarios: the total killed over all of a scenario's forces."""
MARKERS = ("<!-- compare:start -->", "<!-- compare:end -->")
"""The comment lines between which :func:`splice_markdown` puts the comparison table."""
CSV_FIELDS = ("section", "scenario", "side", "name", "statistic", "level", "value", "mcse", "shared")


class CompareError(ValueError):
    """An input that cannot be compared: a missing path, an invalid scenario, an incomplete run folder.

    The message names the path and what is wrong with it.
    """


@dataclass(frozen=True)
class Entry:
    """One scenario in a comparison: a scenario file just simulated, or a finished run read back.

    Attributes
    ----------
    name : str
        Its column in the comparison: the scenario's name, suffixed ``#<position>`` when two
        inputs have the same name.
    path : str
        The path as given.
    kind : {"config", "run"}
        Simulated from a scenario file, or read from a run folder.
    scenario : Scenario
        The scenario (for a run folder, its copy of the scenario).
    summary : Summary
        The run's statistics, with its ``distributions``.
    """

    name: str
    path: str
    kind: str
    scenario: Scenario
    summary: Summary

    @property
    def sides(self) -> tuple[tuple[str, Side], ...]:
        """``("prior", side)`` and, when the scenario conditions on claims, ``("posterior", side)``."""
        posterior = self.summary.posterior
        return (("prior", self.summary.prior),) + ((("posterior", posterior),) if posterior is not None else ())

    @property
    def shown(self) -> str:
        """The side that stands for the scenario: the posterior where it conditions, else the prior."""
        return self.sides[-1][0]

    @property
    def population(self) -> str:
        """Who the total killed counts: the labels of all the scenario's forces."""
        return self.forces_label(tuple(force.id for force in self.scenario.forces))

    def forces_label(self, scope: tuple[str, ...]) -> str:
        """The label of the named group of exactly these forces, else the forces' labels joined with ``+``."""
        group = self.scenario.group_of(scope)
        if group is not None:
            return group.label
        return " + ".join(force.label for force in self.scenario.forces if force.id in scope)

    def toll(self, side: str) -> Distribution:
        """The summary of the total killed on ``side``."""
        return dict(self.sides)[side].quantity(TOLL)

    def toll_pmf(self, side: str) -> np.ndarray:
        """The probability mass function of the total killed on ``side``, over 0, 1, 2, ..."""
        return self.summary.pmf(side, TOLL)


@dataclass(frozen=True)
class ClaimRow:
    """One claim as one scenario judges it: on the prior and, if the scenario conditions, the posterior."""

    entry: str
    prior: ClaimSummary
    posterior: ClaimSummary | None
    truth_over: str
    """The forces whose true toll the claim is judged against (its scope), by label, and its date if dated."""


@dataclass(frozen=True)
class ClaimGroup:
    """Every scenario's judgement of one claim id."""

    id: str
    rows: tuple[ClaimRow, ...]

    @property
    def shared(self) -> bool:
        """Whether two or more scenarios make this claim."""
        return len(self.rows) >= 2


@dataclass(frozen=True)
class Comparison:
    """Scenarios side by side: the entries, and every claim id grouped across them."""

    entries: tuple[Entry, ...]
    claims: tuple[ClaimGroup, ...]

    @property
    def shared(self) -> tuple[ClaimGroup, ...]:
        """The claims made by two or more scenarios, in order of first appearance."""
        return tuple(group for group in self.claims if group.shared)

    @property
    def unshared(self) -> tuple[ClaimGroup, ...]:
        """The claims made by one scenario only, in the order of the scenarios."""
        return tuple(group for group in self.claims if not group.shared)

    @property
    def levels(self) -> tuple[float, ...]:
        """Every credible level any of the scenarios reports."""
        return tuple(sorted({level for entry in self.entries for level in entry.summary.levels}))


def _open(path: Path, settings: Settings = ()) -> Entry | Scenario:
    """A run folder read back as an Entry, or a scenario file loaded with ``settings`` applied (not yet simulated).

    A run folder is compared as it was run: settings for it are refused.
    """
    if path.is_dir():
        if settings:
            raise CompareError(f"{path}: a run folder is compared as it was run; --set applies to scenario files only")
        try:
            run = load_run(path)
        except (ResultsError, ConfigError, ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as error:
            raise CompareError(f"{path}: cannot read the run folder: {error}") from None
        return Entry(name=run.summary.scenario, path=str(path), kind="run", scenario=run.scenario, summary=run.summary)
    if not path.exists():
        raise CompareError(f"{path}: no such scenario file or run folder")
    try:
        return with_settings(load_scenario(path), settings)
    except ConfigError as error:
        raise CompareError(str(error)) from None


def _simulated(path: Path, opened: Entry | Scenario, draws: int | None, seed: int | None, workers: int | None) -> Entry:
    if isinstance(opened, Entry):
        return opened
    try:
        result = simulate(opened, draws=draws, seed=seed, workers=workers)
    except ConditioningError as error:
        raise ConditioningError(f"{path}: cannot condition: {error}") from None
    return Entry(name=opened.name, path=str(path), kind="config", scenario=opened, summary=summarize(result))


def load_entry(
    path: str | Path, *, draws: int | None = None, seed: int | None = None, workers: int | None = None
) -> Entry:
    """Simulate a scenario file, or read a finished run folder.

    Parameters
    ----------
    path : str or Path
        A scenario TOML file or a run folder written by ``sim run``.
    draws, seed : int, optional
        Override the scenario's ``[simulation]`` settings (scenario files only).
    workers : int, optional
        Worker processes for the simulation (default: the machine's cores).

    Returns
    -------
    Entry
        Named after the scenario.

    Raises
    ------
    CompareError
        The path does not exist, the scenario is invalid, or the folder is not a complete run.
    ConditioningError
        The scenario's claims cannot all hold under its priors (the message names the file).
    """
    path = Path(path)
    return _simulated(path, _open(path), draws, seed, workers)


def _require_two(count: int) -> None:
    if count < 2:
        raise CompareError(f"a comparison needs two or more scenarios or run folders, got {count}")


@dataclass(frozen=True)
class BayesFactor:
    """The Bayes factor of scenario ``first`` against ``second``, or why they cannot have one.

    Two scenarios are comparable when they condition on the same data: the same readings (sets of
    reports) from the same sources, whatever scope, metric or priors each gives them. Then
    ``log_bf = log Z_first − log Z_second`` (natural log of the ratio of their evidences), with the
    error ``sqrt(mcse_first² + mcse_second²)`` (independent runs). Otherwise ``log_bf`` is None and
    ``reason`` says why.
    """

    first: str
    second: str
    log_bf: float | None
    mcse: float | None
    reason: str | None = None


def _data(summary: Summary) -> tuple[tuple[str, float, float], ...]:
    """What a posterior conditions on, as data: each conditioned claim's source and reading (a ratio claim's
    with its ratio, e.g. ``uk_di killed/casualties``; a source's interval with its level), sorted."""
    claims = [c for c in summary.prior.claims if c.conditioned]
    ratios = [c for c in summary.prior.ratio_claims if c.conditioned]
    return tuple(
        sorted(
            [
                (
                    (c.source or "(no source)") + ("" if c.interval is None else f" ({c.interval:.0%} interval)"),
                    c.reading_low,
                    math.inf if c.reading_high is None else c.reading_high,
                )
                for c in claims
            ]
            + [
                (
                    f"{c.source or '(no source)'} {c.numerator}/{c.denominator}",
                    c.reading_low,
                    math.inf if c.reading_high is None else c.reading_high,
                )
                for c in ratios
            ]
        )
    )


def _data_text(data: tuple[tuple[str, float, float], ...]) -> str:
    if not data:
        return "nothing"

    def shown(x: float) -> str:
        return "∞" if math.isinf(x) else f"{int(x):,}" if float(x).is_integer() else f"{x:g}"

    return ", ".join(f"{source} {shown(low)}–{shown(high)}" for source, low, high in data)


def bayes_factors(comparison: Comparison) -> tuple[BayesFactor, ...]:
    """For every pair of scenarios, their Bayes factor where they condition on the same data, else why not."""
    out = []
    entries = comparison.entries
    for i, first in enumerate(entries):
        for second in entries[i + 1 :]:
            a, b = first.summary, second.summary
            data_a, data_b = _data(a), _data(b)
            reason = None
            if not data_a or not data_b:
                none = [e.name for e, d in ((first, data_a), (second, data_b)) if not d]
                reason = f"{' and '.join(none)} condition(s) on nothing: there is no evidence to compare"
            elif data_a != data_b:
                reason = (
                    f"they condition on different data ({first.name}: {_data_text(data_a)}; "
                    f"{second.name}: {_data_text(data_b)}): a Bayes factor needs the same readings from the same "
                    "sources"
                )
            elif a.evidence is None or b.evidence is None:
                reason = "a run folder from before evidence was recorded: rerun it"
            if reason is not None:
                out.append(BayesFactor(first.name, second.name, None, None, reason))
                continue
            log_bf = a.evidence.log - b.evidence.log  # type: ignore[union-attr]
            mcse = math.hypot(a.evidence.mcse, b.evidence.mcse)  # type: ignore[union-attr]
            out.append(BayesFactor(first.name, second.name, log_bf, mcse))
    return tuple(out)


def _bayes_factor_lines(comparison: Comparison) -> list[str]:
    """One sentence per pair of scenarios: the Bayes factor, or plainly why there is none."""
    lines = []
    for factor in bayes_factors(comparison):
        if factor.log_bf is None:
            lines.append(f"{factor.first} vs {factor.second}: not comparable — {factor.reason}.")
            continue
        ratio = math.exp(factor.log_bf)
        shown = f"{ratio:.3g}" if 1e-3 <= ratio <= 1e3 else f"10^{factor.log_bf / math.log(10):.1f}"
        lines.append(
            f"{factor.first} vs {factor.second}: Bayes factor {shown} (log {factor.log_bf:.3f} ± {factor.mcse:.2g}): "
            f"the same readings are {shown} times as probable under {factor.first} as under {factor.second}."
        )
    return lines


def build_comparison(entries: Sequence[Entry]) -> Comparison:
    """Group the claims of ``entries`` by id; give entries with the same name distinct names.

    Parameters
    ----------
    entries : sequence of Entry
        Two or more scenarios, in the order of the comparison's columns.

    Returns
    -------
    Comparison

    Raises
    ------
    CompareError
        Fewer than two entries.
    """
    _require_two(len(entries))
    counts = Counter(entry.name for entry in entries)
    named = tuple(
        replace(entry, name=f"{entry.name}#{position}") if counts[entry.name] > 1 else entry
        for position, entry in enumerate(entries, start=1)
    )
    groups: dict[str, list[ClaimRow]] = {}
    for entry in named:
        summary = entry.summary
        posterior = summary.posterior.claims if summary.posterior is not None else (None,) * len(summary.prior.claims)
        for prior, post in zip(summary.prior.claims, posterior, strict=True):
            _, dated, day = prior.quantity.partition("@")  # a claim judged against the toll at its date
            truth = entry.forces_label(prior.scope) + (f", by {day}" if dated else "")
            row = ClaimRow(entry.name, prior, post, truth)
            groups.setdefault(prior.id, []).append(row)
    return Comparison(entries=named, claims=tuple(ClaimGroup(key, tuple(rows)) for key, rows in groups.items()))


def compare_paths(
    paths: Sequence[str | Path],
    *,
    draws: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    settings: Settings = (),
) -> Comparison:
    """Compare scenario files (each simulated) and run folders (each read back), in the order given.

    Every path is opened and validated (with ``settings`` applied) before any scenario is
    simulated, so a bad path or setting fails fast.

    Parameters
    ----------
    paths : sequence of str or Path
        Two or more scenario files or run folders.
    draws, seed, workers : int, optional
        As for :func:`load_entry`.
    settings : tuple of (str, value)
        ``--set PATH=VALUE`` settings (:func:`sim.keypaths.with_settings`) applied to every
        scenario file; each must name a number in each file. Refused with a run folder.

    Returns
    -------
    Comparison

    Raises
    ------
    CompareError
        Fewer than two paths, a path that cannot be compared, or a setting that does not apply.
    ConditioningError
        A scenario's claims cannot all hold under its priors.
    """
    _require_two(len(paths))
    opened = [(Path(path), _open(Path(path), settings)) for path in paths]
    return build_comparison([_simulated(path, item, draws, seed, workers) for path, item in opened])


# ---------------------------------------------------------------------------------------------
# Tables: one set of rows of text, rendered as Markdown or as rich tables
# ---------------------------------------------------------------------------------------------


def _says(claim: ClaimSummary) -> str:
    return f"{RELATION_SYMBOLS[claim.relation]} {format_count(claim.value)} {claim.metric}"


def _interval_text(distribution: Distribution, level: float) -> str:
    interval = next((iv for iv in distribution.eti if math.isclose(iv.level, level)), None)
    return format_range(interval.low, interval.high) if interval is not None else "–"


def _toll_table(comparison: Comparison) -> tuple[list[str], list[list[str]]]:
    levels = comparison.levels
    header = ["Scenario", "Total killed over", "Conditioned on", "Side", "ESS", "Median"]
    header += [f"{level:.0%} interval" for level in levels]
    rows = []
    for entry in comparison.entries:
        for index, (side_name, side) in enumerate(entry.sides):
            first = index == 0
            toll = entry.toll(side_name)
            rows.append(
                [
                    entry.name if first else "",
                    entry.population if first else "",
                    claim_names(entry.scenario, entry.summary.condition_on) if first else "",
                    side_name,
                    format_count(side.ess),
                    format_count(toll.median.value),
                    *(_interval_text(toll, level) for level in levels),
                ]
            )
    return header, rows


NUMERIC_COLUMNS = ("ESS", "Median", "Percentile", "P(claim true)")
CLAIM_HEADER = ["Claim", "Says", "Scenario", "Truth over", "Side", *CLAIM_COLUMNS[:3]]


def _claim_table(groups: Sequence[ClaimGroup]) -> list[list[str]]:
    """Rows of the claim tables: per claim, per scenario making it, a prior row and maybe a posterior row.

    The claim's label is given once; what it says is repeated only where a scenario words it differently.
    """
    rows = []
    for group in groups:
        says = _says(group.rows[0].prior)
        for index, row in enumerate(group.rows):
            sides = [("prior", row.prior)] + ([("posterior", row.posterior)] if row.posterior is not None else [])
            for side_index, (side_name, claim) in enumerate(sides):
                first = side_index == 0
                marker = " *" if claim.conditioned else ""
                rows.append(
                    [
                        row.prior.label if first and index == 0 else "",
                        _says(row.prior) if first and (index == 0 or _says(row.prior) != says) else "",
                        f"{row.entry}{marker}" if first else "",
                        row.truth_over if first else "",
                        side_name,
                        *claim_numbers(claim)[:3],
                    ]
                )
    return rows


NOTES = (
    "Median and equal-tailed credible intervals of the total killed over every force of the scenario; "
    "ESS is the effective sample size (the number of draws for the prior).",
    "Percentile: where the claim's figure falls in the distribution of the truth it is about (its metric and "
    f"forces); P(claim true): the probability that the claim holds; {IMPLIED_RATIO}: the reporting ratio the "
    "figure implies (v ÷ the true value, median and 95% interval). * the scenario conditions on this claim.",
)


def _numeric(column: str) -> bool:
    """Whether a column holds numbers (right-aligned): the toll's statistics and the claims' probabilities."""
    return column in NUMERIC_COLUMNS or column[:1].isdigit()


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(markdown_text(cell) for cell in cells) + " |"

    align = ["---:" if _numeric(name) else "---" for name in header]
    return "\n".join([line(header), "| " + " | ".join(align) + " |", *(line(row) for row in rows)])


def _entry_line(entry: Entry) -> str:
    summary = entry.summary
    origin = "scenario file" if entry.kind == "config" else "run folder"
    return (
        f"- **{markdown_text(entry.name)}**: {markdown_text(summary.title)} "
        f"({origin} {markdown_text(str(entry.path))}, {summary.draws:,} draws, seed {summary.seed})"
    )


def to_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: the scenarios, the toll table, the shared claims, the other claims."""
    parts = [
        f"<!-- generated by `sim compare` (sim {__version__}); do not edit by hand -->",
        "",
        "**Scenarios**",
        "",
        *(_entry_line(entry) for entry in comparison.entries),
        "",
        "**Total killed**",
        "",
        _markdown_table(*_toll_table(comparison)),
        "",
        NOTES[0],
        "",
    ]
    for title, groups in (
        ("**Claims shared by two or more scenarios**", comparison.shared),
        ("**Claims in one scenario only**", comparison.unshared),
    ):
        parts += [title, ""]
        parts += [_markdown_table(CLAIM_HEADER, _claim_table(groups)), ""] if groups else ["None.", ""]
    parts += [NOTES[1], "", "**Bayes factors**", "", *(f"- {line}" for line in _bayes_factor_lines(comparison)), ""]
    return "\n".join(parts)


def print_comparison(comparison: Comparison, console: Console) -> None:
    """Print the toll table and the claim tables (as tables where the terminal holds them whole, else as blocks)."""
    header, rows = _toll_table(comparison)
    tables = [("Total killed in each scenario", header, rows)]
    for title, groups in (
        ("Claims shared by two or more scenarios", comparison.shared),
        ("Claims in one scenario only", comparison.unshared),
    ):
        if groups:
            tables.append((title, CLAIM_HEADER, _claim_table(groups)))
    for title, header, rows in tables:
        print_rows(console, title, header, rows, numeric=[i for i, name in enumerate(header) if _numeric(name)])
    for note in NOTES:
        console.print(Text(note, style="dim"))
    for line in _bayes_factor_lines(comparison):
        console.print(Text(f"Bayes factor, {line}"))


# ---------------------------------------------------------------------------------------------
# CSV and JSON
# ---------------------------------------------------------------------------------------------


def _csv_rows(comparison: Comparison) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(section: str, scenario: str, side: str, name: str, statistic: str, value: float, **extra: Any) -> None:
        rows.append(
            {"section": section, "scenario": scenario, "side": side, "name": name, "statistic": statistic}
            | {"value": json_number(value)}
            | extra
        )

    for entry in comparison.entries:
        for side_name, side in entry.sides:
            toll = entry.toll(side_name)
            add("toll", entry.name, side_name, TOLL, "ess", side.ess)
            add("toll", entry.name, side_name, TOLL, "median", toll.median.value, mcse=json_number(toll.median.mcse))
            for iv in toll.eti:
                for end, value, mcse in (("low", iv.low, iv.low_mcse), ("high", iv.high, iv.high_mcse)):
                    add(
                        "toll", entry.name, side_name, TOLL, f"eti_{end}", value, level=iv.level, mcse=json_number(mcse)
                    )
    for group in comparison.claims:
        for row in group.rows:
            for side_name, claim in (("prior", row.prior), ("posterior", row.posterior)):
                if claim is None:
                    continue
                statistics: list[tuple[str, float, dict[str, Any]]] = [
                    (name, getattr(claim, name).value, {"mcse": json_number(getattr(claim, name).mcse)})
                    for name in ("percentile", "probability")
                ]
                statistics += [
                    ("implied_ratio_median", claim.implied_ratio_median, {}),
                    ("implied_ratio_low", claim.implied_ratio.low, {"level": 0.95}),
                    ("implied_ratio_high", claim.implied_ratio.high, {"level": 0.95}),
                ]
                for statistic, value, extra in statistics:
                    add("claim", row.entry, side_name, group.id, statistic, value, shared=group.shared, **extra)
    return rows


def to_csv(comparison: Comparison) -> str:
    """Long format, one number per row: ``section, scenario, side, name, statistic, level, value, mcse, shared``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in _csv_rows(comparison):
        writer.writerow({key: _csv_value(row.get(key)) for key in CSV_FIELDS})
    return buffer.getvalue()


CSV_DIGITS = 10
"""Significant digits of the CSV's numbers: sums whose last bits differ with the order of additions (another CPU,
another window of an error's computation) give the same file."""


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(float(f"{value:.{CSV_DIGITS}g}")) if isinstance(value, float) else value


def _toll_json(distribution: Distribution, ess: float) -> dict[str, Any]:
    return {
        "ess": json_number(ess),
        "median": json_number(distribution.median.value),
        "mean": json_number(distribution.mean.value),
        "eti": [
            {"level": iv.level, "low": json_number(iv.low), "high": json_number(iv.high)} for iv in distribution.eti
        ],
    }


def _claim_json(claim: ClaimSummary) -> dict[str, Any]:
    return {
        "conditioned": claim.conditioned,
        "percentile": claim.percentile.to_dict(),
        "probability": claim.probability.to_dict(),
        "implied_ratio_median": json_number(claim.implied_ratio_median),
        "implied_ratio_95": [json_number(claim.implied_ratio.low), json_number(claim.implied_ratio.high)],
    }


def to_json(comparison: Comparison) -> str:
    """The comparison as deterministic JSON: scenarios with their toll, claims grouped by id."""
    data = {
        "version": __version__,
        "scenarios": [
            {
                "name": entry.name,
                "scenario": entry.summary.scenario,
                "title": entry.summary.title,
                "path": entry.path,
                "kind": entry.kind,
                "draws": entry.summary.draws,
                "seed": entry.summary.seed,
                "condition_on": list(entry.summary.condition_on),
                "population": entry.population,
                "shown": entry.shown,
                "toll": {name: _toll_json(entry.toll(name), side.ess) for name, side in entry.sides},
            }
            for entry in comparison.entries
        ],
        "bayes_factors": [
            {"first": f.first, "second": f.second, "log": f.log_bf, "mcse": f.mcse, "not_comparable": f.reason}
            for f in bayes_factors(comparison)
        ],
        "claims": [
            {
                "id": group.id,
                "shared": group.shared,
                "scenarios": [
                    {
                        "scenario": row.entry,
                        "label": row.prior.label,
                        "relation": row.prior.relation,
                        "value": row.prior.value,
                        "metric": row.prior.metric,
                        "quantity": row.prior.quantity,
                        "truth_over": row.truth_over,
                        "prior": _claim_json(row.prior),
                        "posterior": _claim_json(row.posterior) if row.posterior is not None else None,
                    }
                    for row in group.rows
                ],
            }
            for group in comparison.claims
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_comparison(comparison: Comparison, out_dir: str | Path) -> list[Path]:
    """Write ``table.md``, ``table.csv`` and ``table.json`` into ``out_dir`` (created), each atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("table.md", to_markdown(comparison)),
        ("table.csv", to_csv(comparison)),
        ("table.json", to_json(comparison)),
    ):
        written.append(write_atomic(out / name, text.encode()))
    return written


def splice_markdown(document: str, block: str, *, markers: tuple[str, str] = MARKERS) -> str:
    """Replace what lies between the ``markers`` comment lines of ``document`` (default :data:`MARKERS`) with ``block``.

    Raises
    ------
    CompareError
        The document lacks either marker, or has them out of order or more than once.
    """
    start, end = markers
    pattern = re.compile(rf"(^{re.escape(start)}[ \t]*\n).*?(^{re.escape(end)}[ \t]*$)", re.MULTILINE | re.DOTALL)
    if document.count(start) != 1 or document.count(end) != 1 or not pattern.search(document):
        raise CompareError(f"needs one line '{start}' followed by one line '{end}'")
    return pattern.sub(lambda match: match.group(1) + block.rstrip("\n") + "\n" + match.group(2), document)
