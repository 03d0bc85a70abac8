"""Prior-family robustness: how much a claim's probability owes to the family chosen for an interval.

An analyst who writes ``fatality_rate = { dist = "beta", ci90 = [0.043, 0.214] }`` has stated a 90%
interval; the beta is a convenience. Other families with the same interval put different mass in
the tails, and a claim far in a tail can change by orders of magnitude between them (with that
interval, ``P(rate ≥ 6,000/14,000)`` is 1.5e-5 under a beta and 2.4e-4 under a logit-normal). This module
re-runs a scenario with every prior given by an interval refitted, exactly, in the other families
that suit its quantity, and reports each claim's probability and percentile across them.

Families
--------
A prior's *class* is set by its support: within [0, 1] (fatality rates, a reporting ratio that
cannot exceed 1), within [0, ∞) (sizes, hazards, ratios), or the real line. Each class has its
families (:data:`CLASS_FAMILIES`); a PERT takes the mode of the prior it replaces. A refit is
skipped, with the reason, when no distribution of the family has the interval, or when it leaves
the class or the quantity's domain (a PERT fitted to a rate's interval reaching above 1).

Variants
--------
The baseline (the scenario as written); one variant per refitted prior and family, every other
prior as written; and one *joint* variant per family style (:data:`STYLES`), in which every
interval prior takes that style's family for its class at once. Every variant runs with the same
seed and draws; each prior draws from its own stream, so variants differ by the families alone
(common random numbers), not by Monte Carlo noise in the other inputs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

import numpy as np
from scipy import optimize, special

from sim.config import Scenario
from sim.defaults import ANALYSIS_DRAWS
from sim.engine import simulate
from sim.inference import ConditioningError
from sim.priors import INTERVAL_FAMILIES, Interval, PriorError, PriorSpec, build_distribution, interval_of
from sim.sensitivity import Provenance, table_csv
from sim.summary import Probability, Summary, json_number, summarize

__all__ = [
    "CLASS_FAMILIES",
    "DEFAULT_DRAWS",
    "SIGMAS",
    "STYLES",
    "ClaimRange",
    "Refit",
    "RobustError",
    "RobustResult",
    "Variant",
    "every_family_bound",
    "every_family_phrase",
    "refits",
    "robustness",
    "upper_bound",
]

DEFAULT_DRAWS = ANALYSIS_DRAWS
"""Draws per variant unless told otherwise (the tails come from the conditional estimator, not from counts)."""
CLASS_FAMILIES: dict[str, tuple[str, ...]] = {
    "unit": ("beta", "logitnormal", "pert"),
    "positive": ("gamma", "lognormal", "pert"),
    "real": ("normal", "pert"),
}
"""The families an interval prior is refitted in, by the class of its support."""
CLASS_SUPPORT = {"unit": (0.0, 1.0), "positive": (0.0, math.inf), "real": (-math.inf, math.inf)}
STYLES: dict[str, dict[str, str]] = {
    "beta / gamma / normal": {"unit": "beta", "positive": "gamma", "real": "normal"},
    "logit-normal / lognormal / normal": {"unit": "logitnormal", "positive": "lognormal", "real": "normal"},
    "PERT": {"unit": "pert", "positive": "pert", "real": "pert"},
}
"""Joint variants: every interval prior in the family of the style for its class (lighter tails,
heavier tails on the log/logit scale, bounded support)."""
SIGMAS = 3.0
"""A probability's upper bound is its estimate plus this many Monte Carlo standard errors (one-sided 99.9%)."""
LARGEST_BOUND = 1e-2
""":func:`every_family_bound` states tails at or below this; above it a range says more than a bound."""
STATISTICS = ("probability", "percentile")


class RobustError(ValueError):
    """The scenario has no prior given by an interval, so there is nothing to refit."""


