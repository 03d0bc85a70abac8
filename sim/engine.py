"""Chunked, reproducible, parallel simulation with mergeable accumulators.

The draws are split into chunks of ``chunk_size``; chunk ``i`` draws from the children of
``SeedSequence(seed).spawn(n_chunks)[i]``, one per named stream (:func:`chunk_streams`).
The layout depends on the number of draws and the chunk size only, and chunk results merge
in chunk order, so the numbers are bit-identical for any number of workers. Memory is
bounded by the chunk size: integer outcomes accumulate as (weighted) ``bincount``s,
continuous inputs as fine histograms with exact moments, and a reservoir keeps the first
:data:`RESERVOIR_SIZE` draws for plots and ``--save-samples``.

Weighted (posterior) sums are kept relative to a per-accumulator ``log_scale`` so that
likelihoods far below the smallest double never underflow; merging rescales to the larger.

The accumulators are typed: a :class:`Tally` per outcome, report, ratio and input histogram, a
:class:`Mean` per per-draw estimate, gathered per side in :class:`Sums` (and in :class:`Conditional`
for the leave-one-out and pairwise diagnostics) with one field per kind, which
:mod:`sim.summary` reads.

Why one module: planning a run's layout (bins, tail points, histogram edges), drawing, conditioning and
tallying one chunk, and merging the chunks share the :class:`Plan` and the typed tallies (:class:`Sums`) that
the chunks fill, which change together; the executors are in :mod:`sim.processes`. The next cut is the
tallies' types and merge rules into a module of their own.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, NamedTuple

import numpy as np

from sim.config import Claim, Scenario
from sim.defaults import RESERVOIR_SIZE
from sim.inference import (
    ClaimGroup,
    ConditioningError,
    FamilyLikelihood,
    JointLikelihood,
    claim_groups,
    conditional_cdf,
    diagnose_contradiction,
    expected_total,
    reported_tails,
)
from sim.intervals import MeasuredLikelihood, interval_spread, measured_tails
from sim.model import Draws, Quantity, Streams, draw_chunk, quantities_of, timeline_of
from sim.processes import EXECUTORS, ExecutorError, cores, in_order

__all__ = [
    "MAX_BINS",
    "RESERVOIR_SIZE",
    "SHARE_BINS",
    "TAIL_SUBSAMPLE",
    "Conditional",
    "ExecutorError",
    "Mean",
    "Plan",
    "SimulationResult",
    "SparseTally",
    "Sums",
    "Tally",
    "Threshold",
    "Weighted",
    "claim_thresholds",
    "claim_truth",
    "plan_simulation",
    "share_bin",
    "simulate",
]

MAX_BINS = 2**18
"""Largest tally per quantity; beyond it counts share bins (see :attr:`Plan.bin_widths`)."""
TAIL_SUBSAMPLE = 32
"""The conditional tail estimators run on the first 1/TAIL_SUBSAMPLE of each chunk's draws."""


def subsample_size(n: int) -> int:
    """How many of a chunk's ``n`` draws the conditional tail estimators use."""
    return math.ceil(n / TAIL_SUBSAMPLE)


HISTOGRAM_BINS = 2048
TRUTH_BINS = 2**21
"""Values ``0..TRUTH_BINS − 1`` of a sourced claim's toll are tallied one per value (:attr:`Sums.truths`: a chunk's
sparse, the run's at most 16 MB per quantity and side); the predictive tails of the draws beyond are evaluated per
draw."""
TIMELINE_BINS = 1024
"""Most bins of a timeline tally: enough for the fan chart's quantiles (to 1/1024 of the range)."""
RATIO_LOGIT_RANGE = 40.0


class Threshold(NamedTuple):
    """A point at which the conditional tail estimators estimate P(T > point) (``upper``) or P(T ≤ point)."""

    quantity: str
    point: int
    upper: bool

    @property
    def stream(self) -> str:
        """The name of the random stream of its estimator (:func:`chunk_streams`)."""
        return f"tail:{self.quantity}:{'gt' if self.upper else 'le'}:{self.point}"


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs; built once, sent to each worker once."""

    scenario: Scenario
    draws: int
    seed: int
    chunk_size: int
    condition_on: tuple[str, ...]
    quantities: tuple[Quantity, ...]
    thresholds: tuple[Threshold, ...]
    """Estimate P(T > x) if upper else P(T ≤ x), on the small side."""
    histogram_edges: dict[str, np.ndarray] = field(repr=False)
    timeline: tuple[Quantity, ...] = ()
    """The cumulative toll of the phased forces on a grid of dates (:func:`sim.model.timeline_of`),
    tallied in at most :data:`TIMELINE_BINS` bins each."""
    bin_widths: dict[str, int] = field(default_factory=dict)
    """Per quantity, the width of its tally's bins: 1 (exact counts) unless its largest possible value
    exceeds :data:`MAX_BINS`, as with forces of millions, where counts are tallied in bins of 2**k."""
    count_bins: dict[str, int] = field(default_factory=dict)
    report_widths: dict[str, int] = field(default_factory=dict)
    """Per sourced claim, the width of its report's tally bins (its truth's)."""
    report_bins: dict[str, int] = field(default_factory=dict)
    max_bins: int = MAX_BINS
    """:data:`MAX_BINS`: quantities that can exceed it are tallied in bins wider than 1."""

    @property
    def dates(self) -> tuple[date, ...]:
        """Every date at which a chunk tallies the cumulative toll (claims' and the timeline's)."""
        return tuple(sorted({q.date for q in (*self.quantities, *self.timeline) if q.date is not None}))

    superseded: dict[str, str] = field(default_factory=dict)
    """Claims asked to be conditioned on but dropped, each with the conditioned claim that supersedes it."""

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.draws / self.chunk_size)

    def quantity_tails(self, name: str) -> tuple[Threshold, ...]:
        """The conditional tail points of quantity ``name``, in the order of their cross products
        (:attr:`Sums.gram`)."""
        return tuple(t for t in self.thresholds if t.quantity == name)

    @property
    def ratio_edges(self) -> np.ndarray:
        """Edges of the bins of a reporting ratio's posterior histogram, in logit(prior CDF) space."""
        return np.linspace(-RATIO_LOGIT_RANGE, RATIO_LOGIT_RANGE, HISTOGRAM_BINS + 1)

    def chunk_length(self, index: int) -> int:
        return min(self.chunk_size, self.draws - index * self.chunk_size)

    @property
    def conditioned_claims(self) -> tuple[Claim, ...]:
        return tuple(c for c in self.scenario.claims if c.id in self.condition_on)

    def quantity(self, claim: Claim) -> Quantity:
        return claim_quantity(self.quantities, claim)

    @property
    def predictive_claims(self) -> tuple[Claim, ...]:
        """The claims with a report ``R`` whose predictive tails ``P(R ≤ v)``, ``P(R ≥ v)`` the run estimates:
        those with a source, not about a ratio."""
        return tuple(c for c in self.scenario.claims if c.source is not None and not c.is_ratio)


