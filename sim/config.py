"""Load a scenario TOML file into frozen dataclasses.

Raw TOML dictionaries never leave this module. Every problem found is reported with the
file and the key path (``forces.combat.fatality_rate.sd: must be > 0``), and all problems
of a file are collected before :class:`ConfigError` is raised, so ``sim check`` can list
them at once.

Why one module: it is the loader, the one place where raw TOML becomes the typed, validated scenario (raw
dictionaries never leave it). Every section's reader shares the :class:`_Reader` that collects problems by key
path, and the checks across sections (claims against forces, groups, sources and dates; casualties against
forces) need them all. The cut, when it comes, is along the sections: forces, phases and priors; sources and
claims.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import stat
import sys
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sim.limits import (
    MAX_CHUNK_SIZE,
    MAX_CLAIMS,
    MAX_DRAWS,
    MAX_FILE_BYTES,
    MAX_FORCES,
    MAX_LEVELS,
    MAX_SEED,
    MAX_SOURCES,
)
from sim.priors import PriorError, PriorSpec, build_distribution, is_degenerate
from sim.suggest import did_you_mean, unknown_name

__all__ = [
    "METRICS",
    "METRIC_NOUNS",
    "RELATIONS",
    "Claim",
    "ConfigError",
    "Domain",
    "Force",
    "Group",
    "Phase",
    "Problem",
    "Scenario",
    "Simulation",
    "Source",
    "join_key",
    "load_scenario",
    "parse_scenario",
    "resolve_condition",
    "scenario_from_dict",
]

RELATIONS = ("eq", "ge", "le", "between")
METRICS = ("killed", "casualties", "wounded", "died_of_wounds", "deaths")
"""What a claim counts: killed in action; killed + wounded (+ missing); wounded; died of wounds; all deaths."""
METRIC_NOUNS = {
    "killed": "killed in action",
    "casualties": "casualties (killed + wounded)",
    "wounded": "wounded",
    "died_of_wounds": "died of wounds",
    "deaths": "deaths (all causes)",
}
"""Each metric in words, for tables, figures and reports."""
PRIOR_METADATA = ("units", "source", "url", "note")
MAX_CLAIM = 10**12
"""Largest claim value or rounding: no toll of people comes near it, and beyond 2**63 counts overflow."""
DEFAULT_DRAWS = 1_000_000
DEFAULT_SEED = 20251212
DEFAULT_LEVELS = (0.5, 0.8, 0.95)
DEFAULT_CHUNK_SIZE = 2**16
MAX_NAME = 64
"""Longest scenario name or id: a name becomes a folder name (at most 255 bytes on most file systems)."""
MAX_TEXT = 20_000
"""Longest string (title, label, note...) in a scenario: a page of text, far above any real one."""
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario: the key path and what is wrong there."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(ValueError):
    """A scenario file could not be loaded; ``problems`` lists every problem found."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        lines = [f"{file}: {problem}" for problem in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Simulation:
    """How many draws, which seed, which credible levels, how many draws per chunk."""

    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    levels: tuple[float, ...] = DEFAULT_LEVELS
    chunk_size: int = DEFAULT_CHUNK_SIZE


@dataclass(frozen=True)
class Phase:
    """A dated period of a force's deployment: who was there and how exposed they were.

    ``present`` is the number at risk during the phase; ``arrivals`` how many of them are new
    (replacements, rotations; ``None``: as many as the strength needs beyond the survivors of
    the phase before); ``departures`` how many of those who stayed on from the phase before
    leave at its start (rotated out; ``None``: only those the strength does not need). Exposure
    is a fatality rate over the phase, or a daily hazard over its ``days`` (``end − start``).
    """

    label: str
    start: date
    end: date
    present: PriorSpec
    arrivals: PriorSpec | None = None
    fatality_rate: PriorSpec | None = None
    daily_hazard: PriorSpec | None = None
    departures: PriorSpec | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def priors(self) -> tuple[PriorSpec, ...]:
        fields = (self.present, self.arrivals, self.departures, self.fatality_rate, self.daily_hazard)
        return tuple(p for p in fields if p is not None)


@dataclass(frozen=True)
class Force:
    """A deployed force: its size and either a fatality rate or a daily hazard over days, or dated phases."""

    id: str
    label: str
    size: PriorSpec | None
    fatality_rate: PriorSpec | None = None
    daily_hazard: PriorSpec | None = None
    days: PriorSpec | None = None
    wounded_per_killed: PriorSpec | None = None
    missing: PriorSpec | None = None
    died_of_wounds: PriorSpec | None = None
    non_battle_hazard: PriorSpec | None = None
    phases: tuple[Phase, ...] = ()

    def priors(self) -> tuple[PriorSpec, ...]:
        fields = (self.size, self.fatality_rate, self.daily_hazard, self.days)
        phased = tuple(p for phase in self.phases for p in phase.priors())
        later = (self.wounded_per_killed, self.missing, self.died_of_wounds, self.non_battle_hazard)
        return tuple(p for p in (*fields, *phased, *later) if p is not None)

    @property
    def start(self) -> date | None:
        """The first phase's start (None without phases)."""
        return self.phases[0].start if self.phases else None

    @property
    def end(self) -> date | None:
        """The last phase's end (None without phases)."""
        return self.phases[-1].end if self.phases else None


@dataclass(frozen=True)
class Source:
    """Who makes claims, with a prior on their reporting ratio ρ = reported / true."""

    id: str
    label: str
    reporting_ratio: PriorSpec
    url: str | None = None
    note: str | None = None
    claim_correlation: float = 1.0
    """How far the source's claims share one draw of ρ: 1 (the default) one ratio for all its claims;
    0 an independent ratio per claim; between, a Gaussian copula with that correlation of the
    claims' normal scores, each claim's ratio keeping the source's prior as its marginal."""
    derives_from: str | None = None
    """The source whose report this one passes on through its own distortion: ``ρ = ρ_parent · ρ_own``,
    with ``reporting_ratio`` the prior of ``ρ_own``, and ``ρ_parent`` shared with the parent's claims (the
    parent may derive from another in turn: ``ρ_C = ρ_A · ρ_B,own · ρ_C,own`` along a chain A <- B <- C)."""


@dataclass(frozen=True)
class Claim:
    """A published figure and what it says about the true (or reported) value.

    ``low``/``high`` is the integer interval the claim asserts (``high`` is None for
    "at least"): ``eq`` with ``rounding`` r covers ``[ceil(v - r/2), ceil(v + r/2) - 1]``.
    """

    id: str
    label: str
    value: float
    relation: str
    metric: str
    scope: tuple[str, ...]
    low: int
    high: int | None
    source: str | None = None
    rounding: float = 1.0
    upper_value: float | None = None
    date: str | None = None
    url: str | None = None
    note: str | None = None
    as_of: date | None = None
    """The date whose cumulative toll the claim counts, where its scope has phases and it is dated
    before their end (None: the whole toll)."""
    said: str | None = None
    """The source's words (``"more than 6,000 casualties"``); ``low``/``high`` is how they are read."""
    supersedes: tuple[str, ...] = ()
    """Earlier claims of the same source that this one replaces (a later count, a larger display that
    includes the earlier one): conditioning on this claim drops them."""
    denominator: str | None = None
    """For a ratio claim (``ratio = {numerator, denominator}``), the denominator's metric; ``metric`` is the
    numerator's. The claim is about ``numerator / denominator`` over its scope (at its date)."""
    ratio_low: float = 0.0
    """A ratio claim's reading: the ratios ``ratio_low ≤ numerator / denominator ≤ ratio_high`` it covers."""
    ratio_high: float | None = None
    """The reading's upper end (None: no upper end)."""
    interval: float | None = None
    """For a ``between`` claim, the level of the source's own central interval ``value`` (``0.95``): the source's
    estimate read as a noisy measurement whose spread matches the interval (:mod:`sim.intervals`)."""

    @property
    def is_ratio(self) -> bool:
        """Whether the claim is about a ratio of two metrics (``ratio = {numerator, denominator}``)."""
        return self.denominator is not None

    @property
    def figure(self) -> float:
        """The claim's single figure: its value, the midpoint of a ``between`` range, or the geometric centre
        ``√(ab)`` of a source's interval (its central estimate, see :mod:`sim.intervals`)."""
        if self.upper_value is None:
            return self.value
        if self.interval is not None:
            return math.sqrt(self.value * self.upper_value)
        return (self.value + self.upper_value) / 2


