"""Dated phases and the toll at a date (issue 12) against exact references.

References are computed here with ``scipy.stats`` (convolutions and enumeration), never with
sim's own code; tolerances come from the Monte Carlo standard error of a frequency or a mean.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Iterator
from datetime import date

import numpy as np
import pytest
from scipy import stats

from sim import parse_scenario, simulate, summarize
from sim.engine import chunk_streams
from sim.model import draw_chunk

Z = 5.0
A, B = 5.0, 95.0  # the first phase's fatality rate ~ Beta(5, 95)
FIRST, SECOND, HAZARD = 1000, 800, 0.01  # a hazard high enough that e^{−h·t} bends
# 2025-03-01 is 45 of the second phase's 75 days
ELAPSED, DAYS = 45, 75


def _scenario(draws: int, *, claims: str = "", seed: int = 3, extra: str = "") -> str:
    return f"""
[scenario]
name = "phased"
[simulation]
draws = {draws}
seed = {seed}
chunk_size = 16384
[forces.unit]
{extra}
[[forces.unit.phases]]
label = "assault"
start = 2024-12-01
end = 2025-01-15
present = {FIRST}
fatality_rate = {{ dist = "beta", a = {A}, b = {B} }}
[[forces.unit.phases]]
label = "hold"
start = 2025-01-15
end = "2025-03-31"
present = {SECOND}
daily_hazard = {HAZARD}
{claims}
"""


def _first() -> np.ndarray:
    return stats.betabinom.pmf(np.arange(FIRST + 1), FIRST, A, B)


def _second_by(days: float) -> np.ndarray:
    """Killed in the second phase by ``days``: Binomial(800, 1 − e^{−h·days}) (a thinned binomial)."""
    return stats.binom.pmf(np.arange(SECOND + 1), SECOND, -math.expm1(-HAZARD * days))


def _frequency_bound(p: float, draws: float) -> float:
    return Z * math.sqrt(p * (1 - p) / draws)


def test_the_cumulative_toll_at_a_date_is_a_convolution_of_the_phases():
    draws = 200_000
    claim = '[[claims]]\nid = "march"\nvalue = 500\nrelation = "ge"\ndate = "2025-03-01"\n'
    result = simulate(parse_scenario(_scenario(draws, claims=claim)), workers=1)
    exact_at = np.convolve(_first(), _second_by(ELAPSED))
    exact_total = np.convolve(_first(), _second_by(DAYS))
    for name, exact in (("killed@2025-03-01", exact_at), ("killed", exact_total)):
        counts = result.prior.counts[name].linear
        observed = np.cumsum(counts / counts.sum())
        cdf = np.cumsum(exact)
        for q in (0.05, 0.25, 0.5, 0.75, 0.95):
            x = int(np.searchsorted(cdf, q))
            assert abs(observed[x] - cdf[x]) < _frequency_bound(cdf[x], draws), (name, q)
    # the timeline holds the phase bounds: at the first phase's end, the first phase's toll alone
    counts = result.prior.counts["timeline:killed@2025-01-15"].linear
    mean = (np.arange(counts.size) * 2 * counts).sum() / counts.sum()  # bins of 2 (a bound of 1,800 > 1,024)
    exact_mean, exact_sd = stats.betabinom.mean(FIRST, A, B), stats.betabinom.std(FIRST, A, B)
    assert abs(mean + 0.5 - exact_mean) < Z * exact_sd / math.sqrt(draws) + 0.5
    probability = summarize(result).prior.claims[0].probability
    exact = exact_at[500:].sum()
    assert abs(probability.value - exact) < _frequency_bound(exact, draws)


def test_a_dated_claim_conditioned_on_matches_enumeration():
    """Condition on 380 ≤ killed by 2025-03-01 ≤ 420; the posterior of the total killed, enumerated.

    Total = K₁ + K₂(t) + R with R | K₂(t) ~ Binomial(800 − K₂(t), 1 − e^{−h·30}): the second
    phase's survivors to day 45 face the remaining 30 days.
    """
    draws = 200_000
    claim = '[[claims]]\nid = "march"\nvalue = [380, 420]\nrelation = "between"\ndate = "2025-03-01"\n'
    claim += '[inference]\ncondition_on = ["march"]\n'
    summary = summarize(simulate(parse_scenario(_scenario(draws, claims=claim)), workers=1))
    k1 = _first()
    by_t = _second_by(ELAPSED)
    n = np.arange(SECOND + 1)
    rest = stats.binom.pmf(n[None, :], SECOND - n[:, None], -math.expm1(-HAZARD * (DAYS - ELAPSED)))
    posterior = np.zeros(FIRST + 2 * SECOND + 1)
    for a in np.nonzero(k1 > 1e-15)[0]:
        for b in np.nonzero(by_t > 1e-15)[0]:
            if 380 <= a + b <= 420:
                posterior[a + b : a + b + SECOND + 1] += k1[a] * by_t[b] * rest[b]
    evidence = posterior.sum()
    posterior /= evidence
    values = np.arange(posterior.size)
    mean = (posterior * values).sum()
    sd = math.sqrt((posterior * (values - mean) ** 2).sum())
    killed = next(q for q in summary.posterior.quantities if q.name == "killed")
    ess = summary.posterior.ess
    assert abs(killed.mean.value - mean) < Z * sd / math.sqrt(ess)
    prior_claim = summary.prior.claims[0]
    assert abs(prior_claim.probability.value - evidence) < _frequency_bound(evidence, draws)


def _arrays(value: object, path: str = "sums") -> Iterator[tuple[str, np.ndarray]]:
    """Every array of an accumulator (:class:`sim.engine.Sums`), named by its path."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arrays(item, f"{path}[{key!r}]")
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _arrays(getattr(value, field.name), f"{path}.{field.name}")


