"""Sensitivity analysis: key paths, sweeps with common random numbers, tornado pins, Sobol' indices, the CLI."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from scipy import special, stats
from typer.testing import CliRunner

from sim import keypaths, sensitivity
from sim.cli import app
from sim.config import ConfigError, parse_scenario
from sim.engine import simulate
from sim.sensitivity import Axis, SensitivityError, parse_axis, variance
from sim.storage import MARKER
from sim.summary import summarize

runner = CliRunner()


def scenario_text(*, draws: int = 20_000, rate: str = '{ dist = "beta", a = 2, b = 18, units = "fraction" }') -> str:
    """One force with an uncertain size and fatality rate, a wounded ratio, a source and two claims."""
    return f"""
[scenario]
name = "small"
title = "A small scenario"
[simulation]
draws = {draws}
seed = 11
[forces.unit]
size = {{ dist = "uniform", low = 900, high = 1100, units = "soldiers", source = "test" }}
fatality_rate = {rate}
[casualties]
wounded_per_killed = {{ dist = "lognormal", ci90 = [1.5, 4.0] }}
[sources.press]
reporting_ratio = {{ dist = "lognormal", ci90 = [0.5, 2.0] }}
[[claims]]
id = "hundred"
value = 100
relation = "ge"
reading = "open"
source = "press"
[[claims]]
id = "nine"
value = 9
"""


@pytest.fixture(scope="module")
def small():
    return parse_scenario(scenario_text(), file="small.toml")


def summary_at(text: str, **kwargs):
    """A separate run of a scenario text, summarised as a sweep point keeps it (no pmf arrays)."""
    scenario = parse_scenario(text, file="small.toml")
    return replace(summarize(simulate(scenario, workers=1, **kwargs)), distributions={})


# ---------------------------------------------------------------------------------------------
# Key paths and values
# ---------------------------------------------------------------------------------------------


def test_parameter_paths_and_pinning_keep_metadata(small):
    document = keypaths.document_of(small)
    paths = sensitivity.parameter_paths(document)
    assert paths["forces.unit.fatality_rate"] == "prior"
    assert paths["forces.unit.size.high"] == "number"
    assert paths["casualties.wounded_per_killed.ci90"] == "list"
    assert paths["claims.hundred.value"] == "number"
    assert paths["simulation.chunk_size"] == "number"
    edited = sensitivity.edit_document(
        document,
        (("forces.unit.size", 1000), ("claims.nine.value", 12), ("casualties.wounded_per_killed.ci90", (1, 3))),
    )
    assert edited["forces"]["unit"]["size"] == {
        "dist": "fixed",
        "value": 1000,
        "units": "soldiers",
        "source": "test",
    }
    assert edited["claims"][1]["value"] == 12
    assert edited["casualties"]["wounded_per_killed"]["ci90"] == [1, 3]
    assert document["forces"]["unit"]["size"]["dist"] == "uniform"  # the original is untouched


def test_unknown_path_names_the_nearest_paths(small):
    with pytest.raises(ConfigError) as error:
        sensitivity.sweep(small, [Axis("forces.unit.fatalty_rate", (0.1,))], workers=1)
    message = str(error.value)
    assert message.startswith("small.toml: forces.unit.fatalty_rate: no such parameter; nearest: ")
    assert "forces.unit.fatality_rate" in message


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("forces.unit.fatality_rate", 1.5, "forces.unit.fatality_rate: 1.5 is outside a fatality rate's domain [0, 1]"),
        ("casualties.wounded_per_killed.ci90", (4.0, 1.5), "must be increasing, got [4, 1.5]"),
        ("simulation.draws", 0, "simulation.draws: must be in 1.."),
    ],
)
def test_value_outside_its_domain_names_the_point_and_the_rule(small, path, value, rule):
    with pytest.raises(ConfigError) as error:
        sensitivity.sweep(small, [Axis(path, (value,))], workers=1)
    point = keypaths.format_setting(value)
    assert str(error.value).startswith(f"small.toml at {path} = {point}: ")
    assert rule in str(error.value)


def test_parse_axis_values_pairs_and_ranges():
    assert parse_axis("p", "0.05,0.1,2").values == (0.05, 0.1, 2)
    assert parse_axis("p", "0.02;0.1,0.05;0.2").values == ((0.02, 0.1), (0.05, 0.2))
    assert parse_axis("p", "0.1:0.3:3").values == (0.1, 0.2, 0.3)
    assert parse_axis("p", "0.01:1:3", log=True).values == (0.01, 0.1, 1.0)
    assert parse_axis("p", "1000:2000:3").values == (1000, 1500, 2000)  # whole ends give whole numbers
    assert parse_axis("p", "0.02;0.1:0.04;0.3:3").values == ((0.02, 0.1), (0.03, 0.2), (0.04, 0.3))
    assert sensitivity.parse_setting("forces.unit.size = 950") == ("forces.unit.size", 950)


@pytest.mark.parametrize(
    ("spec", "log", "message"),
    [
        ("0.1,x", False, "'x' is not a number"),
        ("0.1,,0.2", False, "numbers separated by commas"),
        ("0.1:0.2", False, "write LOW:HIGH:STEPS"),
        ("0.1:0.2:1", False, "STEPS must be a whole number >= 2"),
        ("0:1:3", True, "--log needs LOW and HIGH > 0"),
        ("0.1;0.2:0.3:3", False, "as many elements"),
    ],
)
def test_parse_axis_errors(spec, log, message):
    with pytest.raises(SensitivityError, match=re.escape(message)):
        parse_axis("p", spec, log=log)


def test_grid_over_a_million_points_is_refused_with_its_size(small):
    axes = [Axis("forces.unit.size.low", tuple(range(1001))), Axis("forces.unit.size.high", tuple(range(1000)))]
    with pytest.raises(SensitivityError, match=r"the grid has 1,001,000 points \(1,001 × 1,000\).*--yes"):
        sensitivity.sweep(small, axes, workers=1)


# ---------------------------------------------------------------------------------------------
# Sweeps and tornado: common random numbers, exact agreement with separate runs
# ---------------------------------------------------------------------------------------------


def test_sweep_matches_separate_runs_exactly_and_is_monotone(small):
    rates = (0.05, 0.1, 0.2)
    result = sensitivity.sweep(small, [Axis("forces.unit.fatality_rate", rates)], draws=None, workers=1)
    medians = []
    for point, rate in zip(result.points, rates, strict=True):
        text = scenario_text(rate=f'{{ dist = "fixed", value = {rate}, units = "fraction" }}')
        assert point.summary.to_json() == summary_at(text).to_json()
        medians.append(point.summary.prior.quantities[0].median.value)
    assert medians == sorted(medians) and len(set(medians)) == 3
    rows = result.rows()
    assert [row["forces.unit.fatality_rate"] for row in rows] == ["0.05", "0.1", "0.2"]
    assert rows[0]["prior:killed:median"] == medians[0]
    assert "posterior:ess" not in rows[0]
    assert json.loads(result.to_json())["points"][2]["prior:claim:hundred:probability"] == pytest.approx(
        result.points[2].summary.prior.claims[0].probability.value
    )


def test_parallel_points_equal_serial_ones(small):
    axes = [Axis("forces.unit.fatality_rate", (0.05, 0.1)), Axis("forces.unit.size.high", (1100, 1300))]
    kwargs = {"draws": 5_000, "condition_on": ("hundred",)}
    serial = sensitivity.sweep(small, axes, workers=1, **kwargs)
    parallel = sensitivity.sweep(small, axes, workers=2, **kwargs)
    assert parallel.to_csv() == serial.to_csv()
    assert [p.settings for p in serial.points][1] == (
        ("forces.unit.fatality_rate", 0.05),
        ("forces.unit.size.high", 1300),
    )
    assert "posterior:ess" in serial.rows()[0]


def test_tornado_bars_agree_with_runs_at_the_pinned_quantiles(small):
    result = sensitivity.tornado(small, draws=None, condition_on=(), workers=1)
    assert result.side == "prior" and result.statistic == "median"
    assert result.baseline == summary_at(scenario_text()).prior.quantities[0].median.value
    assert [bar.swing for bar in result.bars] == sorted((bar.swing for bar in result.bars), reverse=True)
    by_path = {bar.path: bar for bar in result.bars}
    assert set(by_path) == {p.path for p in small.priors()}
    rate = by_path["forces.unit.fatality_rate"]
    assert (rate.low_input, rate.high_input) == tuple(stats.beta(2, 18).ppf([0.05, 0.95]))
    for value, median in ((rate.low_input, rate.low_output), (rate.high_input, rate.high_output)):
        text = scenario_text(rate=f'{{ dist = "fixed", value = {value!r} }}')
        assert median == summary_at(text).prior.quantities[0].median.value
    size = by_path["forces.unit.size"]
    assert (size.low_input, size.high_input) == (910.0, 1090.0)  # rounded: the model rounds sizes
    press = by_path["sources.press.reporting_ratio"]
    assert press.swing == 0  # the prior predictive toll does not depend on a reporting ratio


def test_tornado_on_a_claim_and_bad_requests(small):
    result = sensitivity.tornado(small, output="claim:hundred", draws=5_000, workers=1)
    assert result.side == "prior"  # the scenario conditions on nothing
    assert result.statistic == "probability"
    assert "claim:hundred" in result.to_csv()
    with pytest.raises(SensitivityError, match="unknown output 'kiled'; did you mean 'killed'"):
        sensitivity.tornado(small, output="kiled")
    with pytest.raises(SensitivityError, match="0 < low < high < 1"):
        sensitivity.tornado(small, low=0.9, high=0.1)


# ---------------------------------------------------------------------------------------------
# Sobol' indices
# ---------------------------------------------------------------------------------------------


def test_sobol_recovers_the_ishigami_indices_within_the_bootstrap_intervals():
    """Ishigami (a = 7, b = 0.1) on [−π, π]³; analytic indices from Ishigami & Homma (1990)."""
    a, b = 7.0, 0.1
    variance = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1, v2, v13 = 0.5 * (1 + b * np.pi**4 / 5) ** 2, a**2 / 8, b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    first = np.array([v1, v2, 0.0]) / variance
    total = np.array([v1 + v13, v2, v13]) / variance

    def ishigami(u: np.ndarray) -> np.ndarray:
        x = -np.pi + 2 * np.pi * u
        return np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0])

    result = sensitivity.sobol_indices(ishigami, d=3, n=2**13, seed=1, resamples=400)
    low, high = result.first_interval[:, 0], result.total_interval[:, 0]
    assert np.all((low[0] <= first) & (first <= low[1])), (result.first, low)
    assert np.all((high[0] <= total) & (total <= high[1])), (result.total, high)


def test_weighted_estimator_is_scipys_saltelli_2010():
    rng = np.random.default_rng(3)
    weights = rng.normal(size=4)

    def linear(u: np.ndarray) -> np.ndarray:
        return np.vstack([weights @ u + u[0] * u[1], np.exp(u[2])])

    ours = sensitivity.sobol_indices(linear, d=4, n=256, seed=5, resamples=10)
    sample_seed, _ = np.random.SeedSequence(5).spawn(2)
    theirs = stats.sobol_indices(
        func=linear, n=256, dists=[stats.uniform()] * 4, rng=np.random.Generator(np.random.PCG64(sample_seed))
    )
    np.testing.assert_allclose(ours.first, theirs.first_order, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.total, theirs.total_order, rtol=1e-10, atol=1e-13)


def test_sobol_with_the_fatality_rate_as_only_uncertain_input():
    """K | f ~ Bin(N, f), f ~ Beta(2, 8): S_f = N²Var(f)/Var(K) and the noise's T_u = N·E[f(1 − f)]/Var(K)."""
    size, a, b = 100, 2.0, 8.0
    text = f"""
[simulation]
seed = 4
[forces.unit]
size = {size}
fatality_rate = {{ dist = "beta", a = {a}, b = {b} }}
"""
    scenario = parse_scenario(text, file="rate.toml")
    result = sensitivity.sobol(scenario, n=2**13, resamples=400)
    assert result.inputs == ("forces.unit.fatality_rate", "binomial:unit")
    assert [o.name for o in result.outputs] == ["killed"]
    rate = stats.beta(a, b)
    variance = stats.betabinom(size, a, b).var()
    noise_share = size * (rate.mean() - rate.moment(2)) / variance
    ix = result.indices
    first_rate, total_noise = ix.first[0, 0], ix.total[0, 1]
    assert ix.first_interval[0, 0, 0] <= 1 - noise_share <= ix.first_interval[1, 0, 0], first_rate
    assert ix.total_interval[0, 0, 1] <= noise_share <= ix.total_interval[1, 0, 1], total_noise
    assert 1 - noise_share == pytest.approx(size**2 * rate.var() / variance)
    # With two inputs T_f = 1 − S_u, S_u = Var_u(E[K | u]) / Var(K) for the binomial's uniform u, where
    # K = Q(u; N, f) and E[K | u] = Σ_k P(Q > k) = Σ_k P_f(f > bdtri(k, N, u)): a midpoint rule over u
    # (error ~5e-5 with 2,000 points, measured against 20,000). Tolerance: the spread of T_f over 8 seeds.
    u = (np.arange(2000) + 0.5) / 2000
    given_u = rate.sf(special.bdtri(np.arange(size)[:, None], size, u)).sum(axis=0)
    exact_total = 1 - given_u.var() / variance
    seeds = [sensitivity.sobol(scenario, n=2**13, seed=s, resamples=10).indices for s in range(8)]
    total_spread = np.std([other.total[0, 0] for other in seeds], ddof=1)
    first_spread = np.std([other.first[0, 1] for other in seeds], ddof=1)
    assert max(total_spread, first_spread) < 0.005  # scrambled Sobol' points: measured 5e-4
    assert abs(ix.total[0, 0] - exact_total) < 4.5 * total_spread
    assert abs(ix.first[0, 1] - (1 - exact_total)) < 4.5 * first_spread


