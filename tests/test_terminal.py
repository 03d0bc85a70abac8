"""The terminal as a person sees it: `sim` under a pseudo-terminal at 80 and 120 columns.

Each command runs in a child process attached to a pty of the given size (``COLUMNS`` set too),
its bytes are replayed through a small terminal model (wrapping at the width, carriage return,
cursor up, erase line: the sequences rich writes), and the test reads the final screen: no line
longer than the width, no number cut by an ellipsis, no progress bar left behind.
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

import pytest

from sim import cli
from sim.storage import MARKER

ROOT = Path(__file__).resolve().parent.parent
CSI = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z])")
OTHER_ESCAPE = re.compile(r"\x1b[\]PX^_].*?(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]", re.S)
CUT_NUMBER = re.compile(r"[0-9][0-9.,]*…|…[0-9]")


def run_in_pty(args: list[str], columns: int, *, timeout: float = 120.0) -> bytes:
    """Run ``python -m sim *args`` attached to a pty of ``columns`` × 50 and return everything it wrote."""
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "LINES")}
    env |= {"COLUMNS": str(columns), "TERM": "xterm-256color"}
    child = subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(follower)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the pty (EIO on Linux)
                    break
                if not chunk:
                    break
                output += chunk
            elif child.poll() is not None:
                break
        else:
            os.killpg(child.pid, signal.SIGKILL)
            pytest.fail(f"sim {' '.join(args)} did not finish in {timeout:g} s")
        assert child.wait(timeout=30) == 0, output.decode(errors="replace")
    finally:
        os.close(leader)
    return bytes(output)


def screen(output: bytes, columns: int) -> list[str]:
    """The lines a terminal of ``columns`` shows (scrollback included) after writing ``output``.

    Models auto-wrap at the last column, ``\\r``, ``\\n`` (pty ``onlcr``), cursor up (``CSI n A``),
    cursor to column (``CSI n G``) and erase in line (``CSI n K``); other sequences (colours, cursor
    visibility) do not move the cursor.
    """
    lines: list[list[str]] = [[]]
    row = col = 0
    text = OTHER_ESCAPE.sub("", output.decode("utf-8", errors="replace"))
    position = 0
    while position < len(text):
        match = CSI.match(text, position)
        if match:
            argument, command = match.groups()
            count = int(argument) if argument.isdigit() else None
            if command == "A":
                row = max(0, row - (count or 1))
            elif command == "G":
                col = (count or 1) - 1
            elif command == "K":
                line = lines[row]
                if count == 2:
                    lines[row] = []
                elif count == 1:
                    lines[row] = [" "] * min(col + 1, len(line)) + line[col + 1 :]
                else:
                    del line[col:]
            position = match.end()
            continue
        char = text[position]
        position += 1
        if char == "\r":
            col = 0
        elif char == "\n":
            row += 1
            col = 0
        elif char == "\x1b" or char < " ":
            continue
        else:
            if col >= columns:  # auto-wrap: the character goes to the next line
                row += 1
                col = 0
            while len(lines) <= row:
                lines.append([])
            line = lines[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = char
            col += 1
        while len(lines) <= row:
            lines.append([])
    return ["".join(line).rstrip() for line in lines]


def long_lines(output: bytes, columns: int) -> list[str]:
    """Runs of text between line breaks, carriage returns and cursor moves that are wider than ``columns``."""
    text = OTHER_ESCAPE.sub("", output.decode("utf-8", errors="replace"))
    pieces = re.split(r"[\r\n]|\x1b\[[0-9;]*[ABCDGHJKf]", text)
    return [piece for piece in (CSI.sub("", p) for p in pieces) if len(piece) > columns]


@pytest.fixture(scope="module")
def kursk_runs(tmp_path_factory) -> dict[int, bytes]:
    """``sim run configs/kursk.toml`` at 80 and 120 columns (few draws: the layout does not depend on them)."""
    folder = tmp_path_factory.mktemp("terminal")
    return {
        columns: run_in_pty(
            ["run", "configs/kursk.toml", "--draws", "100000", "--no-plots", "--out", str(folder / str(columns))],
            columns,
        )
        for columns in (80, 120)
    }


@pytest.mark.parametrize("columns", [80, 120])
def test_run_fits_the_terminal_with_every_number_whole(kursk_runs, columns):
    output = kursk_runs[columns]
    assert long_lines(output, columns) == []
    shown = screen(output, columns)
    text = "\n".join(shown)
    assert "Claims against the simulated truth" in text and "Kim's 'nine' read as the whole" in text
    assert CUT_NUMBER.findall(text) == [], [line for line in shown if CUT_NUMBER.search(line)]
    assert "killed[engineers]" not in text  # human labels, not internal keys
    assert not any("simulating" in line for line in shown), "a stale progress line"
    assert "top 0%" not in text


class _Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("columns", [80, 120])
def test_progress_bar_is_drawn_and_erased_within_the_width(monkeypatch, columns):
    """The bar ``sim run`` shows after a second, on a terminal of ``columns``: one line, erased whole at the end."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(sys, "stderr", _Terminal())
    console = cli._console.__wrapped__(stderr=True)  # the console sim makes, not its cached one
    monkeypatch.setattr(cli, "_err", lambda: console)
    bar = cli._ProgressBar(1_000_000, enabled=True)
    bar.started -= 2.0  # as if the run had taken two seconds already
    for _ in range(10):
        bar(65_536)
    assert bar.bar is not None
    bar.bar.refresh()
    bar.close()
    output = sys.stderr.getvalue().encode()
    assert b"simulating draws" in output and b"655,360/1,000,000" in output
    assert long_lines(output, columns) == []
    assert not any("simulating" in line for line in screen(output, columns)), screen(output, columns)