def test_same_numbers_for_any_number_of_workers_with_phases():
    text = _scenario(40_000, claims='[[claims]]\nid = "m"\nvalue = 70\nrelation = "ge"\ndate = "2025-03-01"\n')
    scenario = parse_scenario(text)
    one, two = (simulate(scenario, workers=w) for w in (1, 2))
    arrays = dict(_arrays(two.prior))
    for key, value in _arrays(one.prior):
        assert np.array_equal(value, arrays[key]), key


def test_changing_one_phase_leaves_the_other_phases_draws_unchanged():
    """Common random numbers: each phase's priors and binomials have their own streams."""
    text = _scenario(1000, extra="wounded_per_killed = 2")
    scenario = parse_scenario(text)
    faster = parse_scenario(text.replace(f"daily_hazard = {HAZARD}", f"daily_hazard = {3 * HAZARD}"))
    base, other = (draw_chunk(s, 1000, chunk_streams(7, 0)) for s in (scenario, faster))
    first, first_other = base.forces["unit"].phases[0], other.forces["unit"].phases[0]
    assert np.array_equal(first.killed, first_other.killed) and np.array_equal(first.wounded, first_other.wounded)
    assert not np.array_equal(base.forces["unit"].phases[1].killed, other.forces["unit"].phases[1].killed)


