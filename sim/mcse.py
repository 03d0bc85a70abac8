"""Monte Carlo standard errors: the importance-sampling delta method and a bootstrap for HDI ends.

Every error here is for a self-normalised estimate ``Σ wᵢ g(xᵢ) / Σ wᵢ`` of a run's draws, the
prior being the case ``wᵢ = 1``. Its delta-method variance is

    Var ≈ Σ wᵢ² (g(xᵢ) − μ)² / (Σ wᵢ)²

(Owen, *Monte Carlo theory, methods and examples*, 2013, §9.2, eq. 9.8), which for unit weights is
the familiar ``var(g)/n``. Integer outcomes are tallied per value, with ``Σw`` and ``Σw²`` per tally
bin, so the variance of any function of the outcome is a sum over bins (:func:`weighted_se`).

A quantile is a step function of the estimated CDF, ``Q̂ = min{k : F̂(k) ≥ q}``, so
``P(Q̂ ≤ k) = P(F̂(k) ≥ q) ≈ Φ((F̂(k) − q)/s_k)`` with ``s_k`` the delta-method error of ``F̂(k)``
(:func:`quantile_spread`). The standard deviation of that distribution over whole numbers is the
quantile's error: for wide distributions it is the classical ``s/f(x_q)`` (Glynn, "Importance
sampling for Monte Carlo estimation of quantiles", 1996), and for a quantile sitting on a value with
much mass it is the small but nonzero chance that another seed gives a neighbouring value.

Highest-density interval ends are argmins (the shortest interval), not smooth functions of the
CDF: they converge at the rate ``n^(-1/3)`` (Kim and Pollard, "Cube root asymptotics", *Ann.
Statist.* 18, 1990, the shorth), and neither the delta method nor the plain bootstrap applies.
Their errors come from a parametric bootstrap of a local-quadratic smoothing of the tally
(:func:`hdi_bootstrap_se`). docs/errors.md gives the choices and how ``make calibrate`` checks them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import special

__all__ = [
    "STUCK_SHARE",
    "hdi_bootstrap_se",
    "hdi_ends",
    "interpolated_quantile_se",
    "pareto_tail_se",
    "quantile_index",
    "quantile_spread",
    "tail_shape",
    "weighted_se",
]

BOOTSTRAP = 60
"""Replicates of the smoothed bootstrap of HDI ends (the error of their sd: 1/√(2·59) ≈ 9%)."""
BANDWIDTH_FACTOR = 0.75
"""The smoothing bandwidth of the bootstrap of HDI ends, in Silverman's bandwidths (see :func:`hdi_bootstrap_se`).

Chosen by ``make calibrate`` (docs/errors.md): at 0.5 the bootstrap kept some of the noise that made a run's
interval the shortest, and the errors of posterior 50% HDI ends were about 1.2× too small; at 1.0 the ranges of
whole-number ends held another seed's value less often."""
MIN_BANDWIDTH = 0.3
"""Narrower kernels (in bins) leave a tally unsmoothed."""
STUCK_SHARE = 0.5
"""A quantile whose estimate stays in one bin at least this often at other seeds is told by the values
other seeds give (a whole number: ``37 or 38``), not by ± (a spread of whole numbers is no normal error)."""


def quantile_index(cdf: np.ndarray, q: float) -> int:
    """The first index with ``cdf ≥ q`` (to 1e-12); at ``q ≤ 0`` the first index that holds mass."""
    if q <= 1e-12:
        return int(min(np.searchsorted(cdf, 0.0, side="right"), cdf.size - 1))
    return int(min(np.searchsorted(cdf, q - 1e-12, side="left"), cdf.size - 1))


