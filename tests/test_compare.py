"""`sim compare`: shared-claim logic, configs and run folders side by side, outputs, the figure, bad inputs."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.compare import (
    MARKERS,
    CompareError,
    build_comparison,
    compare_paths,
    load_entry,
    splice_markdown,
    to_csv,
    to_json,
    to_markdown,
)
from sim.config import load_scenario
from sim.engine import simulate
from sim.results import manifest, write_run
from sim.summary import summarize

runner = CliRunner()

FORCE = """
[simulation]
draws = 4_000
seed = 7
[forces.unit]
label = "The unit"
size = {{ dist = "integer_uniform", low = 900, high = 1_100, units = "people", source = "test" }}
fatality_rate = {{ dist = "beta", mean = {rate}, sd = 0.02, units = "fraction", source = "test" }}
[sources.office]
reporting_ratio = {{ dist = "beta", mean = 0.7, sd = 0.1, units = "ratio", source = "test" }}
[[claims]]
id = "hundred"
label = "About a hundred dead"
value = 100
relation = "eq"
rounding = 50
source = "office"
"""
"""Both scenarios: one force at a fatality rate of ``rate``, and the claim they share."""

ALPHA = (
    '[scenario]\nname = "alpha"\ntitle = "Alpha"\n'
    + FORCE.format(rate=0.1)
    + """
[[claims]]
id = "alpha_only"
label = "At least 50 dead"
value = 50
relation = "ge"
"""
)

BETA = (
    '[scenario]\nname = "beta"\ntitle = "Beta"\n'
    + FORCE.format(rate=0.15)
    + """
