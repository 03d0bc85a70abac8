"""Reports: self-contained HTML that parses and links only to the scenario's citations, Markdown with the
same content, claim sentences generated from the numbers, the CLI's report and plots options."""

from __future__ import annotations

import html
import io
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config import Scenario, load_scenario, parse_scenario
from sim.engine import simulate
from sim.raster import display_slices
from sim.report import Items, claim_sentence, percentile_text, ratio_sentence, render_run, report_blocks
from sim.results import ResultsError, RunData, load_run, manifest, write_run
from sim.storage import MARKER
from sim.summary import Interval, Probability, summarize
from sim.text import format_probability, format_ratio

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

TINY = """
[scenario]
name = "tiny"
title = "A tiny scenario <with> markup & quotes"
description = "Text with <b>tags</b> that must be escaped."
[simulation]
draws = 3_000
seed = 3
[forces.unit]
label = "The unit"
size = 1000
[forces.unit.fatality_rate]
dist = "beta"
mean = 0.1
sd = 0.03
units = "fraction"
source = "test"
url = "https://example.org/rate"
[[claims]]
id = "nine"
label = "Nine dead"
value = 9
url = "https://example.org/nine"
"""


TWO_FORCES = """
[scenario]
name = "two"
title = "Two forces: one in combat, one clearing mines"
[simulation]
draws = 4_000
seed = 11
[forces.line]
label = "Line troops"
size = { dist = "uniform", low = 4_000, high = 6_000, units = "soldiers", source = "MoD", url = "https://ex.org/a" }
fatality_rate = { dist = "beta", ci90 = [0.02, 0.1], units = "fraction killed", source = "estimates" }
[forces.sappers]
label = "Sappers"
[[forces.sappers.phases]]
start = 2025-08-01
end = 2025-09-20
present = 400
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3], units = "deaths per person-day", source = "demining" }
[[forces.sappers.phases]]
start = 2025-09-20
end = 2025-11-09
present = 350
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3], units = "deaths per person-day", source = "demining" }
[casualties]
wounded_per_killed = { dist = "lognormal", ci90 = [1.5, 5.0], units = "wounded per killed", source = "base rates" }
[sources.state]
label = "State media"
url = "https://example.org/state"
reporting_ratio = { dist = "beta", ci90 = [0.3, 0.95], units = "reported / true", source = "judgement" }
[[claims]]
id = "few"
label = "Five sappers dead"
value = 5
scope = ["sappers"]
source = "state"
url = "https://example.org/few"
[[claims]]
id = "many"
label = "At least 1,000 dead"
value = 1_000
relation = "ge"
[inference]
condition_on = ["few"]
"""


