"""Sobol' indices: the shares of the variance of the toll and the reports that each input carries.

The model is written as a deterministic function of independent uniforms (:class:`_UniformModel`);
:func:`sobol_indices` estimates first-order and total indices with bootstrap intervals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from sim.config import Scenario
from sim.defaults import SOBOL_N
from sim.engine import claim_quantity
from sim.model import binomial_streams, evaluate, quantities_of
from sim.sensitivity.points import Progress, SensitivityError, quantity_label
from sim.sensitivity.results import Provenance, SobolIndices, SobolOutput, SobolResult

__all__ = ["DEFAULT_SOBOL_N", "sobol", "sobol_indices"]


DEFAULT_SOBOL_N = SOBOL_N


BOOTSTRAP_BATCH = 100


EVALUATION_CHUNK = 2**14


UNIFORM_EPS = 1e-15


def _weighted_indices(
    f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saltelli (2010) first-order and Jansen total-order estimators, as weighted means.

    With row weights ``w`` (each row of ``weights`` sums to 1; ``1/n`` each for the plain
    estimate, multinomial counts ``/n`` for a bootstrap resample), ``V`` the variance of the
    pooled ``f(A)``, ``f(B)`` values and ``AB⁽ⁱ⁾`` the matrix ``A`` with column ``i`` from ``B``:

        S_i  = Σ_j w_j f(B)_j (f(AB⁽ⁱ⁾)_j − f(A)_j) / V                (Saltelli 2010, Table 2 (b))
        S_Ti = ½ Σ_j w_j (f(A)_j − f(AB⁽ⁱ⁾)_j)² / V                    (Jansen 1999; Table 2 (f))

    which with ``w_j = 1/n`` is exactly ``scipy.stats``' ``saltelli_2010``. An output of zero
    variance gets indices 0, as in scipy.

    Parameters
    ----------
    f_A, f_B : ndarray, shape (s, n)
    f_AB : ndarray, shape (d, s, n)
    weights : ndarray, shape (r, n)

    Returns
    -------
    first, total : ndarray, shape (r, s, d)
    variance : ndarray, shape (r, s)

    References
    ----------
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. & Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. *Computer Physics Communications*
    181(2), 259–270. Jansen, M. J. W. (1999). Analysis of variance designs for model output.
    *Computer Physics Communications* 117, 35–43.
    """
    d, s, n = f_AB.shape
    mean = (weights @ f_A.T + weights @ f_B.T) / 2
    variance = (weights @ (f_A**2).T + weights @ (f_B**2).T) / 2 - mean**2
    difference = f_AB - f_A[None]
    first = (weights @ (f_B[None] * difference).reshape(d * s, n).T).reshape(-1, d, s)
    total = (weights @ (difference**2).reshape(d * s, n).T).reshape(-1, d, s) / 2
    scale = np.where(variance > 0, variance, np.inf)[:, :, None]
    return first.transpose(0, 2, 1) / scale, total.transpose(0, 2, 1) / scale, variance


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    *,
    d: int,
    n: int = DEFAULT_SOBOL_N,
    seed: int = 0,
    confidence: float = 0.95,
    resamples: int = 1000,
    progress: Progress | None = None,
) -> SobolIndices:
    """Sobol' indices of a deterministic function of ``d`` independent uniforms on (0, 1).

    ``scipy.stats.sobol_indices`` draws the scrambled Sobol' matrices ``A`` and ``B``, builds the
    ``AB⁽ⁱ⁾`` matrices, evaluates ``func`` on all ``n·(d + 2)`` points and centres the values;
    the indices are its Saltelli (2010) / Jansen estimators (:func:`_weighted_indices`). The
    intervals are percentile bootstrap intervals over the ``n`` rows, ``resamples`` resamples:
    scipy's own ``bootstrap()`` uses BCa, whose jackknife costs O(n²) evaluations of the
    estimator (20 s at n = 4,096, minutes at n = 16,384), so the resamples are drawn here and
    evaluated as one matrix product per batch.

    Parameters
    ----------
    func : callable
        Maps uniforms of shape ``(d, m)`` to outputs of shape ``(s, m)`` (finite).
    d : int
        Number of inputs.
    n : int
        Base sample size, a power of 2.
    seed : int
        Seeds both the scrambling of the Sobol' sequence and the bootstrap.
    confidence : float
        Level of the bootstrap intervals.
    resamples : int
        Bootstrap resamples.
    progress : callable, optional
        ``progress("model evaluations", done, n·(d + 2))`` then ``progress("bootstrap", done, resamples)``.

    Returns
    -------
    SobolIndices
    """
    if n < 2 or n & (n - 1):
        raise SensitivityError(f"n must be a power of 2 (the Sobol' sequence is balanced only then), got {n:,}")
    if not 0 < confidence < 1:
        raise SensitivityError(f"the confidence level must be in (0, 1), got {confidence:g}")
    if resamples < 1:
        raise SensitivityError(f"resamples must be at least 1, got {resamples}")
    report = progress or (lambda _what, _done, _total: None)
    sample_seed, bootstrap_seed = np.random.SeedSequence(seed).spawn(2)
    evaluations = n * (d + 2)
    evaluated = 0

    def chunked(u: np.ndarray) -> np.ndarray:
        nonlocal evaluated
        parts = []
        for start in range(0, u.shape[1], EVALUATION_CHUNK):
            parts.append(np.atleast_2d(func(u[:, start : start + EVALUATION_CHUNK])))
            evaluated += parts[-1].shape[1]
            report("model evaluations", evaluated, evaluations)
        return np.concatenate(parts, axis=1)

    recorded: dict[str, np.ndarray] = {}

    def estimator(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        recorded.update(f_A=f_A, f_B=f_B, f_AB=f_AB)
        first, total, _ = _weighted_indices(f_A, f_B, f_AB, np.full((1, f_A.shape[1]), 1 / f_A.shape[1]))
        return first[0], total[0]

    result = stats.sobol_indices(
        func=chunked,
        n=n,
        dists=[stats.uniform()] * d,
        method=estimator,
        rng=np.random.Generator(np.random.PCG64(sample_seed)),
    )
    f_A, f_B, f_AB = recorded["f_A"], recorded["f_B"], recorded["f_AB"]
    s = f_A.shape[0]
    rng = np.random.Generator(np.random.PCG64(bootstrap_seed))
    firsts, totals = [], []
    for start in range(0, resamples, BOOTSTRAP_BATCH):
        batch = min(BOOTSTRAP_BATCH, resamples - start)
        rows = rng.integers(0, n, size=(batch, n)) + n * np.arange(batch)[:, None]
        weights = np.bincount(rows.ravel(), minlength=batch * n).reshape(batch, n) / n
        first, total, _ = _weighted_indices(f_A, f_B, f_AB, weights)
        firsts.append(first)
        totals.append(total)
        report("bootstrap", start + batch, resamples)
    tails = [(1 - confidence) / 2, (1 + confidence) / 2]
    _, _, variance = _weighted_indices(f_A, f_B, f_AB, np.full((1, n), 1 / n))
    return SobolIndices(
        first=np.asarray(result.first_order).reshape(s, d),
        total=np.asarray(result.total_order).reshape(s, d),
        first_interval=np.quantile(np.concatenate(firsts), tails, axis=0),
        total_interval=np.quantile(np.concatenate(totals), tails, axis=0),
        variance=variance[0],
    )


def _sobol_outputs(scenario: Scenario) -> tuple[SobolOutput, ...]:
    quantities = quantities_of(scenario)
    by_claim = {c.id: claim_quantity(quantities, c).name for c in scenario.claims if not c.is_ratio}
    names = list(dict.fromkeys(["killed", *by_claim.values()]))
    outputs = [
        SobolOutput(name, quantity_label(scenario, name), name, tuple(c for c, q in by_claim.items() if q == name))
        for name in names
    ]
    for claim in scenario.claims:
        if claim.source is not None and not claim.is_ratio and claim.interval is None:
            label = f"report by {scenario.source(claim.source).label} ({claim.id})"
            outputs.append(SobolOutput(f"reported[{claim.id}]", label, by_claim[claim.id], (claim.id,), claim.source))
    return tuple(outputs)


@dataclass(frozen=True)
class _UniformModel:
    """The casualty model as a deterministic function of independent uniforms.

    Input ``i`` is a prior, whose value is ``F⁻¹(u_i)`` (rounded for sizes and missing, as the
    model rounds them), or a force's binomial noise: ``K = F⁻¹_{Bin(N, f)}(u)``, an exact draw of
    ``Binomial(N, f)`` by inversion. Then, as in :mod:`sim.model`, ``f = 1 − exp(−h·T)`` for a
    hazard, ``W = F⁻¹_{Bin(N − K, q)}(u)`` (and so on for every binomial of :func:`binomial_streams`),
    ``C = K + W + missing``, and a report is
    ``R = round(ρ·T)``. Fixed priors take their value.
    """

    scenario: Scenario
    inputs: tuple[str, ...]
    outputs: tuple[SobolOutput, ...]

    def __call__(self, u: np.ndarray) -> np.ndarray:
        m = u.shape[1]
        column = {name: np.clip(u[i], UNIFORM_EPS, 1 - UNIFORM_EPS) for i, name in enumerate(self.inputs)}
        middle = np.full(m, 0.5)

        def value(prior: Any) -> np.ndarray:
            return np.asarray(prior.distribution.ppf(column.get(prior.path, middle)), dtype=float)

        scenario = self.scenario

        def binomial(stream: str, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
            return stats.binom.ppf(column[stream], trials, p).astype(np.int64)

        quantities = {q.name: q for q in quantities_of(scenario)}
        dates = tuple(q.date for q in quantities.values() if q.date is not None)
        draws = evaluate(scenario, m, sample=value, binomial=binomial, dates=dates)
        rows = []
        for output in self.outputs:
            truth = draws.metric(quantities[output.quantity]).astype(float)
            if output.source is not None:
                truth = np.rint(value(scenario.source(output.source).reporting_ratio) * truth)
            rows.append(truth)
        return np.vstack(rows)


def sobol(
    scenario: Scenario,
    *,
    n: int = DEFAULT_SOBOL_N,
    seed: int | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
    progress: Progress | None = None,
) -> SobolResult:
    """Sobol' indices of the scenario's uncertain inputs on total killed and each claim's metric.

    The inputs are every non-fixed prior (sizes, fatality rates or hazards and days, wounded
    ratios, missing, each source's ρ) and, per force, the noise of each binomial draw (killed,
    wounded, died of wounds, non-battle deaths: :func:`sim.model.binomial_streams`), so their
    share of the variance is reported rather than hidden. The outputs are total killed, the truth
    ``T`` over each claim's scope and metric, and each sourced claim's report
    ``R = round(ρ·T)``. This is the prior predictive: conditioning plays no part.

    Parameters
    ----------
    scenario : Scenario
    n : int
        Base sample size, a power of 2; the model is evaluated ``n·(d + 2)`` times.
    seed : int, optional
        Default: the scenario's seed.
    confidence, resamples, progress
        As for :func:`sobol_indices`.

    Returns
    -------
    SobolResult
    """
    seed = scenario.simulation.seed if seed is None else seed
    priors = tuple(p.path for p in scenario.priors() if not p.is_fixed)
    dates = tuple(q.date for q in quantities_of(scenario) if q.date is not None)
    inputs = priors + binomial_streams(scenario, dates)
    outputs = _sobol_outputs(scenario)
    model = _UniformModel(scenario, inputs, outputs)
    indices = sobol_indices(
        model, d=len(inputs), n=n, seed=seed, confidence=confidence, resamples=resamples, progress=progress
    )
    detail = f"Sobol' n = {n:,} ({n * (len(inputs) + 2):,} model evaluations), {resamples:,} bootstrap resamples"
    return SobolResult(
        provenance=Provenance.of(scenario, seed=seed, detail=detail),
        inputs=inputs,
        outputs=outputs,
        indices=indices,
        n=n,
        resamples=resamples,
        confidence=confidence,
    )
