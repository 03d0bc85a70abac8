"""The README's "What the Kursk scenarios say", generated from the numbers (``make findings``).

Every figure in the section comes from a run made here, with the scenarios' own seeds and a fixed
number of draws, so the block regenerates byte for byte: the headline claims (Kim's "nine" and "more
than 6,000 killed" of ~14,000), what the toll covers and leaves out, what moved the default
scenario's posterior (each change measured by running the scenario with it and without it, same
seed and draws), how far the verdicts hold under other prior families (:func:`sim.robust.robustness`,
its joint variants), the leave-one-out conflict checks, the Bayes factor between the two readings of
"nine", the dependence between the displays and between the sources, and the engineers' toll on both
exposure bases. The section is written between :data:`MARKERS` in the README through
:func:`sim.compare.splice_markdown` and :func:`sim.storage.write_atomic`.

Run as ``python -m sim.findings --readme README.md [--draws N]``.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.compare import CompareError, splice_markdown
from sim.config import ConfigError, Scenario, scenario_from_dict
from sim.engine import simulate
from sim.robust import STYLES, every_family_bound, robustness
from sim.storage import write_atomic
from sim.summary import ClaimSummary, Distribution, Summary, summarize
from sim.text import at_percentile, format_count, format_error, format_probability, loo_flag, percentile_text

__all__ = ["CHANGES", "DEFAULT_DRAWS", "MARKERS", "Findings", "compute", "main", "to_markdown"]

MARKERS = ("<!-- findings:start -->", "<!-- findings:end -->")
"""The README lines between which the section is written."""
DEFAULT_DRAWS = 100_000
"""Draws per run: medians to about 1% (printed to three significant figures), and the sixteen runs of the
section in about two minutes of one core."""

Document = dict[str, Any]
Change = Callable[[Document], None]


def _load(path: Path) -> Document:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _scenario(document: Document, path: Path) -> Scenario:
    return scenario_from_dict(copy.deepcopy(document), file=str(path))


def _run(document: Document, path: Path, draws: int, condition_on: tuple[str, ...] | None = None) -> Summary:
    return summarize(simulate(_scenario(document, path), draws=draws, condition_on=condition_on, workers=1))


# ---------------------------------------------------------------------------------------------
# The changes of the 2026 review, each undone on a copy of configs/kursk.toml
# ---------------------------------------------------------------------------------------------


def _claim(document: Document, claim_id: str) -> Document:
    return next(c for c in document["claims"] if c["id"] == claim_id)


def _open_readings(document: Document) -> None:
    """UK DI's "more than" as any figure from it up; the NIS's "2,000-odd" as "about 2,000" (1,750–2,249)."""
    for claim in document["claims"]:
        if claim["source"] == "uk_di":
            claim["reading"] = [claim["reading"][0], math.inf]
    nis = _claim(document, "nis_2000")
    del nis["reading"]
    nis["rounding"] = 500


def _independent_sources(document: Document) -> None:
    """UK DI, the NIS and the press independent, with the whole ratios of the chain as their priors
    (UK DI 0.6–1.7, NIS 0.45–1.4), and no shared Ukrainian-intelligence factor."""
    sources = document["sources"]
    for source_id in ("uk_di", "nis", "press"):
        del sources[source_id]["derives_from"]
    del sources["ukr_intel"]
    sources["uk_di"]["reporting_ratio"]["ci90"] = [0.6, 1.7]
    sources["nis"]["reporting_ratio"]["ci90"] = [0.45, 1.4]


def _no_died_of_wounds(document: Document) -> None:
    del document["casualties"]["died_of_wounds"]


def _no_march_claim(document: Document) -> None:
    document["inference"]["condition_on"].remove("uk_di_casualties_mar2025")


def _one_period(rate: list[float]) -> Change:
    """The combat troops in one period: size PERT(12,000, 14,000, 15,500) and a beta fatality rate.

    Without dates, UK DI's March and June counts would be of one total and, sharing UK DI's ratio,
    contradict each other ("over 5,000" and "more than 6,000" of the same casualties): the March count
    is left out, as before the phases.
    """

    def change(document: Document) -> None:
        combat = document["forces"]["combat"]
        del combat["phases"]
        combat["size"] = {"dist": "pert", "low": 12_000, "mode": 14_000, "high": 15_500}
        combat["fatality_rate"] = {"dist": "beta", "ci90": rate}
        _no_march_claim(document)

    return change


PHASED_RATE = [0.05, 0.23]
"""The 90% interval of the phased prior's killed over 14,000 (the base rates in one period)."""
FORMER_RATE = [0.043, 0.214]
"""The former prior, built from the NIS's ~600 and ~2,000 and Zelensky's ~2,700."""
CHANGES: tuple[tuple[str, str, Change, Change | None], ...] = (
    (
        "Readings",
        'UK DI\'s "more than" as any figure from it up; the NIS\'s "2,000-odd" as 1,750–2,249',
        _open_readings,
        None,
    ),
    ("Dependence", "UK DI, the NIS and the press independent of one another", _independent_sources, None),
    ("Died of wounds", "no deaths of wounds", _no_died_of_wounds, None),
    ("UK DI's March count", 'not conditioned on "over 5,000 casualties" (28 Mar 2025)', _no_march_claim, None),
    (
        "Phases",
        "one period, every claim against the end-of-period toll (same prior range; UK DI's March count, which "
        "would then contradict its June count, left out)",
        _one_period(PHASED_RATE),
        None,
    ),
    (
        "Phases and base rates",
        "one period with the former prior built from the NIS's and Zelensky's figures",
        _one_period(FORMER_RATE),
        None,
    ),
)
"""``(name, what the scenario is without it, the change that undoes it, the change that sets the baseline of
the comparison or None for the scenario as shipped)``, in the table's order."""


