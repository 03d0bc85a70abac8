"""Small run folders: compressed arrays, pmfs over their support, a shorter reservoir, display-size figures.

Nothing a report, a comparison or a figure reads may be lost: the arrays read back equal
the run's own, bit for bit, and summary.json is the run's own bytes.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from reference_cases import HUNDRED_IN_UNIT
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.raster import display_png
from sim.results import (
    RESERVOIR_KEPT,
    SINGLE_PRECISION,
    ResultsError,
    _arrays,
    _compact,
    _expand,
    _npz,
    load_run,
    pack_distributions,
    unpack_distributions,
)

runner = CliRunner()

SCENARIO = (
    """
[scenario]
name = "folders"
[simulation]
draws = 24_000
seed = 7
[forces.unit]
size = { dist = "uniform", low = 800, high = 1200, units = "people", source = "test" }
fatality_rate = { dist = "beta", mean = 0.1, sd = 0.03, units = "fraction", source = "test" }
"""
    + HUNDRED_IN_UNIT
)


def test_pmfs_over_their_support_read_back_bit_for_bit():
    rng = np.random.default_rng(1)
    inner = rng.random(50)
    arrays = {
        "padded": np.concatenate([np.zeros(7), inner, np.zeros(11)]),
        "hole": np.concatenate([inner[:5], np.zeros(4), inner[5:9]]),  # zeros inside the support stay
        "zeros": np.zeros(9),
        "empty": np.zeros(0),
        "dense": inner,
        "ints": np.array([0, 0, 3, 4, 0], dtype=np.int64),
        "grid": np.zeros((3, 4)),  # not one-dimensional: stored as it is
    }
    packed = pack_distributions(arrays)
    assert packed["padded"].size == 50 and packed["zeros"].size == 0 and packed["ints"].tolist() == [3, 4]
    assert packed["dense"] is arrays["dense"] and packed["grid"] is arrays["grid"]
    restored = unpack_distributions(packed)
    assert restored.keys() == arrays.keys()
    for name, values in arrays.items():
        assert restored[name].dtype == values.dtype and restored[name].shape == values.shape, name
        assert np.array_equal(restored[name], values), name


def test_evenly_spaced_edges_are_stored_as_their_ends_and_drawn_again_bit_for_bit():
    arrays = {
        "posterior_input/a/edges": np.linspace(-0.3, 7.1, 2049),
        "posterior_input/b/edges": np.geomspace(1e-5, 0.9, 2049),
        "posterior_input/c/edges": np.linspace(0.0, 1.0, 5),  # starts at 0: no support cut
        "posterior_input/ratio/edges": np.sort(np.random.default_rng(6).random(40)),  # not evenly spaced
    }
    packed = pack_distributions(arrays)
    assert packed["~linspace/posterior_input/a/edges"].tolist() == [-0.3, 7.1, 2049]
    assert "~geomspace/posterior_input/b/edges" in packed and "posterior_input/b/edges" not in packed
    assert "~linspace/posterior_input/c/edges" in packed
    assert packed["posterior_input/ratio/edges"] is arrays["posterior_input/ratio/edges"]
    restored = unpack_distributions(packed)
    assert restored.keys() == arrays.keys()
    for name, values in arrays.items():
        assert restored[name].dtype == values.dtype and np.array_equal(restored[name], values), name
    with pytest.raises(ValueError, match="first, last, size"):
        unpack_distributions({"~linspace/x/edges": np.array([0.0, 1.0, 1e12])})


def test_counts_over_the_draws_are_stored_as_counts_and_read_back_bit_for_bit():
    rng = np.random.default_rng(2)
    draws = 1_000_003
    counts = rng.multinomial(draws, rng.dirichlet(np.ones(40)))
    arrays = {"prior/x": np.concatenate([np.zeros(3), counts / draws]), "prior/y": rng.random(20)}
    packed = pack_distributions(arrays, draws=draws)
    assert packed["prior/x"].dtype == np.uint32 and packed["prior/y"].dtype == np.float64  # y is not counts
    restored = unpack_distributions(packed)
    for name, values in arrays.items():
        assert restored[name].dtype == np.float64 and np.array_equal(restored[name], values), name


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[sim.Run, Path, Path]:
    folder = tmp_path_factory.mktemp("folders")
    config = folder / "scenario.toml"
    config.write_text(SCENARIO, encoding="utf-8")
    run = sim.run(config, condition="all", workers=1)
    small = run.write(folder / "small", figures=False)
    return run, small, run.write(folder / "full", figures=False, full_reservoir=True)


def test_the_folder_reads_back_exactly(written):
    run, small, _ = written
    assert (small / "summary.json").read_bytes() == run.summary.to_json().encode()
    data = load_run(small)
    assert data.summary.to_json() == run.summary.to_json()
    assert data.summary.distributions.keys() == run.summary.distributions.keys()
    single = [name for name in run.summary.distributions if name.startswith(SINGLE_PRECISION)]
    assert any(name.startswith("posterior/") for name in single)  # the run conditions: it has posterior pmfs
    for name, values in run.summary.distributions.items():
        assert data.summary.distributions[name].dtype == values.dtype, name
        # posterior pmfs (sums of importance weights) are stored as float32: exactly their rounding; the rest exact
        expected = values.astype(np.float32).astype(np.float64) if name in single and "/edges" not in name else values
        assert np.array_equal(data.summary.distributions[name], expected), name
    with zipfile.ZipFile(small / "distributions.npz") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_LZMA}
    with np.load(small / "distributions.npz") as stored:  # prior pmfs are stored as their whole counts, shuffled
        assert str(stored["~bytes/prior/killed"]) == "<u4" and stored["~counts/prior/killed"].tolist() == [24_000]
        assert stored["prior/killed"].dtype == np.uint8 and stored["prior/killed"].shape[0] == 4
        assert str(stored["~bytes/posterior/killed"]) == "<f4"


def test_arrays_are_stored_byte_shuffled_and_read_back_bit_for_bit(tmp_path):
    """Every dtype round-trips through the byte shuffle; 2-D and text arrays are stored as they are; an archive
    from before the shuffle (numpy's own deflate .npz) still reads; a shuffled array with a wrong dtype is refused."""
    rng = np.random.default_rng(4)
    arrays = {
        "f8": rng.random(33),
        "f4": rng.random(7).astype(np.float32),
        "u4": rng.integers(0, 2**32, 20, dtype=np.uint32),
        "i8": rng.integers(-(2**62), 2**62, 5),
        "u1": np.arange(9, dtype=np.uint8),
        "empty": np.zeros(0, dtype=np.int32),
        "grid": rng.random((3, 4)),
        "text": np.array("killed[a]"),
    }
    path = tmp_path / "distributions.npz"
    path.write_bytes(_npz(arrays))
    with np.load(path) as stored:
        assert stored["f8"].dtype == np.uint8 and stored["f8"].shape == (8, 33) and str(stored["~bytes/f8"]) == "<f8"
        assert "~bytes/grid" not in stored.files and "~bytes/u1" not in stored.files
    for restored in (_arrays(path), _arrays(_old_npz(tmp_path, arrays))):
        assert restored.keys() == arrays.keys()
        for name, values in arrays.items():
            assert restored[name].dtype == values.dtype and np.array_equal(restored[name], values), name
    with zipfile.ZipFile(path, "a") as archive, archive.open("~bytes/grid.npy", "w") as stream:
        np.lib.format.write_array(stream, np.array("<f8"))
    with pytest.raises(ResultsError, match="not an array archive"):
        _arrays(path)


def _old_npz(folder: Path, arrays: dict[str, np.ndarray]) -> Path:
    path = folder / "old" / "distributions.npz"
    path.parent.mkdir()
    np.savez_compressed(path, **arrays)
    return path


def test_the_reservoir_keeps_its_first_draws_and_every_column(written):
    run, small, full = written
    kept, whole = load_run(small).reservoir, load_run(full).reservoir
    assert kept.keys() == whole.keys() == run.draws.keys()
    assert "served[unit]" in kept  # stored once, as forces.unit.size's twin, and restored
    assert np.array_equal(kept["served[unit]"], kept["forces.unit.size"])
    for name, values in run.draws.items():
        assert kept[name].size == RESERVOIR_KEPT and whole[name].size == values.size == 24_000, name
        assert np.array_equal(whole[name], values.astype(whole[name].dtype)), name
        assert np.array_equal(kept[name], whole[name][:RESERVOIR_KEPT]), name
    with np.load(small / "reservoir.npz") as stored:
        assert "~same/served[unit]" in stored.files and "served[unit]" not in stored.files


def test_totals_over_forces_are_stored_as_their_parts_and_restored_exactly():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 10**6, 50), rng.integers(0, 10**6, 50)
    reservoir = {"killed[a]": a, "killed[b]": b, "killed": a + b, "casualties": a + b + 1, "rate": rng.random(50)}
    sums = {"killed": ("killed[a]", "killed[b]"), "casualties": ("killed[a]", "killed[b]")}
    stored = _compact(reservoir, None, sums)
    assert "~sum/killed" in stored and "killed" not in stored  # the sum of its parts: stored as their names
    assert "casualties" in stored  # not the sum of the parts it is said to be: stored as it is
    restored = _expand(stored)
    assert restored.keys() == reservoir.keys()
    for name, values in reservoir.items():
        assert np.array_equal(restored[name], values.astype(restored[name].dtype)), name
    assert restored["killed"].dtype == np.int32
    with pytest.raises(ValueError, match="no column"):
        _expand({"~sum/killed": np.array(["killed[a]", "killed[c]"]), "killed[a]": a})


