"""The run pipeline and its Python API (sim.run), and the options every command shares."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from reference_cases import HUNDRED_IN_UNIT, labelled_unit
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.keypaths import toml_text, with_settings
from sim.limits import max_workers
from sim.pipeline import RequestError, check_request

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

SCENARIO = (
    labelled_unit(4_000)
    + """
[forces.other]
size = 500
fatality_rate = { dist = "beta", mean = 0.05, sd = 0.02, units = "fraction", source = "test" }
"""
    + HUNDRED_IN_UNIT
)


def test_the_api_and_the_cli_write_byte_identical_summaries(tmp_path: Path, write_config):
    config = write_config(SCENARIO)
    options = ["--draws", "3000", "--seed", "11", "--condition", "all", "--workers", "2", "--no-plots"]
    result = runner.invoke(app, ["run", str(config), "--out", str(tmp_path / "cli"), *options])
    assert result.exit_code == 0, result.output
    run = sim.run(config, draws=3000, seed=11, condition="all", workers=1)
    written = run.write(tmp_path / "api", figures=False)
    for name in ("summary.json", "summary.csv", "scenario.toml", "distributions.npz"):
        assert (written / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["command"] == ["sim.run"] and manifest["draws"] == 3000 and manifest["seed"] == 11


def test_a_run_holds_the_typed_summary_and_the_draws(write_config):
    run = sim.run(write_config(SCENARIO), draws=2000, seed=5, condition=["hundred"], workers=1)
    assert isinstance(run, sim.Run) and isinstance(run.summary, sim.Summary)
    assert run.summary.condition_on == ("hundred",) and run.summary.posterior is not None
    killed = run.draws["killed"]
    assert killed.shape == (2000,) and np.all(killed == run.draws["killed[unit]"] + run.draws["killed[other]"])
    page = run._repr_html_()
    assert page.startswith("<div>") and "A tiny scenario" in page and "posterior" in page and "2,000 draws" in page


def test_a_figure_is_a_matplotlib_figure_and_an_unknown_one_is_named(write_config):
    run = sim.run(write_config(SCENARIO), draws=1000, workers=1)
    assert "toll" in run.figure_names()
    figure = run.figure("toll")
    assert type(figure).__name__ == "Figure" and figure.axes
    with pytest.raises(ValueError, match="no figure 'tol' for this run; figures: glance, toll, exceedance"):
        run.figure("tol")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"draws": 0}, "draws must be at least 1, got 0"),
        ({"workers": 100_000}, "workers must be at most"),
        ({"chunk_size": 2**25}, "chunk_size must be at most 16,777,216"),
        ({"seed": -1}, "seed must be in 0..2**128 - 1, got -1"),
        ({"condition": "hundert"}, "condition: unknown claim 'hundert'; did you mean 'hundred'?"),
    ],
)
def test_the_api_refuses_bad_options_naming_them(options: dict, message: str, write_config):
    with pytest.raises(RequestError) as caught:
        sim.run(write_config(SCENARIO), **options)
    assert str(caught.value).startswith(message)


def test_the_limits_end_where_they_say():
    check_request(draws=10**10, workers=max_workers(), chunk_size=2**24, seed=2**128 - 1)
    check_request(draws=1, workers=1, chunk_size=1, seed=0)


SHARED = {
    "run": ["run", "{config}", "--results", "{results}"],
    "compare": ["compare", "{config}", "{config}", "--out", "{results}"],
    "sweep": ["sweep", "{config}", "--param", "forces.unit.size", "--values", "900,1000", "--results", "{results}"],
    "tornado": ["tornado", "{config}", "--results", "{results}"],
    "robust": ["robust", "{config}", "--results", "{results}"],
}
REFUSED = [
    (["--draws", "0"], "--draws must be at least 1, got 0"),
    (["--draws", "100000000000"], "--draws must be at most 10,000,000,000"),
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--workers", "100000"], "--workers must be at most"),
    (["--seed", "-1"], "--seed must be in 0..2**128 - 1"),
    (["--seed", str(2**128)], "--seed must be in 0..2**128 - 1"),
]


@pytest.mark.parametrize("command", SHARED)
@pytest.mark.parametrize(("option", "expect"), REFUSED)
def test_every_command_refuses_a_shared_option_the_same_way(
    command: str, option: list[str], expect: str, tmp_path: Path, write_config
):
    config = write_config(SCENARIO)
    args = [arg.format(config=config, results=tmp_path / "results") for arg in SHARED[command]]
    result = runner.invoke(app, [*args, *option])
    assert result.exit_code == 2, result.output
    assert f"error: {expect}" in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not (tmp_path / "results").exists()


def test_the_api_example_runs(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "api_example.py"), str(tmp_path), "4000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "posterior killed: median" in done.stdout and "claim nis_2000: P(true)" in done.stdout
    assert (tmp_path / "toll.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["draws"] == 4000


def test_toml_text_reads_back_as_the_document():
    documents = [tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted((ROOT / "configs").glob("*.toml"))]
    documents.append(
        {
            "a b": {"x.y": -math.inf, "when": date(2025, 1, 2), "list": [1, 2.5, "three"], "empty": {}},
            "claims": [{"id": "c", "reading": [6000, math.inf], "note": 'quote " and \\\\ and\\nline'}],
            "flag": True,
        }
    )
    for document in documents:
        assert tomllib.loads(toml_text(document)) == document


def test_set_edits_the_scenario_as_a_hand_edited_file_would(tmp_path: Path, write_config):
    edited = run_api(write_config(SCENARIO), set={"forces.unit.size": 800, "forces.other.fatality_rate": 0.05})
    by_hand = SCENARIO.replace("size = 1000", "size = 800").replace(
        'fatality_rate = { dist = "beta", mean = 0.05, sd = 0.02, units = "fraction", source = "test" }',
        'fatality_rate = { dist = "fixed", value = 0.05, units = "fraction", source = "test" }',
    )
    assert by_hand != SCENARIO
    expected = run_api(write_config(by_hand, "by_hand.toml"))
    assert edited.summary.to_json() == expected.summary.to_json()
    assert edited.scenario.forces == expected.scenario.forces
    assert edited.scenario.forces[1].fatality_rate.family == "fixed"


def run_api(config: Path, **options) -> sim.Run:
    return sim.run(config, draws=1500, seed=2, workers=1, **options)


def test_run_set_writes_the_edited_scenario_and_refuses_an_unknown_path(tmp_path: Path, write_config):
    config = write_config(SCENARIO)
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(config), "--set", "forces.unit.size=800", "--out", str(out), "--no-plots", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    written = sim.load_scenario(out / "scenario.toml")
    assert written.forces == with_settings(sim.load_scenario(config), (("forces.unit.size", 800),)).forces
    assert written.forces[0].size.params["value"] == 800
    bad = runner.invoke(app, ["run", str(config), "--set", "forces.unit.sise=800", "--results", str(tmp_path / "r")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    said = " ".join(bad.output.split())
    assert "forces.unit.sise: no such parameter; nearest: forces.unit.size" in said
    assert not (tmp_path / "r").exists()


SHARED_OPTIONS = ("--seed", "--workers", "--condition", "--set", "--results", "--json", "--quiet")


def test_a_shared_option_is_one_definition_in_every_command():
    import typer.main

    group = typer.main.get_command(app)
    seen: dict[str, set[tuple[str, ...]]] = {}
    for name, command in group.commands.items():
        for param in command.params:
            for flag in set(param.opts) & set(SHARED_OPTIONS):
                seen.setdefault(flag, set()).add((param.help or "", *param.opts))
                seen.setdefault(f"{flag} in", set()).add((name,))
    for flag in SHARED_OPTIONS:
        assert len(seen[flag]) == 1, (flag, seen[flag])
    assert {c for (c,) in seen["--json in"]} >= {"run", "compare", "sweep", "tornado", "sobol", "robust"}
    assert {c for (c,) in seen["--set in"]} == {"run", "compare", "sweep", "tornado"}


JSON_COMMANDS = {
    "sweep": (["sweep", "{config}", "--param", "forces.unit.size", "--values", "900,1000", "--draws", "500"], "sweep"),
    "tornado": (["tornado", "{config}", "--draws", "500"], "tornado"),
    "sobol": (["sobol", "{config}", "--n", "64", "--resamples", "10"], "sobol"),
}


@pytest.mark.parametrize("command", JSON_COMMANDS)
def test_analyses_print_their_json_with_json(command: str, tmp_path: Path, write_config):
    args, kind = JSON_COMMANDS[command]
    config = write_config(SCENARIO)
    options = ["--results", str(tmp_path / "results"), "--workers", "1"] if command != "sobol" else []
    result = runner.invoke(app, [*(a.format(config=config) for a in args), *options, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == kind