def test_uniform_model_by_hand_and_against_the_simulation(small):
    fixed = parse_scenario(
        """
[forces.unit]
size = 1000
fatality_rate = 0.1
missing = 3
wounded_per_killed = 2
[sources.s]
reporting_ratio = 0.5
[[claims]]
id = "c"
value = 10
source = "s"
metric = "casualties"
""",
        file="fixed.toml",
    )
    outputs = variance._sobol_outputs(fixed)
    assert [o.name for o in outputs] == ["killed", "casualties", "reported[c]"]
    model = variance._UniformModel(fixed, ("binomial:unit", "wounded:unit"), outputs)
    values = model(np.array([[0.5], [0.25]]))
    killed = stats.binom.ppf(0.5, 1000, 0.1)
    wounded = stats.binom.ppf(0.25, 1000 - killed, -np.expm1(-2 * killed / (1000 - killed)))
    assert values[:, 0].tolist() == [killed, killed + wounded + 3, round(0.5 * (killed + wounded + 3))]

    inputs = (*(p.path for p in small.priors()), "binomial:unit", "wounded:unit")
    outputs = tuple(sensitivity.SobolOutput(name, name, name) for name in ("killed", "casualties"))
    draws = variance._UniformModel(small, inputs, outputs)(np.random.default_rng(8).random((len(inputs), 50_000)))
    summary = summarize(simulate(small, draws=200_000, workers=1, condition_on=()))
    for row, name in ((0, "killed"), (1, "casualties")):
        reference = next(d for d in summary.prior.quantities if d.name == name)
        error = np.hypot(reference.mean.mcse, draws[row].std() / np.sqrt(draws.shape[1]))
        assert abs(draws[row].mean() - reference.mean.value) < 4 * error, name


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def test_cli_sweep_tornado_sobol_write_their_folders(tmp_path, write_config):
    config = write_config(scenario_text(draws=2_000))
    root = tmp_path / "results"
    common = ["--results", str(root), "--workers", "1", "--draws", "2000"]
    result = runner.invoke(
        app, ["sweep", str(config), "--param", "forces.unit.fatality_rate", "--values", "0.05,0.1", *common]
    )
    assert result.exit_code == 0, result.output
    folder = root / "small" / "sensitivity" / "sweep-forces.unit.fatality_rate"
    assert str(folder) in result.output
    assert {p.name for p in folder.iterdir()} == {
        "sweep.csv",
        "sweep.json",
        "sweep.png",
        "sweep.svg",
        "manifest.json",
        MARKER,
    }
    assert json.loads((folder / "manifest.json").read_text())["seed"] == 11

    result = runner.invoke(app, ["tornado", str(config), "--output", "claim:nine", *common])
    assert result.exit_code == 0, result.output
    assert (root / "small" / "sensitivity" / "tornado-claim_nine" / "tornado.png").is_file()

    result = runner.invoke(app, ["sobol", str(config), "--n", "64", "--resamples", "20", "--results", str(root)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (root / "small" / "sensitivity" / "sobol").iterdir()}
    assert {"sobol.csv", "sobol.json", "manifest.json", "sobol-killed.png", "sobol-reported-hundred.svg"} <= names
    assert not any(name.startswith(".") for name in (p.name for p in (root / "small" / "sensitivity").iterdir()))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["sweep", "--param", "forces.unit.fatalty_rate", "--values", "0.1"], "nearest: forces.unit.fatality_rate"),
        (["sweep", "--param", "forces.unit.fatality_rate", "--values", "1.5"], "at forces.unit.fatality_rate = 1.5"),
        (["sweep", "--param", "forces.unit.fatality_rate"], "give one --values or --range for each --param"),
        (
            [
                "sweep",
                "--param",
                "forces.unit.size.low",
                "--range",
                "1:1001:1001",
                "--param",
                "x",
                "--range",
                "1:2:1000",
            ],
            "the grid has 1,001,000 points",
        ),
        (["tornado", "--output", "kiled"], "did you mean 'killed'"),
        (["sobol", "--n", "1000"], "n must be a power of 2"),
    ],
)
def test_cli_bad_input_exits_2_with_one_message(tmp_path, write_config, arguments, message):
    config = write_config(scenario_text())
    command, *options = arguments
    result = runner.invoke(app, [command, str(config), *options, "--results", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "small").exists()


def test_write_atomically_replaces_an_existing_folder(tmp_path):
    folder = sensitivity.output_folder(tmp_path, "s", "tornado", "killed[combat]")
    assert folder.name == "tornado-killed_combat"
    sensitivity.write_atomically(folder, {"a.csv": b"1"})
    sensitivity.write_atomically(folder, {"b.csv": b"2"})
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "b.csv"]
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_figures_of_a_claim_tornado_with_probabilities_of_zero(small):
    """A log-scale tornado whose baseline and some pins are 0 (or near the smallest double) still draws."""
    from sim.plots_sensitivity import tornado_figure

    provenance = sensitivity.Provenance.of(small, seed=1, detail="test")
    bars = (
        sensitivity.TornadoBar("forces.unit.fatality_rate", 0.05, 0.2, 1.6e-300, 0.0),
        sensitivity.TornadoBar("forces.unit.size", 910, 1090, 5e-10, 2e-11),
        sensitivity.TornadoBar("sources.press.reporting_ratio", 0.5, 2.0, 0.0, 0.0),
    )
    result = sensitivity.TornadoResult(
        provenance, "claim:nine", "P(claim true): nine", "prior", "probability", 0.05, 0.95, 0.0, bars, scale="log"
    )
    figure = tornado_figure(result)
    assert figure.axes[0].get_xscale() == "log"
    assert figure.axes[0].get_xlim()[0] >= 1e-300


