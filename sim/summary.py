"""Statistics of a run: distributions, credible intervals, Monte Carlo errors, the claim table.

Every statistic is computed from the merged accumulators of :mod:`sim.engine`, for the
prior predictive and, when the run conditions on claims, for the posterior (the same
statistics with importance weights). Monte Carlo standard errors (MCSE):

- mean: ``sd / sqrt(ESS)``; sd: delta method, ``sqrt((m4 − sd⁴) / (4·sd²·ESS))``;
- a quantile at level ``q``: half the distance between the quantiles at ``q ± s`` with
  ``s = sqrt(q(1 − q)/ESS)`` (the binomial interval on the order statistic, e.g.
  Gelman et al., *Bayesian Data Analysis*, 3rd ed., §10.5); HDI endpoints use the same
  rule at the mass below each endpoint (an approximation, as the HDI's end levels are
  themselves estimated);
- a probability: ``sqrt(p(1 − p)/ESS)`` for an empirical frequency; for a conditional
  (Rao–Blackwellised) estimate the standard error of its weighted mean. Each probability is
  reported with whichever of the two has the smaller error; a frequency needs at least 25
  effective hits on each side to be eligible, so rare events always use the conditional one.

``ESS = (Σw)² / Σw²`` (Kish's effective sample size) is the number of draws for the prior.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

import numpy as np
from scipy import special

from sim import __version__
from sim.config import METRIC_NOUNS
from sim.engine import HISTOGRAM_BINS, MAX_BINS, RATIO_LOGIT_RANGE, SimulationResult, Sums, tail_key
from sim.model import Quantity

__all__ = [
    "ClaimSummary",
    "Distribution",
    "Estimate",
    "Interval",
    "Probability",
    "Side",
    "Summary",
    "summarize",
]

MIN_EMPIRICAL_HITS = 25
MIN_ESS = 1000
MIN_ESS_FRACTION = 0.01
MIN_ESS_FOR_ERRORS = 2.0
"""Below two effective draws a Monte Carlo error cannot be estimated: it is reported as undefined (null)."""


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its standard error."""

    value: float
    mcse: float


@dataclass(frozen=True)
class Interval:
    """A credible interval at ``level`` with the MCSE of each endpoint."""

    level: float
    low: float
    high: float
    low_mcse: float
    high_mcse: float


@dataclass(frozen=True)
class Probability:
    """A probability, its MCSE, and how it was estimated.

    ``method`` is ``empirical`` (a weighted frequency), ``conditional`` (the Rao–Blackwellised
    estimate), ``exact``, ``mixed`` (a difference of both kinds) or ``bound``: no draw fell
    there, ``value`` is 0 and ``mcse`` holds the 95% upper limit ``3/ESS`` (rule of three).
    """

    value: float
    mcse: float
    method: str


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
    ``implied_ratio`` is ``v / T`` (median and 95% interval). For a sourced claim,
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


@dataclass(frozen=True)
class Side:
    """All statistics for the prior predictive or for the posterior."""

    ess: float
    quantities: tuple[Distribution, ...]
    claims: tuple[ClaimSummary, ...]
    inputs: tuple[Distribution, ...]


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
        """Rebuild a Summary from :meth:`to_dict` output (None becomes NaN) and its arrays."""
        summary = _build(cls, {k: v for k, v in data.items() if k != "distributions"})
        return replace(summary, distributions=dict(distributions or {}))

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


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


class _Weights:
    """Normalisation of one side's sums: total weight and effective sample size."""

    def __init__(self, sums: Sums) -> None:
        self.sums = sums
        (total,) = sums.linear["ess"][:1]
        self.total = float(total)
        self.ess = float(total**2 / sums.quadratic["ess"][0]) if total > 0 else 0.0

    def pmf(self, key: str) -> np.ndarray:
        return self.sums.linear[key] / self.total

    def mean(self, key: str) -> Probability:
        """Weighted mean of per-draw values and the standard error of a self-normalised mean."""
        total, weighted = self.sums.linear[key]
        w2, w2x, w2x2 = self.sums.quadratic[key]
        if total <= 0:
            return Probability(math.nan, math.nan, "conditional")
        mean = weighted / total
        variance = max(w2x2 - 2 * mean * w2x + mean**2 * w2, 0.0)
        mcse = math.sqrt(variance) / total if total**2 / w2 >= MIN_ESS_FOR_ERRORS else math.nan
        return Probability(float(min(max(mean, 0.0), 1.0)), float(mcse), "conditional")


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


