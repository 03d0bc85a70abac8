"""Terminal rendering of a Summary and of a scenario's priors (rich), designed for 80 columns.

Every number comes from :mod:`sim.text` and is printed whole: a table is printed as a table
only when the terminal holds it with every number on one line (its number columns never
wrap, its text columns at least :data:`TEXT_WIDTH` wide); otherwise each quantity, claim or
row becomes a block of its own, one statistic per line (blocks side by side where the terminal
is wide enough). Scenario text is printed as literal text (rich ``Text``), never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.columns import Columns
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from sim.config import Scenario
from sim.summary import ClaimSummary, Distribution, Side, Summary
from sim.text import (
    CLAIM_COLUMNS,
    RATIO_CLAIM_COLUMNS,
    claim_names,
    claim_numbers,
    claim_says,
    format_bytes,
    format_count,
    format_error,
    format_estimate,
    format_interval,
    format_probability,
    format_ratio_interval,
    format_value,
    input_label,
    is_count,
    loo_flag,
    plural,
    ratio_numbers,
    ratio_says,
    reading_text,
    shorten,
)

if TYPE_CHECKING:
    from sim.results import RunEntry

__all__ = ["TEXT_WIDTH", "print_priors", "print_rows", "print_runs", "print_summary", "source_graph"]

TEXT_WIDTH = 16
"""The narrowest a wrapped text column may get before a table is printed as blocks instead."""

SOURCE_CHARACTERS = 160
"""A prior's source is cut (at a word, with an ellipsis) to this many characters in ``sim check``."""

Cell = str | Text


def _text(cell: Cell, style: str = "") -> Text:
    return cell if isinstance(cell, Text) else Text(cell, style=style)


def _table(title: str | None = None) -> Table:
    return Table(
        title=Text(title, style="bold") if title else None,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )


def _fits(console: Console, table: Table) -> bool:
    """Whether ``table`` (made by :func:`_table`) fits the console with every number whole.

    A column that does not wrap needs its widest cell, one that wraps its longest word (and at least
    its ``min_width``); each column has one space of padding either side except at the table's edges,
    and one character separates two columns: ``3·n − 3`` characters in all.
    """
    options = console.options.update_width(1_000_000)
    needed = 3 * len(table.columns) - 3
    for column in table.columns:
        cells = [column.header, *column.cells]
        sizes = [Measurement.get(console, options, cell) for cell in cells]
        width = max(size.maximum if column.no_wrap else size.minimum for size in sizes)
        needed += max(width, column.min_width or 0)
    return needed <= console.width


def print_rows(
    console: Console,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    numeric: Sequence[int] = (),
) -> None:
    """Print ``rows`` as a table when it fits the console, else each row as a block of ``header: cell`` lines.

    Columns empty in every row are left out. Cells of the ``numeric`` columns never wrap (they are
    right-aligned in the table); text cells wrap at spaces. A block is headed by a row's first cell;
    the rows after it whose first cell is empty (continuation rows in the table) join its block.
    """
    if not rows:
        return
    keep = [i for i in range(len(header)) if any(str(row[i]) for row in rows)]
    table = _table(title)
    for i in keep:
        longest = max((len(str(row[i])) for row in rows), default=0)
        wrap = i not in numeric
        table.add_column(
            header[i],
            justify="left" if wrap else "right",
            no_wrap=not wrap,
            min_width=min(TEXT_WIDTH, longest) if wrap else None,
        )
    for row in rows:
        table.add_row(*(_text(row[i]) for i in keep))
    if _fits(console, table):
        console.print(table)
        console.print()
        return
    console.print(Text(title, style="bold"))
    blocks: list[tuple[Cell, list[Sequence[Cell]]]] = []
    for row in rows:
        if str(row[0]) or not blocks:
            blocks.append((row[0], []))
        blocks[-1][1].append(row)
    for heading, members in blocks:
        lines = Table.grid(padding=(0, 2))
        lines.add_column(style="dim", no_wrap=True)
        lines.add_column()
        for row in members:
            for i in keep:
                if i > 0 and str(row[i]):
                    lines.add_row(header[i], _text(row[i]))
        console.print()
        if str(heading):
            console.print(_text(heading, "bold"))
        console.print(Padding(lines, (0, 0, 0, 2)))
    console.print()


