"""Statistics of a run: distributions, credible intervals, Monte Carlo errors, the claim table.

Every statistic is computed from the merged accumulators of :mod:`sim.engine`, for the
prior predictive and, when the run conditions on claims, for the posterior (the same
statistics with importance weights). Monte Carlo standard errors (MCSE), prior and posterior
alike, from the importance-sampling delta method over the tallies' Σw and Σw² per bin
(:mod:`sim.mcse`; the prior is the case of unit weights):

- mean and sd: delta method (``g = x`` and ``g = (x − μ)²``, ``se(sd) = se(var)/(2·sd)``), unknown (NaN) where its
  terms have no variance as far as the draws tell (:func:`sim.mcse.weighted_se`);
- a quantile (median, equal-tailed interval ends, implied ratios, reports, inputs): the standard
  deviation of the estimated quantile's distribution, ``P(Q̂ ≤ k) = Φ((F̂(k) − q)/s_k)``; a
  whole-number quantile that mostly stays put carries the values other seeds give (``others``);
- HDI ends: a parametric bootstrap of the tally, smoothed where the ends wander (cube-root
  asymptotics);
- a probability, a difference of tails (``eq``/``between``) or the mid-percentile: one weighted
  frequency (delta method) or, for the prior, one per-draw combination of the conditional
  (Rao–Blackwellised) estimates, its error from their cross products. The one with the smaller
  error is reported; a frequency needs at least 25 effective hits on its smaller side to be
  eligible, so rare events always use the conditional one.

``ESS = (Σw)² / Σw²`` (Kish's effective sample size) is reported and decides where errors are
defined (two effective draws) and the rule-of-three bounds; it no longer sets the errors. See
docs/errors.md.

Why one module: every statistic of a run is computed from one side's tallies (:class:`sim.engine.Sums`) in one pass
into the typed :class:`Summary` this module defines and serialises; the error formulas live in :mod:`sim.mcse`
and the wording in :mod:`sim.text`. The next cut is the dataclasses with their JSON round trip apart from the
statistics.
"""

from __future__ import annotations

import json
import math
import types
import typing
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

import numpy as np
from scipy import special

from sim import __version__
from sim.config import MAX_DRAWS, METRIC_NOUNS, Claim, Scenario
from sim.engine import SHARE_BINS, Mean, SimulationResult, Sums, Tally, Threshold
from sim.inference import claim_groups, reported_tails
from sim.intervals import measured_tails
from sim.mcse import (
    hdi_bootstrap_se,
    hdi_ends,
    interpolated_quantile_se,
    pareto_tail_se,
    quantile_index,
    quantile_spread,
    weighted_se,
)
from sim.model import Quantity
from sim.text import warning_probability

__all__ = [
    "ClaimSummary",
    "Distribution",
    "Estimate",
    "Evidence",
    "Interval",
    "Probability",
    "RatioClaimSummary",
    "Side",
    "SourceSummary",
    "Summary",
    "ess_warning",
    "json_number",
    "name_list",
    "said_once",
    "summarize",
]

MIN_EMPIRICAL_HITS = 25
AGREEMENT = 2.0
"""A prior probability takes the conditional estimate over a frequency of at least :data:`MIN_EMPIRICAL_HITS` hits
only where the two agree within this many of their combined errors (see :class:`_Tails`)."""
MIN_ESS = 1000
MIN_ESS_FRACTION = 0.01
MIN_ESS_FOR_ERRORS = 2.0
"""Below two effective draws a Monte Carlo error cannot be estimated: it is reported as undefined (null)."""


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its standard error.

    ``others``, for a quantile of an exact (whole-number) tally: the lowest and highest value the
    same statistic takes at another seed, 95% of the time (see :func:`sim.mcse.quantile_spread`).
    """

    value: float
    mcse: float
    others: tuple[float, float] | None = None


@dataclass(frozen=True)
class Interval:
    """A credible interval at ``level`` with the MCSE of each endpoint (and ``others`` as in :class:`Estimate`)."""

    level: float
    low: float
    high: float
    low_mcse: float
    high_mcse: float
    low_others: tuple[float, float] | None = None
    high_others: tuple[float, float] | None = None


@dataclass(frozen=True)
class Probability:
    """A probability, its MCSE, and how it was estimated.

    ``method`` is ``empirical`` (a weighted frequency), ``conditional`` (the Rao–Blackwellised
    estimate), ``exact`` or ``bound``: no draw fell there, ``value`` is 0 and ``mcse`` holds the
    95% upper limit ``3/ESS`` (rule of three).
    """

    value: float
    mcse: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON holds it: ``value``, ``mcse`` (each :func:`json_number`) and ``method``."""
        return {"value": json_number(self.value), "mcse": json_number(self.mcse), "method": self.method}


def json_number(value: float | None) -> float | None:
    """A number as sim's JSON and CSV hold it: a float, or None (null, an empty cell) for None, NaN and ±∞."""
    return float(value) if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Distribution:
    """Summary of one outcome or input: moments, median, equal-tailed and highest-density intervals."""

    name: str
    mean: Estimate
    sd: Estimate
    median: Estimate
    eti: tuple[Interval, ...]
    hdi: tuple[Interval, ...]


@dataclass(frozen=True)
class ClaimSummary:
    """How one claim sits against the distribution of the truth over its scope and metric.

    ``percentile`` is the mid-percentile ``100·(P(T < v) + P(T ≤ v))/2``; ``below`` and
    ``above`` are ``P(T ≤ v)`` and ``P(T ≥ v)``; ``probability`` is that the claim is true;
    ``implied_ratio`` is ``v / T`` (median and 95% interval, errors by the delta method; ``*_others``
    as :attr:`Estimate.others`). For a sourced claim,
    ``reported_at_most``/``reported_at_least`` are ``P(R ≤ v)``/``P(R ≥ v)`` for the report
    ``R = round(ρ·T)``, ``reported`` its distribution, and ``ratio_posterior`` the posterior of
    ρ when the run conditions on the claim.
    """

    id: str
    label: str
    value: float
    relation: str
    metric: str
    scope: tuple[str, ...]
    quantity: str
    source: str | None
    conditioned: bool
    percentile: Probability
    below: Probability
    above: Probability
    probability: Probability
    implied_ratio: Interval
    implied_ratio_median: float
    reported_at_most: Probability | None = None
    reported_at_least: Probability | None = None
    reported_median: float | None = None
    reported_interval: Interval | None = None
    ratio_posterior: Distribution | None = None
    implied_ratio_median_mcse: float = math.nan
    implied_ratio_median_others: tuple[float, float] | None = None
    reported_median_mcse: float | None = None
    reported_median_others: tuple[float, float] | None = None
    reading_low: int = 0
    reading_high: int | None = None
    said: str | None = None
    shares_ratio_with: tuple[str, ...] = ()
    prior_predictive: Probability | None = None
    loo: Probability | None = None
    interval: float | None = None
    """The level of the source's own interval ``[reading_low, reading_high]`` (an interval claim, see
    :mod:`sim.intervals`): ``value`` is then its geometric centre and ``R`` the source's estimate."""


