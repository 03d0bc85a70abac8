"""The project's own source list: every citation in configs/ resolves, every entry is cited and has a URL.

Scenarios cite the documents of ``docs/sources.md`` by id in square brackets (``[nis-2025-09-02]``, or several
ids in one bracket separated by ``; ``). No file of the repository may cite material a reader does not have.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "docs" / "sources.md"
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))

SOURCE_ID = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+"
"""An id is lower-case words and numbers joined by hyphens, at least one hyphen (never a TOML array)."""
CITATION = re.compile(rf"\[({SOURCE_ID}(?:; {SOURCE_ID})*)\]")
ENTRY = re.compile(rf"^#### `({SOURCE_ID})`$", re.MULTILINE)
URL_LINE = re.compile(r"^- URL: (\S+)$", re.MULTILINE)
FORBIDDEN = re.compile(r"shared/research|research §", re.IGNORECASE)


def entries(text: str) -> dict[str, str]:
    """Each entry of docs/sources.md: its id and its text up to the next heading."""
    found: dict[str, str] = {}
    matches = list(ENTRY.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[match.end() : end].split("\n#", 1)[0]
        assert match.group(1) not in found, f"docs/sources.md lists {match.group(1)} twice"
        found[match.group(1)] = body
    return found


def citations(text: str) -> set[str]:
    """Every id cited in square brackets in a text."""
    return {source_id for group in CITATION.findall(text) for source_id in group.split("; ")}


@pytest.fixture(scope="module")
def listed() -> dict[str, str]:
    return entries(SOURCES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cited() -> dict[str, set[str]]:
    """The ids each shipped scenario cites, by file name."""
    return {path.name: citations(path.read_text(encoding="utf-8")) for path in CONFIGS}


def test_the_parsers_read_what_the_format_says():
    text = "#### `kbs-2025-12-13`\n- URL: https://example.org/a\n\n#### `tass-2025-12-12`\n- Says: x\n"
    assert set(entries(text)) == {"kbs-2025-12-13", "tass-2025-12-12"}
    assert citations('source = "KBS [kbs-2025-12-13; tass-2025-12-12], NIS [nis-2025-09-02]"') == {
        "kbs-2025-12-13",
        "tass-2025-12-12",
        "nis-2025-09-02",
    }
    assert citations('scope = ["combat"]\nci90 = [0.043, 0.214]\nvalue = [6_000, 6_999]') == set()


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


def test_every_entry_has_a_web_url(listed):
    for source_id, body in listed.items():
        urls = URL_LINE.findall(body)
        assert len(urls) == 1, f"docs/sources.md: {source_id} needs exactly one '- URL: ' line, has {len(urls)}"
        assert re.match(r"https?://[^/\s]+\.[^/\s]+", urls[0]), f"docs/sources.md: {source_id}: {urls[0]!r}"


def test_every_claim_and_prior_of_a_real_scenario_cites_the_list(cited):
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
