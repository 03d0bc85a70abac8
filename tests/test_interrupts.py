"""Never half-written results: interrupted runs leave no run folder, unwritable folders fail cleanly.

Real ``python -m sim run`` and ``sim sweep`` subprocesses get SIGINT or SIGTERM mid-run: they
must exit 130 or 143 with one line, leave nothing under the results folder and stop their
worker processes; a SIGINT the process was started ignoring stays ignored.
Interruptions while the run folder is being written are made in-process (the hook that
draws figures into the staging folder sends the signal to the process itself).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reference_cases import TINY
from typer.testing import CliRunner

import sim.display
from sim.cli import app
from sim.storage import _swap_into_place

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


KURSK = str(ROOT / "configs" / "kursk.toml")
SWEEP = ["sweep", KURSK, "--param", "forces.builders.size.high", "--values", "15000,16000,17000,18000,19000"]
SUBPROCESS_CASES = {
    # name: (command, signals sent in order, expected exit code)
    "run, SIGINT": (["run", KURSK, "--draws", "50000000", "--quiet"], [signal.SIGINT], 130),
    "run started ignoring SIGINT, then SIGTERM": (
        ["run", KURSK, "--draws", "50000000", "--quiet"],
        [signal.SIGINT, signal.SIGTERM],
        143,
    ),
    "sweep, SIGINT": ([*SWEEP, "--draws", "500000"], [signal.SIGINT], 130),
}


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell does for a background job


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads worker processes from /proc")
def test_signals_mid_run_leave_no_results_and_stop_the_workers(tmp_path: Path):
    """All cases run at once (each with two workers) to keep the test short."""
    processes = {}
    for index, (name, (command, _, _)) in enumerate(SUBPROCESS_CASES.items()):
        results = tmp_path / f"results{index}"
        processes[name] = (
            subprocess.Popen(
                [sys.executable, "-m", "sim", *command, "--results", str(results), "--workers", "2"],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=_ignore_sigint if "ignoring" in name else None,
            ),
            results,
        )
    try:
        workers = {}
        for name, (process, _) in processes.items():
            deadline = time.monotonic() + 90
            while len(_children(process.pid)) < 2 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            workers[name] = _children(process.pid)
            assert len(workers[name]) == 2, f"{name}: the run never started its two workers"
        time.sleep(0.5)  # the workers are drawing chunks
        for name, (process, _) in processes.items():
            first, *later = SUBPROCESS_CASES[name][1]
            process.send_signal(first)
            if later:
                time.sleep(1.0)
                assert process.poll() is None, f"{name}: an ignored SIGINT stopped the run"
                process.send_signal(later[0])
        for name, (process, results) in processes.items():
            stdout, stderr = process.communicate(timeout=90)
            assert process.returncode == SUBPROCESS_CASES[name][2], (name, stderr)
            assert stderr == "interrupted: no results written\n", name
            assert stdout == "", name
            assert not results.exists() or not any(results.rglob("*")), sorted(results.rglob("*"))
            deadline = time.monotonic() + 10
            while any(_alive(pid) for pid in workers[name]) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not any(_alive(pid) for pid in workers[name]), f"{name}: a worker outlived the run"
    finally:  # a failed assertion must not leave a 50-million-draw run behind (its workers die with it)
        for process, _ in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


def _send_sigint(*args: object, **kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_interrupt_while_writing_removes_the_staging_folder(tmp_path: Path, write_config, staging_hook):
    staging_hook(_send_sigint)
    results = tmp_path / "results"
    result = runner.invoke(app, ["run", str(write_config(TINY)), "--results", str(results), "--workers", "1", "-q"])
    assert result.exit_code == 130, result.output
    assert result.output == "interrupted: no results written\n"
    assert list((results / "tiny").iterdir()) == []  # no run folder, no hidden .partial folder


def test_interrupt_after_writing_keeps_the_complete_run(tmp_path: Path, write_config, monkeypatch, staging_hook):
    staging_hook(None)
    monkeypatch.setattr(sim.display, "print_summary", _send_sigint)
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(write_config(TINY)), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 130, result.output
    assert f"interrupted: the run was already written to {out}" in result.output
    assert {"summary.json", "summary.csv", "manifest.json", "scenario.toml"} <= {p.name for p in out.iterdir()}


def test_sigterm_after_writing_when_sigint_is_ignored(tmp_path: Path, write_config, monkeypatch, staging_hook):
    staging_hook(None)
    monkeypatch.setattr(sim.display, "print_summary", lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGTERM))
    out = tmp_path / "run"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = runner.invoke(app, ["run", str(write_config(TINY)), "--out", str(out), "--workers", "1"])
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # left as it was found
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == 143, result.output
    assert f"interrupted: the run was already written to {out}" in result.output


@pytest.mark.parametrize("where", ["results", "out"])
def test_results_under_a_regular_file_exit_1_naming_the_folder(tmp_path: Path, write_config, where: str):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    option = ["--results", str(blocker)] if where == "results" else ["--out", str(blocker / "run")]
    result = runner.invoke(app, ["run", str(write_config(TINY)), *option, "--workers", "1", "-q"])
    assert result.exit_code == 1, result.output
    folder = blocker / "tiny" if where == "results" else blocker
    assert f"error: cannot write results under {folder}: {blocker} is a file, not a folder" in result.output
    assert "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_exits_1_and_leaves_nothing(tmp_path: Path, write_config, staging_hook):
    staging_hook(_disk_full)
    results = tmp_path / "results"
    result = runner.invoke(app, ["run", str(write_config(TINY)), "--results", str(results), "--workers", "1", "-q"])
    assert result.exit_code == 1, result.output
    assert "cannot write" in result.output and "No space left on device" in result.output
    assert list((results / "tiny").iterdir()) == []


def test_a_failed_forced_replacement_keeps_the_old_run(tmp_path: Path, write_config, staging_hook):
    config = str(write_config(TINY))
    out = tmp_path / "run"
    staging_hook(None)
    first = runner.invoke(app, ["run", config, "--out", str(out), "--workers", "1", "-q"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    staging_hook(_disk_full)
    again = runner.invoke(app, ["run", config, "--out", str(out), "--force", "--seed", "4", "--workers", "1", "-q"])
    assert again.exit_code == 1, again.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_forced_replacement_that_cannot_rename_restores_the_old_run(tmp_path: Path, monkeypatch):
    out, staging = tmp_path / "run", tmp_path / ".run.abc.partial"
    for folder, text in ((out, "old"), (staging, "new")):
        folder.mkdir()
        (folder / "summary.json").write_text(text, encoding="utf-8")
    rename = Path.rename

    def cross_device(self: Path, target: Path) -> Path:
        if self == staging:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", cross_device)
    with pytest.raises(OSError):
        _swap_into_place(staging, out)
    assert (out / "summary.json").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run.abc.partial", "run"]


def test_a_forced_replacement_leaves_only_the_new_run(tmp_path: Path):
    out, staging = tmp_path / "run", tmp_path / ".run.abc.partial"
    for folder, text in ((out, "old"), (staging, "new")):
        folder.mkdir()
        (folder / "summary.json").write_text(text, encoding="utf-8")
    _swap_into_place(staging, out)
    assert (out / "summary.json").read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