[[claims]]
id = "beta_only"
label = "At most 300 dead"
value = 300
relation = "le"
[inference]
condition_on = ["hundred"]
"""
)


@pytest.fixture
def configs(write_config):
    return write_config(ALPHA, "alpha.toml"), write_config(BETA, "beta.toml")


@pytest.fixture
def comparison(configs):
    return compare_paths(configs, workers=1)


def test_shared_claims_are_grouped_and_the_rest_listed_per_scenario(comparison):
    assert [entry.name for entry in comparison.entries] == ["alpha", "beta"]
    assert [group.id for group in comparison.shared] == ["hundred"]
    assert [row.entry for row in comparison.shared[0].rows] == ["alpha", "beta"]
    assert [(group.id, group.rows[0].entry) for group in comparison.unshared] == [
        ("alpha_only", "alpha"),
        ("beta_only", "beta"),
    ]


def test_posterior_only_where_the_scenario_conditions(comparison):
    alpha, beta = comparison.shared[0].rows
    assert alpha.posterior is None and not alpha.prior.conditioned
    assert beta.posterior is not None and beta.posterior.conditioned
    assert [entry.shown for entry in comparison.entries] == ["prior", "posterior"]
    assert comparison.entries[1].toll("posterior").median.value != comparison.entries[1].toll("prior").median.value


def test_claim_statistics_are_each_scenarios_own(comparison, configs):
    alpha_claim = comparison.shared[0].rows[0].prior
    own = load_entry(configs[0], workers=1).summary.prior.claims[0]
    assert alpha_claim == own


def test_what_a_scenario_conditions_on_is_said_by_the_claims_labels(comparison):
    toll = to_markdown(comparison).split("**Claims shared")[0]
    beta = next(line for line in toll.splitlines() if line.startswith("| beta"))
    assert "About a hundred dead" in beta and "hundred |" not in beta.replace("a hundred dead", "")


def test_markdown_csv_and_json_agree(comparison):
    markdown = to_markdown(comparison)
    assert "**Claims shared by two or more scenarios**" in markdown
    assert "About a hundred dead" in markdown and "beta \\*" in markdown  # the conditioned-on mark, escaped
    assert markdown.index("At least 50 dead") > markdown.index("**Claims in one scenario only**")
    rows = list(csv.DictReader(io.StringIO(to_csv(comparison))))
    medians = {(r["scenario"], r["side"]): float(r["value"]) for r in rows if r["statistic"] == "median"}
    assert medians[("beta", "posterior")] == comparison.entries[1].toll("posterior").median.value
    shared = {r["name"]: r["shared"] for r in rows if r["section"] == "claim"}
    assert shared == {"hundred": "true", "alpha_only": "false", "beta_only": "false"}
    data = json.loads(to_json(comparison))
    assert [s["name"] for s in data["scenarios"]] == ["alpha", "beta"]
    assert [c["id"] for c in data["claims"] if c["shared"]] == ["hundred"]
    assert data["scenarios"][0]["toll"].keys() == {"prior"}


def test_a_config_beside_its_own_run_folder(configs, tmp_path):
    result = simulate(load_scenario(configs[1]), workers=1)
    started = datetime.now(UTC)
    run = write_run(
        tmp_path / "run",
        summary=summarize(result),
        result=result,
        manifest_data=manifest(result, command=["test"], started=started),
    )
    comparison = compare_paths([configs[1], run], workers=1)
    config_entry, run_entry = comparison.entries
    assert (config_entry.name, run_entry.name) == ("beta#1", "beta#2")
    assert (config_entry.kind, run_entry.kind) == ("config", "run")
    assert config_entry.toll("posterior") == run_entry.toll("posterior")
    assert {group.id for group in comparison.shared} == {"hundred", "beta_only"}


def test_fewer_than_two_inputs_are_refused(configs):
    with pytest.raises(CompareError, match="two or more"):
        build_comparison([load_entry(configs[0], workers=1)])


def test_splice_markdown_replaces_only_the_block():
    start, end = MARKERS
    document = f"# Title\n\nbefore\n{start}\nold table\n{end}\nafter\n"
    spliced = splice_markdown(document, "new table\n")
    assert spliced == f"# Title\n\nbefore\n{start}\nnew table\n{end}\nafter\n"
    assert splice_markdown(spliced, "new table\n") == spliced
    with pytest.raises(CompareError):
        splice_markdown("# no markers\n", "x")
    with pytest.raises(CompareError):
        splice_markdown(f"{end}\n{start}\n", "x")


def test_cli_writes_tables_figure_and_readme(configs, tmp_path):
    out = tmp_path / "out"
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{MARKERS[0]}\n{MARKERS[1]}\nrest\n")
    args = ["compare", *map(str, configs), "--out", str(out), "--draws", "3000", "--workers", "1"]
    result = runner.invoke(app, [*args, "--readme", str(readme)])
    assert result.exit_code == 0, result.output
    names = {"table.md", "table.csv", "table.json", "toll.png", "toll.svg"}
    assert {path.name for path in out.iterdir()} == names
    table = (out / "table.md").read_text()
    assert table.rstrip("\n") in readme.read_text()
    assert "3,000 draws" in table
    assert "Claims shared by two or more scenarios" in result.output


def test_the_figure_labels_do_not_overlap(comparison):
    from sim.plots_compare import plot_comparison

    figure = plot_comparison(comparison)
    figure.draw_without_rendering()
    ax = figure.axes[0]
    boxes = [text.get_window_extent() for text in ax.texts if text.get_rotation() == 90]
    assert len(boxes) == 3  # 50, 100 and 300 killed
    for index, box in enumerate(boxes):
        assert ax.get_window_extent().contains(box.x0, box.y0) and ax.get_window_extent().contains(box.x1, box.y1)
        assert not any(box.overlaps(other) for other in boxes[index + 1 :])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{alpha}"], "two or more"),
        (["{alpha}", "{missing}"], "no such scenario file or run folder"),
        (["{alpha}", "{folder}"], "not a complete run folder"),
        (["{alpha}", "{bad}"], "bad.toml"),
        (["{alpha}", "{beta}", "--draws", "0"], "--draws"),
        (["{alpha}", "{beta}", "--readme", "{alpha}"], "compare:start"),
        (["{alpha}", "{beta}", "--set", "nonsense"], "PATH=VALUE"),
        (["{alpha}", "{beta}", "--set", "forces.nope.size=3"], "forces.nope.size: no such parameter"),
    ],
)
def test_bad_inputs_exit_2(configs, write_config, tmp_path, args, message):
    paths = {
        "alpha": configs[0],
        "beta": configs[1],
        "missing": tmp_path / "missing.toml",
        "folder": tmp_path,
        "bad": write_config("[forces.unit]\nsize = 10\n", "bad.toml"),
    }
    result = runner.invoke(app, ["compare", *(arg.format(**paths) for arg in args), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_contradictory_claims_exit_1(configs, write_config, tmp_path):
    no_dead = '[scenario]\nname = "gamma"\n' + FORCE.format(rate=0.1)
    no_dead += '[[claims]]\nid = "none"\nvalue = 0\n[inference]\ncondition_on = ["none"]\n'
    gamma = write_config(no_dead, "gamma.toml")
    result = runner.invoke(app, ["compare", str(configs[0]), str(gamma), "--workers", "1", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "gamma.toml" in result.output


def test_a_corrupt_run_folder_exits_2(configs, tmp_path):
    result = simulate(load_scenario(configs[0]), workers=1)
    manifest_data = manifest(result, command=["test"], started=datetime.now(UTC))
    run = write_run(tmp_path / "run", summary=summarize(result), result=result, manifest_data=manifest_data)
    (run / "summary.json").write_text("{ not json")
    outcome = runner.invoke(app, ["compare", str(configs[0]), str(run), "--out", str(tmp_path / "o")])
    assert outcome.exit_code == 2, outcome.output
    assert "cannot read the run folder" in outcome.output


def test_set_applies_to_every_scenario_file_as_in_sim_run(configs, tmp_path):
    from sim.keypaths import with_settings

    settings = (("forces.unit.fatality_rate", 0.3), ("simulation.draws", 2_000))
    comparison = compare_paths(configs, workers=1, settings=settings)
    for entry, config in zip(comparison.entries, configs, strict=True):
        alone = summarize(simulate(with_settings(load_scenario(config), settings), workers=1))
        assert entry.toll("prior") == next(d for d in alone.prior.quantities if d.name == "killed")
        assert 250 <= entry.toll("prior").median.value <= 350  # the pinned rate 0.3 of ~1,000
    args = ["compare", *map(str, configs), "--set", "forces.unit.fatality_rate=0.3", "--workers", "1", "--json"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scenarios"][0]["toll"]["prior"]["median"] == pytest.approx(
        comparison.entries[0].toll("prior").median.value, rel=0.05
    )


def test_set_is_refused_with_a_run_folder(configs, tmp_path):
    result = simulate(load_scenario(configs[0]), workers=1)
    manifest_data = manifest(result, command=["test"], started=datetime.now(UTC))
    run = write_run(tmp_path / "run", summary=summarize(result), result=result, manifest_data=manifest_data)
    args = ["compare", str(configs[1]), str(run), "--set", "forces.unit.fatality_rate=0.3", "--out", str(tmp_path)]
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == 2, outcome.output
    assert "--set applies to scenario files only" in outcome.output


def test_the_figure_says_whom_each_toll_counts_and_draws_no_casualties_on_the_killed_axis():
    """kursk counts two forces, kursk_engineers one regiment; the UK DI casualties claim is listed, not drawn."""
    from sim.plots_compare import plot_comparison

    root = Path(__file__).resolve().parent.parent / "configs"
    comparison = compare_paths([root / "kursk.toml", root / "kursk_engineers.toml"], draws=20_000, workers=1)
    ax = plot_comparison(comparison).axes[0]
    labels = [text.get_text().replace("\n", " ") for text in ax.texts if text.get_rotation() == 90]
    assert labels and not any("casualties" in label for label in labels)
    nine = next(label for label in labels if label.startswith("9 killed"))
    assert "— whole deployment" in nine and "— 528th Engineer Regiment" in nine
    note = ax.get_xlabel().replace("\n", " ")
    assert "the scopes differ" in note and "kursk_engineers, 528th Engineer Regiment" in note
    assert "Not drawn" in note and "UK DI" in note