class _Links(HTMLParser):
    """Every src and href, and every tag, of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [(name, value or "") for name, value in attrs if name in ("src", "href")]


@pytest.fixture(scope="module")
def kursk(tmp_path_factory: pytest.TempPathFactory) -> RunData:
    """The Kursk scenario at 20,000 draws (no figures: its sentences are what is tested)."""
    return _run(load_scenario(ROOT / "configs/kursk.toml"), tmp_path_factory.mktemp("kursk"), draws=20_000)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> RunData:
    """A small two-force scenario with every figure and the report, written the way sim run --report does."""
    return _run(parse_scenario(TWO_FORCES, file="two.toml"), tmp_path_factory.mktemp("drawn"), decorate=render_run)


def _run(scenario: Scenario, folder: Path, *, draws: int | None = None, decorate=None) -> RunData:
    result = simulate(scenario, draws=draws, workers=1)
    data = manifest(result, command=["sim", "run", "two.toml", "--report"], started=datetime.now(UTC))
    out = folder / scenario.name
    write_run(out, summary=summarize(result), result=result, manifest_data=data, decorate=decorate)
    return load_run(out)


def _citations(run: RunData) -> set[str]:
    scenario = run.scenario
    urls = {p.url for p in scenario.priors()} | {c.url for c in scenario.claims} | {s.url for s in scenario.sources}
    return {url for url in urls if url}


def test_html_is_one_self_contained_page_linking_only_to_citations(drawn: RunData) -> None:
    page = (drawn.path / "report.html").read_text()
    parser = _Links()
    parser.feed(page)
    parser.close()
    assert {"script", "link", "iframe", "object"}.isdisjoint(parser.tags)
    sources = [value for name, value in parser.links if name == "src"]
    assert parser.tags.count("figure") == 7 and len(sources) >= 7  # tall figures come in bands (display_slices)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    hrefs = {value for name, value in parser.links if name == "href"}
    external = {href for href in hrefs if not href.startswith("#")}
    assert external and external <= _citations(drawn)
    assert "@import" not in page and "url(" not in page and "<style>" in page and "@media print" in page
    order = ("The claims in plain words", "Claims in numbers", "Figures", "Method", "Priors", "Results", "Provenance")
    places = [page.find(f">{block}</h") for block in order]
    assert -1 not in places and places == sorted(places), "verdicts first, then figures, then method and tables"
    assert places[0] < page.find('id="figure-glance"') < places[1], "the verdicts at a glance, at the top"
    assert drawn.manifest["config_sha256"] in page and f"{drawn.manifest['seed']}" in page
    assert "sim run two.toml --report" in page


def test_markdown_has_the_same_content_with_figures_beside_it(drawn: RunData) -> None:
    text = (drawn.path / "report.md").read_text()
    assert text.startswith(f"# {drawn.summary.title}")
    for name in ("glance", "toll", "exceedance", "ratios", "forces", "priors", "over_time"):
        assert f"](figures/{name}.png)" in text
        assert (drawn.path / "figures" / f"{name}.png").is_file()
    assert "| Input | Prior | Median | 90% interval | Units | Source |" in text
    assert "every phase's start and end" in text  # the over-time caption says where its bands come from
    for claim in drawn.summary.prior.claims:
        assert f"- {claim.label}: The figure of " in text


def test_text_from_the_scenario_is_escaped(tmp_path: Path, write_config) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            str(write_config(TINY)),
            "--out",
            str(tmp_path / "run"),
            "--workers",
            "1",
            "--no-plots",
            "--report",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "run" / "report.html").read_text()
    assert "<b>tags</b>" not in page and "&lt;b&gt;tags&lt;/b&gt;" in page
    assert "&lt;with&gt; markup &amp; quotes" in page
    parser = _Links()
    parser.feed(page)
    assert {v for n, v in parser.links if n == "href" and not v.startswith("#")} == {
        "https://example.org/rate",
        "https://example.org/nine",
    }
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "\\<b\\>tags\\</b\\>" in markdown


def test_a_figure_is_cut_into_bands_only_across_blank_rows(tmp_path: Path) -> None:
    """Two panels with a white gap between them, saved at 200 dpi: shown at 100 dpi, cut in the middle of the gap
    (rows 150–250 of 500: at 200), never through a drawing, never into a band under SLICE_INCHES (120 rows)."""
    from PIL import Image, ImageDraw

    path = tmp_path / "figure.png"
    image = Image.new("RGB", (1400, 1000), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 0, 1300, 299), fill="black")
    draw.rectangle((100, 500, 1300, 999), fill="black")
    draw.rectangle((100, 380, 1300, 381), fill="white")  # a blank line inside the gap changes nothing
    image.save(path, dpi=(200, 200))
    bands = [Image.open(io.BytesIO(band)).convert("L") for band in display_slices(path)]
    assert [band.size for band in bands] == [(700, 200), (700, 300)]
    assert all(min(band.crop((0, 0, 700, 1)).getextrema()) >= 250 for band in bands[1:])  # cut across white
    draw.rectangle((100, 0, 1300, 99), fill="white")  # now the first panel is 100 rows at 100 dpi: a gap too high
    draw.rectangle((100, 100, 1300, 1000), fill="black")
    image.save(path, dpi=(200, 200))
    assert len(display_slices(path)) == 1


def test_claim_sentences_follow_the_numbers(kursk: RunData) -> None:
    scenario = kursk.scenario
    claim = next(c for c in kursk.summary.prior.claims if c.id == "kim_nine_total")

    def sentence(percentile: float, ratio: float) -> str:
        changed = replace(
            claim,
            percentile=Probability(percentile, 0.0, "conditional"),
            implied_ratio_median=ratio,
            implied_ratio=Interval(0.95, ratio / 2, ratio * 2, 0.0, 0.0),
        )
        return claim_sentence(changed, scenario=scenario)

    original = claim_sentence(claim, scenario=scenario)
    assert "far below any plausible value" in original and "counting only" in original
    assert "0th percentile" not in original.replace("0.0", "")
    assert sentence(1.0, 0.004).count("implausibly low") == 1
    assert "is consistent with" in sentence(50.0, 1.0) and "close to the truth" in sentence(50.0, 1.0)
    assert "but would mean counting only 40%" in sentence(40.0, 0.4)
    assert "is implausibly high" in sentence(99.0, 5.0) and "overstating them 5-fold" in sentence(99.0, 5.0)
    assert sentence(37.0, 1.0) != sentence(38.0, 1.0)
    assert "37.0th percentile" in sentence(37.0, 1.0)


def test_ratio_claims_are_said_in_plain_words_from_their_numbers(kursk: RunData) -> None:
    """UK DI's "about a third killed": verdict from its percentile, the ratio's median and 95% interval and the
    reading's probability as the summary has them; after conditioning on it, held to its reading (not a
    probability of 1 said as news); the report lists it with the other claims."""
    summary, scenario = kursk.summary, kursk.scenario
    prior, posterior = summary.prior.ratio_claims[0], summary.posterior.ratio_claims[0]
    text = ratio_sentence(prior, scenario=scenario, posterior=posterior, conditioned=len(summary.condition_on))
    widest = prior.ratio.eti[-1]
    assert text.startswith(
        "The figure of “approximately a third of the casualties killed in action” (read as 0.29–0.37)"
    )
    assert 10 <= prior.percentile.value <= 90 and "is consistent with the ratio killed in action ÷ casualties" in text
    assert "by 28 Mar 2025" in text and f"({percentile_text(prior)})" in text
    assert f"median {format_ratio(prior.ratio.median.value)} (95%: {format_ratio(widest.low)}–" in text
    assert f"the reading 0.29–0.37 has probability {format_probability(prior.probability)}" in text
    assert posterior.conditioned and "this one among them" in text and "held to the reading 0.29–0.37" in text
    assert text.count("has probability") == 1 + (posterior.loo is not None)

    def sentence(percentile: float) -> str:
        return ratio_sentence(replace(prior, percentile=Probability(percentile, 0.0, "conditional")), scenario=scenario)

    assert "is far above any plausible value of the ratio" in sentence(99.95)
    assert "is implausibly low for the ratio" in sentence(1.0) and "consistent" not in sentence(1.0)
    assert "is consistent with the ratio" in sentence(50.0)
    listed = next(block for block in report_blocks(kursk, {}) if isinstance(block, Items))
    assert (f"{prior.label}: ", text) in listed.items


def test_sentences_quote_the_source_and_the_posterior(kursk: RunData) -> None:
    summary = kursk.summary
    index = next(i for i, c in enumerate(summary.prior.claims) if c.id == "kim_nine_528th")
    prior, posterior = summary.prior.claims[index], summary.posterior.claims[index]
    text = claim_sentence(prior, scenario=kursk.scenario, posterior=posterior, conditioned=3)
    assert text.startswith(
        "The figure of “the heartrending loss of nine lives” (read as 9 dead) from KCNA / Kim Jong Un "
    )
    assert "Given the other conditioned claims, its reading has probability" in text
    assert "Given the reporting bias assumed for KCNA / Kim Jong Un" in text
    assert f"After conditioning on 3 claims, it sits at the {percentile_text(posterior)}" in text
    assert "reporting ratio is estimated at" in text


def test_run_writes_figures_by_default_and_the_report_on_request(tmp_path: Path, write_config) -> None:
    config = write_config(TINY)
    plain = runner.invoke(app, ["run", str(config), "--out", str(tmp_path / "a"), "--workers", "1", "-q"])
    assert plain.exit_code == 0, plain.output
    assert (tmp_path / "a" / "figures" / "toll.png").is_file() and not (tmp_path / "a" / "report.html").exists()
    redo = runner.invoke(app, ["report", str(tmp_path / "a"), "--no-plots"])  # uses the figures already there
    assert redo.exit_code == 0, redo.output
    assert str(tmp_path / "a" / "report.html") in redo.output
    assert "](figures/toll.png)" in (tmp_path / "a" / "report.md").read_text()
    assert [p.name for p in (tmp_path / "a").rglob(".*")] == [MARKER], "no temporary files left"
    bare = runner.invoke(app, ["run", str(config), "--out", str(tmp_path / "b"), "--no-plots", "--report", "-q"])
    assert bare.exit_code == 0, bare.output
    assert not (tmp_path / "b" / "figures").exists()
    assert "No figures were drawn" in (tmp_path / "b" / "report.md").read_text()


def test_report_through_latest_and_for_a_missing_folder(tmp_path: Path, write_config) -> None:
    results = tmp_path / "results"
    ran = runner.invoke(app, ["run", str(write_config(TINY)), "--results", str(results), "--no-plots", "-q"])
    assert ran.exit_code == 0, ran.output
    done = runner.invoke(app, ["report", str(results / "tiny" / "latest"), "--no-plots"])
    assert done.exit_code == 0, done.output
    assert (results / "tiny" / "latest" / "report.html").is_file()
    missing = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "not a complete run folder" in missing.output
    with pytest.raises(ResultsError):
        render_run(tmp_path / "nowhere")


def test_a_failing_decoration_leaves_no_run_folder(tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "configs/kursk.toml")
    result = simulate(scenario, draws=2_000, workers=1)
    data = manifest(result, command=["sim"], started=datetime.now(UTC))

    def broken(folder: Path) -> None:
        (folder / "figures").mkdir()
        raise RuntimeError("drawing failed")

    with pytest.raises(RuntimeError, match="drawing failed"):
        write_run(tmp_path / "run", summary=summarize(result), result=result, manifest_data=data, decorate=broken)
    assert list(tmp_path.iterdir()) == []


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
MEASURE = """<script>
addEventListener("load", () => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll("body *")].filter((e) => {
    const scrolls = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible";
    return scrolls || e.getBoundingClientRect().right > root.clientWidth + 1;
  });
  const out = document.createElement("pre");
  out.id = "sim-measure";
  out.textContent = JSON.stringify({
    width: innerWidth,
    overflow: root.scrollWidth - root.clientWidth,
    wide: wide.map((e) => `${e.tagName} ${e.className} ${e.textContent.slice(0, 40)}`),
    images: [...document.images].map((i) => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0),
    figures: document.querySelectorAll("figure").length,
  });
  document.body.append(out);
});
</script>"""
PAGE_SIZES = {"letter": (612, 792), "A4": (595, 842)}  # PDF points
TEXT_AREA = {"letter": (8.5 * 25.4 - 28, 11 * 25.4 - 30), "A4": (210 - 28, 297 - 30)}
"""Millimetres of each paper inside the report's @page margins (14 mm at the sides, 14 mm top, 16 mm bottom)."""
PAGES_LOST = 1
"""Printed pages the report may lose to page breaks: its printed pages are at most its content's height (the print
style laid out on one endless page of the paper's text width, measured by Chromium) in pages, rounded up, plus
this. The figures print at their own size in bands cut between rows of panels and the tables break between rows,
so a break leaves at most a band or a row's height blank; the two-force report measured 6.6 pages of content and
8 printed pages on Letter, 6.2 and 7 on A4 (Debian 12's Chromium 150). A figure shrunk to a page, a table that could
not break or a page break before each figure (the old layout: half-empty pages) fails it."""
HEIGHT = """<script>
addEventListener("load", () => {
  const out = document.createElement("pre");
  out.id = "sim-measure";
  out.textContent = JSON.stringify({height: document.documentElement.scrollHeight});
  document.body.append(out);
});
</script>"""


