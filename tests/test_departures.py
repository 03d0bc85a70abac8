"""Departures between phases: who leaves, who served, and the definitions that cannot hold (exit 2).

A phase's ``departures`` leave, at its start, from those who stayed on from the phase before
(its survivors less the wounded and the non-battle dead); arrivals make up the strength beyond
those who continue. References are the per-draw identities of that bookkeeping and, for the law
of who served, the beta-binomial pmf of the killed from ``scipy.stats``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim import parse_scenario
from sim.cli import app
from sim.config import ConfigError
from sim.engine import chunk_streams
from sim.model import draw_chunk


def _scenario(*, first_rate: str, second: str, third: str = "") -> str:
    return f"""
[scenario]
name = "rotation"
[simulation]
draws = 2000
seed = 5
[forces.unit]
[[forces.unit.phases]]
start = 2025-01-01
end = 2025-02-01
present = 1000
fatality_rate = {first_rate}
[[forces.unit.phases]]
start = 2025-02-01
end = 2025-03-01
fatality_rate = 0
{second}
{third}
"""


THIRD = """
[[forces.unit.phases]]
start = 2025-03-01
end = 2025-04-01
present = 900
departures = 100
fatality_rate = 0
"""


def test_departures_are_replaced_and_a_surplus_goes_home():
    text = _scenario(first_rate="0", second="present = 1200\ndepartures = 300", third=THIRD)
    draws = draw_chunk(parse_scenario(text), 100, chunk_streams(1, 0))
    # 1,000 at first; 300 leave, so 500 arrive to make 1,200; then 100 leave and the 1,100 left exceed 900: none arrive
    assert np.all(draws.forces["unit"].size == 1000 + 500)
    assert np.all(draws.inputs["forces.unit.phases[1].departures"] == 300)


def test_who_served_with_departures_is_exact_in_law():
    """Served = 1,000 + 300 + K₁ per draw, so served − 1,300 ~ BetaBinomial(1000, 5, 95) exactly."""
    text = _scenario(first_rate='{ dist = "beta", a = 5, b = 95 }', second="present = 1000\ndepartures = 300")
    draws = draw_chunk(parse_scenario(text), 20_000, chunk_streams(2, 0))
    force = draws.forces["unit"]
    assert np.array_equal(force.size, 1300 + force.phases[0].killed)
    extra = force.size - 1300
    mean, sd = stats.betabinom.mean(1000, 5, 95), stats.betabinom.std(1000, 5, 95)
    assert abs(extra.mean() - mean) < 5 * sd / np.sqrt(extra.size)


def test_when_fewer_stayed_on_than_were_due_to_leave_all_of_them_leave():
    text = _scenario(first_rate="0.9", second="present = 1000\ndepartures = 300")
    draws = draw_chunk(parse_scenario(text), 2000, chunk_streams(3, 0))
    force = draws.forces["unit"]
    stayed = 1000 - force.phases[0].killed
    assert np.any(stayed < 300)  # the case occurs
    assert np.array_equal(force.size, np.where(stayed < 300, 2000, 1000 + 1000 - (stayed - 300)))


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        (
            _scenario(first_rate="0", second="present = 1000\ndepartures = 1001"),
            "forces.unit.phases[1].departures",
            "more leaving than were there",
        ),
        (
            _scenario(
                first_rate="0",
                second='present = 1000\ndepartures = { dist = "integer_uniform", low = 0, high = 1200 }',
            ),
            "forces.unit.phases[1].departures",
            "more leaving than were there",
        ),
        (
            _scenario(first_rate="0\ndepartures = 10", second="present = 1000"),
            "forces.unit.phases[0].departures",
            "no phase before it",
        ),
        (
            _scenario(first_rate="0", second="present = 1000\ndepartures = -3"),
            "forces.unit.phases[1].departures",
            "",
        ),
    ],
)
def test_impossible_departures_name_their_key_path(text, path, fragment, tmp_path):
    with pytest.raises(ConfigError) as error:
        parse_scenario(text)
    assert any(p.path == path and fragment in p.message for p in error.value.problems), error.value
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 2, result.output
    assert path in result.output and "Traceback" not in result.output
