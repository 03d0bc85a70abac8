"""Same config and seed, same bytes: summary.json and summary.csv through the CLI.

Only the seed, the number of draws and the chunk size change the random stream; the number
of workers and the output options (--out, --quiet, --json, --save-samples) must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reference_cases import two_force_scenario
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()

SCENARIO = two_force_scenario(draws=12_000, seed=11, chunk_size=2_000, name="determinism")

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