def test_report_and_compare_work_from_the_small_files(written, tmp_path):
    _, small, full = written
    report = runner.invoke(app, ["report", str(small)])
    assert report.exit_code == 0, report.output
    page = (small / "report.html").read_text(encoding="utf-8")
    assert len(
        re.findall(r'<figure id="figure-[a-z_]+"><div class="bands"[^>]*><img src="data:image/png;base64,', page)
    ) == len(list((small / "figures").glob("*.png")))
    compared = runner.invoke(app, ["compare", str(small), str(full), "--out", str(tmp_path / "cmp")])
    assert compared.exit_code == 0, compared.output
    table = json.loads((tmp_path / "cmp" / "table.json").read_text())
    tolls = [entry["toll"] for entry in table["scenarios"]]
    assert tolls[0] == tolls[1]  # the same run, whichever reservoir it kept


def test_the_report_embeds_figures_at_the_size_they_are_shown(tmp_path):
    from PIL import Image

    path = tmp_path / "figure.png"
    Image.new("RGB", (1400, 1000), "white").save(path, dpi=(200, 200))
    with Image.open(io.BytesIO(display_png(path))) as shown:
        assert shown.size == (700, 500)
    Image.new("RGB", (700, 500), "white").save(path, dpi=(100, 100))
    assert display_png(path) == path.read_bytes()  # already at display size: embedded as it is
    assert base64.b64encode(display_png(path))  # bytes, ready for a data: URI