TITLE_WIDTH = 60
"""A block is at least as wide as its title up to this many characters (longer titles wrap at a word)."""


def _title_width(console: Console, title: str) -> int:
    return min(len(title), TITLE_WIDTH, console.width)


def _printed_if_fits(console: Console, wide: Table, title: str) -> bool:
    """Print ``wide`` if it fits the console (True); else print ``title``, which heads the blocks to come (False)."""
    if _fits(console, wide):
        console.print(wide)
        return True
    console.print(Text(title, style="bold"))
    return False


def _sides_across(
    table: Table,
    sides: Sequence[tuple[str, Side]],
    names: Sequence[str],
    cells: Sequence[Sequence[str]],
    *,
    drop_empty: bool = False,
) -> Table:
    """A block's numbers in ``table``: ``names`` down, one column per side across (headed by the side when there
    are two); ``cells`` holds each side's numbers in the order of ``names``. ``drop_empty`` leaves out a row
    empty on every side."""
    table.show_header = len(sides) > 1
    table.add_column("", style="dim", no_wrap=True)
    for tag, _ in sides:
        table.add_column(tag, justify="right")
    for row, name in enumerate(names):
        values = [side_cells[row] for side_cells in cells]
        if any(values) or not drop_empty:
            table.add_row(name, *values)
    return table


def _side_by_side(console: Console, blocks: Sequence[RenderableType]) -> None:
    """Blocks in as many columns as the console holds (one at 80 columns), a blank line before each row."""
    console.print()
    console.print(Columns(blocks, padding=(1, 4)))
    console.print()


# ---------------------------------------------------------------------------------------------
# The toll
# ---------------------------------------------------------------------------------------------


def _statistics(summary: Summary) -> tuple[str, ...]:
    levels = summary.levels
    return ("Mean ± MCSE", "SD", "Median", *(f"{level:.0%} ETI" for level in levels), f"{levels[-1]:.0%} HDI")


def _distribution_cells(d: Distribution) -> tuple[str, ...]:
    return (
        format_estimate(d.mean),
        format_count(d.sd.value),
        format_estimate(d.median),
        *(format_interval(iv) for iv in d.eti),
        format_interval(d.hdi[-1]) if d.hdi else "",
    )


def _print_toll(summary: Summary, console: Console) -> bool:
    """The toll as one table (quantities down, statistics across) or, when that does not fit, one block per
    quantity (statistics down, prior and posterior across). True if a cell shows an unknown error (``± ?``)."""
    title = f"{summary.title}: the toll ({summary.draws:,} draws, seed {summary.seed})"
    sides = summary.sides()
    statistics = _statistics(summary)
    across = zip(*(side.quantities for _, side in sides), strict=True)  # per quantity, its distribution on each side
    cells = [[_distribution_cells(d) for d in per_side] for per_side in across]
    unknown = any("± ?" in cell for per_quantity in cells for row in per_quantity for cell in row)
    wide = _table(title)
    wide.add_column("Quantity", min_width=TEXT_WIDTH)
    if len(sides) > 1:
        wide.add_column("", no_wrap=True)
    for name in statistics:
        wide.add_column(name, justify="right", no_wrap=True)
    for index, distribution in enumerate(summary.prior.quantities):
        label = summary.quantity_labels[distribution.name]
        for (tag, _), row in zip(sides, cells[index], strict=True):
            tags = [tag] if len(sides) > 1 else []
            wide.add_row(Text(label if tag == "prior" else ""), *tags, *row)
    if _printed_if_fits(console, wide, title):
        return unknown
    blocks = []
    for index, distribution in enumerate(summary.prior.quantities):
        label = summary.quantity_labels[distribution.name]
        block = _table(label)
        block.min_width = _title_width(console, label)
        blocks.append(_sides_across(block, sides, statistics, cells[index]))
    _side_by_side(console, blocks)
    return unknown


