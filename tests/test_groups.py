"""Named groups of forces: a claim's scope by name, and shown by name in tables, report and compare."""

from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from sim.cli import app
from sim.config import parse_scenario
from sim.display import print_summary
from sim.engine import simulate
from sim.model import quantities_of
from sim.summary import summarize

FORCES = "".join(
    f'[forces.p{i}]\nlabel = "Period {i}"\nsize = {1000 * i}\nfatality_rate = {{ dist = "beta", ci90 = [0.05, 0.2] }}\n'
    for i in (1, 2, 3)
)
GROUPS = '[groups]\nearly = ["p2", "p1"]\nlate = { label = "The last period", forces = ["p3"] }\n'
CLAIM = '[[claims]]\nid = "early_300"\nvalue = 300\nrelation = "ge"\nscope = {scope}\n'
SCENARIO = f'[scenario]\nname = "war"\n[simulation]\ndraws = 20_000\nseed = 3\n{FORCES}{GROUPS}'


def test_a_group_in_a_scope_stands_for_its_forces_in_force_order():
    scenario = parse_scenario(SCENARIO + CLAIM.format(scope='"early"'))
    assert scenario.claims[0].scope == ("p1", "p2")
    assert [(g.id, g.label, g.forces) for g in scenario.groups] == [
        ("early", "early", ("p1", "p2")),
        ("late", "The last period", ("p3",)),
    ]
    mixed = parse_scenario(SCENARIO + CLAIM.format(scope='["early", "p3"]'))
    assert mixed.claims[0].scope == ("p1", "p2", "p3")


def test_a_group_gives_the_same_numbers_as_its_forces_listed():
    by_name = summarize(simulate(parse_scenario(SCENARIO + CLAIM.format(scope='"early"')), workers=1))
    listed = summarize(simulate(parse_scenario(SCENARIO + CLAIM.format(scope='["p1", "p2"]')), workers=1))
    assert by_name.prior.claims[0].probability == listed.prior.claims[0].probability
    assert by_name.prior.claims[0].quantity == listed.prior.claims[0].quantity == "killed[early]"


def test_outcomes_over_a_group_are_named_and_labelled_by_it():
    scenario = parse_scenario(SCENARIO + CLAIM.format(scope='"early"'))
    names = [q.name for q in quantities_of(scenario)]
    assert names == ["killed", "killed[p1]", "killed[p2]", "killed[p3]", "killed[early]"]  # one force keeps its name
    summary = summarize(simulate(scenario, draws=2_000, workers=1))
    assert summary.quantity_labels["killed[early]"] == "Killed, early"
    assert summary.quantity_labels["killed[p3]"] == "Killed, Period 3"
    console = Console(file=io.StringIO(), width=200)
    print_summary(summary, console)
    text = console.file.getvalue()
    assert "Killed, early" in text and "p1+p2" not in text
    assert "killed[early]" not in text  # the claim's truth is shown by its label, not its internal key


def test_a_group_of_every_force_labels_the_total():
    text = SCENARIO.replace(GROUPS, '[groups]\nwar = { label = "The whole war", forces = ["p1", "p2", "p3"] }\n')
    summary = summarize(simulate(parse_scenario(text), draws=2_000, workers=1))
    assert summary.quantity_labels["killed"] == "Killed, The whole war"


def test_report_and_compare_show_the_group_by_name(tmp_path):
    path = tmp_path / "war.toml"
    path.write_text(SCENARIO.replace('name = "war"', 'name = "war"\ntitle = "War"') + CLAIM.format(scope='"early"'))
    other = tmp_path / "war2.toml"
    other.write_text(path.read_text().replace('name = "war"', 'name = "war2"'))
    runner = CliRunner()
    run = runner.invoke(
        app, ["run", str(path), "--results", str(tmp_path / "r"), "--workers", "1", "--no-plots", "--report", "-q"]
    )
    assert run.exit_code == 0, run.output
    report = (tmp_path / "r" / "war" / "latest" / "report.md").read_text()
    assert "Killed, early" in report and "deaths among early" in report
    compare = runner.invoke(
        app, ["compare", str(path), str(other), "--out", str(tmp_path / "c"), "--draws", "2000", "--workers", "1"]
    )
    assert compare.exit_code == 0, compare.output
    table = (tmp_path / "c" / "table.md").read_text()
    assert "| early_300 | ≥ 300 killed | war | early |" in table