def _quantile(cdf: np.ndarray, q: float) -> float:
    return float(min(np.searchsorted(cdf, q - 1e-12, side="left"), cdf.size - 1))


def _quantile_mcse(cdf: np.ndarray, q: float, ess: float, quantile=_quantile) -> float:
    if ess < MIN_ESS_FOR_ERRORS:
        return math.nan
    s = math.sqrt(q * (1 - q) / ess)
    return (quantile(cdf, min(q + s, 1.0)) - quantile(cdf, max(q - s, 0.0))) / 2


def _hdi(pmf: np.ndarray, cdf: np.ndarray, level: float, ess: float) -> Interval:
    """Shortest interval of whole numbers holding at least ``level`` of the mass."""
    before = np.concatenate([[0.0], cdf[:-1]])
    ends = np.searchsorted(cdf, before + level - 1e-12, side="left")
    valid = (ends < cdf.size) & (pmf > 0)
    if not np.any(valid):
        low, high = 0, cdf.size - 1
    else:
        widths = np.where(valid, ends - np.arange(cdf.size), np.iinfo(np.int64).max)
        low = int(np.argmin(widths))
        high = int(ends[low])
    return Interval(
        level,
        float(low),
        float(high),
        _quantile_mcse(cdf, float(before[low]) + 1e-12, ess),
        _quantile_mcse(cdf, float(cdf[high]), ess),
    )


def _moments(support: np.ndarray, pmf: np.ndarray, ess: float) -> tuple[Estimate, Estimate]:
    mean = float((pmf * support).sum())
    centred = support - mean
    variance = float((pmf * centred**2).sum())
    fourth = float((pmf * centred**4).sum())
    sd = math.sqrt(variance)
    mean_mcse = sd / math.sqrt(ess) if ess >= MIN_ESS_FOR_ERRORS else math.nan
    sd_mcse = math.nan
    if ess >= MIN_ESS_FOR_ERRORS:
        sd_mcse = math.sqrt(max(fourth - variance**2, 0.0) / (4 * variance * ess)) if variance > 0 else 0.0
    return Estimate(mean, mean_mcse), Estimate(sd, sd_mcse)


def _count_distribution(name: str, pmf: np.ndarray, ess: float, levels: tuple[float, ...]) -> Distribution:
    cdf = np.cumsum(pmf)
    cdf /= cdf[-1]
    mean, sd = _moments(np.arange(pmf.size, dtype=float), pmf, ess)
    hdi = tuple(_hdi(pmf, cdf, level, ess) for level in levels)
    median = Estimate(_quantile(cdf, 0.5), _quantile_mcse(cdf, 0.5, ess))
    return Distribution(name, mean, sd, median, _equal_tailed(cdf, levels, ess, _quantile), hdi)


def _equal_tailed(
    cdf: np.ndarray, levels: tuple[float, ...], ess: float, quantile: Callable[[np.ndarray, float], float]
) -> tuple[Interval, ...]:
    """Equal-tailed intervals at each level, with the MCSE of each end."""
    intervals = []
    for level in levels:
        lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
        intervals.append(
            Interval(
                level,
                quantile(cdf, lo_q),
                quantile(cdf, hi_q),
                _quantile_mcse(cdf, lo_q, ess, quantile),
                _quantile_mcse(cdf, hi_q, ess, quantile),
            )
        )
    return tuple(intervals)


