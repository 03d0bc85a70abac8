"""Swept values from the command line: ``--values``, ``--range LOW:HIGH:STEPS`` and ``--set PATH=VALUE``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.keypaths import Value
from sim.limits import MAX_GRID_POINTS
from sim.sensitivity.points import SensitivityError

__all__ = ["Axis", "parse_axis", "parse_setting"]


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its key path and values (``log``: a geometrically spaced range)."""

    path: str
    values: tuple[Value, ...]
    log: bool = False


def _parse_number(text: str, context: str) -> int | float:
    """A number typed on the command line (``3``, ``0.05``, ``1e4``): an int when written as one; finite."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise SensitivityError(f"{context}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SensitivityError(f"{context}: {text!r} is not a finite number")
    return value


def _value(text: str, context: str) -> Value:
    parts = text.split(";")
    if len(parts) == 1:
        return _parse_number(parts[0], context)
    return tuple(_parse_number(part, context) for part in parts)


def _tidy(value: float) -> float:
    """Drop linspace's last-digit noise (0.15000000000000002 -> 0.15)."""
    return float(f"{value:.12g}")


def _parse_range(text: str, *, log: bool) -> tuple[Value, ...]:
    context = f"--range {text!r}"
    fields = text.split(":")
    if len(fields) != 3:
        raise SensitivityError(f"{context}: write LOW:HIGH:STEPS, e.g. 0.02:0.3:8 (lists: 0.02;0.1:0.05;0.3:5)")
    low, high = (_value(f, context) for f in fields[:2])
    steps = _parse_number(fields[2], context)
    if not isinstance(steps, int) or steps < 2:
        raise SensitivityError(f"{context}: STEPS must be a whole number >= 2, got {fields[2]!r}")
    if steps > MAX_GRID_POINTS:  # before the grid is built
        raise SensitivityError(f"{context}: STEPS must be at most {MAX_GRID_POINTS:,}, got {steps:,}")
    lows, highs = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (low, high))
    if lows.shape != highs.shape:
        raise SensitivityError(f"{context}: LOW and HIGH must have as many elements ({lows.size} vs {highs.size})")
    if log and (np.any(lows <= 0) or np.any(highs <= 0)):
        raise SensitivityError(f"{context}: --log needs LOW and HIGH > 0")
    grid = (np.geomspace if log else np.linspace)(lows, highs, steps)
    whole = all(isinstance(v, int) for v in (*np.atleast_1d(low).tolist(), *np.atleast_1d(high).tolist()))
    values: list[Value] = []
    for row in grid:
        numbers = tuple(round(float(v)) if whole else _tidy(v) for v in row)
        values.append(numbers if isinstance(low, tuple) else numbers[0])
    return tuple(values)


def parse_axis(path: str, spec: str, *, log: bool = False) -> Axis:
    """One sweep axis from ``--param PATH`` and its ``--values`` or ``--range`` text.

    Parameters
    ----------
    path : str
        The key path.
    spec : str
        ``a,b,c`` (values; a list-valued parameter's elements are separated by ``;``, as in
        ``0.02;0.1,0.05;0.2``) or ``LOW:HIGH:STEPS`` (evenly spaced, both ends included).
    log : bool
        Space a range geometrically (``LOW``, ``HIGH`` > 0).

    Raises
    ------
    SensitivityError
        Malformed numbers, a bad range, or no values.
    """
    if ":" in spec:
        values = _parse_range(spec, log=log)
    else:
        entries = [entry for entry in spec.split(",")]
        if not spec.strip() or any(not entry.strip() for entry in entries):
            raise SensitivityError(f"--values {spec!r}: give numbers separated by commas, e.g. 0.05,0.1,0.2")
        values = tuple(_value(entry, f"--values {spec!r}") for entry in entries)
    return Axis(path=path, values=values, log=log)


def parse_setting(text: str) -> tuple[str, Value]:
    """``PATH=VALUE`` (``--set``) as ``(path, value)``; a list value is written ``lo;hi``."""
    path, separator, value = text.partition("=")
    if not separator or not path.strip():
        raise SensitivityError(f"--set {text!r}: write PATH=VALUE, e.g. forces.combat.fatality_rate=0.1")
    return path.strip(), _value(value, f"--set {text!r}")
