"""The command line through typer's CliRunner: exit codes, files written, JSON."""

from __future__ import annotations

import json

from reference_cases import labelled_unit
from typer.testing import CliRunner

from sim import __version__
from sim.cli import app
from sim.results import RESERVOIR_KEPT

runner = CliRunner()

SCENARIO = labelled_unit(5_000) + '[[claims]]\nid = "nine"\nlabel = "Nine dead"\nvalue = 9\n'


def test_run_writes_the_run_folder(tmp_path, write_config):
    config = write_config(SCENARIO)
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(config), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    for name in ("summary.json", "summary.csv", "manifest.json", "scenario.toml"):
        assert (out / name).is_file()
    assert str(out) in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["draws"] == 5000
    assert len(manifest["config_sha256"]) == 64
    assert (out / "scenario.toml").read_text() == config.read_text()
    assert "Nine dead" in result.output


def test_run_json_parses_and_overrides_apply(tmp_path, write_config):
    config = write_config(SCENARIO)
    result = runner.invoke(
        app,
        [
            "run",
            str(config),
            "--json",
            "--draws",
            "2000",
            "--seed",
            "0",
            "--results",
            str(tmp_path / "results"),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["draws"] == 2000 and data["seed"] == 0
    assert data["prior"]["claims"][0]["id"] == "nine"
    assert (tmp_path / "results" / "tiny" / "latest" / "summary.json").is_file()


def test_save_samples_writes_every_input_and_output(tmp_path, write_config):
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(write_config(SCENARIO)), "--out", str(out), "--save-samples", "--quiet", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    lines = (out / "samples.csv").read_text().splitlines()
    assert len(lines) == RESERVOIR_KEPT + 1  # a header, then the first draws the run folder keeps
    assert "forces.unit.fatality_rate" in lines[0] and "killed" in lines[0]


def test_existing_out_is_refused_without_force(tmp_path, write_config):
    config = write_config(SCENARIO)
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", str(config), "--out", str(out), "-q", "--workers", "1"]).exit_code == 0
    again = runner.invoke(app, ["run", str(config), "--out", str(out), "-q", "--workers", "1"])
    assert again.exit_code == 1 and "--force" in again.output
    forced = runner.invoke(app, ["run", str(config), "--out", str(out), "-q", "--force", "--workers", "1"])
    assert forced.exit_code == 0


def test_check_prints_priors(write_config):
    result = runner.invoke(app, ["check", str(write_config(SCENARIO))])
    assert result.exit_code == 0, result.output
    assert "forces.unit.fatality_rate" in result.output and "ok" in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_bad_options_exit_2(write_config):
    config = str(write_config(SCENARIO))
    for args in (["--draws", "0"], ["--workers", "-1"], ["--condition", "nope"], ["--seed", "-5"]):
        result = runner.invoke(app, ["run", config, *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


def test_contradictory_claims_exit_1(write_config):
    text = SCENARIO + '[[claims]]\nid = "many"\nvalue = 999\nrelation = "ge"\n[inference]\ncondition_on = "all"\n'
    result = runner.invoke(app, ["run", str(write_config(text)), "--workers", "1", "-q"])
    assert result.exit_code == 1
    assert "many" in result.output


def test_usage_errors_are_one_line_exit_2(write_config, capsys):
    """Bad usage through the real entry (not CliRunner's standalone mode): one line naming the command, exit 2."""
    import pytest

    from sim.cli import main

    config = str(write_config(SCENARIO))
    cases = {
        ("run", config, "--bogus"): "sim run: No such option: --bogus",
        ("nothere",): "sim: No such command 'nothere'",
        ("run",): "sim run: Missing argument 'config'",
        ("run", config, "--draws", "abc"): "sim run: Invalid value for '--draws'",
        ("sweep",): "sim sweep: Missing argument 'config'",
    }
    for args, start in cases.items():
        with pytest.raises(SystemExit) as done:
            main(list(args), prog_name="sim")
        captured = capsys.readouterr()
        assert done.value.code == 2, args
        assert captured.out == "", args
        command = start.split(":")[0]
        assert captured.err.startswith(f"error: {start}") and captured.err.endswith(f"; see '{command} --help'\n")
        assert captured.err.count("\n") == 1, captured.err


def test_bare_sim_prints_help_and_a_command_runs_through_main(write_config, tmp_path, capsys):
    import pytest

    from sim.cli import main

    with pytest.raises(SystemExit) as done:
        main([], prog_name="sim")
    assert done.value.code == 2 and "Usage: sim" in capsys.readouterr().out
    main(["check", str(write_config(SCENARIO))])
    assert "ok: " in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["run", str(tmp_path / "missing.toml")])
    assert done.value.code == 2 and "missing.toml" in capsys.readouterr().err