# ---------------------------------------------------------------------------------------------
# The claims
# ---------------------------------------------------------------------------------------------


def _print_claims(summary: Summary, console: Console) -> None:
    """The claims as one table or, when it does not fit, one block per claim (numbers down, sides across)."""
    title = "Claims against the simulated truth"
    sides = summary.sides()
    wide = _table(title)
    for name in ("Claim", *([""] if len(sides) > 1 else []), "Says", "Truth over"):
        wide.add_column(name, min_width=TEXT_WIDTH if name else None, no_wrap=not name)
    for name in CLAIM_COLUMNS:
        wide.add_column(name, justify="right", no_wrap=True)
    for index, claim in enumerate(summary.prior.claims):
        truth = summary.quantity_labels[claim.quantity]
        label = claim.label + (" *" if claim.conditioned else "")
        for tag, side in sides:
            c: ClaimSummary = side.claims[index]
            first = tag == "prior"
            texts = (label, claim_says(c), truth) if first else ("", "", "")
            tags = [tag] if len(sides) > 1 else []
            wide.add_row(Text(texts[0]), *tags, Text(texts[1]), Text(texts[2]), *claim_numbers(c))
    if _printed_if_fits(console, wide, title):
        return
    blocks = []
    for index, claim in enumerate(summary.prior.claims):
        about = Table.grid(padding=(0, 2))
        about.add_column(style="dim", no_wrap=True)
        about.add_column()
        about.add_row("Says", Text(claim_says(claim)))
        about.add_row("Truth over", Text(summary.quantity_labels[claim.quantity]))
        cells = [claim_numbers(side.claims[index]) for _, side in sides]
        numbers = _sides_across(_table(), sides, CLAIM_COLUMNS, cells, drop_empty=True)
        block = Table.grid()
        block.min_width = _title_width(console, claim.label + " *")
        block.title = Text(claim.label + (" *" if claim.conditioned else ""), style="bold")
        block.title_justify = "left"
        block.add_row(about)
        block.add_row(numbers)
        blocks.append(block)
    _side_by_side(console, blocks)


def _diagnostics(summary: Summary) -> list[tuple[Cell, ...]]:
    """Per conditioned claim: its reading, P(reading) under the priors, and given the other conditioned claims."""
    labels = {c.id: c.label for c in summary.prior.claims}
    prior = {c.id: c for c in summary.prior.claims}
    rows: list[tuple[Cell, ...]] = []
    for c in summary.posterior.claims if summary.posterior is not None else ():
        if not c.conditioned:
            continue
        before = prior[c.id].prior_predictive
        others = len(summary.condition_on) > 1
        flag = loo_flag(c.loo) if others else ""
        if before is not None and before.value < 1e-3:
            flag = ", ".join(filter(None, ("prior conflict", flag)))
        rows.append(
            (
                labels[c.id],
                reading_text(c),
                "; ".join(labels.get(i, i) for i in c.shares_ratio_with),
                format_probability(before),
                format_probability(c.loo) if others else "",
                Text(flag, style="bold yellow"),
            )
        )
    return rows


def _ratio_claims(summary: Summary) -> list[tuple[Cell, ...]]:
    """Per ratio claim and side: what it says, the ratio's median and 95% interval, its percentile, P(reading) and
    (conditioned, with other claims) its leave-one-out probability."""
    rows: list[tuple[Cell, ...]] = []
    sides = summary.sides()
    for index, claim in enumerate(summary.prior.ratio_claims):
        for tag, side in sides:
            c = side.ratio_claims[index]
            first = tag == "prior"
            rows.append(
                (
                    claim.label + (" *" if c.conditioned else "") if first else "",
                    tag if len(sides) > 1 else "",
                    ratio_says(c) if first else "",
                    *ratio_numbers(c, conditioned=len(summary.condition_on)),
                )
            )
    return rows