def hdi_ends(pmf: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """The shortest run of indices holding at least each level of ``pmf``'s mass (the lowest if tied).

    Returns ``[low, high]`` for each level in turn. Only indices with mass can end such a run, so the
    search runs over the support alone.
    """
    support = np.flatnonzero(pmf > 0)
    if support.size == 0:
        return np.tile([0, pmf.size - 1], len(levels))
    mass = pmf[support].astype(float)
    cdf = np.cumsum(mass)
    cdf /= cdf[-1]
    before = cdf - mass / mass.sum()
    out = np.empty(2 * len(levels), dtype=np.int64)
    for j, level in enumerate(levels):
        ends = np.searchsorted(cdf, before + level - 1e-12, side="left")
        valid = ends < support.size  # runs starting this late cannot hold the level
        ends = np.minimum(ends, support.size - 1)
        low = int(np.argmin(np.where(valid, support[ends] - support, np.iinfo(np.int64).max)))
        out[2 * j], out[2 * j + 1] = support[low], support[ends[low]]
    return out


def weighted_se(g: np.ndarray, pmf: np.ndarray, pmf2: np.ndarray) -> float:
    """Delta-method error of ``Σ pmf·g`` for per-bin values ``g``: ``√(Σ pmf2 · (g − μ)²)``, or NaN (unknown).

    ``pmf`` is ``Σw`` per bin over the total weight, ``pmf2`` is ``Σw²`` per bin over the total
    weight squared (for the prior, ``pmf/n``). The error is NaN when its terms ``wᵢ(g(xᵢ) − μ)`` have a
    fitted Pareto tail shape ``k̂ ≥`` :data:`TAIL_SHAPE_LIMIT` (:func:`tail_shape`): they then have no
    variance as far as the draws can tell, and a run that missed the rarest heavy terms reports both a
    small estimate and a small error. Each bin is read as ``(Σw)²/Σw²`` draws of weight ``Σw²/Σw``,
    which keeps ``Σw`` and ``Σw²`` exact (a bin holding one draw is that draw).
    """
    mu = float((pmf * g).sum())
    variance = max(float((pmf2 * (g - mu) ** 2).sum()), 0.0)
    held = (pmf > 0) & (pmf2 > 0)
    weight = pmf2[held] / pmf[held]
    if tail_shape(weight * (g[held] - mu), pmf[held] / weight) >= TAIL_SHAPE_LIMIT:
        return math.nan
    return math.sqrt(variance)


def quantile_spread(cdf: np.ndarray, cdf2: np.ndarray, q: float) -> tuple[float, int, int, bool]:
    """Error of the quantile ``Q̂ = min{k : F̂(k) ≥ q}`` and the 95% range of the bins it falls in.

    Parameters
    ----------
    cdf : ndarray
        The estimated CDF over bins, ``F̂(k)``.
    cdf2 : ndarray
        The cumulative ``Σw²`` over the total weight squared, up to each bin (``cdf2[-1]`` is 1/ESS).
    q : float
        The level.

    Returns
    -------
    (mcse, low, high, stuck)
        The standard deviation of ``Q̂`` (in bins) under ``P(Q̂ ≤ k) = Φ((F̂(k) − q)/s_k)``, with
        ``s_k² = cdf2(k)·(1 − F̂(k))² + (cdf2[-1] − cdf2(k))·F̂(k)²``; the 2.5% and 97.5% points of
        the distribution of another seed's estimate given this one (``s_k`` times √2: both CDFs are
        estimates), in bins; and whether one bin holds at least :data:`STUCK_SHARE` of the estimate's
        distribution (it is then better told by that range than by ±).
    """
    total2 = float(cdf2[-1])
    if not total2 > 0:
        k = quantile_index(cdf, q)
        return 0.0, k, k, True
    # the reach: 10 errors of the CDF, at the quantile's bin or, where that error vanishes (the last bin with mass:
    # F̂ = 1 there), that of a share q, so that bins below with a chance of holding the quantile stay in the window
    k = quantile_index(cdf, q)
    at = math.sqrt(max(cdf2[k] * (1 - cdf[k]) ** 2 + (total2 - cdf2[k]) * cdf[k] ** 2, 0.0))
    reach = 10 * max(at, math.sqrt(q * (1 - q) * total2), math.sqrt(total2) / 64)
    start = max(quantile_index(cdf, q - reach) - 1, 0)
    stop = min(quantile_index(cdf, q + reach) + 2, cdf.size)
    f = cdf[start:stop]
    c2 = cdf2[start:stop]
    s = np.sqrt(np.maximum(c2 * (1 - f) ** 2 + (total2 - c2) * f**2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        at_most = np.where(s > 0, special.ndtr((f - q) / s), (f >= q - 1e-12).astype(float))
    at_most = np.maximum.accumulate(at_most)
    at_most[-1] = 1.0
    probability = np.diff(at_most, prepend=0.0)
    k = np.arange(start, stop, dtype=float)
    mean = float((probability * k).sum())
    sd = math.sqrt(max(float((probability * (k - mean) ** 2).sum()), 0.0))
    # another seed's estimate: its CDF differs from this one's by √2·s_k (both are estimates)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = np.where(s > 0, special.ndtr((f - q) / (math.sqrt(2) * s)), (f >= q - 1e-12).astype(float))
    other = np.maximum.accumulate(other)
    low = start + int(np.searchsorted(other, 0.025, side="left"))
    high = start + int(np.searchsorted(other, 0.975, side="left"))
    return sd, low, min(high, stop - 1), bool(probability.max() >= STUCK_SHARE)


REFINED_POINTS = 1024
"""Points over which the distribution of an interpolated quantile is refined (see :func:`interpolated_quantile_se`)."""
RESOLVED = 64
"""A distribution rising over at least this many of the 16-a-bin points needs no refining (spacing ≤ 0.25 sd)."""


def interpolated_quantile_se(
    cdf: np.ndarray, cdf2: np.ndarray, edges: np.ndarray, q: float
) -> tuple[float, tuple[float, float] | None]:
    """Error of a histogram's quantile read by linear interpolation within its bins.

    The estimate is ``Q̂ = F̂⁻¹(q)`` for the CDF ``F̂`` interpolated linearly within bins, so, as in
    :func:`quantile_spread`, ``P(Q̂ ≤ x) = P(F̂(x) ≥ q) ≈ Φ((F̂(x) − q)/s(x))`` at every ``x``. At a
    fraction ``t`` of bin ``i``, ``F̂(x) = Σ_{j<i} p̂ⱼ + t·p̂ᵢ`` is the weighted mean of ``g = 1`` below
    the bin, ``t`` in it and ``0`` above, so its delta-method variance is

        s(x)² = C₂(i)·(1 − F̂)² + P₂ᵢ·(t − F̂)² + (C₂ − C₂(i + 1))·F̂²

    with ``P₂ᵢ`` the bin's ``Σw²/W²`` and ``C₂(i)`` their sum below bin ``i`` (interpolating ``C₂``
    itself would add ``P₂ᵢ·t(1 − t)``). This holds both for inputs that spread over many bins and for
    those taking a few values (each value's bin then holds all its mass, and the estimate moves within
    that bin and between values). The distribution is evaluated at 16 points a bin and, where it rises
    from 0 to 1 over fewer than :data:`RESOLVED` of them, again at :data:`REFINED_POINTS` points across
    that range: with many draws the estimate's spread can be a small part of a bin, and a fixed grid
    would add its own spacing to it.
    Returns the sd and, when one bin holds at least :data:`STUCK_SHARE` of the estimate (an input
    taking few values), the edges of the bins another seed's estimate falls in (with √2, as in
    :func:`quantile_spread`).
    """
    grid = np.concatenate([[0.0], cdf])
    grid2 = np.concatenate([[0.0], cdf2])
    total2 = float(grid2[-1])
    reach = 8 * math.sqrt(total2)
    start = max(int(np.searchsorted(grid, q - reach)) - 1, 0)
    stop = min(int(np.searchsorted(grid, q + reach)) + 1, edges.size - 1)

    def at(position: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Bin, value, ``F̂`` and ``s`` at positions counted in bins (bin ``i`` spans ``[i, i + 1]``)."""
        index = np.minimum(position.astype(np.int64), stop - 1)
        t = position - index
        f = grid[index] + t * (grid[index + 1] - grid[index])
        within = grid2[index + 1] - grid2[index]
        variance = grid2[index] * (1 - f) ** 2 + within * (t - f) ** 2 + (total2 - grid2[index + 1]) * f**2
        x = edges[index] + t * (edges[index + 1] - edges[index])
        return index, x, f, np.sqrt(np.maximum(variance, 0.0))

    def distribution(f: np.ndarray, s: np.ndarray, scale: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            at_most = np.where(s > 0, special.ndtr((f - q) / (scale * s)), (f >= q).astype(float))
        at_most = np.maximum.accumulate(at_most)
        at_most[-1] = 1.0
        return at_most

    coarse = start + np.arange((stop - start) * 16 + 1) / 16
    at_most = distribution(*at(coarse)[2:], 1.0)
    rising = np.flatnonzero((at_most > 1e-12) & (at_most < 1 - 1e-12))
    if rising.size == 0:  # it rises between two points: refine between them
        rising = np.array([int(np.searchsorted(at_most, 0.5))])
    first, last = max(int(rising[0]) - 1, 0), min(int(rising[-1]) + 1, coarse.size - 1)
    positions = coarse
    if last - first < RESOLVED:  # a spacing of a fraction of the spread adds its square/12 to the variance
        fine = np.union1d(coarse[first : last + 1], np.linspace(coarse[first], coarse[last], REFINED_POINTS))
        positions = np.concatenate([coarse[:first], fine, coarse[last + 1 :]])
    in_bin, x, f, s = at(positions)
    at_most = distribution(f, s, 1.0)
    probability = np.diff(at_most, prepend=0.0)
    mean = float((probability * x).sum())
    sd = math.sqrt(max(float((probability * (x - mean) ** 2).sum()), 0.0))
    in_bin -= start
    if np.bincount(in_bin, weights=probability).max() < STUCK_SHARE:
        return sd, None
    other = distribution(f, s, math.sqrt(2))
    low, high = (in_bin[min(int(np.searchsorted(other, p)), x.size - 1)] for p in (0.025, 0.975))
    return sd, (float(edges[start + low]), float(edges[start + high + 1]))


TAIL_PRIOR = 10
"""Weight, in draws, of the prior pulling the fitted tail shape towards 0.5 (Vehtari et al. 2024, §3)."""
MIN_TAIL_VALUES = 10
"""Fewer distinct values in a tail leave it to the sample: a step function has no Pareto tail to fit."""
MAX_TIED_SHARE = 0.1
"""A tail in which one value holds more than this share of the draws is a step function, not fitted (see
:func:`tail_shape`)."""
TAIL_SHAPE_LIMIT = 0.5
"""A fitted Pareto shape at or above which a mean's terms have no variance: its error is unknown (NaN)."""


def _generalized_pareto(excess: np.ndarray) -> tuple[float, float]:
    """Shape ``k`` and scale ``σ`` of a generalised Pareto fitted to sorted excesses (ascending, ≥ 0).

    The empirical Bayes estimator of Zhang and Stephens ("A new and efficient estimation method for
    the generalized Pareto distribution", *Technometrics* 51, 2009), with the weakly informative
    prior on ``k`` of Pareto smoothed importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry,
    *JMLR* 25, 2024): ``k`` is shrunk towards 0.5 by :data:`TAIL_PRIOR` draws.
    """
    n = excess.size
    m = 30 + int(math.sqrt(n))
    theta = 1 / excess[-1] + (1 - np.sqrt(m / (np.arange(1, m + 1) - 0.5))) / (3 * excess[int(n / 4 + 0.5) - 1])
    shape = np.log1p(-theta[:, None] * excess[None, :]).mean(axis=1)
    profile = n * (np.log(-theta / shape) - shape - 1)
    theta_hat = float((theta * special.softmax(profile)).sum())
    k = float(np.log1p(-theta_hat * excess).mean())
    sigma = -k / theta_hat
    return (n * k + TAIL_PRIOR * 0.5) / (n + TAIL_PRIOR), sigma


def _largest(values: np.ndarray, counts: np.ndarray, m: int, *, max_tied: float | None = None) -> np.ndarray | None:
    """The ``m + 1`` largest draws of ``values`` (sorted descending) taken ``counts`` times each (rounded,
    at least once); None where they hold fewer than :data:`MIN_TAIL_VALUES` distinct values, a quarter
    of them tie at the smallest, or (given ``max_tied``) one of the values they reach is held by more than
    ``max_tied·(m + 1)`` draws: no Pareto tail to fit."""
    copies = np.maximum(np.rint(counts), 1).astype(np.int64)
    reach = int(np.searchsorted(np.cumsum(copies), m + 1)) + 1
    if max_tied is not None and copies[:reach].max() > (m + 1) * max_tied:
        return None
    top = np.repeat(values[:reach], copies[:reach])[: m + 1]
    if np.unique(top).size < MIN_TAIL_VALUES or not top[-int((top.size - 1) / 4 + 0.5) - 1] > top[-1]:
        return None
    return top


def _tail_size(n: float) -> int:
    """``M = min(n/5, 3√n)``: the draws in a tail, as in Pareto smoothed importance sampling."""
    return int(min(n / 5, 3 * math.sqrt(n)))


def tail_shape(values: np.ndarray, counts: np.ndarray) -> float:
    """The larger of the Pareto shapes ``k̂`` fitted to the two tails of ``values`` taken ``counts`` times each.

    ``values`` are centred (a mean's terms). Each side of 0 is fitted on its own: its ``M`` most extreme draws,
    ``M`` being :func:`_tail_size` of all the draws but at most a fifth of that side's (a rare event's few terms
    are not a tail), their excesses over the next one fitted as in :func:`_generalized_pareto`; ``-inf`` where
    neither side can be fitted (too few values, or one value held by more than :data:`MAX_TIED_SHARE` of the
    tail's draws: a tally bin of many draws makes the tail a step function). ``k̂ ≥ 0.5`` says the values have no
    variance as far as the draws can tell (Vehtari et al. 2024).
    """
    shapes = [-math.inf]
    total = float(counts.sum())
    for x in (values, -values):
        beyond = x > 0  # a tail is fitted to the terms on its side of the mean alone
        m = min(_tail_size(total), int(counts[beyond].sum() / 5))
        if m < MIN_TAIL_VALUES:
            continue
        order = np.argsort(-x[beyond], kind="stable")
        top = _largest(x[beyond][order], counts[beyond][order], m, max_tied=MAX_TIED_SHARE)
        if top is not None:
            shapes.append(_generalized_pareto((top[:-1] - top[-1])[::-1])[0])
    return max(shapes)


def pareto_tail_se(values: np.ndarray, counts: np.ndarray) -> float:
    """Error of the mean of per-draw values taken ``counts`` times each, their tails fitted as Pareto.

    A mean whose draws are mostly near 0 with a few large values (a tiny probability driven by rare
    draws) has a sample variance that is itself heavy tailed: a run that missed the rare draws
    reports both a low mean and a small error, and ``SD(z)`` exceeds 1. Here the ``M = min(n/5, 3√n)``
    largest and smallest draws are replaced, in the sum of squares, by the moments of a generalised
    Pareto distribution fitted to their excesses over the next value ``u`` (the tail of Pareto
    smoothed importance sampling, Vehtari et al. 2024): with ``Y ~ GPD(k, σ)``, ``E[Y] = σ/(1 − k)``
    and ``E[Y²] = 2σ²/((1 − k)(1 − 2k))``, so each tail adds ``M·((u − μ)² + 2(u − μ)E[Y] + E[Y²])``.
    The estimate of the error then hardly depends on whether this run drew the rarest values. A tail
    with ``k ≥ 0.5`` has no variance: the error is NaN (unknown). Tails with fewer than
    :data:`MIN_TAIL_VALUES` distinct values keep their sample sum of squares.
    """
    order = np.argsort(values, kind="stable")
    values, counts = values[order].astype(float), counts[order].astype(float)
    n = float(counts.sum())
    mean = float((values * counts).sum() / n)
    squares = float((counts * (values - mean) ** 2).sum())
    m = _tail_size(n)
    if m < MIN_TAIL_VALUES:
        return math.sqrt(squares) / n
    for sign in (1.0, -1.0):
        x, c = (values[::-1], counts[::-1]) if sign > 0 else (-values, counts)
        top = _largest(x, c, m)
        if top is None:
            continue
        k, sigma = _generalized_pareto((top[:-1] - top[-1])[::-1])
        if k >= TAIL_SHAPE_LIMIT:
            return math.nan
        shift = float(top[-1]) - sign * mean
        first, second = sigma / (1 - k), 2 * sigma**2 / ((1 - k) * (1 - 2 * k))
        squares += m * (shift**2 + 2 * shift * first + second) - float(((top[:-1] - sign * mean) ** 2).sum())
    return math.sqrt(max(squares, 0.0)) / n


def _smooth(values: np.ndarray, bandwidth: float, reflect_low: bool, reflect_high: bool) -> np.ndarray:
    """Local-quadratic smoothing with Gaussian weights, by FFT, mirrored at the tally's own ends (not at a cut).

    A local quadratic fit is a convolution with the equivalent kernel ``K(t)·(μ₄ − μ₂t²)/(μ₄ − μ₂²)``
    (``K`` Gaussian, ``μⱼ`` its moments over the grid; J. Fan and I. Gijbels, *Local polynomial modelling
    and its applications*, 1996, §3.2.2): it keeps a density's curvature, which sets how far HDI ends
    wander, where a plain Gaussian kernel flattens it. Its negative side lobes can dip below zero:
    clipped at 0.
    """
    values = values.astype(float)
    if bandwidth < MIN_BANDWIDTH:
        return values
    pad = math.ceil(4 * bandwidth)
    low = values[:pad][::-1] if reflect_low else np.zeros(min(pad, values.size))
    high = values[-pad:][::-1] if reflect_high else np.zeros(min(pad, values.size))
    t = np.arange(-pad, pad + 1, dtype=float)
    gauss = np.exp(-0.5 * (t / bandwidth) ** 2)
    gauss /= gauss.sum()
    second, fourth = float((gauss * t**2).sum()), float((gauss * t**4).sum())
    kernel = gauss * (fourth - second * t**2) / (fourth - second**2)
    padded = np.concatenate([low, values, high])
    size = padded.size + kernel.size - 1
    smoothed = np.fft.irfft(np.fft.rfft(padded, size) * np.fft.rfft(kernel, size), size)
    return np.maximum(smoothed[pad + low.size : pad + low.size + values.size], 0.0)


def _cells(pmf: np.ndarray, pmf2: np.ndarray, windows: list[tuple[int, int, float]]) -> tuple[np.ndarray, ...]:
    """Compress a tally to its smoothed bins inside ``windows`` (candidate ends) and the blocks between.

    Each window ``(low, high, bandwidth)`` covers the bins ``low`` to ``high − 1`` and is smoothed with a
    kernel of ``bandwidth`` bins (reflected at the tally's ends, never at a window's cut); where two windows
    overlap, a bin takes the bandwidth of the window whose centre is nearer (the first on a tie). Returns the
    cells' positions (a bin index; -1 for a block), Σw and Σw² per cell.
    """
    widths = np.full(pmf.size, -1.0)  # -1: outside every window
    distance = np.full(pmf.size, np.inf)
    for low, high, bandwidth in windows:
        span = np.arange(max(low, 0), min(high, pmf.size))
        offset = np.abs(span - (low + high - 1) / 2)
        closer = offset < distance[span]
        widths[span[closer]], distance[span[closer]] = bandwidth, offset[closer]
    cuts = np.flatnonzero(np.diff(widths)) + 1
    positions, masses, masses2 = [], [], []
    for start, stop in itertools.pairwise([0, *cuts.tolist(), pmf.size]):
        bandwidth = float(widths[start])
        if bandwidth >= 0:
            pad = math.ceil(4 * bandwidth) + 1
            lo, hi = max(start - pad, 0), min(stop + pad, pmf.size)
            positions.append(np.arange(start, stop))
            for out, values in ((masses, pmf), (masses2, pmf2)):
                out.append(_smooth(values[lo:hi], bandwidth, lo == 0, hi == pmf.size)[start - lo : stop - lo])
        else:
            positions.append(np.array([-1]))
            masses.append(np.array([pmf[start:stop].sum()]))
            masses2.append(np.array([pmf2[start:stop].sum()]))
    return np.concatenate(positions), np.concatenate(masses), np.concatenate(masses2)


def _replicate_ends(
    pmf: np.ndarray,
    pmf2: np.ndarray,
    level: float,
    ends: tuple[int, int],
    bandwidths: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """The HDI ends of :data:`BOOTSTRAP` Poisson redraws of the tally, smoothed near each of ``ends`` with its
    bandwidth (in bins); one row each."""
    reach = max(20, math.ceil(1.5 * max(bandwidths)))
    windows = [(end - reach, end + reach + 1, bandwidth) for end, bandwidth in zip(ends, bandwidths, strict=True)]
    positions, mass, mass2 = _cells(pmf, pmf2, windows)
    with np.errstate(divide="ignore", invalid="ignore"):
        counts = np.where(mass2 > 0, mass**2 / mass2, 0.0)
        scale = np.where(mass > 0, mass2 / mass, 0.0)
    replicates = rng.poisson(counts, size=(BOOTSTRAP, counts.size)) * scale
    replicates = replicates[replicates.sum(axis=1) > 0]  # a redraw with no mass has no HDI (its CDF would be NaN)
    cdf = np.cumsum(replicates, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cdf /= cdf[:, -1:]
        before = cdf - replicates / replicates.sum(axis=1, keepdims=True)
    # a replicate that redrew no mass (0/0) must find no end, not break the other rows' search
    cdf, before = np.nan_to_num(cdf), np.nan_to_num(before)
    # every replicate's ends at once: rows offset by 2 keep the flattened CDFs increasing
    rows = np.arange(replicates.shape[0])
    offset = 2.0 * rows[:, None]
    targets = before + level - 1e-12 + offset
    stops = np.searchsorted((cdf + offset).ravel(), targets.ravel()).reshape(targets.shape)
    stops = np.minimum(stops - positions.size * rows[:, None], positions.size - 1)
    reached = np.take_along_axis(cdf + offset, stops, axis=1) >= targets
    ok = reached & (positions[stops] >= 0) & (positions >= 0)[None, :] & (replicates > 0)
    widths = np.where(ok, positions[stops] - positions[None, :], np.iinfo(np.int64).max)
    best = np.argmin(widths, axis=1)
    valid = ok[rows, best]  # an end in a block (out of reach) leaves a replicate out
    return np.stack([positions[best], positions[stops[rows, best]]], axis=1)[valid]


def _spread(
    found: np.ndarray, ends: tuple[int, int], support: tuple[int, int]
) -> list[tuple[float, tuple[float, float] | None]]:
    """Per end: the replicates' sd, and another seed's 95% range when one value holds :data:`STUCK_SHARE`,
    within the ``support`` (the first and last bins with mass)."""
    out: list[tuple[float, tuple[float, float] | None]] = []
    for column, estimate in zip(found.T, ends, strict=True):
        if column.size < BOOTSTRAP // 2:
            out.append((math.nan, None))
            continue
        stuck = np.unique(column, return_counts=True)[1].max() >= STUCK_SHARE * column.size
        # another seed's value: √2 times the replicates' deviations from this estimate (both are estimates),
        # rounded outwards to whole values (rounding √2·1 to 1 dropped the √2 from the commonest ranges) but not
        # past the support: an end one value off a hard bound would otherwise reach a value no draw can take
        below, above = np.quantile(column, [0.025, 0.975], method="inverted_cdf")
        low = float(max(estimate + math.floor(math.sqrt(2) * (below - estimate)), support[0]))
        high = float(min(estimate + math.ceil(math.sqrt(2) * (above - estimate)), support[1]))
        out.append((float(np.std(column, ddof=1)), (low, high) if stuck else None))
    return out


def hdi_bootstrap_se(
    pmf: np.ndarray, pmf2: np.ndarray, levels: tuple[float, ...], rng: np.random.Generator
) -> list[tuple[float, tuple[float, float] | None]]:
    """Errors of the HDI ends ``[low, high]`` at each level by a parametric bootstrap of the smoothed tally.

    Returns, per end, its standard deviation over the replicates and, when one value holds at least
    :data:`STUCK_SHARE` of them, the values another seed gives (else None), as for :func:`quantile_spread`:
    the estimate plus √2 times the offsets of the replicates' 2.5% and 97.5% points, rounded outwards and
    kept within the support.

    Each bin of the tally (Σw and Σw² per bin, over the total weight and its square) is redrawn as a
    Poisson count matched to its mean and variance (``Σw ~ Poisson(λ)·Σw²/Σw``, ``λ = (Σw)²/Σw²``) and
    the HDI recomputed, in :data:`BOOTSTRAP` replicates, around a smoothed tally: the plain bootstrap
    fails for the shortest interval's cube-root asymptotics (Kim and Pollard 1990), sticking to the
    noise that made this run's interval the shortest, while the smoothed bootstrap is consistent
    (Kosorok, "Bootstrapping the Grenander estimator", 2008; Sen, Banerjee and Woodroofe, *Ann.
    Statist.* 38, 2010). The smoothing is local-quadratic (:func:`_smooth`), with three quarters of
    Silverman's bandwidth, ``h = 0.75·1.06·sd·ESS^(-1/5)`` bins (:data:`BANDWIDTH_FACTOR`), and for
    each end at most a quarter of its distance to the nearer edge of the support (the first and last
    bins with mass): a kernel reaching across a hard bound (a posterior that rises from the least toll
    a claim allows) would put mass where there is none. Each end's neighbourhood is smoothed with its
    own bandwidth in the same replicates, so the far end of an interval that starts at a bound keeps the
    full bandwidth, and the end at the bound is not smoothed across it even in the far end's replicates.
    Under :data:`MIN_BANDWIDTH` (a whole-number toll with much mass per value, or an end on the bound)
    the neighbourhood is redrawn as it is. Only bins within ``max(20, 1.5h)`` of the ends can end a
    replicate's HDI; the mass between is redrawn as blocks.
    """
    out: list[tuple[float, tuple[float, float] | None]] = []
    ess = 1 / float(pmf2.sum())
    support = np.arange(pmf.size, dtype=float)
    mean = float((pmf * support).sum())
    bandwidth = BANDWIDTH_FACTOR * 1.06 * math.sqrt(float((pmf * (support - mean) ** 2).sum())) * ess**-0.2
    ends = hdi_ends(pmf, levels)
    held = np.flatnonzero(pmf)
    first, last = (int(held[0]), int(held[-1])) if held.size else (0, pmf.size - 1)
    support_pmf, support_pmf2 = pmf[first : last + 1], pmf2[first : last + 1]
    for j, level in enumerate(levels):
        at = (int(ends[2 * j]), int(ends[2 * j + 1]))
        shifted = (at[0] - first, at[1] - first)
        widths = (min(bandwidth, (at[0] - first) / 4), min(bandwidth, (last - at[1]) / 4))
        found = _replicate_ends(support_pmf, support_pmf2, level, shifted, widths, rng) + first
        out += _spread(found, at, (first, last))
    return out
