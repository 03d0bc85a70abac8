"""The project's source list (``docs/sources.md``) and the ``[id]`` citations that point into it.

A scenario cites a document by putting its id in square brackets in any text, several ids in one
bracket separated by ``; `` (``[kbs-2025-12-13; tass-2025-12-12]``). An id is lower-case words and
numbers joined by hyphens, with at least one hyphen, so a TOML array such as ``[0.04, 0.2]`` is never
read as a citation. In ``docs/sources.md`` each document is an entry headed ``#### `id` `` with the
bullets ``- Outlet: … Date: ….``, ``- Says: …`` and ``- URL: …``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SOURCE_LIST",
    "SourceEntry",
    "cited_ids",
    "find_source_list",
    "read_source_list",
    "split_citations",
]

SOURCE_LIST = Path("docs") / "sources.md"
"""Where the source list sits, relative to the repository's root."""
SOURCE_ID = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+"
CITATION = re.compile(rf"\[({SOURCE_ID}(?:; {SOURCE_ID})*)\]")
ENTRY = re.compile(rf"^#### `({SOURCE_ID})`[ \t]*$", re.MULTILINE)
BULLET = re.compile(r"^- (\w+): (.*?)(?=^- \w+: |\Z)", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class SourceEntry:
    """One document of the source list: its id, who published it and when, and where to read it."""

    id: str
    outlet: str
    date: str
    url: str


def read_source_list(text: str) -> dict[str, SourceEntry]:
    """The entries of a source list, by id, in the order they are listed.

    Parameters
    ----------
    text : str
        The Markdown of ``docs/sources.md``.

    Returns
    -------
    dict of str to SourceEntry
        Every entry headed ``#### `id` ``; an entry's ``outlet`` and ``date`` come from its
        ``- Outlet: … Date: …`` bullet and its ``url`` from its ``- URL:`` bullet (empty when missing).

    Raises
    ------
    ValueError
        If an id is listed twice.
    """
    entries: dict[str, SourceEntry] = {}
    heads = list(ENTRY.finditer(text))
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : following.start() if following else len(text)].split("\n#", 1)[0]
        bullets = {key: " ".join(value.split()) for key, value in BULLET.findall(body.strip() + "\n")}
        outlet, _, date = bullets.get("Outlet", "").partition(" Date: ")
        if head.group(1) in entries:
            raise ValueError(f"{SOURCE_LIST}: {head.group(1)} is listed twice")
        entries[head.group(1)] = SourceEntry(
            id=head.group(1), outlet=outlet.rstrip("."), date=date.rstrip("."), url=bullets.get("URL", "")
        )
    return entries


def split_citations(text: str) -> Iterator[str | tuple[str, ...]]:
    """A text cut at its citations: plain pieces (str) and the ids of each bracket (tuple)."""
    start = 0
    for match in CITATION.finditer(text):
        if match.start() > start:
            yield text[start : match.start()]
        yield tuple(match.group(1).split("; "))
        start = match.end()
    if start < len(text):
        yield text[start:]


def cited_ids(text: str) -> list[str]:
    """Every id a text cites, once each, in the order of first citation."""
    return list(dict.fromkeys(i for piece in split_citations(text) if isinstance(piece, tuple) for i in piece))


def find_source_list(*starts: Path) -> Path | None:
    """The nearest ``docs/sources.md`` in a start folder or one of its parents, trying each start in turn."""
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / SOURCE_LIST
            if candidate.is_file():
                return candidate
    return None
