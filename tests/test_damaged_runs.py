"""Damaged run folders: ``sim report`` and ``sim compare`` check what they read and exit 2 naming the file.

Each case copies one good run folder and damages one thing in it; neither command may
print a traceback, load a pickle, allocate what a forged header claims, or write through
a symbolic link out of the folder.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from reference_cases import TINY as TINY_RUN
from typer.testing import CliRunner

import sim.storage
from sim.cli import app

runner = CliRunner()

TINY = TINY_RUN + '[[claims]]\nid = "hundred"\nvalue = 100\n'


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    config = folder / "tiny.toml"
    config.write_text(TINY, encoding="utf-8")
    out = folder / "run"
    result = runner.invoke(app, ["run", str(config), "--out", str(out), "--no-plots", "-q", "--workers", "1"])
    assert result.exit_code == 0, result.output
    return out


class _Trap:
    """Unpickling this creates the folder ``path``: proof that a pickle was loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _forged_header() -> bytes:
    """An .npz whose one member's header claims 10^10 float64 (74.5 GiB) over 8 bytes of data."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (10**10,)})
    member.write(b"\0" * 8)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("count:killed.npy", member.getvalue())
    return buffer.getvalue()


def _deep_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def damage(run: Path, case: str, outside: Path) -> str:
    """Damage ``run`` as ``case`` says; return the file the error must name."""
    if case == "random bytes for an npz":
        (run / "distributions.npz").write_bytes(os.urandom(4096))
        return "distributions.npz"
    if case == "a pickled npz":
        trap = np.array([_Trap(str(outside / "pickle-was-loaded"))], dtype=object)
        (run / "reservoir.npz").write_bytes(_npz({"killed": trap}))
        return "reservoir.npz"
    if case == "an npz header claiming 74.5 GiB":
        (run / "distributions.npz").write_bytes(_forged_header())
        return "distributions.npz"
    if case == "bad JSON":
        (run / "summary.json").write_text("{not json", encoding="utf-8")
        return "summary.json"
    if case == "200k-deep JSON":
        (run / "summary.json").write_bytes(_deep_json(200_000))
        return "summary.json"
    if case == "a manifest that is a list":
        (run / "manifest.json").write_text("[1, 2]", encoding="utf-8")
        return "manifest.json"
    if case == "a summary missing its keys":
        (run / "summary.json").write_text('{"scenario": "tiny"}', encoding="utf-8")
        return "summary.json"
    if case == "a bad scenario.toml":
        (run / "scenario.toml").write_text("[forces.x]\nsize = -1\n", encoding="utf-8")
        return "scenario.toml"
    if case == "summary.json linked out of the folder":
        (outside / "summary.json").write_bytes((run / "summary.json").read_bytes())
        (run / "summary.json").unlink()
        (run / "summary.json").symlink_to(outside / "summary.json")
        return "summary.json"
    if case == "figures linked out of the folder":
        (run / "figures").symlink_to(outside, target_is_directory=True)
        return "figures"
    raise AssertionError(case)


CASES = [
    "random bytes for an npz",
    "a pickled npz",
    "an npz header claiming 74.5 GiB",
    "bad JSON",
    "200k-deep JSON",
    "a manifest that is a list",
    "a summary missing its keys",
    "a bad scenario.toml",
    "summary.json linked out of the folder",
    "figures linked out of the folder",
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_damaged_run_folder_exits_2_naming_the_file(good_run: Path, tmp_path: Path, case: str, command: str):
    run, outside = tmp_path / "run", tmp_path / "outside"
    shutil.copytree(good_run, run)
    outside.mkdir()
    name = damage(run, case, outside)
    if command == "report":
        args = ["report", str(run)]
    else:
        args = ["compare", str(run), str(good_run), "--out", str(tmp_path / "cmp")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)
    assert str(run / name) in " ".join(result.output.split()), result.output
    assert sorted(p.name for p in outside.iterdir()) in ([], ["summary.json"]), "wrote or unpickled outside the run"
    assert not (tmp_path / "cmp").exists()


def test_report_on_a_full_disk_exits_1_and_keeps_the_old_report(good_run: Path, tmp_path: Path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    assert runner.invoke(app, ["report", str(run), "--no-plots"]).exit_code == 0
    before = (run / "report.md").read_bytes()

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sim.storage.os, "fsync", full)
    result = runner.invoke(app, ["report", str(run), "--no-plots"])
    assert result.exit_code == 1, result.output
    assert f"error: cannot write {run}: No space left on device" in " ".join(result.output.split())
    assert (run / "report.md").read_bytes() == before
