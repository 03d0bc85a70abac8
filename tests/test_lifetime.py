"""Process lifetime: signals at any moment end ``sim`` cleanly, and no worker outlives it, even on SIGKILL.

Real ``python -m sim`` processes, each in its own process group (as a shell's job is), get
SIGINT or SIGTERM sent to the whole group at moments spread over start-up (imports, the
workers being forked) and the run itself. Each must exit 130 or 143 within a bounded wait,
print one line and no traceback, and leave no process of its group behind.
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
            _wait_until(lambda pid=process.pid: _catches_signals(pid), 30)
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
