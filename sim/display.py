"""Terminal rendering of a Summary and of a scenario's priors (rich tables)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.config import Scenario
from sim.summary import ClaimSummary, Distribution, Estimate, Interval, Probability, Summary

__all__ = [
    "RELATION_SYMBOLS",
    "claim_numbers",
    "claim_says",
    "format_count",
    "format_error",
    "format_estimate",
    "format_percentile",
    "format_probability",
    "format_ratio",
    "loo_flag",
    "print_priors",
    "print_summary",
    "reading_text",
    "source_graph",
]


def format_count(value: float) -> str:
    """A count with thousands separators; one decimal below 100 when not whole."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "–"
    if abs(value) < 100 and value != round(value):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


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
    """How an estimate varies between seeds: ``± 0.4``, ``37 or 38`` (a whole number), or None (it does not)."""
    if others is not None:
        return _others(others) if others[1] > others[0] else None
    if math.isfinite(mcse) and mcse > 0:
        return f"± {format_error(mcse)}"
    return None


def format_estimate(e: Estimate) -> str:
    """``1,544 ± 4``; a whole-number quantile that rarely moves: ``22`` or ``22 (22 or 23)``, the values
    another seed gives 95% of the time."""
    moves = _moves(e.mcse, e.others)
    if moves is None:
        return format_count(e.value)
    return f"{format_count(e.value)} ({moves})" if e.others is not None else f"{format_count(e.value)} {moves}"


def format_probability(p: Probability | None) -> str:
    """A probability with its Monte Carlo error: ``0.19 ± 0.0004``, ``8.9e-10 ± 6e-12``."""
    if p is None:
        return ""
    if not math.isfinite(p.value):
        return "–"
    if p.method == "exact":
        return f"{p.value:g}"
    if p.method == "bound":
        return f"< {p.mcse:.1g} (below resolution)" if p.value < 0.5 else f"> 1 − {p.mcse:.1g} (below resolution)"
    if not math.isfinite(p.mcse):
        return f"{p.value:.3g} (error unknown)"
    if p.value == 0:
        return f"< {max(p.mcse, 1e-300):.1g}"
    if p.mcse == 0:
        return f"{p.value:.3g}"
    if p.value < 1e-3 or (p.value > 1 - 1e-3 and p.value != 1):
        return f"{p.value:.2g} ± {format_error(p.mcse)}"
    return f"{p.value:.3f} ± {format_error(p.mcse)}"


def format_percentile(p: Probability, above: Probability) -> str:
    """The claim's percentile; in the far tails, how far below or above it is."""
    if p.method == "bound" and p.value < 0.01:
        return f"< {p.mcse:.1g}th"
    if p.value < 0.01:
        return f"{p.value:.2g}th"
    if p.value > 99.99:
        if above.method == "bound":
            return f"top < {100 * above.mcse:.1g}%"
        return f"top {100 * above.value:.2g}%"
    return f"{p.value:.2f}th" if p.value < 1 or p.value > 99 else f"{p.value:.1f}th"


def format_ratio(value: float) -> str:
    if not math.isfinite(value):
        return "∞"
    if value == 0:
        return "0"
    return f"{value:.3g}" if value >= 0.001 else f"{value:.2g}"


def _interval(iv: Interval) -> str:
    """``507–3,359 (± 12)``: the larger end error; ends that are whole numbers rarely moving show the values
    other seeds give instead, ``9–15 (15 or 16)``."""
    ends = ((iv.low_mcse, iv.low_others), (iv.high_mcse, iv.high_others))
    errors = [mcse for mcse, others in ends if others is None]
    parts = [f"± {format_error(max(errors))}"] if any(math.isfinite(e) and e > 0 for e in errors) else []
    parts += [_others(others) for _, others in ends if others is not None and others[1] > others[0]]
    suffix = f" ({'; '.join(parts)})" if parts else ""
    return f"{format_count(iv.low)}–{format_count(iv.high)}{suffix}"


RELATION_SYMBOLS = {"eq": "=", "ge": "≥", "le": "≤", "between": "in"}


def claim_says(c: ClaimSummary) -> str:
    """What a claim says, e.g. ``≥ 6,000 casualties``, or its phrase and reading:
    ``"more than 6,000 casualties" → 6,000–6,999``."""
    if c.said:
        return f'"{c.said}" → {reading_text(c)}'
    return f"{RELATION_SYMBOLS[c.relation]} {format_count(c.value)} {c.metric}"


def claim_numbers(c: ClaimSummary) -> tuple[str, ...]:
    """Percentile, P(claim true), implied ratio (95%), P(R ≤ v), P(R ≥ v): one side's row of the claim table."""
    return (
        format_percentile(c.percentile, c.above),
        format_probability(c.probability),
        f"{format_ratio(c.implied_ratio_median)} "
        f"({format_ratio(c.implied_ratio.low)}–{format_ratio(c.implied_ratio.high)})",
        format_probability(c.reported_at_most),
        format_probability(c.reported_at_least),
    )


