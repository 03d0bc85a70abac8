"""Same config and seed, same bytes: summary.json and summary.csv through the CLI.

Only the seed, the number of draws and the chunk size change the random stream; the number
of workers and the output options (--out, --quiet, --json, --save-samples) must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()

SCENARIO = """
[scenario]
name = "determinism"
[simulation]
draws = 12_000
seed = 11
chunk_size = 2_000
[forces.a]
size = { dist = "integer_uniform", low = 900, high = 1100 }
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03 }
[forces.b]
size = 400
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3] }
days = { dist = "uniform", low = 60, high = 120 }
[casualties]
wounded_per_killed = { dist = "gamma", mean = 3, sd = 1 }
[sources.s]
reporting_ratio = { dist = "lognormal", ci90 = [0.5, 2] }
[[claims]]
id = "c"
value = 150
source = "s"
[[claims]]
id = "d"
value = 400
relation = "ge"
metric = "casualties"
scope = ["a"]
[inference]
condition_on = ["c"]
"""

FILES = ("summary.json", "summary.csv")


@pytest.fixture
def run(tmp_path: Path, write_config, staging_hook):
    """Run the scenario through the CLI with extra options; return the bytes of its summary files."""
    staging_hook(None)
    config = write_config(SCENARIO)
    count = 0

    def run(*options: str) -> dict[str, bytes]:
        nonlocal count
        count += 1
        out = tmp_path / f"run{count}"
        args = ["run", str(config), *options]
        if "--out" not in options:
            args += ["--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        folder = Path(options[options.index("--out") + 1]) if "--out" in options else out
        return {name: (folder / name).read_bytes() for name in FILES}

    return run


def test_same_seed_same_bytes_across_runs_workers_and_output_options(run, tmp_path: Path):
    reference = run("--workers", "1")
    assert run("--workers", "1") == reference
    assert run("--workers", "2", "--json") == reference
    assert run("--workers", "3", "--quiet", "--save-samples") == reference
    assert run("--workers", "2", "--out", str(tmp_path / "elsewhere" / "named")) == reference


@pytest.mark.parametrize("option", [("--seed", "12"), ("--draws", "12001"), ("--chunk-size", "3000")])
def test_seed_draws_and_chunk_size_change_the_stream(run, option: tuple[str, str]):
    reference = run("--workers", "1")
    changed = run("--workers", "1", *option)
    assert changed["summary.json"] != reference["summary.json"]
    assert changed["summary.csv"] != reference["summary.csv"]
