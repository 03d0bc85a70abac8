"""Tornado charts: each uncertain input pinned in turn at its prior's low and high quantiles."""

from __future__ import annotations

import math

from sim.config import Scenario
from sim.keypaths import Settings
from sim.processes import cores
from sim.sensitivity.points import (
    DEFAULT_DRAWS,
    Progress,
    SensitivityError,
    check_output,
    point_warnings,
    quantity_label,
    run_points,
    run_scenario,
)
from sim.sensitivity.results import Provenance, TornadoBar, TornadoResult
from sim.summary import Summary

__all__ = ["tornado"]


LOG_FLOOR = 1e-300


def _integer_inputs(scenario: Scenario) -> set[str]:
    """Inputs the model rounds to whole numbers (sizes, missing, a phase's present, arrivals and departures):
    their pins are rounded too (the loader refuses a fixed count that is not whole)."""
    phased = [p for force in scenario.forces for phase in force.phases for p in (phase.present, phase.arrivals)]
    phased += [phase.departures for force in scenario.forces for phase in force.phases]
    counts = [p for force in scenario.forces for p in (force.size, force.missing)] + phased
    return {p.path for p in counts if p is not None}


def _output_value(summary: Summary, output: str, side: str) -> float:
    chosen = summary.posterior if side == "posterior" else summary.prior
    if chosen is None:
        return math.nan
    if output.startswith("claim:"):
        claim_id = output.removeprefix("claim:")
        return chosen.claim(claim_id).probability.value
    return chosen.quantity(output).median.value


def tornado(
    scenario: Scenario,
    *,
    output: str = "killed",
    low: float = 0.05,
    high: float = 0.95,
    settings: Settings = (),
    draws: int | None = DEFAULT_DRAWS,
    seed: int | None = None,
    condition_on: tuple[str, ...] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> TornadoResult:
    """Pin each uncertain input in turn at its prior's ``low`` and ``high`` quantile.

    Every non-fixed prior ``X`` becomes ``fixed`` at ``F_X⁻¹(low)`` and at ``F_X⁻¹(high)``
    (rounded where the model rounds: sizes, missing) while every other input stays random,
    with the same seed as the baseline (nothing pinned). The output is the median of a
    quantity, or a claim's probability (``claim:<id>``), on the posterior when the run
    conditions on claims and on the prior predictive otherwise. Bars are sorted by their swing
    ``|output(high) − output(low)|``.

    Parameters
    ----------
    scenario : Scenario
        A scenario loaded from TOML.
    output : str
        A quantity name (``killed``, ``killed[combat]``, ...) or ``claim:<id>``.
    low, high : float
        The quantiles, ``0 < low < high < 1``.
    settings, draws, seed, condition_on, workers, progress
        As for :func:`sweep`.

    Raises
    ------
    SensitivityError
        Quantiles out of order, an unknown output, or no uncertain input.
    ConfigError
        A ``settings`` path or value the loader refuses.
    """
    if not 0 < low < high < 1:
        raise SensitivityError(f"the quantiles must satisfy 0 < low < high < 1, got low={low:g}, high={high:g}")
    check_output(scenario, output)
    reference = run_scenario(scenario, draws, seed, settings)
    inputs = [prior for prior in reference.priors() if not prior.is_fixed]
    if not inputs:
        raise SensitivityError(f"{scenario.file}: every prior is fixed; there is no uncertain input to pin")
    whole = _integer_inputs(reference)
    pins: list[tuple[str, float, float]] = []
    for prior in inputs:
        values = [float(prior.distribution.ppf(q)) for q in (low, high)]
        if prior.path in whole:
            values = [float(round(v)) for v in values]
        pins.append((prior.path, values[0], values[1]))
    tasks: list[Settings] = [()] + [((path, value),) for path, *values in pins for value in values]
    results = run_points(
        reference,
        condition_on,
        tasks,
        len(tasks),
        workers=cores() if workers is None else workers,
        progress=progress,
    )
    condition = reference.condition_on if condition_on is None else condition_on
    side = "posterior" if condition else "prior"
    values = [_output_value(r.summary, output, side) for r in results]
    bars = [
        TornadoBar(path, low_input, high_input, values[1 + 2 * i], values[2 + 2 * i])
        for i, (path, low_input, high_input) in enumerate(pins)
    ]
    finite = [v for v in values if math.isfinite(v)]
    positive = [v for v in finite if v > 0]
    scale = "log" if output.startswith("claim:") and positive and min(finite) < max(positive) / 100 else "linear"

    def swing(bar: TornadoBar) -> float:
        if scale == "linear":
            return bar.swing
        return abs(math.log10(max(bar.high_output, LOG_FLOOR)) - math.log10(max(bar.low_output, LOG_FLOOR)))

    bars.sort(key=lambda bar: -swing(bar) if math.isfinite(bar.swing) else math.inf)
    if output.startswith("claim:"):
        claim = reference.claim(output.removeprefix("claim:"))
        label, statistic = f"P(claim true): {claim.label}", "probability"
    else:
        label, statistic = f"median {quantity_label(reference, output)}", "median"
    detail = f"{reference.simulation.draws:,} draws per run, {len(tasks)} runs"
    return TornadoResult(
        provenance=Provenance.of(scenario, seed=reference.simulation.seed, detail=detail, condition_on=condition),
        output=output,
        output_label=label,
        side=side,
        statistic=statistic,
        low=low,
        high=high,
        baseline=values[0],
        bars=tuple(bars),
        scale=scale,
        warnings=point_warnings(results),
    )
