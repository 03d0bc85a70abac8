"""Degenerate scenarios whose toll has a closed form, and their exact references.

Each builder returns scenario TOML text; the matching ``exact_*`` function computes the
reference with ``scipy.stats`` (never with sim's own code).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats


def beta_binomial_scenario(
    *,
    size: int,
    a: float,
    b: float,
    draws: int,
    seed: int = 7,
    claims: str = "",
    sources: str = "",
    chunk_size: int = 65536,
    condition: str = "",
) -> str:
    """One force of fixed size with a Beta(a, b) fatality rate: killed ~ BetaBinomial(size, a, b)."""
    inference = f"[inference]\ncondition_on = {condition}\n" if condition else ""
    return f"""
[scenario]
name = "reference"
[simulation]
draws = {draws}
seed = {seed}
chunk_size = {chunk_size}
[forces.unit]
size = {size}
fatality_rate = {{ dist = "beta", a = {a}, b = {b} }}
{sources}
{claims}
{inference}
"""


def exact_beta_binomial(size: int, a: float, b: float):
    return stats.betabinom(size, a, b)


def kursk_tail_scenario(draws: int) -> str:
    """N ~ integer uniform 11,000..15,000 and f ~ Beta(4, 12): P(killed ≤ 9) ≈ 8.8e-10."""
    return f"""
[simulation]
draws = {draws}
seed = 2024
[forces.combat]
size = {{ dist = "integer_uniform", low = 11000, high = 15000 }}
fatality_rate = {{ dist = "beta", a = 4, b = 12 }}
[[claims]]
id = "nine"
value = 9
relation = "le"
"""


def exact_kursk_tail() -> float:
    """P(K ≤ 9) = mean over N of BetaBinomial(N, 4, 12).cdf(9)."""
    sizes = np.arange(11000, 15001)
    return float(np.mean(stats.betabinom.cdf(9, sizes, 4, 12)))


def two_force_scenario(*, draws: int, seed: int, chunk_size: int, name: str = "two_forces") -> str:
    """Every feature at once: two forces (a rate and a hazard), casualties, a source, claims, conditioning.

    No closed form: it serves the reproducibility and merging tests, whose references are other runs.
    """
    return f"""
[scenario]
name = "{name}"
[simulation]
draws = {draws}
seed = {seed}
chunk_size = {chunk_size}
[forces.a]
size = {{ dist = "integer_uniform", low = 900, high = 1100 }}
fatality_rate = {{ dist = "beta", mean = 0.1, sd = 0.03 }}
[forces.b]
size = 400
daily_hazard = {{ dist = "lognormal", ci90 = [1e-4, 1e-3] }}
days = {{ dist = "uniform", low = 60, high = 120 }}
[casualties]
wounded_per_killed = {{ dist = "gamma", mean = 3, sd = 1 }}
[sources.s]
reporting_ratio = {{ dist = "lognormal", ci90 = [0.5, 2] }}
[[claims]]
id = "c"
value = 150
source = "s"
[[claims]]
id = "d"
value = 400
relation = "ge"
metric = "casualties"
scope = ["a"]
[inference]
condition_on = ["c"]
"""


def conditional_tail_moments(rate, limit: int, size: int, *, upper: bool = False) -> tuple[float, float]:
    """Mean and second moment of sim's per-draw tail estimate for one force of fixed ``size``.

    Given the size, ``P(K ≤ m) = E[F_f(X)]`` and ``P(K > m) = E[S_f(X)]`` with ``X ~ Beta(m + 1, N − m)``
    and ``F_f``/``S_f`` the rate prior's CDF/survival function (the beta–binomial identity). Both moments are
    integrated by quadrature with a relative tolerance only, as the values can be ~1e-20; the mean is
    returned as a check of the quadrature against the closed form.
    """
    from scipy import integrate

    x = stats.beta(limit + 1, size - limit)
    tail = rate.sf if upper else rate.cdf
    low, high = (float(v) for v in x.ppf([1e-15, 1 - 1e-15]))
    moments = []
    for power in (1, 2):
        value, _ = integrate.quad(
            lambda u, power=power: x.pdf(u) * tail(u) ** power,
            low,
            high,
            epsabs=0.0,
            epsrel=1e-10,
            limit=200,
            points=[float(x.mean())],
        )
        moments.append(value)
    return moments[0], moments[1]


def assert_quantiles(quantity, cdf: np.ndarray, se: Callable[[int], float], z: float, slack: float = 0.0) -> None:
    """The printed median and equal-tailed interval ends of ``quantity`` against an exact CDF.

    sim's q-quantile is the first value v whose estimated CDF reaches q, so F̂(v) ≥ q > F̂(v − 1); each
    estimate lies within ``z`` standard errors ``se(x)`` (of the estimated F(x), computed exactly by
    the caller) of the exact ``cdf[x]`` (give or take ``slack``, a bound on mass the caller's enumeration
    leaves out). Whole values only: no "+1 for the grid".
    """
    for q, value in [
        (0.5, quantity.median.value),
        *[((1 - iv.level) / 2, iv.low) for iv in quantity.eti],
        *[((1 + iv.level) / 2, iv.high) for iv in quantity.eti],
    ]:
        v = int(value)
        assert v == value, value
        below = cdf[v - 1] - z * se(v - 1) - slack if v > 0 else -1.0
        assert cdf[v] + z * se(v) + slack >= q > below, (q, v, cdf[max(v - 1, 0) : v + 1])


def subsample_draws(draws: int, chunk_size: int = 65536) -> int:
    """How many draws the conditional tail estimators run on: the first ⌈n/32⌉ of each chunk's n draws."""
    return sum(math.ceil(min(chunk_size, draws - start) / 32) for start in range(0, draws, chunk_size))


