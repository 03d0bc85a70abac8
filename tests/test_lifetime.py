"""Process lifetime: signals at any moment end ``sim`` cleanly, and no worker outlives it, even on SIGKILL.

Real ``python -m sim`` processes, each in its own process group (as a shell's job is), get
SIGINT or SIGTERM sent to the whole group at moments spread over start-up (imports, the
workers being forked) and the run itself. Each must exit 130 or 143 within a bounded wait,
print one line and no traceback, and leave no process of its group behind.

Moments too short to hit at random are hit on purpose by a trap in sim's own process: inside a
garbage-collector callback (where an exception from a signal handler is swallowed), at each
step of writing the run folder (audit-hook events), and after the last line.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reference_cases import TINY

ROOT = Path(__file__).resolve().parent.parent
KURSK = str(ROOT / "configs" / "kursk.toml")
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _live(predicate) -> list[int]:
    """Process ids (not zombies) whose stat fields satisfy ``predicate``."""
    out = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(entry.name))
        if fields is not None and fields[0] != "Z" and predicate(fields):
            out.append(int(entry.name))
    return out


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _catches_signals(pid: int) -> bool:
    """Whether ``pid`` has handlers for both SIGINT and SIGTERM (its SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # gone: nothing left to wait for
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return all(caught >> (signum - 1) & 1 for signum in (signal.SIGINT, signal.SIGTERM))


def _start(args: list[str], results: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args, "--results", str(results)],
        cwd=results.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
    )


def test_sigkill_leaves_no_worker_behind(tmp_path: Path):
    process = _start(["run", KURSK, "--draws", "100000000", "--workers", "2", "--no-plots", "-q"], tmp_path / "r")
    assert _wait_until(lambda: len(_live(lambda f: int(f[1]) == process.pid)) == 2, 60), "workers never started"
    workers = _live(lambda f: int(f[1]) == process.pid)
    time.sleep(0.3)
    process.kill()
    process.communicate(timeout=10)
    gone = _wait_until(lambda: not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in workers), 5)
    for pid in workers:  # do not leave them running if the test fails
        if not gone:
            os.kill(pid, signal.SIGKILL)
    assert gone, "a worker outlived its parent's SIGKILL by more than 5 s"


SWEEP = ["sweep", KURSK, "--param", "forces.builders.size.high", "--values", "15000,16000,17000,18000"]
CASES = [
    (["run", KURSK, "--draws", "100000000", "--workers", "2", "--no-plots", "-q"], 10),
    ([*SWEEP, "--workers", "2"], 2),
]


@pytest.mark.parametrize(("args", "trials"), CASES, ids=["run", "sweep"])
def test_signals_to_the_process_group_at_random_moments(tmp_path: Path, args: list[str], trials: int):
    """Moments drawn from 0–1.4 s after sim's entry point took the signals: imports, forking the workers, chunks.

    Not earlier: before that the Python interpreter is starting (tens of milliseconds) and
    no code of sim has run; a signal then ends it as it would any Python program, before
    anything is written. The moment is read from /proc (the signals' bits in SigCgt).
    """
    rng = random.Random(17)
    plan = [(rng.uniform(0.0, 1.4), rng.choice([signal.SIGINT, signal.SIGTERM])) for _ in range(trials)]
    failures = []
    for batch in range(0, trials, 4):  # four at a time keeps the test short on two cores
        started = []
        for index, (delay, signum) in enumerate(plan[batch : batch + 4], start=batch):
            results = tmp_path / f"results{index}"
            process = _start(args, results)
            if not _wait_until(lambda pid=process.pid: _catches_signals(pid), 60):  # seconds on a loaded machine
                process.kill()
                pytest.fail("sim never installed its signal handlers")
            started.append((process, time.monotonic(), delay, signum, results))
        for process, start, delay, signum, _ in sorted(started, key=lambda item: item[1] + item[2]):
            time.sleep(max(0.0, start + delay - time.monotonic()))
            os.killpg(process.pid, signum)
        for process, _, delay, signum, results in started:
            try:
                _, stderr = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                failures.append(f"{signum.name} at {delay:.2f} s: hung for 30 s (the watchdog ends it after 10 s)")
                continue
            expected = 128 + signum
            if process.returncode != expected or "Traceback" in stderr or len(stderr.splitlines()) != 1:
                failures.append(f"{signum.name} at {delay:.2f} s: exit {process.returncode}, stderr {stderr!r}")
            elif not stderr.startswith("interrupted"):
                failures.append(f"{signum.name} at {delay:.2f} s: stderr {stderr!r}")
            if not _wait_until(lambda pgid=process.pid: not _live(lambda f: int(f[3]) == pgid), 5):
                failures.append(f"{signum.name} at {delay:.2f} s: a process of the group outlived the command")
            leftovers = sorted(p.name for p in results.rglob("*")) if results.exists() else []
            if leftovers:
                failures.append(f"{signum.name} at {delay:.2f} s: left {leftovers}")
    assert not failures, "\n".join(failures)