# ---------------------------------------------------------------------------------------------
# The numbers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Findings:
    """Every run the section quotes, by name, and the draws per run."""

    draws: int
    kursk: Summary
    scenario: Scenario
    nine_total: Summary
    without: tuple[tuple[str, str, Summary, Summary], ...]
    families: tuple[tuple[str, Summary], ...]
    family_bounds: dict[str, float | None]
    signals: Summary
    signals_independent: Summary
    engineers: tuple[tuple[str, Summary], ...]
    article: Summary


def _independent_displays(document: Document) -> None:
    """The displays as separate sources, each with its former prior, all conditioned on (the former reading)."""
    priors = {"wall_101": [0.02, 0.25], "portraits_250": [0.04, 0.35], "displays_350": [0.04, 0.35]}
    for claim_id, ci90 in priors.items():
        claim = _claim(document, claim_id)
        claim.pop("supersedes", None)
        claim["source"] = claim_id
        document["sources"][claim_id] = {"reporting_ratio": {"dist": "beta", "ci90": ci90}}
    del document["sources"]["displays"]
    document["inference"]["condition_on"] = [*priors, "cemetery_412"]


def compute(root: Path, *, draws: int = DEFAULT_DRAWS) -> Findings:
    """Run every scenario and variant the section quotes.

    Parameters
    ----------
    root : Path
        The repository: ``configs/kursk*.toml`` are read from ``root / "configs"``.
    draws : int
        Draws of every run (each with its scenario's own seed, one worker: the same numbers on any machine).

    Returns
    -------
    Findings
    """
    configs = root / "configs"
    kursk_path = configs / "kursk.toml"
    kursk = _load(kursk_path)
    baseline = _run(kursk, kursk_path, draws)
    conditioned = tuple(c for c in baseline.condition_on if c != "kim_nine_528th")
    nine_total = _run(kursk, kursk_path, draws, ("kim_nine_total", *conditioned))
    without = []
    for name, what, change, base in CHANGES:
        reference = copy.deepcopy(kursk)
        if base is not None:
            base(reference)
        document = copy.deepcopy(reference)
        change(document)
        shipped = baseline if base is None else _run(reference, kursk_path, draws)
        without.append((name, what, _run(document, kursk_path, draws), shipped))
    robust = robustness(_scenario(kursk, kursk_path), draws=draws, workers=1, joint_only=True)
    families = tuple((v.name, v.summary) for v in robust.variants)
    bounds = {
        claim_id: every_family_bound(robust.range(claim_id, side, "probability"))
        for claim_id, side in (("kim_nine_total", "prior"), ("press_6000_killed", "prior"))
    }
    signals_path = configs / "kursk_signals.toml"
    signals = _load(signals_path)
    independent = copy.deepcopy(signals)
    _independent_displays(independent)
    engineers = tuple(
        (stem, _run(_load(configs / f"{stem}.toml"), configs / f"{stem}.toml", draws))
        for stem in ("kursk_engineers", "kursk_engineers_items")
    )
    article_path = configs / "kursk_article.toml"
    return Findings(
        draws=draws,
        kursk=baseline,
        scenario=_scenario(kursk, kursk_path),
        nine_total=nine_total,
        without=tuple(without),
        families=families,
        family_bounds=bounds,
        signals=_run(signals, signals_path, draws),
        signals_independent=_run(independent, signals_path, draws),
        engineers=engineers,
        article=_run(_load(article_path), article_path, draws),
    )