def test_sensitivity_figures_name_inputs_and_fold_those_without_effect(write_config):
    """Tornado and Sobol' rows carry the priors' names, not key paths; inputs without effect share one note."""
    from sim.config import load_scenario
    from sim.plots_sensitivity import sobol_figure, tornado_figure

    scenario = load_scenario(write_config(scenario_text()))
    provenance = sensitivity.Provenance.of(scenario, seed=1, detail="test")
    bars = (
        sensitivity.TornadoBar("forces.unit.fatality_rate", 0.05, 0.2, 60.0, 150.0),
        sensitivity.TornadoBar("sources.press.reporting_ratio", 0.5, 2.0, 100.0, 100.0),
    )
    result = sensitivity.TornadoResult(
        provenance, "killed", "median killed", "prior", "median", 0.05, 0.95, 100.0, bars
    )
    figure = tornado_figure(result)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == ["Fatality rate — unit"]
    notes = " ".join(t.get_text().replace("\n", " ") for t in figure.texts)
    assert "No effect" in notes and "Reporting ratio — press" in notes
    sobol = sensitivity.sobol(scenario, n=256, resamples=50)
    figure = sobol_figure(sobol)
    shown = [t.get_text().replace("\n", " ") for t in figure.axes[0].get_yticklabels()]
    assert "Fatality rate — unit" in shown and not any("." in label for label in shown)
    total = dict(zip(sobol.inputs, sobol.indices.total[0], strict=True))
    assert len(shown) == sum(value >= 1e-3 for value in total.values())