@dataclass(frozen=True)
class Refit:
    """One interval prior refitted in one family: the new prior, or why there is none."""

    path: str
    family: str
    interval: Interval
    spec: PriorSpec | None
    reason: str | None = None

    @property
    def params(self) -> dict[str, Any]:
        """The refitted prior's parameters (its interval, and a PERT's mode)."""
        return dict(self.spec.params) if self.spec is not None else {}


@dataclass(frozen=True)
class Variant:
    """One run: its kind, the priors changed from the scenario as written (``(path, family)``) and its summary.

    ``kind`` is ``baseline`` (the scenario as written), ``single`` (one prior refitted) or
    ``joint`` (every interval prior in the families of one of :data:`STYLES`).
    """

    name: str
    kind: str
    changes: tuple[tuple[str, str], ...]
    summary: Summary
    warning: str | None = None


@dataclass(frozen=True)
class ClaimRange:
    """A claim's statistic (``probability`` or ``percentile``) on one side, in every variant.

    ``values`` is aligned with :attr:`RobustResult.variants`; an entry is None where the variant
    has no such side (its claims could not be conditioned on).
    """

    claim: str
    label: str
    side: str
    statistic: str
    values: tuple[Probability | None, ...]
    variants: tuple[str, ...]
    above: tuple[Probability | None, ...] = ()
    """For a percentile, ``P(T ≥ v)`` in each variant (how far into the top tail the claim sits)."""

    def _present(self) -> list[tuple[str, Probability]]:
        return [(n, v) for n, v in zip(self.variants, self.values, strict=True) if v is not None]

    @property
    def low(self) -> Probability:
        """The smallest value across variants (of equal values, the one with the smallest upper limit)."""
        return self._present()[self._order()[0]][1]

    @property
    def high(self) -> Probability:
        """The largest value across variants (of equal values, the one with the largest upper limit)."""
        return self._present()[self._order()[-1]][1]

    @property
    def lowest(self) -> str:
        """The variant giving the smallest value."""
        return self._present()[self._order()[0]][0]

    @property
    def highest(self) -> str:
        """The variant giving the largest value."""
        return self._present()[self._order()[-1]][0]

    def _order(self) -> list[int]:
        present = self._present()
        if self.statistic != "probability":
            return sorted(range(len(present)), key=lambda i: present[i][1].value)
        return sorted(range(len(present)), key=lambda i: (present[i][1].value, _sort_bound(present[i][1])))

    @property
    def baseline(self) -> Probability | None:
        """The value in the scenario as written."""
        return self.values[0]