def claim_quantity(quantities: tuple[Quantity, ...], claim: Claim) -> Quantity:
    """The outcome a claim is about: its metric over its scope, at its date where that is during the phases."""
    return next(q for q in quantities if q.metric == claim.metric and q.scope == claim.scope and q.date == claim.as_of)


def claim_truth(quantities: tuple[Quantity, ...], claim: Claim, metrics: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per draw, what a claim is about: its quantity's count, or for a ratio claim ``numerator / denominator``
    over its scope at its date (NaN where both are 0: no ratio, so no reading holds)."""
    numerator = metrics[claim_quantity(quantities, claim).name]
    if not claim.is_ratio:
        return numerator
    denominator = metrics[claim_quantity(quantities, replace(claim, metric=claim.denominator)).name]
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


SHARE_BINS = HISTOGRAM_BINS
"""Bins of a ratio claim's tally, even in ``t/(1 + t)`` over [0, 1) (``t`` the ratio): about 0.0009 wide in ``t``
near a third, 0.002 near 1."""


def share_bin(ratio: np.ndarray) -> np.ndarray:
    """The tally bin of each ratio ``t ≥ 0``: ``⌊SHARE_BINS·t/(1 + t)⌋`` (``t = ∞`` in the last bin)."""
    with np.errstate(invalid="ignore"):
        folded = np.where(np.isinf(ratio), 1.0, ratio / (1 + ratio))
    return np.clip(np.nan_to_num(folded * SHARE_BINS, nan=0.0), 0, SHARE_BINS - 1).astype(np.int64)


def claim_thresholds(claim: Claim) -> tuple[int, ...]:
    """The points ``x`` at which a claim needs ``P(T ≤ x)``: for its percentile and its truth."""
    points = {math.ceil(claim.figure) - 1, math.floor(claim.figure), claim.low - 1}
    if claim.high is not None:
        points.add(claim.high)
    return tuple(sorted(p for p in points if p >= 0))


def _histogram_edges(distribution) -> np.ndarray | None:
    low, high = (float(x) for x in distribution.ppf([1e-9, 1 - 1e-9]))
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        return None
    if low > 0 and high / low > 20:
        return np.geomspace(low, high, HISTOGRAM_BINS + 1)
    return np.linspace(low, high, HISTOGRAM_BINS + 1)


def plan_simulation(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    condition_on: tuple[str, ...] | None = None,
) -> Plan:
    """Fix the run's layout: draws, seed, chunking, the outcomes and tail points to accumulate."""
    quantities = quantities_of(scenario)
    thresholds: dict[Threshold, None] = {}
    for claim in scenario.claims:
        quantity = claim_quantity(quantities, claim)
        if quantity.date is not None or claim.is_ratio:  # a toll at a date, or a ratio: judged from its tally
            continue
        centre = expected_total(scenario, quantity)
        for point in claim_thresholds(claim):
            thresholds[Threshold(quantity.name, point, point >= centre)] = None
    condition, superseded = scenario.active_conditions(scenario.condition_on if condition_on is None else condition_on)
    edges: dict[str, np.ndarray] = {}
    if condition:
        for prior in scenario.priors():
            if not prior.is_fixed and prior.path.startswith(("forces.", "casualties.")):
                bins = _histogram_edges(prior.distribution)
                if bins is not None:
                    edges[prior.path] = bins
        for force in scenario.forces:
            if force.daily_hazard is not None:
                low, high = (
                    -np.expm1(-force.daily_hazard.distribution.ppf(q) * force.days.distribution.ppf(q))
                    for q in (1e-9, 1 - 1e-9)
                )
                if 0 < low < high:
                    edges[f"forces.{force.id}.fatality_rate"] = np.geomspace(low, high, HISTOGRAM_BINS + 1)
    timeline = timeline_of(scenario)
    bounds = {quantity.name: _upper_bound(scenario, quantity) for quantity in quantities}
    widths = {
        name: 1 if bound < MAX_BINS else 2 ** math.ceil(math.log2(bound / MAX_BINS)) for name, bound in bounds.items()
    }
    for quantity in timeline:
        bounds[quantity.name] = bound = _upper_bound(scenario, quantity)
        widths[quantity.name] = 1 if bound < TIMELINE_BINS else 2 ** math.ceil(math.log2(bound / TIMELINE_BINS))
    bins = {name: int(bound // widths[name]) + 1 for name, bound in bounds.items()}
    report_widths: dict[str, int] = {}
    report_bins: dict[str, int] = {}
    for claim in scenario.claims:
        if claim.source is not None and not claim.is_ratio:
            # A report R = round(ρ·T) shares its truth's bins; its tally stops at the ratio prior's 1 − 1e-6
            # quantile (16 × MAX_BINS at most), reports beyond it are counted in the top bin and reported.
            truth = claim_quantity(quantities, claim).name
            ratio = float(scenario.source(claim.source).reporting_ratio.distribution.ppf(1 - 1e-6))
            if claim.interval is not None:  # and the estimate's error, to its 1 − 1e-6 quantile
                ratio *= math.exp(4.75 * interval_spread(claim)[1])
            report_widths[claim.id] = widths[truth]
            report_bins[claim.id] = min(int(ratio * bins[truth]) + 2, 16 * MAX_BINS)
    return Plan(
        scenario=scenario,
        draws=scenario.simulation.draws if draws is None else draws,
        seed=scenario.simulation.seed if seed is None else seed,
        chunk_size=scenario.simulation.chunk_size if chunk_size is None else chunk_size,
        condition_on=tuple(condition),
        superseded=superseded,
        quantities=quantities,
        thresholds=tuple(thresholds),
        timeline=timeline,
        histogram_edges=edges,
        bin_widths=widths,
        count_bins=bins,
        report_widths=report_widths,
        report_bins=report_bins,
    )


def _largest(distribution) -> float:
    high = float(distribution.support()[1])
    return high if math.isfinite(high) else float(distribution.ppf(1 - 1e-12))


def _upper_bound(scenario: Scenario, quantity: Quantity) -> float:
    """Largest value the quantity can take: everyone who served (+ missing for casualties).

    Killed, wounded and deaths are at most those who served: the size, or the sum of the phases'
    strengths, a bound on the first phase's strength plus every later arrival.
    """
    total = 0.0
    for force in scenario.forces:
        if force.id in quantity.scope:
            sizes = [phase.present for phase in force.phases] or [force.size]
            total += sum(_largest(size.distribution) for size in sizes)  # type: ignore[union-attr]
            if quantity.metric == "casualties" and force.missing is not None:
                total += _largest(force.missing.distribution)
    return total


def _merged(current: np.ndarray | None, value: np.ndarray, mine: float, theirs: float, power: int) -> np.ndarray:
    """``current·mine^power + value·theirs^power`` (in place on ``current``); arrays of different lengths are
    zero-padded."""
    if current is None:
        return value * theirs**power
    if current.size < value.size:
        current = np.pad(current, (0, value.size - current.size))
    elif value.size < current.size:
        value = np.pad(value, (0, current.size - value.size))
    # in place (the stored arrays are this merge's own): no temporaries of a tally's size
    if mine != 1.0:
        current *= mine**power
    current += value if theirs == 1.0 else value * theirs**power
    return current


@dataclass
class Weighted:
    """Sums that merge by addition: ``linear`` of Σw·(…), ``quadratic`` of Σw²·(…) (None: unit weights, where it
    is ``linear``)."""

    linear: np.ndarray
    quadratic: np.ndarray | None

    def merge(self, other: Weighted, mine: float, theirs: float) -> Weighted:
        """``self·mine + other·theirs`` (``mine²``, ``theirs²`` for ``quadratic``), in place on ``self``."""
        self.linear = _merged(self.linear, other.linear, mine, theirs, 1)
        if other.quadratic is not None:
            self.quadratic = _merged(self.quadratic, other.quadratic, mine, theirs, 2)
        return self


@dataclass
class Mean(Weighted):
    """Sums for a weighted mean and its standard error: ``linear`` Σw, Σwx and ``quadratic`` Σw², Σw²x, Σw²x²."""

    quadratic: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray | None) -> Mean:
        """The sums of ``values`` under ``weights`` (None: unit weights)."""
        # Element-wise products and sums, not `@`: BLAS dot calls cost milliseconds per chunk here.
        if weights is None:
            n = float(values.size)
            total, squares = values.sum(), (values * values).sum()
            return cls(np.array([n, total]), np.array([n, total, squares]))
        weighted2 = weights * weights
        return cls(
            np.array([weights.sum(), (weights * values).sum()]),
            np.array([weighted2.sum(), (weighted2 * values).sum(), (weighted2 * values * values).sum()]),
        )


@dataclass
class Tally(Weighted):
    """A (weighted) tally of whole numbers: ``linear`` Σw per value and ``quadratic`` Σw² per ``step``
    values (None with unit weights); ``overflow`` draws were beyond its range, counted in its top bin."""

    step: int = 1
    overflow: int = 0

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray | None, *, step: int = 1, overflow: int = 0) -> Tally:
        """The tally of ``values`` under ``weights`` (None: unit weights)."""
        quadratic = None if weights is None else np.bincount(values // step, weights=weights * weights)
        return cls(np.bincount(values, weights=weights).astype(float), quadratic, step, overflow)

    def merge(self, other: Weighted, mine: float, theirs: float) -> Tally:
        super().merge(other, mine, theirs)
        self.overflow += other.overflow  # type: ignore[attr-defined]
        return self


@dataclass
class SparseTally(Weighted):
    """A (weighted) tally of whole numbers kept sparse while it is a chunk's: ``linear`` Σw and ``quadratic`` Σw²
    (None with unit weights) at the values ``index`` (the chunk's distinct values, sorted), so that a chunk sends
    as many numbers as it has distinct values, not as its values span; dense (at 0, 1, …; ``index`` None) once
    merged."""

    index: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray | None) -> SparseTally:
        """The tally of ``values`` under ``weights`` (None: unit weights)."""
        low = int(values.min()) if values.size else 0
        shifted = values - low  # a bincount over the values' span, cut to its non-zero bins (faster than sorting)
        linear = np.bincount(shifted, weights=weights)
        index = np.flatnonzero(linear)
        quadratic = None if weights is None else np.bincount(shifted, weights=weights * weights)[index]
        return cls(linear[index].astype(float), quadratic, index + low)

    def nonzero(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The values with weight, their Σw and their Σw² (Σw again with unit weights)."""
        index = np.arange(self.linear.size) if self.index is None else self.index
        keep = self.linear > 0
        linear = self.linear[keep]
        return index[keep], linear, linear if self.quadratic is None else self.quadratic[keep]

    def merge(self, other: Weighted, mine: float, theirs: float) -> SparseTally:
        """``self·mine + other·theirs`` (squared for ``quadratic``), dense, in place on ``self``."""
        assert isinstance(other, SparseTally)
        index, linear, quadratic = (
            (other.index, other.linear, other.quadratic)
            if other.index is not None
            else (np.arange(other.linear.size), other.linear, other.quadratic)
        )
        size = max(self._size(), int(index[-1]) + 1 if index.size else 0)
        self.linear = self._dense(self.linear, size, mine)
        self.linear[index] += linear * theirs
        if self.quadratic is not None and quadratic is not None:
            self.quadratic = self._dense(self.quadratic, size, mine * mine)
            self.quadratic[index] += quadratic * (theirs * theirs)
        self.index = None
        return self

    def _size(self) -> int:
        if self.index is None:
            return self.linear.size
        return int(self.index[-1]) + 1 if self.index.size else 0

    def _dense(self, values: np.ndarray, size: int, scale: float) -> np.ndarray:
        """``values·scale`` at every value ``0..size − 1``."""
        dense = np.zeros(size)
        if self.index is None:
            dense[: values.size] = values
        else:
            dense[self.index] = values
        if scale != 1.0:
            dense *= scale
        return dense


def _merge_value(current: Any, value: Any, mine: float, theirs: float, power: int) -> Any:
    """Merge one field of two :class:`Rescaled` accumulators (a dictionary key by key)."""
    if value is None:
        return current
    if isinstance(value, dict):
        merged = current if current is not None else {}
        for key, item in value.items():
            merged[key] = _merge_value(merged.get(key), item, mine, theirs, power)
        return merged
    if isinstance(value, Weighted):
        if current is None:  # a copy, scaled
            quadratic = None if value.quadratic is None else value.quadratic * theirs**2
            return replace(value, linear=value.linear * theirs, quadratic=quadratic)
        return current.merge(value, mine, theirs)
    return _merged(current, value, mine, theirs, power)


@dataclass
class Rescaled:
    """Accumulators that merge by addition, stored divided by ``exp(log_scale)`` (Σw²-type sums by
    ``exp(2·log_scale)``); unit weights use ``log_scale = 0``. A field of bare arrays says the power of
    its weights in its metadata (``power``, 1 by default)."""

    log_scale: float = 0.0

    def merge(self, other: Rescaled) -> Rescaled:
        """The sums of both (in place on ``self``), rescaled to the larger ``log_scale``."""
        scale = max(self.log_scale, other.log_scale)
        if scale == -math.inf:
            mine = theirs = 0.0
        else:
            mine, theirs = math.exp(self.log_scale - scale), math.exp(other.log_scale - scale)
        for f in fields(self):
            if f.name != "log_scale":
                power = f.metadata.get("power", 1)
                setattr(self, f.name, _merge_value(getattr(self, f.name), getattr(other, f.name), mine, theirs, power))
        self.log_scale = scale
        return self


@dataclass
class Sums(Rescaled):
    """One side's tallies: the prior's (unit weights, ``log_scale`` 0) or the posterior's (importance weights).

    Keys are quantity names, claim ids, claim-group keys or input key paths, as each field says.
    """

    weight: Mean | None = None
    """Σw and Σw² (as a :class:`Mean` of ones): the total weight and the effective sample size."""
    counts: dict[str, Tally] = field(default_factory=dict)
    """Per quantity (claims' and the timeline's), the tally of its values in bins of ``Plan.bin_widths``."""
    tails: dict[Threshold, Mean] = field(default_factory=dict)
    """Prior only: the conditional estimates of each tail point, on the chunks' subsamples."""
    gram: dict[str, np.ndarray] = field(default_factory=dict, metadata={"power": 2})
    """Prior only: per quantity, the cross products Σ aᵢ·bᵢ of its tail estimates (in ``Plan.quantity_tails``
    order, flattened)."""
    at_most: dict[str, Mean] = field(default_factory=dict)
    """Per sourced claim, P(R ≤ v | T) for its report R (exact given T) over every draw: in a chunk, over the
    draws whose toll is beyond :data:`TRUTH_BINS`; after the run, over all (:func:`_predictive_means`)."""
    at_least: dict[str, Mean] = field(default_factory=dict)
    """Per sourced claim, P(R ≥ v | T)."""
    truths: dict[str, SparseTally] = field(default_factory=dict)
    """Per quantity of a sourced claim, its values below :data:`TRUTH_BINS` tallied one per bin (Σw and Σw² per
    value): the predictive tails are functions of the toll, evaluated once per value at the end of the run
    (:func:`_predictive_means`), which then empties this."""
    reported: dict[str, Tally] = field(default_factory=dict)
    """Per sourced claim, the tally of its report R = round(ρ·T) over every draw, in bins of ``Plan.report_widths``."""
    likelihoods: dict[str, Mean] = field(default_factory=dict)
    """Prior only: per conditioned claim, the mean of its likelihood (its prior predictive probability)."""
    ratios: dict[str, Tally] = field(default_factory=dict)
    """Posterior only: per claim group with a source, ρ's histogram on ``Plan.ratio_edges``."""
    histograms: dict[str, Tally] = field(default_factory=dict)
    """Posterior only: per input key path, its histogram on ``Plan.histogram_edges``."""
    moments: dict[str, np.ndarray] = field(default_factory=dict)
    """Posterior only: per input key path, Σw, Σwx, Σwx²."""
    shares: dict[str, Tally] = field(default_factory=dict)
    """Per ratio claim, the tally of its ratio ``t`` in bins of ``t/(1 + t)`` (:func:`share_bin`), over the draws
    that have a ratio (a denominator above 0)."""
    share_reading: dict[str, Mean] = field(default_factory=dict)
    """Per ratio claim, P(its ratio lies in its reading), over every draw (no ratio: not in it)."""
    share_at_most: dict[str, Mean] = field(default_factory=dict)
    """Per ratio claim, P(t ≤ v) over the draws that have a ratio."""
    share_below: dict[str, Mean] = field(default_factory=dict)
    """Per ratio claim, P(t < v) over the draws that have a ratio."""


@dataclass
class Conditional(Rescaled):
    """Sums weighted by some of the conditioned claims' likelihoods (see :class:`Conditioned`)."""

    weight: Mean | None = None
    probability: Mean | None = None
    """The leave-one-out probability of a claim's reading, or that of one claim given another."""
    at_most: Mean | None = None
    """A sourced claim's P(R ≤ v) given the other claims."""
    at_least: Mean | None = None


@dataclass
class ChunkResult:
    """What one chunk contributes: prior and posterior sums, claim support and reservoir rows."""

    index: int
    draws: int
    prior: Sums
    posterior: Sums | None
    support: np.ndarray | None
    reservoir: dict[str, np.ndarray] | None
    leave_one_out: dict[str, Conditional] | None = None
    given: dict[tuple[str, str], Conditional] | None = None


def _histogram_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value in evenly spaced (linear or geometric) ``edges``; outliers go to the end bins."""
    geometric = edges[0] > 0 and not np.isclose(edges[1] - edges[0], edges[-1] - edges[-2])
    if geometric:
        with np.errstate(divide="ignore"):
            position = np.log(values / edges[0]) / np.log(edges[-1] / edges[0])
    else:
        position = (values - edges[0]) / (edges[-1] - edges[0])
    return np.clip(
        np.nan_to_num(position * (edges.size - 1), nan=0.0, neginf=0.0, posinf=edges.size), 0, edges.size - 2
    ).astype(np.int64)


def _ratio_bin(lower: np.ndarray, mass: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Bin of ρ's posterior draw in logit(prior CDF) space: u ~ U(lower, lower + mass)."""
    u = np.clip(lower + uniform * mass, 1e-300, 1 - 1e-16)
    logit = np.log(u) - np.log1p(-u)
    position = (logit + RATIO_LOGIT_RANGE) / (2 * RATIO_LOGIT_RANGE) * HISTOGRAM_BINS
    return np.clip(position.astype(np.int64), 0, HISTOGRAM_BINS - 1)


def _scaled(log_weight: np.ndarray) -> tuple[np.ndarray, float]:
    """``exp(log_weight − scale)`` and ``scale = max(log_weight)`` (zeros and −∞ when every weight is 0)."""
    scale = float(log_weight.max()) if log_weight.size else -math.inf
    if scale == -math.inf:
        return np.zeros(log_weight.size), -math.inf
    return np.exp(log_weight - scale), scale


def _ratio(log_numerator: np.ndarray, log_denominator: np.ndarray) -> np.ndarray:
    """``exp(log_numerator − log_denominator)``, 0 where the denominator is 0 (those draws weigh nothing)."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(np.exp(log_numerator - log_denominator), nan=0.0, posinf=0.0)


@dataclass
class Conditioned:
    """One chunk's conditioning: importance weights and the sums of the leave-one-out and pairwise diagnostics.

    ``leave_one_out[claim]`` is weighted by the likelihood of every conditioned claim but that one
    (all of them, for a claim not conditioned on) and holds the claim's conditional probability
    (conditioned claims) and predictive tails ``at_most``/``at_least`` given the other claims of its source;
    ``given[(j, k)]`` is weighted by claim ``k``'s likelihood and holds the probability ``L(j, k)/L(k)``.
    """

    weights: np.ndarray
    log_scale: float
    support: np.ndarray
    ratio_bins: dict[str, np.ndarray]
    likelihoods: dict[str, np.ndarray]
    leave_one_out: dict[str, Conditional]
    given: dict[tuple[str, str], Conditional]


def _conditional_sums(log_weight: np.ndarray, **values: np.ndarray) -> Conditional:
    """The :class:`Conditional` of ``values`` (its fields) under the weights ``exp(log_weight)``."""
    weights, scale = _scaled(log_weight)
    means = {name: Mean.of(value, weights) for name, value in values.items()}
    return Conditional(log_scale=scale, weight=Mean.of(np.ones(weights.size), weights), **means)


def _condition(plan: Plan, metrics: dict[str, np.ndarray], n: int, streams: Streams) -> Conditioned:
    """Weights from the joint likelihood of the conditioned claims, one shared ratio per source (see inference)."""
    scenario = plan.scenario
    conditioned = plan.conditioned_claims
    truths = {claim.id: claim_truth(plan.quantities, claim, metrics) for claim in scenario.claims}
    joint: list[tuple[ClaimGroup, JointLikelihood | FamilyLikelihood | MeasuredLikelihood, tuple[int, ...]]] = []
    for group in claim_groups(scenario.claims, scenario):
        members = tuple(i for i, claim in enumerate(group.claims) if claim.id in plan.condition_on)
        if members:
            if group.derived:
                likelihood = FamilyLikelihood(group, truths, scenario, streams(f"shared:{group.key}"))
            elif any(claim.interval is not None for claim in group.claims):
                likelihood = MeasuredLikelihood(group, truths, scenario)
            else:
                partial = group.source is not None and 0 < group.correlation < 1
                rng = streams(f"shared:{group.key}") if partial else None
                likelihood = JointLikelihood(group, truths, scenario, rng)
            joint.append((group, likelihood, members))
    full = [likelihood.log_likelihood(members) for _, likelihood, members in joint]
    log_weight = np.sum(full, axis=0) if full else np.zeros(n)
    single: dict[str, np.ndarray] = {}
    where: dict[str, tuple[int, int]] = {}
    for g, (group, likelihood, members) in enumerate(joint):
        for index in members:
            single[group.claims[index].id] = likelihood.single(index)
            where[group.claims[index].id] = (g, index)
    leave_one_out: dict[str, Conditional] = {}
    given: dict[tuple[str, str], Conditional] = {}
    ratio_bins: dict[str, np.ndarray] = {}
    for g, (group, likelihood, members) in enumerate(joint):
        others = np.sum([full[h] for h in range(len(joint)) if h != g], axis=0) if len(joint) > 1 else np.zeros(n)
        for index, claim in enumerate(group.claims):
            if claim.id in plan.condition_on:
                rest = tuple(i for i in members if i != index)
                log_rest = likelihood.log_likelihood(rest)
                values = {"probability": _ratio(full[g], log_rest)}
                log_minus = others + log_rest
            else:
                rest, values, log_minus = members, {}, log_weight
            if group.source is not None:
                at_most, at_least, total = likelihood.predictive(index, rest)
                with np.errstate(invalid="ignore", divide="ignore"):
                    values["at_most"] = np.nan_to_num(at_most / total)
                    values["at_least"] = np.nan_to_num(at_least / total)
            if values:
                leave_one_out[claim.id] = _conditional_sums(log_minus, **values)
        if group.source is not None:
            pick = None if likelihood.nodes is None else streams(f"ratio-node:{group.key}").random(n)
            lower, mass = likelihood.ratio_quantile(members, pick)
            ratio_bins[group.key] = _ratio_bin(lower, mass, streams(f"ratio:{group.key}").random(n))
    support = np.zeros((len(conditioned), len(conditioned)), dtype=np.int64)
    for j, first in enumerate(conditioned):
        support[j, j] = int(np.count_nonzero(single[first.id] > -np.inf))
        for k in range(j + 1, len(conditioned)):
            second = conditioned[k]
            (g, a), (h, b) = where[first.id], where[second.id]
            pair = joint[g][1].log_likelihood((a, b)) if g == h else single[first.id] + single[second.id]
            support[j, k] = support[k, j] = int(np.count_nonzero(pair > -np.inf))
            given[(first.id, second.id)] = _conditional_sums(
                single[second.id], probability=_ratio(pair, single[second.id])
            )
            given[(second.id, first.id)] = _conditional_sums(
                single[first.id], probability=_ratio(pair, single[first.id])
            )
    weights, scale = _scaled(log_weight)
    likelihoods = {claim_id: np.exp(values) for claim_id, values in single.items()}
    return Conditioned(weights, scale, support, ratio_bins, likelihoods, leave_one_out, given)


def _accumulate(
    plan: Plan,
    draws: Draws,
    metrics: dict[str, np.ndarray],
    weights: np.ndarray | None,
    sums: Sums,
    tails: Tails,
) -> None:
    if weights is None:
        sums.weight = Mean(np.full(2, float(draws.n)), np.full(3, float(draws.n)))
    else:
        sums.weight = Mean.of(np.ones(draws.n), weights)
    for quantity in plan.quantities:
        sums.counts[quantity.name] = _tally(
            metrics[quantity.name], weights, plan.count_bins[quantity.name], plan.bin_widths[quantity.name]
        )
    for claim in plan.scenario.claims:
        if claim.is_ratio:  # the ratio's tally, and its reading and percentile exactly, per draw
            ratio = claim_truth(plan.quantities, claim, metrics)
            high = math.inf if claim.ratio_high is None else claim.ratio_high
            sums.share_reading[claim.id] = Mean.of(((ratio >= claim.ratio_low) & (ratio <= high)) * 1.0, weights)
            # the ratio's distribution and the claim's percentile: over the draws where the ratio is defined
            defined = (~np.isnan(ratio)) * (1.0 if weights is None else weights)
            sums.shares[claim.id] = Tally.of(share_bin(ratio), defined)
            sums.share_at_most[claim.id] = Mean.of((ratio <= claim.figure) * 1.0, defined)
            sums.share_below[claim.id] = Mean.of((ratio < claim.figure) * 1.0, defined)
    for quantity in plan.timeline:
        sums.counts[quantity.name] = _tally(
            draws.metric(quantity), weights, plan.count_bins[quantity.name], plan.bin_widths[quantity.name]
        )
    for name in dict.fromkeys(plan.quantity(claim).name for claim in plan.predictive_claims):
        values = metrics[name]
        inside = None if values.max(initial=0) < TRUTH_BINS else values < TRUTH_BINS
        if inside is None:
            sums.truths[name] = SparseTally.of(values, weights)
        else:
            sums.truths[name] = SparseTally.of(values[inside], None if weights is None else weights[inside])
    for claim_id, values in tails.at_most.items():  # the draws beyond TRUTH_BINS, with their weights
        beyond = None if weights is None else weights[tails.beyond[claim_id]]
        sums.at_most[claim_id] = Mean.of(values, beyond)
        sums.at_least[claim_id] = Mean.of(tails.at_least[claim_id], beyond)
    for claim_id, values in tails.reported.items():
        bins = plan.report_bins[claim_id]
        step = -(-bins // SQUARES_BINS)
        sums.reported[claim_id] = _tally(values, weights, bins, plan.report_widths[claim_id], step=step)
    if weights is None:  # conditional tails are prior-only (see summary)
        for threshold, values in tails.cdf.items():
            sums.tails[threshold] = Mean.of(values, None)
        for quantity in plan.quantities:
            points = plan.quantity_tails(quantity.name)
            if points:  # cross products of the conditional tails: the error of their differences and averages
                rows = [tails.cdf[point] for point in points]
                sums.gram[quantity.name] = np.array([(a * b).sum() for a in rows for b in rows])


def _tally(values: np.ndarray, weights: np.ndarray | None, bins: int, width: int, *, step: int = 1) -> Tally:
    """A bincount of whole numbers in ``bins`` bins of ``width``, the top bin catching overflow."""
    if width > 1:
        values = values // width
    overflow = 0
    if values.size and values.max() >= bins:  # an unbounded prior's far tail: keep it in the last bin
        overflow = int((values >= bins).sum())
        values = np.minimum(values, bins - 1)
    return Tally.of(values, weights, step=step, overflow=overflow)


SQUARES_BINS = 4096
"""A report's tally keeps its Σw² in at most this many bins: its quantiles' errors need only the cumulative
sum, and a report can take 16 × MAX_BINS values (this keeps the posterior's memory within that of the prior)."""


@dataclass(frozen=True)
class Tails:
    """One chunk's per-draw conditional estimates, shared by both sides' sums."""

    cdf: dict[Threshold, np.ndarray]
    """P(T ≤ x) or P(T > x) given each draw's other inputs, on the subsample."""
    at_most: dict[str, np.ndarray]
    """Per sourced claim, P(R ≤ v | T) (exact given T) on the draws whose toll is beyond :data:`TRUTH_BINS`
    (those below are tallied, :attr:`Sums.truths`)."""
    at_least: dict[str, np.ndarray]
    beyond: dict[str, np.ndarray]
    """Per sourced claim, which draws those are (a boolean mask)."""
    reported: dict[str, np.ndarray]
    """Per sourced claim, a report R = round(ρ·T) per draw."""


def _tail_values(plan: Plan, draws: Draws, metrics: dict[str, np.ndarray], streams: Streams) -> Tails:
    """Per-draw conditional estimates: P(T ≤ x) on the chunk's subsample; reports R and predictive tails on all."""
    scenario = plan.scenario
    m = subsample_size(draws.n)
    sub = draws.take(m)
    by_name = {q.name: q for q in plan.quantities}
    tails = Tails({}, {}, {}, {}, {})
    for threshold in plan.thresholds:
        quantity = by_name[threshold.quantity]
        tails.cdf[threshold] = conditional_cdf(
            scenario, sub, quantity, threshold.point, streams(threshold.stream), upper=threshold.upper
        )
    for claim in plan.predictive_claims:
        truth = metrics[plan.quantity(claim).name]
        # exact given T: evaluated once per value of T at the end of the run, per draw beyond TRUTH_BINS
        beyond = tails.beyond[claim.id] = truth >= TRUTH_BINS
        tails.at_most[claim.id], tails.at_least[claim.id] = _exact_tails(claim, truth[beyond], scenario)
        ratio = scenario.source(claim.source).reporting_ratio.distribution.rvs(
            size=draws.n, random_state=streams(f"report:{claim.id}")
        )
        if claim.interval is not None:  # the source's estimate: ρ·T times its lognormal error (sim.intervals)
            error = streams(f"report-error:{claim.id}").standard_normal(draws.n)
            ratio = ratio * np.exp(interval_spread(claim)[1] * error)
        tails.reported[claim.id] = np.rint(ratio * truth).astype(np.int64)
    return tails


def _exact_tails(claim: Claim, truth: np.ndarray, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """A sourced claim's ``P(R ≤ v | T)`` and ``P(R ≥ v | T)`` at each ``truth`` (its estimate's, for an interval
    claim): :func:`sim.inference.reported_tails`, :func:`sim.intervals.measured_tails`."""
    if not truth.size:
        return np.zeros(0), np.zeros(0)
    return (reported_tails if claim.interval is None else measured_tails)(claim, truth, scenario)


def _predictive_means(plan: Plan, sums: Sums) -> None:
    """Complete each sourced claim's ``at_most``/``at_least`` means from the tally of its toll, then drop it.

    ``g(T) = P(R ≤ v | T)`` depends on the draw only through ``T``, so ``Σ_draws w·g(T) = Σ_t g(t)·Σ_{T=t} w`` and
    likewise for ``Σw²·g`` and ``Σw²·g²``: the same sums as per draw, with ``g`` evaluated once per value the
    run's tolls took instead of once per draw (in a different order of addition only).
    """
    for claim in plan.predictive_claims:
        tally = sums.truths.get(plan.quantity(claim).name)
        if tally is None:
            continue
        support, linear, quadratic = tally.nonzero()
        values = _exact_tails(claim, support.astype(float), plan.scenario)
        for kind, g in zip(("at_most", "at_least"), values, strict=True):
            tallied = Mean(
                np.array([linear.sum(), (linear * g).sum()]),
                np.array([quadratic.sum(), (quadratic * g).sum(), (quadratic * g * g).sum()]),
            )
            means = getattr(sums, kind)
            means[claim.id] = tallied if claim.id not in means else tallied.merge(means[claim.id], 1.0, 1.0)
    sums.truths = {}


def chunk_streams(seed: int, index: int) -> Streams:
    """The named random streams of chunk ``index``.

    Stream ``name`` of chunk ``i`` is ``SeedSequence(seed, spawn_key=(i, crc32(name)))``:
    chunk ``i``'s child of ``SeedSequence(seed).spawn(n_chunks)``, spawned once more by a
    stable number per name. Each input has its own stream, so results do not depend on the
    order in which inputs are drawn, and pinning one prior leaves every other draw unchanged.
    """

    def stream(name: str) -> np.random.Generator:
        key = (index, zlib.crc32(name.encode()))
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))

    return stream


def run_chunk(plan: Plan, index: int) -> ChunkResult:
    """Draw and accumulate chunk ``index`` with its own generator."""
    n = plan.chunk_length(index)
    streams = chunk_streams(plan.seed, index)
    draws = draw_chunk(plan.scenario, n, streams, plan.dates)
    metrics = {q.name: draws.metric(q) for q in plan.quantities}

    tails = _tail_values(plan, draws, metrics, streams)
    weights = None
    posterior = support = conditioned = None
    prior = Sums()
    if plan.condition_on:
        conditioned = _condition(plan, metrics, n, streams)
        weights, support = conditioned.weights, conditioned.support
        posterior = Sums(log_scale=conditioned.log_scale)
        for key, bins in conditioned.ratio_bins.items():
            posterior.ratios[key] = Tally.of(bins, weights)
        for claim_id, likelihood in conditioned.likelihoods.items():
            prior.likelihoods[claim_id] = Mean.of(likelihood, None)
        for path, edges in plan.histogram_edges.items():
            values = draws.inputs[path]
            posterior.histograms[path] = Tally.of(_histogram_index(values, edges), weights)
            values = values.astype(float)
            weighted = weights * values
            posterior.moments[path] = np.array([weights.sum(), weighted.sum(), (weighted * values).sum()])

    _accumulate(plan, draws, metrics, None, prior, tails)
    if posterior is not None:
        _accumulate(plan, draws, metrics, weights, posterior, tails)

    reservoir = None
    start = index * plan.chunk_size
    if start < RESERVOIR_SIZE:
        keep = min(n, RESERVOIR_SIZE - start)
        reservoir = {path: values[:keep] for path, values in draws.inputs.items()}
        for force_id, force in draws.forces.items():
            reservoir[f"killed[{force_id}]"] = force.killed[:keep]
            reservoir[f"served[{force_id}]"] = force.size[:keep]
            if force.casualties is not None:
                reservoir[f"casualties[{force_id}]"] = force.casualties[:keep]
        for name, values in metrics.items():
            reservoir.setdefault(name, values[:keep])
        if weights is not None:
            with np.errstate(divide="ignore"):
                reservoir["log_weight"] = np.log(weights[:keep]) + posterior.log_scale  # type: ignore[union-attr]
    return ChunkResult(
        index=index,
        draws=n,
        prior=prior,
        posterior=posterior,
        support=support,
        reservoir=reservoir,
        leave_one_out=None if conditioned is None else conditioned.leave_one_out,
        given=None if conditioned is None else conditioned.given,
    )


@dataclass(frozen=True)
class SimulationResult:
    """The merged accumulators of a whole run."""

    plan: Plan
    prior: Sums
    posterior: Sums | None
    support: np.ndarray | None
    reservoir: dict[str, np.ndarray]
    elapsed: float
    workers: int
    leave_one_out: dict[str, Conditional] = field(default_factory=dict)
    """Per claim, the leave-one-out sums of :class:`Conditioned`, merged over the chunks."""
    given: dict[tuple[str, str], Conditional] = field(default_factory=dict)
    """Per ordered pair of conditioned claims ``(j, k)``, the sums of ``j`` given ``k``, merged over the chunks."""


def simulate(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    chunk_size: int | None = None,
    condition_on: tuple[str, ...] | None = None,
    workers: int | None = None,
    executor: str = "processes",
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Run the Monte Carlo simulation of a scenario.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    draws, seed, chunk_size : int, optional
        Override the scenario's ``[simulation]`` settings.
    condition_on : tuple of str, optional
        Claim ids to condition on (default: the scenario's ``[inference] condition_on``).
    workers : int, optional
        Worker processes (default: the machine's cores). Results do not depend on it.
    executor : {"processes", "dask"}
        Local worker processes, or a ``dask.distributed`` cluster (same chunks, same results).
    scheduler : str, optional
        With ``executor="dask"``, the scheduler's address (default: a LocalCluster of ``workers``).
    progress : callable, optional
        Called with the number of draws of each finished chunk, in chunk order.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ConditioningError
        Every draw has zero weight under the conditioned claims.
    ExecutorError
        A worker process died, or the Dask executor cannot run (dask missing, scheduler unreachable).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    plan = plan_simulation(scenario, draws=draws, seed=seed, chunk_size=chunk_size, condition_on=condition_on)
    workers = cores() if workers is None else workers
    started = time.perf_counter()
    prior = Sums()
    posterior: Sums | None = Sums(log_scale=-math.inf) if plan.condition_on else None
    support = None
    leave_one_out: dict[str, Conditional] = {}
    given: dict[tuple[str, str], Conditional] = {}
    reservoir_parts: dict[str, list[np.ndarray]] = {}
    for result in in_order(run_chunk, plan, plan.n_chunks, workers, executor=executor, scheduler=scheduler):
        prior.merge(result.prior)
        if posterior is not None and result.posterior is not None:
            posterior.merge(result.posterior)
            support = result.support if support is None else support + result.support
            for merged, chunk in ((leave_one_out, result.leave_one_out), (given, result.given)):
                for key, sums in (chunk or {}).items():
                    merged.setdefault(key, Conditional(log_scale=-math.inf)).merge(sums)
        if result.reservoir is not None:
            for key, values in result.reservoir.items():
                reservoir_parts.setdefault(key, []).append(values)
        if progress is not None:
            progress(result.draws)
    for sums in (prior, posterior):
        if sums is not None:
            _predictive_means(plan, sums)
    if posterior is not None and posterior.log_scale == -math.inf:
        raise ConditioningError(
            diagnose_contradiction(plan.conditioned_claims, support, plan.draws, scenario=plan.scenario)
        )
    reservoir = {key: np.concatenate(parts) for key, parts in reservoir_parts.items()}
    return SimulationResult(
        plan=plan,
        prior=prior,
        posterior=posterior,
        support=support,
        reservoir=reservoir,
        elapsed=time.perf_counter() - started,
        workers=workers,
        leave_one_out=leave_one_out,
        given=given,
    )