# ---------------------------------------------------------------------------------------------
# The text
# ---------------------------------------------------------------------------------------------


def _round(value: float) -> float:
    """Three significant figures, so that a rerun elsewhere prints the same: 1,949 → 1,950."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = max(math.floor(math.log10(abs(value))) - 2, 0)
    return round(value / 10**digits) * 10**digits


def _quantity(summary: Summary, name: str, side: str = "posterior") -> Distribution:
    """A quantity by name; ``deaths`` is ``killed`` in a scenario without deaths besides those in action."""
    chosen = summary.posterior if side == "posterior" else summary.prior
    assert chosen is not None
    by_name = {q.name: q for q in chosen.quantities}
    if name not in by_name and name == "deaths":
        name = "killed"
    return by_name[name] if name in by_name else by_name[name.split("[")[0]]  # one force: no [force] suffix


def _toll(summary: Summary, name: str, side: str = "posterior") -> str:
    """``1,950 (95%: 1,090–3,530)``."""
    q = _quantity(summary, name, side)
    wide = q.eti[-1]
    low, high = (format_count(_round(v)) for v in (wide.low, wide.high))
    return f"{format_count(_round(q.median.value))} ({100 * wide.level:.0f}%: {low}–{high})"


def _median(summary: Summary, name: str, side: str = "posterior") -> str:
    return format_count(_round(_quantity(summary, name, side).median.value))


def _claim_summary(summary: Summary, claim_id: str, side: str = "posterior") -> ClaimSummary:
    chosen = summary.posterior if side == "posterior" else summary.prior
    assert chosen is not None
    return chosen.claim(claim_id)


def _ratio(value: float) -> str:
    return f"{value:.2g}"


def _log_bf(first: Summary, second: Summary) -> tuple[float, float]:
    assert first.evidence is not None and second.evidence is not None
    return first.evidence.log - second.evidence.log, math.hypot(first.evidence.mcse, second.evidence.mcse)


def _bf_text(first: Summary, second: Summary) -> str:
    """``log BF = 14.2 ± 0.03 (a factor of about 1,500,000)``: the natural log and its Monte Carlo error."""
    log_bf, error = _log_bf(first, second)
    factor = math.exp(log_bf)
    size = format_count(_round(factor)) if factor < 1e9 else f"10^{log_bf / math.log(10):.0f}"
    return f"log BF = {log_bf:.1f} ± {format_error(error)} (a factor of about {size})"


def _plausibility(claim: ClaimSummary) -> str:
    """A claim's figure in words by its percentile: within the central 80%, in a 10% tail, or beyond 2.5%."""
    p = claim.percentile.value
    if 10 <= p <= 90:
        return "plausible"
    if 2.5 <= p <= 97.5:
        return f"plausible, if on the {'low' if p < 50 else 'high'} side"
    return f"implausibly {'low' if p < 50 else 'high'}"


def _share_lines(summary: Summary) -> list[str]:
    """UK DI's "about a third killed" (a ratio claim), if the scenario has it: its prior probability and the
    posterior share."""
    assert summary.posterior is not None
    shares = {c.id: c for c in summary.prior.ratio_claims}
    after = {c.id: c for c in summary.posterior.ratio_claims}
    lines = []
    for claim_id, prior in shares.items():
        share = after[claim_id].ratio
        wide = share.eti[-1]
        lines += [
            f'UK DI\'s "{prior.said}" (read as {prior.reading_low:g}–{prior.reading_high:g} of the casualties '
            f"by {prior.as_of}) had prior probability {format_probability(prior.probability)} under the "
            f"wounded-per-killed base rates; conditioned on, the killed share is {share.median.value:.2f} "
            f"({100 * wide.level:.0f}%: {wide.low:.2f}–{wide.high:.2f}).",
            "",
        ]
    return lines