def _binned_distribution(
    name: str, counts: np.ndarray, edges: np.ndarray, moments: np.ndarray | None, ess: float, levels: tuple[float, ...]
) -> Distribution:
    """Summary from a histogram (quantiles interpolated within bins) and exact moments."""
    cdf = np.cumsum(counts) / counts.sum()
    grid = np.concatenate([[0.0], cdf])

    def quantile(_cdf: np.ndarray, q: float) -> float:
        return float(np.interp(q, grid, edges))

    if moments is not None:
        total, first, second = moments
        mean_value = first / total
        sd_value = math.sqrt(max(second / total - mean_value**2, 0.0))
    else:
        centres = (edges[:-1] + edges[1:]) / 2
        mean_value = float((counts * centres).sum() / counts.sum())
        sd_value = math.sqrt(max(float((counts * centres**2).sum() / counts.sum()) - mean_value**2, 0.0))
    mean = Estimate(mean_value, sd_value / math.sqrt(ess) if ess > 0 else math.nan)
    median = Estimate(quantile(cdf, 0.5), _quantile_mcse(cdf, 0.5, ess, quantile))
    eti = _equal_tailed(cdf, levels, ess, quantile)
    return Distribution(name, mean, Estimate(sd_value, math.nan), median, eti, ())


class _Tails:
    """P(T ≤ x) for one quantity from the better of the frequency and the conditional estimate.

    The conditional estimate integrates the fatality rate over its *prior*, so it is valid for
    the prior predictive only: posterior weights depend on the truth it integrates out. The
    posterior uses the weighted frequency; where a tail holds less than one effective draw
    (weighted frequency × ESS < 1), it reports the rule-of-three bound ``3/ESS`` (method
    ``bound``: a 95% upper limit), neither 0 nor a spurious 1e-21.
    """

    def __init__(
        self, weights: _Weights, quantity: str, thresholds: dict[int, bool], *, conditional: bool, width: int = 1
    ) -> None:
        self.weights = weights
        self.quantity = quantity
        self.thresholds = thresholds
        self.conditional = conditional
        self.width = width
        self.pmf = weights.pmf(f"count:{quantity}")

    def value(self, index: float) -> float:
        """The value a bin index stands for (itself, for exact tallies)."""
        return _bin_value(index, self.width)

    def _empirical(self, x: int, upper: bool) -> Probability:
        split = (x + 1) // self.width  # bins wholly at or below x (all of them, for exact tallies)
        return self._frequency(split, None) if upper else self._frequency(0, split)

    def _frequency(self, start: int, stop: int | None) -> Probability:
        """The weighted frequency of the bins ``start:stop``, with its MCSE (or a bound where it is 0 or 1)."""
        tail = min(max(float(self.pmf[start:stop].sum()), 0.0), 1.0)  # sums can round to 1 + 2e-16
        ess = self.weights.ess
        if not self.conditional and min(tail, 1 - tail) * ess < 1:
            # less than one effective draw on one side: a bound (rule of three), not an estimate or a certainty
            return Probability(float(round(tail)), 3 / ess if ess > 0 else math.nan, "bound")
        mcse = math.sqrt(tail * (1 - tail) / ess) if ess >= MIN_ESS_FOR_ERRORS else math.nan
        return Probability(tail, mcse, "empirical")

    def small_side(self, x: int) -> tuple[Probability, bool]:
        """The estimate of the small side at ``x``: (P(T > x), True) or (P(T ≤ x), False)."""
        upper = self.thresholds[x]
        empirical = self._empirical(x, upper)
        if not self.conditional:
            return empirical, upper
        conditional = self.weights.mean(tail_key(self.quantity, x, upper))
        hits = min(empirical.value, 1 - empirical.value) * self.weights.ess
        if hits >= MIN_EMPIRICAL_HITS and empirical.mcse <= conditional.mcse:
            return empirical, upper
        return conditional, upper

    def at_most(self, x: int) -> Probability:
        if x < 0:
            return Probability(0.0, 0.0, "exact")
        if not self.conditional:  # frequencies: each side summed directly, no 1 − (1 − p) round-off
            return self._empirical(x, upper=False)
        estimate, upper = self.small_side(x)
        if upper:
            return Probability(1.0 - estimate.value, estimate.mcse, estimate.method)
        return estimate

    def more_than(self, x: int) -> Probability:
        if x < 0:
            return Probability(1.0, 0.0, "exact")
        if not self.conditional:
            return self._empirical(x, upper=True)
        estimate, upper = self.small_side(x)
        if upper:
            return estimate
        return Probability(1.0 - estimate.value, estimate.mcse, estimate.method)

    def between(self, low: int, high: int | None) -> Probability:
        """P(low ≤ T ≤ high), subtracting on the side where both terms are precise."""
        if not self.conditional and high is not None:
            return self._frequency(max(low, 0) // self.width, (high + 1) // self.width)
        below = self.at_most(low - 1)
        if high is None:
            return self.more_than(low - 1)
        above = self.more_than(high)
        mcse = math.hypot(below.mcse, above.mcse)
        methods = {below.method, above.method} - {"exact"} or {"exact"}
        method = methods.pop() if len(methods) == 1 else "mixed"
        if low - 1 >= 0 and self.thresholds[low - 1] and self.thresholds[high]:
            value = self.more_than(low - 1).value - above.value
        elif not self.thresholds[high]:
            value = self.at_most(high).value - below.value
        else:
            value = 1.0 - below.value - above.value
        return Probability(min(max(value, 0.0), 1.0), mcse, method)


def _ratio_posterior(weights: _Weights, claim_id: str, distribution, levels: tuple[float, ...]) -> Distribution:
    counts = weights.sums.linear[f"ratio:{claim_id}"]
    counts = np.pad(counts, (0, HISTOGRAM_BINS - counts.size))
    logit_edges = np.linspace(-RATIO_LOGIT_RANGE, RATIO_LOGIT_RANGE, HISTOGRAM_BINS + 1)
    in_u = _binned_distribution(claim_id, counts, logit_edges, None, weights.ess, levels)

    def to_ratio(logit: float) -> float:
        return float(distribution.ppf(special.expit(logit)))

    def interval(iv: Interval) -> Interval:
        return Interval(iv.level, to_ratio(iv.low), to_ratio(iv.high), math.nan, math.nan)

    median = Estimate(to_ratio(in_u.median.value), math.nan)
    return Distribution(
        claim_id,
        Estimate(math.nan, math.nan),
        Estimate(math.nan, math.nan),
        median,
        tuple(interval(iv) for iv in in_u.eti),
        (),
    )


def _claims(
    result: SimulationResult, weights: _Weights, tails: dict[str, _Tails], posterior: bool
) -> tuple[ClaimSummary, ...]:
    plan = result.plan
    scenario = plan.scenario
    out = []
    for claim in scenario.claims:
        quantity = plan.quantity(claim)
        tail = tails[quantity.name]
        v = claim.figure
        below = tail.at_most(math.floor(v))
        strictly_below = tail.at_most(math.ceil(v) - 1)
        above = tail.more_than(math.ceil(v) - 1)
        mid = (below.value + strictly_below.value) / 2
        percentile = Probability(100 * mid, 100 * max(below.mcse, strictly_below.mcse), below.method)
        cdf = np.cumsum(tail.pmf)
        q_lo, q_mid, q_hi = (tail.value(_quantile(cdf, q)) for q in (0.025, 0.5, 0.975))
        with np.errstate(divide="ignore"):
            ratio = Interval(0.95, v / q_hi if q_hi else math.inf, v / q_lo if q_lo else math.inf, math.nan, math.nan)
            ratio_median = v / q_mid if q_mid else math.inf
        extra: dict[str, Any] = {}
        if claim.source is not None:
            extra["reported_at_most"] = weights.mean(f"pred_le:{claim.id}")
            extra["reported_at_least"] = weights.mean(f"pred_ge:{claim.id}")
            reported = weights.sums.linear[f"reported:{claim.id}"]
            if reported.sum() > 0:  # the report's distribution comes from the subsample: it may hold no weight
                width = plan.bin_widths[f"reported:{claim.id}"]
                reported_cdf = np.cumsum(reported) / reported.sum()
                low, median, high = (_bin_value(_quantile(reported_cdf, q), width) for q in (0.025, 0.5, 0.975))
                extra["reported_median"] = median
                extra["reported_interval"] = Interval(0.95, low, high, math.nan, math.nan)
            if posterior and claim.id in plan.condition_on:
                distribution = scenario.source(claim.source).reporting_ratio.distribution
                extra["ratio_posterior"] = _ratio_posterior(weights, claim.id, distribution, scenario.simulation.levels)
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
                percentile=percentile,
                below=below,
                above=above,
                probability=tail.between(claim.low, claim.high),
                implied_ratio=ratio,
                implied_ratio_median=ratio_median,
                **extra,
            )
        )
    return tuple(out)