def test_who_served_counts_the_first_phase_and_every_arrival():
    text = """
[simulation]
draws = 100
[forces.unit]
[[forces.unit.phases]]
start = 2025-01-01
end = 2025-02-01
present = 1000
fatality_rate = 0
[[forces.unit.phases]]
start = 2025-02-01
end = 2025-03-01
present = 1200
fatality_rate = 0
[[forces.unit.phases]]
start = 2025-03-01
end = 2025-04-01
present = 900
arrivals = 300
fatality_rate = 0
"""
    draws = draw_chunk(parse_scenario(text), 100, chunk_streams(1, 0))
    # 1,000 at first; 200 more to make up 1,200; then 300 rotated in (and 600 went home)
    assert np.all(draws.forces["unit"].size == 1000 + 200 + 300)


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (("end = 2025-01-15", "end = 2024-11-15"), "forces.unit.phases[0].end", "must be after start"),
        (("start = 2025-01-15", "start = 2025-01-01"), "forces.unit.phases[1].start", "overlaps phases[0]"),
        (("present = 800", "present = 800\narrivals = 900"), "forces.unit.phases[1].arrivals", "can exceed present"),
        (("[forces.unit]", "[forces.unit]\nsize = 10"), "forces.unit.size", "a force with phases"),
    ],
)
def test_bad_phases_name_their_key_path(change, path, fragment):
    from sim.config import ConfigError

    with pytest.raises(ConfigError) as error:
        parse_scenario(_scenario(10).replace(*change))
    assert any(p.path == path and fragment in p.message for p in error.value.problems), error.value


def test_a_claim_dated_before_every_phase_is_refused_and_after_them_counts_the_whole_toll():
    from sim.config import ConfigError

    early = '[[claims]]\nid = "early"\nvalue = 5\ndate = "2024-11-01"\n'
    with pytest.raises(ConfigError, match=r"claims\[0\] \(early\)\.date: 2024-11-01 is before every phase"):
        parse_scenario(_scenario(10, claims=early))
    late = parse_scenario(_scenario(10, claims='[[claims]]\nid = "late"\nvalue = 5\ndate = "2025-06-01"\n'))
    assert late.claims[0].as_of is None
    dated = parse_scenario(_scenario(10, claims='[[claims]]\nid = "mid"\nvalue = 5\ndate = 2025-02-01\n'))
    assert dated.claims[0].as_of == date(2025, 2, 1)


def test_sobol_evaluates_the_toll_at_a_claims_date():
    """The uniform-driven model of `sim sobol` draws each phase's split at a dated claim: its mean matches."""
    from sim.model import binomial_streams
    from sim.sensitivity import variance

    claim = '[[claims]]\nid = "march"\nvalue = 500\nrelation = "ge"\ndate = "2025-03-01"\n'
    scenario = parse_scenario(_scenario(1000, claims=claim))
    outputs = variance._sobol_outputs(scenario)
    assert [o.name for o in outputs] == ["killed", "killed@2025-03-01"]
    inputs = (*(p.path for p in scenario.priors() if not p.is_fixed), *binomial_streams(scenario, (date(2025, 3, 1),)))
    assert "timing:unit:1:killed:2025-03-01" in inputs
    m = 20_000
    values = variance._UniformModel(scenario, inputs, outputs)(np.random.default_rng(4).random((len(inputs), m)))
    exact = np.convolve(_first(), _second_by(ELAPSED))
    mean = (exact * np.arange(exact.size)).sum()
    sd = math.sqrt((exact * (np.arange(exact.size) - mean) ** 2).sum())
    assert abs(values[1].mean() - mean) < Z * sd / math.sqrt(m)
    assert values[1].mean() < values[0].mean() - 50  # by 1 March, not the whole toll


@pytest.mark.parametrize(("value", "relation"), [(330, "le"), (640, "ge")])
def test_a_phased_forces_far_tail_is_estimated_or_bounded_never_zero(value, relation):
    """The estimator integrates the phase with an uncertain rate (the first): its tail far below 1/draws
    within MCSE; the other tail, driven by the second phase's binomial, is a rule-of-three bound, not 0."""
    draws = 50_000
    claim = f'[[claims]]\nid = "tail"\nvalue = {value}\nrelation = "{relation}"\n'
    summary = summarize(simulate(parse_scenario(_scenario(draws, claims=claim)), workers=1))
    exact = np.convolve(_first(), _second_by(DAYS))
    p = exact[: value + 1].sum() if relation == "le" else exact[value:].sum()
    assert p < 1 / draws
    probability = summary.prior.claims[0].probability
    if relation == "le":
        assert probability.method == "bound" and probability.value == 0 and p < probability.mcse == 3 / draws
        return
    assert probability.method == "conditional" and probability.value > 0
    assert abs(probability.value - p) < Z * probability.mcse


