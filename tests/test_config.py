"""Scenario loading: every problem names the file and the key path; the CLI exits 2 without a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sim import ConfigError, load_scenario, parse_scenario
from sim.cli import app

GOOD = """
[simulation]
draws = 1000
[forces.combat]
size = { dist = "integer_uniform", low = 11000, high = 15000 }
fatality_rate = { dist = "beta", mean = 0.12, sd = 0.05 }
[sources.kcna]
reporting_ratio = { dist = "beta", mean = 0.5, sd = 0.2 }
[[claims]]
id = "nine"
value = 9
source = "kcna"
"""

BAD = [
    (
        'size = { dist = "integer_uniform", low = 11000, high = 15000 }',
        'size = "14,000"',
        "forces.combat.size",
        "without quotes",
    ),
    ("mean = 0.12, sd = 0.05", "mean = 0.12, sd = 0", "forces.combat.fatality_rate.sd", "must be > 0"),
    ("mean = 0.12, sd = 0.05", "mean = 0.5, sd = 0.6", "forces.combat.fatality_rate.sd", "no beta has mean"),
    (
        'dist = "beta", mean = 0.12',
        'dist = "betta", mean = 0.12',
        "forces.combat.fatality_rate.dist",
        "did you mean 'beta'",
    ),
    (
        'fatality_rate = { dist = "beta", mean = 0.12, sd = 0.05 }',
        'fatality_rate = { dist = "normal", mean = 0.1, sd = 0.05 }',
        "forces.combat.fatality_rate",
        "outside a fatality rate's domain",
    ),
    ("draws = 1000", "draws = 0", "simulation.draws", "must be in 1.."),
    ("draws = 1000", "drawz = 1000", "simulation.drawz", "did you mean 'draws'"),
    ("draws = 1000", "draws = 1000\nseed = -1", "simulation.seed", "must be in 0.."),
    ('source = "kcna"', 'source = "kcan"', "claims[0] (nine).source", "did you mean 'kcna'"),
    ("value = 9", "value = -9", "claims[0] (nine).value", "must be >= 0"),
    ("value = 9", 'value = 9\nrelation = "approx"', "claims[0] (nine).relation", "unknown relation"),
    ("value = 9", 'value = 9\nmetric = "casualties"', "claims[0] (nine).metric", "needs a casualty model"),
    ("value = 9", 'value = 9\nscope = ["engineers"]', "claims[0] (nine).scope", "unknown force"),
    ("value = 9", "value = nan", "claims[0] (nine).value", "must be finite"),
    (
        'size = { dist = "integer_uniform", low = 11000, high = 15000 }',
        "size = -5",
        "forces.combat.size",
        "outside a size's domain",
    ),
    (
        'size = { dist = "integer_uniform", low = 11000, high = 15000 }',
        "size = 100.5",
        "forces.combat.size",
        "whole numbers",
    ),
    (
        'size = { dist = "integer_uniform", low = 11000, high = 15000 }',
        'size = { dist = "normal", mean = 14000, sd = 1000 }',
        "forces.combat.size",
        "outside a size's domain",
    ),
    ('fatality_rate = { dist = "beta", mean = 0.12, sd = 0.05 }', "", "forces.combat.fatality_rate", "is required"),
    (
        'source = "kcna"\n',
        'source = "kcna"\n[[claims]]\nid = "nine"\nvalue = 3\n',
        "claims[1].id",
        "duplicate claim id",
    ),
    (
        'reporting_ratio = { dist = "beta", mean = 0.5, sd = 0.2 }',
        'reporting_ratio = { dist = "lognormal", ci90 = [2, 1] }',
        "sources.kcna.reporting_ratio.ci90",
        "increasing",
    ),
    ("[simulation]", "[simulation\n", "", "invalid TOML"),
]


@pytest.mark.parametrize(("old", "new", "path", "fragment"), BAD)
def test_bad_scenarios_name_the_key(old, new, path, fragment, write_config):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    config = write_config(text)
    with pytest.raises(ConfigError) as error:
        load_scenario(config)
    message = str(error.value)
    assert str(config) in message
    assert f"{path}:" in message if path else "line" in message
    assert fragment in message
    result = CliRunner().invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and fragment in result.output


def test_good_scenario_loads():
    scenario = parse_scenario(GOOD)
    assert scenario.forces[0].id == "combat"
    assert scenario.claims[0].scope == ("combat",)
    assert (scenario.claims[0].low, scenario.claims[0].high) == (9, 9)


def test_all_problems_are_reported_at_once(write_config):
    text = GOOD.replace("sd = 0.05", "sd = 0").replace("draws = 1000", "draws = -3").replace('"kcna"\n', '"nobody"\n')
    with pytest.raises(ConfigError) as error:
        load_scenario(write_config(text))
    paths = {problem.path for problem in error.value.problems}
    assert {"forces.combat.fatality_rate.sd", "simulation.draws", "claims[0] (nine).source"} <= paths


@pytest.mark.parametrize(
    ("relation", "value", "rounding", "interval"),
    [
        ("eq", "2000", 500, (1750, 2249)),
        ("eq", "9", 1, (9, 9)),
        ("ge", "6000", 1, (6000, None)),
        ("le", "9.5", 1, (0, 9)),
        ("between", "[100, 200]", 1, (100, 200)),
    ],
)
def test_claim_intervals(relation, value, rounding, interval):
    extra = f"\nrounding = {rounding}" if relation == "eq" else ""
    text = GOOD.replace('value = 9\nsource = "kcna"', f'value = {value}\nrelation = "{relation}"{extra}')
    claim = parse_scenario(text).claims[0]
    assert (claim.low, claim.high) == interval


def test_missing_and_empty_files(tmp_path):
    for path, fragment in ((tmp_path / "nope.toml", "no such file"), (tmp_path, "is a directory")):
        with pytest.raises(ConfigError, match=fragment):
            load_scenario(path)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        load_scenario(empty)
    binary = tmp_path / "latin1.toml"
    binary.write_bytes("title = 'caf\xe9'".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_scenario(binary)
