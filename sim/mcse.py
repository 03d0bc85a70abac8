"""Monte Carlo standard errors: the importance-sampling delta method and batch subsampling.

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
Statist.* 18, 1990, the shorth), and no delta method or bootstrap applies. Their error is estimated
by subsampling (Politis, Romano and Wolf, *Subsampling*, 1999, §2.2): the run's draws are cut into
batches of ``b`` consecutive draws (:func:`batch_layout`), the interval is computed in each batch,
and the spread of the batch values is rescaled to the run's size, ``sd_b · (b/n)^(1/3)``
(:func:`subsampling_se`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = [
    "BATCH_RATE",
    "MAX_BATCHES",
    "MIN_BATCHES",
    "MIN_BATCH_SIZE",
    "MIN_VALID_BATCHES",
    "RANGE_BELOW",
    "batch_layout",
    "hdi_ends",
    "quantile_index",
    "quantile_spread",
    "subsampling_se",
    "weighted_se",
]

MIN_BATCHES = 32
"""At least this many batches (their spread's own error is then about 1/√(2·31) ≈ 13%)."""
MAX_BATCHES = 40
"""At most this many batches are evaluated (the first ones): enough for the spread, cheap at 10^8 draws."""
MIN_VALID_BATCHES = 8
"""Fewer batches with weight (posterior batches can hold none) leave the error undefined."""
MIN_BATCH_SIZE = 1024
"""Smaller runs have no subsampling error (reported as undefined)."""
RANGE_BELOW = 0.5
"""A whole-number quantile whose error is below this is shown as the values other seeds give, not with ±."""
BATCH_RATE = 1 / 3
"""The convergence rate exponent of highest-density interval ends (cube-root asymptotics)."""


def batch_layout(draws: int, chunk_size: int) -> tuple[int, int]:
    """The batch size ``b`` and how many batches ``B`` a run evaluates (``(0, 0)`` when too small).

    Batches are the consecutive runs of ``b`` draws inside each chunk (``b`` a chunk size divided by a
    power of two, never spanning chunks, a chunk's remainder unused), the largest ``b`` that gives at
    least :data:`MIN_BATCHES`; only the first :data:`MAX_BATCHES` are evaluated. The layout depends on
    the number of draws and the chunk size only, like the random streams.
    """
    full, last = divmod(draws, chunk_size)
    size = chunk_size
    while size >= MIN_BATCH_SIZE:
        count = full * (chunk_size // size) + last // size
        if count >= MIN_BATCHES:
            return size, min(count, MAX_BATCHES)
        size //= 2
    return 0, 0


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
    """Delta-method error of ``Σ pmf·g`` for per-bin values ``g``: ``√(Σ pmf2 · (g − μ)²)``.

    ``pmf`` is ``Σw`` per bin over the total weight, ``pmf2`` is ``Σw²`` per bin over the total
    weight squared (for the prior, ``pmf/n``).
    """
    mu = float((pmf * g).sum())
    return math.sqrt(max(float((pmf2 * (g - mu) ** 2).sum()), 0.0))


def quantile_spread(cdf: np.ndarray, cdf2: np.ndarray, q: float) -> tuple[float, int, int]:
    """Error of the quantile ``Q̂ = min{k : F̂(k) ≥ q}`` and the 95% range of the values it takes.

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
    (mcse, low, high)
        The standard deviation of ``Q̂`` under ``P(Q̂ ≤ k) = Φ((F̂(k) − q)/s_k)``, with
        ``s_k² = cdf2(k)·(1 − F̂(k))² + (cdf2[-1] − cdf2(k))·F̂(k)²``, and the 2.5% and 97.5%
        points of that distribution (indices): the values another seed would give.
    """
    total2 = float(cdf2[-1])
    if not total2 > 0:
        k = quantile_index(cdf, q)
        return 0.0, k, k
    reach = 8 * math.sqrt(total2)
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
    low = start + int(np.searchsorted(at_most, 0.025, side="left"))
    high = start + int(np.searchsorted(at_most, 0.975, side="left"))
    return sd, low, min(high, stop - 1)


def subsampling_se(batch_values: np.ndarray, batch_size: int, draws: int) -> float:
    """Error of an ``n^(-1/3)``-rate estimate from its values in batches of ``batch_size`` draws.

    ``sd(batch values) · (batch_size / draws)^(1/3)``; NaN entries (batches without weight) are
    left out; undefined (NaN) below :data:`MIN_VALID_BATCHES` valid batches.
    """
    values = batch_values[np.isfinite(batch_values)]
    if values.size < MIN_VALID_BATCHES:
        return math.nan
    return float(np.std(values, ddof=1)) * (batch_size / draws) ** BATCH_RATE