@dataclass(frozen=True)
class RatioClaimSummary:
    """How a ratio claim sits against the distribution of ``t = numerator / denominator`` over its scope.

    ``percentile`` is ``100·(P(t < v) + P(t ≤ v))/2``, ``below``/``above`` ``P(t ≤ v)``/``P(t ≥ v)``,
    ``probability`` that ``t`` lies in the reading ``[reading_low, reading_high]`` (None: no upper end),
    all weighted frequencies over every draw; ``ratio`` the distribution of ``t`` (median and intervals,
    to within a tally bin). ``prior_predictive`` and ``loo`` as in :class:`ClaimSummary`.
    """

    id: str
    label: str
    value: float
    relation: str
    numerator: str
    denominator: str
    scope: tuple[str, ...]
    source: str | None
    conditioned: bool
    percentile: Probability
    below: Probability
    above: Probability
    probability: Probability
    ratio: Distribution
    reading_low: float = 0.0
    reading_high: float | None = None
    said: str | None = None
    as_of: str | None = None
    prior_predictive: Probability | None = None
    loo: Probability | None = None


@dataclass(frozen=True)
class SourceSummary:
    """A source, the claims that share its reporting ratio, and that ratio's posterior.

    ``claim_correlation`` 1 means one ratio per draw for all of ``claims``; 0 an independent one per claim.
    A source that ``derives_from`` another has the ratio ``ρ_parent · ρ_own``; the posterior shown is the
    parent's (the shared factor), on the parent's summary.
    """

    id: str
    label: str
    claim_correlation: float
    claims: tuple[str, ...]
    conditioned: tuple[str, ...]
    ratio_posterior: Distribution | None = None
    derives_from: str | None = None


@dataclass(frozen=True)
class Evidence:
    """The log marginal likelihood of the conditioned claims, ``log E_prior[L]``, and its Monte Carlo error."""

    log: float
    mcse: float


@dataclass(frozen=True)
class Side:
    """All statistics for the prior predictive or for the posterior."""

    ess: float
    quantities: tuple[Distribution, ...]
    claims: tuple[ClaimSummary, ...]
    inputs: tuple[Distribution, ...]
    ratio_claims: tuple[RatioClaimSummary, ...] = ()
    """Claims about a ratio of two metrics (``ratio = {numerator, denominator}``)."""

    def quantity(self, name: str) -> Distribution:
        """The distribution of quantity ``name`` (``killed``, ``casualties[combat]``, ...)."""
        return next(d for d in self.quantities if d.name == name)

    def claim(self, claim_id: str) -> ClaimSummary:
        """The summary of claim ``claim_id``."""
        return next(c for c in self.claims if c.id == claim_id)


@dataclass(frozen=True)
class Summary:
    """The result of a run, ready to print, save or plot."""

    scenario: str
    title: str
    description: str
    draws: int
    seed: int
    chunk_size: int
    levels: tuple[float, ...]
    condition_on: tuple[str, ...]
    quantity_labels: dict[str, str]
    prior: Side
    posterior: Side | None
    warnings: tuple[str, ...]
    version: str
    method: str
    sources: tuple[SourceSummary, ...] = ()
    evidence: Evidence | None = None
    bin_widths: dict[str, int] = field(default_factory=dict)
    """Width of the tally bins of each quantity whose pmf is binned (absent: exact, width 1): entry ``j``
    of its pmf covers the values ``j·w .. j·w + w − 1``."""
    distributions: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    """Arrays behind the figures, saved as ``distributions.npz``: ``prior/<quantity>`` and
    ``posterior/<quantity>`` (pmf over 0, 1, 2, ...), ``reported/<claim>`` (pmf of the report
    R), ``posterior_input/<key path>/counts`` and ``/edges`` (posterior histograms)."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (infinities and NaN become None); without ``distributions``."""
        return _clean({f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name != "distributions"})

    @classmethod
    def from_dict(cls, data: dict[str, Any], distributions: dict[str, np.ndarray] | None = None) -> Summary:
        """Rebuild a Summary from :meth:`to_dict` output (None becomes NaN, +∞ for an implied ratio) and its arrays."""
        summary = _build(cls, {k: v for k, v in data.items() if k != "distributions"})
        sides = {
            name: replace(side, claims=tuple(map(_infinite_ratios, side.claims))) for name, side in summary.sides()
        }
        return replace(summary, **sides, distributions=dict(distributions or {}))

    def sides(self) -> list[tuple[str, Side]]:
        """``("prior", side)`` and, when the run conditions on claims, ``("posterior", side)``."""
        return [("prior", self.prior)] + ([("posterior", self.posterior)] if self.posterior is not None else [])

    def pmf(self, side: str, quantity: str) -> np.ndarray:
        """The pmf of ``quantity`` over 0, 1, 2, ... on ``side`` (``prior``/``posterior``).

        A tally kept in bins of width ``w`` (:attr:`bin_widths`) is spread evenly over each bin's
        ``w`` values, so that index ``k`` is always the value ``k``.
        """
        pmf = self.distributions[f"{side}/{quantity}"]
        width = self.bin_widths.get(quantity, 1)
        return pmf if width == 1 else np.repeat(pmf / width, width)

    def to_json(self) -> str:
        """Deterministic JSON: the same run gives the same bytes."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def rows(self) -> list[dict[str, Any]]:
        """Long-format rows (side, section, name, statistic, level, value, mcse) for CSV."""
        rows: list[dict[str, Any]] = []
        sides = [("prior", self.prior)] + ([("posterior", self.posterior)] if self.posterior else [])
        for side_name, side in sides:

            def add(
                section: str,
                name: str,
                statistic: str,
                value: Any,
                mcse: Any = None,
                level: Any = None,
                side_name: str = side_name,
            ) -> None:
                rows.append(
                    {
                        "side": side_name,
                        "section": section,
                        "name": name,
                        "statistic": statistic,
                        "level": level,
                        "value": value,
                        "mcse": mcse,
                    }
                )

            add("run", "posterior" if side_name == "posterior" else "prior", "ess", side.ess)
            for section, items in (("quantity", side.quantities), ("input", side.inputs)):
                for d in items:
                    add(section, d.name, "mean", d.mean.value, d.mean.mcse)
                    add(section, d.name, "sd", d.sd.value, d.sd.mcse)
                    add(section, d.name, "median", d.median.value, d.median.mcse)
                    for kind, intervals in (("eti", d.eti), ("hdi", d.hdi)):
                        for iv in intervals:
                            add(section, d.name, f"{kind}_low", iv.low, iv.low_mcse, iv.level)
                            add(section, d.name, f"{kind}_high", iv.high, iv.high_mcse, iv.level)
            for c in side.claims:
                add("claim", c.id, "value", c.value)
                for statistic in (
                    "percentile",
                    "below",
                    "above",
                    "probability",
                    "reported_at_most",
                    "reported_at_least",
                ):
                    p = getattr(c, statistic)
                    if p is not None:
                        add("claim", c.id, statistic, p.value, p.mcse)
                add("claim", c.id, "implied_ratio_median", c.implied_ratio_median)
                add("claim", c.id, "implied_ratio_low", c.implied_ratio.low, level=0.95)
                add("claim", c.id, "implied_ratio_high", c.implied_ratio.high, level=0.95)
                if c.ratio_posterior is not None:
                    add("claim", c.id, "ratio_posterior_median", c.ratio_posterior.median.value)
                    for iv in c.ratio_posterior.eti:
                        add("claim", c.id, "ratio_posterior_low", iv.low, level=iv.level)
                        add("claim", c.id, "ratio_posterior_high", iv.high, level=iv.level)
        return [{k: _clean(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return asdict(value) if is_dataclass(value) else value


def _build(kind: Any, value: Any) -> Any:
    """Inverse of ``asdict`` + :func:`_clean` for the dataclasses of this module."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if value is None:
        return math.nan if kind is float or (args and float in args and type(None) not in args) else None
    if origin in (types.UnionType, typing.Union):
        options = [a for a in args if a is not type(None)]
        return _build(options[0], value)
    if origin is tuple:
        return tuple(_build(args[0], v) for v in value)
    if origin is dict:
        return {k: _build(args[1], v) for k, v in value.items()}
    if is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: _build(hints[f.name], value[f.name]) for f in fields(kind) if f.name in value})
    if kind is float:
        return float(value)
    return value