@pytest.mark.parametrize("command", [["check", "configs/kursk.toml"], ["run", "--help"], ["--help"]])
def test_check_and_help_fit_80_columns(command):
    output = run_in_pty(command, 80)
    text = "\n".join(screen(output, 80))
    assert long_lines(output, 80) == []
    assert CUT_NUMBER.findall(text) == []
    if command[0] == "check":
        assert "forces.engineers.wounded_per_killed" in text  # key paths whole, never folded mid-word
    if command == ["run", "--help"]:
        assert "sim[dask]" in text and "[simulation]" in text and "[inference]" in text


def test_python_m_sim_without_the_dependencies_says_how_to_install_them():
    """``python -m sim`` from the checkout with a Python lacking sim's dependencies (-S: no site-packages)."""
    done = subprocess.run(
        [sys.executable, "-S", "-m", "sim", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "not installed" in done.stderr and "make install" in done.stderr and done.stderr.count("\n") == 1


def test_the_readme_first_scenario_is_valid():
    from sim.config import parse_scenario

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Write your own scenario") :]
    block = section[section.index("```toml\n") + len("```toml\n") :]
    scenario = parse_scenario(block[: block.index("```")])
    assert scenario.name == "mine" and [c.id for c in scenario.claims] == ["fifty"]


@pytest.mark.parametrize("columns", [80, 120])
def test_runs_fits_the_terminal_with_every_name_and_number_whole(tmp_path, columns):
    """``sim runs`` of a scenario's folder: each run's folder name, start, draws and size whole on the screen."""
    import json

    folder = tmp_path / "results" / "kursk"
    names = [f"2026112{day}T135400Z-a1b2c{day}" for day in range(3)]
    for day, name in enumerate(names):
        run = folder / name
        run.mkdir(parents=True)
        (run / MARKER).write_text("")
        started = f"2026-11-2{day}T13:54:00+00:00"
        (run / "manifest.json").write_text(json.dumps({"started_utc": started, "draws": 1_000_000}))
    (folder / "latest").symlink_to(names[-1])
    output = run_in_pty(["runs", "kursk", "--results", str(tmp_path / "results")], columns)
    assert long_lines(output, columns) == []
    shown = screen(output, columns)
    text = "\n".join(shown)
    assert all(name in text for name in names) and text.count("1,000,000") == 3, text
    assert "2026-11-20 13:54:00" in text and "latest" in text and "3 runs," in text
    assert CUT_NUMBER.findall(text) == []
