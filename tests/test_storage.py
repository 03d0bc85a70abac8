"""Run folders that never collide, ``latest`` and ``--force`` that touch only sim's own, atomic user files.

Concurrent runs are forked from this (already imported) process, all into one results
folder at the same moment, so that three rounds of eight take seconds, not minutes.
"""

from __future__ import annotations

import errno
import fcntl
import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from reference_cases import TINY
from typer.testing import CliRunner

import sim.cli
import sim.storage
from sim.cli import app
from sim.storage import MARKER, StorageError, remove_stale, write_atomic, write_folder

runner = CliRunner()


def _run_forked(args: list[str], start: multiprocessing.synchronize.Event, queue: multiprocessing.Queue) -> None:
    start.wait()
    result = CliRunner().invoke(app, args)
    queue.put((args, result.exit_code, result.stdout))


def test_concurrent_runs_each_get_their_own_folder(tmp_path: Path, write_config, staging_hook):
    """Eight runs at once into one results root, three rounds: all exit 0, each folder holds its own seed."""
    staging_hook(None)  # no figures: the collision is in naming and renaming the run folder
    config, results = str(write_config(TINY)), tmp_path / "results"
    context = multiprocessing.get_context("fork")
    folders: dict[Path, int] = {}
    for round_ in range(3):
        start, queue = context.Event(), context.Queue()
        seeds = [100 * round_ + index for index in range(8)]
        processes = [
            context.Process(
                target=_run_forked,
                args=(
                    ["run", config, "--results", str(results), "--seed", str(s), "-q", "--workers", "1"],
                    start,
                    queue,
                ),
            )
            for s in seeds
        ]
        for process in processes:
            process.start()
        start.set()
        outcomes = [queue.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        for args, code, stdout in outcomes:
            assert code == 0, stdout
            folder = Path(stdout.strip())
            seed = int(args[args.index("--seed") + 1])
            assert folder not in folders, f"two runs printed {folder}"
            folders[folder] = seed
    for folder, seed in folders.items():
        assert json.loads((folder / "manifest.json").read_text())["seed"] == seed
        assert json.loads((folder / "summary.json").read_text())["seed"] == seed
    scenario = results / "tiny"
    assert sorted(p.name for p in scenario.iterdir()) == sorted([*(f.name for f in folders), "latest"])
    assert (scenario / "latest").is_symlink() and scenario / os.readlink(scenario / "latest") in folders


def test_force_replaces_only_a_folder_sim_made(tmp_path: Path, write_config, staging_hook):
    staging_hook(None)
    config = str(write_config(TINY))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work\n")
    result = runner.invoke(app, ["run", config, "--out", str(mine), "--force", "-q", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert f"{mine} exists and was not made by sim; not replacing it" in result.output
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []

    run = tmp_path / "run"
    assert runner.invoke(app, ["run", config, "--out", str(run), "-q", "--workers", "1"]).exit_code == 0
    again = runner.invoke(app, ["run", config, "--out", str(run), "--force", "--seed", "9", "-q", "--workers", "1"])
    assert again.exit_code == 0, again.output
    assert json.loads((run / "manifest.json").read_text())["seed"] == 9


def test_force_through_latest_is_refused_and_latest_stays_a_link(tmp_path: Path, write_config, staging_hook):
    staging_hook(None)
    config, results = str(write_config(TINY)), tmp_path / "results"
    first = runner.invoke(app, ["run", config, "--results", str(results), "-q", "--workers", "1"])
    assert first.exit_code == 0, first.output
    latest = results / "tiny" / "latest"
    target = os.readlink(latest)
    result = runner.invoke(app, ["run", config, "--out", str(latest), "--force", "-q", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert "is a symbolic link" in result.output
    assert latest.is_symlink() and os.readlink(latest) == target
    second = runner.invoke(app, ["run", config, "--results", str(results), "-q", "--workers", "1"])
    assert second.exit_code == 0 and os.readlink(latest) == Path(second.stdout.strip()).name


def test_a_users_latest_is_never_replaced(tmp_path: Path, write_config, staging_hook):
    staging_hook(None)
    (tmp_path / "latest").write_text("my notes\n")
    result = runner.invoke(
        app, ["run", str(write_config(TINY)), "--out", str(tmp_path / "run"), "-q", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "latest").read_text() == "my notes\n" and not (tmp_path / "latest").is_symlink()
    assert f"note: {tmp_path / 'latest'} is not a link sim made; left as it is" in result.stderr


def test_stale_staging_folders_are_removed_only_when_sim_made_them_and_their_writer_is_gone(tmp_path: Path):
    stale, foreign, live = (tmp_path / f".run.{name}.partial" for name in ("stale", "foreign", "live"))
    for folder in (stale, foreign, live):
        folder.mkdir()
        (folder / "summary.json").write_text("{}")
    (stale / MARKER).write_text("made by sim (process 1)\n")
    (live / MARKER).write_text("made by sim (process 2)\n")
    with open(live / MARKER) as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a run still writing holds it (flock is per open file)
        write_folder(tmp_path / "new", {"a.txt": b"a"})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([foreign.name, live.name, "new"])


def test_a_folder_being_written_is_not_removed_by_a_concurrent_cleanup(tmp_path: Path):
    seen = []

    def cleanup_meanwhile(staging: Path) -> None:
        seen.append(remove_stale(tmp_path))

    write_folder(tmp_path / "run", {"a.txt": b"a"}, decorate=cleanup_meanwhile)
    assert seen == [[]] and (tmp_path / "run" / "a.txt").read_bytes() == b"a"


def test_write_folder_never_replaces_without_permission(tmp_path: Path):
    write_folder(tmp_path / "run", {"a.txt": b"a"})
    with pytest.raises(StorageError, match="already exists; use --force"):
        write_folder(tmp_path / "run", {"a.txt": b"b"})
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="is not a folder"):
        write_folder(tmp_path / "file", {"a.txt": b"b"}, replace=True)
    assert (tmp_path / "run" / "a.txt").read_bytes() == b"a" and (tmp_path / "file").read_text() == "x"
    assert write_folder(tmp_path / "run", {"a.txt": b"c"}, unique=True).name.startswith("run-")


def _disk_full(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_write_atomic_on_a_full_disk_keeps_the_old_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "README.md"
    path.write_text("old and whole\n")
    path.chmod(0o640)
    monkeypatch.setattr(sim.storage.os, "fsync", _disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, b"new" * 10_000)
    assert path.read_text() == "old and whole\n"
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]
    monkeypatch.undo()
    write_atomic(path, b"new\n")
    assert path.read_text() == "new\n" and path.stat().st_mode & 0o777 == 0o640


def _write_until_killed(path: Path) -> None:
    """Child: start write_atomic(path) and stop inside it (before the rename), to be SIGKILLed there."""

    def hang(descriptor: int) -> None:
        os.write(1, b"writing\n")
        signal.pause()

    sim.storage.os.fsync = hang
    write_atomic(path, b"never renamed")


def test_write_atomic_removes_what_a_killed_writer_left(tmp_path: Path):
    """SIGKILL inside write_atomic leaves its hidden temporary file; the next write of that path removes it."""
    path = tmp_path / "README.md"
    path.write_text("old\n")
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import test_storage, pathlib; test_storage._write_until_killed(pathlib.Path({str(path)!r}))",
        ],
        cwd=Path(__file__).parent,
        stdout=subprocess.PIPE,
    )
    assert child.stdout.readline() == b"writing\n"
    left = [p for p in tmp_path.iterdir() if p.name != "README.md"]
    assert len(left) == 1 and left[0].name.startswith(".README.md.sim-") and left[0].name.endswith(".tmp")
    write_atomic(path, b"while the writer lives\n")
    assert left[0].exists(), "a temporary file whose writer is alive was removed"
    child.kill()
    child.wait()
    write_atomic(path, b"too soon\n")
    assert left[0].exists(), "a temporary file younger than the stale age was removed"
    os.utime(left[0], (0, 0))
    write_atomic(path, b"new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"] and path.read_text() == "new\n"


def test_write_atomic_leaves_files_it_did_not_make(tmp_path: Path):
    """Hidden .tmp files that are not sim's (other names, links, locked) stay, however old."""
    path = tmp_path / "out.md"
    others = [tmp_path / ".out.md.abc123.tmp", tmp_path / ".other.md.sim-abc123.tmp", tmp_path / ".out.md.sim-held.tmp"]
    for other in others:
        other.write_text("not sim's to remove")
        os.utime(other, (0, 0))
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (tmp_path / ".out.md.sim-link.tmp").symlink_to(target)
    with open(others[2]) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        write_atomic(path, b"x")
    assert all(other.exists() for other in others) and (tmp_path / ".out.md.sim-link.tmp").is_symlink()
    assert target.read_text() == "keep"


def test_compare_readme_on_a_full_disk_is_untouched_and_named(tmp_path: Path, write_config, monkeypatch):
    from sim.compare import MARKERS

    readme = tmp_path / "README.md"
    text = f"intro\n{MARKERS[0]}\nold\n{MARKERS[1]}\nrest\n"
    readme.write_text(text)
    configs = [str(write_config(TINY.replace('"tiny"', f'"t{i}"'), f"t{i}.toml")) for i in range(2)]
    write = sim.storage.write_atomic

    def full_for_readme(path: Path, content: bytes) -> Path:
        if Path(path) == readme:
            _disk_full()
        return write(path, content)

    monkeypatch.setattr(sim.cli, "write_atomic", full_for_readme)
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", *configs, "--out", str(out), "--workers", "1", "--readme", str(readme)])
    assert result.exit_code == 1, result.output
    assert f"error: cannot write --readme {readme}: No space left on device" in result.output
    assert readme.read_text() == text