def _side(result: SimulationResult, sums: Sums, levels: tuple[float, ...], posterior: bool) -> Side:
    plan = result.plan
    weights = _Weights(sums)
    quantities = tuple(
        _rescale(
            _count_distribution(q.name, weights.pmf(f"count:{q.name}"), weights.ess, levels), plan.bin_widths[q.name]
        )
        for q in plan.quantities
    )
    thresholds: dict[str, dict[int, bool]] = {}
    for name, point, upper in plan.thresholds:
        thresholds.setdefault(name, {})[point] = upper
    tails = {
        q.name: _Tails(
            weights, q.name, thresholds.get(q.name, {}), conditional=not posterior, width=plan.bin_widths[q.name]
        )
        for q in plan.quantities
    }
    inputs = ()
    if posterior:
        inputs = tuple(
            _binned_distribution(
                path,
                np.pad(sums.linear[f"hist:{path}"], (0, HISTOGRAM_BINS - sums.linear[f"hist:{path}"].size)),
                edges,
                sums.linear[f"input:{path}"],
                weights.ess,
                levels,
            )
            for path, edges in plan.histogram_edges.items()
        )
    return Side(
        ess=weights.ess, quantities=quantities, claims=_claims(result, weights, tails, posterior), inputs=inputs
    )


def _label(quantity: Quantity, labels: dict[str, str], everyone: int) -> str:
    what = "Killed" if quantity.metric == "killed" else METRIC_NOUNS[quantity.metric].capitalize()
    if len(quantity.scope) == everyone:
        return f"{what}, all forces" if everyone > 1 else what
    return f"{what}, {' + '.join(labels[f] for f in quantity.scope)}"


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
        total = sums.linear["ess"][0]
        for quantity in plan.quantities:
            out[f"{side_name}/{quantity.name}"] = sums.linear[f"count:{quantity.name}"] / total
    for key, counts in result.prior.linear.items():
        if key.startswith("reported:"):
            out[f"reported/{key.removeprefix('reported:')}"] = counts / counts.sum()
    if result.posterior is not None:
        for path, edges in plan.histogram_edges.items():
            counts = result.posterior.linear[f"hist:{path}"]
            out[f"posterior_input/{path}/counts"] = np.pad(counts, (0, edges.size - 1 - counts.size))
            out[f"posterior_input/{path}/edges"] = edges
    return out


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
        ess = posterior.ess
        if ess < MIN_ESS or ess < MIN_ESS_FRACTION * plan.draws:
            needed = math.ceil(plan.draws * MIN_ESS / ess) if ess > 0 else math.inf
            warnings.append(
                f"the effective sample size of the posterior is {ess:,.0f} ({100 * ess / plan.draws:.3g}% of "
                f"{plan.draws:,} draws): posterior statistics rest on few draws; about {needed:,} draws "
                f"would give an ESS of {MIN_ESS:,}"
            )
    for name, width in plan.bin_widths.items():
        if width > 1 and not name.startswith("reported:"):  # a report's bins are its truth's, already named
            warnings.append(
                f"{name} can exceed {MAX_BINS:,}: it is tallied in bins of {width:,}, so its quantiles and posterior "
                f"probabilities are exact to within a bin (claims' prior probabilities are not affected)"
            )
        overflow = result.prior.linear.get(f"overflow:{name}")
        if overflow is not None:
            warnings.append(
                f"{name}: {overflow[0]:,.0f} draws exceeded its tally's range and were counted in its top bin"
            )
    distributions = _distributions(result)
    labels = {f.id: f.label for f in scenario.forces}
    quantity_labels = {q.name: _label(q, labels, len(scenario.forces)) for q in plan.quantities}
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
        warnings=tuple(warnings),
        version=__version__,
        method=METHOD,
        bin_widths={name: width for name, width in plan.bin_widths.items() if width > 1},
        distributions=distributions,
    )