def _force_lines(scenario: Scenario) -> list[str]:
    lines = []
    for force in scenario.forces:
        if force.phases:
            phases = "; ".join(f"{p.label.lower()}, {p.start:%-d %b %Y} – {p.end:%-d %b %Y}" for p in force.phases)
            lines.append(f"- **{force.label}**, in {len(force.phases)} dated phases: {phases}.")
        else:
            lines.append(f"- **{force.label}**, one period.")
    return lines


def to_markdown(f: Findings) -> str:
    """The section's markdown, to go between :data:`MARKERS`.

    Log Bayes factors are differences of the runs' log evidences, ``log Z₁ − log Z₂``, with the error
    ``√(mcse₁² + mcse₂²)`` (as ``sim compare``); counts are rounded to three significant figures.
    """
    k = f.kursk
    total = _claim_summary(k, "kim_nine_total", "prior")
    total_post = _claim_summary(k, "kim_nine_total")
    nine = _claim_summary(k, "kim_nine_528th")
    press = _claim_summary(k, "press_6000_killed")
    press_prior = _claim_summary(k, "press_6000_killed", "prior")
    uk = _claim_summary(k, "uk_di_casualties")
    article_nine = _claim_summary(f.article, "kim_nine_total", "prior")
    article_press = _claim_summary(f.article, "press_6000_killed", "prior")
    out = [
        f"<!-- generated by `make findings` (sim.findings: {f.draws:,} draws per run, the scenarios' own seeds); "
        "do not edit by hand -->",
        "",
        "**The two headline numbers do not count the same dead.**",
        "",
        f'- **"Nine"** is Kim Jong Un\'s count of the dead of the 528th Engineer Regiment. In `kursk` it sits '
        f"{at_percentile(nine)} of the regiment's posterior toll, {_toll(k, 'killed[engineers]')} killed: "
        f"{_plausibility(nine)}. Read as the whole deployment's dead it has prior probability "
        f"{format_probability(total.probability)}: it would mean that Pyongyang acknowledged a fraction "
        f"{_ratio(total_post.implied_ratio_median)} of its dead. The press framing (`kursk_article`, one force of "
        f"14,000, no reporting model) gives it {format_probability(article_nine.probability)}.",
        f'- **"More than 6,000 killed" of ~14,000** is UK Defence Intelligence\'s "more than 6,000 casualties" '
        "(killed plus wounded, 15 June 2025) relabelled as deaths. As casualties it sits "
        f"{at_percentile(uk)} of the combat troops' posterior casualties by that date. As deaths (read as "
        f"6,000–6,999) it has probability {format_probability(press_prior.probability)} under the prior and "
        f"{format_probability(press.probability)} under the posterior; `kursk_article` gives it "
        f"{format_probability(article_press.probability)}.",
        '- **Bayes factor between the two readings of "nine"** (`kursk` conditioned on the same UK DI and NIS '
        "claims, with \"nine\" as the 528th's dead or as the whole deployment's): "
        f"{_bf_text(k, f.nine_total)}, in favour of "
        f"{'the regiment' if _log_bf(k, f.nine_total)[0] > 0 else 'the whole deployment'}.",
        "",
        "**What the toll covers.** `kursk`'s toll is over these forces:",
        "",
        *_force_lines(f.scenario),
        "",
        *_share_lines(k),
        f"Posterior, all forces: killed in action {_toll(k, 'killed')}; all deaths, with the deaths of wounds "
        f"among the wounded, {_toll(k, 'deaths')}. The NIS and UK DI count killed in action; the wounded who "
        "died after repatriation are outside every Western count. Left out: the combat troops and builders after "
        "14 November 2025 (guard duty went on), a possible engineer rotation in 2026 (unverified), deaths before "
        "December 2024 (training accidents, strikes), and non-battle deaths (accidents, disease, suicide).",
        "",
        "**What moved the default posterior.** Each row runs `kursk` without one change of the 2026 review "
        "(same seed and draws) and sets it beside the scenario as shipped: combat troops killed in action and all "
        "deaths over every force, posterior medians (95% interval for the shipped scenario).",
        "",
        "| Change | Without it, the scenario has | Killed, combat: without → with | All deaths: without → with |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, what, summary, shipped in f.without:
        out.append(
            f"| {name} | {what} | {_median(summary, 'killed[combat]')} → {_median(shipped, 'killed[combat]')} | "
            f"{_median(summary, 'deaths')} → {_median(shipped, 'deaths')} |"
        )
    out += [
        "",
        f"As shipped: combat killed {_toll(k, 'killed[combat]')}, all deaths {_toll(k, 'deaths')}.",
        "",
        "**Under other prior families.** `sim robust` refits every prior given by an interval in the other "
        "families of its class; here every interval prior at once in each style "
        f"({', '.join(STYLES)}). The posterior combat killed in action, median:",
        "",
    ]
    out += [
        f"- {'as written' if name == 'baseline' else name}: {_toll(summary, 'killed[combat]')}"
        for name, summary in f.families
    ]
    for claim_id, text in (
        ("kim_nine_total", '"nine" as the whole deployment\'s dead'),
        ("press_6000_killed", '"more than 6,000 killed"'),
    ):
        bound = f.family_bounds[claim_id]
        verdict = f"below {bound:.0e} under every family" if bound is not None else "not bounded below 1e-2"
        out.append(f"- The prior probability of {text} is {verdict}.")
    out += [
        "",
        "**Leave-one-out conflict checks** (the probability of each conditioned claim's reading given the "
        "others; below 0.01 is a conflict, above 0.99 redundant):",
        "",
    ]
    assert k.posterior is not None
    for c in (*k.posterior.claims, *k.posterior.ratio_claims):
        if c.conditioned and c.loo is not None:
            flag = loo_flag(c.loo)
            out.append(f"- {c.label}: {format_probability(c.loo)}{f' ({flag})' if flag else ''}")
    signals_displays = _claim_summary(f.signals, "cemetery_412")
    out += [
        "",
        "**The displays and the sources are not independent.** Pyongyang's displays are nested (101 named "
        "portraits ⊂ at least 250 ⊂ about 350 by the NIS's count), and the cemetery presumably holds the same "
        "dead. `kursk_signals` conditions on the largest display only: combat killed "
        f"{_toll(f.signals, 'killed[combat]')}; the cemetery's 412 plots then sit "
        f"{at_percentile(signals_displays)} of the killed. Treating the three displays and the cemetery as four "
        f"independent observations, as before, would give {_toll(f.signals_independent, 'killed[combat]')}. "
        "Likewise the NIS merges allied information and UK DI relays Ukrainian figures, so in `kursk` both derive "
        "from one Ukrainian-intelligence factor, and the press from UK DI (the Dependence row above).",
        "",
        "**The engineers, on both exposure bases.** Deminer base rates per person-day and per explosive item "
        "cleared disagree five-fold; both condition on Kim's nine through the same KCNA ratio:",
        "",
        "| Basis | Prior killed | Posterior killed | Nine's prior percentile |",
        "| --- | ---: | ---: | ---: |",
    ]
    names = {"kursk_engineers": "per deminer-day", "kursk_engineers_items": "per item cleared"}
    for stem, summary in f.engineers:
        nine_prior = _claim_summary(summary, "kim_nine_528th", "prior")
        out.append(
            f"| {names[stem]} (`{stem}`) | {_toll(summary, 'killed', 'prior')} | {_toll(summary, 'killed')} | "
            f"{percentile_text(nine_prior)} |"
        )
    (_, days), (_, items) = f.engineers
    out += [
        "",
        f"Bayes factor, per deminer-day against per item: {_bf_text(days, items)}. The default `kursk` spans both "
        f"bases (prior {_toll(k, 'killed[engineers]', 'prior')}).",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.findings --readme README.md``: compute the section and write it between the markers."""
    parser = argparse.ArgumentParser(prog="python -m sim.findings", description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=Path("README.md"), help="the file with the markers")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (with configs/)")
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS, help="draws per run")
    args = parser.parse_args(argv)
    try:
        document = args.readme.read_text(encoding="utf-8")
        block = to_markdown(compute(args.root, draws=args.draws))
        write_atomic(args.readme, splice_markdown(document, block, markers=MARKERS).encode())
    except (OSError, ConfigError, CompareError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(args.readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
