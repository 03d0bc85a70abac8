"""Every output of the shipped scenarios says a bound as a bound: never "top 0%", "0th", "± 0" or "(never)".

Each scenario in configs/ is run with few draws (so that far tails fall below resolution and are
printed as bounds), with its figures and report; the Kursk runs are then compared as `make compare` does.
The terminal output, report.md, report.html, the text of every figure (from its SVG, which keeps text as
text) and the comparison's table.md, figure and terminal output are searched for a bound printed as a plain
number.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "configs").glob("*.toml"))
KURSK = ("kursk", "kursk_article", "kursk_engineers", "kursk_signals")

# A bound printed as a number: a percentile of 0 or 100 (unless exactly so, said in words), a tail "top 0%",
# an error of zero, odds of "(never)"; and a far-tail percentile no one would say, "1.4e-08th", "0.0012th".
PLAIN_BOUNDS = re.compile(
    r"top 0(?:\.0*)?%"
    r"|\d[eE][-+]?\d+th\b"
    r"|(?<![\d.])0\.0\d*th\b"
    r"|(?<![<\d.,])0(?:\.0+)?th(?! \(nothing below\))"
    r"|(?<![\d.,])100(?:\.0+)?th(?! \(nothing above\))"
    r"|± 0(?:\.0+)?(?![\d.])"
    r"|\(never\)"
)

runner = CliRunner()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    """Each output's text by name: ``<scenario>: terminal``, ``<scenario>: report.md``, ..., ``compare: ...``."""
    folder = tmp_path_factory.mktemp("wording")
    texts: dict[str, str] = {}
    bounds = 0
    for config in SCENARIOS:
        out = folder / config.stem
        args = ["run", str(config), "--draws", "4000", "--report", "--workers", "1", "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        texts[f"{config.stem}: terminal"] = result.output
        for name in ("report.md", "report.html"):  # less the inline figures' bytes, whose base64 may spell "0th"
            text = (out / name).read_text(encoding="utf-8")
            texts[f"{config.stem}: {name}"] = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
        texts |= _figure_texts(out / "figures", config.stem)
        bounds += json.dumps(json.loads((out / "summary.json").read_text())).count('"bound"')
    assert bounds > 0, "no probability below resolution: the search would not test what it is for"
    result = runner.invoke(app, ["compare", *(str(folder / name) for name in KURSK), "--out", str(folder / "cmp")])
    assert result.exit_code == 0, result.output
    texts["compare: terminal"] = result.output
    texts["compare: table.md"] = (folder / "cmp" / "table.md").read_text(encoding="utf-8")
    texts |= _figure_texts(folder / "cmp", "compare")
    assert sum(": figures/" in name for name in texts) >= 7 * len(SCENARIOS) - len(SCENARIOS), sorted(texts)
    return texts


def _figure_texts(folder: Path, name: str) -> dict[str, str]:
    """The text of each figure in ``folder``: every ``<text>`` of its SVG (sim saves text as text; a run folder's
    figures are gzip-compressed ``.svgz``), a line each."""
    return {
        f"{name}: figures/{svg.name}": "\n".join(
            "".join(element.itertext())
            for element in ElementTree.fromstring(_svg_bytes(svg)).iter()
            if element.tag.endswith("}text")
        )
        for svg in sorted([*folder.glob("*.svg"), *folder.glob("*.svgz")])
    }


def _svg_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".svgz" else path.read_bytes()


def test_no_output_prints_a_bound_as_a_plain_number(outputs):
    found = {
        name: sorted({match.group(0) for match in PLAIN_BOUNDS.finditer(text)})
        for name, text in outputs.items()
        if PLAIN_BOUNDS.search(text)
    }
    assert found == {}


def test_bounds_are_said_as_bounds(outputs):
    assert any("below resolution" in text for text in outputs.values())
    figures = [text for name, text in outputs.items() if ": figures/" in name]
    assert any(re.search(r"within the (?:lowest|highest) 1 in [\d,.]+", text) for text in figures)
    assert any(re.search(r"within the (?:lowest|highest) 1 in [\d,.]+", t) for t in outputs.values())


def test_the_search_finds_what_it_looks_for():
    for text in ("top 0%", "sits in the 0th percentile", "100th", "1,200 ± 0", "0.3 ± 0.0", "(never)", "1.4e-08th"):
        assert PLAIN_BOUNDS.search(text), text
    assert PLAIN_BOUNDS.search("at the 0.0012th percentile")
    for text in ("lowest 1 in 70 million", "0th (nothing below)", "100th (nothing above)", "± 0.04", "10th", "0.12th"):
        assert not PLAIN_BOUNDS.search(text), text
