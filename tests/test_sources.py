"""The project's own source list: every citation in configs/ resolves, every entry is cited and has a URL.

Scenarios cite the documents of ``docs/sources.md`` by id in square brackets (``[nis-2025-09-02]``, or several
ids in one bracket separated by ``; ``; the format is read by :mod:`sim.citations`). No file of the repository
may cite material a reader does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.citations import SourceEntry, cited_ids, read_source_list

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
FORBIDDEN = re.compile(r"shared/research|research §", re.IGNORECASE)


@pytest.fixture(scope="module")
def listed() -> dict[str, SourceEntry]:
    return read_source_list(SOURCES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cited() -> dict[str, set[str]]:
    """The ids each shipped scenario cites, by file name."""
    return {path.name: set(cited_ids(path.read_text(encoding="utf-8"))) for path in CONFIGS}


def test_the_list_is_not_empty(listed, cited):
    assert len(listed) >= 20
    assert sum(map(len, cited.values())) >= 20


def test_every_cited_id_is_listed(listed, cited):
    missing = {f"{name}: [{source_id}]" for name, ids in cited.items() for source_id in ids - listed.keys()}
    assert not missing, f"cited in configs/ but not in docs/sources.md: {sorted(missing)}"


def test_every_listed_entry_is_cited(listed, cited):
    everywhere = set().union(*cited.values())
    uncited = sorted(listed.keys() - everywhere)
    assert not uncited, f"listed in docs/sources.md but cited nowhere in configs/: {uncited}"


def test_every_entry_has_a_web_url_an_outlet_and_a_date(listed):
    for source_id, entry in listed.items():
        assert re.fullmatch(r"https?://[^/\s]+\.[^/\s]+\S*", entry.url), f"docs/sources.md: {source_id}: {entry.url!r}"
        assert entry.outlet and entry.date, f"docs/sources.md: {source_id} needs '- Outlet: … Date: ….'"


def test_every_entry_has_one_url_line():
    text = SOURCES.read_text(encoding="utf-8")
    for body in re.split(r"^#### ", text, flags=re.MULTILINE)[1:]:
        entry = body.split("\n#", 1)[0]
        assert len(re.findall(r"^- URL: ", entry, flags=re.MULTILINE)) == 1, f"docs/sources.md: {body[:40]!r}"


def test_every_real_scenario_cites_the_list(cited):
    for name, ids in cited.items():
        if name != "template.toml":
            assert ids, f"configs/{name} cites nothing from docs/sources.md"


def _repository_texts() -> list[Path]:
    files = [ROOT / "README.md", *CONFIGS, *(ROOT / "docs").rglob("*.md"), *(ROOT / "sim").rglob("*.py")]
    return [path for path in files if path.is_file()]


@pytest.mark.parametrize("path", _repository_texts(), ids=lambda path: str(path.relative_to(ROOT)))
def test_nothing_cites_files_outside_the_repository(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = [f"{number}: {line.strip()}" for number, line in enumerate(lines, 1) if FORBIDDEN.search(line)]
    assert not bad, f"{path.relative_to(ROOT)} cites material outside the repository: {bad}"
