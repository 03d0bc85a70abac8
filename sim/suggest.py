"""The one "did you mean" of sim: the nearest of the valid names to a misspelt one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = ["did_you_mean", "nearest", "unknown_name"]


def nearest(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The ``n`` choices closest to ``word`` by :func:`difflib.get_close_matches` (ratio at least ``cutoff``)."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the choice closest to ``word``, or ``""`` when none is close."""
    hint = nearest(word, choices)
    return f"did you mean '{hint[0]}'? " if hint else ""


def unknown_name(kind: str, name: object, choices: Sequence[str], listed: str = "allowed") -> str:
    """How sim refuses a name it does not know: ``unknown metric 'kiled'; did you mean 'killed'? allowed: killed,
    casualties, ...`` (``listed`` names the list of valid ones)."""
    return f"unknown {kind} {name!r}; {did_you_mean(str(name), choices)}{listed}: {', '.join(choices)}"