def test_a_phase_prior_is_a_sweepable_key_path():
    from sim.config import scenario_from_dict
    from sim.sensitivity import edit_document, parameter_paths

    document = tomllib.loads(_scenario(10))
    assert parameter_paths(document)["forces.unit.phases[0].fatality_rate"] == "prior"
    edited = edit_document(document, (("forces.unit.phases[1].present", 700),))
    assert scenario_from_dict(edited).forces[0].phases[1].present.distribution.values.tolist() == [700]
    assert document["forces"]["unit"]["phases"][1]["present"] == SECOND  # the original is untouched


def test_compare_says_a_dated_claim_is_judged_at_its_date(tmp_path):
    from sim.compare import compare_paths

    claim = '[[claims]]\nid = "m"\nvalue = 80\nrelation = "ge"\ndate = "{day}"\n'
    paths = []
    for name, day in (("dated", "2025-03-01"), ("total", "2025-06-01")):
        paths.append(tmp_path / f"{name}.toml")
        paths[-1].write_text(_scenario(2_000, claims=claim.format(day=day)).replace('"phased"', f'"{name}"'))
    rows = compare_paths(paths, workers=1).claims[0].rows
    assert [row.truth_over for row in rows] == ["unit, by 2025-03-01", "unit"]


def test_wounded_and_casualties_at_a_date_split_each_phase_within_its_own_counts():
    """At a date inside the second phase, per draw: the wounded so far are the first phase's wounded and a part of
    the second's, the killed likewise, and the casualties so far are their sum."""
    day = date(2025, 3, 1)
    scenario = parse_scenario(_scenario(10, extra="wounded_per_killed = 2.0"))
    force = draw_chunk(scenario, 5_000, chunk_streams(9, 0), dates=(day,)).forces["unit"]
    first, second = force.phases
    for metric in ("killed", "wounded"):
        so_far = force.dated[(metric, day)]
        part = so_far - getattr(first, metric)
        assert np.all(part >= 0) and np.all(part <= getattr(second, metric)), metric
        assert 0 < part.mean() < getattr(second, metric).mean(), metric  # the date splits the phase
    assert np.array_equal(
        force.dated[("casualties", day)], force.dated[("killed", day)] + force.dated[("wounded", day)]
    )


def test_a_date_on_a_phase_boundary_splits_no_phase():
    """A phase's counts are split only at dates strictly inside it (``start < day < end``, as the model draws them):
    on its first or last day the phase lies wholly after or before the date, so that date names no split stream."""
    from sim.model import binomial_streams

    scenario = parse_scenario(_scenario(10))
    boundaries = (date(2024, 12, 1), date(2025, 1, 15), date(2025, 3, 31))
    inside = (date(2024, 12, 20), date(2025, 2, 1))
    timing = [name for name in binomial_streams(scenario, (*boundaries, *inside)) if name.startswith("timing:")]
    assert timing == ["timing:unit:0:killed:2024-12-20", "timing:unit:1:killed:2025-02-01"]


def test_a_hazard_phase_keeps_its_strength_and_its_implied_fatality_rate_apart():
    """Per draw, a phase given a daily hazard h records its strength as drawn and its fatality rate
    1 − exp(−h·days) over its 75 days (15 January to 31 March), each under its own key path."""
    reservoir = simulate(parse_scenario(_scenario(2_000)), workers=1).reservoir
    hazard = reservoir["forces.unit.phases[1].daily_hazard"]
    np.testing.assert_allclose(reservoir["forces.unit.phases[1].fatality_rate"], -np.expm1(-hazard * DAYS), rtol=1e-12)
    assert np.all(reservoir["forces.unit.phases[1].present"] == SECOND)
