"""Scenario text is data: random text through every output comes back as the same literal text.

Markdown is rendered with markdown-it-py (a CommonMark implementation; rich depends on it),
HTML parsed with the standard library's parser, figure titles read back from the PNG's
metadata and the SVG's text. Round trip means: the rendered text equals the input with
line breaks and other control characters as spaces and the ends stripped, and no element
(a link, a script, an image) appears that sim did not put there.
"""

from __future__ import annotations

import gzip
import html
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from sim.cli import app
from sim.compare import MARKERS
from sim.escape import markdown, safe_url

runner = CliRunner()
COMMONMARK = MarkdownIt("commonmark")
NASTY = [
    "<script>alert(1)</script>",
    "$x^$ and $\\frac{1}{$",
    "a) [evil](javascript:alert(1))",
    "line one\nline two\r\n|---|\n# heading",
    "<!-- compare:end -->",
    "&lt;b&gt; *bold* _it_ `code` ~~del~~ ![img](x.png) <https://x.org>",
    "- a list\n1. item\n    indented code\n> quote",
    "\\ backslash \\\\ and trailing \\",
]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=40))


def literal(text: str) -> str:
    """What a line of text should read as once rendered."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text).strip()


class _Page(HTMLParser):
    """Text, tags and link targets of an HTML fragment or page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_markdown_text_renders_as_itself_at_a_line_start_and_in_a_table_cell(text: str):
    expected = literal(text)
    assert "\n" not in markdown(text)
    paragraph = _parse(COMMONMARK.render(markdown(text)))
    assert set(paragraph.tags) <= {"p"}
    assert "".join(paragraph.text).strip() == expected.strip()
    table = MarkdownIt("commonmark").enable("table")
    cell = _parse(table.render(f"| a | b |\n| --- | --- |\n| {markdown(text)} | x |\n"))
    assert set(cell.tags) <= {"table", "thead", "tbody", "tr", "th", "td"}
    assert "".join(cell.text).split() == ["a", "b", *expected.split(), "x"]


@settings(max_examples=300, deadline=None)
@given(url=st.one_of(st.sampled_from(["https://x.org/a) [e](javascript:alert(1))", "javascript:x"]), st.text()))
def test_only_http_urls_become_links_and_they_stay_inside_the_link(url: str):
    target = safe_url(url)
    if target is None:
        return
    assert target.split(":", 1)[0].lower() in ("http", "https")
    page = _parse(COMMONMARK.render(f"[{markdown('x')}]({target})"))
    assert page.tags == ["p", "a"] and len(page.hrefs) == 1
    assert "".join(page.text) == "x"


def _toml(text: str) -> str:
    """A TOML basic string holding ``text`` exactly (control characters as \\uXXXX escapes)."""
    body = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cc" or c in '"\\' else c for c in text)
    return f'"{body}"'


def _scenario(title: str, label: str, url: str, name: str = "esc") -> str:
    return f"""
[scenario]
name = "{name}"
title = {_toml(title)}
description = {_toml(label)}
[simulation]
draws = 2_000
seed = 5
[forces.unit]
label = {_toml(label)}
size = 1000
fatality_rate = {{ dist = "beta", mean = 0.1, sd = 0.03, url = {_toml(url)} }}
[[claims]]
id = "c"
label = {_toml(label)}
value = 100
relation = "ge"
"""


SCENARIO_TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t"), max_size=30),
)


@pytest.mark.parametrize("figures", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["report", "figures"])
def test_scenario_text_is_literal_in_every_output(tmp_path_factory, figures: bool):
    """Random titles, labels and URLs through report.md/html, figures, the compare table and the README block."""

    @settings(
        max_examples=5,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each example is a whole run
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(title=SCENARIO_TEXT.filter(lambda t: literal(t) != ""), label=SCENARIO_TEXT, url=SCENARIO_TEXT)
    def check(title: str, label: str, url: str) -> None:
        folder = tmp_path_factory.mktemp("esc")
        config = folder / "esc.toml"
        config.write_text(_scenario(title, label, url), encoding="utf-8")
        run = folder / "run"
        plots = "--plots" if figures else "--no-plots"
        result = runner.invoke(app, ["run", str(config), "--out", str(run), "--report", plots, "-q", "--workers", "1"])
        assert result.exit_code == 0, result.output
        _check_report(run, title, label)
        if figures:
            _check_figures(run, title)
            return
        other = folder / "other.toml"
        other.write_text(_scenario("plain", "plain", "https://example.org", name="other"), encoding="utf-8")
        readme = folder / "README.md"
        readme.write_text(f"intro\n{MARKERS[0]}\n{MARKERS[1]}\nafter\n", encoding="utf-8")
        args = ["compare", str(run), str(other), "--out", str(folder / "cmp"), "--readme", str(readme)]
        compared = runner.invoke(app, args)
        assert compared.exit_code == 0, compared.output
        block = readme.read_text(encoding="utf-8")
        assert block.count(MARKERS[0]) == 1 and block.count(MARKERS[1]) == 1 and block.endswith("after\n")
        for document in (block, (folder / "cmp" / "table.md").read_text(encoding="utf-8")):
            page = _parse(MarkdownIt("commonmark").enable("table").render(document))
            assert set(page.tags) <= {"p", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "em"}
            _contains(page, title)
            _contains(page, label)

    check()


def _words(text: str) -> str:
    """``text`` with every run of whitespace and control characters as one space."""
    return " ".join(literal(text).split())


def _contains(page: _Page, text: str) -> None:
    assert _words(text) in _words(" ".join(page.text))


def _check_report(run: Path, title: str, label: str) -> None:
    rendered = _parse(MarkdownIt("commonmark").enable("table").render((run / "report.md").read_text(encoding="utf-8")))
    page = _parse((run / "report.html").read_text(encoding="utf-8"))
    for parsed in (rendered, page):
        assert "script" not in parsed.tags
        assert all(
            href.startswith(("http://", "https://", "#", "figures/", "data:image/png")) for href in parsed.hrefs
        ), parsed.hrefs
        _contains(parsed, title)
        _contains(parsed, label)


def _check_figures(run: Path, title: str) -> None:
    from PIL import Image

    pngs = sorted((run / "figures").glob("*.png"))
    assert pngs
    for png in pngs:
        with Image.open(png) as image:
            assert _words(title) in _words(image.text["Title"])
    svg = gzip.decompress((run / "figures" / "toll.svgz").read_bytes()).decode("utf-8")
    shown = html.unescape(" ".join(re.findall(r">([^<]*)<", svg)))
    assert _words(title) in _words(shown)


def test_a_nasty_title_reaches_every_figure_as_literal_text(tmp_path: Path, write_config):
    """The fast tier's figure check: every nasty string at once (the property test above is slow)."""
    title = " ".join(NASTY)
    config = write_config(_scenario(title, NASTY[0], NASTY[2]))
    run = tmp_path / "run"
    result = runner.invoke(app, ["run", str(config), "--out", str(run), "--report", "-q", "--workers", "2"])
    assert result.exit_code == 0, result.output
    _check_report(run, title, NASTY[0])
    _check_figures(run, title)