def _fake_run(folder: Path, started: str, *, size: int = 10) -> Path:
    """A run folder as sim marks it (the marker, a manifest), without simulating."""
    folder.mkdir(parents=True)
    (folder / ".sim-made").write_text("made by sim (test)\n")
    (folder / "manifest.json").write_text(json.dumps({"started_utc": started, "draws": 1000, "sim_version": "t"}))
    (folder / "data.bin").write_bytes(b"x" * size)
    return folder


def test_runs_lists_and_clean_keeps_the_newest_and_touches_only_sims_folders(tmp_path):
    scenario = tmp_path / "results" / "demo"
    runs = [_fake_run(scenario / f"run{i}", f"2026-01-0{i}T00:00:00+00:00", size=1000 * i) for i in (3, 1, 2, 4)]
    (scenario / "latest").symlink_to("run1")  # the oldest run is latest: it is kept whatever --keep says
    foreign = scenario / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not sim's")
    listing = runner.invoke(app, ["runs", "demo", "--results", str(tmp_path / "results"), "--json"])
    assert listing.exit_code == 0, listing.output
    rows = json.loads(listing.stdout)
    assert [Path(r["path"]).name for r in rows] == ["run1", "run2", "run3", "run4"]
    assert [r["latest"] for r in rows] == [True, False, False, False]
    assert rows[2]["bytes"] > 3000 and rows[2]["draws"] == 1000
    dry = runner.invoke(app, ["clean", str(scenario), "--keep", "1", "--dry-run"])
    assert dry.exit_code == 0 and "would remove 2 run(s)" in dry.output and all(r.exists() for r in runs)
    clean = runner.invoke(app, ["clean", str(scenario), "--keep", "1"])
    assert clean.exit_code == 0, clean.output
    assert sorted(p.name for p in scenario.iterdir()) == ["latest", "mine", "run1", "run4"]
    assert (foreign / "notes.txt").is_file() and (scenario / "latest").resolve() == runs[1].resolve()
    refused = runner.invoke(app, ["clean", "demo", "--keep", "-1", "--results", str(tmp_path / "results")])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    bad = runner.invoke(app, ["runs", "../etc", "--results", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2 and "not a scenario name" in bad.output


def test_the_million_soldier_scenario_is_marked_synthetic_and_loads():
    from sim.config import load_scenario

    path = Path(__file__).resolve().parent / "million.toml"
    scenario = load_scenario(path)
    assert path.read_text(encoding="utf-8").startswith("# SYNTHETIC")
    assert "Synthetic" in scenario.title and len(scenario.forces) == 6 and len(scenario.claims) == 32


def test_saved_figures_are_palette_pngs_at_their_stated_resolution(tmp_path):
    from PIL import Image

    from sim.raster import DISPLAY_DPI, PALETTE_COLOURS, PNG_DPI
    from sim.style import new_figure, save_figure

    figure, axes = new_figure(width=7.0, height=3.0)
    for shift in range(12):  # more colours, and anti-aliased blends of them, than the palette holds
        axes.plot(np.linspace(0, 1, 50) + shift, np.sin(np.linspace(0, 9, 50) + shift), linewidth=3)
    png, _ = save_figure(figure, tmp_path / "demo", metadata={"Title": "demo", "sim.seed": "7"}, compressed=True)
    with Image.open(png) as image:
        assert image.mode == "P" and image.size == (7 * PNG_DPI, 3 * PNG_DPI)
        assert round(image.info["dpi"][0]) == PNG_DPI and image.text["sim.seed"] == "7"
        assert len(image.getcolors()) <= PALETTE_COLOURS
    with Image.open(io.BytesIO(display_png(png))) as shown:
        assert shown.size == (7 * DISPLAY_DPI, 3 * DISPLAY_DPI)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "limit"),
    [("configs/kursk.toml", 3_000_000), ("tests/million.toml", 10_000_000)],
    ids=["kursk", "million"],
)
def test_default_run_folders_fit_their_budget(tmp_path, config, limit):
    """Issue 19's budgets, with every figure and the report: the Kursk default under 3 MB, the million-soldier
    scenario under 10 MB (1,000,000 draws each)."""
    root = Path(__file__).resolve().parent.parent
    done = runner.invoke(app, ["run", str(root / config), "--report", "--out", str(tmp_path / "run"), "--quiet"])
    assert done.exit_code == 0, done.output
    files = [path for path in (tmp_path / "run").rglob("*") if path.is_file()]
    from sim.figures import figure_names

    run = load_run(tmp_path / "run")
    assert run.summary.draws == 1_000_000
    assert {p.name for p in files} >= {"report.html", "report.md", "distributions.npz", "reservoir.npz"}
    drawn = {path.name for path in files if path.parent.name == "figures"}
    assert drawn == {f"{name}.{kind}" for name in figure_names(run) for kind in ("png", "svgz")}
    assert sum(path.stat().st_size for path in files) < limit