def _columns(table: Table, names: tuple[str, ...], left: tuple[str, ...], *, tagged: bool) -> None:
    """Add the columns, with an unnamed prior/posterior column after the first when ``tagged``."""
    for index, name in enumerate(names):
        table.add_column(name, justify="left" if name in left else "right")
        if index == 0 and tagged:
            table.add_column("", justify="left")


def _distribution_rows(table: Table, label: str, d: Distribution, tag: str | None) -> None:
    table.add_row(
        label,
        *([tag] if tag is not None else []),
        format_estimate(d.mean),
        format_count(d.sd.value),
        format_estimate(d.median),
        *(_interval(iv) for iv in d.eti),
        _interval(d.hdi[-1]) if d.hdi else "",
    )


def _quantity_table(summary: Summary) -> Table:
    levels = summary.levels
    table = Table(
        title=f"{escape(summary.title)}: the toll ({summary.draws:,} draws, seed {summary.seed})",
        title_justify="left",
        show_lines=False,
    )
    sides = summary.sides()
    names = (
        "Quantity",
        "Mean ± MCSE",
        "SD",
        "Median",
        *(f"{level:.0%} ETI" for level in levels),
        f"{levels[-1]:.0%} HDI",
    )
    _columns(table, names, ("Quantity",), tagged=len(sides) > 1)
    for index, distribution in enumerate(summary.prior.quantities):
        label = escape(summary.quantity_labels[distribution.name])
        for tag, side in sides:
            _distribution_rows(
                table, label if tag == "prior" else "", side.quantities[index], tag if len(sides) > 1 else None
            )
    return table


def _claim_table(summary: Summary) -> Table:
    table = Table(title="Claims against the simulated truth", title_justify="left")
    sides = summary.sides()
    names = (
        "Claim",
        "Says",
        "Truth over",
        "Percentile",
        "P(claim true)",
        "Implied ratio v/T (95%)",
        "P(R ≤ v)",
        "P(R ≥ v)",
    )
    _columns(table, names, ("Claim", "Says", "Truth over"), tagged=len(sides) > 1)
    for index, claim in enumerate(summary.prior.claims):
        for tag, side in sides:
            c: ClaimSummary = side.claims[index]
            first = tag == "prior"
            marker = " *" if c.conditioned and first else ""
            table.add_row(
                f"{escape(claim.label)}{marker}" if first else "",
                *([tag] if len(sides) > 1 else []),
                escape(claim_says(c)) if first else "",
                escape(c.quantity) if first else "",
                *claim_numbers(c),
            )
    return table


def loo_flag(p: Probability | None) -> str:
    """``conflict`` below 0.01, ``redundant`` above 0.99, else empty (the leave-one-out check's flags)."""
    if p is None or not math.isfinite(p.value):
        return ""
    return "conflict" if p.value < 0.01 else "redundant" if p.value > 0.99 else ""


def _diagnostics_table(summary: Summary) -> Table:
    """Per conditioned claim: its reading, P(reading) under the priors, and given the other conditioned claims."""
    table = Table(title="Conditioned claims: prior and leave-one-out checks of their readings", title_justify="left")
    for name in ("Claim", "Reading (reports)", "Shares ρ with", "P(reading), prior", "P(reading | others)", "Flag"):
        table.add_column(name, justify="left" if name in ("Claim", "Reading (reports)", "Shares ρ with") else "right")
    prior = {c.id: c for c in summary.prior.claims}
    for c in summary.posterior.claims:  # type: ignore[union-attr]
        if not c.conditioned:
            continue
        before = prior[c.id].prior_predictive
        flag = loo_flag(c.loo) if len(summary.condition_on) > 1 else ""
        if before is not None and before.value < 1e-3:
            flag = ", ".join(filter(None, ("prior conflict", flag)))
        table.add_row(
            escape(c.id),
            reading_text(c),
            escape(", ".join(c.shares_ratio_with)),
            format_probability(before),
            format_probability(c.loo) if len(summary.condition_on) > 1 else "",
            f"[bold yellow]{flag}[/bold yellow]" if flag else "",
        )
    return table


def reading_text(c: ClaimSummary) -> str:
    """The set of reports a claim covers: ``6,000–6,999``, ``≥ 6,000``, ``9``."""
    if c.reading_high is None:
        return f"≥ {format_count(c.reading_low)}"
    if c.reading_high == c.reading_low:
        return format_count(c.reading_low)
    return f"{format_count(c.reading_low)}–{format_count(c.reading_high)}"