def test_sobol_and_tornado_figures_of_the_phased_kursk_scenario_lay_out(monkeypatch):
    """Kursk's many inputs without a measurable share make a note of many lines; the figure grows to hold it
    (it was an unsatisfiable layout and a traceback)."""
    from pathlib import Path

    import sim.plots_sensitivity
    from sim.config import load_scenario
    from sim.plots_sensitivity import sobol_figure

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "configs" / "kursk.toml")
    result = sensitivity.sobol(scenario, n=64, resamples=20)
    monkeypatch.setattr(sim.plots_sensitivity, "NEGLIGIBLE", 0.9)  # all but the largest inputs into the note
    figure = sobol_figure(result, result.outputs[0].name)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    figure.savefig(io.BytesIO(), format="png")  # lays the figure out as sim saves it
    renderer = figure.canvas.get_renderer()
    note = next(t for t in figure.texts if t.get_text().startswith("Total index below"))
    assert note.get_text().count("\n") >= 3
    assert figure.axes[0].get_tightbbox(renderer).y0 >= note.get_window_extent(renderer).y1


def test_sensitivity_rows_of_a_phased_force_name_their_phase():
    """The five daily hazards of Kursk's phased combat troops are five rows that say which phase each is (by the
    wording layer's input_label, as the priors figure says them), never five alike."""
    from pathlib import Path

    from sim.config import load_scenario
    from sim.plots_sensitivity import tornado_figure
    from sim.text import input_label

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "configs" / "kursk.toml")
    provenance = sensitivity.Provenance.of(scenario, seed=1, detail="test")
    paths = [f"forces.combat.phases[{index}].daily_hazard" for index in range(5)]
    bars = tuple(
        sensitivity.TornadoBar(path, 1e-4, 1e-3, 100.0 - 10 * i, 200.0 + 10 * i) for i, path in enumerate(paths)
    )
    result = sensitivity.TornadoResult(
        provenance, "killed", "median killed", "prior", "median", 0.05, 0.95, 150.0, bars
    )
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = tornado_figure(result)
    FigureCanvasAgg(figure).draw()
    ticks = figure.axes[0].get_yticklabels()
    boxes = [tick.get_window_extent(figure.canvas.get_renderer()) for tick in ticks]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]), "labels run into each other"
    shown = [t.get_text().replace("\n", " ") for t in ticks]
    assert len(set(shown)) == 5
    for index, phase in enumerate(scenario.forces[0].phases):
        label = input_label(paths[index], scenario)
        assert f"phase {index + 1}, {phase.label} (" in label and label in shown
    assert "phase 1, Combat, first wave (1 Dec 2024 – 15 Jan 2025)" in input_label(paths[0], scenario)