def _with_trap(trap: str, trap_args: list[object], sim_args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``sim`` run by its entry point in a Python process where ``trap`` (given ``trap_args``) will send a signal."""
    command = [sys.executable, "-c", trap, *map(str, trap_args), *sim_args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


# A signal whose handler runs inside a garbage-collector callback (or a weakref callback, a __del__): Python
# reports an exception raised there as "Exception ignored in ..." with a traceback and goes on, so a handler
# that raises lets the command finish and exit 0 as if nothing had happened (or hang while it goes on).
# The trap sends the signal from the n-th collection after sim's handler is in place, and keeps the
# collector busy until the handler has run inside it.
_TRAP = """
import gc, os, signal, sys
PID, COUNT, SIGNUM = os.getpid(), int(sys.argv[1]), int(sys.argv[2])
seen = [0]
def trap(phase, info):
    if phase != "start" or os.getpid() != PID:
        return
    if type(signal.getsignal(signal.SIGTERM)).__name__ != "InterruptHandler":
        return
    seen[0] += 1
    if seen[0] == COUNT:
        os.kill(PID, SIGNUM)
        for _ in range(1000):  # the handler runs here, inside the collector's callback
            pass
        os.write(1, b"went on after the signal\\n")
gc.callbacks.append(trap)
sys.argv = ["sim", *sys.argv[3:]]
from sim.launch import main
main()
"""


@pytest.mark.parametrize(
    ("count", "signum"), [(1, signal.SIGTERM), (40, signal.SIGINT), (120, signal.SIGTERM)], ids=["1", "40", "120"]
)
def test_a_signal_handled_inside_a_gc_callback_still_ends_the_command(tmp_path: Path, count: int, signum: int):
    """Collections 1, 40 and 120 fall in the imports and the loading (a run makes about 200)."""
    results = tmp_path / "results"
    command = ["run", KURSK, "--draws", "20000", "--workers", "1", "--no-plots", "-q", "--results", str(results)]
    done = _with_trap(_TRAP, [count, int(signum)], command, tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (128 + signum, "interrupted: no results written\n", "")
    assert not results.exists() or not any(results.rglob("*")), sorted(results.rglob("*"))


# The moments around the write, each caught by Python's audit hook in sim's own process: the signal is sent
# to it when the event named occurs (its argument containing the text given), or, for "exit", from an exit
# handler that runs after sim has printed its last line.
_AT_EVENT = """
import atexit, os, signal, sys
PID, EVENT, TEXT, SIGNUM = os.getpid(), sys.argv[1], sys.argv[2], int(sys.argv[3])
def fire():
    os.kill(PID, SIGNUM)
    for _ in range(1000):  # the handler runs here
        pass
def hook(event, args):
    global EVENT
    if event == EVENT and os.getpid() == PID and TEXT in " ".join(map(str, args)):
        EVENT = None
        fire()
if EVENT == "exit":
    atexit.register(fire)
else:
    sys.addaudithook(hook)
sys.argv = ["sim", *sys.argv[4:]]
from sim.launch import main
main()
"""
WRITE_MOMENTS = {
    # name: (audit event, text in its arguments, what the run leaves: None, or the message's ending)
    "files into the staging folder": ("open", ".partial/summary.json", None),
    "the rename into place": ("ctypes.dlsym", "renameat2", "already written to {run}"),
    "the latest link": ("os.symlink", "", "already written to {run}"),
}


@pytest.mark.parametrize("moment", WRITE_MOMENTS)
def test_a_signal_while_writing_says_what_was_written(tmp_path: Path, write_config, moment: str):
    """Before the rename nothing is left; from the rename on, the run is whole and the line says where."""
    event, text, expected = WRITE_MOMENTS[moment]
    results = tmp_path / "results"
    signum = signal.SIGTERM if expected else signal.SIGINT
    command = ["run", str(write_config(TINY)), "--workers", "1", "--no-plots", "-q", "--results", str(results)]
    done = _with_trap(_AT_EVENT, [event, text, int(signum)], command, tmp_path)
    scenario = results / "tiny"
    runs = [p for p in scenario.iterdir() if p.name != "latest"] if scenario.exists() else []
    assert (done.returncode, done.stdout) == (128 + signum, ""), done.stderr
    if expected is None:
        assert done.stderr == "interrupted: no results written\n"
        assert runs == []
        return
    assert [p.name.startswith(".") for p in runs] == [False], runs  # one run folder, no hidden leftover
    assert done.stderr == "interrupted: the run was " + expected.format(run=runs[0]) + "\n"
    assert {"summary.json", "summary.csv", "manifest.json", "scenario.toml"} <= {p.name for p in runs[0].iterdir()}


def test_a_signal_after_the_last_line_is_too_late_to_stop_anything(tmp_path: Path, write_config):
    """The rule at the end: once sim has flushed its last line, SIGINT and SIGTERM are ignored and it exits 0."""
    results = tmp_path / "results"
    command = ["run", str(write_config(TINY)), "--workers", "1", "--no-plots", "-q", "--results", str(results)]
    done = _with_trap(_AT_EVENT, ["exit", "", int(signal.SIGTERM)], command, tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip() == str(next(p for p in (results / "tiny").iterdir() if p.name != "latest"))


def test_a_signal_while_rewriting_a_report_leaves_no_temporary_file(tmp_path: Path, write_config):
    """``sim report`` replaces files one by one: the line says so, and the temporary file being written is removed."""
    out = tmp_path / "run"
    command = ["run", str(write_config(TINY)), "--workers", "1", "--no-plots", "-q", "--out", str(out)]
    assert subprocess.run([sys.executable, "-m", "sim", *command], cwd=tmp_path, check=False).returncode == 0
    before = sorted(p.name for p in out.iterdir())
    trap = ["open", ".report.md.sim-", int(signal.SIGINT)]
    done = _with_trap(_AT_EVENT, trap, ["report", str(out), "--no-plots"], tmp_path)
    assert (done.returncode, done.stdout) == (130, "")
    assert done.stderr == f"interrupted: some files in {out} may be rewritten, the others not (each file is whole)\n"
    assert sorted(p.name for p in out.iterdir()) == before  # no report yet, no temporary file


def test_a_run_killed_while_writing_leaves_a_staging_folder_the_next_run_removes(tmp_path: Path, write_config):
    """SIGKILL cannot be handled: the hidden staging folder stays, unlocked, until the next run beside it."""
    results = tmp_path / "results"
    command = ["run", str(write_config(TINY)), "--workers", "1", "--no-plots", "-q", "--results", str(results)]
    killed = _with_trap(_AT_EVENT, ["open", ".partial/summary.json", int(signal.SIGKILL)], command, tmp_path)
    assert killed.returncode == -signal.SIGKILL
    assert [p.name.endswith(".partial") for p in (results / "tiny").iterdir()] == [True]
    again = subprocess.run([sys.executable, "-m", "sim", *command], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (results / "tiny").iterdir()) == sorted([Path(again.stdout.strip()).name, "latest"])


def _descendants(pid: int) -> list[int]:
    """Live processes under ``pid`` (children, their children...)."""
    children: dict[int, list[int]] = {}
    for child in _live(lambda f: True):
        fields = _stat(child)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


@pytest.mark.slow
def test_sigterm_to_a_run_on_a_local_dask_cluster_ends_it_in_one_line(tmp_path: Path):
    """Dask's nannies and workers, and multiprocessing's resource tracker, die with it and say nothing.

    SIGTERM only: a Dask process that Ctrl-C (SIGINT to the group) reaches while it starts can still print its
    own KeyboardInterrupt traceback (about one try in three here); sim's own line and exit code are right.
    """
    pytest.importorskip("dask.distributed", reason="the dask extra is not installed")
    command = ["run", KURSK, "--executor", "dask", "--draws", "100000000", "--workers", "2", "--no-plots", "-q"]
    process = _start(command, tmp_path / "results")
    try:
        assert _wait_until(lambda: len(_descendants(process.pid)) >= 3, 120), "the Dask cluster never started"
        time.sleep(2.0)  # the workers are computing
        below = _descendants(process.pid)
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert (process.returncode, stderr) == (143, "interrupted: no results written\n")
    assert _wait_until(lambda: not any(_stat(pid) and _stat(pid)[0] != "Z" for pid in below), 5), below