@dataclass(frozen=True)
class RobustResult:
    """Every refit, every variant's summary, and each claim's range across them."""

    provenance: Provenance
    draws: int
    refits: tuple[Refit, ...]
    variants: tuple[Variant, ...]
    ranges: tuple[ClaimRange, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        """Variants whose claims could not be conditioned on (their posterior is missing from the ranges)."""
        return tuple(v.warning for v in self.variants if v.warning)

    def range(self, claim: str, side: str = "prior", statistic: str = "probability") -> ClaimRange:
        """The range of one claim's statistic on one side."""
        return next(r for r in self.ranges if (r.claim, r.side, r.statistic) == (claim, side, statistic))

    def rows(self) -> list[dict[str, Any]]:
        """Long format: one row per claim, side, statistic and variant."""
        rows = []
        for r in self.ranges:
            for variant, value in zip(self.variants, r.values, strict=True):
                rows.append(
                    {
                        "claim": r.claim,
                        "side": r.side,
                        "statistic": r.statistic,
                        "variant": variant.name,
                        "kind": variant.kind,
                        "changes": "; ".join(f"{path}={family}" for path, family in variant.changes),
                        "value": None if value is None else json_number(value.value),
                        "mcse": None if value is None else json_number(value.mcse),
                        "method": None if value is None else value.method,
                    }
                )
        return rows

    def to_csv(self) -> str:
        return table_csv(self.rows())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: provenance, refits, variants and each claim's range and bound."""
        return {
            "provenance": {f.name: getattr(self.provenance, f.name) for f in fields(self.provenance)},
            "draws_per_variant": self.draws,
            "sigmas": SIGMAS,
            "refits": [
                {
                    "path": r.path,
                    "family": r.family,
                    "interval": [r.interval.low, r.interval.high],
                    "level": r.interval.level,
                    "params": r.params or None,
                    "skipped": r.reason,
                }
                for r in self.refits
            ],
            "variants": [
                {"name": v.name, "kind": v.kind, "changes": [list(c) for c in v.changes], "warning": v.warning}
                for v in self.variants
            ],
            "claims": [
                {
                    "claim": r.claim,
                    "label": r.label,
                    "side": r.side,
                    "statistic": r.statistic,
                    "baseline": _probability(r.baseline),
                    "low": _probability(r.low),
                    "high": _probability(r.high),
                    "lowest": r.lowest,
                    "highest": r.highest,
                    "bound_under_every_family": every_family_bound(r) if r.statistic == "probability" else None,
                    "values": [_probability(v) for v in r.values],
                }
                for r in self.ranges
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def files(self) -> dict[str, bytes]:
        return {"robust.json": self.to_json().encode(), "robust.csv": self.to_csv().encode()}


def _sort_bound(p: Probability) -> float:
    bound = upper_bound(p)
    return bound if math.isfinite(bound) else math.inf


def _probability(p: Probability | None) -> dict[str, Any] | None:
    return None if p is None else p.to_dict()


# ---------------------------------------------------------------------------------------------
# Refitting one prior
# ---------------------------------------------------------------------------------------------


def _support_class(spec: PriorSpec) -> str:
    low, high = (float(x) for x in spec.distribution.support())
    if low >= 0 and high <= 1:
        return "unit"
    return "positive" if low >= 0 else "real"


def _mode(distribution: Any, kind: str) -> float:
    """The density's maximum, found by Brent's method on the logit (unit), log (positive) or plain scale.

    An unbounded density at the edge of the support (a beta with a shape below 1) gives a mode
    at (numerically next to) that edge.
    """
    to_x: Callable[[float], float] = {"unit": special.expit, "positive": math.exp, "real": float}[kind]
    to_u: Callable[[float], float] = {"unit": special.logit, "positive": math.log, "real": float}[kind]
    with np.errstate(all="ignore"):
        low, high = (to_u(float(x)) for x in distribution.ppf([1e-9, 1 - 1e-9]))

        def negative_log_density(u: float) -> float:
            value = float(distribution.logpdf(to_x(u)))
            return -value if math.isfinite(value) else math.inf

        result = optimize.minimize_scalar(
            negative_log_density, bounds=(low, high), method="bounded", options={"xatol": 1e-10 * (high - low)}
        )
    return float(to_x(result.x))


def _refit(spec: PriorSpec, interval: Interval, family: str, kind: str) -> Refit:
    params = interval.params()
    if family == "pert":
        params["mode"] = float(f"{_mode(spec.distribution, kind):.10g}")
    try:
        distribution = build_distribution(family, params)
    except PriorError as error:
        return Refit(spec.path, family, interval, None, str(error))
    low, high = (float(x) for x in distribution.support())
    allowed_low, allowed_high = CLASS_SUPPORT[kind]
    if not allowed_low <= low <= high <= allowed_high:
        where = f"[{allowed_low:g}, {allowed_high:g}]"
        reason = f"{family} with this interval has support [{low:.6g}, {high:.6g}], outside {where}"
        return Refit(spec.path, family, interval, None, reason)
    problem = spec.domain.problem(family, distribution) if spec.domain is not None else None
    if problem:
        return Refit(spec.path, family, interval, None, problem)
    return Refit(spec.path, family, interval, replace(spec, family=family, params=params, distribution=distribution))


def refits(scenario: Scenario) -> tuple[Refit, ...]:
    """Every prior of ``scenario`` given by an interval, refitted in each other family of its class.

    Returns
    -------
    tuple of Refit
        In the scenario's prior order, then family order; a refit that cannot be made carries
        its reason and no prior.
    """
    out: list[Refit] = []
    for spec in scenario.priors():
        interval = interval_of(spec.params) if spec.family in INTERVAL_FAMILIES else None
        if interval is None:
            continue
        kind = _support_class(spec)
        out.extend(_refit(spec, interval, family, kind) for family in CLASS_FAMILIES[kind] if family != spec.family)
    return tuple(out)


def _with_priors(node: Any, specs: Mapping[str, PriorSpec]) -> Any:
    """``node`` (a Scenario, Force, Source, or a tuple of them) with every PriorSpec at a path in ``specs`` replaced."""
    if isinstance(node, PriorSpec):
        return specs.get(node.path, node)
    if isinstance(node, tuple):
        items = tuple(_with_priors(item, specs) for item in node)
        return node if all(new is old for new, old in zip(items, node, strict=True)) else items
    if is_dataclass(node) and not isinstance(node, type):
        changed = {}
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, PriorSpec | tuple) or (is_dataclass(value) and not isinstance(value, type)):
                new = _with_priors(value, specs)
                if new is not value:
                    changed[f.name] = new
        return replace(node, **changed) if changed else node
    return node


def _variants(scenario: Scenario, fits: tuple[Refit, ...]) -> list[tuple[str, str, dict[str, PriorSpec]]]:
    """``(name, kind, new priors by path)`` of every variant: the baseline, each refit, each joint style."""
    made = [fit for fit in fits if fit.spec is not None]
    plans: list[tuple[str, str, dict[str, PriorSpec]]] = [("baseline", "baseline", {})]
    plans += [(f"{fit.path} as {fit.family}", "single", {fit.path: fit.spec}) for fit in made]  # type: ignore[dict-item]
    classes = {spec.path: _support_class(spec) for spec in scenario.priors()}
    for style, families in STYLES.items():
        specs = {fit.path: fit.spec for fit in made if fit.family == families[classes[fit.path]]}
        if len(specs) > 1:  # with one prior refitted, the joint variant is that prior's single variant
            plans.append((f"every interval prior {style}", "joint", specs))  # type: ignore[arg-type]
    return plans


# ---------------------------------------------------------------------------------------------
# Running the variants
# ---------------------------------------------------------------------------------------------


def robustness(
    scenario: Scenario,
    *,
    draws: int | None = DEFAULT_DRAWS,
    seed: int | None = None,
    condition_on: tuple[str, ...] | None = None,
    workers: int | None = None,
    joint_only: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> RobustResult:
    """Run ``scenario`` with every interval prior refitted in the other families of its class.

    Parameters
    ----------
    scenario : Scenario
        The scenario as loaded.
    draws, seed : int, optional
        Draws and seed of every variant (``None``: the scenario's own).
    condition_on : tuple of str, optional
        Claims to condition on (default: the scenario's ``[inference]``).
    workers : int, optional
        Worker processes of each run (results do not depend on it).
    joint_only : bool
        Run the baseline and the joint variants only (every interval prior in one style at once),
        not one variant per refitted prior: a handful of runs instead of dozens.
    progress : callable, optional
        ``progress("variants", done, total)``.

    Returns
    -------
    RobustResult

    Raises
    ------
    RobustError
        No prior of the scenario is given by an interval.
    ConditioningError
        The scenario as written cannot be conditioned on its claims.
    """
    fits = refits(scenario)
    if not fits:
        raise RobustError(
            f"{scenario.file}: no prior is given by an interval (ci90, or ci with level), so no family can be refitted"
        )
    plans = [plan for plan in _variants(scenario, fits) if not (joint_only and plan[1] == "single")]
    report = progress or (lambda _what, _done, _total: None)
    variants: list[Variant] = []
    for index, (name, kind, specs) in enumerate(plans):
        variant_scenario = _with_priors(scenario, specs)
        warning = None
        try:
            result = simulate(variant_scenario, draws=draws, seed=seed, condition_on=condition_on, workers=workers)
        except ConditioningError as error:
            if not specs:
                raise
            warning = f"{name}: the claims cannot be conditioned on ({error}); its posterior is left out"
            result = simulate(variant_scenario, draws=draws, seed=seed, condition_on=(), workers=workers)
        changes = tuple((path, spec.family) for path, spec in specs.items())
        variants.append(Variant(name, kind, changes, replace(summarize(result), distributions={}), warning))
        report("variants", index + 1, len(plans))
    baseline = variants[0].summary
    detail = f"{baseline.draws:,} draws per variant, {len(variants)} variants"
    provenance = Provenance.of(scenario, seed=baseline.seed, detail=detail, condition_on=baseline.condition_on)
    return RobustResult(provenance, baseline.draws, fits, tuple(variants), _ranges(variants))


def _ranges(variants: list[Variant]) -> tuple[ClaimRange, ...]:
    names = tuple(v.name for v in variants)
    baseline = variants[0].summary
    out = []
    for side_name, side in baseline.sides():
        for claim in side.claims:
            matches = []
            for variant in variants:
                sides = dict(variant.summary.sides())
                claims = sides[side_name].claims if side_name in sides else ()
                matches.append(next((c for c in claims if c.id == claim.id), None))
            for statistic in STATISTICS:
                values = tuple(None if c is None else getattr(c, statistic) for c in matches)
                above = tuple(None if c is None else c.above for c in matches) if statistic == "percentile" else ()
                out.append(ClaimRange(claim.id, claim.label, side_name, statistic, values, names, above))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# What can be said under every family
# ---------------------------------------------------------------------------------------------


def upper_bound(p: Probability) -> float:
    """A probability's upper limit: its estimate plus :data:`SIGMAS` standard errors, or its rule-of-three bound.

    Returns NaN when the error is unknown (a bound cannot then be stated).
    """
    if p.method == "bound":
        return p.mcse if p.value < 0.5 else 1.0
    if p.method == "exact":
        return p.value
    return p.value + SIGMAS * p.mcse if math.isfinite(p.mcse) else math.nan


def every_family_bound(claim_range: ClaimRange, *, largest: float = LARGEST_BOUND) -> float | None:
    """The smallest power of ten above a claim's probability under every variant, if at most ``largest``.

    Each variant's probability counts at its :func:`upper_bound` (estimate + 3 MCSE), so the
    statement holds with Monte Carlo error allowed for. None when some variant's probability
    is too large (or its error unknown), or when a variant lacks the side.

    Examples
    --------
    Probabilities 1.5e-5 ± 1e-7 (beta), 2.4e-4 ± 3e-6 (logit-normal) give 1e-3.
    """
    if claim_range.statistic != "probability" or any(v is None for v in claim_range.values):
        return None
    bounds = [upper_bound(v) for v in claim_range.values if v is not None]
    if not bounds or any(not math.isfinite(b) for b in bounds):
        return None
    highest = max(bounds)
    if highest <= 0:
        return 0.0
    exponent = math.ceil(math.log10(highest))
    if 10.0**exponent <= highest:
        exponent += 1
    bound = 10.0**exponent
    return bound if bound <= largest else None


def every_family_phrase(claim_range: ClaimRange) -> str | None:
    """Prose for a report: ``below 1e-3 under every family fitted to the same intervals``, or None.

    Quote this instead of one family's two significant figures wherever it applies.
    """
    bound = every_family_bound(claim_range)
    if bound is None:
        return None
    variants = len(claim_range.values)
    if bound == 0:
        return f"impossible under every family fitted to the same intervals ({variants} variants)"
    return f"below 1e{round(math.log10(bound))} under every family fitted to the same intervals ({variants} variants)"
