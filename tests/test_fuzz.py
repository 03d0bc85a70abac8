"""Fuzzing the loader: whatever the document, ``parse_scenario`` returns a Scenario or raises ConfigError.

Three sources of documents: arbitrary text, random TOML documents shaped like scenarios (so
that they reach the validation of forces, priors, sources and claims), and the shipped configs
with random mutations (a key deleted or renamed, a value swapped for a string, a negative,
NaN, infinity, a huge number or a value of another type); mutated configs that load must also
run. ``make test`` runs a bounded number of examples; ``make fuzz`` runs many more
(``SIM_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import ConditioningError, ConfigError, parse_scenario, simulate, summarize
from sim.config import CLAIM_KEYS, FORCE_KEYS, METRICS, RELATIONS, TOP_KEYS
from sim.priors import FAMILIES

CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.toml"))
EXAMPLES = int(os.environ.get("SIM_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def toml_value(value: Any) -> str:
    """TOML for a value: inline tables and arrays, quoted keys, nan/inf spelled as TOML spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, datetime.date):  # a TOML date literal (phases' start and end)
        return value.isoformat()
    return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"


def toml_document(data: dict[str, Any]) -> str:
    """A TOML document with one ``key = value`` line per top-level key."""
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in data.items())


def load(text: str) -> None:
    """Load ``text``; the only exception allowed is ConfigError, and its message must name the key or the file."""
    try:
        parse_scenario(text, file="fuzz.toml")
    except ConfigError as error:
        assert error.problems
        assert str(error).startswith("fuzz.toml: ")


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, 10**9, 2**63, 10**400, 14_000]),
)
SCALARS = st.one_of(NUMBERS, st.booleans(), TEXT, st.sampled_from(["14,000", "all", "none", "beta", "nan"]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
PARAMETER_NAMES = sorted(
    {key for _, forms in FAMILIES.values() for required, optional in forms for key in required + optional}
    | {"loc", "scale", "a", "b", "p", "n", "mu", "dist"}
)


@st.composite
def priors(draw: st.DrawFn) -> Any:
    """A prior as an analyst might write it: a number, or a table with a family and parameters."""
    if draw(st.booleans()):
        return draw(NUMBERS)
    family = draw(st.one_of(st.sampled_from([*FAMILIES, "norm", "expon", "poisson", "halfcauchy"]), TEXT))
    params = draw(
        st.dictionaries(
            st.sampled_from(PARAMETER_NAMES),
            st.one_of(NUMBERS, st.lists(NUMBERS, min_size=0, max_size=3), SCALARS),
            max_size=4,
        )
    )
    return {"dist": family, **params}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A document shaped like a scenario, with random (often invalid) contents."""
    force_ids = draw(st.lists(st.sampled_from(["a", "b", "combat", "Bad id"]), max_size=3, unique=True))
    forces = {
        force_id: draw(st.dictionaries(st.sampled_from(FORCE_KEYS), st.one_of(priors(), SCALARS), max_size=5))
        for force_id in force_ids
    }
    sources = draw(
        st.dictionaries(st.sampled_from(["s", "kcna"]), st.fixed_dictionaries({"reporting_ratio": priors()}))
    )
    claim_values = {
        "id": st.one_of(st.sampled_from(["x", "y", "x"]), TEXT),
        "value": st.one_of(NUMBERS, st.lists(NUMBERS, max_size=3), SCALARS),
        "relation": st.one_of(st.sampled_from(RELATIONS), TEXT),
        "metric": st.one_of(st.sampled_from(METRICS), TEXT),
        "scope": st.one_of(st.lists(st.sampled_from([*force_ids, "zz"]), max_size=3), SCALARS),
        "source": st.one_of(st.sampled_from([*sources, "nobody"]), SCALARS),
        "rounding": NUMBERS,
    }
    claim = st.fixed_dictionaries({}, optional={k: claim_values.get(k, SCALARS) for k in CLAIM_KEYS})
    document: dict[str, Any] = {
        "forces": forces,
        "sources": sources,
        "claims": draw(st.lists(claim, max_size=3)),
        "simulation": draw(
            st.dictionaries(st.sampled_from(["draws", "seed", "levels", "chunk_size", "drawz"]), VALUES, max_size=3)
        ),
    }
    if draw(st.booleans()):
        document["casualties"] = {"wounded_per_killed": draw(priors())}
    if draw(st.booleans()):
        document["inference"] = {"condition_on": draw(st.one_of(st.lists(TEXT, max_size=2), SCALARS))}
    extra = draw(st.dictionaries(st.one_of(st.sampled_from(TOP_KEYS), TEXT), VALUES, max_size=2))
    return {**document, **extra}


@FUZZ
@given(text=st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    load(text)


@FUZZ
@given(document=st.dictionaries(TEXT, VALUES, max_size=6))
def test_random_toml_documents(document: dict[str, Any]) -> None:
    load(toml_document(document))


@FUZZ
@given(document=scenarios())
def test_random_scenario_shaped_documents(document: dict[str, Any]) -> None:
    load(toml_document(document))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a parsed document (tuples of keys and list indices)."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    out = []
    for key, child in children:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _replacements(value: Any) -> st.SearchStrategy:
    """Values to put in place of ``value``: the same number as a string, its negative, NaN, huge, another type."""
    options: list[Any] = [
        "14,000",
        -1,
        0,
        math.nan,
        math.inf,
        -math.inf,
        1e308,
        10**30,
        True,
        [],
        {},
        "",
        [1, 2],
        {"dist": "beta"},
    ]
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63):
        options += [str(value), f"{value:,}", -value, value * 1e12, value / 1e12, value + 0.5]
    if isinstance(value, str):
        options += [value.upper(), value[:-1], value + "s", 3]
    if isinstance(value, list):
        options += [value[:1], value[::-1], value * 2]
    return st.one_of(st.sampled_from(options), SCALARS)


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped config with one to three random mutations."""
    document = tomllib.loads(draw(st.sampled_from(CONFIGS)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "rename"] if isinstance(parent, dict) else ["replace"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(_replacements(parent[key]))
        else:
            new_key = draw(st.one_of(st.sampled_from([key[:-1], key + "s", key.upper(), key[::-1]]), TEXT))
            parent[new_key] = parent.pop(key)
    return document


@FUZZ
@given(document=mutated_configs())
def test_mutated_shipped_configs(document: dict[str, Any]) -> None:
    load(toml_document(document))


@settings(FUZZ, max_examples=max(EXAMPLES // 4, 1))
@given(document=mutated_configs())
def test_accepted_mutations_run(document: dict[str, Any]) -> None:
    """A mutated config that loads also simulates and serialises (a few draws), or fails with ConditioningError."""
    try:
        scenario = parse_scenario(toml_document(document))
    except ConfigError:
        return
    try:
        summary = summarize(simulate(scenario, draws=100, chunk_size=64, workers=1))
    except ConditioningError:
        return
    summary.to_json()


def test_serializer_round_trips_the_shipped_configs() -> None:
    for config in CONFIGS:
        document = tomllib.loads(config.read_text(encoding="utf-8"))
        assert tomllib.loads(toml_document(document)) == document
        parse_scenario(toml_document(document))