def _sources(summary: Summary) -> list[tuple[Cell, ...]]:
    """Each conditioned source: the claims sharing its ratio ρ, those conditioned on, and ρ's posterior."""
    labels = {c.id: c.label for c in summary.prior.claims}
    rows: list[tuple[Cell, ...]] = []
    for source in summary.sources:
        if not source.conditioned:
            continue
        claims = "; ".join(labels.get(i, i) for i in source.claims)
        shared = claims if source.claim_correlation == 1 else ""
        if 0 < source.claim_correlation < 1:
            shared = f"{claims} (correlation {source.claim_correlation:g})"
        elif source.claim_correlation == 0:
            shared = "none (one ratio per claim)"
        if source.derives_from is not None:
            parent = next((s.label for s in summary.sources if s.id == source.derives_from), source.derives_from)
            shared = f"{claims} (ρ = {parent}'s ρ × its own; shown on the first source of its chain)"
        rho = source.ratio_posterior
        rows.append(
            (
                source.label,
                shared,
                "; ".join(labels.get(i, i) for i in source.conditioned),
                format_ratio_interval(rho.median.value, rho.eti[-1]) if rho is not None else "",
            )
        )
    return rows


def _inputs(summary: Summary, scenario: Scenario | None) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for d in summary.posterior.inputs if summary.posterior is not None else ():
        whole = is_count(d.name)
        iv = d.eti[-1]
        label = input_label(d.name, scenario) if scenario is not None else d.name
        rows.append(
            (
                label,
                format_value(d.mean.value),
                format_value(d.median.value, integer=whole),
                f"{format_value(iv.low, integer=whole)}–{format_value(iv.high, integer=whole)}",
            )
        )
    return rows


def _error(mcse: float) -> str:
    """`` ± 0.02``, or nothing for an error that is zero or unknown (never ``± 0``)."""
    return f" ± {format_error(mcse)}" if math.isfinite(mcse) and mcse > 0 else ""


def _note(console: Console, text: str) -> None:
    console.print(Text(text, style="dim"))


def print_summary(summary: Summary, console: Console, *, scenario: Scenario | None = None) -> None:
    """Print the toll, the claims, the ESS, the sources' ratios, the checks of the conditioned claims, the
    posterior of the inputs (labelled from ``scenario`` when given) and any warnings."""
    unknown = " (± ?: one this run cannot estimate, docs/errors.md)" if _print_toll(summary, console) else ""
    _note(
        console,
        f"± is the Monte Carlo standard error{unknown}; 'a or b' (or 'a–b') beside a whole number: the values "
        "another seed gives 95% of the time.",
    )
    if summary.prior.claims:
        console.print()
        _print_claims(summary, console)
        _note(
            console,
            "Percentile: where the claim sits in the distribution of the truth. Claim ÷ truth: the reporting "
            "ratio the claim implies (median, 95%). P(R ≤ v), P(R ≥ v): the claim's tails under its source's "
            "reporting ratio ρ, R = round(ρ·T): prior ρ before conditioning; after, ρ given the source's other "
            "conditioned claims, which share it. * conditioned on.",
        )
    if summary.prior.ratio_claims:
        console.print()
        header = ("Claim", "", "Says", *RATIO_CLAIM_COLUMNS)
        print_rows(
            console, "Ratio claims against the simulated ratio", header, _ratio_claims(summary), numeric=(3, 4, 5, 6)
        )
        _note(
            console,
            "A ratio claim is judged against numerator/denominator over its scope; its source's reporting ratio "
            "cancels in a ratio of its own counts (docs/claims.md). * conditioned on.",
        )
    if summary.posterior is not None:
        post = summary.posterior
        console.print()
        console.print(
            Text(
                f"Posterior conditioned on {plural(len(summary.condition_on), 'claim')}: effective sample size "
                f"{post.ess:,.0f} of {summary.draws:,} draws."
            )
        )
        if summary.evidence is not None:
            console.print(
                Text(
                    "Log evidence (log marginal likelihood of the conditioned claims' readings): "
                    f"{summary.evidence.log:.4g}{_error(summary.evidence.mcse)}"
                )
            )
        console.print()
        sources = _sources(summary)
        if sources:
            header = ("Source", "Claims sharing its ρ", "Conditioned on", "Posterior ρ (95%)")
            print_rows(console, "Reporting ratio ρ of each source", header, sources, numeric=(3,))
        header = ("Claim", "Reading (reports)", "Shares ρ with", "P(reading), prior", "P(reading | others)", "Flag")
        title = "Conditioned claims: prior and leave-one-out checks of their readings"
        print_rows(console, title, header, _diagnostics(summary), numeric=(1, 3, 4))
        inputs = _inputs(summary, scenario)
        if inputs:
            header = ("Input", "Mean", "Median", "95% interval")
            print_rows(console, "Posterior of the inputs", header, inputs, numeric=(1, 2, 3))
    for warning in summary.warnings:
        console.print(Text.assemble(("warning:", "bold yellow"), " ", warning))