def _infinite_ratios(claim: ClaimSummary) -> ClaimSummary:
    """A claim read back from JSON with its implied ratios' nulls as +∞: ``v/Q`` is finite, or +∞ at a quantile
    ``Q = 0`` (:func:`_implied`), never NaN; JSON holds both as null."""

    def ratio(x: float) -> float:
        return math.inf if math.isnan(x) else x

    def pair(others: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if others is None else (ratio(others[0]), ratio(others[1]))

    iv = claim.implied_ratio
    return replace(
        claim,
        implied_ratio_median=ratio(claim.implied_ratio_median),
        implied_ratio_median_others=pair(claim.implied_ratio_median_others),
        implied_ratio=replace(
            iv, low=ratio(iv.low), high=ratio(iv.high), low_others=pair(iv.low_others), high_others=pair(iv.high_others)
        ),
    )


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return json_number(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class _Weights:
    """Normalisation of one side's sums: total weight and effective sample size."""

    def __init__(self, sums: Sums) -> None:
        self.sums = sums
        weight: Mean = sums.weight  # type: ignore[assignment]
        (total,) = weight.linear[:1]
        self.total = float(total)
        self.ess = float(total**2 / weight.quadratic[0]) if total > 0 else 0.0

    @staticmethod
    def tally(tally: Tally) -> tuple[np.ndarray, np.ndarray] | None:
        """A tally's Σw and Σw² per bin over its total weight and its square (None if it holds no weight).

        Unit (prior) weights keep no Σw²: it is Σw. Σw² kept per ``step`` values is spread evenly over them.
        """
        linear = tally.linear
        total = float(linear.sum())
        if not total > 0:
            return None
        squares = linear if tally.quadratic is None else tally.quadratic
        if tally.step > 1 and tally.quadratic is not None:
            spread = np.repeat(squares / tally.step, tally.step)
            squares = np.pad(spread[: linear.size], (0, max(linear.size - spread.size, 0)))
            squares[-1] += spread[linear.size :].sum()  # a last block reaching past the tally's end
        return linear / total, squares / total**2


def _mean(sums: Mean) -> Probability:
    """Weighted mean of per-draw values and the standard error of a self-normalised mean."""
    total, weighted = sums.linear
    w2, w2x, w2x2 = sums.quadratic
    if total <= 0:
        return Probability(math.nan, math.nan, "conditional")
    mean = weighted / total
    variance = max(w2x2 - 2 * mean * w2x + mean**2 * w2, 0.0)
    mcse = math.sqrt(variance) / total if total**2 / w2 >= MIN_ESS_FOR_ERRORS else math.nan
    return Probability(float(min(max(mean, 0.0), 1.0)), float(mcse), "conditional")


def _predictive_tails(
    result: SimulationResult, weights: _Weights, claim: Claim, posterior: bool
) -> tuple[Probability, Probability]:
    """``P(R ≤ v)`` and ``P(R ≥ v)``: the means of their exact values per draw (:func:`sim.inference.reported_tails`).

    For the prior, those values are a function of the claim's toll alone, so the toll's tally (one
    value a bin, no overflow) gives every draw's value, and their error is that of
    :func:`sim.mcse.pareto_tail_se`: a tiny probability driven by the rare draws of a small toll has a
    heavy tail, whose sample variance understates the error in most runs.
    """
    at_most, at_least = _mean(weights.sums.at_most[claim.id]), _mean(weights.sums.at_least[claim.id])
    name = result.plan.quantity(claim).name
    tally = weights.sums.counts[name]
    if posterior or result.plan.bin_widths[name] != 1 or tally.overflow:
        return at_most, at_least
    counts = tally.linear
    support = np.flatnonzero(counts)
    exact = reported_tails if claim.interval is None else measured_tails  # an interval claim: its estimate's tails
    values = exact(claim, support.astype(float), result.plan.scenario)
    return tuple(  # type: ignore[return-value]
        replace(p, mcse=pareto_tail_se(g, counts[support])) if math.isfinite(p.mcse) else p
        for p, g in zip((at_most, at_least), values, strict=True)
    )


def _implied(v: float, quantile: Estimate) -> Estimate:
    """The ratio ``v/Q`` at a quantile ``Q`` of the truth, with its error ``v·se(Q)/Q²`` (delta method)."""
    if quantile.value == 0:
        return Estimate(math.inf, math.nan)
    others = None
    if quantile.others is not None:
        low, high = quantile.others
        others = (v / high, v / low if low > 0 else math.inf)
    return Estimate(v / quantile.value, v * quantile.mcse / quantile.value**2, others)


def _bin_value(index: float, width: int) -> float:
    """The value bin ``index`` of a tally in bins of ``width`` stands for: its centre (the index itself for width 1)."""
    return index * width + (width - 1) / 2


def _rescale(distribution: Distribution, width: int) -> Distribution:
    """Map a summary computed on bin indices to values (:func:`_bin_value`); MCSEs scale with the width."""
    if width == 1:
        return distribution

    def at(e: Estimate) -> Estimate:
        return Estimate(_bin_value(e.value, width), e.mcse * width)

    def interval(iv: Interval) -> Interval:
        return Interval(
            iv.level, _bin_value(iv.low, width), _bin_value(iv.high, width), iv.low_mcse * width, iv.high_mcse * width
        )

    return Distribution(
        distribution.name,
        at(distribution.mean),
        Estimate(distribution.sd.value * width, distribution.sd.mcse * width),
        at(distribution.median),
        tuple(interval(iv) for iv in distribution.eti),
        tuple(interval(iv) for iv in distribution.hdi),
    )


def _errors_defined(ess: float) -> bool:
    return ess >= MIN_ESS_FOR_ERRORS


def _quantile(cdf: np.ndarray, cdf2: np.ndarray, q: float, ess: float) -> Estimate:
    """The quantile at ``q`` (a bin index) with its error and the values another seed gives (``others``)."""
    value = float(quantile_index(cdf, q))
    if not _errors_defined(ess):
        return Estimate(value, math.nan)
    mcse, low, high, stuck = quantile_spread(cdf, cdf2, q)
    return Estimate(value, mcse, (float(low), float(high)) if stuck else None)


def _moments(support: np.ndarray, pmf: np.ndarray, pmf2: np.ndarray, ess: float) -> tuple[Estimate, Estimate]:
    """Mean and sd with delta-method errors: ``g = x`` and ``g = (x − μ)²``, ``se(sd) = se(var)/(2·sd)``."""
    mean = float((pmf * support).sum())
    squares = (support - mean) ** 2
    sd = math.sqrt(float((pmf * squares).sum()))
    if not _errors_defined(ess):
        return Estimate(mean, math.nan), Estimate(sd, math.nan)
    sd_mcse = weighted_se(squares, pmf, pmf2) / (2 * sd) if sd > 0 else 0.0
    return Estimate(mean, weighted_se(support, pmf, pmf2)), Estimate(sd, sd_mcse)


def _count_distribution(
    name: str,
    pmf: np.ndarray,
    pmf2: np.ndarray,
    ess: float,
    levels: tuple[float, ...],
    hdi_errors: list[tuple[float, tuple[float, float] | None]],
) -> Distribution:
    """Summary of a tally (bin indices): quantiles with their spread, HDI ends with their subsampling errors."""
    cdf = np.cumsum(pmf)
    cdf /= cdf[-1]
    cdf2 = np.cumsum(pmf2)
    mean, sd = _moments(np.arange(pmf.size, dtype=float), pmf, pmf2, ess)
    ends = hdi_ends(pmf, levels)
    hdi = []
    for j, level in enumerate(levels):
        (low_mcse, low_others), (high_mcse, high_others) = hdi_errors[2 * j], hdi_errors[2 * j + 1]
        hdi.append(
            Interval(level, float(ends[2 * j]), float(ends[2 * j + 1]), low_mcse, high_mcse, low_others, high_others)
        )
    eti = []
    for level in levels:
        low, high = (_quantile(cdf, cdf2, q, ess) for q in ((1 - level) / 2, (1 + level) / 2))
        eti.append(Interval(level, low.value, high.value, low.mcse, high.mcse, low.others, high.others))
    return Distribution(name, mean, sd, _quantile(cdf, cdf2, 0.5, ess), tuple(eti), tuple(hdi))


def _binned_distribution(
    name: str,
    counts: np.ndarray,
    counts2: np.ndarray,
    edges: np.ndarray,
    moments: np.ndarray | None,
    ess: float,
    levels: tuple[float, ...],
) -> Distribution:
    """Summary from a histogram of Σw and Σw² per bin (quantiles interpolated within bins) and exact moments.

    Errors by the delta method over the bins (:func:`sim.mcse.interpolated_quantile_se` for
    quantiles); the mean's and sd's are computed at the bin centres (an approximation within a bin,
    of 2,048).
    """
    total = counts.sum()
    pmf, pmf2 = counts / total, counts2 / total**2
    cdf = np.cumsum(pmf)
    cdf2 = np.cumsum(pmf2)
    grid = np.concatenate([[0.0], cdf])
    centres = (edges[:-1] + edges[1:]) / 2
    binned_mean, binned_sd = _moments(centres, pmf, pmf2, ess)
    if moments is not None:
        weight, first, second = moments
        mean_value = first / weight
        sd_value = math.sqrt(max(second / weight - mean_value**2, 0.0))
    else:
        mean_value, sd_value = binned_mean.value, binned_sd.value

    def quantile(q: float) -> Estimate:
        value = float(np.interp(q, grid, edges))
        if not _errors_defined(ess):
            return Estimate(value, math.nan)
        return Estimate(value, *interpolated_quantile_se(cdf, cdf2, edges, q))

    eti = []
    for level in levels:
        low, high = (quantile(q) for q in ((1 - level) / 2, (1 + level) / 2))
        eti.append(Interval(level, low.value, high.value, low.mcse, high.mcse, low.others, high.others))
    return Distribution(
        name,
        Estimate(mean_value, binned_mean.mcse),
        Estimate(sd_value, binned_sd.mcse),
        quantile(0.5),
        tuple(eti),
        (),
    )


class _Tails:
    """Probabilities ``c + Σ aₓ·P(T ≤ x)`` for one quantity (tails, ranges, mid-percentiles) and their errors.

    Each is estimated as a whole, either by the weighted frequency (error: the delta method over the
    tally's bins) or, for the prior, by the conditional estimates at every ``x`` averaged per draw (error:
    from their cross products, so that a difference of two close tails is as precise as it is). Below 25
    effective hits on the frequency's smaller side the conditional estimate is reported; from 25 on, the
    frequency (its error is then the binomial one, honest by construction), unless the conditional estimate
    has the smaller error *and* agrees with the frequency within :data:`AGREEMENT` of their combined errors.
    Taking whichever error is smaller, without the agreement, was biased: a heavy-tailed conditional
    estimate has its smallest error exactly at the seeds that drew none of its rare large values, where it
    is also too low (kursk's prior ``P(T ≥ 6,000)``: picked at 4 of 100 seeds, 0.0009–0.0011 ± 0.00004
    against 0.0013, ``SD(z)`` 1.94), and there it disagrees with the frequency. The conditional
    estimate integrates the fatality rate over its *prior*, so it is valid for the prior predictive only:
    posterior weights depend on the truth it integrates out. The posterior uses the weighted frequency;
    where it holds less than one effective draw (or all but less than one), it reports the rule-of-three
    bound ``3/ESS`` (method ``bound``: a 95% upper limit), neither 0 nor a spurious 1e-21.
    """

    def __init__(
        self,
        weights: _Weights,
        quantity: str,
        points: tuple[Threshold, ...],
        *,
        conditional: bool,
        width: int = 1,
    ) -> None:
        self.weights = weights
        self.quantity = quantity
        self.thresholds = {t.point: t.upper for t in points}
        self.points = points
        self.conditional = conditional
        self.width = width
        self.pmf, self.pmf2 = weights.tally(weights.sums.counts[quantity])  # type: ignore[misc]

    def value(self, index: float) -> float:
        """The value a bin index stands for (itself, for exact tallies)."""
        return _bin_value(index, self.width)

    def estimate(self, terms: dict[int, float], constant: float = 0.0) -> Probability:
        """``constant + Σ terms[x]·P(T ≤ x)``; points below 0 contribute nothing."""
        terms = {x: a for x, a in terms.items() if x >= 0 and a != 0}
        if not terms:
            return Probability(constant, 0.0, "exact")
        empirical = self._frequency(terms, constant)
        if not self.conditional or any(x not in self.thresholds for x in terms):  # conditional: claims' points
            return empirical
        conditional = self._conditional(terms, constant)
        hits = min(empirical.value, 1 - empirical.value) * self.weights.ess
        if hits >= MIN_EMPIRICAL_HITS:
            gap = abs(conditional.value - empirical.value)
            agree = gap <= AGREEMENT * math.hypot(empirical.mcse, conditional.mcse)
            if not (conditional.mcse < empirical.mcse and agree):
                return empirical
        if hits == 0 and conditional.mcse == 0 and min(conditional.value, 1 - conditional.value) == 0:
            # no draw, and no conditional estimate, reached the point (e.g. a phase the estimator does not
            # integrate drives this tail): the rule-of-three bound, never a bare 0
            return _rule_of_three(conditional.value, self.weights.ess)
        return conditional

    def _frequency(self, terms: dict[int, float], constant: float) -> Probability:
        """The weighted frequency, with its delta-method error (or a bound where it is 0 or 1)."""
        bins = np.arange(self.pmf.size)
        g = np.full(self.pmf.size, constant)
        for x, a in terms.items():
            g += a * (bins < (x + 1) // self.width)  # bins wholly at or below x (all of them, for exact tallies)
        value = min(max(float((self.pmf * g).sum()), 0.0), 1.0)  # sums can round to 1 + 2e-16
        ess = self.weights.ess
        if not self.conditional and min(value, 1 - value) * ess < 1:
            # less than one effective draw on one side: a bound (rule of three), not an estimate or a certainty
            return _rule_of_three(value, ess)
        mcse = weighted_se(g, self.pmf, self.pmf2) if _errors_defined(ess) else math.nan
        return Probability(value, mcse, "empirical")

    def _conditional(self, terms: dict[int, float], constant: float) -> Probability:
        """The per-draw combination of conditional estimates and the standard error of its mean."""
        sums = self.weights.sums
        coefficients = np.zeros(len(self.points))
        for x, a in terms.items():
            upper = self.thresholds[x]
            coefficients[self.points.index(Threshold(self.quantity, x, upper))] += -a if upper else a
            constant += a if upper else 0.0
        n, totals = np.array([sums.tails[point].linear for point in self.points]).T
        means = totals / n
        gram = sums.gram[self.quantity].reshape(len(self.points), len(self.points)) / n[0]
        variance = float(coefficients @ (gram - np.outer(means, means)) @ coefficients)
        value = min(max(constant + float(coefficients @ means), 0.0), 1.0)
        mcse = math.sqrt(max(variance, 0.0) / n[0]) if _errors_defined(n[0]) else math.nan
        return Probability(value, mcse, "conditional")

    def at_most(self, x: int) -> Probability:
        return self.estimate({x: 1.0})

    def more_than(self, x: int) -> Probability:
        return self.estimate({x: -1.0}, 1.0)

    def between(self, low: int, high: int | None) -> Probability:
        """P(low ≤ T ≤ high): one estimate of the difference, not two tails with independent errors."""
        if high is None:
            return self.more_than(low - 1)
        return self.estimate({high: 1.0, low - 1: -1.0})

    def percentile(self, v: float) -> Probability:
        """``100·(P(T < v) + P(T ≤ v))/2``, estimated as one average."""
        terms: dict[int, float] = {}
        for x in (math.floor(v), math.ceil(v) - 1):
            terms[x] = terms.get(x, 0.0) + 0.5
        p = self.estimate(terms)
        return Probability(100 * p.value, 100 * p.mcse, p.method)

    def quantile(self, q: float) -> Estimate:
        """The value at level ``q`` and its error, in values (not bins; ``others`` for exact tallies only)."""
        estimate = _quantile(np.cumsum(self.pmf), np.cumsum(self.pmf2), q, self.weights.ess)
        if self.width == 1:
            return estimate
        return Estimate(self.value(estimate.value), estimate.mcse * self.width)


def _ratio_posterior(
    weights: _Weights, claim_id: str, distribution, logit_edges: np.ndarray, levels: tuple[float, ...]
) -> Distribution:
    """The posterior of a reporting ratio from its histogram in logit(prior CDF) space, mapped to ratios."""
    counts, counts2 = _histogram(weights.sums.ratios[claim_id], logit_edges)
    in_u = _binned_distribution(claim_id, counts, counts2, logit_edges, None, weights.ess, levels)
    return _mapped(in_u, lambda logit: float(distribution.ppf(special.expit(logit))))


def _share_distribution(weights: _Weights, claim_id: str, levels: tuple[float, ...]) -> Distribution:
    """A ratio claim's ratio ``t`` from its tally in ``u = t/(1 + t)`` (:func:`sim.engine.share_bin`): median and
    intervals interpolated within bins of ``u`` (to about 0.001 near a third), mean and sd not estimated."""
    edges = np.linspace(0.0, 1.0, SHARE_BINS + 1)
    counts, counts2 = _histogram(weights.sums.shares[claim_id], edges)
    in_u = _binned_distribution(claim_id, counts, counts2, edges, None, weights.ess, levels)
    return _mapped(in_u, lambda u: u / (1 - u) if u < 1 else math.inf)


def _mapped(summary: Distribution, to_value: Callable[[float], float]) -> Distribution:
    """A median and intervals computed on a transformed scale, mapped back by the increasing ``to_value``
    (errors: half the change over ``x ± mcse``); mean and sd are not carried over."""

    def at(x: float, mcse: float, others: tuple[float, float] | None) -> Estimate:
        mapped = None if others is None else (to_value(others[0]), to_value(others[1]))
        if not math.isfinite(mcse):
            return Estimate(to_value(x), math.nan, mapped)
        return Estimate(to_value(x), (to_value(x + mcse) - to_value(x - mcse)) / 2, mapped)

    def interval(iv: Interval) -> Interval:
        low, high = at(iv.low, iv.low_mcse, iv.low_others), at(iv.high, iv.high_mcse, iv.high_others)
        return Interval(iv.level, low.value, high.value, low.mcse, high.mcse, low.others, high.others)

    return Distribution(
        summary.name,
        Estimate(math.nan, math.nan),
        Estimate(math.nan, math.nan),
        at(summary.median.value, summary.median.mcse, summary.median.others),
        tuple(interval(iv) for iv in summary.eti),
        (),
    )


def _histogram(tally: Tally, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A weighted histogram's Σw and Σw² over every bin of ``edges`` (its tally stops at its last non-empty bin)."""
    return tuple(np.pad(c, (0, edges.size - 1 - c.size)) for c in (tally.linear, tally.quadratic))  # type: ignore[return-value]


def _at_resolution(p: Probability, ess: float) -> Probability:
    """A mean of likelihoods that no draw supports: the rule-of-three bound, never a bare 0."""
    if p.value > 0 or ess <= 0:
        return p
    return _rule_of_three(0.0, ess)


def _rule_of_three(value: float, ess: float) -> Probability:
    """The bound where less than one effective draw falls on one side: ``round(value)`` (0 or 1), and as its error
    the 95% upper limit ``3/ESS`` of the side no draw reached (the rule of three; NaN without an ESS)."""
    return Probability(float(round(value)), 3 / ess if ess > 0 else math.nan, "bound")


def _claims(
    result: SimulationResult, weights: _Weights, tails: dict[str, _Tails], posterior: bool
) -> tuple[ClaimSummary, ...]:
    plan = result.plan
    scenario = plan.scenario
    groups = {claim.id: group for group in claim_groups(scenario.claims, scenario) for claim in group.claims}
    out = []
    for claim in scenario.claims:
        if claim.is_ratio:
            continue
        quantity = plan.quantity(claim)
        tail = tails[quantity.name]
        v = claim.figure
        below = tail.at_most(math.floor(v))
        above = tail.more_than(math.ceil(v) - 1)
        # v/T at T's quantiles, with the delta-method error v·se(Q)/Q²
        ratio_low, ratio_median, ratio_high = (_implied(v, tail.quantile(q)) for q in (0.975, 0.5, 0.025))
        ratio = Interval(
            0.95,
            ratio_low.value,
            ratio_high.value,
            ratio_low.mcse,
            ratio_high.mcse,
            ratio_low.others,
            ratio_high.others,
        )
        extra: dict[str, Any] = {}
        group = groups[claim.id]
        extra["shares_ratio_with"] = tuple(c.id for c in group.claims if c.id != claim.id)
        conditional = result.leave_one_out.get(claim.id) if posterior else None
        extra |= _reading_checks(result, weights, claim, posterior)
        if claim.source is not None:
            # given the other conditioned claims of its source (and the run's other claims), not the claim itself
            if conditional is None:
                at_most, at_least = _predictive_tails(result, weights, claim, posterior)
                extra["reported_at_most"], extra["reported_at_least"] = at_most, at_least
            else:
                extra["reported_at_most"] = _mean(conditional.at_most)  # type: ignore[arg-type]
                extra["reported_at_least"] = _mean(conditional.at_least)  # type: ignore[arg-type]
            pmf, pmf2 = weights.tally(weights.sums.reported[claim.id])  # type: ignore[misc]
            width = plan.report_widths[claim.id]
            cdf, cdf2 = np.cumsum(pmf), np.cumsum(pmf2)
            low, median, high = (_quantile(cdf, cdf2, q, 1 / float(cdf2[-1])) for q in (0.025, 0.5, 0.975))
            exact = width == 1  # ranges of other seeds' values for whole numbers, not bins
            extra["reported_median"] = _bin_value(median.value, width)
            extra["reported_median_mcse"] = median.mcse * width
            extra["reported_median_others"] = median.others if exact else None
            extra["reported_interval"] = Interval(
                0.95,
                _bin_value(low.value, width),
                _bin_value(high.value, width),
                low.mcse * width,
                high.mcse * width,
                low.others if exact else None,
                high.others if exact else None,
            )
            if posterior and group.key in weights.sums.ratios:
                distribution = group.source.reporting_ratio.distribution  # type: ignore[union-attr]
                levels = scenario.simulation.levels
                extra["ratio_posterior"] = _ratio_posterior(weights, group.key, distribution, plan.ratio_edges, levels)
        out.append(
            ClaimSummary(
                id=claim.id,
                label=claim.label,
                value=v,
                relation=claim.relation,
                metric=claim.metric,
                scope=claim.scope,
                quantity=quantity.name,
                source=claim.source,
                conditioned=claim.id in plan.condition_on,
                percentile=tail.percentile(v),
                below=below,
                above=above,
                probability=tail.between(claim.low, claim.high),
                implied_ratio=ratio,
                implied_ratio_median=ratio_median.value,
                implied_ratio_median_mcse=ratio_median.mcse,
                implied_ratio_median_others=ratio_median.others,
                reading_low=claim.low,
                reading_high=claim.high,
                said=claim.said,
                interval=claim.interval,
                **extra,
            )
        )
    return tuple(out)


def _reading_checks(result: SimulationResult, weights: _Weights, claim: Claim, posterior: bool) -> dict[str, Any]:
    """A count or ratio claim's checks of its reading: ``loo``, its probability given the other conditioned claims
    (posterior), and ``prior_predictive``, its probability under the priors (prior side). An interval claim has
    none: its likelihood is a density (sim.intervals), and its check is the tails of the source's estimate given
    the others (``reported_at_most``/``reported_at_least``)."""
    checks: dict[str, Any] = {}
    if claim.interval is not None:
        return checks
    conditional = result.leave_one_out.get(claim.id) if posterior else None
    if conditional is not None and conditional.probability is not None:
        checks["loo"] = _mean(conditional.probability)
    if not posterior and claim.id in weights.sums.likelihoods:
        checks["prior_predictive"] = _at_resolution(_mean(weights.sums.likelihoods[claim.id]), weights.ess)
    return checks


def _frequency(weights: _Weights, sums: Mean) -> Probability:
    """A weighted frequency of per-draw 0/1 values, with the rule-of-three bound where less than one effective
    draw falls on one side."""
    p = _mean(sums)
    if math.isfinite(p.value) and min(p.value, 1 - p.value) * weights.ess < 1:
        return _rule_of_three(p.value, weights.ess)
    return Probability(p.value, p.mcse, "empirical")


def _ratio_claims(result: SimulationResult, weights: _Weights, posterior: bool) -> tuple[RatioClaimSummary, ...]:
    plan = result.plan
    out = []
    for claim in plan.scenario.claims:
        if not claim.is_ratio:
            continue
        below, less = (
            _frequency(weights, weights.sums.share_at_most[claim.id]),
            _mean(weights.sums.share_below[claim.id]),
        )
        mid = (below.value + less.value) / 2
        extra = _reading_checks(result, weights, claim, posterior)
        out.append(
            RatioClaimSummary(
                id=claim.id,
                label=claim.label,
                value=claim.figure,
                relation=claim.relation,
                numerator=claim.metric,
                denominator=claim.denominator,  # type: ignore[arg-type]
                scope=claim.scope,
                source=claim.source,
                conditioned=claim.id in plan.condition_on,
                percentile=Probability(100 * mid, 100 * max(below.mcse, less.mcse), below.method),
                below=below,
                above=Probability(1 - less.value, less.mcse, below.method),
                probability=_frequency(weights, weights.sums.share_reading[claim.id]),
                ratio=_share_distribution(weights, claim.id, plan.scenario.simulation.levels),
                reading_low=claim.ratio_low,
                reading_high=claim.ratio_high,
                said=claim.said,
                as_of=None if claim.as_of is None else claim.as_of.isoformat(),
                **extra,
            )
        )
    return tuple(out)


def _side(result: SimulationResult, sums: Sums, levels: tuple[float, ...], posterior: bool) -> Side:
    plan = result.plan
    weights = _Weights(sums)
    quantities = []
    for q in plan.quantities:
        pmf, pmf2 = weights.tally(sums.counts[q.name])  # type: ignore[misc]
        hdi_errors: list[tuple[float, tuple[float, float] | None]] = [(math.nan, None)] * (2 * len(levels))
        if _errors_defined(weights.ess):
            rng = np.random.Generator(
                np.random.PCG64(np.random.SeedSequence(plan.seed, spawn_key=(0, 0, zlib.crc32(q.name.encode()))))
            )
            hdi_errors = hdi_bootstrap_se(pmf, pmf2, levels, rng)
        distribution = _count_distribution(q.name, pmf, pmf2, weights.ess, levels, hdi_errors)
        quantities.append(_rescale(distribution, plan.bin_widths[q.name]))
    tails = {
        q.name: _Tails(
            weights,
            q.name,
            plan.quantity_tails(q.name),
            conditional=not posterior and q.date is None,  # a toll at a date has no conditional estimator
            width=plan.bin_widths[q.name],
        )
        for q in plan.quantities
    }
    inputs = ()
    if posterior:
        inputs = tuple(
            _binned_distribution(
                path,
                *_histogram(sums.histograms[path], edges),
                edges,
                sums.moments[path],
                weights.ess,
                levels,
            )
            for path, edges in plan.histogram_edges.items()
        )
    return Side(
        ess=weights.ess,
        quantities=tuple(quantities),
        claims=_claims(result, weights, tails, posterior),
        inputs=inputs,
        ratio_claims=_ratio_claims(result, weights, posterior),
    )


def _label(quantity: Quantity, scenario: Scenario) -> str:
    """``Killed, <group label>`` for a named group; ``Killed, all forces``; else the forces' labels joined by +."""
    what = "Killed" if quantity.metric == "killed" else METRIC_NOUNS[quantity.metric].capitalize()
    when = "" if quantity.date is None else f" by {quantity.date.isoformat()}"
    group = scenario.group_of(quantity.scope)
    if group is not None:
        return f"{what}{when}, {group.label}"
    everyone = len(scenario.forces)
    if len(quantity.scope) == everyone:
        return f"{what}{when}, all forces" if everyone > 1 else f"{what}{when}"
    labels = {f.id: f.label for f in scenario.forces}
    return f"{what}{when}, {' + '.join(labels[f] for f in quantity.scope)}"


METHOD = (
    "Prior predictive Monte Carlo: each draw samples every prior, then killed ~ Binomial(size, "
    "fatality rate) exactly per force; wounded ~ Binomial(survivors, 1 − exp(−wounded_per_killed × killed / "
    "survivors)); casualties = killed + wounded (+ missing); died of wounds ~ Binomial(wounded, fraction). "
    "Integer outcomes are tallied exactly (bincount). Tail probabilities use the better of the "
    "empirical frequency and a conditional estimate that integrates the largest force's fatality "
    "rate through its prior CDF (on 1/32 of the draws). Posterior statistics reweight the same "
    "draws by the claims' exact likelihoods (importance sampling)."
)


def _distributions(result: SimulationResult) -> dict[str, np.ndarray]:
    plan = result.plan
    out: dict[str, np.ndarray] = {}
    sides = [("prior", result.prior)] + ([("posterior", result.posterior)] if result.posterior is not None else [])
    for side_name, sums in sides:
        total = sums.weight.linear[0]  # type: ignore[union-attr]
        for quantity in (*plan.quantities, *plan.timeline):
            out[f"{side_name}/{quantity.name}"] = sums.counts[quantity.name].linear / total
    for claim_id, tally in result.prior.reported.items():
        out[f"reported/{claim_id}"] = tally.linear / tally.linear.sum()
    if result.posterior is not None:
        for path, edges in plan.histogram_edges.items():
            counts = result.posterior.histograms[path].linear
            out[f"posterior_input/{path}/counts"] = np.pad(counts, (0, edges.size - 1 - counts.size))
            out[f"posterior_input/{path}/edges"] = edges
        out.update(_ratio_histograms(result))
    return out


def _ratio_histograms(result: SimulationResult) -> dict[str, np.ndarray]:
    """The posterior histogram of each conditioned source's reporting ratio, like an input's.

    The engine bins each shared ratio's prior CDF value ``u`` in logit space (``Sums.ratios``);
    mapped through the prior's quantile function the bin edges become ratios, saved as
    ``posterior_input/sources.<id>.reporting_ratio/counts`` and ``/edges``. A source with several
    conditioned claims each with its own ratio (``claim_correlation = 0``) has no one posterior and none.
    """
    assert result.posterior is not None
    plan = result.plan
    ratios = [
        (group.source, result.posterior.ratios[group.key])
        for group in claim_groups(plan.scenario.claims, plan.scenario)
        if group.source is not None and group.key in result.posterior.ratios
    ]
    ids = [source.id for source, _ in ratios]
    out: dict[str, np.ndarray] = {}
    for source, tally in ratios:
        if ids.count(source.id) > 1:
            continue
        spec = source.reporting_ratio
        edges = np.asarray(spec.distribution.ppf(special.expit(plan.ratio_edges)), dtype=float)
        finite = edges[np.isfinite(edges)]
        out[f"posterior_input/{spec.path}/counts"] = _histogram(tally, plan.ratio_edges)[0]
        out[f"posterior_input/{spec.path}/edges"] = np.clip(edges, finite.min(), finite.max())
    return out


WARNING_NAMES = 6
"""A warning about many quantities names this many of them, then says how many more."""


def name_list(names: list[str]) -> str:
    """``a, b, c`` or, beyond :data:`WARNING_NAMES`, ``a, b, …, f and 14 more``."""
    if len(names) <= WARNING_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:WARNING_NAMES])} and {len(names) - WARNING_NAMES:,} more"


def _subjects(names: list[str], noun: str) -> str:
    """One name as itself; several as ``20 quantities (a, b, … and 14 more)``."""
    return names[0] if len(names) == 1 else f"{len(names):,} {noun} ({name_list(names)})"


def said_once(messages: Iterable[str]) -> tuple[str, ...]:
    """Each distinct message once, in first-seen order; a repeated one ends with how often it came (``(3 times)``)."""
    counts: dict[str, int] = {}
    for message in messages:
        counts[message] = counts.get(message, 0) + 1
    return tuple(message if count == 1 else f"{message} ({count:,} times)" for message, count in counts.items())


def ess_warning(ess: float, draws: int) -> str | None:
    """The warning for a posterior resting on few draws, with advice that is right, or None.

    Below :data:`MIN_ESS` effective draws, more draws help: the ESS grows in proportion to the
    draws, so ``draws · MIN_ESS / ESS`` (always more than were run) would give ``MIN_ESS``. Above
    it but below :data:`MIN_ESS_FRACTION` of the draws, more draws do not change that fraction:
    the conditioned claims sit far from what the priors expect, and the warning says so instead
    of suggesting a number of draws.
    """
    if ess >= MIN_ESS and ess >= MIN_ESS_FRACTION * draws:
        return None
    share = f"the effective sample size of the posterior is {ess:,.0f} ({100 * ess / draws:.3g}% of {draws:,} draws)"
    if ess >= MIN_ESS:
        return (
            f"{share}: the claims conditioned on are far from what the priors expect, so few draws carry the "
            "posterior; more draws raise the ESS in proportion but not this share (check the claims against "
            "the priors, e.g. each claim's prior percentile)"
        )
    needed = math.ceil(draws * MIN_ESS / ess) if ess > 0 else math.inf
    if needed > MAX_DRAWS:
        return (
            f"{share}: posterior statistics rest on few draws, and an ESS of {MIN_ESS:,} would need more than "
            f"the {MAX_DRAWS:,} draws a run may have; the claims conditioned on are nearly incompatible with the priors"
        )
    factor = needed / draws
    times = f"{factor:,.0f}" if factor >= 100 else f"{factor:.3g}"
    return (
        f"{share}: posterior statistics rest on few draws; about {needed:,} draws would give an ESS of "
        f"{MIN_ESS:,} ({times} times as many)"
    )


LOO_FLAG = 0.01
"""A conditioned claim whose reading has a leave-one-out probability below this (or above 1 − it) is flagged."""
PRIOR_CONFLICT = 1e-3
"""A conditioned claim whose reading has a prior predictive probability below this is in conflict with the priors."""
PAIR_CONFLICT = 0.01
"""Two claims conflict when, given one, the other's reading has a probability below this and below a tenth of its
prior predictive probability (the pair, not either claim alone, is the problem)."""


def _sources(result: SimulationResult, posterior: Side) -> tuple[SourceSummary, ...]:
    """Each source with claims: which claims share its ratio, which are conditioned on, the ratio's posterior."""
    scenario = result.plan.scenario
    by_id = {c.id: c for c in posterior.claims}
    out = []
    for source in scenario.sources:
        claims = tuple(c.id for c in scenario.claims if c.source == source.id and not c.is_ratio)
        if not claims:
            continue
        conditioned = tuple(c for c in claims if c in result.plan.condition_on)
        family = [c.id for c in posterior.claims if c.id in claims or c.id in _derived_claims(scenario, source.id)]
        ratio = None
        if source.claim_correlation > 0 and source.derives_from is None:
            ratio = next((by_id[c].ratio_posterior for c in family if by_id[c].ratio_posterior is not None), None)
        out.append(
            SourceSummary(
                source.id, source.label, source.claim_correlation, claims, conditioned, ratio, source.derives_from
            )
        )
    return tuple(out)


def _derived_claims(scenario, source_id: str) -> tuple[str, ...]:
    """The claims of the sources deriving from ``source_id``, directly or along a chain."""
    return tuple(c.id for c in scenario.claims if c.source is not None and source_id in scenario.lineage(c.source)[1:])


def _evidence(result: SimulationResult) -> Evidence:
    """``log Ẑ = log((1/n) Σ L_i)`` over the prior draws, with the delta-method error ``sd(L)/(√n·Ẑ)``."""
    sums = result.posterior
    n = result.plan.draws
    total = float(sums.weight.linear[0])  # type: ignore[union-attr]
    squares = float(sums.weight.quadratic[0])  # type: ignore[union-attr]
    mean = total / n
    variance = max(squares / n - mean * mean, 0.0)
    return Evidence(sums.log_scale + math.log(mean), math.sqrt(variance / n) / mean)  # type: ignore[union-attr]


def _conflicts(result: SimulationResult, prior: Side, posterior: Side) -> list[str]:
    """Warnings naming the conditioned claims in conflict with the priors, with the others, or pairwise."""
    claims = {c.id: c for c in (*prior.claims, *prior.ratio_claims)}
    after = {c.id: c for c in (*posterior.claims, *posterior.ratio_claims)}
    conditioned = result.plan.condition_on
    out = []
    for claim_id in conditioned:
        alone = claims[claim_id].prior_predictive
        if alone is not None and alone.value < PRIOR_CONFLICT:
            out.append(
                f"prior-data conflict: claim {claim_id}'s reading has a prior predictive probability of "
                f"{warning_probability(alone)} (below {PRIOR_CONFLICT:g}): the priors hardly allow it"
            )
        loo = after[claim_id].loo
        if loo is not None and len(conditioned) > 1 and loo.value < LOO_FLAG:
            out.append(
                f"claim {claim_id} conflicts with the other conditioned claims: given them, its reading has "
                f"probability {warning_probability(loo)} (leave-one-out)"
            )
        estimate = after[claim_id]
        if getattr(estimate, "interval", None) is not None and len(conditioned) > 1:
            tail = min(estimate.reported_at_most, estimate.reported_at_least, key=lambda p: p.value)  # type: ignore[union-attr]
            if tail.value < LOO_FLAG / 2:
                out.append(
                    f"claim {claim_id} conflicts with the other conditioned claims: given them, the source's "
                    f"estimate is this far out in a tail of its predictive distribution with probability "
                    f"{warning_probability(tail)} (two-sided below {LOO_FLAG:g})"
                )
    for j, first in enumerate(conditioned):
        for second in conditioned[j + 1 :]:
            for a, b in ((first, second), (second, first)):
                given = _mean(result.given[(a, b)].probability)  # type: ignore[arg-type]
                alone = claims[a].prior_predictive
                if alone is not None and given.value < PAIR_CONFLICT and given.value < 0.1 * alone.value:
                    out.append(
                        f"claims {a} and {b} conflict: given {b}, {a}'s reading has probability "
                        f"{warning_probability(given)} against {warning_probability(alone)} without it"
                    )
                    break
    return out


def _report_name(claim_id: str) -> str:
    """How summary.json and the warnings name the report of a sourced claim (its tally's bins)."""
    return f"reported:{claim_id}"


def _bin_widths(plan) -> dict[str, int]:
    """Every tally binned wider than 1: quantities, the timeline's, then the reports' (:attr:`Summary.bin_widths`)."""
    widths = {**plan.bin_widths, **{_report_name(c): w for c, w in plan.report_widths.items()}}
    return {name: width for name, width in widths.items() if width > 1}


def summarize(result: SimulationResult) -> Summary:
    """Turn a run's accumulators into a :class:`Summary`.

    Parameters
    ----------
    result : SimulationResult
        Output of :func:`sim.engine.simulate`.

    Returns
    -------
    Summary
    """
    plan = result.plan
    scenario = plan.scenario
    levels = scenario.simulation.levels
    prior = _side(result, result.prior, levels, posterior=False)
    posterior = None
    warnings: list[str] = []
    if result.posterior is not None:
        posterior = _side(result, result.posterior, levels, posterior=True)
        warning = ess_warning(posterior.ess, plan.draws)
        if warning is not None:
            warnings.append(warning)
    binned: dict[int, list[str]] = {}
    for quantity in plan.quantities:
        # a report's bins are its truth's, already named; the timeline's coarse bins serve the fan chart only
        if (width := plan.bin_widths[quantity.name]) > 1:
            binned.setdefault(width, []).append(quantity.name)
    for width, names in binned.items():
        warnings.append(
            f"{_subjects(names, 'quantities')} can exceed {plan.max_bins:,}: tallied in bins of {width:,}, so "
            "quantiles and posterior probabilities are exact to within a bin (claims' prior probabilities are not "
            "affected; bin_widths in summary.json lists every binned quantity)"
        )
    tallies = [(name, result.prior.counts[name]) for name in plan.bin_widths]
    tallies += [(_report_name(claim_id), tally) for claim_id, tally in result.prior.reported.items()]
    overflows = [f"{name} ({tally.overflow:,.0f} draws)" for name, tally in tallies if tally.overflow]
    if overflows:
        warnings.append(f"draws beyond a tally's range were counted in its top bin: {name_list(overflows)}")
    warnings.extend(
        f"claim {earlier} is superseded by {later} (claims' supersedes): the run conditions on {later} only"
        for earlier, later in plan.superseded.items()
    )
    sources: tuple[SourceSummary, ...] = ()
    evidence = None
    if posterior is not None:
        sources = _sources(result, posterior)
        evidence = _evidence(result)
        warnings.extend(_conflicts(result, prior, posterior))
    distributions = _distributions(result)
    quantity_labels = {q.name: _label(q, scenario) for q in plan.quantities}
    return Summary(
        scenario=scenario.name,
        title=scenario.title,
        description=scenario.description,
        draws=plan.draws,
        seed=plan.seed,
        chunk_size=plan.chunk_size,
        levels=levels,
        condition_on=plan.condition_on,
        quantity_labels=quantity_labels,
        prior=prior,
        posterior=posterior,
        warnings=said_once(warnings),
        version=__version__,
        method=METHOD,
        bin_widths=_bin_widths(plan),
        distributions=distributions,
        sources=sources,
        evidence=evidence,
    )