@dataclass(frozen=True)
class Group:
    """A named group of forces (``[groups] all_combat = ["a", "b"]``): a claim's scope may name it, and
    outcomes over exactly these forces (two or more) are shown by its name (``killed[all_combat]``) and label."""

    id: str
    label: str
    forces: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    """A whole scenario as loaded and validated."""

    name: str
    title: str
    description: str
    simulation: Simulation
    forces: tuple[Force, ...]
    wounded_per_killed: PriorSpec | None
    sources: tuple[Source, ...]
    claims: tuple[Claim, ...]
    condition_on: tuple[str, ...]
    died_of_wounds: PriorSpec | None = None
    groups: tuple[Group, ...] = ()
    file: str = "<string>"
    sha256: str = ""
    text: str = field(default="", repr=False)

    @property
    def has_casualties(self) -> bool:
        return all(self.force_wounded(force) is not None for force in self.forces)

    @property
    def has_later_deaths(self) -> bool:
        """Whether any force has deaths besides those killed in action (died of wounds, non-battle)."""
        return any(
            self.force_died_of_wounds(force) is not None or force.non_battle_hazard is not None for force in self.forces
        )

    def force_wounded(self, force: Force) -> PriorSpec | None:
        return force.wounded_per_killed or self.wounded_per_killed

    def force_died_of_wounds(self, force: Force) -> PriorSpec | None:
        """The force's died-of-wounds fraction (its own, else the scenario's), where it has wounded."""
        if self.force_wounded(force) is None:
            return None
        return force.died_of_wounds or self.died_of_wounds

    def active_conditions(self, condition: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
        """The claims of ``condition`` to condition on, and each dropped claim with the one superseding it.

        A claim is dropped when a conditioned claim supersedes it, directly or through others.
        """
        by_id = {c.id: c for c in self.claims}
        dropped: dict[str, str] = {}
        for claim_id in condition:
            stack = list(by_id[claim_id].supersedes)
            while stack:
                earlier = stack.pop()
                if earlier in condition and earlier not in dropped:
                    dropped[earlier] = claim_id
                stack.extend(by_id[earlier].supersedes)
        return tuple(c for c in condition if c not in dropped), dropped

    def source(self, source_id: str) -> Source:
        return next(source for source in self.sources if source.id == source_id)

    def claim(self, claim_id: str) -> Claim:
        return next(claim for claim in self.claims if claim.id == claim_id)

    def lineage(self, source_id: str) -> tuple[str, ...]:
        """The source and those it derives from, in turn: ``(C, B, A)`` for A <- B <- C (A derives from none)."""
        chain = [source_id]
        while (parent := self.source(chain[-1]).derives_from) is not None:
            chain.append(parent)
        return tuple(chain)

    def group_of(self, scope: tuple[str, ...]) -> Group | None:
        """The named group whose forces are exactly ``scope``, if any (a force alone keeps its own name)."""
        if len(scope) < 2:
            return None
        return next((group for group in self.groups if set(group.forces) == set(scope)), None)

    def priors(self) -> tuple[PriorSpec, ...]:
        """Every prior of the scenario, in file order."""
        out: list[PriorSpec] = [p for force in self.forces for p in force.priors()]
        out.extend(p for p in (self.wounded_per_killed, self.died_of_wounds) if p is not None)
        out.extend(source.reporting_ratio for source in self.sources)
        return tuple(out)


class _Reader:
    """Walks the TOML document, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def table(self, data: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.fail(path, f"must be a table, got {_kind(data)}")
            return None
        return data

    def keys(self, data: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                suggestion = did_you_mean(key, allowed)
                self.fail(join_key(path, key), f"unknown key; {suggestion}allowed: {', '.join(allowed)}")

    def string(
        self, data: Mapping[str, Any], path: str, key: str, default: str | None = None, *, required: bool = False
    ) -> str | None:
        if key not in data:
            if required:
                self.fail(join_key(path, key), "is required (a string)")
            return default
        value = data[key]
        if not isinstance(value, str):
            self.fail(join_key(path, key), f"must be a string, got {_kind(value)}")
            return default
        problem = _text_problem(value)
        if problem:
            self.fail(join_key(path, key), problem)
            return default
        return value

    def number(
        self,
        data: Mapping[str, Any],
        path: str,
        key: str,
        *,
        default: float | None = None,
        integer: bool = False,
        check: Callable[[float], str | None] | None = None,
        required: bool = False,
    ) -> float | None:
        if key not in data:
            if required:
                self.fail(join_key(path, key), "is required (a number)")
            return default
        return self.value(data[key], join_key(path, key), integer=integer, check=check, default=default)

    def value(
        self,
        value: Any,
        path: str,
        *,
        integer: bool = False,
        check: Callable[[float], str | None] | None = None,
        default: float | None = None,
    ) -> float | None:
        kind = "a whole number" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            hint = ' (write numbers without quotes; use 14_000, not "14,000")' if isinstance(value, str) else ""
            self.fail(path, f"must be {kind}, got {_kind(value)}{hint}")
            return default
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(path, f"must be finite, got {value}")
            return default
        if not integer and abs(value) > sys.float_info.max:
            self.fail(path, f"is too large for a number ({len(str(abs(value)))} digits)")
            return default
        if integer and value != int(value):
            self.fail(path, f"must be {kind}, got {value:g}")
            return default
        problem = check(value) if check else None
        if problem:
            self.fail(path, problem)
            return default
        return int(value) if integer else float(value)

    def identifier(self, name: str, path: str) -> None:
        if not IDENTIFIER.fullmatch(name):
            self.fail(path, "ids must start with a lowercase letter and use only a-z, 0-9 and _")
        elif len(name) > MAX_NAME:
            self.fail(path, f"ids must be at most {MAX_NAME} characters, got {len(name)}")

    def prior(self, data: Any, path: str, domain: Domain, *, integer: bool = False) -> PriorSpec | None:
        """Read a prior table (or a bare number, a fixed value) and check it against its domain."""
        bare = isinstance(data, int | float) and not isinstance(data, bool)
        if bare:
            data = {"dist": "fixed", "value": data}
        if isinstance(data, str):
            self.fail(
                path,
                f"must be a number or a prior table, got {_kind(data)}; write numbers without quotes "
                '(14_000, not "14,000")',
            )
            return None
        if not isinstance(data, dict):
            self.fail(
                path,
                f'must be a prior table like {{ dist = "beta", mean = 0.2, sd = 0.05 }} or a number, got {_kind(data)}',
            )
            return None
        family = data.get("dist")
        if not isinstance(family, str):
            self.fail(join_key(path, "dist"), "is required: the distribution's family name (a string)")
            return None
        metadata = {key: data[key] for key in PRIOR_METADATA if key in data}
        for key, value in metadata.items():
            if not isinstance(value, str):
                self.fail(join_key(path, key), f"must be a string, got {_kind(value)}")
        params = {k: v for k, v in data.items() if k != "dist" and k not in PRIOR_METADATA}
        try:
            distribution = build_distribution(family, params)
        except PriorError as error:
            self.fail(join_key(path, error.key) if error.key and not bare else path, str(error))
            return None
        problem = domain.problem(family, distribution)
        if problem:
            self.fail(path, problem)
            return None
        if integer and family in ("fixed", "discrete"):
            values = distribution.values
            if np.any(values != np.round(values)):
                self.fail(path, f"must be whole numbers, got {', '.join(f'{v:g}' for v in values)}")
                return None
        return PriorSpec(
            path=path,
            family=family,
            params=params,
            distribution=distribution,
            units=metadata.get("units"),
            source=metadata.get("source"),
            url=metadata.get("url"),
            note=metadata.get("note"),
            domain=domain,
        )


@dataclass(frozen=True)
class Domain:
    """Where a prior must live: its support inside ``[low, high]``, its far upper tail at most ``cap``.

    The tail is the quantile exceeded by one draw in 10^10 (the most draws a run may have): a
    prior reaching beyond ``cap`` (or whose tail is infinite or undefined) would produce
    counts that overflow 64-bit integers or exhaust memory.
    """

    low: float
    high: float
    what: str
    noun: str
    cap: float = math.inf

    def problem(self, family: str, distribution: Any) -> str | None:
        """What is wrong with ``distribution`` here, or None."""
        support_low, support_high = (float(x) for x in distribution.support())
        if not self.low <= support_low <= support_high <= self.high:
            if is_degenerate(distribution):
                outside = [f"{v:g}" for v in distribution.values if not self.low <= v <= self.high]
                return f"{', '.join(outside)} is outside {self.what} [{self.low:g}, {self.high:g}]"
            return (
                f"{family} prior has support [{support_low:g}, {support_high:g}], outside {self.what} "
                f"[{self.low:g}, {self.high:g}]; choose a family or truncation that stays inside"
            )
        with np.errstate(all="ignore"):
            tail = float(distribution.ppf(1 - TAIL_PROBABILITY))
        if not math.isfinite(tail):
            return f"{family} prior has no finite upper tail (its 1 - 1e-10 quantile is {tail}); narrow or truncate it"
        if tail <= self.cap:
            return None
        limit = f"{self.noun} above {self.cap:g} are not supported"
        if is_degenerate(distribution):
            return f"{tail:g} is too large: {limit}"
        return f"{family} prior reaches {tail:.3g} once in 10^10 draws: {limit}; narrow or truncate it"


TAIL_PROBABILITY = 1e-10
MAX_SIZE = 10**9
MAX_WOUNDED_PER_KILLED = 10**3
MAX_REPORTING_RATIO = 10**6
SIZE_DOMAIN = Domain(0.0, math.inf, "a size's domain", "sizes", MAX_SIZE)
RATE_DOMAIN = Domain(0.0, 1.0, "a fatality rate's domain", "fatality rates", 1.0)
FRACTION_DOMAIN = Domain(0.0, 1.0, "a fraction's domain", "fractions", 1.0)
NONNEGATIVE_DOMAIN = Domain(0.0, math.inf, "the non-negative numbers", "values")
WOUNDED_DOMAIN = Domain(0.0, math.inf, "the non-negative numbers", "ratios", MAX_WOUNDED_PER_KILLED)
RATIO_DOMAIN = Domain(0.0, math.inf, "a reporting ratio's domain", "reporting ratios", MAX_REPORTING_RATIO)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} ({value!r})"


def join_key(path: str, key: str | int) -> str:
    """The key path of ``key`` under ``path``: ``forces.combat``, ``claims[2]``, ``forces`` (at the top)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _read_simulation(reader: _Reader, data: Any) -> Simulation:
    table = reader.table(data, "simulation") if data is not None else {}
    if table is None:
        return Simulation()
    reader.keys(table, "simulation", ("draws", "seed", "levels", "chunk_size"))

    def whole(key: str, default: int, low: int, high: int, written: str) -> float | None:
        """A whole number in ``low..high`` (``written`` as the message spells the range)."""

        def check(value: float) -> str | None:
            return None if low <= value <= high else f"must be in {written}"

        return reader.number(table, "simulation", key, integer=True, default=default, check=check)

    draws = whole("draws", DEFAULT_DRAWS, 1, MAX_DRAWS, f"1..{MAX_DRAWS:.0e}")
    seed = whole("seed", DEFAULT_SEED, 0, MAX_SEED, "0..2**128 - 1")
    chunk_size = whole("chunk_size", DEFAULT_CHUNK_SIZE, 1, MAX_CHUNK_SIZE, f"1..{MAX_CHUNK_SIZE}")
    levels = DEFAULT_LEVELS
    if "levels" in table:
        raw = table["levels"]
        if not isinstance(raw, list) or not raw:
            reader.fail("simulation.levels", "must be a non-empty list of probabilities, e.g. [0.5, 0.8, 0.95]")
        elif len(raw) > MAX_LEVELS:
            reader.fail("simulation.levels", f"at most {MAX_LEVELS} levels, got {len(raw):,}")
        else:
            values = [
                reader.value(v, f"simulation.levels[{i}]", check=lambda v: None if 0 < v < 1 else "must be in (0, 1)")
                for i, v in enumerate(raw)
            ]
            if all(v is not None for v in values):
                levels = tuple(sorted(set(values)))  # type: ignore[arg-type]
    return Simulation(draws=int(draws), seed=int(seed), levels=levels, chunk_size=int(chunk_size))  # type: ignore[arg-type]


FORCE_KEYS = (
    "label",
    "size",
    "fatality_rate",
    "daily_hazard",
    "days",
    "wounded_per_killed",
    "missing",
    "died_of_wounds",
    "non_battle_hazard",
    "phases",
)


def _read_force(reader: _Reader, force_id: str, path: str, table: Mapping[str, Any]) -> Force | None:
    label = reader.string(table, path, "label", force_id)
    size = rate = hazard = days = None
    phases: tuple[Phase, ...] | None = ()
    has_rate, has_hazard = "fatality_rate" in table, "daily_hazard" in table or "days" in table
    if "phases" in table:
        for key in ("size", "fatality_rate", "daily_hazard", "days"):
            if key in table:
                reader.fail(
                    f"{path}.{key}",
                    "a force with phases gives its strength and exposure per phase "
                    "(phases[i].present, phases[i].fatality_rate or phases[i].daily_hazard), not here",
                )
        phases = _read_phases(reader, path, table["phases"])
    elif "size" not in table:
        reader.fail(f"{path}.size", "is required: a prior over the number of personnel")
    else:
        size = reader.prior(table["size"], f"{path}.size", SIZE_DOMAIN, integer=True)
    if "phases" in table:
        pass  # strength and exposure are per phase
    elif has_rate and has_hazard:
        reader.fail(path, "give either fatality_rate or daily_hazard with days, not both")
    elif has_rate:
        rate = reader.prior(table["fatality_rate"], f"{path}.fatality_rate", RATE_DOMAIN)
    elif has_hazard:
        for key in ("daily_hazard", "days"):
            if key not in table:
                reader.fail(f"{path}.{key}", "is required with daily_hazard/days (f = 1 − exp(−hazard·days))")
        if "daily_hazard" in table:
            hazard = reader.prior(table["daily_hazard"], f"{path}.daily_hazard", NONNEGATIVE_DOMAIN)
        if "days" in table:
            days = reader.prior(table["days"], f"{path}.days", NONNEGATIVE_DOMAIN)
    else:
        reader.fail(f"{path}.fatality_rate", "is required (or daily_hazard with days)")
    wounded = missing = None
    if "wounded_per_killed" in table:
        wounded = reader.prior(table["wounded_per_killed"], f"{path}.wounded_per_killed", WOUNDED_DOMAIN)
    if "missing" in table:
        missing = reader.prior(table["missing"], f"{path}.missing", SIZE_DOMAIN, integer=True)
    died = non_battle = None
    if "died_of_wounds" in table:
        died = reader.prior(table["died_of_wounds"], f"{path}.died_of_wounds", FRACTION_DOMAIN)
    if "non_battle_hazard" in table:
        if "days" not in table and "phases" not in table:
            reader.fail(
                f"{path}.non_battle_hazard",
                "needs the force's days of exposure: give daily_hazard with days, or phases "
                "(B ~ Binomial(·, 1 − exp(−b·days)))",
            )
        else:
            non_battle = reader.prior(table["non_battle_hazard"], f"{path}.non_battle_hazard", NONNEGATIVE_DOMAIN)
    if phases is None or (not phases and (size is None or (rate is None and (hazard is None or days is None)))):
        return None
    return Force(
        id=force_id,
        label=label or force_id,
        size=size,
        fatality_rate=rate,
        daily_hazard=hazard,
        days=days,
        wounded_per_killed=wounded,
        missing=missing,
        died_of_wounds=died,
        non_battle_hazard=non_battle,
        phases=phases,
    )


PHASE_KEYS = ("label", "start", "end", "present", "arrivals", "departures", "fatality_rate", "daily_hazard")


def _date(reader: _Reader, value: Any, path: str) -> date | None:
    """A calendar date: a TOML date (2025-01-15) or an ISO string ("2025-01-15")."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    reader.fail(path, f"must be a date YYYY-MM-DD, got {_kind(value)}")
    return None


def _read_phases(reader: _Reader, path: str, raw: Any) -> tuple[Phase, ...] | None:
    """The dated phases of a force, in order, checked for reversed or overlapping dates and arrivals."""
    if not isinstance(raw, list) or not raw or not all(isinstance(item, dict) for item in raw):
        reader.fail(f"{path}.phases", f"must be a non-empty array of tables: [[{path}.phases]]")
        return None
    phases: list[Phase] = []
    ok = True
    before: PriorSpec | None = None  # the phase before's present, where valid
    for index, table in enumerate(raw):
        where = f"{path}.phases[{index}]"
        reader.keys(table, where, PHASE_KEYS)
        label = reader.string(table, where, "label", f"phase {index + 1}")
        start = end = present = arrivals = departures = rate = hazard = None
        for key in ("start", "end", "present"):
            if key not in table:
                reader.fail(f"{where}.{key}", "is required" + (": the number at risk" if key == "present" else ""))
        if "start" in table:
            start = _date(reader, table["start"], f"{where}.start")
        if "end" in table:
            end = _date(reader, table["end"], f"{where}.end")
        if start is not None and end is not None and end <= start:
            reader.fail(f"{where}.end", f"must be after start ({start}), got {end}")
            end = None
        if start is not None and phases and start < phases[-1].end:
            reader.fail(
                f"{where}.start",
                f"{start} overlaps phases[{index - 1}], which ends {phases[-1].end}: "
                "phases must be in date order and must not overlap",
            )
            start = None
        if "present" in table:
            present = reader.prior(table["present"], f"{where}.present", SIZE_DOMAIN, integer=True)
        if "arrivals" in table:
            if index == 0:
                reader.fail(f"{where}.arrivals", "the first phase's arrivals are everyone present: leave it out")
            else:
                arrivals = reader.prior(table["arrivals"], f"{where}.arrivals", SIZE_DOMAIN, integer=True)
        if arrivals is not None and present is not None and (excess := _excess(arrivals, present)):
            reader.fail(f"{where}.arrivals", f"can exceed present ({excess}): the arrivals are among those present")
            arrivals = None
        if "departures" in table:
            departures = _read_departures(reader, where, table["departures"], index, before)
        before = present
        if ("fatality_rate" in table) == ("daily_hazard" in table):
            reader.fail(where, "give either fatality_rate (over the phase) or daily_hazard (per person per day)")
        elif "fatality_rate" in table:
            rate = reader.prior(table["fatality_rate"], f"{where}.fatality_rate", RATE_DOMAIN)
        else:
            hazard = reader.prior(table["daily_hazard"], f"{where}.daily_hazard", NONNEGATIVE_DOMAIN)
        if (
            None in (start, end, present)
            or (rate is None and hazard is None)
            or ("arrivals" in table) != (arrivals is not None)
            or ("departures" in table) != (departures is not None)
        ):
            ok = False
            continue
        phases.append(
            Phase(
                label=label or f"phase {index + 1}",
                start=start,  # type: ignore[arg-type]
                end=end,  # type: ignore[arg-type]
                present=present,  # type: ignore[arg-type]
                arrivals=arrivals,
                departures=departures,
                fatality_rate=rate,
                daily_hazard=hazard,
            )
        )
    return tuple(phases) if ok else None


def _read_departures(reader: _Reader, where: str, raw: Any, index: int, before: PriorSpec | None) -> PriorSpec | None:
    """A later phase's ``departures``: a count that can never exceed the phase before's ``present``.

    ``before`` is that ``present`` (None when it is invalid: its own error is reported).
    """
    if index == 0:
        reader.fail(f"{where}.departures", "the first phase has no phase before it to leave: leave it out")
        return None
    departures = reader.prior(raw, f"{where}.departures", SIZE_DOMAIN, integer=True)
    if departures is None or before is None:
        return departures
    excess = _excess(departures, before)
    if excess:
        reader.fail(
            f"{where}.departures", f"can exceed the phase before's present ({excess}): more leaving than were there"
        )
        return None
    return departures


def _excess(part: PriorSpec, whole: PriorSpec) -> str | None:
    """``most against least`` where ``part``'s upper tail quantile exceeds ``whole``'s lower one (both at
    :data:`TAIL_PROBABILITY`): a part of a count that could be larger than the count; None where it cannot."""
    most = float(part.distribution.ppf(1 - TAIL_PROBABILITY))
    least = float(whole.distribution.ppf(TAIL_PROBABILITY))
    return f"{most:g} against {least:g}" if most > least else None


SOURCE_KEYS = ("label", "reporting_ratio", "claim_correlation", "derives_from", "url", "note")


def _read_source(reader: _Reader, source_id: str, path: str, table: Mapping[str, Any]) -> Source | None:
    label = reader.string(table, path, "label", source_id)
    correlation = reader.number(
        table,
        path,
        "claim_correlation",
        default=1.0,
        check=lambda v: None if 0 <= v <= 1 else f"must be in [0, 1] (1: one shared ratio, 0: independent), got {v:g}",
    )
    url = reader.string(table, path, "url")
    note = reader.string(table, path, "note")
    if "reporting_ratio" not in table:
        reader.fail(f"{path}.reporting_ratio", "is required: a prior over reported / true (> 0)")
        return None
    ratio = reader.prior(table["reporting_ratio"], f"{path}.reporting_ratio", RATIO_DOMAIN)
    if ratio is None:
        return None
    if is_degenerate(ratio.distribution) and ratio.distribution.values[0] == 0:
        reader.fail(f"{path}.reporting_ratio", "must be > 0 (a source reporting 0 of every toll reports nothing)")
        return None
    return Source(
        id=source_id,
        label=label or source_id,
        reporting_ratio=ratio,
        url=url,
        note=note,
        claim_correlation=1.0 if correlation is None else correlation,
        derives_from=reader.string(table, path, "derives_from"),
    )


CLAIM_KEYS = (
    "id",
    "label",
    "value",
    "relation",
    "metric",
    "scope",
    "source",
    "rounding",
    "said",
    "reading",
    "supersedes",
    "ratio",
    "interval",
    "date",
    "url",
    "note",
)


def _read_scope(
    reader: _Reader,
    path: str,
    table: Mapping[str, Any],
    force_ids: list[str],
    groups: Mapping[str, tuple[str, ...]] | None,
) -> tuple[str, ...]:
    """A claim's scope: force ids and group names (each group standing for its forces), in force order."""
    groups = groups or {}
    if "scope" not in table:
        return tuple(force_ids)
    raw = table["scope"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        reader.fail(f"{path}.scope", "must be a non-empty list of force ids or group names")
        return tuple(force_ids)
    listed: list[str] = []
    for name in raw:
        if name in groups:
            listed.extend(groups[name])
        elif name in force_ids:
            listed.append(name)
        else:
            names = force_ids + list(groups)
            suggestion = did_you_mean(name, names)
            known = f"forces: {', '.join(force_ids)}" + (f"; groups: {', '.join(groups)}" if groups else "")
            reader.fail(f"{path}.scope", f"unknown force or group {name!r}; {suggestion}{known}")
    if len(set(listed)) != len(listed):
        reader.fail(f"{path}.scope", "lists a force twice (directly or through a group)")
    return tuple(f for f in force_ids if f in listed)


def _read_groups(reader: _Reader, data: Any, force_ids: list[str]) -> list[Group]:
    """``[groups]``: each name is a list of force ids, or a table with ``forces`` and an optional ``label``."""
    table = reader.table(data, "groups")
    if table is None:
        return []
    groups: list[Group] = []
    seen: dict[tuple[str, ...], str] = {}
    for group_id, value in table.items():
        path = f"groups.{group_id}"
        reader.identifier(group_id, path)
        if group_id in force_ids:
            reader.fail(path, f"a group cannot have the id of a force ({group_id!r}); rename one of them")
            continue
        label = group_id
        if isinstance(value, dict):
            reader.keys(value, path, ("label", "forces"))
            label = reader.string(value, path, "label", group_id) or group_id
            if "forces" not in value:
                reader.fail(f"{path}.forces", "is required: the list of force ids in the group")
                continue
            value, path = value["forces"], f"{path}.forces"
        if not isinstance(value, list) or not value or not all(isinstance(f, str) for f in value):
            reader.fail(path, 'must be a non-empty list of force ids, e.g. ["combat", "engineers"]')
            continue
        unknown = [f for f in value if f not in force_ids]
        for name in unknown:
            reader.fail(path, unknown_name("force", name, force_ids, "forces"))
        if len(set(value)) != len(value):
            reader.fail(path, "lists a force twice")
        if unknown or len(set(value)) != len(value):
            continue
        forces = tuple(f for f in force_ids if f in value)
        if forces in seen:
            reader.fail(path, f"has the same forces as group {seen[forces]!r}: a scope can have one name")
            continue
        seen[forces] = group_id
        groups.append(Group(id=group_id, label=label, forces=forces))
    return groups


def _read_claim(
    reader: _Reader,
    index: int,
    data: Any,
    force_ids: list[str],
    source_ids: list[str],
    has_casualties: bool,
    groups: Mapping[str, tuple[str, ...]] | None = None,
    spans: Mapping[str, tuple[date, date]] | None = None,
) -> Claim | None:
    path = f"claims[{index}]"
    table = reader.table(data, path)
    if table is None:
        return None
    if isinstance(table.get("date"), date):  # a TOML date literal: kept as its ISO text
        table = {**table, "date": table["date"].isoformat()}
    claim_id = reader.string(table, path, "id", required=True)
    if claim_id is not None:
        reader.identifier(claim_id, f"{path}.id")
        path = f"claims[{index}] ({claim_id})"
    reader.keys(table, path, CLAIM_KEYS)
    relation = reader.string(table, path, "relation", "eq")
    if relation not in RELATIONS:
        reader.fail(f"{path}.relation", unknown_name("relation", relation, RELATIONS))
        relation = None
    ratio = _read_ratio(reader, table, path, has_casualties) if "ratio" in table else None
    if ratio is not None and "metric" in table:
        reader.fail(f"{path}.metric", "give either metric or ratio: a ratio claim's metrics are its ratio's")
    metric = (
        ratio[0] if ratio else _read_metric(reader, table.get("metric", "killed"), f"{path}.metric", has_casualties)
    )
    scope = _read_scope(reader, path, table, force_ids, groups)
    source = reader.string(table, path, "source")
    if source is not None and source not in source_ids:
        suggestion = did_you_mean(source, source_ids)
        known = ", ".join(source_ids) if source_ids else "none defined"
        reader.fail(
            f"{path}.source",
            f"unknown source {source!r}: it has no [sources.{source}] prior; {suggestion}sources: {known}",
        )
    value = upper = None
    if "value" not in table:
        reader.fail(
            f"{path}.value",
            "is required: the claimed figure" + (", a pair [low, high] for between" if relation == "between" else ""),
        )
    elif relation == "between":
        raw = table["value"]
        if not isinstance(raw, list) or len(raw) != 2:
            reader.fail(f"{path}.value", "must be a pair [low, high] for relation 'between'")
        else:
            value = reader.value(raw[0], f"{path}.value[0]", check=_claim_value)
            upper = reader.value(raw[1], f"{path}.value[1]", check=_claim_value)
            if value is not None and upper is not None and upper < value:
                reader.fail(f"{path}.value", f"must be increasing, got [{value:g}, {upper:g}]")
                value = None
            elif upper is None:
                value = None
    else:
        value = reader.number(table, path, "value", check=_claim_value)
    if ratio is not None:
        return _ratio_claim(reader, table, path, claim_id, ratio, relation, value, upper, scope, source, spans or {})
    rounding = reader.number(
        table,
        path,
        "rounding",
        default=1.0,
        check=lambda v: None if 1 <= v <= MAX_CLAIM else f"must be in 1..{MAX_CLAIM:.0e} (the figure's rounding unit)",
    )
    if "rounding" in table and relation not in (None, "eq"):
        reader.fail(f"{path}.rounding", "applies to relation 'eq' only")
    label = reader.string(table, path, "label", claim_id)
    notes = _claim_notes(reader, table, path, scope, spans or {})
    reading = _read_reading(reader, table, path)
    interval = _read_interval(reader, table, path, relation, value, upper) if "interval" in table else None
    if (
        None in (claim_id, relation, metric, value, rounding)
        or notes["as_of"] is False
        or reading is False
        or interval is False
    ):
        return None
    low, high = claim_interval(relation, value, upper, rounding)  # type: ignore[arg-type]
    if high is not None and high < low:
        reader.fail(f"{path}.value", "no whole number satisfies this claim")
        return None
    if reading is not None and "rounding" in table:
        reader.fail(f"{path}.reading", "give either rounding or an explicit reading, not both")
        return None
    if not _reading_chosen(reader, path, relation, value, source, reading):  # type: ignore[arg-type]
        return None
    bounds = _claim_bounds(reader, path, relation, value, (low, high), reading)  # type: ignore[arg-type]
    if bounds is None:
        return None
    low, high = bounds  # type: ignore[assignment]
    head = (claim_id, label, relation, metric, value, upper, scope, source)
    return _build_claim(reader, table, path, head, notes, low=low, high=high, rounding=rounding, interval=interval)


def _read_interval(
    reader: _Reader,
    table: Mapping[str, Any],
    path: str,
    relation: str | None,
    value: float | None,
    upper: float | None,
) -> float | bool:
    """``interval = 0.95``: the level of the source's own interval ``value = [a, b]`` (relation ``between``, a > 0).

    Returns the level, or False after a problem.
    """
    where = f"{path}.interval"
    level = reader.value(
        table["interval"], where, check=lambda v: None if 0 < v < 1 else f"must be in (0, 1), e.g. 0.95; got {v:g}"
    )
    if level is None:
        return False
    if relation != "between":
        reader.fail(where, "applies to relation 'between': value = [low, high] is the source's interval")
        return False
    for key in ("reading", "rounding", "ratio"):
        if key in table:
            reader.fail(where, f"cannot be combined with {key}: the interval is the source's own uncertainty")
            return False
    if value is not None and value <= 0:
        reader.fail(where, f"needs an interval above 0 (its spread is read in logs), got low = {value:g}")
        return False
    if value is not None and upper is not None and upper <= value:
        reader.fail(where, f"needs an interval of some width (low < high), got [{value:g}, {upper:g}]")
        return False
    return level


def _read_metric(reader: _Reader, metric: Any, path: str, has_casualties: bool) -> str | None:
    """A metric name (:data:`METRICS`) the scenario models, or None after a problem."""
    if metric not in METRICS:
        reader.fail(path, unknown_name("metric", metric, METRICS))
        return None
    if metric in ("casualties", "wounded", "died_of_wounds") and not has_casualties:
        reader.fail(
            path, f"a {metric} claim needs a casualty model: add [casualties] wounded_per_killed (or one per force)"
        )
    return metric


def _read_ratio(
    reader: _Reader, table: Mapping[str, Any], path: str, has_casualties: bool
) -> tuple[str, str] | bool | None:
    """``ratio = {numerator = "killed", denominator = "casualties"}``: two different metrics the scenario models.

    Returns the pair, or False after a problem.
    """
    where = f"{path}.ratio"
    raw = reader.table(table["ratio"], where)
    if raw is None:
        return False
    reader.keys(raw, where, ("numerator", "denominator"))
    metrics = []
    for key in ("numerator", "denominator"):
        if key not in raw:
            reader.fail(f"{where}.{key}", f"is required: a metric ({', '.join(METRICS)})")
            return False
        metrics.append(_read_metric(reader, raw[key], f"{where}.{key}", has_casualties))
    numerator, denominator = metrics
    if numerator is None or denominator is None:
        return False
    if numerator == denominator:
        reader.fail(where, f"numerator and denominator are both {numerator!r}: a ratio of two different metrics")
        return False
    return numerator, denominator


def _ratio_claim(
    reader: _Reader,
    table: Mapping[str, Any],
    path: str,
    claim_id: str | None,
    ratio: tuple[str, str] | bool,
    relation: str | None,
    value: float | None,
    upper: float | None,
    scope: tuple[str, ...],
    source: str | None,
    spans: Mapping[str, tuple[date, date]],
) -> Claim | None:
    """A claim about ``numerator / denominator``: its reading is a range of ratios (not whole numbers)."""
    if "rounding" in table:
        reader.fail(f"{path}.rounding", "applies to counts: give a ratio claim the ratios it covers as its reading")
    if "interval" in table:
        reader.fail(f"{path}.interval", "applies to counts: a ratio claim's reading is a range of ratios")
    reading = _read_reading(reader, table, path, integer=False)  # a range of ratios
    if (
        relation is not None
        and value is not None
        and not _reading_chosen(reader, path, relation, value, source, reading)
    ):
        return None
    if reading == OPEN_READING:
        reading = None
    if relation == "eq" and reading is None:
        reader.fail(
            f"{path}.reading",
            "is required for a ratio claim with relation 'eq': the ratios the phrase covers "
            '(e.g. "about a third": reading = [0.29, 0.37], see docs/claims.md)',
        )
        return None
    notes = _claim_notes(reader, table, path, scope, spans)
    if ratio is False or None in (claim_id, relation, value) or notes["as_of"] is False or reading is False:
        return None
    implied: tuple[float, float | None] = {
        "eq": (value, value),
        "ge": (value, None),
        "le": (0.0, value),
        "between": (value, upper),
    }[relation]  # type: ignore[index,assignment]
    bounds = _claim_bounds(reader, path, relation, value, implied, reading)  # type: ignore[arg-type]
    if bounds is None:
        return None
    low, high = bounds
    numerator, denominator = ratio  # type: ignore[misc]
    head = (claim_id, reader.string(table, path, "label", claim_id), relation, numerator, value, upper, scope, source)
    return _build_claim(
        reader,
        table,
        path,
        head,
        notes,
        low=0,
        high=None,
        denominator=denominator,
        ratio_low=float(low),
        ratio_high=None if high is None else float(high),
    )


def _claim_notes(
    reader: _Reader, table: Mapping[str, Any], path: str, scope: tuple[str, ...], spans: Mapping[str, tuple[date, date]]
) -> dict[str, Any]:
    """What count and ratio claims read alike besides their figure: ``date``, ``url``, ``note``, ``said``, and
    ``as_of``, the date whose toll the claim counts (False after a problem)."""
    when, url, note, said = (reader.string(table, path, key) for key in ("date", "url", "note", "said"))
    as_of = _claim_as_of(reader, f"{path}.date", when, [spans[f] for f in scope if f in spans])
    return {"date": when, "url": url, "note": note, "said": said, "as_of": as_of}


def _claim_bounds(
    reader: _Reader,
    path: str,
    relation: str,
    value: float,
    implied: tuple[float, float | None],
    reading: tuple[float, float | None] | None,
) -> tuple[float, float | None] | None:
    """The set a claim covers: its explicit reading, checked against ``implied`` (the set its relation and
    figure imply), or ``implied`` itself without one (or with ``"open"``); None after a problem."""
    if reading in (None, OPEN_READING):
        return implied
    problem = _reading_problem(relation, value, *implied, *reading)  # type: ignore[misc]
    if problem:
        reader.fail(f"{path}.reading", problem)
        return None
    return reading


def _build_claim(
    reader: _Reader,
    table: Mapping[str, Any],
    path: str,
    head: tuple[Any, ...],
    notes: Mapping[str, Any],
    **fields: Any,
) -> Claim:
    """A claim from what both readers share, ``head`` = (id, label, relation, metric, value, upper value, scope,
    source) and :func:`_claim_notes`, and the fields of its kind; its ``supersedes`` read last."""
    claim_id, label, relation, metric, value, upper, scope, source = head
    return Claim(
        id=claim_id,
        label=label or claim_id,
        value=value,
        relation=relation,
        metric=metric,
        scope=scope,
        source=source,
        upper_value=upper,
        supersedes=_read_supersedes(reader, table, path),
        **notes,
        **fields,
    )


def _claim_as_of(reader: _Reader, path: str, when: str | None, spans: list[tuple[date, date]]) -> date | bool | None:
    """The date whose cumulative toll a claim counts: its date where its scope has phases and is still
    deployed then; None for the whole toll; False (a problem reported) for a bad or too early date."""
    if when is None or not spans:
        return None
    day = _date(reader, when, path)
    if day is None:
        return False
    first = min(start for start, _ in spans)
    if day < first:
        reader.fail(path, f"{day} is before every phase of the claim's forces (the first starts {first})")
        return False
    return day if day < max(end for _, end in spans) else None


def _check_derivations(reader: _Reader, sources: list[Source]) -> None:
    """``derives_from`` names another source, no chain of derivations loops, and each source in a chain shares
    one ratio across its claims."""
    by_id = {source.id: source for source in sources}
    for source in sources:
        parent_id = source.derives_from
        if parent_id is None:
            continue
        where = f"sources.{source.id}.derives_from"
        if parent_id == source.id:
            reader.fail(where, "a source cannot derive from itself")
            continue
        if parent_id not in by_id:
            reader.fail(where, unknown_name("source", parent_id, list(by_id), "sources"))
            continue
        path, current = [source.id], parent_id
        while current is not None and current in by_id and current not in path:
            path.append(current)
            current = by_id[current].derives_from
        if current == source.id:
            reader.fail(where, f"derives from itself through a cycle ({' -> '.join([*path, source.id])})")
        for member in (source, by_id[parent_id]):
            if member.claim_correlation != 1:
                reader.fail(
                    f"sources.{member.id}.claim_correlation",
                    "must be 1 for a source in a derivation (derives_from): its claims share one ratio",
                )


def _check_intervals(reader: _Reader, claims: list[Claim], sources: list[Source]) -> None:
    """An interval claim's source shares one ratio across its claims (or none) and is in no derivation."""
    by_id = {source.id: source for source in sources}
    for index, claim in enumerate(claims):
        if claim.interval is None or claim.source not in by_id:
            continue
        source = by_id[claim.source]
        where = f"claims[{index}] ({claim.id}).interval"
        if 0 < source.claim_correlation < 1:
            reader.fail(
                where,
                f"needs its source's claims to share one ratio or none (sources.{source.id}.claim_correlation 1 or "
                "0): a partly shared ratio is not supported with interval claims",
            )
        if source.derives_from is not None or any(s.derives_from == source.id for s in sources):
            reader.fail(where, f"source {source.id!r} is in a derivation (derives_from): not supported with intervals")


def _read_supersedes(reader: _Reader, table: Mapping[str, Any], path: str) -> tuple[str, ...]:
    raw = table.get("supersedes", [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        reader.fail(f"{path}.supersedes", "must be a claim id or a list of claim ids")
        return ()
    return tuple(raw)


def _check_supersedes(reader: _Reader, claims: list[Claim]) -> None:
    """Each superseded claim exists, is not the claim itself, has the same source, and no chain loops."""
    by_id = {c.id: c for c in claims}
    for index, claim in enumerate(claims):
        where = f"claims[{index}] ({claim.id}).supersedes"
        for earlier in claim.supersedes:
            if earlier == claim.id:
                reader.fail(where, "a claim cannot supersede itself")
            elif earlier not in by_id:
                reader.fail(where, unknown_name("claim", earlier, list(by_id), "claims"))
            elif by_id[earlier].source != claim.source:
                reader.fail(
                    where,
                    f"{earlier!r} is from source {by_id[earlier].source!r}, not {claim.source!r}: a claim supersedes "
                    "earlier claims of its own source",
                )
        stack, visited = [c for c in claim.supersedes if c != claim.id], set()
        while stack:  # following the claims it supersedes must never lead back to it
            current = stack.pop()
            if current == claim.id:
                reader.fail(where, "supersedes itself through a loop of claims that supersede each other")
                break
            if current in visited or current not in by_id:
                continue
            visited.add(current)
            stack.extend(by_id[current].supersedes)


OPEN_READING = "open"
"""``reading = "open"``: the relation's own set, chosen (``ge v``: every report from ``v`` up; ``le v``: 0..v)."""


def _read_reading(
    reader: _Reader, table: Mapping[str, Any], path: str, *, integer: bool = True
) -> tuple[float, float | None] | str | bool | None:
    """``reading = [low, high]``: the whole-number reports a phrase covers (``integer``) or the ratios a ratio
    claim covers; ``high = inf`` for no upper end.

    Returns None without a reading, :data:`OPEN_READING` for ``"open"``, False after a problem.
    """
    if "reading" not in table:
        return None
    raw, where = table["reading"], f"{path}.reading"
    if raw == OPEN_READING:
        return OPEN_READING
    if not isinstance(raw, list) or len(raw) != 2:
        kind = "whole numbers" if integer else "ratios"
        reader.fail(where, f'must be a pair [low, high] of {kind} (high may be inf: no upper end), or "open"')
        return False
    low = reader.value(raw[0], f"{where}[0]", integer=integer, check=_claim_value)
    if isinstance(raw[1], float) and raw[1] == math.inf:
        high = None
    else:
        high = reader.value(raw[1], f"{where}[1]", integer=integer, check=_claim_value)
        if high is None:
            return False
    if low is None:
        return False
    if high is not None and high < low:
        empty = " holds no whole number" if integer else ""
        reader.fail(where, f"is empty: [{low:g}, {high:g}]{empty} (write [low, high], low <= high)")
        return False
    if integer:
        return int(low), None if high is None else int(high)
    return low, high


def _reading_chosen(
    reader: _Reader, path: str, relation: str, value: float, source: str | None, reading: object
) -> bool:
    """A sourced ``ge``/``le`` must say how its words are read (a range, or ``"open"``); ``"open"`` fits those only."""
    if reading == OPEN_READING and relation not in ("ge", "le"):
        reader.fail(f"{path}.reading", f'"open" applies to relations ge and le (the relation is {relation!r})')
        return False
    if source is None or relation not in ("ge", "le") or reading is not None:
        return True
    figure = _number_text(value)
    step = 10.0 ** math.floor(math.log10(value)) if value > 0 else 1.0
    whole = float(value).is_integer() and value >= 1
    example = (
        f'e.g. [{figure}, {_number_text(value + step - (1 if whole else 0))}] for "more than {figure}" from a source '
        f'that would have named the next round figure, or "open" for every report from {figure} up'
        if relation == "ge"
        else f'e.g. [{_number_text(value / 2)}, {figure}] if "up to" means near it, or "open" for 0..{figure}'
    )
    reader.fail(
        f"{path}.reading",
        f"'{relation} {figure}' from a source needs a reading: {example} (docs/claims.md, the phrase table)",
    )
    return False


def _reading_problem(
    relation: str, value: float, low: float, high: float | None, reading_low: float, reading_high: float | None
) -> str | None:
    """Why an explicit reading contradicts the claim's relation and figure, or None."""
    shown = f"[{_number_text(reading_low)}, {_number_text(reading_high)}]"
    if relation == "eq":
        inside = reading_low <= value and (reading_high is None or value <= reading_high)
        return None if inside else f"{shown} does not contain the figure {value:,g} the claim states"
    above = reading_low >= low
    below = high is None or (reading_high is not None and reading_high <= high)
    if above and below:
        return None
    allowed = f"[{_number_text(low)}, {_number_text(high)}]"
    return f"{shown} contradicts relation '{relation}' {value:,g}: a reading must lie within {allowed}"


def _number_text(x: float | None) -> str:
    """A reading's end as written: ``6,000``, ``0.29``, or ``inf`` for no end."""
    if x is None:
        return "inf"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _claim_value(value: float) -> str | None:
    if value < 0:
        return f"must be >= 0, got {value:g}"
    if value > MAX_CLAIM:
        said = f"{value:g}" if value <= sys.float_info.max else "a number beyond a float"  # a huge TOML integer
        return f"must be at most {MAX_CLAIM:.0e}, got {said}"
    return None


def claim_interval(relation: str, value: float, upper: float | None, rounding: float) -> tuple[int, int | None]:
    """The whole numbers a claim admits: ``[low, high]``, ``high=None`` meaning unbounded."""
    if relation == "eq":
        return math.ceil(value - rounding / 2), math.ceil(value + rounding / 2) - 1
    if relation == "ge":
        return math.ceil(value), None
    if relation == "le":
        return 0, math.floor(value)
    return math.ceil(value), math.floor(upper)  # type: ignore[arg-type]


TOP_KEYS = ("scenario", "simulation", "forces", "groups", "casualties", "sources", "claims", "inference")


def _text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a scenario string (None if it can): too long, or a control character.

    Line breaks and tabs are allowed (descriptions and notes span lines); other control
    characters cannot be drawn in a figure nor written in an SVG (XML 1.0 forbids them).
    """
    if len(text) > MAX_TEXT:
        return f"must be at most {MAX_TEXT:,} characters, got {len(text):,}"
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t\r"), None)
    if bad is not None:
        return f"must not contain the control character U+{ord(bad):04X} (at position {text.index(bad) + 1})"
    return None


def _toml_hint(text: str, message: str) -> str:
    """A hint for the commonest TOML mistake: a number written with thousands separators (14,000)."""
    line = re.search(r"at line (\d+)", message)
    if line is None:
        return ""
    lines = text.split("\n")
    number = int(line.group(1))
    if number <= len(lines) and re.search(r"=\s*-?\d{1,3}(,\d{3})+", lines[number - 1]):
        return "; write numbers without thousands separators (14_000 or 14000, not 14,000)"
    return ""


def _capped(reader: _Reader, entries: Any, path: str, limit: int) -> Any:
    """``entries`` (a table or list named ``path``), or none of them when there are more than ``limit``."""
    if len(entries) > limit:
        reader.fail(path, f"at most {limit:,} {path}, got {len(entries):,}")
        return type(entries)()
    return entries


_Entry = TypeVar("_Entry")


def _read_each(
    reader: _Reader,
    section: str,
    table: Mapping[str, Any],
    keys: tuple[str, ...],
    read: Callable[[_Reader, str, str, Mapping[str, Any]], _Entry | None],
) -> list[_Entry]:
    """Each ``[<section>.<id>]`` entry: its id checked, a table of ``keys`` only, then ``read(reader, id, path,
    table)``; entries that are no table, or that ``read`` refuses (None), are left out."""
    out = []
    for entry_id, value in table.items():
        path = f"{section}.{entry_id}"
        reader.identifier(entry_id, path)
        entry = reader.table(value, path)
        if entry is None:
            continue
        reader.keys(entry, path, keys)
        item = read(reader, entry_id, path, entry)
        if item is not None:
            out.append(item)
    return out


def parse_scenario(text: str, *, file: str = "<string>") -> Scenario:
    """Parse and validate scenario TOML text.

    Raises
    ------
    ConfigError
        With every problem found, each naming its key path.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(file, [Problem("", f"invalid TOML: {error}{_toml_hint(text, str(error))}")]) from None
    except RecursionError:
        raise ConfigError(file, [Problem("", "invalid TOML: arrays or tables nested too deeply")]) from None
    return scenario_from_dict(data, file=file, text=text)


def scenario_from_dict(data: dict[str, Any], *, file: str = "<string>", text: str | None = None) -> Scenario:
    """Validate an already-parsed scenario document (what ``sim sweep`` edits by key path).

    ``text`` is the TOML it came from, kept for the run's copy and hash; without it the hash
    is of the document's canonical JSON.

    Raises
    ------
    ConfigError
        With every problem found, each naming its key path.
    """
    if text is None:
        text = "# generated from a parsed scenario\n# " + json.dumps(data, sort_keys=True, default=str) + "\n"
    reader = _Reader()
    reader.keys(data, "", TOP_KEYS)

    meta = reader.table(data.get("scenario", {}), "scenario") or {}
    reader.keys(meta, "scenario", ("name", "title", "description"))
    default_name = re.sub(r"[^a-z0-9_-]+", "_", Path(file).stem.lower()).strip("_-") or "scenario"
    name = reader.string(meta, "scenario", "name", default_name) or default_name
    if not SCENARIO_NAME.fullmatch(name):
        reader.fail("scenario.name", "must use only a-z, 0-9, _ and - (it names the results folder)")
    elif len(name) > MAX_NAME:
        reader.fail("scenario.name", f"must be at most {MAX_NAME} characters (it names the results folder)")
    title = reader.string(meta, "scenario", "title", name) or name
    description = reader.string(meta, "scenario", "description", "") or ""

    simulation = _read_simulation(reader, data.get("simulation"))

    force_table = reader.table(data.get("forces", {}), "forces")
    if force_table is None:
        force_table = {}
    elif not force_table:
        reader.fail("forces", "at least one force is required: [forces.<id>] with size and fatality_rate")
    force_table = _capped(reader, force_table, "forces", MAX_FORCES)
    forces = _read_each(reader, "forces", force_table, FORCE_KEYS, _read_force)

    wounded = died = None
    if "casualties" in data:
        table = reader.table(data["casualties"], "casualties")
        if table is not None:
            reader.keys(table, "casualties", ("wounded_per_killed", "died_of_wounds"))
            if "wounded_per_killed" not in table:
                reader.fail("casualties.wounded_per_killed", "is required in [casualties]")
            else:
                wounded = reader.prior(table["wounded_per_killed"], "casualties.wounded_per_killed", WOUNDED_DOMAIN)
            if "died_of_wounds" in table:
                died = reader.prior(table["died_of_wounds"], "casualties.died_of_wounds", FRACTION_DOMAIN)
    has_casualties = (
        all(isinstance(f, dict) and "wounded_per_killed" in f for f in force_table.values()) or "casualties" in data
    )
    for force in forces:
        if force.died_of_wounds is not None and force.wounded_per_killed is None and wounded is None:
            reader.fail(
                f"forces.{force.id}.died_of_wounds",
                "needs wounded to die of their wounds: give the force a wounded_per_killed (or [casualties] one)",
            )

    source_table = _capped(reader, reader.table(data.get("sources", {}), "sources") or {}, "sources", MAX_SOURCES)
    sources = _read_each(reader, "sources", source_table, SOURCE_KEYS, _read_source)

    _check_derivations(reader, sources)

    claims: list[Claim] = []
    raw_claims = data.get("claims", [])
    if not isinstance(raw_claims, list):
        reader.fail("claims", "must be an array of tables: [[claims]]")
        raw_claims = []
    raw_claims = _capped(reader, raw_claims, "claims", MAX_CLAIMS)
    force_ids = list(force_table)
    spans = {force.id: (force.start, force.end) for force in forces if force.phases}
    source_ids = list((data.get("sources") or {}) if isinstance(data.get("sources"), dict) else {})
    groups = _read_groups(reader, data["groups"], force_ids) if "groups" in data else []
    seen: set[str] = set()
    for index, claim_data in enumerate(raw_claims):
        claim = _read_claim(
            reader,
            index,
            claim_data,
            force_ids,
            source_ids,
            has_casualties,
            {g.id: g.forces for g in groups},
            spans,
        )
        if claim is None:
            continue
        if claim.id in seen:
            reader.fail(f"claims[{index}].id", f"duplicate claim id {claim.id!r}")
            continue
        seen.add(claim.id)
        claims.append(claim)
    _check_supersedes(reader, claims)
    _check_intervals(reader, claims, sources)

    condition_on: tuple[str, ...] = ()
    if "inference" in data:
        table = reader.table(data["inference"], "inference") or {}
        reader.keys(table, "inference", ("condition_on",))
        if "condition_on" in table:
            try:
                condition_on = resolve_condition(table["condition_on"], [c.id for c in claims])
            except ValueError as error:
                reader.fail("inference.condition_on", str(error))

    if reader.problems:
        raise ConfigError(file, reader.problems)
    return Scenario(
        name=name,
        title=title,
        description=description.strip(),
        simulation=simulation,
        forces=tuple(forces),
        wounded_per_killed=wounded,
        died_of_wounds=died,
        sources=tuple(sources),
        claims=tuple(claims),
        condition_on=condition_on,
        groups=tuple(groups),
        file=file,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        text=text,
    )


def resolve_condition(value: Any, claim_ids: list[str]) -> tuple[str, ...]:
    """Turn ``"all"``, ``"none"``, ``"a,b"`` or ``["a", "b"]`` into claim ids (in claim order).

    Raises
    ------
    ValueError
        An id that is not a claim of the scenario.
    """
    if isinstance(value, str):
        if value.strip() in ("all", "*"):
            return tuple(claim_ids)
        if value.strip() in ("none", ""):
            return ()
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError('must be "all", "none" or a list of claim ids')
    for claim_id in value:
        if claim_id not in claim_ids:
            suggestion = did_you_mean(claim_id, claim_ids)
            raise ValueError(f"unknown claim {claim_id!r}; {suggestion}claims: {', '.join(claim_ids) or 'none'}")
    return tuple(c for c in claim_ids if c in value)


def _read_capped(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`~sim.limits.MAX_FILE_BYTES`, checked before reading.

    Opened without blocking (a FIFO does not wait for a writer) and refused unless it is a
    regular file (a FIFO, ``/dev/zero`` or a socket never ends); at most one byte past the
    cap is read, so a file that grows meanwhile is refused too.

    Raises
    ------
    OSError
        It cannot be opened (IsADirectoryError for a folder).
    ValueError
        Not a regular file, or too large.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            raise ValueError("is not a regular file (a pipe, device or socket); give a scenario file")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"is larger than {MAX_FILE_BYTES:,} bytes; a scenario file is a few kilobytes")
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Raises
    ------
    ConfigError
        The file is missing, unreadable, not UTF-8, not TOML, or invalid (every problem listed).
    """
    path = Path(path)
    file = str(path)
    try:
        raw = _read_capped(path)
    except FileNotFoundError:
        raise ConfigError(file, [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise ConfigError(file, [Problem("", "is a directory, not a scenario file")]) from None
    except OSError as error:
        raise ConfigError(file, [Problem("", f"cannot be read: {error.strerror}")]) from None
    except ValueError as error:
        raise ConfigError(file, [Problem("", str(error))]) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        problem = "starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without a BOM"
        raise ConfigError(file, [Problem("", problem)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - raw.rfind(b"\n", 0, error.start)
        where = f"byte 0x{raw[error.start]:02x} at line {line}, column {column}"
        raise ConfigError(file, [Problem("", f"is not UTF-8 text ({where}); save it as UTF-8")]) from None
    if not text.strip():
        raise ConfigError(file, [Problem("", "is empty: a scenario needs at least [forces.<id>]")])
    return parse_scenario(text, file=file)