def _chromium() -> str:
    """Chromium's path; a skip on a developer's machine without it, a failure in CI (CI=true)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium on PATH (.ci/run installs Debian's chromium)")
        pytest.skip("no chromium on PATH to render the report (apt-get install chromium)")
    return found


def _browse(page: Path, folder: Path, *options: str) -> str:
    """Run headless Chromium on ``page`` with a fresh profile; return its standard output."""
    profile = folder / f"profile-{len(list(folder.glob('profile-*')))}"
    done = subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *options, page.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout


def _pdf_pages(path: Path) -> list[tuple[int, int]]:
    """The size in points of each page of a PDF written by Chromium (uncompressed page objects)."""
    data = path.read_bytes()
    pages = re.findall(rb"/Type\s*/Page\b", data)
    boxes = [tuple(round(float(x)) for x in box.split()[2:]) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)]
    assert len(boxes) == len(pages), "a page without its own MediaBox"
    return boxes


@pytest.mark.parametrize("width", [800, 1280])
def test_chromium_shows_the_report_without_sideways_scrolling(drawn: RunData, tmp_path: Path, width: int) -> None:
    page = tmp_path / "report.html"
    text = (drawn.path / "report.html").read_text()  # nothing beside the copy: inline figures must still show
    page.write_text(text.replace("</body>", MEASURE + "</body>"))
    dom = _browse(page, tmp_path, f"--window-size={width},1000", "--virtual-time-budget=10000", "--dump-dom")
    found = re.search(r'<pre id="sim-measure">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-500:]
    measured = json.loads(html.unescape(found.group(1)))
    assert measured["width"] == width
    assert measured["overflow"] <= 0 and measured["wide"] == [], measured
    figures = len(list((drawn.path / "figures").glob("*.png")))
    assert measured["figures"] == figures and all(measured["images"]), measured


@pytest.mark.parametrize("paper", ["letter", "A4"])
def test_chromium_prints_the_report_within_its_page_budget(drawn: RunData, tmp_path: Path, paper: str) -> None:
    page, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    text = (drawn.path / "report.html").read_text()
    page.write_text(text if paper == "letter" else text.replace("</style>", "@page { size: A4; }</style>", 1))
    _browse(page, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    sizes = _pdf_pages(pdf)
    assert set(sizes) == {PAGE_SIZES[paper]}
    width, height = TEXT_AREA[paper]
    endless = tmp_path / "endless.html"
    styled = text.replace("@media print {", "@media all {").replace("</style>", f"body {{ width: {width}mm; }}</style>")
    endless.write_text(styled.replace("</body>", HEIGHT + "</body>"))
    dom = _browse(endless, tmp_path, "--window-size=1200,1000", "--virtual-time-budget=10000", "--dump-dom")
    found = re.search(r'<pre id="sim-measure">(.*?)</pre>', dom, re.DOTALL)
    assert found, dom[-500:]
    content = json.loads(html.unescape(found.group(1)))["height"] / 96 * 25.4 / height  # CSS px: 96 an inch
    assert 3 <= content <= len(sizes) <= math.ceil(content) + PAGES_LOST, f"{len(sizes)} pages for {content:.2f}"
