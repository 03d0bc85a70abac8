"""sim.citations: the source list's entries, the [id] citations of a text, and the report's links to them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sim.citations import cited_ids, find_source_list, read_source_list, split_citations
from sim.config import load_scenario
from sim.engine import simulate
from sim.report import render_run
from sim.results import load_run, manifest, write_run
from sim.summary import summarize

LIST = """# Sources

Intro text citing `[not-an-entry]` in prose.

#### `mod-2024-01-02`
- Outlet: Ministry of Defence, via a wire
  service. Date: 2 Jan 2024.
- Says: "about 5,000 deployed".
- URL: https://example.org/mod

#### `wire-2024-02`
- Outlet: A wire service. Date: February 2024 (the day is not known).
- Says: nothing dated.
- URL: https://example.org/wire

## Next section
"""

SCENARIO = """
[scenario]
name = "cited"
title = "A cited scenario"
[simulation]
draws = 2_000
seed = 5
[forces.unit]
label = "The unit"
fatality_rate = { dist = "beta", ci90 = [0.02, 0.1], units = "fraction", source = "judgement [gone-2020-01-01]" }
[forces.unit.size]
dist = "uniform"
low = 4_000
high = 6_000
units = "soldiers"
source = "MoD [mod-2024-01-02; wire-2024-02]"
url = "https://example.org/mod"
[[claims]]
id = "nine"
label = "Nine dead"
value = 9
date = "2024-03-01"
url = "https://example.org/nine"
note = "As the wire reported it [wire-2024-02]."
"""


def test_entries_are_read_with_outlet_date_and_url():
    entries = read_source_list(LIST)
    assert list(entries) == ["mod-2024-01-02", "wire-2024-02"]
    mod = entries["mod-2024-01-02"]
    assert (mod.outlet, mod.date, mod.url) == (
        "Ministry of Defence, via a wire service",
        "2 Jan 2024",
        "https://example.org/mod",
    )
    assert entries["wire-2024-02"].date == "February 2024 (the day is not known)"


def test_an_id_listed_twice_is_refused():
    with pytest.raises(ValueError, match="mod-2024-01-02 is listed twice"):
        read_source_list(LIST + LIST)


def test_citations_are_bracketed_hyphenated_ids_never_toml_arrays():
    text = (
        'a [kbs-2025-12-13; tass-2025-12-12] b [nis-2025-09-02] ci90 = [0.04, 0.2] scope = ["c"] [x] [kbs-2025-12-13]'
    )
    pieces = list(split_citations(text))
    assert pieces[:4] == ["a ", ("kbs-2025-12-13", "tass-2025-12-12"), " b ", ("nis-2025-09-02",)]
    assert "".join(p if isinstance(p, str) else f"[{'; '.join(p)}]" for p in pieces) == text
    assert cited_ids(text) == ["kbs-2025-12-13", "tass-2025-12-12", "nis-2025-09-02"]


def test_the_nearest_source_list_is_found_upwards(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "sources.md").write_text(LIST)
    deep = tmp_path / "results" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_source_list(deep) == tmp_path / "docs" / "sources.md"


def test_the_report_links_each_citation_and_lists_the_sources(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "sources.md").write_text(LIST)
    (tmp_path / "configs").mkdir()
    config = tmp_path / "configs" / "cited.toml"
    config.write_text(SCENARIO)
    result = simulate(load_scenario(config), workers=1)
    data = manifest(result, command=["sim", "run", str(config), "--report"], started=datetime.now(UTC))
    out = tmp_path / "results" / "cited"
    write_run(
        out,
        summary=summarize(result),
        result=result,
        manifest_data=data,
        decorate=lambda folder: render_run(folder, figures=False),
    )
    run = load_run(out)
    page = (run.path / "report.html").read_text()
    text = (run.path / "report.md").read_text()
    assert (
        'MoD [<a href="https://example.org/mod">mod-2024-01-02</a>; <a href="https://example.org/wire">wire-2024-02</a>]'
        in page
    )
    assert "\\[[mod-2024-01-02](https://example.org/mod); [wire-2024-02](https://example.org/wire)\\]" in text
    assert ">Sources</h2>" in page and "Ministry of Defence, via a wire service" in page and "2 Jan 2024" in page
    assert "Cited by the scenario but not listed in docs/sources.md: gone-2020-01-01." in text
    assert "judgement [gone-2020-01-01]" in page  # an unlisted id stays plain text, never a dead link