PHASED = """
[scenario]
name = "phased"
title = "A force in two phases whose strength is uncertain"
[simulation]
draws = 2_000
seed = 4
[forces.unit]
label = "The unit"
[[forces.unit.phases]]
start = 2025-01-01
end = 2025-02-01
present = { dist = "uniform", low = 400, high = 600 }
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3] }
[[forces.unit.phases]]
start = 2025-02-01
end = 2025-03-01
present = { dist = "uniform", low = 300, high = 500 }
arrivals = { dist = "uniform", low = 50, high = 150 }
daily_hazard = { dist = "lognormal", ci90 = [1e-4, 1e-3] }
"""


def test_tornado_pins_a_phases_counts_at_whole_numbers():
    """A phase's present and arrivals are counts: pinned at the uniform's 5% and 95% quantiles, rounded (410 and
    590 of U(400, 600), 55 and 145 of U(50, 150): the loader refuses a fixed count that is not whole)."""
    from sim.config import parse_scenario

    result = sensitivity.tornado(parse_scenario(PHASED), draws=None, condition_on=(), workers=1)
    pins = {bar.path: (bar.low_input, bar.high_input) for bar in result.bars}
    assert pins["forces.unit.phases[0].present"] == (410.0, 590.0)
    assert pins["forces.unit.phases[1].arrivals"] == (55.0, 145.0)
    assert all(value == round(value) for path, pair in pins.items() if "hazard" not in path for value in pair)


def test_noise_inputs_and_claims_are_named_by_force_phase_and_date():
    """Sobol' inputs such as binomial:combat:2 and timing:combat:2:killed:2025-03-28, and the claims behind an
    output, read as the wording layer names forces, phases, dates and claims (never ids)."""
    from pathlib import Path

    from sim.config import load_scenario
    from sim.plots_sensitivity import _labels

    scenario = load_scenario(Path(__file__).resolve().parent.parent / "configs" / "kursk.toml")
    name_of = _labels(sensitivity.Provenance.of(scenario, seed=1, detail="test"))
    combat = scenario.forces[0].label
    assert (
        name_of("binomial:combat:2")
        == f"Binomial noise — {combat} — phase 3, {scenario.forces[0].phases[2].label} (7 Feb – 1 Apr 2025)"
    )
    assert name_of("timing:combat:2:killed:2025-03-28").endswith("(7 Feb – 1 Apr 2025): killed by 28 Mar 2025")
    assert name_of("wounded:engineers") == f"Wounded noise — {scenario.forces[1].label}"
    assert name_of("claim:press_6000_killed") == next(c.label for c in scenario.claims if c.id == "press_6000_killed")
