"""Terminal rendering of a Summary and of a scenario's priors (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.config import Scenario
from sim.summary import ClaimSummary, Distribution, Summary
from sim.text import (
    claim_numbers,
    claim_says,
    format_count,
    format_estimate,
    format_interval,
    format_probability,
    format_ratio,
    loo_flag,
    reading_text,
)

__all__ = ["print_priors", "print_summary", "source_graph"]


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
        *(format_interval(iv) for iv in d.eti),
        format_interval(d.hdi[-1]) if d.hdi else "",
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