def conditional_tail_se(
    rate, size: int, terms: dict[int, float], draws: int, *, upper: bool = False, chunk_size: int = 65536
) -> float:
    """The exact standard error of sim's conditional estimate of ``Σ a·P(K ≤ x)`` (``P(K > x)`` with ``upper``).

    One force of fixed ``size`` with the rate prior ``rate``. Each point ``x`` has its own random stream, so
    its per-draw estimates are independent of the other points' (the size is fixed): the variance is
    ``Σ a² Var h_x`` over the subsample, ``Var h_x`` from :func:`conditional_tail_moments`.
    """
    variance = 0.0
    for limit, coefficient in terms.items():
        mean, second = conditional_tail_moments(rate, limit, size, upper=upper)
        variance += coefficient**2 * (second - mean * mean)
    return math.sqrt(variance / subsample_draws(draws, chunk_size))


def chain_scenario(*, press_high: int) -> str:
    """Three sources in a chain, intel ← press ← blog (each ratio its parent's times its own lognormal), on a Beta(3, 7)
    fatality rate of 300: claims "between 40 and 70" (intel), "between 60 and ``press_high``" (press) and "between 80
    and 160" (blog), all conditioned on."""
    return f"""
[simulation]
draws = 20_000
seed = 5
[forces.a]
size = 300
fatality_rate = {{ dist = "beta", a = 3, b = 7 }}
[sources.intel]
reporting_ratio = {{ dist = "lognormal", ci90 = [0.6, 1.6] }}
[sources.press]
derives_from = "intel"
reporting_ratio = {{ dist = "lognormal", ci90 = [0.8, 3.0] }}
[sources.blog]
derives_from = "press"
reporting_ratio = {{ dist = "lognormal", ci90 = [0.7, 1.5] }}
[[claims]]
id = "intel_says"
value = [40, 70]
relation = "between"
source = "intel"
[[claims]]
id = "press_says"
value = [60, {press_high}]
relation = "between"
source = "press"
[[claims]]
id = "blog_says"
value = [80, 160]
relation = "between"
source = "blog"
[inference]
condition_on = "all"
"""


TINY = """
[scenario]
name = "tiny"
[simulation]
draws = 2_000
seed = 3
[forces.unit]
size = 1000
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03 }
"""
"""A one-force scenario of 2,000 draws: the smallest run the CLI, storage and interrupt tests write."""


def labelled_unit(draws: int) -> str:
    """A tiny scenario with a name, a title and a labelled force, for the command-line and pipeline tests."""
    return f"""
[scenario]
name = "tiny"
title = "A tiny scenario"
[simulation]
draws = {draws}
seed = 3
[forces.unit]
label = "The unit"
size = 1000
fatality_rate = {{ dist = "beta", mean = 0.1, sd = 0.03, units = "fraction", source = "test" }}
"""


HUNDRED_IN_UNIT = """
[[claims]]
id = "hundred"
label = "About a hundred dead"
value = 100
relation = "ge"
scope = ["unit"]
"""
"""A claim on the unit of :func:`labelled_unit` (and of other scenarios with a force ``unit``)."""
