"""Scenarios edited by key path: ``forces.combat.size = 14000`` applied to a loaded scenario.

What ``sim run --set``, ``sim.run(settings=...)`` and every sensitivity point use. A key path
names a number in the scenario (``forces.combat.size.high``), a list of numbers
(``forces.combat.fatality_rate.ci90``) or a whole prior, which a number pins
(``{dist = "fixed", value = v}``, keeping its metadata). The edited scenario is validated by
the loader (:func:`sim.config.parse_scenario`) from its TOML text, which :func:`toml_text`
writes, so a run folder's ``scenario.toml`` is the scenario that ran (comments are not kept).
"""

from __future__ import annotations

import copy
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sim.config import ConfigError, Problem, Scenario, join_key, parse_scenario
from sim.suggest import nearest

__all__ = [
    "PRIOR_METADATA",
    "SIMULATION_KEYS",
    "Settings",
    "Value",
    "describe",
    "document_of",
    "edit_document",
    "format_setting",
    "parameter_paths",
    "scenario_at",
    "toml_text",
    "with_settings",
]

SIMULATION_KEYS = ("draws", "seed", "chunk_size")
PRIOR_METADATA = ("units", "source", "url", "note")

Value = int | float | tuple[int | float, ...]
"""A parameter value: a number, or a tuple for a list-valued parameter such as ``ci90``."""
Settings = tuple[tuple[str, Value], ...]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _walk(node: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        if path and "dist" in node:
            out[path] = "prior"
        for key, value in node.items():
            _walk(value, join_key(path, key), out)
    elif isinstance(node, list) and node:
        if all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in node):
            for item in node:
                _walk(item, join_key(path, item["id"]), out)
        elif all(isinstance(item, dict) for item in node):  # tables by position: a force's phases[i]
            for index, item in enumerate(node):
                _walk(item, f"{path}[{index}]", out)
        elif all(_is_number(item) for item in node):
            out[path] = "list"
    elif _is_number(node):
        out[path] = "number"


def parameter_paths(document: Mapping[str, Any]) -> dict[str, str]:
    """Every key path a setting can name, with its kind: ``prior``, ``number`` or ``list``.

    ``prior`` paths name a whole prior table (pinned to a fixed value when set); ``number``
    and ``list`` paths name a number or a list of numbers. ``simulation.draws``, ``.seed`` and
    ``.chunk_size`` are always settable, written or not.
    """
    out: dict[str, str] = {}
    _walk(document, "", out)
    for key in SIMULATION_KEYS:
        out.setdefault(f"simulation.{key}", "number")
    return out


def _child(node: Any, key: str) -> Any:
    if isinstance(node, list):
        return next(item for item in node if item.get("id") == key)
    indexed = re.fullmatch(r"(.+)\[(\d+)\]", key)
    if indexed:  # phases[1]
        return node[indexed.group(1)][int(indexed.group(2))]
    return node.setdefault(key, {}) if key == "simulation" else node[key]


def _unknown_path(path: str, paths: Iterable[str], file: str) -> ConfigError:
    closest = nearest(path, paths, n=3, cutoff=0.0)
    return ConfigError(
        file,
        [
            Problem(
                path,
                f"no such parameter; nearest: {', '.join(closest)} (a path names a number in the scenario: "
                "a prior's parameter, a whole prior to pin, or simulation.draws)",
            )
        ],
    )


def edit_document(document: Mapping[str, Any], settings: Settings, *, file: str = "<string>") -> dict[str, Any]:
    """A copy of ``document`` with each ``(path, value)`` of ``settings`` applied, in order.

    A ``prior`` path set to a number pins the prior: its table becomes
    ``{dist = "fixed", value = v}`` plus its metadata (units, source, url, note).

    Raises
    ------
    ConfigError
        A path names nothing settable; the message lists the nearest valid paths.
    """
    paths = parameter_paths(document)
    edited = copy.deepcopy(dict(document))
    for path, value in settings:
        kind = paths.get(path)
        if kind is None:
            raise _unknown_path(path, paths, file)
        *parents, key = path.split(".")
        container: Any = edited
        for part in parents:
            container = _child(container, part)
        if kind == "prior" and not isinstance(value, tuple):
            metadata = {k: v for k, v in container[key].items() if k in PRIOR_METADATA}
            container[key] = {"dist": "fixed", "value": value, **metadata}
        else:
            container[key] = list(value) if isinstance(value, tuple) else value
    return edited


def format_setting(value: Value) -> str:
    """A setting's value as written on the command line: ``0.1``, or a list as ``0.02;0.2``."""
    if isinstance(value, tuple):
        return ";".join(f"{v:g}" for v in value)
    return f"{value:g}"


def describe(settings: Settings) -> str:
    """``path = value, ...``: the settings as a message names them."""
    return ", ".join(f"{path} = {format_setting(value)}" for path, value in settings)


def document_of(scenario: Scenario) -> dict[str, Any]:
    """The TOML document a scenario was loaded from (its ``text``).

    Raises
    ------
    ConfigError
        The scenario carries no TOML text (it was built in code, not loaded).
    """
    try:
        document = tomllib.loads(scenario.text)
    except tomllib.TOMLDecodeError:
        document = {}
    if "forces" not in document:
        raise ConfigError(
            scenario.file,
            [Problem("", "the scenario carries no TOML text to edit; load it with load_scenario or parse_scenario")],
        )
    return document


def scenario_at(document: Mapping[str, Any], file: str, settings: Settings) -> Scenario:
    """The validated scenario of ``document`` with ``settings`` applied; a ConfigError names the settings.

    Raises
    ------
    ConfigError
        A path names nothing settable, or the edited scenario is invalid.
    """
    edited = edit_document(document, settings, file=file)
    try:
        return parse_scenario(toml_text(edited), file=file)
    except ConfigError as error:
        raise ConfigError(f"{file} at {describe(settings)}" if settings else file, error.problems) from None


def with_settings(scenario: Scenario, settings: Settings) -> Scenario:
    """``scenario`` with each ``(path, value)`` of ``settings`` applied (itself when there are none)."""
    return scenario_at(document_of(scenario), scenario.file, settings) if settings else scenario


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return ("-inf" if value < 0 else "inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _table(lines: list[str], path: list[str], table: Mapping[str, Any], *, header: str | None) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict) and not _is_table_array(v)]
    if header is not None:
        lines.append(header)
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars)
    for key, value in table.items():
        dotted = ".".join(_key(part) for part in [*path, key])
        if isinstance(value, dict):
            _table(lines, [*path, key], value, header=f"[{dotted}]")
        elif _is_table_array(value):
            for item in value:
                _table(lines, [*path, key], item, header=f"[[{dotted}]]")


def toml_text(document: Mapping[str, Any]) -> str:
    """TOML text that :func:`tomllib.loads` reads back as ``document`` (tables, arrays of tables, values).

    Raises
    ------
    TypeError
        A value TOML cannot hold (what :mod:`tomllib` returns always can).
    """
    lines: list[str] = []
    _table(lines, [], document, header=None)
    return "\n".join(lines) + "\n"
