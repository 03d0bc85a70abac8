"""Figures: the functions return Figures with the expected panels, scales and labels; every applicable
figure is drawn for scenarios with and without claims, casualties, several forces or a hazard."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image

from sim.config import load_scenario, parse_scenario
from sim.engine import simulate
from sim.figures import figure_names, write_figures
from sim.plots import (
    draw_figure,
    plot_exceedance,
    plot_forces,
    plot_glance,
    plot_over_time,
    plot_priors,
    plot_ratios,
    plot_toll,
)
from sim.raster import PNG_DPI
from sim.report import resolution, verdict
from sim.results import RunData, load_run, manifest, write_run
from sim.style import POSTERIOR_COLOUR, PRIOR_COLOUR
from sim.summary import summarize

ROOT = Path(__file__).resolve().parent.parent

NO_CLAIMS = """
[scenario]
name = "plain"
title = "One force, no claims, no casualties"
[simulation]
draws = 4_000
seed = 5
[forces.unit]
label = "The unit"
size = { dist = "uniform", low = 900, high = 1_100, units = "soldiers", source = "test" }
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03, units = "fraction killed", source = "test" }
"""

ONE_FORCE = """
[scenario]
name = "single"
title = "One force in two phases with a daily hazard, casualties and a sourced claim"
[simulation]
draws = 4_000
seed = 6
[forces.sappers]
label = "Sappers"
[[forces.sappers.phases]]
start = 2025-08-01
end = 2025-09-15
present = 500
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3], units = "deaths per person-day", source = "test" }
[[forces.sappers.phases]]
start = 2025-09-15
end = 2025-10-30
present = 450
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3], units = "deaths per person-day", source = "test" }
[casualties]
wounded_per_killed = { dist = "lognormal", ci90 = [1.5, 4.0], units = "wounded per killed", source = "test" }
[sources.state]
label = "State media"
reporting_ratio = { dist = "beta", ci90 = [0.3, 0.95], units = "reported / true", source = "test" }
[[claims]]
id = "few"
label = "Five dead"
value = 5
source = "state"
[[claims]]
id = "mid"
label = "Two to eight dead by 1 September"
value = [2, 8]
relation = "between"
date = "2025-09-01"
[[claims]]
id = "many"
label = "At least 200 casualties"
value = 200
relation = "ge"
metric = "casualties"
[inference]
condition_on = ["few"]
"""


def _run(folder: Path, scenario_text: str | None = None, *, draws: int | None = None) -> RunData:
    scenario = (
        parse_scenario(scenario_text, file="test.toml") if scenario_text else load_scenario(ROOT / "configs/kursk.toml")
    )
    result = simulate(scenario, draws=draws, workers=1)
    data = manifest(result, command=["sim", "run", "test"], started=datetime.now(UTC))
    out = write_run(folder / scenario.name, summary=summarize(result), result=result, manifest_data=data)
    return load_run(out)


@pytest.fixture(scope="module")
def kursk(tmp_path_factory: pytest.TempPathFactory) -> RunData:
    return _run(tmp_path_factory.mktemp("kursk"), draws=20_000)


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> RunData:
    return _run(tmp_path_factory.mktemp("single"), ONE_FORCE)


def _log_x(figure: Figure) -> list[str]:
    return [ax.get_xscale() for ax in figure.axes]


def test_toll_has_one_log_panel_per_claim_scope_spanning_every_claim(kursk: RunData) -> None:
    summary = kursk.summary
    figure = plot_toll(summary)
    scopes = list(dict.fromkeys(["killed", *(c.quantity for c in summary.prior.claims)]))
    assert isinstance(figure, Figure)
    assert len(figure.axes) == len(scopes) == 5  # kursk.toml's dated claims each have their own panel
    assert _log_x(figure) == ["log"] * 5
    first = figure.axes[0]
    low, high = first.get_xlim()
    assert low < 9 and high > 6_000, "9 and 6,000 must both be visible"
    assert first.get_xlabel() == "Killed (people, log scale)"
    texts = " ".join(t.get_text() for t in first.texts)
    assert "9: " in texts and "6,000: " in texts and ("percentile" in texts or "est 1 in " in texts)
    assert "0th percentile" not in texts.replace("0.0", "")
    titles = [t.get_text() for t in figure.texts]
    assert summary.title in titles and any("seed" in t and "draws" in t for t in titles)


def test_exceedance_is_log_log_and_reaches_the_claims_estimated_tails(kursk: RunData) -> None:
    summary = kursk.summary
    figure = plot_exceedance(summary)
    assert all(ax.get_xscale() == "log" and ax.get_yscale() == "log" for ax in figure.axes)
    smallest = min(c.above.value for c in summary.prior.claims if c.above.value > 0)
    assert min(ax.get_ylim()[0] for ax in figure.axes) <= smallest
    assert figure.axes[0].get_ylabel() == "Chance that killed ≥ x"
    assert "1 in" in " ".join(t.get_text() for ax in figure.axes for t in ax.texts)


def test_ratios_one_log_panel_per_claim_with_the_truth_marked(kursk: RunData) -> None:
    summary, scenario = kursk.summary, kursk.scenario
    figure = plot_ratios(summary, scenario)
    assert len(figure.axes) == len(summary.prior.claims)
    for ax in figure.axes:
        assert ax.get_xscale() == "log"
        assert ax.get_xlabel() == "Claim ÷ truth (log scale)"
        assert any(list(line.get_xdata()) == [1, 1] for line in ax.lines), "a vertical line at 1"
        low, high = ax.get_xlim()
        assert low < 1 < high
    assert "claim = truth" in figure.axes[0].xaxis.get_major_formatter()(1.0, 0)


def test_forces_priors_and_over_time(kursk: RunData) -> None:
    summary, scenario = kursk.summary, kursk.scenario
    forces = plot_forces(summary, scenario)
    assert [ax.get_title(loc="left") for ax in forces.axes] == ["Killed", "Casualties (killed + wounded + missing)"]
    labels = [t.get_text() for t in forces.axes[0].get_yticklabels()]
    assert labels[0] == "All forces" and len(labels) == 1 + len(scenario.forces)
    priors = plot_priors(summary, scenario)
    uncertain = [p for p in scenario.priors() if not p.is_fixed]
    assert len(priors.axes) == len(uncertain)
    assert all("Source:" in ax.get_xlabel() for ax in priors.axes)
    assert uncertain[0].units in priors.axes[0].get_xlabel().replace("\n", " ")
    over_time = plot_over_time(summary, scenario)  # kursk.toml's combat troops are deployed in phases
    assert over_time.axes and all(ax.lines or ax.collections for ax in over_time.axes)


def test_a_single_panel_draws_into_the_callers_axes(kursk: RunData) -> None:
    from matplotlib.figure import Figure as Blank

    figure = Blank()
    ax = figure.subplots()
    assert plot_toll(kursk.summary, quantity="killed[engineers]", ax=ax) is figure
    assert ax.get_xscale() == "log" and not figure.texts  # no frame on the caller's figure
    with pytest.raises(ValueError, match="quantity="):
        plot_exceedance(kursk.summary, ax=ax)


def test_every_applicable_figure_for_a_run_without_claims_or_casualties(tmp_path: Path) -> None:
    run = _run(tmp_path, NO_CLAIMS)
    assert figure_names(run) == ["toll", "exceedance", "priors"]
    written = write_figures(run)
    assert sorted(p.name for p in written) == sorted(
        f"{name}.{ext}" for name in ("toll", "exceedance", "priors") for ext in ("png", "svgz")
    )
    assert not list((run.path / "figures").glob(".*")), "no temporary files left"
    with Image.open(run.path / "figures" / "toll.png") as image:
        text = image.text
        assert image.info["dpi"][0] == pytest.approx(PNG_DPI, abs=0.1)
    assert text["sim.seed"] == str(run.manifest["seed"]) == "5"
    assert text["sim.draws"] == str(run.manifest["draws"])
    assert text["sim.config_sha256"] == run.manifest["config_sha256"]
    assert text["sim.sim_version"] == run.manifest["sim_version"]
    assert text["Title"].startswith("How many died") and "Description" in text
    svg = gzip.decompress((run.path / "figures" / "toll.svgz").read_bytes()).decode("utf-8")
    assert run.manifest["config_sha256"] in svg and "<dc:date>" not in svg


def test_every_applicable_figure_for_one_force_with_a_hazard(single: RunData) -> None:
    names = figure_names(single)
    assert names == ["glance", "toll", "exceedance", "ratios", "forces", "priors", "over_time"]
    toll = plot_toll(single.summary)
    assert len(toll.axes) == 3  # killed (the claim's scope), killed by 1 September and casualties
    forces = plot_forces(single.summary, single.scenario)
    assert [t.get_text() for t in forces.axes[0].get_yticklabels()] == ["Sappers"]
    for name in names:
        assert isinstance(draw_figure(single, name), Figure), name


def test_over_time_is_a_fan_of_the_engines_timeline_with_the_dated_claims(single: RunData) -> None:
    from sim.plots import timeline_points

    summary = single.summary
    over_time = plot_over_time(summary, single.scenario)
    assert len(over_time.axes) == 2 * 2  # killed and casualties, prior and posterior
    assert over_time.axes[0].get_ylabel() == "Cumulative count (people)"
    points = timeline_points(summary, "prior", "killed")
    assert [day.isoformat() for day, _ in points] == ["2025-08-01", "2025-09-01", "2025-09-15", "2025-10-30"]
    medians = [int(np.searchsorted(np.cumsum(pmf), 0.5)) for _, pmf in points]
    assert medians[0] == 0 and medians == sorted(medians), "the cumulative toll never falls"
    # the last date is the whole toll: its pmf is the total's
    total = summary.pmf("prior", "killed")
    assert np.array_equal(points[-1][1][: total.size], total) and not points[-1][1][total.size :].any()
    # the dated claim is drawn at its date as a range
    lines = [line for ax in over_time.axes[:1] for line in ax.get_lines() if line.get_marker() == "o"]
    assert lines and lines[0].get_ydata()[0] == 5


def test_run_without_plots_never_imports_matplotlib(tmp_path: Path) -> None:
    config = tmp_path / "plain.toml"
    config.write_text(NO_CLAIMS)
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom sim.cli import app\n"
        f"result = CliRunner().invoke(app, ['run', {str(config)!r}, '--no-plots', '--workers', '1', "
        f"'--results', {str(tmp_path / 'results')!r}, '--quiet'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert not [m for m in sys.modules if m.startswith('matplotlib')], 'matplotlib was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, timeout=120)
    assert not (tmp_path / "results" / "plain" / "latest" / "figures").exists()


def test_exceedance_curves_stop_at_the_resolution_and_a_claim_below_is_a_line_only(kursk: RunData) -> None:
    """Each curve ends at 3 / ESS, where the tables start saying "below resolution"; the whole-deployment
    "nine" sits below the distribution, so it gets no point on this P(T ≥ x) axis and its label names P(T ≤ 9)."""
    summary = kursk.summary
    panel = plot_exceedance(summary).axes[0]  # killed, all forces
    floors = {PRIOR_COLOUR: resolution(summary.prior), POSTERIOR_COLOUR: resolution(summary.posterior)}
    curves = [line for line in panel.lines if line.get_drawstyle() == "steps-post"]
    assert len(curves) == 2
    for line in curves:
        assert min(line.get_ydata()) >= floors[line.get_color()]
    points = [line.get_xdata()[0] for line in panel.lines if len(line.get_xdata()) == 1 and line.get_marker() != "|"]
    assert 6_000 in points and 9 not in points
    label = " ".join(t.get_text() for t in panel.texts)
    assert re.search(r"P\(killed ≤ 9\)( = | < )", label) and "P(killed ≥ 6,000) = " in label  # a bound: "<"


def test_the_glance_figure_gives_every_claim_a_row_and_its_verdict(kursk: RunData) -> None:
    summary = kursk.summary
    figure = plot_glance(summary)
    ax = figure.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert len(rows) == len(summary.prior.claims)
    notes = [t.get_text().replace("\n", " ") for t in ax.texts]
    for claim, row, note in zip(summary.prior.claims, rows, notes, strict=True):
        assert row.replace("\n", " ").startswith(claim.label)  # wrapped, never cut
        assert note.startswith(verdict(claim))
    assert notes[0].startswith("far below any plausible value")  # Kim's nine as the whole deployment's dead


def test_priors_draw_the_posterior_of_each_conditioned_sources_ratio(kursk: RunData) -> None:
    """The posterior histogram of a conditioned source's ratio agrees with the ratio's posterior median."""
    summary = kursk.summary
    claim = next(c for c in summary.posterior.claims if c.id == "kim_nine_528th")  # KCNA: its ratio is its own
    path = "sources.kcna.reporting_ratio"
    counts = summary.distributions[f"posterior_input/{path}/counts"]
    edges = summary.distributions[f"posterior_input/{path}/edges"]
    assert np.all(np.diff(edges) >= 0) and counts.size == edges.size - 1
    cumulative = np.concatenate([[0.0], np.cumsum(counts)]) / counts.sum()
    median = float(np.interp(0.5, cumulative, edges))
    assert median == pytest.approx(claim.ratio_posterior.median.value, rel=0.02)
    panel = next(ax for ax in plot_priors(summary, kursk.scenario).axes if "KCNA" in ax.get_title(loc="left"))
    assert any(patch.get_edgecolor()[:3] == to_rgb(POSTERIOR_COLOUR) for patch in panel.patches)


@pytest.mark.parametrize("width", [4.0, 6.5, 14.0])
def test_a_long_footer_is_shortened_to_the_figure_width_with_an_ellipsis(width: float) -> None:
    """Provenance that would run past the right edge (many conditioned claims) ends in ' …' inside the figure."""
    from sim.style import frame, new_figure

    footer = "sim 0.1.0 · scenario kursk · seed 1 · 1,000,000 draws · conditioned on " + ", ".join(
        f"a_rather_long_claim_id_{i}" for i in range(12)
    )
    figure, _ = new_figure(width, 3.0)
    frame(figure, title="Title", subtitle="Subtitle", footer=footer)
    figure.canvas.draw()
    text = next(t for t in figure.texts if t.get_text().startswith("sim 0.1.0"))
    assert text.get_text().endswith(" …") and len(text.get_text()) < len(footer)
    assert text.get_window_extent().x1 <= figure.bbox.width


def test_every_text_of_every_figure_prints_at_7_points_or_more(kursk: RunData) -> None:
    """Figures are at most PRINT_WIDTH wide and the report prints them at their own size (never shrunk to a page),
    so a text's printed size on A4 or Letter is its font size: none under SMALLEST_FONT (the priors' sources were
    6.5 pt drawn and ~5.7 pt printed)."""
    from matplotlib.text import Text

    from sim.style import PRINT_WIDTH, SMALLEST_FONT

    assert SMALLEST_FONT >= 7 and PRINT_WIDTH <= (210 - 2 * 14) / 25.4  # A4's text width at the report's margins
    for name in figure_names(kursk):
        figure = draw_figure(kursk, name)
        assert figure.get_figwidth() <= PRINT_WIDTH + 1e-9, name
        small = {
            (text.get_text()[:30], text.get_fontsize())
            for text in figure.findobj(Text)
            if text.get_visible() and text.get_text().strip() and text.get_fontsize() < SMALLEST_FONT
        }
        assert small == set(), name