def source_graph(scenario: Scenario) -> list[str]:
    """The sources, which derive from which, and the claims that share each one's ratio, one line each."""
    lines: list[str] = []

    def add(member, depth: int) -> None:
        claims = [c.id for c in scenario.claims if c.source == member.id]
        share = "" if member.claim_correlation == 1 else f", claim correlation {member.claim_correlation:g}"
        indent = "  " * depth
        stem = f"source {member.id}" if depth == 0 else f"{indent}└─ {member.id} derives from {member.derives_from}"
        lines.append(f"{stem}{'' if depth == 0 else ' (ρ × own)'}: claims {', '.join(claims) or 'none'}{share}")
        for child in scenario.sources:
            if child.derives_from == member.id:
                add(child, depth + 1)

    for source in scenario.sources:
        if source.derives_from is None:
            add(source, 0)
    return lines


def print_priors(scenario: Scenario, console: Console) -> None:
    """Each prior's key path and name, family, median and 90% interval, units and source (``sim check``)."""
    missing = Text("missing", style="yellow")
    rows: list[tuple[Cell, ...]] = []
    for prior in scenario.priors():
        d = prior.describe()
        params = ", ".join(f"{k}={v}" for k, v in prior.params.items())
        whole = is_count(prior.path)
        rows.append(
            (
                prior.path,
                input_label(prior.path, scenario),
                f"{prior.family}({params})",
                format_value(d["median"], integer=whole),
                f"{format_value(d['p05'], integer=whole)}–{format_value(d['p95'], integer=whole)}",
                prior.units or missing,
                shorten(prior.source, SOURCE_CHARACTERS) if prior.source else missing,
            )
        )
    header = ("Key", "Input", "Prior", "Median", "90% interval", "Units", "Source")
    print_rows(console, f"{scenario.title}: priors ({scenario.file})", header, rows, numeric=(3, 4))
    for line in source_graph(scenario):
        console.print(Text(line))
    console.print(
        Text(
            f"{plural(len(scenario.forces), 'force')}, {plural(len(scenario.sources), 'source')}, "
            f"{plural(len(scenario.claims), 'claim')}; conditions on: {claim_names(scenario, scenario.condition_on)}."
        )
    )


def print_runs(console: Console, folder: Path, runs: Sequence[RunEntry]) -> None:
    """Print a scenario's run folders, oldest first: name, start (UTC), draws, size and which is latest; a table
    when the console holds it, else one block per run (80 columns), and the total."""
    rows = [
        (
            run.path.name,
            run.started.replace("T", " ").removesuffix("+00:00") or "?",
            format_count(run.draws) if run.draws is not None else "?",
            format_bytes(run.size),
            "latest" if run.latest else "",
        )
        for run in runs
    ]
    header = ("Run folder", "Started (UTC)", "Draws", "Size", "")
    print_rows(console, f"Runs in {folder}, oldest first", header, rows, numeric=(2, 3))
    console.print(Text(f"{plural(len(runs), 'run')}, {format_bytes(sum(run.size for run in runs))}"))
