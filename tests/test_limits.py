"""Every cap refuses before work: exit 2, one line naming the file or option, little time and memory.

In-process cases measure the CPU time (``time.process_time``) and the peak of Python's
allocations (``tracemalloc``, which NumPy reports to) of the refusal itself; one
subprocess case measures a whole ``sim`` process (CPU time and peak RSS from ``wait4``),
imports included. CPU time, not wall time: on a loaded machine the wall clock measures
the other processes (on an idle one the two agree).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.limits import MAX_CLAIMS, MAX_FORCES, MAX_LEVELS

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
KURSK = str(ROOT / "configs" / "kursk.toml")
FORCE = "[forces.f{i}]\nsize = 10\nfatality_rate = 0.1\n"
HEAD = '[scenario]\nname = "{name}"\n[simulation]\ndraws = 1000\n'


def _forces(count: int) -> str:
    return HEAD.format(name="many") + "".join(FORCE.format(i=i) for i in range(count))


def _claims(count: int) -> str:
    claim = '[[claims]]\nid = "c{i}"\nvalue = 1\n'
    return _forces(1) + "".join(claim.format(i=i) for i in range(count))


SCENARIOS = {
    # name: (file text or a maker of the path, expected message)
    "dev-zero": ("/dev/zero", "is not a regular file"),
    "fifo": ("fifo", "is not a regular file"),
    "huge file": ("huge", "is larger than 4,194,304 bytes"),
    "BOM": ("\ufeff" + _forces(1), "starts with a UTF-8 byte order mark (BOM)"),
    "2k forces": (_forces(2_000), f"forces: at most {MAX_FORCES} forces, got 2,000"),
    "2k claims": (_claims(2_000), f"claims: at most {MAX_CLAIMS:,} claims, got 2,000"),
    "1k levels": (
        _forces(1).replace("draws = 1000", "draws = 1000\nlevels = [" + ", ".join(["0.5"] * 1000) + "]"),
        f"simulation.levels: at most {MAX_LEVELS} levels, got 1,000",
    ),
    "300-char name": (HEAD.format(name="n" * 300) + FORCE.format(i=0), "scenario.name: must be at most 64 characters"),
    "name ending in a newline": (
        HEAD.replace('"{name}"', '"x\\n"') + FORCE.format(i=0),
        "scenario.name: must use only a-z",
    ),
    "claim id ending in a newline": (_forces(1) + '[[claims]]\nid = "c\\n"\nvalue = 1\n', "ids must start"),
    "control character in a title": (
        _forces(1).replace("[simulation]", 'title = "a\\u0007b"\n[simulation]'),
        "must not contain the control character U+0007",
    ),
}


def _scenario_path(tmp_path: Path, text: str) -> Path:
    if text == "/dev/zero":
        return Path(text)
    path = tmp_path / "scenario.toml"
    if text == "fifo":
        os.mkfifo(path)
    elif text == "huge":
        with open(path, "wb") as handle:
            handle.truncate(50 * 2**20)  # sparse: 50 MiB of zeros without writing them
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _measured(args: list[str]):
    """The result, its CPU seconds, and the peak of its allocations (in a second run: tracemalloc slows Python)."""
    cpu = time.process_time()
    result = runner.invoke(app, args)
    seconds = time.process_time() - cpu
    tracemalloc.start()
    try:
        runner.invoke(app, args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def _assert_refused(result, message: str, seconds: float, peak: int) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output, result.output
    assert seconds < 2.0, f"took {seconds:.2f} s of CPU"
    assert peak < 200 * 2**20, f"allocated {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("case", SCENARIOS)
@pytest.mark.parametrize("command", ["check", "run"])
def test_scenario_caps_refuse_before_work_in_check_and_run_alike(tmp_path: Path, case: str, command: str):
    text, message = SCENARIOS[case]
    path = _scenario_path(tmp_path, text)
    extra = ["--results", str(tmp_path / "results"), "--workers", "1"] if command == "run" else []
    result, seconds, peak = _measured([command, str(path), *extra])
    _assert_refused(result, message, seconds, peak)
    assert f"{path}:" in result.output  # names the file
    assert not (tmp_path / "results").exists()


OPTIONS = {
    "run --workers 256": (["run", KURSK, "--workers", "256"], "--workers must be at most"),
    "run --draws 1e10+1": (["run", KURSK, "--draws", "10000000001"], "--draws must be at most 10,000,000,000"),
    "compare --draws 1e10+1": (
        ["compare", KURSK, KURSK, "--draws", "10000000001"],
        "--draws must be at most 10,000,000,000",
    ),
    "compare --workers 100000": (["compare", KURSK, KURSK, "--workers", "100000"], "--workers must be at most"),
    "sweep --workers 256": (
        ["sweep", KURSK, "--param", "forces.builders.size.high", "--values", "1,2", "--workers", "256"],
        "--workers must be at most",
    ),
    "sweep --range 10:20:1e8": (
        ["sweep", KURSK, "--param", "forces.builders.size.high", "--range", "10:20:100000000"],
        "STEPS must be at most 10,000,000, got 100,000,000",
    ),
    "tornado --draws 0": (["tornado", KURSK, "--draws", "0"], "--draws must be at least 1, got 0"),
    "sobol --resamples 1e11": (["sobol", KURSK, "--resamples", "100000000000"], "--resamples must be at most 100,000"),
    "sobol --n 2^40": (["sobol", KURSK, "--n", str(2**40)], "--n must be at most 4,194,304"),
    "robust --workers 256": (["robust", KURSK, "--workers", "256"], "--workers must be at most"),
}


@pytest.mark.parametrize("case", OPTIONS)
def test_option_caps_refuse_before_work_for_every_command(tmp_path: Path, case: str):
    args, message = OPTIONS[case]
    out = ["--out", str(tmp_path / "results")] if args[0] == "compare" else ["--results", str(tmp_path / "results")]
    result, seconds, peak = _measured([*args, *out])
    _assert_refused(result, message, seconds, peak)
    assert not (tmp_path / "results").exists()


# A forked child's peak RSS counts the pages it shared with its parent before exec, so a child of a large pytest
# process would report pytest's size: a small launcher process starts sim and reports sim's own resource use.
_LAUNCHER = """
import json, os, subprocess, sys, time
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
deadline = time.monotonic() + 60
while (done := os.wait4(process.pid, os.WNOHANG))[0] == 0:
    if time.monotonic() > deadline:
        process.kill()
        sys.exit("no answer in 60 s")
    time.sleep(0.02)
_, status, usage = done
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "stderr": process.stderr.read().decode(),
                  "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024}))
"""


def test_a_whole_sim_process_refuses_dev_zero_in_under_2_s_of_cpu_and_200_mb():
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "sim", "run", "/dev/zero"],
        capture_output=True,
        text=True,
        check=True,
    )
    usage = json.loads(launched.stdout)
    assert usage["code"] == 2
    assert (
        usage["stderr"] == "error: /dev/zero: is not a regular file (a pipe, device or socket); give a scenario file\n"
    )
    assert usage["cpu"] < 2.0, f"{usage['cpu']:.2f} s of CPU"
    assert usage["rss"] < 200 * 2**20, f"peak RSS {usage['rss'] / 2**20:.0f} MiB"