def print_summary(summary: Summary, console: Console) -> None:
    """Print the toll table, the claim table, the ESS and any warnings."""
    console.print(_quantity_table(summary))
    console.print(
        "[dim]± is the Monte Carlo standard error; 'a or b' (or 'a–b') beside a whole number: the values "
        "another seed gives 95% of the time.[/dim]"
    )
    if summary.prior.claims:
        console.print(_claim_table(summary))
        console.print(
            "[dim]P(R ≤ v), P(R ≥ v): the claim's tails under its source's reporting ratio ρ, R = round(ρ·T): "
            "prior ρ before conditioning; after, ρ given the source's other conditioned claims, which share it. "
            "* conditioned on. ± is the Monte Carlo standard error.[/dim]"
        )
    if summary.posterior is not None:
        post = summary.posterior
        console.print(
            f"Posterior conditioned on {', '.join(summary.condition_on)}: "
            f"effective sample size {post.ess:,.0f} of {summary.draws:,} draws."
        )
        if summary.evidence is not None:
            console.print(
                f"Log evidence (log marginal likelihood of the conditioned claims' readings): "
                f"{summary.evidence.log:.4g} ± {summary.evidence.mcse:.2g}"
            )
        rows = [source for source in summary.sources if source.conditioned]
        if rows:
            table = Table(title="Reporting ratio ρ of each source, shared by its claims", title_justify="left")
            for name in ("Source", "Claims sharing ρ", "Conditioned on", "Posterior median", "95% interval"):
                table.add_column(name)
            for source in rows:
                shared = ", ".join(source.claims) if source.claim_correlation == 1 else ""
                if 0 < source.claim_correlation < 1:
                    shared = f"{', '.join(source.claims)} (correlation {source.claim_correlation:g})"
                elif source.claim_correlation == 0:
                    shared = "none (one ratio per claim)"
                if source.derives_from is not None:
                    shared = f"{', '.join(source.claims)} (ρ = ρ[{source.derives_from}] × its own; shown there)"
                rho = source.ratio_posterior
                iv = rho.eti[-1] if rho is not None else None
                table.add_row(
                    escape(source.label),
                    escape(shared),
                    escape(", ".join(source.conditioned)),
                    format_ratio(rho.median.value) if rho is not None else "",
                    f"{format_ratio(iv.low)}–{format_ratio(iv.high)}" if iv is not None else "",
                )
            console.print(table)
        console.print(_diagnostics_table(summary))
        if post.inputs:
            table = Table(title="Posterior of the inputs", title_justify="left")
            for name in ("Input", "Mean", "Median", "95% interval"):
                table.add_column(name, justify="left" if name == "Input" else "right")
            for d in post.inputs:
                iv = d.eti[-1]
                table.add_row(
                    escape(d.name), f"{d.mean.value:.4g}", f"{d.median.value:.4g}", f"{iv.low:.4g}–{iv.high:.4g}"
                )
            console.print(table)
    for warning in summary.warnings:
        console.print(f"[bold yellow]warning:[/bold yellow] {escape(warning)}")


def source_graph(scenario: Scenario) -> list[str]:
    """The sources, which derive from which, and the claims that share each one's ratio, one line each."""
    lines = []
    for source in scenario.sources:
        if source.derives_from is not None:
            continue
        children = [s for s in scenario.sources if s.derives_from == source.id]
        for depth, member in enumerate([source, *children]):
            claims = [c.id for c in scenario.claims if c.source == member.id]
            share = "" if member.claim_correlation == 1 else f", claim correlation {member.claim_correlation:g}"
            stem = f"source {member.id}" if depth == 0 else f"  └─ {member.id} derives from {source.id} (ρ × own)"
            lines.append(f"{stem}: claims {', '.join(claims) or 'none'}{share}")
    return lines


def print_priors(scenario: Scenario, console: Console) -> None:
    """Each prior's family, median and 90% interval, units and source (what ``sim check`` shows)."""
    table = Table(title=escape(f"{scenario.title}: priors ({scenario.file})"), title_justify="left")
    for name in ("Key", "Prior", "Median", "90% interval", "Units", "Source"):
        table.add_column(name, justify="right" if name in ("Median", "90% interval") else "left", overflow="fold")
    for prior in scenario.priors():
        d = prior.describe()
        params = ", ".join(f"{k}={v}" for k, v in prior.params.items())
        table.add_row(
            escape(prior.path),
            escape(f"{prior.family}({params})"),
            f"{d['median']:.4g}",
            f"{d['p05']:.4g} – {d['p95']:.4g}",
            escape(prior.units) if prior.units else "[yellow]missing[/yellow]",
            escape(prior.source[:80]) if prior.source else "[yellow]missing[/yellow]",
        )
    console.print(table)
    for line in source_graph(scenario):
        console.print(escape(line))
    console.print(
        f"{len(scenario.forces)} force(s), {len(scenario.sources)} source(s), "
        f"{len(scenario.claims)} claim(s); conditions on: {', '.join(scenario.condition_on) or 'nothing'}."
    )
